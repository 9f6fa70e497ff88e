// Differential test of the verdict logic: a deliberately naive implementation of the definitions
// (docs/theory.md sections 2, 5 and 7), written here without any of the library's algorithms, is
// compared with verify() on thousands of seeded random patterns (p = 1..4, with and without
// self-attention, global tokens, extra tokens, empty rows that make S^t shrink). Every certificate
// is round-tripped through check-certificate, and on a subset every field of the certificate is
// mutated into a false claim, which the checker must reject.
//
// The naive side: S_k^t by the recurrence on bit masks, until (S^t, t mod p) repeats; the influence
// sets I_k^t with the residual term until they stop growing; Hamiltonian path by the subset dynamic
// programme (n <= 12); the hypotheses of each published theorem written out from the papers (not
// read from theorems/*.json, which this test compares against them).
#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "sparsecert/certify/certificate.hpp"
#include "sparsecert/certify/theorems.hpp"
#include "sparsecert/certify/verify.hpp"
#include "sparsecert/pattern/pattern_io.hpp"

using nlohmann::json;
using namespace sparsecert;

namespace {

using Mask = std::uint32_t;  // n <= 12 tokens

// A pattern as plain masks: rows[l][k] = A_k^l.
struct Naive {
    unsigned n = 0;
    std::vector<std::vector<Mask>> rows;
    Mask extra = 0;

