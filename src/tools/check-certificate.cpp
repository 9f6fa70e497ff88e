// check-certificate PATTERN CERTIFICATE: re-checks a verify-pattern certificate against the pattern
// with deliberately simple algorithms. It shares no code with the search algorithms: only the
// pattern file loader (pattern_io.hpp) and the CSR model (pattern.hpp). docs/trust.md says what a
// user must trust for each kind of verdict. Exit status: 0 valid, 1 invalid, 2 bad input.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "sparsecert/support/input_error.hpp"
#include "sparsecert/pattern/pattern_io.hpp"

namespace {

using sparsecert::Pattern;
using sparsecert::token_t;
using nlohmann::json;

// A failed check: the message says exactly what is wrong.
struct Invalid {
    std::string message;
};

// A malformed certificate file (not a wrong claim): exit status 2.
struct Malformed {
    std::string place, problem;
};

const json& field(const json& obj, const std::string& key, const std::string& place) {
    if (!obj.is_object() || !obj.contains(key)) throw Malformed{place, "missing \"" + key + "\""};
    return obj.at(key);
}

std::uint64_t as_uint(const json& v, const std::string& place) {
    if (!v.is_number_unsigned()) throw Malformed{place, "expected a non-negative integer"};
    return v.get<std::uint64_t>();
}

token_t as_token(const json& v, const Pattern& p, const std::string& place) {
    auto t = as_uint(v, place);
    if (t >= p.n) throw Invalid{place + ": token " + std::to_string(t) + " is out of range (n = " +
                                std::to_string(p.n) + ")"};
    return token_t(t);
}

std::vector<token_t> token_list(const json& v, const Pattern& p, const std::string& place) {
    if (!v.is_array()) throw Malformed{place, "expected a list of tokens"};
    std::vector<token_t> out;
    for (std::size_t i = 0; i < v.size(); ++i)
        out.push_back(as_token(v[i], p, place + "[" + std::to_string(i) + "]"));
    return out;
}

// Whether k attends to j in some pattern (edge j -> k of the union graph).
bool attends_in_some(const Pattern& p, token_t k, token_t j) {
    for (const auto& layer : p.layers) {
        auto row = layer.attended(k);
        if (std::binary_search(row.begin(), row.end(), j)) return true;
    }
    return false;
}

// --- Condition 1 --------------------------------------------------------------------------------

std::string check_self_attention(const Pattern& p, const json& c) {
    std::set<std::pair<std::uint64_t, std::uint64_t>> missing;
    for (std::size_t l = 0; l < p.p(); ++l)
        for (token_t k = 0; k < p.n; ++k) {
            auto row = p.layers[l].attended(k);
            if (!std::binary_search(row.begin(), row.end(), k)) missing.emplace(l, k);
        }
    const bool holds = field(c, "holds", "self_attention").get<bool>();
    if (holds != missing.empty())
        throw Invalid{"self_attention: claims holds = " + std::string(holds ? "true" : "false") +
                      " but " + std::to_string(missing.size()) + " (pattern, token) pairs miss themselves"};
    const json& listed = field(c, "missing", "self_attention");
    std::set<std::pair<std::uint64_t, std::uint64_t>> claimed;
    for (const auto& pair : listed) {
        if (!pair.is_array() || pair.size() != 2) throw Malformed{"self_attention.missing", "expected [pattern, token] pairs"};
        claimed.emplace(as_uint(pair[0], "self_attention.missing"), as_uint(pair[1], "self_attention.missing"));
    }
    if (claimed != missing)
        throw Invalid{"self_attention.missing: lists " + std::to_string(claimed.size()) +
                      " pairs, but the pattern has " + std::to_string(missing.size()) + " other ones"};
    return holds ? "self-attention holds" : std::to_string(missing.size()) + " missing pairs confirmed";
}

// --- Condition 2 --------------------------------------------------------------------------------

std::string check_path(const Pattern& p, const json& path_json) {
    auto path = token_list(path_json, p, "hamiltonian_path.path");
    if (path.size() != p.n)
        throw Invalid{"hamiltonian_path.path: has " + std::to_string(path.size()) + " tokens, n = " + std::to_string(p.n)};
    std::vector<char> seen(p.n, 0);
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (seen[path[i]]) throw Invalid{"hamiltonian_path.path[" + std::to_string(i) + "]: token " +
                                         std::to_string(path[i]) + " appears twice"};
        seen[path[i]] = 1;
        if (i > 0 && !attends_in_some(p, path[i], path[i - 1]))
            throw Invalid{"hamiltonian_path.path[" + std::to_string(i) + "]: token " + std::to_string(path[i]) +
                          " does not attend to its predecessor " + std::to_string(path[i - 1]) + " in any pattern"};
    }
    return "Hamiltonian path of " + std::to_string(p.n) + " tokens confirmed";
}

