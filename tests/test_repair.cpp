// Repair (sparsecert/repair/, docs/repair.md): the failing catalogue patterns repaired and
// re-verified with a certificate, and every minimum the library calls exact checked against a
// deliberately naive brute force on small patterns (the definitions of docs/theory.md, nothing
// shared with the library but the Pattern type).
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <cstdint>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "test_support.hpp"
#include "sparsecert/certify/certificate.hpp"
#include "sparsecert/conditions/hamiltonian.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/repair/path_completion.hpp"
#include "sparsecert/repair/repair.hpp"
#include "sparsecert/repair/strong_connectivity.hpp"

using namespace sparsecert;
using sparsecert::testing::Rng;
using sparsecert::testing::rows_layer;
using sparsecert::testing::run_tool;
using sparsecert::testing::source_path;
using sparsecert::testing::temp_dir;

namespace {

using Rows = std::vector<std::vector<token_t>>;  // rows[k]: A_k, any order
using Masks = std::vector<std::vector<std::uint32_t>>;  // masks[l][k]: A_k^l as a bit set

Pattern pattern_of(const Masks& masks) {
    Pattern p;
    p.name = "small";
    p.n = token_t(masks[0].size());
    for (const auto& layer : masks) {
        Rows rows(p.n);
        for (token_t k = 0; k < p.n; ++k)
            for (token_t j = 0; j < p.n; ++j)
                if (layer[k] >> j & 1) rows[k].push_back(j);
        p.layers.push_back(rows_layer(rows));
    }
    return p;
}

// The union graph's edges as out-masks: out[j] has bit k when k attends to j != k somewhere.
std::vector<std::uint32_t> union_out(const Masks& masks) {
    const std::size_t n = masks[0].size();
    std::vector<std::uint32_t> out(n, 0);
    for (const auto& layer : masks)
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t j = 0; j < n; ++j)
                if (j != k && (layer[k] >> j & 1)) out[j] |= 1u << k;
    return out;
}

bool naive_hamiltonian(const std::vector<std::uint32_t>& out) {
    std::vector<int> order(out.size());
    std::iota(order.begin(), order.end(), 0);
    do {
        bool ok = true;
        for (std::size_t i = 1; i < order.size() && ok; ++i) ok = out[order[i - 1]] >> order[i] & 1;
        if (ok) return true;
    } while (std::next_permutation(order.begin(), order.end()));
    return false;
}

bool naive_strongly_connected(const std::vector<std::uint32_t>& out) {
    const std::size_t n = out.size();
    for (std::size_t v = 0; v < n; ++v) {
        std::uint32_t seen = 1u << v, frontier = seen;
        while (frontier) {
            std::uint32_t next = 0;
            for (std::size_t u = 0; u < n; ++u)
                if (frontier >> u & 1) next |= out[u];
            frontier = next & ~seen;
            seen |= next;
        }
        if (seen != (1u << n) - 1) return false;
    }
    return true;
}

// S_k^t straight from the definition (docs/theory.md section 2), any pattern; a finite s exists when
// some t up to the number of states makes every set complete.
bool naive_finite_s(const Masks& masks) {
    const std::size_t n = masks[0].size(), p = masks.size();
    const std::uint32_t all = (1u << n) - 1;
    std::vector<std::uint32_t> s(masks[0]);
    for (std::size_t t = 1; t <= 64 * p; ++t) {
        if (std::all_of(s.begin(), s.end(), [&](std::uint32_t x) { return x == all; })) return true;
        const auto& layer = masks[t % p];
        std::vector<std::uint32_t> next(n, 0);
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t j = 0; j < n; ++j)
                if (layer[k] >> j & 1) next[k] |= s[j];
        s = next;
    }
    return false;
}

bool self_attention(const Masks& masks) {
    for (const auto& layer : masks)
        for (std::size_t k = 0; k < layer.size(); ++k)
            if (!(layer[k] >> k & 1)) return false;
    return true;
}

bool naive_yun(const Masks& masks) {
    return self_attention(masks) && naive_finite_s(masks) && naive_hamiltonian(union_out(masks));
}

