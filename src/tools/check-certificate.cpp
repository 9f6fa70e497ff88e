// check-certificate [--n N] [--timeout SECONDS] PATTERN CERTIFICATE: re-checks a verify-pattern
// certificate against the pattern with deliberately simple algorithms. It shares no code with the
// search algorithms: only the pattern file loader (pattern_io.hpp), the CSR model (pattern.hpp),
// the theorem registry (theorems.hpp, the parsed theorems/*.json) and the command-line plumbing of
// every tool (src/tools/common/program.hpp). docs/trust.md says what a
// user must trust for each kind of verdict.
//
// Nothing in a certificate is trusted: every number is range-checked against the pattern before it
// is used, every claimed fact is re-derived or checked against its evidence, the list of theorems
// and their hypotheses come from the registry, and the verdict is recomputed. No loop runs to a
// number read from the file unless the work it implies was bounded first.
//
// Exit status: 0 valid, 1 invalid, 2 bad input, 3 could not confirm within the budget.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/budget_args.hpp"
#include "common/output_file.hpp"
#include "common/pattern_args.hpp"
#include "common/program.hpp"
#include "sparsecert/certify/certificate.hpp"
#include "sparsecert/certify/coq_export.hpp"
#include "sparsecert/certify/theorems.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "checker/replay.hpp"
#include "sparsecert/support/input_error.hpp"
#include "sparsecert/support/input_file.hpp"
#include "sparsecert/support/printable.hpp"

namespace {

using sparsecert::Pattern;
using sparsecert::token_t;
using nlohmann::json;

// A failed check: the message says exactly what is wrong. Exit status 1.
struct Invalid {
    std::string message;
};

// A malformed certificate (wrong type, a number out of its range, a huge array): exit status 2.
struct Malformed {
    std::string place, problem;
};

// A check that cannot be completed within the budgets: exit status 3. Not a rejection of the claim.
struct Unconfirmed {
    std::string message;
};

// Elementary steps (attended-set entries visited) any recomputation may take: about a minute.
constexpr std::uint64_t work_budget = 20'000'000'000ULL;
// Layer counts (s, the hub split, cycle start and period) the format accepts at all.
constexpr std::uint64_t max_layers = std::uint64_t{1} << 40;
// The solver binary trusted for solver refutations (docs/trust.md): Debian's cvc5, by absolute path.
constexpr const char* cvc5_binary = "/usr/bin/cvc5";

// a * b, saturating: cost estimates must not wrap.
std::uint64_t times(std::uint64_t a, std::uint64_t b) {
    if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
    return a * b;
}

std::string at(const std::string& place, const std::string& key) { return place.empty() ? key : place + "." + key; }
std::string at(const std::string& place, std::size_t i) { return place + "[" + std::to_string(i) + "]"; }

// --- Typed reading: every value is checked for its type and range at its place ------------------

const json& field(const json& obj, const std::string& key, const std::string& place) {
    if (!obj.is_object()) throw Malformed{place, "expected an object"};
    if (!obj.contains(key)) throw Malformed{place, "missing \"" + key + "\""};
    return obj.at(key);
}

bool as_bool(const json& v, const std::string& place) {
    if (!v.is_boolean()) throw Malformed{place, "expected true or false, got " + v.dump().substr(0, 40)};
    return v.get<bool>();
}

// true, false or null (undetermined).
std::optional<bool> as_claim(const json& v, const std::string& place) {
    if (v.is_null()) return std::nullopt;
    return as_bool(v, place);
}

std::string as_string(const json& v, const std::string& place) {
    if (!v.is_string()) throw Malformed{place, "expected a string"};
    return v.get<std::string>();
}

std::uint64_t as_uint(const json& v, const std::string& place, std::uint64_t max) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
        throw Malformed{place, "expected a non-negative integer, got " + v.dump().substr(0, 40)};
    const auto x = v.get<std::uint64_t>();
    if (x > max) throw Malformed{place, std::to_string(x) + " is out of range (at most " + std::to_string(max) + ")"};
    return x;
}

const json& as_array(const json& v, const std::string& place, std::uint64_t max_size) {
    if (!v.is_array()) throw Malformed{place, "expected a list"};
    if (v.size() > max_size)
        throw Malformed{place, "a list of " + std::to_string(v.size()) + " entries, more than the " +
                                   std::to_string(max_size) + " this pattern allows"};
    return v;
}

token_t as_token(const json& v, const Pattern& p, const std::string& place) {
    return token_t(as_uint(v, place, p.n - 1));
}

// A list of tokens, at most n of them (with repeats, no list of the format needs more).
std::vector<token_t> token_list(const json& v, const Pattern& p, const std::string& place) {
    const json& list = as_array(v, place, p.n);
    std::vector<token_t> out;
    out.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) out.push_back(as_token(list[i], p, at(place, i)));
    return out;
}

std::pair<token_t, token_t> token_pair(const json& v, const Pattern& p, const std::string& place) {
    const json& pair = as_array(v, place, 2);
    if (pair.size() != 2) throw Malformed{place, "expected a pair [k, j]"};
    return {as_token(pair[0], p, at(place, 0)), as_token(pair[1], p, at(place, 1))};
}

// --- The pattern: simple loops over the rows (pattern.hpp) -------------------------------------------------

bool attends(const Pattern& p, std::size_t l, token_t k, token_t j) { return p.layers[l].attends(k, j); }

// Whether k attends to j in some pattern (edge j -> k of the union graph).
bool attends_in_some(const Pattern& p, token_t k, token_t j) {
    for (std::size_t l = 0; l < p.p(); ++l)
        if (attends(p, l, k, j)) return true;
    return false;
}

bool all_attend_themselves(const Pattern& p) {
    for (std::size_t l = 0; l < p.p(); ++l)
        for (token_t k = 0; k < p.n; ++k)
            if (!attends(p, l, k, k)) return false;
    return true;
}

// Who attends to each token, in all patterns together: the union graph's out-edges, by counting.
struct Transposed {
    std::vector<std::uint64_t> start;
    std::vector<token_t> by;
};

Transposed transposed_union(const Pattern& p) {
    Transposed t;
    t.start.assign(std::size_t(p.n) + 1, 0);
    for (const auto& layer : p.layers)
        for (token_t k = 0; k < p.n; ++k)
            layer.row(k).for_each_token([&](token_t j) { ++t.start[j + 1]; });
    for (token_t j = 0; j < p.n; ++j) t.start[j + 1] += t.start[j];
    t.by.resize(t.start[p.n]);
    std::vector<std::uint64_t> fill(t.start.begin(), t.start.end() - 1);
    for (const auto& layer : p.layers)
        for (token_t k = 0; k < p.n; ++k)
            layer.row(k).for_each_token([&](token_t j) { t.by[fill[j]++] = k; });
    return t;
}