// Undirected components of the union graph without the tokens in `removed` (union-find).
std::size_t components_without(const Pattern& p, const std::vector<token_t>& removed) {
    std::vector<char> gone(p.n, 0);
    for (token_t t : removed) gone[t] = 1;
    std::vector<token_t> parent(p.n);
    std::iota(parent.begin(), parent.end(), 0);
    auto find = [&](token_t x) {
        while (parent[x] != x) x = parent[x] = parent[parent[x]];
        return x;
    };
    for (const auto& layer : p.layers)
        for (token_t k = 0; k < p.n; ++k)
            if (!gone[k])
                for (token_t j : layer.attended(k))
                    if (!gone[j]) parent[find(j)] = find(k);
    std::size_t count = 0;
    for (token_t k = 0; k < p.n; ++k) count += !gone[k] && find(k) == k;
    return count;
}

std::string solver_recheck(const Pattern& p, const std::string& certificate_dir, const json& r);

std::string check_refutation(const Pattern& p, const json& r, const std::string& certificate_dir) {
    const std::string kind = field(r, "kind", "hamiltonian_path.refutation").get<std::string>();
    if (kind == "sources" || kind == "sinks") {
        auto tokens = token_list(field(r, "tokens", "hamiltonian_path.refutation"), p, "hamiltonian_path.refutation.tokens");
        if (tokens.size() != 2 || tokens[0] == tokens[1])
            throw Invalid{"hamiltonian_path.refutation.tokens: needs two different tokens"};
        for (token_t t : tokens) {
            // A source is fed by no other token: it attends to nobody but itself. A sink feeds no
            // other token: nobody but itself attends to it.
            bool fed = false;
            for (token_t k = 0; k < p.n && !fed; ++k) {
                if (kind == "sources" && k != t) fed = attends_in_some(p, t, k);
                if (kind == "sinks" && k != t) fed = attends_in_some(p, k, t);
            }
            if (fed)
                throw Invalid{"hamiltonian_path.refutation: token " + std::to_string(t) +
                              (kind == "sources" ? " attends to another token" : " is attended by another token")};
        }
        return "two " + kind + " confirmed: a path has one start and one end";
    }
    if (kind == "component-order") {
        // Every edge goes from a component to the same or a later one, so a Hamiltonian path visits
        // the components in order, each as one stretch, and needs an edge from each to the next.
        const json& comp_json = field(r, "component", "hamiltonian_path.refutation");
        if (!comp_json.is_array() || comp_json.size() != p.n)
            throw Invalid{"hamiltonian_path.refutation.component: needs one label per token"};
        std::vector<std::uint64_t> comp(p.n);
        for (token_t k = 0; k < p.n; ++k) comp[k] = as_uint(comp_json[k], "hamiltonian_path.refutation.component");
        const std::uint64_t gap = as_uint(field(r, "gap", "hamiltonian_path.refutation"), "hamiltonian_path.refutation.gap");
        bool has_gap = false, has_next = false;
        for (token_t k = 0; k < p.n; ++k) {
            has_gap |= comp[k] == gap;
            has_next |= comp[k] == gap + 1;
        }
        if (!has_gap || !has_next)
            throw Invalid{"hamiltonian_path.refutation: components " + std::to_string(gap) + " and " +
                          std::to_string(gap + 1) + " must both be non-empty"};
        for (std::size_t l = 0; l < p.p(); ++l)
            for (token_t k = 0; k < p.n; ++k)
                for (token_t j : p.layers[l].attended(k)) {  // edge j -> k
                    if (comp[j] > comp[k])
                        throw Invalid{"hamiltonian_path.refutation: edge " + std::to_string(j) + " -> " + std::to_string(k) +
                                      " goes from component " + std::to_string(comp[j]) + " back to " + std::to_string(comp[k])};
                    if (comp[j] == gap && comp[k] == gap + 1)
                        throw Invalid{"hamiltonian_path.refutation: edge " + std::to_string(j) + " -> " + std::to_string(k) +
                                      " joins components " + std::to_string(gap) + " and " + std::to_string(gap + 1)};
                }
        return "component order confirmed: no edge from component " + std::to_string(gap) + " to the next";
    }
    if (kind == "hall") {
        // On a path every token but the first has its own predecessor, an in-neighbour other than
        // itself; so the tokens of Y need at least |Y| - 1 distinct in-neighbours between them.
        auto tokens = token_list(field(r, "tokens", "hamiltonian_path.refutation"), p, "hamiltonian_path.refutation.tokens");
        std::sort(tokens.begin(), tokens.end());
        tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
        std::set<token_t> preds;
        for (token_t y : tokens)
            for (const auto& layer : p.layers)
                for (token_t j : layer.attended(y))
                    if (j != y) preds.insert(j);
        if (preds.size() + 1 >= tokens.size())
            throw Invalid{"hamiltonian_path.refutation: the " + std::to_string(tokens.size()) + " tokens have " +
                          std::to_string(preds.size()) + " in-neighbours, enough for a path"};
        return "Hall set confirmed: " + std::to_string(tokens.size()) + " tokens with only " +
               std::to_string(preds.size()) + " in-neighbours between them";
    }
    if (kind == "separator") {
        auto tokens = token_list(field(r, "tokens", "hamiltonian_path.refutation"), p, "hamiltonian_path.refutation.tokens");
        std::sort(tokens.begin(), tokens.end());
        tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
        const std::size_t c = components_without(p, tokens);
        if (c <= tokens.size() + 1)
            throw Invalid{"hamiltonian_path.refutation: removing the " + std::to_string(tokens.size()) + " tokens leaves " +
                          std::to_string(c) + " components, not more than " + std::to_string(tokens.size() + 1)};
        return "separator confirmed: removing " + std::to_string(tokens.size()) + " tokens leaves " + std::to_string(c) +
               " components, but a path leaves at most " + std::to_string(tokens.size() + 1);
    }
    if (kind == "solver") return solver_recheck(p, certificate_dir, r);
    throw Malformed{"hamiltonian_path.refutation.kind", "unknown refutation kind \"" + kind + "\""};
}

