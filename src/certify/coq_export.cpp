#include "sparsecert/certify/coq_export.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/support/input_error.hpp"

namespace sparsecert {

namespace {

using nlohmann::json;

// Reads the certificate's structure; a structural problem is bad input naming its place.
struct Reader {
    const std::string& file;

    const json& field(const json& obj, const std::string& key, const std::string& place) const {
        if (!obj.is_object() || !obj.contains(key))
            throw InputError(file, place, "missing \"" + key + "\"");
        return obj.at(key);
    }
    // Tokens and counts: non-negative integers. Their range is checked by Coq, not here, so a wrong
    // value reaches the Coq file and fails there; the bound only keeps the Coq literals sane.
    std::uint64_t number(const json& v, const std::string& place) const {
        if (!v.is_number_unsigned() || v.get<std::uint64_t>() > (std::uint64_t{1} << 62))
            throw InputError(file, place, "expected a non-negative integer below 2^62");
        return v.get<std::uint64_t>();
    }
    std::vector<std::uint64_t> numbers(const json& v, const std::string& place) const {
        if (!v.is_array()) throw InputError(file, place, "expected a list of tokens");
        std::vector<std::uint64_t> out;
        out.reserve(v.size());
        for (std::size_t i = 0; i < v.size(); ++i) out.push_back(number(v[i], place + "[" + std::to_string(i) + "]"));
        return out;
    }
    // true, false or null (undetermined).
    std::optional<bool> holds(const json& obj, const std::string& place) const {
        const json& h = field(obj, "holds", place);
        if (h.is_null()) return std::nullopt;
        if (!h.is_boolean()) throw InputError(file, place + ".holds", "expected true, false or null");
        return h.get<bool>();
    }
    std::string text(const json& v, const std::string& place) const {
        if (!v.is_string()) throw InputError(file, place, "expected a string");
        return v.get<std::string>();
    }
};

// A Coq list literal of N numbers.
std::string coq_list(const std::vector<std::uint64_t>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += (i % 16 == 0) ? ";\n  " : "; ";
        out += std::to_string(v[i]);
    }
    return out + "]";
}

// A token set as a Coq iset: maximal runs of consecutive tokens, ascending.
std::string coq_iset(std::vector<std::uint64_t> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    std::string out = "[";
    for (std::size_t i = 0; i < v.size();) {
        std::size_t j = i;
        while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
        if (i) out += "; ";
        out += "(" + std::to_string(v[i]) + ", " + std::to_string(v[j]) + ")";
        i = j + 1;
    }
    return out + "]";
}

// One row of a pattern (sorted CSR row) as runs.
void write_row(std::ostringstream& out, std::span<const token_t> row) {
    out << '[';
    for (std::size_t i = 0; i < row.size();) {
        std::size_t j = i;
        while (j + 1 < row.size() && row[j + 1] == row[j] + 1) ++j;
        if (i) out << "; ";
        out << '(' << row[i] << ", " << row[j] << ')';
        i = j + 1;
    }
    out << ']';
}

// The proof of "checker = true" by computation: the kernel evaluates the checker (VM) when the
// proof is saved, so a false claim fails there.
constexpr const char* by_computation = "vm_cast_no_check (eq_refl true)";

struct Writer {
    const Pattern& p;
    const Reader& rd;
    std::ostringstream out;
    std::vector<std::string> unchecked;
    // The lemmas written so far, by name (the verdict's proof may use only these).
    std::vector<std::string> lemmas;

    bool has(const std::string& name) const { return std::find(lemmas.begin(), lemmas.end(), name) != lemmas.end(); }

    void lemma(const std::string& name, const std::string& statement, const std::string& proof) {
        out << "Lemma " << name << " : " << statement << ".\nProof. " << proof << " Qed.\n\n";
        lemmas.push_back(name);
    }
    void by_check(const std::string& name, const std::string& statement, const std::string& sound_lemma) {
        lemma(name, statement, "apply " + sound_lemma + ". " + by_computation + ".");
    }

    void pattern_data() { out << coq_pattern(p); }

