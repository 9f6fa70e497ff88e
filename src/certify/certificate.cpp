#include "sparsecert/certify/certificate.hpp"
#include "sparsecert/version.hpp"

#include <fstream>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace sparsecert {

namespace {

using nlohmann::json;

json optional_bool(const std::optional<bool>& v) { return v ? json(*v) : json(nullptr); }

json closure_json(const ClosureSet& c) {
    return {{"k", c.k}, {"j", c.j}, {"set", c.members}};
}

// Condition 2 (docs/theory.md section 2): the path, or a refutation of one of the kinds docs/trust.md
// lists. The search's "scc-chain" is the checker's "component-order": labels that never decrease
// along an edge, and a gap between consecutive labels that no edge bridges.
json path_json(CheckedPattern pattern, const HamiltonianResult& h, const std::string& stem,
               Certificate& out) {
    json j = {{"holds", optional_bool(h.holds)}, {"method", h.method}};
    if (h.holds == true) {
        j["path"] = h.path;
        return j;
    }
    if (h.holds == std::nullopt || !h.refutation) {
        j["reason"] = h.reason;
        return j;
    }
    const auto& r = *h.refutation;
    json ref;
    if (r.kind == "scc-chain") {
        ref = {{"kind", "component-order"}, {"component", r.component}, {"gap", r.first_component}};
    } else if (r.kind == "sources" || r.kind == "sinks" || r.kind == "hall" || r.kind == "separator") {
        ref = {{"kind", r.kind}, {"tokens", r.tokens}};
    } else {
        // "solver" (Z3 answered unsat) or "exhaustive-search" (the DFS exhausted every start):
        // no small certificate exists, so the exact encoding goes beside the certificate and the
        // checker re-decides the question with an independent solver on its own encoding.
        const std::string file = stem + ".path.smt2";
        out.side_files.emplace_back(file, r.kind == "solver" && !r.encoding.empty()
                                              ? r.encoding
                                              : hamiltonian_smt2(union_graph(pattern)));
        ref = {{"kind", "solver"}, {"file", file}, {"decided_by", r.kind}};
    }
    j["refutation"] = ref;
    return j;
}

// Condition 3: s with a witness that s - 1 is not enough (and the hub certificate when the search
// used one); "never" with a closure set over all tokens, or with the repeat of (S^t, t mod p).
json reachability_json(const VerifyResult& v) {
    const auto& r = v.reachability;
    json j = {{"holds", optional_bool(r.holds)}, {"method", r.method}};
    if (r.holds == true) {
        j["s"] = r.s ? json(*r.s) : json(nullptr);
        if (!r.s) {
            // Existence proven without s (reachability.hpp): with self-attention S_k^t grows
            // along every union edge once per cycle, so a strongly connected union graph suffices.
            j["by"] = "strongly-connected";
            if (r.s_lower) j["s_lower"] = *r.s_lower;
            if (r.s_upper) j["s_upper"] = *r.s_upper;
        }
        if (r.below_s_witness) j["below_s"] = {r.below_s_witness->first, r.below_s_witness->second};
        if (r.hub) j["hub"] = {{"token", r.hub->first}, {"split", r.hub->second}};
    } else if (r.holds == false) {
        if (v.reachability_closure) j["closure"] = closure_json(*v.reachability_closure);
        else if (r.cycle_start && r.period) j["cycle"] = {{"start", *r.cycle_start}, {"period", *r.period}};
        if (r.unreached) j["unreached"] = {r.unreached->first, r.unreached->second};
    } else {
        j["reason"] = r.reason;
    }
    return j;
}

// The fact "every input token eventually influences every input token" (with the residual
// connection: closure.hpp): a closure set refutes it; that it holds is two graph searches, which
// the checker repeats.
json influence_json(const VerifyResult& v) {
    json j = {{"holds", optional_bool(v.influence.holds)}};
    if (v.closure) j["closure"] = closure_json(*v.closure);
    j["reason"] = v.influence.reason;
    return j;
}

json hub_json(bool holds, const std::optional<token_t>& hub) {
    json j = {{"holds", holds}};
    if (hub) j["hub"] = *hub;
    return j;
}

}  // namespace

Certificate make_certificate(CheckedPattern checked, const VerifyResult& v, const std::string& stem) {
    const Pattern& pattern = *checked;
    Certificate out;
    json missing = json::array();
    if (!v.self_attention.holds)
        for (const auto& [l, k] : check_self_attention(checked, std::numeric_limits<std::size_t>::max()).missing)
            missing.push_back({l, k});

    json theorems = json::array();
    const auto registry = theorem_registry();
    for (const auto& t : v.theorems) {
        json hyps = json::array();
        for (const auto& th : registry)
            if (th.id == t.id)
                for (const auto& h : th.hypotheses) hyps.push_back(h.check);
        theorems.push_back({{"id", t.id}, {"kind", t.kind}, {"p_range", t.p_range.text()},
                            {"applies", optional_bool(t.applies)}, {"hypotheses", hyps}, {"reason", t.reason}});
    }

    json doc = {{"format", certificate_format},
                {"sparsecert_version", version},  // which program wrote it; the checker trusts nothing in it
                {"pattern", v.name},
                {"n", v.n},
                {"p", v.p},
                {"extra_tokens", v.extra_tokens},
                {"input_tokens_only", {{"holds", v.input_tokens_only}}},
                {"self_attention", {{"holds", v.self_attention.holds}, {"missing", missing}}},
                {"hamiltonian_path", path_json(checked, v.hamiltonian_path, stem, out)},
                {"reachability", reachability_json(v)},
                {"star", hub_json(v.star.holds, v.star.hub)},
                {"one_graph", {{"holds", v.one_graph}}},
                {"star_in_sequence", hub_json(v.in_sequence_hub.has_value(), v.in_sequence_hub)},
                {"influence", influence_json(v)},
                {"theorems", theorems},
                {"verdict", v.verdict},
                {"verdict_p_range", v.verdict_p_range ? json(v.verdict_p_range->text()) : json(nullptr)}};
    out.json = doc.dump(1) + "\n";
    return out;
}

void write_certificate(const Certificate& c, const std::filesystem::path& file) {
    auto write = [](const std::filesystem::path& f, const std::string& text) {
        std::ofstream out(f, std::ios::binary);
        out << text;
        out.close();
        if (!out) throw std::runtime_error(f.string() + ": cannot write the certificate");
    };
    write(file, c.json);
    for (const auto& [name, text] : c.side_files) write(file.parent_path() / name, text);
}

}  // namespace sparsecert