// The fewest connections (l, k, j) whose addition makes `holds` true, by subsets of growing
// size; -1 when none up to `max_size` does. With force_self_loops (Yun et al.'s theorem requires
// self-attention) a missing self-loop is in every solution: those are added first and counted.
template <typename Holds>
int brute_force_minimum(const Masks& masks, Holds holds, int max_size, bool force_self_loops = true) {
    struct Pair {
        std::size_t l, k, j;
    };
    Masks base = masks;
    int forced = 0;
    for (auto& layer : base)
        for (std::size_t k = 0; k < layer.size() && force_self_loops; ++k)
            if (!(layer[k] >> k & 1)) layer[k] |= 1u << k, ++forced;
    std::vector<Pair> absent;
    for (std::size_t l = 0; l < base.size(); ++l)
        for (std::size_t k = 0; k < base[l].size(); ++k)
            for (std::size_t j = 0; j < base[l].size(); ++j)
                if (!(base[l][k] >> j & 1)) absent.push_back({l, k, j});
    for (int size = 0; forced + size <= max_size && size <= int(absent.size()); ++size) {
        std::vector<int> pick(size);
        std::iota(pick.begin(), pick.end(), 0);
        while (true) {
            Masks m = base;
            for (int i : pick) m[absent[i].l][absent[i].k] |= 1u << absent[i].j;
            if (holds(m)) return forced + size;
            int i = size - 1;
            while (i >= 0 && pick[i] == int(absent.size()) - size + i) --i;
            if (i < 0) break;
            ++pick[i];
            for (int r = i + 1; r < size; ++r) pick[r] = pick[r - 1] + 1;
        }
    }
    return -1;
}

// A random pattern over n tokens; self-loops present with probability self_percent.
Masks random_masks(Rng& rng, std::size_t n, std::size_t p, unsigned edge_percent, unsigned self_percent) {
    Masks m(p, std::vector<std::uint32_t>(n, 0));
    for (auto& layer : m)
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t j = 0; j < n; ++j)
                if (j == k ? rng.chance(self_percent) : rng.chance(edge_percent)) layer[k] |= 1u << j;
    return m;
}

std::vector<std::uint32_t> out_masks_of(const Layer& union_in) {
    std::vector<std::uint32_t> out(union_in.size(), 0);
    for (token_t k = 0; k < union_in.size(); ++k)
        for (token_t j : union_in.attended(k)) out[j] |= 1u << k;
    return out;
}

// The minimum number of edges to add for a Hamiltonian path: over every order, the consecutive
// pairs the graph lacks.
int naive_path_completion(const std::vector<std::uint32_t>& out, bool forward_only) {
    std::vector<int> order(out.size());
    std::iota(order.begin(), order.end(), 0);
    int best = -1;
    do {
        int missing = 0;
        bool ok = true;
        for (std::size_t i = 1; i < order.size() && ok; ++i)
            if (!(out[order[i - 1]] >> order[i] & 1)) {
                ++missing;
                ok = !forward_only || order[i - 1] < order[i];
            }
        if (ok && (best < 0 || missing < best)) best = missing;
    } while (std::next_permutation(order.begin(), order.end()));
    return best;
}

RepairResult repair_of(const Pattern& p, RepairOptions o = {}) {
    o.verify.timeout_seconds = 10;
    return repair(p, verify(p, o.verify), o);
}

}  // namespace

TEST_CASE("path completion: exact minimum against brute force", "[repair]") {
    Rng rng{15};
    int nontrivial = 0;
    for (int trial = 0; trial < 300; ++trial) {
        const std::size_t n = 2 + trial % 7;
        const Masks m = random_masks(rng, n, 1, 10 + unsigned(trial % 4) * 12, 100);
        const Pattern p = pattern_of(m);
        const Layer in = union_graph(p);
        const auto out = union_out(m);
        for (bool forward : {false, true}) {
            INFO("trial " << trial << " n " << n << " forward " << forward);
            PathCompletionOptions o;
            o.forward_only = forward;
            const int truth = naive_path_completion(out, forward);
            const PathCompletion exact = complete_hamiltonian_path(in, o);
            REQUIRE(exact.found);
            CHECK(exact.exact);
            CHECK(int(exact.added.size()) == truth);
            // The path is a Hamiltonian path of the graph with the added edges.
            auto with = out;
            for (const auto& e : exact.added) with[e.from] |= 1u << e.to;
            for (std::size_t i = 1; i < exact.path.size(); ++i) CHECK((with[exact.path[i - 1]] >> exact.path[i] & 1));
            // The construction for large graphs, forced: a valid bound and a valid completion,
            // exact whenever it says so.
            o.exact_max_n = 0;
            const PathCompletion built = complete_hamiltonian_path(in, o);
            REQUIRE(built.found);
            CHECK(int(built.lower_bound) <= truth);
            CHECK(int(built.added.size()) >= truth);
            if (built.exact) CHECK(int(built.added.size()) == truth);
            with = out;
            for (const auto& e : built.added) {
                if (forward) CHECK(e.from < e.to);
                with[e.from] |= 1u << e.to;
            }
            REQUIRE(built.path.size() == n);
            CHECK(std::set<token_t>(built.path.begin(), built.path.end()).size() == n);
            for (std::size_t i = 1; i < n; ++i) CHECK((with[built.path[i - 1]] >> built.path[i] & 1));
            nontrivial += truth > 0;
        }
    }
    CHECK(nontrivial > 100);
}