    void self_attention(const json& c) {
        const auto holds = rd.holds(c, "self_attention");
        if (holds == true) {
            out << "(* self_attention: holds *)\n";
            lemma("self_attention", "SelfAttention P",
                  "apply (self_check_sound P wf). " + std::string(by_computation) + ".");
            return;
        }
        if (holds == std::nullopt) {
            unchecked.push_back("self_attention: undetermined in the certificate");
            return;
        }
        const json& missing = rd.field(c, "missing", "self_attention");
        if (!missing.is_array()) throw InputError(rd.file, "self_attention.missing", "expected [pattern, token] pairs");
        out << "(* self_attention: fails; the pairs (pattern, token) that miss themselves, all of them *)\n"
               "Definition missing : list (nat * N) := [";
        for (std::size_t i = 0; i < missing.size(); ++i) {
            const std::string place = "self_attention.missing[" + std::to_string(i) + "]";
            if (!missing[i].is_array() || missing[i].size() != 2) throw InputError(rd.file, place, "expected [pattern, token]");
            out << (i ? (i % 8 == 0 ? ";\n  " : "; ") : "") << '(' << rd.number(missing[i][0], place + "[0]") << "%nat, "
                << rd.number(missing[i][1], place + "[1]") << ')';
        }
        out << "].\n\n";
        lemma("missing_exactly",
              "forall l k, In (l, k) missing <-> (l < p P)%nat /\\ k < n P /\\ ~ attends P l k k",
              "apply (missing_check_sound P missing wf). " + std::string(by_computation) + ".");
        lemma("not_self_attention", "~ SelfAttention P",
              "apply (missing_not_self P missing wf); [" + std::string(by_computation) + "|discriminate].");
    }

    void hamiltonian_path(const json& c) {
        const auto holds = rd.holds(c, "hamiltonian_path");
        if (holds == true) {
            out << "(* hamiltonian_path: holds, along this path *)\n"
                << "Definition gamma : list N := " << coq_list(rd.numbers(rd.field(c, "path", "hamiltonian_path"), "hamiltonian_path.path"))
                << ".\n\n";
            lemma("hamiltonian_path", "HasHamiltonianPath P",
                  "exists gamma. apply path_check_sound. " + std::string(by_computation) + ".");
            return;
        }
        if (holds == std::nullopt) {
            unchecked.push_back("hamiltonian_path: undetermined in the certificate");
            return;
        }
        const json& r = rd.field(c, "refutation", "hamiltonian_path");
        const std::string kind = rd.text(rd.field(r, "kind", "hamiltonian_path.refutation"), "hamiltonian_path.refutation.kind");
        const std::string place = "hamiltonian_path.refutation";
        std::string check;
        if (kind == "sources" || kind == "sinks") {
            auto t = rd.numbers(rd.field(r, "tokens", place), place + ".tokens");
            if (t.size() != 2) throw InputError(rd.file, place + ".tokens", "expected two tokens");
            check = kind + "_check_sound P " + std::to_string(t[0]) + " " + std::to_string(t[1]);
        } else if (kind == "component-order") {
            auto comp = rd.numbers(rd.field(r, "component", place), place + ".component");
            out << "Definition component : list N := " << coq_list(comp) << ".\n\n";
            check = "component_check_sound P component " + std::to_string(rd.number(rd.field(r, "gap", place), place + ".gap"));
        } else if (kind == "hall") {
            out << "Definition hall_set : list N := " << coq_list(rd.numbers(rd.field(r, "tokens", place), place + ".tokens"))
                << ".\n\n";
            check = "hall_check_sound P hall_set";
        } else if (kind == "separator") {
            auto x = rd.numbers(rd.field(r, "tokens", place), place + ".tokens");
            separator_witness(x);
            check = "separator_check_sound P separator separator_label separator_reps";
        } else if (kind == "solver") {
            unchecked.push_back("hamiltonian_path: the refutation is a solver's unsat answer (kind \"solver\"), "
                                "which the Coq file cannot re-check");
            return;
        } else {
            throw InputError(rd.file, place + ".kind", "unknown refutation kind \"" + kind + "\"");
        }
        out << "(* hamiltonian_path: fails, refuted by kind \"" << kind << "\" *)\n";
        lemma("no_hamiltonian_path", "~ HasHamiltonianPath P",
              "apply (" + check + "). " + std::string(by_computation) + ".");
    }