// The checker's own SMT-LIB 2 encoding (successor + order), answered by Debian's cvc5: independent
// of the search's Z3 encoding, so only cvc5 and these few lines are trusted.
std::string solver_recheck(const Pattern& p, const std::string& certificate_dir, const json& r) {
    std::ostringstream smt;
    smt << "(set-logic QF_LIA)\n";
    for (token_t k = 0; k < p.n; ++k) smt << "(declare-fun pos" << k << " () Int)\n";
    for (token_t k = 0; k < p.n; ++k) smt << "(assert (and (<= 0 pos" << k << ") (< pos" << k << " " << p.n << ")))\n";
    if (p.n > 1) {
        smt << "(assert (distinct";
        for (token_t k = 0; k < p.n; ++k) smt << " pos" << k;
        smt << "))\n";
    }
    // Every token but the first sits right after some token it attends to.
    for (token_t k = 0; k < p.n; ++k) {
        smt << "(assert (or (= pos" << k << " 0)";
        for (token_t j = 0; j < p.n; ++j)
            if (j != k && attends_in_some(p, k, j)) smt << " (= pos" << k << " (+ pos" << j << " 1))";
        smt << "))\n";
    }
    smt << "(check-sat)\n";
    namespace fs = std::filesystem;
    const fs::path file = fs::temp_directory_path() / ("check-certificate-" + std::to_string(::getpid()) + ".smt2");
    std::ofstream(file) << smt.str();
    if (std::system("command -v cvc5 >/dev/null 2>&1") != 0)
        throw Invalid{"hamiltonian_path.refutation: a solver refutation needs cvc5 to re-check it, and cvc5 is not installed"};
    const std::string cmd = "cvc5 --lang smt2 --tlimit=600000 " + file.string() + " 2>&1";
    std::string answer;
    if (FILE* pipe = ::popen(cmd.c_str(), "r")) {
        char buf[256];
        while (std::fgets(buf, sizeof buf, pipe)) answer += buf;
        ::pclose(pipe);
    }
    fs::remove(file);
    while (!answer.empty() && (answer.back() == '\n' || answer.back() == ' ')) answer.pop_back();
    if (answer != "unsat")
        throw Invalid{"hamiltonian_path.refutation: cvc5 answered \"" + answer + "\" on the checker's encoding, not unsat"};
    std::string note = "cvc5 confirms unsat on the checker's own encoding";
    if (r.contains("file")) {
        const fs::path beside = fs::path(certificate_dir) / r["file"].get<std::string>();
        if (!fs::exists(beside)) throw Invalid{"hamiltonian_path.refutation.file: " + beside.string() + " does not exist"};
        note += " (the search's encoding is in " + beside.string() + ")";
    }
    return note;
}