// Tokens that `from` reaches in the union graph: forward (along edges j -> k, to the tokens it
// influences) or backward (to the tokens it draws from).
std::vector<char> union_search(const Pattern& p, const Transposed* forward, token_t from) {
    std::vector<char> seen(p.n, 0);
    std::vector<token_t> stack{from};
    seen[from] = 1;
    while (!stack.empty()) {
        const token_t u = stack.back();
        stack.pop_back();
        auto visit = [&](token_t v) {
            if (!seen[v]) {
                seen[v] = 1;
                stack.push_back(v);
            }
        };
        if (forward)
            for (std::uint64_t e = forward->start[u]; e < forward->start[u + 1]; ++e) visit(forward->by[e]);
        else
            for (const auto& layer : p.layers)
                layer.row(u).for_each_token(visit);
    }
    return seen;
}

// Whether every token of `tokens` reaches, and is reached from, tokens.front() in the union graph.
bool mutually_reachable(const Pattern& p, const std::vector<token_t>& tokens) {
    const Transposed t = transposed_union(p);
    const auto to = union_search(p, nullptr, tokens.front()), from = union_search(p, &t, tokens.front());
    return std::all_of(tokens.begin(), tokens.end(), [&](token_t k) { return to[k] && from[k]; });
}

std::vector<token_t> all_tokens(const Pattern& p) {
    std::vector<token_t> out(p.n);
    std::iota(out.begin(), out.end(), 0);
    return out;
}

std::vector<token_t> input_tokens(const Pattern& p) {
    std::vector<token_t> out;
    for (token_t k = 0; k < p.n; ++k)
        if (!std::binary_search(p.extra_tokens.begin(), p.extra_tokens.end(), k)) out.push_back(k);
    return out;
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
                layer.row(k).for_each_token([&](token_t j) {
                    if (!gone[j]) parent[find(j)] = find(k);
                });
    std::size_t count = 0;
    for (token_t k = 0; k < p.n; ++k) count += !gone[k] && find(k) == k;
    return count;
}

// S_k^t for one k by the definition, backwards: row k of M_{L(t)} ... M_{L(1)}.
std::vector<char> reach_set(const Pattern& p, token_t k, std::uint64_t t) {
    std::vector<char> cur(p.n, 0), next(p.n, 0);
    cur[k] = 1;
    for (std::uint64_t step = t; step >= 1; --step) {
        const auto& layer = p.layers[(step - 1) % p.p()];
        std::fill(next.begin(), next.end(), 0);
        for (token_t r = 0; r < p.n; ++r)
            if (cur[r])
                layer.row(r).for_each_token([&](token_t j) { next[j] = 1; });
        cur.swap(next);
    }
    return cur;
}

// --- The checker ----------------------------------------------------------------------------------

class Checker {
public:
    Checker(const Pattern& p, std::filesystem::path dir, double solver_seconds)
        : p_(p), dir_(std::move(dir)), solver_seconds_(solver_seconds),
          connections_(std::max<std::uint64_t>(1, p.connections())), words_((std::uint64_t(p.n) + 63) / 64),
          step_cost_(std::max<std::uint64_t>(1, p.description_size() / p.p())) {}

    // Checks the whole certificate; the verdict line, then one note per check.
    std::vector<std::string> run(const json& cert) {
        header(cert);
        std::vector<std::string> notes;
        notes.push_back(check_input_tokens_only(field(cert, "input_tokens_only", "")));
        notes.push_back(check_self_attention(field(cert, "self_attention", "")));
        notes.push_back(check_hamiltonian(field(cert, "hamiltonian_path", "")));
        notes.push_back(check_reachability(field(cert, "reachability", "")));
        notes.push_back(check_star(field(cert, "star", "")));
        notes.push_back(check_one_graph(field(cert, "one_graph", "")));
        notes.push_back(check_star_in_sequence(field(cert, "star_in_sequence", "")));
        notes.push_back(check_influence(field(cert, "influence", "")));
        notes.insert(notes.begin(), check_theorems_and_verdict(cert));
        return notes;
    }

private:
    // Refuses work beyond the budget before starting it.
    void spend(std::uint64_t steps, const std::string& what) const {
        if (steps > work_budget)
            throw Unconfirmed{what + " needs about " + std::to_string(steps) + " steps, more than the checker's budget of " +
                              std::to_string(work_budget)};
    }

    // S^1..S^t for every source by the checker's own replay (checker/replay.hpp), within the budget.
    sparsecert::checker::Completeness replay_steps(std::uint64_t t, bool last_only) const {
        std::string why;
        auto r = sparsecert::checker::complete_steps(p_, t, last_only, work_budget, why);
        if (!r) throw Unconfirmed{why + ", more than the checker's budget of " + std::to_string(work_budget)};
        return std::move(*r);
    }

    // Whether j is in S_k^t (by the interval ends when every row is a window, else backwards).
    bool in_reach_set(token_t k, std::uint64_t t, token_t j) const {
        if (auto iv = sparsecert::checker::interval_structure(p_)) {
            const auto [lo, hi] = sparsecert::checker::interval_at(*iv, k, t);
            return lo <= j && j <= hi;
        }
        spend(times(t, step_cost_), "S_k^t for one token k");
        return sparsecert::checker::backward(p_, k, t).test(j);
    }

    void header(const json& cert) const {
        if (as_string(field(cert, "format", ""), "format") != sparsecert::certificate_format)
            throw Malformed{"format", "expected \"" + std::string(sparsecert::certificate_format) +
                                          "\" (re-run verify-pattern --certificate with this version)"};
        const std::uint64_t n = as_uint(field(cert, "n", ""), "n", UINT64_MAX);
        const std::uint64_t p = as_uint(field(cert, "p", ""), "p", UINT64_MAX);
        if (n != p_.n || p != p_.p())
            throw Invalid{"the certificate is for n = " + std::to_string(n) + ", p = " + std::to_string(p) +
                          ", but the pattern checked has n = " + std::to_string(p_.n) + ", p = " + std::to_string(p_.p())};
        auto extra = token_list(field(cert, "extra_tokens", ""), p_, "extra_tokens");
        if (extra != p_.extra_tokens)
            throw Invalid{"extra_tokens: the certificate lists other extra tokens than the pattern declares"};
    }