    // The components of the union graph without the separator X (labels: the smallest token of each
    // component) and one token of each: the data separator_check needs besides X. Computed here,
    // checked in Coq.
    void separator_witness(const std::vector<std::uint64_t>& x) {
        std::vector<char> gone(p.n, 0);
        for (auto t : x)
            if (t < p.n) gone[t] = 1;
        std::vector<token_t> parent(p.n);
        std::iota(parent.begin(), parent.end(), 0);
        auto find = [&](token_t a) {
            while (parent[a] != a) a = parent[a] = parent[parent[a]];
            return a;
        };
        for (const auto& layer : p.layers)
            for (token_t k = 0; k < p.n; ++k)
                if (!gone[k])
                    for (token_t j : layer.attended(k))
                        if (!gone[j]) {
                            const token_t a = find(j), b = find(k);
                            if (a != b) parent[std::max(a, b)] = std::min(a, b);
                        }
        std::vector<std::uint64_t> label(p.n, 0), reps;
        for (token_t k = 0; k < p.n; ++k) {
            label[k] = gone[k] ? 0 : find(k);
            if (!gone[k] && find(k) == k) reps.push_back(k);
        }
        out << "Definition separator : list N := " << coq_list(x) << ".\n"
            << "Definition separator_label : list N := " << coq_list(label) << ".\n"
            << "Definition separator_reps : list N := " << coq_list(reps) << ".\n\n";
    }

    void reachability(const json& c) {
        const auto holds = rd.holds(c, "reachability");
        if (holds == std::nullopt) {
            unchecked.push_back("reachability: undetermined in the certificate");
            return;
        }
        if (holds == true) {
            const json& s = rd.field(c, "s", "reachability");
            if (s.is_null()) {
                out << "(* reachability: a finite s exists (self-attention and a strongly connected union graph) *)\n";
                if (!has("self_attention")) {
                    lemma("finite_mixing", "FiniteMixing P",
                          "fail \"the certificate claims a finite s by strong connectivity without self-attention\".");
                    return;
                }
                lemma("finite_mixing", "FiniteMixing P",
                      "apply strongly_connected_mixing; " + std::string(by_computation) + ".");
                return;
            }
            const std::uint64_t sv = rd.number(s, "reachability.s");
            out << "(* reachability: the mixing depth is s = " << sv << " *)\n";
            lemma("mixing_depth", "MixingDepth P " + std::to_string(sv),
                  "apply mixing_check_sound. " + std::string(by_computation) + ".");
            lemma("finite_mixing", "FiniteMixing P", "exact (mixing_depth_finite P _ mixing_depth).");
            return;
        }
        if (c.contains("closure")) {
            out << "(* reachability: fails, token j is in no S_k^t (closure set) *)\n";
            closure_data(c["closure"], "reachability.closure", "reach");
            lemma("no_finite_mixing", "~ FiniteMixing P",
                  "destruct (closure_check_sound P reach_k reach_j reach_R) as [_ [Hk [Hj Hc]]]; [" +
                      std::string(by_computation) + "|]. exact (closure_not_mixing P _ _ _ Hk Hj Hc).");
            return;
        }
        const json& cy = rd.field(c, "cycle", "reachability");
        const auto start = rd.number(rd.field(cy, "start", "reachability.cycle"), "reachability.cycle.start");
        const auto period = rd.number(rd.field(cy, "period", "reachability.cycle"), "reachability.cycle.period");
        out << "(* reachability: fails, S^t repeats from t = " << start << " with period " << period
            << " and is never complete *)\n";
        lemma("no_finite_mixing", "~ FiniteMixing P",
              "apply (cycle_not_mixing P " + std::to_string(start) + " " + std::to_string(period) + "). " +
                  by_computation + ".");
    }