    Mask all() const { return (Mask{1} << n) - 1; }
    Mask inputs() const { return all() & ~extra; }
    bool attends(std::size_t l, unsigned k, unsigned j) const { return (rows[l][k] >> j) & 1; }
};

struct NaiveFacts {
    bool self_attention, path, input_only, star, one_graph, in_sequence_hub, influence;
    std::optional<std::uint64_t> s;  // nothing: no finite s
};

bool naive_self_attention(const Naive& g) {
    for (const auto& layer : g.rows)
        for (unsigned k = 0; k < g.n; ++k)
            if (!((layer[k] >> k) & 1)) return false;
    return true;
}

// S^1 = A^1; S_k^t = union of S_j^{t-1} over j in A_k^{L(t)}; s = the first complete t, or none
// when the state (S^t, t mod p) repeats first.
std::optional<std::uint64_t> naive_s(const Naive& g) {
    const std::size_t p = g.rows.size();
    std::vector<Mask> s = g.rows[0];
    std::set<std::pair<std::vector<Mask>, std::size_t>> seen;
    for (std::uint64_t t = 1;; ++t) {
        bool complete = true;
        for (Mask m : s) complete = complete && m == g.all();
        if (complete) return t;
        if (!seen.insert({s, t % p}).second) return std::nullopt;
        const auto& layer = g.rows[t % p];  // the pattern of layer t + 1
        std::vector<Mask> next(g.n, 0);
        for (unsigned k = 0; k < g.n; ++k)
            for (unsigned j = 0; j < g.n; ++j)
                if ((layer[k] >> j) & 1) next[k] |= s[j];
        s = next;
    }
}

// I_k^0 = {k}; I_k^t = I_k^{t-1} united with I_j^{t-1} for j in A_k^{L(t)}; iterated until a
// whole cycle of p layers adds nothing. Every input token must be in every input token's set.
bool naive_influence(const Naive& g) {
    std::vector<Mask> in(g.n);
    for (unsigned k = 0; k < g.n; ++k) in[k] = Mask{1} << k;
    const std::size_t p = g.rows.size();
    for (std::size_t quiet = 0, t = 0; quiet < p; ++t) {
        std::vector<Mask> next = in;
        for (unsigned k = 0; k < g.n; ++k)
            for (unsigned j = 0; j < g.n; ++j)
                if (g.attends(t % p, k, j)) next[k] |= in[j];
        quiet = next == in ? quiet + 1 : 0;
        in = next;
    }
    for (unsigned k = 0; k < g.n; ++k)
        if (((g.inputs() >> k) & 1) && (in[k] & g.inputs()) != g.inputs()) return false;
    return true;
}

// Subset DP: reach[mask] = the tokens a path through exactly `mask` can end at. The path steps
// from j to k when k attends to j in some pattern.
bool naive_path(const Naive& g) {
    std::vector<Mask> pred(g.n, 0);
    for (const auto& layer : g.rows)
        for (unsigned k = 0; k < g.n; ++k) pred[k] |= layer[k] & ~(Mask{1} << k);
    std::vector<Mask> reach(std::size_t{1} << g.n, 0);
    for (unsigned k = 0; k < g.n; ++k) reach[Mask{1} << k] = Mask{1} << k;
    for (Mask mask = 1; mask <= g.all(); ++mask)
        for (unsigned k = 0; k < g.n; ++k)
            if (((mask >> k) & 1) && !((reach[mask] >> k) & 1) && (reach[mask & ~(Mask{1} << k)] & pred[k]))
                reach[mask] |= Mask{1} << k;
    return reach[g.all()] != 0;
}

NaiveFacts naive_facts(const Naive& g) {
    NaiveFacts f{};
    f.self_attention = naive_self_attention(g);
    f.path = naive_path(g);
    f.s = naive_s(g);
    f.input_only = g.extra == 0;
    // Zaheer et al., Definition 1: exactly one extra token h; each input token i attends to i and h;
    // h attends to every input token.
    f.star = std::popcount(g.extra) == 1;
    for (std::size_t l = 0; l < g.rows.size() && f.star; ++l)
        for (unsigned i = 0; i < g.n; ++i) {
            if ((g.extra >> i) & 1) continue;
            const unsigned h = unsigned(std::countr_zero(g.extra));
            f.star = f.star && g.attends(l, i, i) && g.attends(l, i, h) && g.attends(l, h, i);
        }
    f.one_graph = true;
    for (const auto& layer : g.rows) f.one_graph = f.one_graph && layer == g.rows[0];
    f.in_sequence_hub = false;
    for (unsigned h = 0; h < g.n && !f.in_sequence_hub; ++h) {
        if ((g.extra >> h) & 1) continue;
        bool hub = true;
        for (const auto& layer : g.rows)
            for (unsigned k = 0; k < g.n; ++k) hub = hub && layer[h] == g.all() && ((layer[k] >> h) & 1);
        f.in_sequence_hub = hub;
    }
    f.influence = naive_influence(g);
    return f;
}

// The published theorems, their kinds, ranges of p and hypotheses, as the papers state them.
struct NaiveTheorem {
    std::string id, kind, p_range;
    std::vector<std::string> checks;
};
const std::vector<NaiveTheorem>& naive_registry() {
    static const std::vector<NaiveTheorem> t = {
        {"bigbird2020-star", "sufficient", "(1, inf)", {"star", "one_graph"}},
        {"bigbird2020-star-in-sequence", "conjecture", "(1, inf)", {"self_attention", "star_in_sequence"}},
        {"reachability-closure", "necessary", "[1, inf)", {"influence"}},
        {"yun2020", "sufficient", "[1, inf)", {"input_tokens_only", "self_attention", "hamiltonian_path", "reachability"}},
    };
    return t;
}

std::map<std::string, bool> fact_map(const NaiveFacts& f) {
    return {{"self_attention", f.self_attention}, {"hamiltonian_path", f.path},
            {"reachability", f.s.has_value()},    {"input_tokens_only", f.input_only},
            {"star", f.star},                     {"one_graph", f.one_graph},
            {"star_in_sequence", f.in_sequence_hub}, {"influence", f.influence}};
}

std::string naive_verdict(const NaiveFacts& f) {
    const auto facts = fact_map(f);
    auto applies = [&](const NaiveTheorem& t) {
        bool all = true;
        for (const auto& c : t.checks) all = all && facts.at(c);
        return all;
    };
    for (const auto& t : naive_registry())
        if (t.kind == "sufficient" && applies(t)) return "universal";
    for (const auto& t : naive_registry())
        if (t.kind == "necessary" && !applies(t)) return "not-universal";
    return "open";
}

// A random pattern of one of several shapes.
Naive random_pattern(std::mt19937_64& rng) {
    auto coin = [&](unsigned per_100) { return rng() % 100 < per_100; };
    Naive g;
    g.n = 1 + unsigned(rng() % 8);
    if (coin(10)) g.n = 9 + unsigned(rng() % 4);
    const std::size_t p = 1 + rng() % 4;
    const unsigned density = 10 + unsigned(rng() % 50);
    const bool self = coin(70);
    const bool global = coin(30);
    const unsigned hub = unsigned(rng() % g.n);
    g.rows.assign(p, std::vector<Mask>(g.n, 0));
    for (std::size_t l = 0; l < p; ++l)
        for (unsigned k = 0; k < g.n; ++k) {
            Mask row = 0;
            for (unsigned j = 0; j < g.n; ++j)
                if (coin(density)) row |= Mask{1} << j;
            if (self && !coin(3)) row |= Mask{1} << k;
            if (coin(4)) row = 0;  // an empty row: S^t can shrink
            if (global) {
                row |= Mask{1} << hub;
                if (k == hub) row = g.all();
            }
            g.rows[l][k] = row;
        }
    if (p > 1 && coin(25))
        for (std::size_t l = 1; l < p; ++l) g.rows[l] = g.rows[0];  // one graph
    if (g.n >= 2 && coin(30)) {
        g.extra = Mask{1} << (global ? hub : unsigned(rng() % g.n));
        if (g.n >= 4 && coin(15)) g.extra |= Mask{1} << unsigned(rng() % g.n);
        if (g.extra == g.all()) g.extra &= g.extra - 1;
    }
    if (coin(10) && g.n >= 2) {
        // BigBird's star exactly, on an extra hub, sometimes with extra edges.
        g.extra = Mask{1} << hub;
        for (auto& layer : g.rows)
            for (unsigned k = 0; k < g.n; ++k) layer[k] |= k == hub ? g.all() & ~(coin(50) ? Mask{1} << hub : 0)
                                                                   : (Mask{1} << k) | (Mask{1} << hub);
        if (coin(60))
            for (std::size_t l = 1; l < g.rows.size(); ++l) g.rows[l] = g.rows[0];
    }
    return g;
}

json to_file(const Naive& g, const std::string& name) {
    json layers = json::array();
    for (const auto& layer : g.rows) {
        json attend = json::array();
        for (Mask row : layer) {
            json r = json::array();
            for (unsigned j = 0; j < g.n; ++j)
                if ((row >> j) & 1) r.push_back(j);
            attend.push_back(r);
        }
        layers.push_back({{"attend", attend}});
    }
    json doc = {{"name", name}, {"layers", layers}};
    if (g.extra) {
        json extra = json::array();
        for (unsigned j = 0; j < g.n; ++j)
            if ((g.extra >> j) & 1) extra.push_back(j);
        doc["extra_tokens"] = extra;
    }
    return doc;
}

// check-certificate on `cert`, written beside the side files of the certificate it came from.
sparsecert::testing::CommandResult check(const std::string& pattern, const json& cert, const std::string& name) {
    return sparsecert::testing::run_tool("check-certificate", pattern + " " + sparsecert::testing::write_temp(name, cert.dump()));
}

// False claims, one per field of the certificate: each must be rejected (exit 1 or 2).
std::vector<std::pair<std::string, json>> mutations(const json& cert, unsigned n) {
    std::vector<std::pair<std::string, json>> out;
    auto add = [&](const std::string& what, auto&& change) {
        json c = cert;
        change(c);
        out.emplace_back(what, std::move(c));
    };
    add("format", [](json& c) { c["format"] = "sparsecert-certificate/1"; });
    add("n", [](json& c) { c["n"] = c["n"].get<unsigned>() + 1; });
    add("p", [](json& c) { c["p"] = c["p"].get<unsigned>() + 1; });
    add("extra_tokens", [](json& c) {
        if (c["extra_tokens"].empty()) c["extra_tokens"] = {0};
        else c["extra_tokens"] = json::array();
    });
    add("input_tokens_only", [](json& c) { c["input_tokens_only"]["holds"] = !c["input_tokens_only"]["holds"].get<bool>(); });
    add("self_attention.holds", [](json& c) { c["self_attention"]["holds"] = !c["self_attention"]["holds"].get<bool>(); });
    add("self_attention.missing", [](json& c) {
        auto& m = c["self_attention"]["missing"];
        if (m.empty()) m.push_back({0, 0});
        else m.erase(m.begin());
    });
    add("hamiltonian_path", [n](json& c) {
        if (c["hamiltonian_path"]["holds"] == true) {
            c["hamiltonian_path"] = {{"holds", false}, {"method", "sources"},
                                     {"refutation", {{"kind", "sources"}, {"tokens", {0, n > 1 ? 1 : 0}}}}};
        } else {
            json path = json::array();
            for (unsigned k = 0; k < n; ++k) path.push_back(k);
            c["hamiltonian_path"] = {{"holds", true}, {"method", "identity order"}, {"path", path}};
        }
    });
    add("reachability", [](json& c) {
        auto& r = c["reachability"];
        if (r["holds"] == true) r["s"] = r["s"].is_null() ? 1 : r["s"].get<std::uint64_t>() + 1;
        else r = {{"holds", true}, {"method", "forged"}, {"s", 1}};
    });
    add("star", [](json& c) {
        if (c["star"]["holds"] == true) c["star"] = {{"holds", false}};
        else c["star"] = {{"holds", true}, {"hub", 0}};
    });
    add("one_graph", [](json& c) { c["one_graph"]["holds"] = !c["one_graph"]["holds"].get<bool>(); });
    add("star_in_sequence", [](json& c) {
        if (c["star_in_sequence"]["holds"] == true) c["star_in_sequence"] = {{"holds", false}};
        else c["star_in_sequence"] = {{"holds", true}, {"hub", 0}};
    });
    add("influence", [](json& c) {
        if (c["influence"]["holds"] == true) c["influence"] = {{"holds", false}, {"reason", "forged"}};
        else c["influence"] = {{"holds", true}, {"reason", "forged"}};
    });
    for (std::size_t i = 0; i < cert["theorems"].size(); ++i)
        add("theorems[" + std::to_string(i) + "].applies", [i](json& c) {
            auto& a = c["theorems"][i]["applies"];
            a = a.is_null() ? json(true) : a == true ? json(false) : json(nullptr);
        });
    add("theorems (one dropped)", [](json& c) { c["theorems"].erase(c["theorems"].size() - 1); });
    add("verdict", [](json& c) { c["verdict"] = c["verdict"] == "open" ? "universal" : "open"; });
    add("verdict_p_range", [](json& c) {
        c["verdict_p_range"] = c["verdict_p_range"] == "(1, inf)" ? json("[1, inf)") : json("(1, inf)");
    });
    return out;
}

}  // namespace