bool all_attend_themselves(const Pattern& p) {
    for (const auto& layer : p.layers)
        for (token_t k = 0; k < p.n; ++k) {
            auto row = layer.attended(k);
            if (!std::binary_search(row.begin(), row.end(), k)) return false;
        }
    return true;
}

// Strong connectivity of the union graph: every token reaches token 0 and is reached from it.
// Backward search runs on the attended lists as stored; forward search on their transpose, built
// here by counting.
bool strongly_connected(const Pattern& p) {
    std::vector<std::uint64_t> start(std::size_t(p.n) + 1, 0);
    for (const auto& layer : p.layers)
        for (token_t k = 0; k < p.n; ++k)
            for (token_t j : layer.attended(k)) ++start[j + 1];
    for (token_t j = 0; j < p.n; ++j) start[j + 1] += start[j];
    std::vector<token_t> attended_by(start[p.n]);
    std::vector<std::uint64_t> fill(start.begin(), start.end() - 1);
    for (const auto& layer : p.layers)
        for (token_t k = 0; k < p.n; ++k)
            for (token_t j : layer.attended(k)) attended_by[fill[j]++] = k;
    for (int forward = 0; forward < 2; ++forward) {
        std::vector<char> seen(p.n, 0);
        std::vector<token_t> stack{0};
        seen[0] = 1;
        std::size_t count = 1;
        while (!stack.empty()) {
            const token_t u = stack.back();
            stack.pop_back();
            auto visit = [&](token_t v) {
                if (!seen[v]) { seen[v] = 1; ++count; stack.push_back(v); }
            };
            if (forward)  // edges u -> k for every k attending to u
                for (std::uint64_t e = start[u]; e < start[u + 1]; ++e) visit(attended_by[e]);
            else          // edges j -> u for every j that u attends to
                for (const auto& layer : p.layers)
                    for (token_t j : layer.attended(u)) visit(j);
        }
        if (count != p.n) return false;
    }
    return true;
}

// --- Condition 3 --------------------------------------------------------------------------------

// S_k^t for one k by the definition, backwards: row k of M_{L(t)} ... M_{L(1)}.
std::vector<char> reach_set(const Pattern& p, token_t k, std::uint64_t t) {
    std::vector<char> cur(p.n, 0), next(p.n, 0);
    cur[k] = 1;
    for (std::uint64_t step = t; step >= 1; --step) {
        const auto& layer = p.layers[(step - 1) % p.p()];
        std::fill(next.begin(), next.end(), 0);
        for (token_t r = 0; r < p.n; ++r)
            if (cur[r])
                for (token_t j : layer.attended(r)) next[j] = 1;
        cur.swap(next);
    }
    return cur;
}

// Whether S_k^t = [n] for every k: all sources, 64 per machine word, forward through t layers.
bool complete_at(const Pattern& p, std::uint64_t t) {
    std::vector<std::uint64_t> cur(p.n), next(p.n);
    for (token_t base = 0; base < p.n; base += 64) {
        const token_t width = std::min<token_t>(64, p.n - base);
        const std::uint64_t all = width == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
        // cur[k] bit b: source base+b is in S_k^step.
        for (token_t k = 0; k < p.n; ++k) {
            cur[k] = 0;
            for (token_t j : p.layers[0].attended(k))
                if (j >= base && j < base + width) cur[k] |= std::uint64_t{1} << (j - base);
        }
        for (std::uint64_t step = 2; step <= t; ++step) {
            const auto& layer = p.layers[(step - 1) % p.p()];
            for (token_t k = 0; k < p.n; ++k) {
                std::uint64_t acc = 0;
                for (token_t j : layer.attended(k)) acc |= cur[j];
                next[k] = acc;
            }
            cur.swap(next);
        }
        for (token_t k = 0; k < p.n; ++k)
            if (cur[k] != all) return false;
    }
    return true;
}