    void closure_data(const json& cl, const std::string& place, const std::string& prefix) {
        out << "Definition " << prefix << "_k : N := " << rd.number(rd.field(cl, "k", place), place + ".k") << ".\n"
            << "Definition " << prefix << "_j : N := " << rd.number(rd.field(cl, "j", place), place + ".j") << ".\n"
            << "Definition " << prefix << "_R : iset := " << coq_iset(rd.numbers(rd.field(cl, "set", place), place + ".set"))
            << ".\n\n";
    }

    // A claim with no evidence beyond the pattern: a lemma for "holds", another for "fails".
    struct Claim {
        std::string comment, name, statement, proof;
    };
    void decided_by_pattern(const json& c, const std::string& key, const Claim& if_true, const Claim& if_false) {
        const auto holds = rd.holds(c, key);
        if (!holds) return;
        const Claim& claim = *holds ? if_true : if_false;
        out << "(* " << key << ": " << claim.comment << " *)\n";
        lemma(claim.name, claim.statement, claim.proof);
    }

    void input_tokens_only(const json& c) {
        decided_by_pattern(c, "input_tokens_only",
                           {"no extra tokens", "input_tokens_only", "InputTokensOnly P", "reflexivity."},
                           {"fails, the pattern has extra tokens", "not_input_tokens_only", "~ InputTokensOnly P", "discriminate."});
    }

    void one_graph(const json& c) {
        const std::string check = std::string(". ") + by_computation + ".";
        decided_by_pattern(c, "one_graph",
                           {"every layer uses the same pattern", "one_graph", "OneGraph P", "apply one_graph_check_sound" + check},
                           {"fails, two patterns differ", "not_one_graph", "~ OneGraph P", "apply not_one_graph_check_sound" + check});
    }

    void star(const json& c) {
        const auto holds = rd.holds(c, "star");
        if (holds == true) {
            const auto h = rd.number(rd.field(c, "hub", "star"), "star.hub");
            out << "(* star: the extra token " << h << " is the hub of BigBird's star *)\n";
            lemma("star", "BigBirdStar P",
                  "exists " + std::to_string(h) + ". apply star_check_sound. " + by_computation + ".");
        } else if (holds == false) {
            out << "(* star: fails, there is not exactly one extra token or it is not a hub *)\n";
            by_check("no_star", "~ BigBirdStar P", "no_star_check_sound");
        }
    }

    void influence(const json& c) {
        const auto holds = rd.holds(c, "influence");
        if (holds == std::nullopt) {
            unchecked.push_back("influence: undetermined in the certificate");
            return;
        }
        if (holds == true) {
            out << "(* influence: every token eventually influences every other *)\n";
            if (has("mixing_depth")) {
                lemma("influence", "Influence P", "exact (mixing_influence P _ wf mixing_depth).");
            } else {
                // Every input token reaches the first input token and back.
                token_t root = 0;
                while (root + 1 < p.n && p.is_extra(root)) ++root;
                by_check("influence", "Influence P", "(influence_check_sound P " + std::to_string(root) + ")");
            }
            return;
        }
        // A closure set: the certificate's, or, for a claimed pair (k, j) without one, the set of
        // tokens k attends to transitively (which is closed; Coq checks that j is outside it).
        out << "(* influence: fails, token j never influences token k (closure set) *)\n";
        if (c.contains("closure")) {
            closure_data(c["closure"], "influence.closure", "infl");
        } else {
            const auto k = rd.number(rd.field(c, "k", "influence"), "influence.k");
            const auto j = rd.number(rd.field(c, "j", "influence"), "influence.j");
            std::vector<std::uint64_t> set;
            if (k < p.n) {
                std::vector<char> in(p.n, 0);
                std::vector<token_t> stack{token_t(k)};
                in[k] = 1;
                while (!stack.empty()) {
                    const token_t r = stack.back();
                    stack.pop_back();
                    set.push_back(r);
                    for (const auto& layer : p.layers)
                        for (token_t a : layer.attended(r))
                            if (!in[a]) { in[a] = 1; stack.push_back(a); }
                }
            }
            out << "Definition infl_k : N := " << k << ".\nDefinition infl_j : N := " << j
                << ".\n(* every token that k attends to, transitively *)\nDefinition infl_R : iset := " << coq_iset(set)
                << ".\n\n";
        }
        lemma("not_influence", "~ Influence P",
              "destruct (closure_check_sound P infl_k infl_j infl_R) as [_ [_ [_ Hc]]]; [" + std::string(by_computation) +
                  "|]. refine (closure_not_influence P infl_k infl_j _ _ _ Hc); apply input_token_check_sound; " +
                  by_computation + ".");
    }