TEST_CASE("differential: the naive definitions and verify agree, every certificate checks, every mutation is rejected",
          "[differential][certificate]") {
    // The registry holds exactly the published theorems with their hypotheses as stated.
    const auto registry = theorem_registry();
    REQUIRE(registry.size() == naive_registry().size());
    for (std::size_t i = 0; i < registry.size(); ++i) {
        const auto& t = naive_registry()[i];
        CHECK(registry[i].id == t.id);
        CHECK(registry[i].kind == t.kind);
        CHECK(registry[i].p_range.text() == t.p_range);
        std::vector<std::string> checks;
        for (const auto& h : registry[i].hypotheses) checks.push_back(h.check);
        CHECK(checks == t.checks);
    }

    std::mt19937_64 rng(20261202);
    const std::string dir = sparsecert::testing::temp_dir();
    const int cases = 2500, mutated_every = 25;
    std::map<std::string, int> verdicts;
    int mutated = 0, extra_star = 0, shrinking = 0;
    for (int trial = 0; trial < cases; ++trial) {
        const Naive g = random_pattern(rng);
        const std::string name = "diff-" + std::to_string(trial);
        const json doc = to_file(g, name);
        const std::string file = sparsecert::testing::write_temp(name + ".json", doc.dump());
        INFO(doc.dump());
        const Pattern pattern = load_pattern_file(file);
        const VerifyResult r = verify(pattern);
        const NaiveFacts f = naive_facts(g);

        CHECK(r.self_attention.holds == f.self_attention);
        CHECK(r.hamiltonian_path.holds == std::optional<bool>(f.path));
        CHECK(r.reachability.holds == std::optional<bool>(f.s.has_value()));
        if (f.s) CHECK(r.reachability.s == f.s);
        CHECK(r.input_tokens_only == f.input_only);
        CHECK(r.star.holds == f.star);
        CHECK(r.one_graph == f.one_graph);
        CHECK(r.in_sequence_hub.has_value() == f.in_sequence_hub);
        CHECK(r.influence.holds == std::optional<bool>(f.influence));
        const auto facts = fact_map(f);
        for (std::size_t i = 0; i < r.theorems.size(); ++i) {
            bool all = true;
            for (const auto& c : naive_registry()[i].checks) all = all && facts.at(c);
            CHECK(r.theorems[i].applies == std::optional<bool>(all));
        }
        const std::string v = naive_verdict(f);
        CHECK(r.verdict == v);
        ++verdicts[v];
        extra_star += f.star && f.one_graph;
        shrinking += f.s && !f.self_attention && *f.s > 1;

        // The certificate round-trips through check-certificate...
        const Certificate written = make_certificate(pattern, r, name);
        write_certificate(written, dir + "/" + name + ".cert.json");
        const json cert = json::parse(written.json);
        const auto ok = sparsecert::testing::run_tool("check-certificate", file + " " + dir + "/" + name + ".cert.json");
        INFO(ok.out << ok.err);
        CHECK(ok.status == 0);
        CHECK(ok.out.rfind("valid (n = " + std::to_string(g.n) + "): verdict " + v, 0) == 0);
        // ... and on a subset, every field mutated into a false claim is rejected.
        if (trial % mutated_every != 0) continue;
        ++mutated;
        for (const auto& [what, bad] : mutations(cert, g.n)) {
            const auto res = check(file, bad, name + ".bad.cert.json");
            INFO("mutation " << what << ": " << res.out << res.err);
            CHECK((res.status == 1 || res.status == 2));
        }
    }
    // The sample exercises every verdict, BigBird's theorem as stated, and shrinking S^t.
    CHECK(verdicts["universal"] > 50);
    CHECK(verdicts["not-universal"] > 50);
    CHECK(verdicts["open"] > 50);
    CHECK(extra_star > 20);
    CHECK(shrinking > 5);
    CHECK(mutated == cases / mutated_every);
}