TEST_CASE("strong connectivity: Eswaran-Tarjan count against brute force", "[repair]") {
    Rng rng{1976};
    int augmented = 0;
    for (int trial = 0; trial < 300; ++trial) {
        const std::size_t n = 1 + trial % 6;
        const Masks m = random_masks(rng, n, 1, 5 + unsigned(trial % 5) * 8, 100);
        const Layer in = union_graph(pattern_of(m));
        const auto aug = strongly_connect(in);
        INFO("trial " << trial);
        REQUIRE(aug.found);
        auto with = union_out(m);
        for (const auto& e : aug.added) with[e.from] |= 1u << e.to;
        CHECK(naive_strongly_connected(with));
        // The minimum over subsets of absent edges (self-loops present, so only union edges count).
        const int truth = brute_force_minimum(m, [](const Masks& x) { return naive_strongly_connected(union_out(x)); }, 6);
        REQUIRE(truth >= 0);
        CHECK(int(aug.added.size()) == truth);
        augmented += truth > 0;
    }
    CHECK(augmented > 100);
}

TEST_CASE("repair toward yun2020: exact on small patterns against brute force", "[repair]") {
    Rng rng{2020};
    int repaired = 0, exact = 0;
    for (int trial = 0; trial < 120; ++trial) {
        const std::size_t p = 1 + trial % 2, n = 2 + (trial / 2) % (p == 1 ? 4 : 3);
        const Masks m = random_masks(rng, n, p, 15 + unsigned(trial % 3) * 10, 85);
        const Pattern pattern = pattern_of(m);
        const RepairResult r = repair_of(pattern);
        INFO("trial " << trial << " n " << n << " p " << p << ": " << r.reason);
        if (naive_yun(m)) {
            CHECK(r.status == RepairStatus::already_holds);
            continue;
        }
        REQUIRE(r.status == RepairStatus::repaired);
        ++repaired;
        // The repaired pattern: the original plus exactly the listed connections, and yun2020 holds.
        Masks fixed = m;
        for (const auto& a : r.added) fixed[a.pattern][a.token] |= 1u << a.attends;
        CHECK(naive_yun(fixed));
        CHECK(r.verified->verdict == "universal");
        const int truth = brute_force_minimum(m, naive_yun, int(r.added.size()));
        REQUIRE(truth >= 0);
        CHECK(int(r.lower_bound) <= truth);
        CHECK(int(r.added.size()) >= truth);
        if (r.exact) CHECK(int(r.added.size()) == truth);
        exact += r.exact;
    }
    CHECK(repaired > 60);
    CHECK(exact == repaired);  // n <= 5: the path search and the joint order search are exact
}

TEST_CASE("repair toward bigbird2020-star: exact on small patterns against brute force", "[repair]") {
    // Zaheer et al. 2020, Definition 1 and Theorem 1: exactly one extra token x_0; every input token
    // attends to itself and to x_0, x_0 attends to every input token; one graph in every layer.
    auto star = [](const Masks& x, std::size_t hub) {
        const std::size_t n = x[0].size();
        for (const auto& layer : x) {
            if (layer != x[0]) return false;
            for (std::size_t k = 0; k < n; ++k)
                if (k != hub && !((layer[k] >> k & 1) && (layer[k] >> hub & 1) && (layer[hub] >> k & 1))) return false;
        }
        return true;
    };
    Rng rng{2007};
    int with_own = 0, with_new = 0;
    for (int trial = 0; trial < 80; ++trial) {
        const std::size_t p = 1 + trial % 2, n = 2 + (trial / 2) % 3;
        Masks m = random_masks(rng, n, p, 60, 80);
        const bool own = trial % 3 != 0;  // the pattern declares one extra token, else none
        const std::size_t hub = own ? std::size_t(rng.next() % n) : n;
        Pattern pattern = pattern_of(m);
        if (own) pattern.extra_tokens = {token_t(hub)};
        RepairOptions o;
        o.theorem = "bigbird2020-star";
        const RepairResult r = repair_of(pattern, o);
        INFO("trial " << trial << ": " << r.reason);
        if (own && star(m, hub)) {
            CHECK(r.status == RepairStatus::already_holds);
            continue;
        }
        REQUIRE(r.status == RepairStatus::repaired);
        CHECK(r.exact);
        CHECK(r.verified->star.holds);
        if (own) {
            CHECK_FALSE(r.extra_token_added);
            CHECK(int(r.added.size()) ==
                  brute_force_minimum(m, [&](const Masks& x) { return star(x, hub); }, int(r.added.size()), false));
            ++with_own;
        } else {
            // A new extra token n (an empty row in every layer): every connection the star and the one
            // graph need, counted naively.
            REQUIRE(r.extra_token_added == token_t(n));
            CHECK(r.repaired->n == n + 1);
            CHECK(r.repaired->is_extra(token_t(n)));
            std::size_t needed = 0;
            for (const auto& layer : m)
                for (std::size_t k = 0; k < n; ++k) {
                    std::uint32_t d = 1u << k;
                    for (const auto& other : m) d |= other[k];
                    needed += __builtin_popcount(d & ~layer[k]) + 1;  // + the new token
                }
            needed += p * n;  // the new token's row: every input token
            CHECK(r.added.size() == needed);
            ++with_new;
        }
    }
    CHECK(with_own > 10);
    CHECK(with_new > 10);
}