    // The setting of Yun et al.: no extra tokens.
    std::string check_input_tokens_only(const json& c) {
        const bool holds = as_bool(field(c, "holds", "input_tokens_only"), "input_tokens_only.holds");
        if (holds != p_.extra_tokens.empty())
            throw Invalid{"input_tokens_only: claims holds = " + std::string(holds ? "true" : "false") + ", but the pattern has " +
                          std::to_string(p_.extra_tokens.size()) + " extra tokens"};
        fact_["input_tokens_only"] = holds;
        return holds ? "no extra tokens" : std::to_string(p_.extra_tokens.size()) + " extra tokens";
    }

    // --- Condition 1 -------------------------------------------------------------------------
    std::string check_self_attention(const json& c) {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> missing;
        for (std::size_t l = 0; l < p_.p(); ++l)
            for (token_t k = 0; k < p_.n; ++k)
                if (!attends(p_, l, k, k)) missing.emplace_back(l, k);
        const bool holds = as_bool(field(c, "holds", "self_attention"), "self_attention.holds");
        if (holds != missing.empty())
            throw Invalid{"self_attention: claims holds = " + std::string(holds ? "true" : "false") + " but " +
                          std::to_string(missing.size()) + " (pattern, token) pairs miss themselves"};
        const json& listed = as_array(field(c, "missing", "self_attention"), "self_attention.missing", times(p_.n, p_.p()));
        std::vector<std::pair<std::uint64_t, std::uint64_t>> claimed;
        for (std::size_t i = 0; i < listed.size(); ++i) {
            const std::string place = at("self_attention.missing", i);
            const json& pair = as_array(listed[i], place, 2);
            if (pair.size() != 2) throw Malformed{place, "expected a [pattern, token] pair"};
            claimed.emplace_back(as_uint(pair[0], at(place, 0), p_.p() - 1), as_token(pair[1], p_, at(place, 1)));
        }
        std::sort(claimed.begin(), claimed.end());
        if (claimed != missing)
            throw Invalid{"self_attention.missing: lists " + std::to_string(claimed.size()) +
                          " pairs, but the pattern has " + std::to_string(missing.size()) + " other ones"};
        fact_["self_attention"] = holds;
        return holds ? "self-attention holds" : std::to_string(missing.size()) + " missing pairs confirmed";
    }

    // --- Condition 2 -------------------------------------------------------------------------
    std::string check_hamiltonian(const json& c) {
        const auto holds = as_claim(field(c, "holds", "hamiltonian_path"), "hamiltonian_path.holds");
        fact_["hamiltonian_path"] = holds;
        if (!holds) return "Hamiltonian path undetermined (nothing to check)";
        if (*holds) return check_path(field(c, "path", "hamiltonian_path"));
        if (p_.n < 2) throw Invalid{"hamiltonian_path: a single token is a Hamiltonian path"};
        return check_refutation(field(c, "refutation", "hamiltonian_path"));
    }

    std::string check_path(const json& v) {
        const auto path = token_list(v, p_, "hamiltonian_path.path");
        if (path.size() != p_.n)
            throw Invalid{"hamiltonian_path.path: has " + std::to_string(path.size()) + " tokens, n = " + std::to_string(p_.n)};
        std::vector<char> seen(p_.n, 0);
        for (std::size_t i = 0; i < path.size(); ++i) {
            if (seen[path[i]])
                throw Invalid{at("hamiltonian_path.path", i) + ": token " + std::to_string(path[i]) + " appears twice"};
            seen[path[i]] = 1;
            if (i > 0 && !attends_in_some(p_, path[i], path[i - 1]))
                throw Invalid{at("hamiltonian_path.path", i) + ": token " + std::to_string(path[i]) +
                              " does not attend to its predecessor " + std::to_string(path[i - 1]) + " in any pattern"};
        }
        return "Hamiltonian path of " + std::to_string(p_.n) + " tokens confirmed";
    }

    std::string check_refutation(const json& r) {
        const std::string place = "hamiltonian_path.refutation";
        const std::string kind = as_string(field(r, "kind", place), at(place, "kind"));
        if (kind == "sources" || kind == "sinks") {
            const auto tokens = token_list(field(r, "tokens", place), p_, at(place, "tokens"));
            if (tokens.size() != 2 || tokens[0] == tokens[1]) throw Invalid{place + ".tokens: needs two different tokens"};
            for (token_t t : tokens) {
                // A source is fed by no other token: it attends to nobody but itself. A sink feeds no
                // other token: nobody but itself attends to it.
                for (token_t k = 0; k < p_.n; ++k)
                    if (k != t && (kind == "sources" ? attends_in_some(p_, t, k) : attends_in_some(p_, k, t)))
                        throw Invalid{place + ": token " + std::to_string(t) +
                                      (kind == "sources" ? " attends to another token" : " is attended by another token")};
            }
            return "two " + kind + " confirmed: a path has one start and one end";
        }
        if (kind == "component-order") {
            // Every edge goes from a label to the same or a later one, so a Hamiltonian path visits
            // the labels in order and needs an edge from label gap to label gap + 1.
            const json& labels = as_array(field(r, "component", place), at(place, "component"), p_.n);
            if (labels.size() != p_.n) throw Invalid{place + ".component: needs one label per token"};
            std::vector<std::uint64_t> comp(p_.n);
            for (token_t k = 0; k < p_.n; ++k) comp[k] = as_uint(labels[k], at(place + ".component", k), p_.n - 1);
            const std::uint64_t gap = as_uint(field(r, "gap", place), at(place, "gap"), p_.n - 2);
            const bool has_gap = std::find(comp.begin(), comp.end(), gap) != comp.end();
            const bool has_next = std::find(comp.begin(), comp.end(), gap + 1) != comp.end();
            if (!has_gap || !has_next)
                throw Invalid{place + ": labels " + std::to_string(gap) + " and " + std::to_string(gap + 1) +
                              " must both be used"};
            for (std::size_t l = 0; l < p_.p(); ++l)
                for (token_t k = 0; k < p_.n; ++k)
                    p_.layers[l].row(k).for_each_token([&](token_t j) {  // edge j -> k
                        if (comp[j] > comp[k])
                            throw Invalid{place + ": edge " + std::to_string(j) + " -> " + std::to_string(k) +
                                          " goes from component " + std::to_string(comp[j]) + " back to " +
                                          std::to_string(comp[k])};
                        if (comp[j] == gap && comp[k] == gap + 1)
                            throw Invalid{place + ": edge " + std::to_string(j) + " -> " + std::to_string(k) +
                                          " joins components " + std::to_string(gap) + " and " + std::to_string(gap + 1)};
                    });
            return "component order confirmed: no edge from component " + std::to_string(gap) + " to the next";
        }
        if (kind == "hall") {
            // On a path every token but the first has its own predecessor, an in-neighbour other
            // than itself; so the tokens of Y need at least |Y| - 1 distinct in-neighbours.
            auto tokens = token_list(field(r, "tokens", place), p_, at(place, "tokens"));
            std::sort(tokens.begin(), tokens.end());
            tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
            std::set<token_t> preds;
            for (token_t y : tokens)
                for (const auto& layer : p_.layers)
                    layer.row(y).for_each_token([&](token_t j) {
                        if (j != y) preds.insert(j);
                    });
            if (preds.size() + 1 >= tokens.size())
                throw Invalid{place + ": the " + std::to_string(tokens.size()) + " tokens have " +
                              std::to_string(preds.size()) + " in-neighbours, enough for a path"};
            return "Hall set confirmed: " + std::to_string(tokens.size()) + " tokens with only " +
                   std::to_string(preds.size()) + " in-neighbours between them";
        }
        if (kind == "separator") {
            auto tokens = token_list(field(r, "tokens", place), p_, at(place, "tokens"));
            std::sort(tokens.begin(), tokens.end());
            tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
            const std::size_t c = components_without(p_, tokens);
            if (c <= tokens.size() + 1)
                throw Invalid{place + ": removing the " + std::to_string(tokens.size()) + " tokens leaves " +
                              std::to_string(c) + " components, not more than " + std::to_string(tokens.size() + 1)};
            return "separator confirmed: removing " + std::to_string(tokens.size()) + " tokens leaves " +
                   std::to_string(c) + " components, but a path leaves at most " + std::to_string(tokens.size() + 1);
        }
        if (kind == "solver") return solver_recheck(r);
        throw Malformed{at(place, "kind"), "unknown refutation kind \"" + kind + "\""};
    }