    // The verdict's statement and its proof from the lemmas above; a proof that cannot be given
    // from them fails, so that coqc rejects a verdict its evidence does not support.
    std::string verdict(const std::string& v, const json& cert) {
        auto applies = [&](const std::string& id) -> std::optional<bool> {
            if (!cert.contains("theorems") || !cert["theorems"].is_array()) return std::nullopt;
            for (const auto& th : cert["theorems"])
                if (th.is_object() && th.value("id", "") == id && th.contains("applies") && th["applies"].is_boolean())
                    return th["applies"].get<bool>();
            return std::nullopt;
        };
        auto need = [&](std::initializer_list<const char*> names) {
            for (const char* name : names)
                if (!has(name)) return "fail \"the certificate gives no evidence for " + std::string(name) + "\".";
            return std::string();
        };
        std::vector<std::pair<std::string, std::string>> parts;  // statement, proof term or failing tactic
        if (v == "universal") {
            if (applies("yun2020") == true) {
                auto f = need({"input_tokens_only", "self_attention", "hamiltonian_path", "finite_mixing"});
                parts.emplace_back("Yun2020 P", f.empty() ? "exact (conj input_tokens_only (conj self_attention (conj hamiltonian_path finite_mixing)))." : f);
            }
            if (applies("bigbird2020-star") == true) {
                auto f = need({"star", "one_graph"});
                parts.emplace_back("BigBird2020 P", f.empty() ? "exact (conj star one_graph)." : f);
            }
            if (parts.empty()) parts.emplace_back("Yun2020 P", "fail \"no sufficient theorem is claimed to apply\".");
        } else if (v == "not-universal") {
            auto f = need({"not_influence"});
            parts.emplace_back("~ InfluenceCondition P", f.empty() ? "exact not_influence." : f);
        } else if (v == "open") {
            // Each sufficient theorem fails by a confirmed false hypothesis, or is undetermined
            // (then nothing is stated about it); the necessary condition holds or is undetermined.
            if (has("not_input_tokens_only"))
                parts.emplace_back("~ Yun2020 P", "exact (fun H => not_input_tokens_only (proj1 H)).");
            else if (has("not_self_attention"))
                parts.emplace_back("~ Yun2020 P", "exact (fun H => not_self_attention (proj1 (proj2 H))).");
            else if (has("no_hamiltonian_path"))
                parts.emplace_back("~ Yun2020 P", "exact (fun H => no_hamiltonian_path (proj1 (proj2 (proj2 H)))).");
            else if (has("no_finite_mixing"))
                parts.emplace_back("~ Yun2020 P", "exact (fun H => no_finite_mixing (proj2 (proj2 (proj2 H)))).");
            else
                unchecked.push_back("verdict: that yun2020 does not apply is not stated (no hypothesis confirmed false in Coq)");
            if (has("no_star"))
                parts.emplace_back("~ BigBird2020 P", "exact (fun H => no_star (proj1 H)).");
            else if (has("not_one_graph"))
                parts.emplace_back("~ BigBird2020 P", "exact (fun H => not_one_graph (proj2 H)).");
            else
                unchecked.push_back("verdict: that bigbird2020-star does not apply is not stated (no hypothesis confirmed false in Coq)");
            if (has("influence")) parts.emplace_back("InfluenceCondition P", "exact influence.");
            if (parts.empty()) parts.emplace_back("True", "exact I.");
        } else {
            throw InputError(rd.file, "verdict", "expected \"universal\", \"not-universal\" or \"open\"");
        }
        std::string statement, proof;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            statement += (i ? " /\\ " : "") + parts[i].first;
            if (i + 1 < parts.size()) proof += "split; [" + parts[i].second.substr(0, parts[i].second.size() - 1) + "|]. ";
            else proof += parts[i].second;
        }
        out << "(* The verdict \"" << v << "\": " << (v == "universal" ? "the hypotheses of the theorems that decide it hold"
                                                     : v == "not-universal" ? "the necessary condition fails"
                                                                            : "what is confirmed about each theorem")
            << " (Verdict.v). *)\n"
            << "Theorem verdict : " << statement << ".\nProof. " << proof << " Qed.\n\n"
            << "Print Assumptions verdict.\n";
        return statement;
    }
};

}  // namespace