TEST_CASE("repair: the failing catalogue patterns are repaired and re-verified with a certificate", "[repair]") {
    struct Case {
        std::string file;
        std::uint64_t n;
        std::uint64_t added;
        bool exact;
    };
    // causal-window: one edge (token 0 attends to n-1) closes the chain into a cycle;
    // dilated-window: one edge joins the two parity classes into a path, one more closes it;
    // xformers-global: the n-1 missing self-loops, then n-3 edges complete a path through the star;
    // random: 62 paths at least (a maximum matching), chained so that the union is strongly connected.
    const std::vector<Case> cases = {{"causal-window.json", 1024, 1, true},
                                     {"dilated-window.json", 1024, 2, true},
                                     {"xformers-global.json", 1024, 1023 + 1021, true},
                                     {"global-tokens.json", 256, 253, true},
                                     {"random.json", 1024, 61, true}};
    for (const auto& c : cases) {
        INFO(c.file);
        const Pattern p = load_pattern_file(source_path("patterns/" + c.file), c.n);
        const RepairResult r = repair_of(p);
        REQUIRE(r.status == RepairStatus::repaired);
        CHECK(r.lower_bound <= r.added.size());
        CHECK(r.added.size() == c.added);
        CHECK(r.exact == c.exact);
        REQUIRE(r.repaired);
        // The added connections are exactly the difference.
        CHECK(r.repaired->connections() == p.connections() + r.added.size());
        CHECK(r.verified->verdict == "universal");
        // Written as a pattern file, loaded back, and its certificate checked by check-certificate.
        const std::string stem = temp_dir() + "/repaired-" + std::to_string(&c - cases.data());
        {
            std::ofstream(stem + ".json") << to_explicit_json(*r.repaired).dump() << "\n";
        }
        const Pattern loaded = load_pattern_file(stem + ".json");
        CHECK(loaded.layers == r.repaired->layers);
        write_certificate(make_certificate(loaded, *r.verified, "repaired"), stem + ".cert.json");
        const auto checked = run_tool("check-certificate", stem + ".json " + stem + ".cert.json");
        INFO(checked.out << checked.err);
        CHECK(checked.status == 0);
        CHECK(checked.out.rfind("valid", 0) == 0);
    }
}