    // The checker's own SMT-LIB 2 encoding, answered by cvc5 (written here, independently of the
    // search's Z3 encoding, so only cvc5 and these lines are trusted). Successor + ordering: a
    // Boolean s_j_k per edge j -> k (k attends to j), a position p_k in 0..n-1, b_k / e_k for "k
    // begins / ends the path". Every token has exactly one of {b_k, an incoming selected edge} and
    // exactly one of {e_k, an outgoing one}; a selected edge raises the position by one; b_k puts k
    // at 0 and e_k at n - 1. A model is a path: the selected edges form disjoint paths (in- and
    // out-degree at most one, no cycle since positions increase), each from a b at position 0 to
    // an e at position n - 1, one position per token: so each has n tokens, and there is one.
    // Exactly one b and one e are stated as well.
    // A path gives a model (its edges and positions). (A bare position encoding, without the edge
    // variables, is equally sound but far slower to refute: minutes instead of seconds at n = 30.)
    std::string solver_encoding() const {
        std::vector<std::vector<token_t>> in(p_.n), out(p_.n);
        for (token_t k = 0; k < p_.n; ++k)
            for (token_t j = 0; j < p_.n; ++j)
                if (j != k && attends_in_some(p_, k, j)) {
                    in[k].push_back(j);
                    out[j].push_back(k);
                }
        std::ostringstream smt;
        auto edge = [](token_t j, token_t k) { return "s_" + std::to_string(j) + "_" + std::to_string(k); };
        // Pairwise: small, and obviously right.
        auto exactly_one = [&](const std::vector<std::string>& lits) {
            smt << "(assert (or";
            for (const auto& l : lits) smt << " " << l;
            smt << "))\n";
            for (std::size_t a = 0; a < lits.size(); ++a)
                for (std::size_t b = a + 1; b < lits.size(); ++b)
                    smt << "(assert (or (not " << lits[a] << ") (not " << lits[b] << ")))\n";
        };
        smt << "(set-logic QF_LIA)\n";
        for (token_t k = 0; k < p_.n; ++k)
            smt << "(declare-fun p_" << k << " () Int)\n(declare-fun b_" << k << " () Bool)\n(declare-fun e_" << k
                << " () Bool)\n(assert (and (<= 0 p_" << k << ") (<= p_" << k << " " << p_.n - 1 << ")))\n(assert (=> b_"
                << k << " (= p_" << k << " 0)))\n(assert (=> e_" << k << " (= p_" << k << " " << p_.n - 1 << ")))\n";
        for (token_t k = 0; k < p_.n; ++k)
            for (token_t j : in[k])
                smt << "(declare-fun " << edge(j, k) << " () Bool)\n(assert (=> " << edge(j, k) << " (= p_" << k << " (+ p_"
                    << j << " 1))))\n";
        // Implied by the rest, but it lets the solver refute in seconds what otherwise takes it
        // minutes (the 98-token grid without two corners).
        std::vector<std::string> begins, ends;
        for (token_t k = 0; k < p_.n; ++k) {
            begins.push_back("b_" + std::to_string(k));
            ends.push_back("e_" + std::to_string(k));
        }
        exactly_one(begins);
        exactly_one(ends);
        for (token_t k = 0; k < p_.n; ++k) {
            std::vector<std::string> into{"b_" + std::to_string(k)}, from{"e_" + std::to_string(k)};
            for (token_t j : in[k]) into.push_back(edge(j, k));
            for (token_t w : out[k]) from.push_back(edge(k, w));
            exactly_one(into);
            exactly_one(from);
        }
        smt << "(check-sat)\n";
        return smt.str();
    }

    std::string solver_recheck(const json& r) {
        const std::string place = "hamiltonian_path.refutation";
        std::string beside;
        if (r.contains("file")) {
            const std::string name = as_string(r["file"], at(place, "file"));
            if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
                throw Malformed{at(place, "file"), "must be a file name beside the certificate"};
            beside = (dir_ / name).string();
            if (!std::filesystem::is_regular_file(beside)) throw Invalid{place + ".file: " + beside + " does not exist"};
        }
        // The pairwise constraints are quadratic in the degrees and in n.
        spend(times(std::uint64_t(p_.n) + 1, p_.n + connections_) + times(p_.n, p_.n) * (p_.p() + 2),
              "writing the solver encoding");
        const std::string answer = run_cvc5(solver_encoding());
        if (answer == "sat") throw Invalid{place + ": cvc5 finds a Hamiltonian path on the checker's encoding (sat), not unsat"};
        if (answer != "unsat")
            throw Unconfirmed{"cvc5 could not decide the checker's encoding of the Hamiltonian path within " +
                              std::to_string(solver_seconds_) + " s (answer: \"" + answer + "\")"};
        std::string note = "cvc5 (" + std::string(cvc5_binary) + ") confirms unsat on the checker's own encoding";
        if (!beside.empty()) note += " (the search's encoding is in " + beside + ")";
        return note;
    }