std::string coq_pattern(const Pattern& p) {
    std::ostringstream out;
    for (std::size_t l = 0; l < p.p(); ++l) {
        out << "Definition A" << l << " : list iset := [\n";
        for (token_t k = 0; k < p.n; ++k) {
            out << "  ";
            write_row(out, p.layers[l].attended(k));
            out << (k + 1 < p.n ? ";\n" : "\n");
        }
        out << "].\n\n";
    }
    out << "Definition P : pattern := {| n := " << p.n << "; layers := [";
    for (std::size_t l = 0; l < p.p(); ++l) out << (l ? "; A" : "A") << l;
    out << "]; extra := " << coq_list({p.extra_tokens.begin(), p.extra_tokens.end()}) << " |}.\n\n";
    return out.str();
}

CoqCertificate coq_certificate(const Pattern& pattern, const std::string& certificate_text,
                               const std::string& certificate_file) {
    const json cert = parse_json_text(certificate_text, certificate_file);
    Reader rd{certificate_file};
    Writer w{pattern, rd, {}, {}, {}};
    w.out << "(* The certificate " << certificate_file << " for the pattern \"" << pattern.name << "\" (n = " << pattern.n
          << ", p = " << pattern.p() << "), written by check-certificate --coq.\n"
          << "   Check it with: coqc -Q <build>/coq Sparsecert <this file> (docs/trust.md, \"The Coq check\"). *)\n"
          << "From Coq Require Import NArith List.\n"
          << "From Sparsecert Require Import Sets Theory Facts Checkers Refutations Verdict.\n"
          << "Import ListNotations.\nLocal Open Scope N_scope.\n\n";
    w.pattern_data();
    w.out << "(* The certificate is for n = " << rd.number(rd.field(cert, "n", ""), "n") << " and p = "
          << rd.number(rd.field(cert, "p", ""), "p") << ". *)\n";
    w.lemma("size", "n P = " + std::to_string(rd.number(cert["n"], "n")) + " /\\ p P = " +
                        std::to_string(rd.number(cert["p"], "p")) + "%nat",
            "split; reflexivity.");
    w.by_check("wf", "WellFormed P", "wf_check_sound");
    if (cert.contains("input_tokens_only")) w.input_tokens_only(cert["input_tokens_only"]);
    w.self_attention(rd.field(cert, "self_attention", ""));
    w.hamiltonian_path(rd.field(cert, "hamiltonian_path", ""));
    w.reachability(rd.field(cert, "reachability", ""));
    if (cert.contains("star")) w.star(cert["star"]);
    if (cert.contains("one_graph")) w.one_graph(cert["one_graph"]);
    if (cert.contains("star_in_sequence"))
        w.unchecked.push_back("star_in_sequence: the hypothesis of a conjecture, which never decides a verdict");
    if (cert.contains("influence")) w.influence(cert["influence"]);
    CoqCertificate out;
    out.statement = w.verdict(rd.text(rd.field(cert, "verdict", ""), "verdict"), cert);
    out.text = w.out.str();
    out.unchecked = std::move(w.unchecked);
    return out;
}

}  // namespace sparsecert