std::string check_reachability(const Pattern& p, const json& c) {
    const json& holds = field(c, "holds", "reachability");
    if (holds.is_null()) return "reachability undetermined (nothing to check)";
    if (holds.get<bool>()) {
        if (field(c, "s", "reachability").is_null()) {
            // A finite s without its value: self-attention makes S_k^t grow along every edge of
            // the union once per cycle, so a strongly connected union graph reaches everything.
            if (!c.contains("by") || c["by"] != "strongly-connected")
                throw Invalid{"reachability: holds without s needs \"by\": \"strongly-connected\""};
            if (!all_attend_themselves(p)) throw Invalid{"reachability: without s, existence needs self-attention"};
            if (!strongly_connected(p)) throw Invalid{"reachability: the union graph is not strongly connected"};
            return "a finite s exists, confirmed (self-attention, strongly connected union graph; s not stated)";
        }
        const std::uint64_t s = as_uint(field(c, "s", "reachability"), "reachability.s");
        if (s == 0) throw Invalid{"reachability.s: must be at least 1"};
        std::string how;
        if (c.contains("hub")) {
            // S_k^s contains S_h^t1 for every k when h is in every S_k^s computed over the layers
            // t1+1..s (forward from h), and S_h^t1 = [n] (backward from h).
            const token_t h = as_token(field(c["hub"], "token", "reachability.hub"), p, "reachability.hub.token");
            const std::uint64_t t1 = as_uint(field(c["hub"], "split", "reachability.hub"), "reachability.hub.split");
            if (t1 < 1 || t1 > s) throw Invalid{"reachability.hub.split: must be in 1..s"};
            auto row = reach_set(p, h, t1);
            if (std::find(row.begin(), row.end(), 0) != row.end())
                throw Invalid{"reachability.hub: S_h^t1 is not all tokens for h = " + std::to_string(h)};
            std::vector<char> reach(p.n, 0), next(p.n, 0);
            reach[h] = 1;
            for (std::uint64_t step = t1 + 1; step <= s; ++step) {
                const auto& layer = p.layers[(step - 1) % p.p()];
                for (token_t k = 0; k < p.n; ++k) {
                    next[k] = 0;
                    for (token_t j : layer.attended(k))
                        if (reach[j]) { next[k] = 1; break; }
                }
                reach.swap(next);
            }
            if (std::find(reach.begin(), reach.end(), 0) != reach.end())
                throw Invalid{"reachability.hub: some token does not reach hub " + std::to_string(h) + " in layers " +
                              std::to_string(t1 + 1) + ".." + std::to_string(s)};
            how = "hub " + std::to_string(h);
        } else {
            if (!complete_at(p, s))
                throw Invalid{"reachability.s: S^" + std::to_string(s) + " is not complete: some S_k^s misses a token"};
            how = "all sources";
        }
        if (s > 1) {
            const json& w = field(c, "below_s", "reachability");
            if (!w.is_array() || w.size() != 2) throw Malformed{"reachability.below_s", "expected [k, j]"};
            const token_t k = as_token(w[0], p, "reachability.below_s[0]"), j = as_token(w[1], p, "reachability.below_s[1]");
            if (reach_set(p, k, s - 1)[j])
                throw Invalid{"reachability.below_s: token " + std::to_string(j) + " is in S_" + std::to_string(k) + "^" +
                              std::to_string(s - 1) + ", so it does not show that s is minimal"};
        }
        return "s = " + std::to_string(s) + " confirmed (" + how + "; minimal by the witness pair)";
    }
    if (c.contains("closure")) {
        const json& cl = c["closure"];
        const token_t k = as_token(field(cl, "k", "reachability.closure"), p, "reachability.closure.k");
        const token_t j = as_token(field(cl, "j", "reachability.closure"), p, "reachability.closure.j");
        auto set = token_list(field(cl, "set", "reachability.closure"), p, "reachability.closure.set");
        std::vector<char> in(p.n, 0);
        for (token_t r : set) in[r] = 1;
        if (!in[k]) throw Invalid{"reachability.closure: k = " + std::to_string(k) + " is not in the set"};
        if (in[j]) throw Invalid{"reachability.closure: j = " + std::to_string(j) + " is in the set"};
        for (token_t r : set)
            for (std::size_t l = 0; l < p.p(); ++l)
                for (token_t a : p.layers[l].attended(r))
                    if (!in[a])
                        throw Invalid{"reachability.closure: token " + std::to_string(r) + " of the set attends to " +
                                      std::to_string(a) + " (pattern " + std::to_string(l) + "), which is outside it"};
        return "closure set of " + std::to_string(set.size()) + " tokens confirmed: token " + std::to_string(j) +
               " can never influence token " + std::to_string(k);
    }
    if (c.contains("cycle")) {
        const std::uint64_t start = as_uint(field(c["cycle"], "start", "reachability.cycle"), "reachability.cycle.start");
        const std::uint64_t period = as_uint(field(c["cycle"], "period", "reachability.cycle"), "reachability.cycle.period");
        if (start < 1 || period < 1 || period % p.p() != 0)
            throw Invalid{"reachability.cycle: start >= 1 and a period that is a multiple of p are required"};
        if (p.n > 2048 || start + period > 100000)
            throw Invalid{"reachability.cycle: too large to re-check by full recomputation (n <= 2048 and start + period <= 100000)"};
        std::vector<std::vector<char>> s(p.n), first;
        for (token_t k = 0; k < p.n; ++k) s[k] = reach_set(p, k, 1);
        for (std::uint64_t t = 1; t <= start + period; ++t) {
            if (t > 1) {
                std::vector<std::vector<char>> next(p.n, std::vector<char>(p.n, 0));
                const auto& layer = p.layers[(t - 1) % p.p()];
                for (token_t k = 0; k < p.n; ++k)
                    for (token_t j : layer.attended(k))
                        for (token_t x = 0; x < p.n; ++x) next[k][x] |= s[j][x];
                s.swap(next);
            }
            bool complete = true;
            for (token_t k = 0; k < p.n && complete; ++k) complete = std::find(s[k].begin(), s[k].end(), 0) == s[k].end();
            if (complete) throw Invalid{"reachability: S^" + std::to_string(t) + " is complete, so s is finite"};
            if (t == start) first = s;
        }
        if (s != first) throw Invalid{"reachability.cycle: S^start and S^(start+period) differ"};
        return "cycle confirmed: S repeats from step " + std::to_string(start) + " with period " + std::to_string(period) +
               " and is never complete";
    }
    throw Malformed{"reachability", "holds = false needs a \"closure\" or a \"cycle\""};
}