    // Runs the trusted cvc5 on `smt` in a private temporary directory, without a shell, and returns
    // its first line of output ("sat", "unsat", "unknown", or a message), or "timeout".
    std::string run_cvc5(const std::string& smt) const {
        if (::access(cvc5_binary, X_OK) != 0)
            throw Unconfirmed{"a solver refutation is re-checked by " + std::string(cvc5_binary) + ", which is not installed"};
        std::string dir_template = (std::filesystem::temp_directory_path() / "check-certificate-XXXXXX").string();
        if (::mkdtemp(dir_template.data()) == nullptr)
            throw Unconfirmed{"cannot create a private temporary directory: " + std::string(std::strerror(errno))};
        const std::string dir = dir_template, file = dir + "/path.smt2";
        struct Cleanup {
            std::string dir, file;
            ~Cleanup() {
                ::unlink(file.c_str());
                ::rmdir(dir.c_str());
            }
        } cleanup{dir, file};
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) throw Unconfirmed{"cannot create " + file + ": " + std::strerror(errno)};
        std::size_t written = 0;
        while (written < smt.size()) {
            const ssize_t w = ::write(fd, smt.data() + written, smt.size() - written);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                ::close(fd);
                throw Unconfirmed{"cannot write " + file + ": " + std::strerror(errno)};
            }
            written += std::size_t(w);
        }
        ::close(fd);

        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) throw Unconfirmed{"cannot start cvc5: " + std::string(std::strerror(errno))};
        const std::string limit = "--tlimit=" + std::to_string(std::uint64_t(solver_seconds_ * 1000));
        const pid_t child = ::fork();
        if (child < 0) throw Unconfirmed{"cannot start cvc5: " + std::string(std::strerror(errno))};
        if (child == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            ::dup2(out[1], STDERR_FILENO);
            const char* argv[] = {cvc5_binary, "--lang=smt2", limit.c_str(), file.c_str(), nullptr};
            ::execv(cvc5_binary, const_cast<char* const*>(argv));
            ::_exit(127);
        }
        ::close(out[1]);
        // cvc5 enforces --tlimit itself; the deadline is a guard against a solver that hangs.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(solver_seconds_ + 10);
        std::string answer;
        bool timed_out = false;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                timed_out = true;
                break;
            }
            pollfd pfd{out[0], POLLIN, 0};
            const int ready = ::poll(&pfd, 1, int(std::min<long long>(left.count(), 1000)));
            if (ready < 0 && errno == EINTR) continue;
            if (ready <= 0) continue;
            char buf[4096];
            const ssize_t got = ::read(out[0], buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break;
            if (answer.size() < 65536) answer.append(buf, std::size_t(got));
        }
        ::close(out[0]);
        if (timed_out) ::kill(child, SIGKILL);
        int status = 0;
        while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        if (timed_out) return "timeout";
        const std::string first = answer.substr(0, answer.find('\n'));
        return first;
    }

    bool strongly_connected() const { return mutually_reachable(p_, all_tokens(p_)); }

    // --- Condition 3 -------------------------------------------------------------------------
    std::string check_reachability(const json& c) {
        const std::string place = "reachability";
        const auto holds = as_claim(field(c, "holds", place), at(place, "holds"));
        fact_["reachability"] = holds;
        if (!holds) return "reachability undetermined (nothing to check)";
        if (*holds) return check_finite_s(c);
        if (c.contains("closure")) return "no finite s: " + check_closure(c["closure"], at(place, "closure"), false);
        if (c.contains("cycle")) return check_cycle(c["cycle"]);
        throw Malformed{place, "holds = false needs a \"closure\" or a \"cycle\""};
    }

    std::string check_finite_s(const json& c) {
        const std::string place = "reachability";
        const bool monotone = all_attend_themselves(p_);
        if (field(c, "s", place).is_null()) {
            // A finite s without its value: self-attention makes S_k^t grow along every edge of
            // the union once per cycle, so a strongly connected union graph reaches everything.
            if (!c.contains("by") || as_string(c["by"], at(place, "by")) != "strongly-connected")
                throw Invalid{"reachability: holds without s needs \"by\": \"strongly-connected\""};
            if (!monotone) throw Invalid{"reachability: without s, existence needs self-attention"};
            if (!strongly_connected()) throw Invalid{"reachability: the union graph is not strongly connected"};
            return "a finite s exists, confirmed (self-attention, strongly connected union graph; s not stated)";
        }
        const std::uint64_t s = as_uint(c["s"], at(place, "s"), max_layers);
        if (s == 0) throw Invalid{"reachability.s: must be at least 1"};
        // With self-attention every cycle of p layers adds the in-neighbours of every member, so a
        // finite s is at most p (n - 1) (and 1 for n = 1).
        const std::uint64_t bound = std::max<std::uint64_t>(1, times(p_.p(), p_.n - 1));
        if (monotone && s > bound)
            throw Invalid{"reachability.s: s = " + std::to_string(s) + " exceeds p (n - 1) = " + std::to_string(bound) +
                          ", the largest minimal s with self-attention"};
        std::string how;
        if (c.contains("hub")) {
            // S_k^s contains S_h^t1 for every k when h is in S_k over the layers t1+1..s (forward
            // from h) and S_h^t1 = [n] (backward from h); no monotonicity is needed.
            const json& hub = c["hub"];
            const token_t h = as_token(field(hub, "token", at(place, "hub")), p_, place + ".hub.token");
            const std::uint64_t t1 = as_uint(field(hub, "split", at(place, "hub")), place + ".hub.split", s);
            if (t1 < 1) throw Invalid{"reachability.hub.split: must be in 1..s"};
            spend(times(s, step_cost_), "the hub certificate of s");
            if (!sparsecert::checker::backward(p_, h, t1).full())
                throw Invalid{"reachability.hub: S_h^t1 is not all tokens for h = " + std::to_string(h)};
            if (!sparsecert::checker::forward(p_, h, t1 + 1, s).full())
                throw Invalid{"reachability.hub: some token does not reach hub " + std::to_string(h) + " in layers " +
                              std::to_string(t1 + 1) + ".." + std::to_string(s)};
            how = "complete through hub " + std::to_string(h);
        } else {
            const auto replay = replay_steps(s, monotone);
            if (!replay.complete.back())
                throw Invalid{"reachability.s: S^" + std::to_string(s) + " is not complete: some S_k^s misses a token"};
            how = "complete for all sources: " + replay.method;
        }
        if (s > 1 && monotone) {
            // With self-attention S_k^t grows with t: one pair missing from S^{s-1} shows that
            // every S^t, t < s, is incomplete.
            const auto [k, j] = token_pair(field(c, "below_s", place), p_, at(place, "below_s"));
            if (in_reach_set(k, s - 1, j))
                throw Invalid{"reachability.below_s: token " + std::to_string(j) + " is in S_" + std::to_string(k) + "^" +
                              std::to_string(s - 1) + ", so it does not show that s is minimal"};
            how += "; minimal by the witness pair";
        } else if (s > 1) {
            // Without self-attention S^t need not grow: an earlier S^t may be complete although
            // S^{s-1} is not, so every t < s is recomputed.
            const auto complete = replay_steps(s - 1, false).complete;
            for (std::uint64_t t = 1; t < s; ++t)
                if (complete[t - 1])
                    throw Invalid{"reachability.s: s = " + std::to_string(s) + " is not minimal: S^" + std::to_string(t) +
                                  " is already complete (without self-attention S^t need not grow with t)"};
            how += "; minimal: S^1..S^" + std::to_string(s - 1) + " recomputed, none complete";
        }
        return "s = " + std::to_string(s) + " confirmed (" + how + ")";
    }

    // A closure set R: k in R, j not in R, A_r^l within R for every r in R and every pattern l.
    // Then I_k^t (and S_k^t, which lies inside it) stays in R for every t: j never influences k.
    std::string check_closure(const json& cl, const std::string& place, bool input_pair) {
        const token_t k = as_token(field(cl, "k", place), p_, at(place, "k"));
        const token_t j = as_token(field(cl, "j", place), p_, at(place, "j"));
        const auto set = token_list(field(cl, "set", place), p_, at(place, "set"));
        if (input_pair && (p_.is_extra(k) || p_.is_extra(j)))
            throw Invalid{place + ": k and j must be input tokens, not extra ones"};
        std::vector<char> in(p_.n, 0);
        for (token_t r : set) in[r] = 1;
        if (!in[k]) throw Invalid{place + ": k = " + std::to_string(k) + " is not in the set"};
        if (in[j]) throw Invalid{place + ": j = " + std::to_string(j) + " is in the set"};
        for (token_t r : set)
            for (std::size_t l = 0; l < p_.p(); ++l)
                p_.layers[l].row(r).for_each_token([&](token_t a) {
                    if (!in[a])
                        throw Invalid{place + ": token " + std::to_string(r) + " of the set attends to " + std::to_string(a) +
                                      " (pattern " + std::to_string(l) + "), which is outside it"};
                });
        return "closure set of " + std::to_string(std::count(in.begin(), in.end(), 1)) + " tokens confirmed: token " +
               std::to_string(j) + " can never influence token " + std::to_string(k);
    }

    // The sequence (S^t, t mod p) repeats: S^start = S^(start+period), a multiple of p, and no
    // S^t up to there is complete; so none ever is.
    std::string check_cycle(const json& cycle) {
        const std::string place = "reachability.cycle";
        const std::uint64_t start = as_uint(field(cycle, "start", place), at(place, "start"), max_layers);
        const std::uint64_t period = as_uint(field(cycle, "period", place), at(place, "period"), max_layers);
        if (start < 1 || period < 1 || period % p_.p() != 0)
            throw Invalid{place + ": start >= 1 and a period that is a multiple of p are required"};
        spend(times(times(start + period, connections_), p_.n), "recomputing S^1..S^(start+period)");
        if (p_.n > 4096) throw Unconfirmed{"the cycle check keeps S^t for every token, n^2 bytes: n <= 4096"};
        std::vector<std::vector<char>> s(p_.n), first;
        for (token_t k = 0; k < p_.n; ++k) s[k] = reach_set(p_, k, 1);
        for (std::uint64_t t = 1; t <= start + period; ++t) {
            if (t > 1) {
                std::vector<std::vector<char>> next(p_.n, std::vector<char>(p_.n, 0));
                const auto& layer = p_.layers[(t - 1) % p_.p()];
                for (token_t k = 0; k < p_.n; ++k)
                    for (token_t j : layer.attended(k))
                        for (token_t x = 0; x < p_.n; ++x) next[k][x] |= s[j][x];
                s.swap(next);
            }
            bool complete = true;
            for (token_t k = 0; k < p_.n && complete; ++k) complete = std::find(s[k].begin(), s[k].end(), 0) == s[k].end();
            if (complete) throw Invalid{"reachability: S^" + std::to_string(t) + " is complete, so s is finite"};
            if (t == start) first = s;
        }
        if (s != first) throw Invalid{place + ": S^start and S^(start+period) differ"};
        return "no finite s: S repeats from step " + std::to_string(start) + " with period " + std::to_string(period) +
               " and is never complete";
    }

    // --- BigBird's star, as stated and as adapted ----------------------------------------------

    // The theorem's hypothesis (Zaheer et al. 2020, Definition 1): exactly one extra token h; in
    // every pattern each input token attends to itself and to h, and h attends to every input token.
    std::optional<token_t> extra_hub() const {
        if (p_.extra_tokens.size() != 1) return std::nullopt;
        const token_t h = p_.extra_tokens.front();
        for (std::size_t l = 0; l < p_.p(); ++l)
            for (token_t i = 0; i < p_.n; ++i)
                if (i != h && (!attends(p_, l, i, i) || !attends(p_, l, i, h) || !attends(p_, l, h, i)))
                    return std::nullopt;
        return h;
    }

    std::string check_star(const json& c) {
        const bool holds = as_bool(field(c, "holds", "star"), "star.holds");
        const auto hub = extra_hub();
        if (holds != hub.has_value())
            throw Invalid{holds ? "star: no extra token is a star hub (the hub must be the one extra token x_0, attending to "
                                  "every input token, attended by each with its self-loop, in every pattern)"
                                : "star: claims no star, but the extra token " + std::to_string(*hub) + " is its hub"};
        if (holds && as_token(field(c, "hub", "star"), p_, "star.hub") != *hub)
            throw Invalid{"star.hub: the hub is the extra token " + std::to_string(*hub)};
        fact_["star"] = holds;
        return holds ? "star with the extra hub " + std::to_string(*hub) + " confirmed" : "no star with an extra hub, confirmed";
    }

    std::string check_one_graph(const json& c) {
        const bool holds = as_bool(field(c, "holds", "one_graph"), "one_graph.holds");
        bool same = true;
        for (const auto& layer : p_.layers) same = same && layer == p_.layers.front();
        if (holds != same)
            throw Invalid{"one_graph: claims holds = " + std::string(holds ? "true" : "false") + ", but the patterns are " +
                          (same ? "all equal" : "not all equal")};
        fact_["one_graph"] = holds;
        return holds ? "one attention graph in every layer" : "the layers use different graphs";
    }

    // An input token attending to all n tokens and attended by all n, in every pattern.
    bool is_in_sequence_hub(token_t h) const {
        if (p_.is_extra(h)) return false;
        for (std::size_t l = 0; l < p_.p(); ++l) {
            if (p_.layers[l].degree(h) != p_.n) return false;
            for (token_t k = 0; k < p_.n; ++k)
                if (!attends(p_, l, k, h)) return false;
        }
        return true;
    }

    std::string check_star_in_sequence(const json& c) {
        const bool holds = as_bool(field(c, "holds", "star_in_sequence"), "star_in_sequence.holds");
        if (holds) {
            const token_t h = as_token(field(c, "hub", "star_in_sequence"), p_, "star_in_sequence.hub");
            if (!is_in_sequence_hub(h))
                throw Invalid{"star_in_sequence: token " + std::to_string(h) +
                              " is not an input token attending to every token and attended by every token in every pattern"};
        } else {
            // Candidates attend to all n tokens in pattern 0: at most connections / n of them.
            for (token_t h = 0; h < p_.n; ++h)
                if (p_.layers[0].degree(h) == p_.n && is_in_sequence_hub(h))
                    throw Invalid{"star_in_sequence: claims no hub, but token " + std::to_string(h) + " is one"};
        }
        fact_["star_in_sequence"] = holds;
        return holds ? "in-sequence hub confirmed" : "no in-sequence hub, confirmed";
    }

    // --- The necessary condition: influence with the residual connection ------------------------
    // j influences k at some depth exactly when the union graph has a path from j to k (every layer
    // is residual, so a token keeps what influenced it and waits for the pattern it needs).
    std::string check_influence(const json& c) {
        const auto holds = as_claim(field(c, "holds", "influence"), "influence.holds");
        if (!holds) throw Invalid{"influence: claims undetermined, but two graph searches always decide it"};
        const auto inputs = input_tokens(p_);
        if (*holds) {
            // A confirmed finite s puts every token j in every S_k^s, which lies inside the
            // influence set I_k^s: no graph search is needed.
            if (fact_["reachability"] == true) {
                fact_["influence"] = true;
                return "influence confirmed: it follows from the confirmed s (S_k^s, inside I_k^s, holds every token)";
            }
            if (!mutually_reachable(p_, inputs))
                throw Invalid{"influence: claims every input token influences every other, but the union graph has no path "
                              "between some pair"};
            fact_["influence"] = true;
            return "influence confirmed: every input token reaches every input token in the union graph";
        }
        fact_["influence"] = false;
        return "influence fails: " + check_closure(field(c, "closure", "influence"), "influence.closure", true);
    }

    // --- Theorems (from the registry, never from the certificate) and the verdict ---------------
    std::string check_theorems_and_verdict(const json& cert) {
        const auto registry = sparsecert::theorem_registry();
        const json& listed = as_array(field(cert, "theorems", ""), "theorems", registry.size());
        if (listed.size() != registry.size())
            throw Invalid{"theorems: lists " + std::to_string(listed.size()) + " theorems, the registry has " +
                          std::to_string(registry.size())};
        std::vector<sparsecert::TheoremOutcome> outcomes;
        for (std::size_t i = 0; i < registry.size(); ++i) {
            const auto& t = registry[i];
            const json& entry = listed[i];
            const std::string place = at("theorems", i);
            const std::string id = as_string(field(entry, "id", place), at(place, "id"));
            if (id != t.id) throw Invalid{place + ": is \"" + id + "\", the registry's theorem here is \"" + t.id + "\""};
            if (as_string(field(entry, "kind", place), at(place, "kind")) != t.kind)
                throw Invalid{place + ": " + id + " is " + t.kind + " in the registry"};
            if (as_string(field(entry, "p_range", place), at(place, "p_range")) != t.p_range.text())
                throw Invalid{place + ": " + id + " is for d_p with " + t.p_range.human() + " in the registry"};
            const json& hyps = as_array(field(entry, "hypotheses", place), at(place, "hypotheses"), t.hypotheses.size());
            bool same = hyps.size() == t.hypotheses.size();
            for (std::size_t h = 0; same && h < hyps.size(); ++h)
                same = as_string(hyps[h], at(at(place, "hypotheses"), h)) == t.hypotheses[h].check;
            if (!same) throw Invalid{place + ": the hypotheses of " + id + " differ from the registry's"};
            // Three-valued conjunction of the facts confirmed above.
            std::optional<bool> value = true;
            for (const auto& h : t.hypotheses) {
                const auto it = fact_.find(h.check);
                const std::optional<bool> v = it == fact_.end() ? std::nullopt : it->second;
                if (v == false) {
                    value = false;
                    break;
                }
                if (!v) value = std::nullopt;
            }
            const auto claimed = as_claim(field(entry, "applies", place), at(place, "applies"));
            auto text = [](const std::optional<bool>& v) { return !v ? std::string("undetermined") : *v ? "true" : "false"; };
            if (claimed != value)
                throw Invalid{place + ": " + id + " is claimed to apply = " + text(claimed) + ", the checked facts give " +
                              text(value)};
            outcomes.push_back({t.id, t.kind, value, "", t.p_range});
        }
        const std::string expected = sparsecert::verdict(outcomes);
        const std::string claimed = as_string(field(cert, "verdict", ""), "verdict");
        if (claimed != expected) throw Invalid{"verdict: claims \"" + claimed + "\", the checked facts give \"" + expected + "\""};
        const auto range = sparsecert::verdict_p_range(outcomes);
        const json& claimed_range = field(cert, "verdict_p_range", "");
        if (claimed_range != (range ? json(range->text()) : json(nullptr)))
            throw Invalid{"verdict_p_range: does not match the range of the deciding theorems"};
        std::string because;
        for (const auto& o : outcomes)
            if ((expected == "universal" && o.kind == "sufficient" && o.applies == true) ||
                (expected == "not-universal" && o.kind == "necessary" && o.applies == false))
                because += (because.empty() ? "" : ", ") + o.id;
        std::string line = "verdict " + expected;
        if (range) line += " (" + because + "; d_p for " + range->human() + ")";
        return line + " follows for n = " + std::to_string(p_.n) + ", p = " + std::to_string(p_.p());
    }

    const Pattern& p_;
    std::filesystem::path dir_;
    double solver_seconds_;
    std::uint64_t connections_, words_;
    std::uint64_t step_cost_;  // one step of a structured propagation: n plus a layer's description
    std::map<std::string, std::optional<bool>> fact_;  // the facts confirmed here, by check name
};