TEST_CASE("repair: constraints, and one line when no repair exists", "[repair]") {
    const Pattern causal = load_pattern_file(source_path("patterns/causal-window.json"), 64);
    RepairOptions o;
    o.keep_causal = true;
    RepairResult r = repair_of(causal, o);
    CHECK(r.status == RepairStatus::impossible);
    CHECK_THAT(r.reason, Catch::Contains("token 0 attends to no later token"));
    CHECK(r.reason.find('\n') == std::string::npos);

    // A causal pattern without the chain: the path completes (exactly) under causality.
    Pattern gaps;
    gaps.n = 6;
    gaps.layers.push_back(rows_layer({{0, 5}, {1}, {1, 2}, {3}, {3, 4}, {4, 5}}));  // token 0 attends to 5
    r = repair_of(gaps, o);
    REQUIRE(r.status == RepairStatus::repaired);
    for (const auto& a : r.added) CHECK(a.attends <= a.token);
    CHECK(r.exact);
    CHECK(r.added.size() == 2);  // 1 -> 2 exists; 0 -> 1 and 2 -> 3 are missing

    // Star under causality: impossible.
    o.theorem = "bigbird2020-star";
    r = repair_of(causal, o);
    CHECK(r.status == RepairStatus::impossible);

    // Budgets: 0 allows nothing; 1 is enough for the self-loops of xformers-global but not for a hub.
    const Pattern xg = load_pattern_file(source_path("patterns/xformers-global.json"), 32);
    RepairOptions b;
    b.budget = 0;
    r = repair_of(xg, b);
    CHECK(r.status == RepairStatus::impossible);
    CHECK_THAT(r.reason, Catch::Contains("--budget 0"));
    b.budget = 2;
    r = repair_of(xg, b);
    REQUIRE(r.status == RepairStatus::repaired);
    for (std::size_t l = 0; l < r.repaired->p(); ++l)
        for (token_t k = 0; k < xg.n; ++k)
            CHECK(r.repaired->layers[l].degree(k) <= xg.layers[l].degree(k) + 2);
    // With 1, the self-loops use up every leaf's budget: a leaf can only follow the hub on a path.
    b.budget = 1;
    r = repair_of(xg, b);
    CHECK(r.status == RepairStatus::impossible);
    CHECK_THAT(r.reason, Catch::Contains("a maximum matching gives at most 2 of the 31 tokens after the first"));
    CHECK(r.reason.find('\n') == std::string::npos);
}

TEST_CASE("repair: the trade-off between connections and s", "[repair]") {
    const Pattern causal = load_pattern_file(source_path("patterns/causal-window.json"), 256);
    const RepairResult r = repair_of(causal);
    REQUIRE(r.status == RepairStatus::repaired);
    REQUIRE(r.mixing.size() == 3);
    CHECK(r.mixing[0].added == 1);
    REQUIRE(r.mixing[0].s.has_value());
    CHECK(*r.mixing[0].s == *r.verified->reachability.s);
    CHECK(r.mixing[1].s == 2u);  // one global token
    CHECK(r.mixing[2].s == 1u);  // dense
    CHECK(r.mixing[2].added == 256u * 256u - causal.connections());
    for (std::size_t i = 1; i < r.mixing.size(); ++i) CHECK(r.mixing[i - 1].added <= r.mixing[i].added);
}

TEST_CASE("sparsecert repair: the command, its files and exit codes", "[repair]") {
    const std::string out = temp_dir() + "/cli-repaired.json";
    auto r = run_tool("sparsecert", "repair " + source_path("patterns/dilated-window.json") + " --n 256 --out " + out);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.err.empty());
    CHECK_THAT(r.out, Catch::Contains("total: 2 connections added, lower bound 2: the minimum"));
    CHECK_THAT(r.out, Catch::Contains("written: " + out + " (the repair toward yun2020)"));
    const std::string cert = temp_dir() + "/cli-repaired.cert.json";
    auto c = run_tool("check-certificate", out + " " + cert);
    INFO(c.out << c.err);
    CHECK(c.status == 0);
    auto v = run_tool("verify-pattern", out);
    CHECK(v.status == 0);  // universal

    r = run_tool("sparsecert", "repair --json --theorem yun2020 " + source_path("patterns/xformers-global.json") + " --n 64");
    REQUIRE(r.status == 0);
    const auto doc = nlohmann::json::parse(r.out);
    REQUIRE(doc.at("repairs").size() == 1);
    const auto& rep = doc.at("repairs")[0];
    CHECK(rep.at("status") == "repaired");
    CHECK(rep.at("added_count") == 63 + 61);
    CHECK(rep.at("added").size() == 63 + 61);
    CHECK(rep.at("lower_bound") == 63 + 61);
    CHECK(rep.at("exact") == true);
    CHECK(doc.at("written").is_null());

    r = run_tool("sparsecert", "repair --keep-causal " + source_path("patterns/causal-window.json"));
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("no repair exists: under --keep-causal token 0 attends to no later token"));

    auto bad = [](const std::string& args, const std::string& text) {
        auto b = run_tool("sparsecert", "repair " + args);
        INFO(args << ": " << b.err);
        CHECK(b.status == 2);
        CHECK(b.out.empty());
        CHECK(std::count(b.err.begin(), b.err.end(), '\n') == 1);
        CHECK_THAT(b.err, Catch::Contains(text));
    };
    bad(source_path("patterns/star.json") + " --theorem nope", "--theorem: 'nope' is not one of");
    bad("/nonexistent.json", "/nonexistent.json");
    bad(source_path("patterns/star.json") + " --certificate x.json", "--certificate: needs --out");
}