// A star (Zaheer et al. 2020): token h attends to all and is attended by all, in every pattern.
// Without a hub, every token is scanned: none may qualify.
bool is_hub(const Pattern& p, token_t h, std::string* why) {
    for (std::size_t l = 0; l < p.p(); ++l) {
        if (p.layers[l].attended(h).size() != p.n) {
            if (why) *why = "hub " + std::to_string(h) + " does not attend to every token in pattern " + std::to_string(l);
            return false;
        }
        for (token_t k = 0; k < p.n; ++k) {
            auto row = p.layers[l].attended(k);
            if (!std::binary_search(row.begin(), row.end(), h)) {
                if (why) *why = "token " + std::to_string(k) + " does not attend to hub " + std::to_string(h) +
                                " in pattern " + std::to_string(l);
                return false;
            }
        }
    }
    return true;
}

std::string check_star(const Pattern& p, const json& c) {
    if (field(c, "holds", "star").get<bool>()) {
        const token_t h = as_token(field(c, "hub", "star"), p, "star.hub");
        std::string why;
        if (!is_hub(p, h, &why)) throw Invalid{"star: " + why};
        return "star hub " + std::to_string(h) + " confirmed";
    }
    // Candidates attend to all n tokens in every pattern; check each (at most connections / n).
    for (token_t h = 0; h < p.n; ++h)
        if (p.layers[0].attended(h).size() == p.n && is_hub(p, h, nullptr))
            throw Invalid{"star: claims no hub, but token " + std::to_string(h) + " is one"};
    return "no star hub, confirmed";
}

// Forward from column j: C^t = {k : j in S_k^t}, since C^1 = {k : j in A_k^{L(1)}} and
// C^t = {k : A_k^{L(t)} meets C^{t-1}} (theory.md section 2). Calls visit(t, C^t) for t = 1..steps.
template <class Visit>
void column_steps(const Pattern& p, token_t j, std::uint64_t steps, Visit visit) {
    std::vector<char> cur(p.n, 0), next(p.n, 0);
    cur[j] = 1;  // C^0 = {j}: S_j^0 = {j}
    for (std::uint64_t t = 1; t <= steps; ++t) {
        const auto& layer = p.layers[(t - 1) % p.p()];
        for (token_t k = 0; k < p.n; ++k) {
            next[k] = 0;
            for (token_t a : layer.attended(k))
                if (cur[a]) { next[k] = 1; break; }
        }
        cur.swap(next);
        visit(t, cur);
    }
}