// The certificate's text, refusing more than `limit` bytes before reading them
// (sparsecert/support/input_file.hpp: FIFOs without a writer and devices are refused too).
std::string read_bounded(const std::string& path, std::uint64_t limit) {
    return sparsecert::read_input_file(path, path, {limit, "more than any certificate of this pattern can be"});
}

// The largest certificate a pattern can have: every list in it has at most n * (p + 4) numbers
// (missing pairs, the path, labels, closure sets), each at most 24 bytes with its indentation.
std::uint64_t certificate_limit(const Pattern& p) {
    return (std::uint64_t{1} << 20) + times(times(p.n, p.p() + 4), 24 * 3);
}

// The memory the process may use, so that an absurd size ends in std::bad_alloc (reported as bad
// input) rather than in the machine's out-of-memory killer: half the physical memory.
void limit_memory() {
#if defined(__SANITIZE_ADDRESS__)
    return;  // AddressSanitizer reserves terabytes of address space for its shadow memory
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return;
#endif
#endif
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return;
    rlimit r{};
    if (::getrlimit(RLIMIT_AS, &r) != 0) return;
    const rlim_t half = rlim_t(pages) * rlim_t(page) / 2;
    if (r.rlim_cur == RLIM_INFINITY || r.rlim_cur > half) {
        r.rlim_cur = half;
        ::setrlimit(RLIMIT_AS, &r);
    }
}

int run(const std::string& pattern_file, const std::string& certificate_file, std::optional<std::uint64_t> n,
        std::optional<std::uint64_t> max_connections, double solver_seconds, std::ostream& out) {
    Pattern p;
    try {
        p = sparsecert::tools::load_pattern(pattern_file, n, {}, max_connections);
    } catch (const std::bad_alloc&) {
        throw sparsecert::InputError(pattern_file, "", "the pattern" + (n ? " at n = " + std::to_string(*n) : std::string()) +
                                                           " does not fit in the checker's memory");
    }
    const std::string checked = "n = " + std::to_string(p.n);
    json cert;
    try {
        cert = sparsecert::parse_json_text(read_bounded(certificate_file, certificate_limit(p)), certificate_file);
    } catch (const std::bad_alloc&) {
        throw sparsecert::InputError(certificate_file, "", "the certificate does not fit in the checker's memory");
    }
    const std::string dir = std::filesystem::path(certificate_file).parent_path().string();
    try {
        Checker checker(p, dir.empty() ? "." : dir, solver_seconds);
        const auto notes = checker.run(cert);
        // Notes and messages may quote strings of the certificate: escaped, as everything echoed.
        out << "valid (" << checked << "): " << sparsecert::printable(notes.front()) << "\n";
        for (std::size_t i = 1; i < notes.size(); ++i) out << "  " << sparsecert::printable(notes[i]) << "\n";
        return 0;
    } catch (const Invalid& e) {
        out << "invalid (" << checked << "): " << sparsecert::printable(e.message) << "\n";
        return 1;
    } catch (const Unconfirmed& e) {
        out << "unconfirmed (" << checked << "): could not confirm within the budget: " << sparsecert::printable(e.message)
            << "\n";
        return 3;
    } catch (const Malformed& e) {
        throw sparsecert::InputError(certificate_file, e.place, e.problem);
    } catch (const std::bad_alloc&) {
        throw sparsecert::InputError(certificate_file, "", "checking it does not fit in the checker's memory");
    }
}