std::pair<std::uint64_t, std::uint64_t> cycle_of(const json& c, const Pattern& p, const std::string& place) {
    const std::uint64_t start = as_uint(field(c, "start", place), place + ".start");
    const std::uint64_t period = as_uint(field(c, "period", place), place + ".period");
    if (start < 1 || period < 1 || period % p.p() != 0)
        throw Invalid{place + ": start >= 1 and a period that is a multiple of p are required"};
    if (start + period > 100000 || (start + period) * std::uint64_t(p.n) > 4'000'000'000ULL)
        throw Invalid{place + ": too long to re-check by recomputation (start + period = " +
                      std::to_string(start + period) + ")"};
    return {start, period};
}

// The necessary condition of theorems/reachability-closure.json: every token eventually
// influences every other.
std::string check_influence(const Pattern& p, const json& c, const json& reach, bool self_attention) {
    const json& holds = field(c, "holds", "influence");
    if (holds.is_null()) return "influence undetermined (nothing to check)";
    if (c.contains("closure")) {
        if (holds.get<bool>()) throw Invalid{"influence: holds = true contradicts a closure set"};
        json wrapped = {{"holds", false}, {"closure", c["closure"]}};
        return "influence: " + check_reachability(p, wrapped);
    }
    if (!holds.get<bool>()) {
        const token_t k = as_token(field(c, "k", "influence"), p, "influence.k");
        const token_t j = as_token(field(c, "j", "influence"), p, "influence.j");
        // Plain variables, not a structured binding: the lambda below captures them, which C++20
        // allows but clang 14 does not implement.
        const auto cycle = cycle_of(field(c, "cycle", "influence"), p, "influence.cycle");
        const std::uint64_t start = cycle.first, period = cycle.second;
        std::vector<char> first;
        column_steps(p, j, start + period, [&](std::uint64_t t, const std::vector<char>& col) {
            if (col[k]) throw Invalid{"influence: token " + std::to_string(j) + " is in S_" + std::to_string(k) +
                                      "^" + std::to_string(t)};
            if (t == start) first = col;
            if (t == start + period && col != first)
                throw Invalid{"influence.cycle: the column of " + std::to_string(j) + " does not repeat"};
        });
        return "influence fails, confirmed: token " + std::to_string(j) + " is in no S_" + std::to_string(k) + "^t";
    }
    const std::string by = field(c, "by", "influence").get<std::string>();
    if (by == "reachability") {
        if (field(reach, "holds", "reachability") != true)
            throw Invalid{"influence: claimed by reachability, which does not hold"};
        return "influence follows from the confirmed s";
    }
    if (by == "strongly-connected") {
        if (!self_attention) throw Invalid{"influence: strong connectivity proves it only with self-attention"};
        if (!strongly_connected(p)) throw Invalid{"influence: the union graph is not strongly connected"};
        return "influence confirmed: self-attention and a strongly connected union graph";
    }
    if (by == "cycle") {
        auto [start, period] = cycle_of(field(c, "cycle", "influence"), p, "influence.cycle");
        if (p.n > 2048) throw Invalid{"influence.cycle: n > 2048 is too large to re-check for every pair"};
        for (token_t j = 0; j < p.n; ++j) {
            std::vector<char> ever(p.n, 0);
            column_steps(p, j, start + period, [&](std::uint64_t, const std::vector<char>& col) {
                for (token_t k = 0; k < p.n; ++k) ever[k] |= col[k];
            });
            // Columns repeat from `start` with the period, so later steps add nothing new.
            for (token_t k = 0; k < p.n; ++k)
                if (!ever[k]) throw Invalid{"influence: token " + std::to_string(j) + " never reaches S_" + std::to_string(k)};
        }
        return "influence confirmed: every pair is reached within one cycle";
    }
    throw Malformed{"influence.by", "unknown value \"" + by + "\""};
}

int run(const std::string& pattern_file, const std::string& certificate_file) {
    std::ifstream in(certificate_file, std::ios::binary);
    if (!in) throw sparsecert::InputError(certificate_file, "", "cannot open file");
    std::stringstream text;
    text << in.rdbuf();
    json cert = sparsecert::parse_json_text(text.str(), certificate_file);
    std::optional<std::uint64_t> n;
    if (cert.contains("n") && cert["n"].is_number_unsigned()) n = cert["n"].get<std::uint64_t>();
    Pattern p = sparsecert::load_pattern_file(pattern_file, n);
    const std::string dir = std::filesystem::path(certificate_file).parent_path().string();

    try {
        if (as_uint(field(cert, "n", ""), "n") != p.n || as_uint(field(cert, "p", ""), "p") != p.p())
            throw Invalid{"the certificate is for n = " + cert["n"].dump() + ", p = " + cert["p"].dump() +
                          ", the pattern has n = " + std::to_string(p.n) + ", p = " + std::to_string(p.p())};
        std::vector<std::string> notes;
        // Facts checked here, by name; the verdict below may only rest on facts in this map.
        std::map<std::string, std::optional<bool>> fact;
        notes.push_back(check_self_attention(p, field(cert, "self_attention", "")));
        fact["self_attention"] = cert["self_attention"]["holds"].get<bool>();

        const json& hp = field(cert, "hamiltonian_path", "");
        const json& hp_holds = field(hp, "holds", "hamiltonian_path");
        if (hp_holds.is_null()) {
            fact["hamiltonian_path"] = std::nullopt;
        } else if (hp_holds.get<bool>()) {
            notes.push_back(check_path(p, field(hp, "path", "hamiltonian_path")));
            fact["hamiltonian_path"] = true;
        } else {
            notes.push_back(check_refutation(p, field(hp, "refutation", "hamiltonian_path"), dir));
            fact["hamiltonian_path"] = false;
        }

        const json& re = field(cert, "reachability", "");
        notes.push_back(check_reachability(p, re));
        const json& re_holds = field(re, "holds", "reachability");
        fact["reachability"] = re_holds.is_null() ? std::nullopt : std::optional<bool>(re_holds.get<bool>());
        if (cert.contains("influence")) {
            const json& inf = cert["influence"];
            notes.push_back(check_influence(p, inf, re, fact["self_attention"] == true));
            const json& h = field(inf, "holds", "influence");
            fact["influence"] = h.is_null() ? std::nullopt : std::optional<bool>(h.get<bool>());
        }

        if (cert.contains("star")) {
            notes.push_back(check_star(p, cert["star"]));
            fact["star"] = cert["star"]["holds"].get<bool>();
        }

        // Each theorem's claimed value must follow from checked facts: a sufficient theorem applies
        // only if all its hypotheses were confirmed; "fails" needs a confirmed failing hypothesis.
        bool universal = false, not_universal = false;
        if (cert.contains("theorems")) {
            for (const auto& th : cert["theorems"]) {
                const std::string id = field(th, "id", "theorems").get<std::string>();
                const json& applies = field(th, "applies", "theorems");
                const std::string kind = field(th, "kind", "theorems").get<std::string>();
                const json& hyps = field(th, "hypotheses", "theorems");
                bool all_true = true, some_false = false;
                for (const auto& h : hyps) {
                    const std::string name = h.get<std::string>();
                    auto it = fact.find(name);
                    const std::optional<bool> v = it == fact.end() ? std::nullopt : it->second;
                    all_true &= v == true;
                    some_false |= v == false;
                }
                if (applies == true && !all_true)
                    throw Invalid{"theorems: " + id + " is claimed to apply, but not all its hypotheses are confirmed"};
                if (applies == false && !some_false)
                    throw Invalid{"theorems: " + id + " is claimed not to apply, but no hypothesis is confirmed false"};
                if (applies == true && kind == "sufficient") universal = true;
                if (applies == false && kind == "necessary") not_universal = true;
            }
        }
        if (cert.contains("verdict")) {
            const std::string v = cert["verdict"].get<std::string>();
            const std::string expected = universal ? "universal" : not_universal ? "not-universal" : "open";
            if (v != expected)
                throw Invalid{"verdict: claims \"" + v + "\", the checked facts give \"" + expected + "\""};
            notes.push_back("verdict \"" + v + "\" follows");
        }
        std::cout << "valid\n";
        for (const auto& n : notes) std::cout << "  " << n << "\n";
        return 0;
    } catch (const Invalid& e) {
        std::cout << "invalid: " << e.message << "\n";
        return 1;
    } catch (const Malformed& e) {
        throw sparsecert::InputError(certificate_file, e.place, e.problem);
    } catch (const json::exception& e) {
        throw sparsecert::InputError(certificate_file, "", std::string("unexpected value: ") + e.what());
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
        std::cout << "usage: check-certificate PATTERN CERTIFICATE\n"
                     "Re-checks a verify-pattern certificate against the pattern. Exit 0 valid, 1 invalid, 2 bad input.\n";
        return 0;
    }
    if (argc != 3) {
        std::fprintf(stderr, "check-certificate: usage: check-certificate PATTERN CERTIFICATE\n");
        return 2;
    }
    try {
        return run(argv[1], argv[2]);
    } catch (const sparsecert::InputError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
}