// --coq OUT.v: writes the pattern and the certificate as a Coq file instead of checking; coqc on
// that file is the check (docs/trust.md, "The Coq check").
int export_coq(const std::string& out_file, const std::string& pattern_file, const std::string& certificate_file,
               std::optional<std::uint64_t> n, std::optional<std::uint64_t> max_connections, std::ostream& out) {
    const Pattern p = sparsecert::tools::load_pattern(pattern_file, n, {}, max_connections);
    const auto coq = sparsecert::coq_certificate(p, read_bounded(certificate_file, certificate_limit(p)), certificate_file);
    sparsecert::tools::write_output_file(out_file, coq.text);
    out << "wrote " << out_file << " (n = " << p.n << "): Theorem verdict : " << coq.statement << "\n";
    for (const auto& note : coq.unchecked) out << "  not in the Coq file: " << note << "\n";
    return 0;
}

// coqc names the module after the file: MODULE.v, MODULE of letters, digits and _.
bool coq_file_name(const std::string& file) {
    const std::filesystem::path path(file);
    const std::string stem = path.stem().string();
    return path.extension() == ".v" && !stem.empty() && !std::isdigit(static_cast<unsigned char>(stem[0])) &&
           std::all_of(stem.begin(), stem.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// The command line (src/tools/common/program.hpp: --help with the exit statuses, --version, --quiet).
sparsecert::tools::Action check_command(CLI::App& app, sparsecert::tools::Context& context) {
    struct Args {
        std::string pattern, certificate;
        std::optional<std::uint64_t> n, max_connections;
        double timeout = 600;
        std::optional<std::string> coq;
    };
    auto a = std::make_shared<Args>();
    app.description("Re-check a verify-pattern certificate against its pattern at n = N (default: the file's n), with "
                    "simple algorithms of its own (docs/trust.md).");
    app.add_option("PATTERN", a->pattern, sparsecert::tools::pattern_file_help)->required();
    app.add_option("CERTIFICATE", a->certificate, "the certificate (verify-pattern --certificate)")->required();
    sparsecert::tools::add_n_option(app, a->n);
    sparsecert::tools::add_max_connections_option(app, a->max_connections);
    sparsecert::tools::add_timeout_option(app, a->timeout,
                                          "the solver's budget in seconds for a solver refutation (default 600)");
    app.add_option("--coq", a->coq,
                   "instead of checking, write the pattern and the certificate as the Coq file OUT.v; "
                   "coqc -Q build/coq Sparsecert OUT.v is the check (docs/trust.md, \"The Coq check\"); exit 0 when written")
        ->type_name("OUT.v");
    sparsecert::tools::standard_options(app, context,
                                        {{0, "valid"},
                                         {1, "invalid (the line says why)"},
                                         {3, "could not confirm within the budget"}});
    return [&context, a] {
        limit_memory();
        if (a->coq) {
            if (!coq_file_name(*a->coq))
                throw sparsecert::tools::UsageError{"--coq", "a Coq file is named MODULE.v, MODULE of letters, digits and _, "
                                                             "not starting with a digit: " + *a->coq};
            return export_coq(*a->coq, a->pattern, a->certificate, a->n, a->max_connections, context.out());
        }
        return run(a->pattern, a->certificate, a->n, a->max_connections, a->timeout, context.out());
    };
}

}  // namespace

int main(int argc, char** argv) {
    return sparsecert::tools::run_program("check-certificate", check_command, argc, argv);
}
