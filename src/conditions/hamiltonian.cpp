// Condition 2 of Assumption 1 (docs/theory.md section 2): a directed Hamiltonian path in the union
// graph (edge j -> k whenever k attends to j in some pattern, j != k). Directed Hamiltonian path
// is NP-complete, so the checker is a pipeline in which every answer carries evidence
// (docs/algorithms.md section 1):
//
//   1. obvious token orders, checked directly on the pattern before any graph is built (a local
//      window already gives 0 -> 1 -> ... -> n-1; docs/algorithms.md section 1.1), then, on the union
//      graph, the same orders with global tokens inserted wherever they break;
//   2. polynomial refutations with small certificates (section 1.2): two sources, two sinks, a
//      condensation that is not a chain (which also decides the DAG case exactly, section 1.1),
//      Hall's condition on the successor matching, a separator of the undirected shadow graph;
//   3. a pruned depth-first search (Warnsdorff/Pohl value ordering, degree counting, the
//      successor matching kept perfect move by move, an SCC-chain lookahead, restarts with
//      doubling budgets; sections 1.3 and 1.4), bounded by a node limit and a time share;
//   4. the exact successor + ordering encoding in Z3 (section 1.5; hamiltonian_z3.cpp), never the
//      position encoding.
//
// Every path returned is re-checked with is_hamiltonian_path against the pattern itself; every
// refutation is re-checked here by the same simple test a certificate checker would run. A
// search that proves "no path" only by exhausting its tree is reported as such
// ("exhaustive-search") when Z3 cannot supply a checkable certificate.
#include "sparsecert/conditions/hamiltonian.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iterator>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "conditions/hamiltonian_internal.hpp"
#include "conditions/successor_matching.hpp"
#include "sparsecert/conditions/components.hpp"
#include "sparsecert/support/deadline.hpp"

namespace sparsecert {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// "0.001", "10": for one-line reasons.
std::string seconds_text(double s) {
    std::string text = std::to_string(s);
    text.erase(text.find_last_not_of('0') + 1);
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
}

using detail::no_token;
using detail::SuccessorMatching;
using detail::maximum_matching;

bool attends_in_some_layer(const Pattern& pattern, token_t k, token_t j) {
    for (const auto& layer : pattern.layers)
        if (layer.attends(k, j)) return true;
    return false;
}

// "a, b, c" with at most `shown` entries, for one-line reasons.
std::string token_list(std::span<const token_t> tokens, std::size_t shown = 8) {
    std::string s;
    for (std::size_t i = 0; i < tokens.size() && i < shown; ++i) {
        if (i) s += ", ";
        s += std::to_string(tokens[i]);
    }
    if (tokens.size() > shown) s += ", ... (" + std::to_string(tokens.size()) + " tokens)";
    return s;
}

// A path that passed is_hamiltonian_path; anything else is not returned (never trust a stage).
std::optional<HamiltonianResult> verified_path(const Pattern& pattern, std::vector<token_t> path,
                                               std::string method) {
    if (!is_hamiltonian_path(pattern, path)) return std::nullopt;
    HamiltonianResult result;
    result.holds = true;
    result.path = std::move(path);
    result.method = std::move(method);
    return result;
}

HamiltonianResult refuted(HamiltonianRefutation refutation, std::string reason) {
    HamiltonianResult result;
    result.holds = false;
    result.method = refutation.kind;
    result.reason = std::move(reason);
    result.refutation = std::move(refutation);
    return result;
}

// ---------------------------------------------------------------------------------------------
// Stage 1: obvious orders, on the pattern itself (no union graph: at n = 262,144 a BigBird
// pattern has ~1.7e8 connections, and the common case should not pay for a second copy).

// Block sizes and strides suggested by the first rows of each layer: the run of tokens whose
// attended set equals token 0's (block-local layers, e.g. Child et al.'s "fixed", BigBird's
// blocks), and the most common gap inside a middle token's attended set (strided layers).
// Work is capped at O(n) per layer.
std::vector<token_t> candidate_periods(const Pattern& pattern) {
    const token_t n = pattern.n;
    std::vector<token_t> periods;
    auto add = [&](std::uint64_t c) {
        if (c >= 2 && c < n && periods.size() < 4 &&
            std::find(periods.begin(), periods.end(), token_t(c)) == periods.end())
            periods.push_back(token_t(c));
    };
    for (std::size_t l = 0; l < pattern.layers.size() && l < 4; ++l) {
        const Layer& layer = pattern.layers[l];
        auto first = layer.attended(0);
        std::uint64_t work = 0;
        token_t run = 1;
        while (run < n && work < 4 * std::uint64_t(n) + 1024) {
            auto row = layer.attended(run);
            work += row.size() + 1;
            if (!std::equal(row.begin(), row.end(), first.begin(), first.end())) break;
            ++run;
        }
        if (run < n) add(run);
        auto middle = layer.attended(n / 2);
        if (middle.size() >= 3 && middle.size() <= 65536) {
            std::vector<token_t> gaps;
            for (std::size_t i = 1; i < middle.size(); ++i) gaps.push_back(middle[i] - middle[i - 1]);
            std::sort(gaps.begin(), gaps.end());
            token_t best = 0;
            std::size_t best_count = 0;
            for (std::size_t i = 0; i < gaps.size();) {
                std::size_t j = i;
                while (j < gaps.size() && gaps[j] == gaps[i]) ++j;
                if (gaps[i] > 1 && j - i > best_count) best = gaps[i], best_count = j - i;
                i = j;
            }
            if (best_count >= 2) add(best);
        }
    }
    return periods;
}

struct NamedOrder {
    std::string method;
    std::vector<token_t> order;
};

std::vector<token_t> reversed(std::vector<token_t> order) {
    std::reverse(order.begin(), order.end());
    return order;
}

// Orders for one block size / stride c: blocks in one direction with tokens in the other (a
// pattern whose blocks link "backwards"), and column-major orders by residue mod c (strided
// layers), straight and as a snake.
std::vector<NamedOrder> period_orders(token_t n, token_t c) {
    std::vector<NamedOrder> orders;
    const token_t blocks = token_t((std::uint64_t(n) + c - 1) / c);
    const std::string tag = " (c = " + std::to_string(c) + ")";
    std::vector<token_t> order;
    order.reserve(n);
    for (token_t b = 0; b < blocks; ++b) {
        const std::uint64_t lo = std::uint64_t(b) * c, hi = std::min<std::uint64_t>(n, lo + c);
        for (std::uint64_t t = hi; t-- > lo;) order.push_back(token_t(t));
    }
    orders.push_back({"block order: blocks ascending, tokens descending" + tag, order});
    orders.push_back({"block order: blocks descending, tokens ascending" + tag, reversed(order)});
    order.clear();
    for (token_t r = 0; r < c; ++r)
        for (std::uint64_t t = r; t < n; t += c) order.push_back(token_t(t));
    orders.push_back({"strided order: residues ascending" + tag, order});
    orders.push_back({"strided order: residues descending, reversed" + tag, reversed(order)});
    order.clear();
    for (token_t r = 0; r < c; ++r) {
        const std::size_t begin = order.size();
        for (std::uint64_t t = r; t < n; t += c) order.push_back(token_t(t));
        if (r % 2 == 1) std::reverse(order.begin() + std::ptrdiff_t(begin), order.end());
    }
    orders.push_back({"strided snake order" + tag, order});
    orders.push_back({"strided snake order, reversed" + tag, reversed(order)});
    return orders;
}

// O(n) lookups per order, stopping at the first pair that is not an edge.
bool consecutive_pairs_attend(const Pattern& pattern, const std::vector<token_t>& order) {
    for (std::size_t i = 1; i < order.size(); ++i)
        if (!attends_in_some_layer(pattern, order[i], order[i - 1])) return false;
    return true;
}

std::optional<HamiltonianResult> try_obvious_orders(const Pattern& pattern) {
    const token_t n = pattern.n;
    std::vector<token_t> identity(n);
    std::iota(identity.begin(), identity.end(), token_t{0});
    std::vector<NamedOrder> orders;
    orders.push_back({"identity order", identity});
    orders.push_back({"reverse order", reversed(identity)});
    for (NamedOrder& order : orders)
        if (consecutive_pairs_attend(pattern, order.order))
            if (auto r = verified_path(pattern, std::move(order.order), order.method)) return r;
    for (token_t c : candidate_periods(pattern))
        for (NamedOrder& order : period_orders(n, c))
            if (consecutive_pairs_attend(pattern, order.order))
                if (auto r = verified_path(pattern, std::move(order.order), order.method)) return r;
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// The union graph in both directions.

struct UnionGraph {
    Layer in;   // row k: the tokens j with an edge j -> k (k attends to j)
    Layer out;  // row j: the tokens k with an edge j -> k
    token_t n() const noexcept { return in.size(); }
    std::uint64_t edges() const noexcept { return in.connections(); }
    bool edge(token_t j, token_t k) const noexcept { return in.attends(k, j); }
};

// Global tokens (attend to all, attended by all: Longformer, BigBird ITC, a star's relay) can sit
// between any two tokens, so they can repair the identity order wherever it breaks (a "snake"
// through the windows that detours via a global token).
std::optional<HamiltonianResult> try_bridged_orders(const Pattern& pattern, const UnionGraph& g) {
    const token_t n = g.n();
    std::vector<token_t> full;
    std::vector<char> is_full(n, 0);
    for (token_t v = 0; v < n; ++v)
        if (g.in.degree(v) == n - 1 && g.out.degree(v) == n - 1) full.push_back(v), is_full[v] = 1;
    if (full.empty() || full.size() == n) return std::nullopt;
    for (bool descending : {false, true}) {
        std::vector<token_t> path;
        path.reserve(n);
        std::size_t next_full = 0;
        bool ok = true;
        for (token_t i = 0; i < n && ok; ++i) {
            const token_t t = descending ? n - 1 - i : i;
            if (is_full[t]) continue;
            if (!path.empty() && !g.edge(path.back(), t)) {
                if (next_full == full.size()) ok = false;
                else path.push_back(full[next_full++]);
            }
            path.push_back(t);
        }
        if (!ok) continue;
        while (next_full < full.size()) path.push_back(full[next_full++]);
        if (auto r = verified_path(pattern, std::move(path),
                                   descending ? "reverse order with global tokens as bridges"
                                              : "identity order with global tokens as bridges"))
            return r;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Stage 2: polynomial refutations (docs/algorithms.md section 1.2).

// A path begins at one token and ends at one token: every other token has a predecessor and a
// successor on it.
std::optional<HamiltonianResult> refute_by_degrees(const UnionGraph& g) {
    const token_t n = g.n();
    std::vector<token_t> sources, sinks;
    for (token_t v = 0; v < n && sources.size() < 2; ++v)
        if (g.in.degree(v) == 0) sources.push_back(v);
    if (sources.size() == 2) {
        HamiltonianRefutation ref;
        ref.kind = "sources";
        ref.tokens = sources;
        return refuted(std::move(ref),
                       "tokens " + std::to_string(sources[0]) + " and " +
                           std::to_string(sources[1]) +
                           " attend to no other token (in-degree 0 in the union graph): both "
                           "would have to begin the path");
    }
    for (token_t v = 0; v < n && sinks.size() < 2; ++v)
        if (g.out.degree(v) == 0) sinks.push_back(v);
    if (sinks.size() == 2) {
        HamiltonianRefutation ref;
        ref.kind = "sinks";
        ref.tokens = sinks;
        return refuted(std::move(ref),
                       "no other token attends to tokens " + std::to_string(sinks[0]) + " or " +
                           std::to_string(sinks[1]) +
                           " (out-degree 0 in the union graph): both would have to end the path");
    }
    return std::nullopt;
}

struct SccChain {
    std::optional<HamiltonianResult> result;  // a DAG path or an scc-chain refutation
    std::vector<std::uint32_t> label;         // component of every token, in topological order
    std::uint32_t count = 0;
};

// A Hamiltonian path visits the strongly connected components in topological order of the
// condensation, each one contiguously, so consecutive components need an edge between them
// (docs/algorithms.md section 1.2). The labelling is monotone along every edge, which is all a checker
// needs: along any path labels never decrease, so a path through every label must step from the
// last token of label a straight to label a + 1. When every component is a single token (the
// union graph is a DAG, e.g. causal masks) this decides the question exactly (section 1.1).
SccChain scc_chain(const Pattern& pattern, const UnionGraph& g) {
    const token_t n = g.n();
    SccChain chain;
    Components components = strong_components(g.out);
    chain.count = components.count;
    chain.label = std::move(components.label);
    const std::uint32_t count = chain.count;
    std::vector<char> linked(count, 0);  // linked[a]: some edge from label a to label a + 1
    for (token_t k = 0; k < n; ++k)
        for (token_t j : g.in.attended(k)) {
            const std::uint32_t a = chain.label[j], b = chain.label[k];
            if (a > b) throw std::logic_error("hamiltonian: SCC labelling is not topological");
            if (b == a + 1) linked[a] = 1;
        }
    for (std::uint32_t a = 0; a + 1 < count; ++a)
        if (!linked[a]) {
            HamiltonianRefutation ref;
            ref.kind = "scc-chain";
            ref.component = chain.label;
            ref.first_component = a;
            ref.second_component = a + 1;
            std::string reason;
            if (count == n) {
                token_t x = 0, y = 0;  // the tokens at topological positions a and a + 1
                for (token_t v = 0; v < n; ++v) {
                    if (chain.label[v] == a) x = v;
                    if (chain.label[v] == a + 1) y = v;
                }
                reason = "the union graph is acyclic (a DAG) and no edge joins topological positions " +
                         std::to_string(a) + " and " + std::to_string(a + 1) + " (tokens " +
                         std::to_string(x) + " and " + std::to_string(y) + ": token " +
                         std::to_string(y) + " does not attend to token " + std::to_string(x) +
                         "), so no path can pass from one to the next";
            } else {
                reason = "strongly connected components " + std::to_string(a) + " and " +
                         std::to_string(a + 1) + " of " + std::to_string(count) +
                         " (in topological order) have no edge from the first to the second, so "
                         "no path can pass from one to the next";
            }
            chain.result = refuted(std::move(ref), std::move(reason));
            return chain;
        }
    if (count == n) {
        std::vector<token_t> path(n);
        for (token_t v = 0; v < n; ++v) path[chain.label[v]] = v;
        chain.result = verified_path(pattern, std::move(path), "dag order");
    }
    return chain;
}

// Hall's condition on predecessors: the alternating search from two tokens left without a
// predecessor by a maximum matching reaches a set Y whose in-neighbours are all matched into Y
// minus those two, so |N^-(Y)| <= |Y| - 2, while a path needs |Y| - 1 distinct predecessors.
// `kept` receives the maximum matching when it leaves at most one token without a predecessor
// (the DFS starts from it).
std::optional<HamiltonianResult> refute_by_matching(const UnionGraph& g,
                                                    std::optional<SuccessorMatching>& kept) {
    const token_t n = g.n();
    // (Hopcroft-Karp needs a few passes in practice; the limit only guards pathological inputs.)
    auto m = maximum_matching(g.in, 20 * (std::uint64_t(n) + g.edges()) + 10'000'000);
    if (!m) return std::nullopt;
    if (std::count(m->mate_in.begin(), m->mate_in.end(), no_token) <= 1) {
        kept = std::move(m);
        return std::nullopt;
    }
    std::vector<token_t> unmatched;
    for (token_t y = 0; y < n && unmatched.size() < 2; ++y)
        if (m->mate_in[y] == no_token) unmatched.push_back(y);
    if (unmatched.size() < 2) return std::nullopt;
    m->next_epoch();
    std::vector<token_t> reached = unmatched;
    for (token_t z : unmatched) m->mark_in[z] = m->epoch;
    for (std::size_t head = 0; head < reached.size(); ++head)
        for (token_t x : g.in.attended(reached[head])) {
            if (m->mark_out[x] == m->epoch) continue;
            m->mark_out[x] = m->epoch;
            const token_t next = m->mate_out[x];
            if (next == no_token) return std::nullopt;  // not maximum after all: no certificate
            if (m->mark_in[next] != m->epoch) m->mark_in[next] = m->epoch, reached.push_back(next);
        }
    std::sort(reached.begin(), reached.end());
    // Re-check the certificate as a checker would: count the distinct in-neighbours.
    std::vector<char> is_pred(n, 0);
    std::uint64_t preds = 0;
    for (token_t y : reached)
        for (token_t x : g.in.attended(y))
            if (!is_pred[x]) is_pred[x] = 1, ++preds;
    if (preds + 2 > reached.size()) return std::nullopt;
    const std::string size = std::to_string(reached.size());
    HamiltonianRefutation ref;
    ref.kind = "hall";
    ref.tokens = reached;
    return refuted(std::move(ref),
                   "the " + size + " tokens {" + token_list(reached) + "} attend to only " +
                       std::to_string(preds) + " other token(s) in total (in-neighbours in the "
                       "union graph), fewer than " + size +
                       " - 1: on a path every token but the first needs a predecessor of its own");
}

// Calls f(w) for every neighbour w of v in the undirected shadow graph (in- then out-list; a
// token in both lists is visited twice, which none of the users minds).
template <typename F>
void for_each_shadow_neighbour(const UnionGraph& g, token_t v, F&& f) {
    for (token_t w : g.in.attended(v)) f(w);
    for (token_t w : g.out.attended(v)) f(w);
}

// Components of the shadow graph after deleting the tokens with removed[v] set.
std::uint64_t components_without(const UnionGraph& g, const std::vector<char>& removed) {
    const token_t n = g.n();
    std::vector<char> seen(removed);
    std::vector<token_t> queue;
    std::uint64_t components = 0;
    for (token_t r = 0; r < n; ++r) {
        if (seen[r]) continue;
        ++components;
        seen[r] = 1;
        queue.assign(1, r);
        while (!queue.empty()) {
            const token_t v = queue.back();
            queue.pop_back();
            for_each_shadow_neighbour(g, v, [&](token_t w) {
                if (!seen[w]) seen[w] = 1, queue.push_back(w);
            });
        }
    }
    return components;
}

// The separator certificate, re-checked before it is returned: removing X leaves more than
// |X| + 1 components, while a Hamiltonian path minus |X| tokens falls into at most |X| + 1 pieces.
std::optional<HamiltonianResult> separator_if_valid(const UnionGraph& g, std::vector<token_t> x,
                                                    const std::string& how) {
    std::vector<char> removed(g.n(), 0);
    for (token_t v : x) removed[v] = 1;
    const std::uint64_t components = components_without(g, removed);
    if (components <= x.size() + 1) return std::nullopt;
    std::sort(x.begin(), x.end());
    const std::string size = std::to_string(x.size());
    std::string reason = "removing " + size + " token(s) {" + token_list(x) + "} (" + how +
                         ") leaves " + std::to_string(components) +
                         " components of the undirected shadow graph, more than " + size +
                         " + 1";
    HamiltonianRefutation ref;
    ref.kind = "separator";
    ref.tokens = std::move(x);
    return refuted(std::move(ref), std::move(reason));
}

// Cut vertices: for every token x, the number of shadow components after deleting x, from one
// iterative lowpoint DFS (a child c with low[c] >= disc[x] is cut off from the rest by x).
// Returns the token with the most, if that is at least 3 (the hub of a star).
std::optional<token_t> best_cut_vertex(const UnionGraph& g) {
    const token_t n = g.n();
    std::vector<token_t> disc(n, no_token), low(n), parent(n, no_token);
    std::vector<std::uint32_t> cut_children(n, 0);
    std::vector<std::pair<token_t, std::uint64_t>> stack;  // (token, next neighbour index)
    std::uint64_t components = 0;
    token_t time = 0;
    for (token_t root = 0; root < n; ++root) {
        if (disc[root] != no_token) continue;
        ++components;
        disc[root] = low[root] = time++;
        stack.assign(1, {root, 0});
        while (!stack.empty()) {
            auto& [v, next] = stack.back();
            const std::uint64_t din = g.in.degree(v), degree = din + g.out.degree(v);
            if (next < degree) {
                const token_t w = next < din ? g.in.attended(v)[next] : g.out.attended(v)[next - din];
                ++next;
                if (disc[w] == no_token) {
                    disc[w] = low[w] = time++;
                    parent[w] = v;
                    stack.push_back({w, 0});
                } else {
                    low[v] = std::min(low[v], disc[w]);
                }
                continue;
            }
            const token_t done = v;
            stack.pop_back();
            const token_t p = parent[done];
            if (p != no_token) {
                low[p] = std::min(low[p], low[done]);
                if (low[done] >= disc[p]) ++cut_children[p];
            }
        }
    }
    token_t best = no_token;
    std::uint64_t best_after = 0;
    for (token_t x = 0; x < n; ++x) {
        const std::uint64_t after = components - 1 + cut_children[x] + (parent[x] != no_token);
        if (after > best_after) best = x, best_after = after;
    }
    if (best_after >= 3) return best;
    return std::nullopt;
}

std::optional<HamiltonianResult> refute_by_separator(const UnionGraph& g) {
    const token_t n = g.n();
    if (n < 3) return std::nullopt;
    if (auto x = best_cut_vertex(g))
        if (auto r = separator_if_valid(g, {*x}, "a cut vertex")) return r;

    // An independent set I with 2|I| >= n + 2: deleting the other n - |I| tokens leaves |I|
    // isolated tokens. Candidates: the larger colour class of a bipartite shadow (the parity
    // obstruction of grids) and a greedy independent set by ascending degree.
    std::vector<token_t> by_degree(n);
    std::iota(by_degree.begin(), by_degree.end(), token_t{0});
    auto shadow_degree = [&](token_t v) { return g.in.degree(v) + g.out.degree(v); };
    std::stable_sort(by_degree.begin(), by_degree.end(),
                     [&](token_t a, token_t b) { return shadow_degree(a) < shadow_degree(b); });
    auto complement_if_large = [&](const std::vector<char>& in_set, const std::string& how)
        -> std::optional<HamiltonianResult> {
        const std::uint64_t size = std::count(in_set.begin(), in_set.end(), 1);
        if (2 * size < std::uint64_t(n) + 2) return std::nullopt;
        std::vector<token_t> x;
        for (token_t v = 0; v < n; ++v)
            if (!in_set[v]) x.push_back(v);
        return separator_if_valid(g, std::move(x), how);
    };
    {
        std::vector<signed char> colour(n, -1);
        std::vector<token_t> queue;
        bool bipartite = true;
        for (token_t r = 0; r < n && bipartite; ++r) {
            if (colour[r] >= 0) continue;
            colour[r] = 0;
            queue.assign(1, r);
            while (!queue.empty() && bipartite) {
                const token_t v = queue.back();
                queue.pop_back();
                for_each_shadow_neighbour(g, v, [&](token_t w) {
                    if (colour[w] < 0) colour[w] = static_cast<signed char>(1 - colour[v]), queue.push_back(w);
                    else if (colour[w] == colour[v]) bipartite = false;
                });
            }
        }
        if (bipartite) {
            const std::uint64_t ones = std::count(colour.begin(), colour.end(), 1);
            const signed char larger = 2 * ones > n ? 1 : 0;
            std::vector<char> in_set(n);
            for (token_t v = 0; v < n; ++v) in_set[v] = colour[v] == larger;
            if (auto r = complement_if_large(in_set, "the smaller side of a bipartite shadow"))
                return r;
        }
    }
    {
        std::vector<char> in_set(n, 0), blocked(n, 0);
        for (token_t v : by_degree) {
            if (blocked[v]) continue;
            in_set[v] = 1;
            for_each_shadow_neighbour(g, v, [&](token_t w) { blocked[w] = 1; });
        }
        if (auto r = complement_if_large(in_set, "the complement of an independent set")) return r;
    }
    // The highest-degree tokens (global tokens, hubs), a few prefix sizes, within a work budget
    // of a few passes over the graph.
    const std::uint64_t pass = std::uint64_t(n) + 2 * g.edges();
    const std::uint64_t passes = std::max<std::uint64_t>(1, std::uint64_t(4e8) / pass);
    // Only tokens of well above average degree count (in a homogeneous graph deleting a few
    // tokens cannot leave many components).
    std::vector<token_t> top(by_degree.rbegin(), by_degree.rend());
    const std::uint64_t high = 4 * (2 * g.edges() / n) + 2;
    std::uint64_t tried = 0;
    for (std::uint64_t t : {2, 3, 4, 6, 8, 16, 32}) {
        if (t + 2 > n || tried >= passes || shadow_degree(top[t - 1]) < high) break;
        ++tried;
        if (auto r = separator_if_valid(
                g, std::vector<token_t>(top.begin(), top.begin() + std::ptrdiff_t(t)),
                "the highest-degree tokens"))
            return r;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Stage 3: pruned depth-first search (docs/algorithms.md sections 1.3 and 1.4).

struct DfsOutcome {
    enum class Status { found, exhausted, stopped };
    Status status = Status::stopped;
    std::vector<token_t> path;  // found: in search direction
    std::uint64_t nodes = 0;
    std::uint32_t rounds = 0;
    std::string stop_reason;
};

std::uint64_t mix64(std::uint64_t z) {  // splitmix64's finaliser: tie-breaking in later rounds
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Extends a path along `succ` (successor lists in the search direction; `pred` the predecessor
// lists). Per token it keeps the number of unvisited predecessors and successors and the XOR of
// their ids (so that when one is left, its id is at hand). Pruning, all of it necessary
// conditions for "a path from the current end through every unvisited token" (docs/algorithms.md
// sections 1.2-1.3; degree-2 forcing after Vandegriend-Culberson):
//  - an unvisited token with no unvisited successor must end the path: two such are a dead end;
//  - an unvisited token with no unvisited predecessor can only come right after the current end:
//    two such are a dead end, one such is the forced next move;
//  - a successor with no unvisited successor of its own is skipped unless it would be last;
//  - the successor matching (the assignment relaxation of section 1.2, Hall's condition): every
//    unvisited token needs its own predecessor among the end and the unvisited tokens. A perfect
//    matching is kept up to date, one augmenting path per move (undoing a move is O(1));
//  - lookahead, amortised (run once the moves since the last one have touched as many edges as
//    it costs; measured better than every node on planted random digraphs): every
//    unvisited token reachable from the end, the components of what is left forming a chain
//    (stage 2's scc-chain test on the remaining graph), no two tokens forced to follow the same
//    token, at most one token forced to end the path.
// Value ordering: Warnsdorff/Pohl (section 1.4), fewest unvisited successors first, then fewest
// unvisited predecessors, then the token id (round 0) or a seeded hash (later rounds).
class PathSearch {
public:
    enum class Result { found, exhausted, budget, deadline };

    // `matching`: a maximum matching along `pred` leaving at most one token without a
    // predecessor (from stage 2), or nullopt to compute one when needed.
    PathSearch(const Layer& pred, const Layer& succ, std::optional<SuccessorMatching> matching)
        : pred_(pred), succ_(succ), n_(succ.size()), in_left_(n_), out_left_(n_),
          xor_pred_(n_), xor_succ_(n_), visited_(n_), seen_(n_, 0), next_ok_(n_, 0),
          claim_pred_(n_, 0), claim_succ_(n_, 0), linked_(std::size_t(n_) + 1, 0), index_(n_),
          low_(n_), component_(n_), matching_(std::move(matching)) {
        lookahead_cost_ = std::uint64_t(n_) + succ.connections();
        if (matching_) use_matching();
    }

    std::uint64_t nodes() const noexcept { return nodes_; }
    std::vector<token_t>& path() noexcept { return path_; }

    // One complete depth-first search over all starts, with tie-breaking seed `round`, stopping
    // after `budget` nodes or at `deadline`. `exhausted` means the whole tree was searched.
    // Except after `found`, the state is unwound to the root, ready for the next round.
    Result run(const std::vector<token_t>& starts_in, std::uint64_t budget, std::uint64_t round,
               Clock::time_point deadline, const std::function<void(std::uint64_t)>& tick) {
        reset();
        round_ = round;
        std::vector<token_t> starts = starts_in;
        // Later rounds try the starts in a seeded order: a round usually runs out of budget under
        // its first start, and with no source the true start is often one particular token.
        if (round_ > 0)
            std::sort(starts.begin(), starts.end(),
                      [&](token_t a, token_t b) { return key(a) < key(b); });
        struct Frame {
            token_t v;  // no_token for the root, whose candidates are the starts
            std::size_t begin, next, end;
        };
        std::vector<Frame> stack;
        candidates_ = starts;
        stack.push_back({no_token, 0, 0, candidates_.size()});
        auto retreat = [&] {  // undo the last move
            const token_t v = path_.back();
            path_.pop_back();
            unvisit(v, path_.empty() ? no_token : path_.back());
        };
        auto unwind = [&](Result result) {
            while (!path_.empty()) retreat();
            return result;
        };
        while (!stack.empty()) {
            Frame& frame = stack.back();
            if (frame.next == frame.end) {
                const token_t v = frame.v;
                candidates_.resize(frame.begin);
                stack.pop_back();
                if (v != no_token) retreat();
                continue;
            }
            const token_t w = candidates_[frame.next++];
            ++nodes_;
            if (!visit(w, path_.empty() ? no_token : path_.back())) continue;
            path_.push_back(w);
            if (path_.size() == n_) return Result::found;
            if (nodes_ >= budget) return unwind(Result::budget);
            if (nodes_ % 1024 == 0 || work_ >= next_clock_check_) {
                next_clock_check_ = work_ + (std::uint64_t{1} << 22);
                if (Clock::now() > deadline) return unwind(Result::deadline);
                tick(nodes_);
            }
            const std::size_t begin = candidates_.size();
            if (expand(w)) stack.push_back({w, begin, begin, candidates_.size()});
            else retreat();
        }
        return Result::exhausted;
    }

private:
    std::uint64_t key(token_t v) const {
        return round_ == 0 ? v : mix64(v * 0x9e3779b97f4a7c15ULL + round_);
    }

    void reset() {
        // The matching survives a round that unwound with it intact; a round that had to drop it
        // (an augmenting search over the cap) recomputes it, twice at most.
        if (matching_usable_ && !matching_active_) {
            matching_ = maximum_matching(pred_, 20 * lookahead_cost_ + 10'000'000);
            use_matching();
        }
        nodes_ = 0;
        path_.clear();
        candidates_.clear();
        zero_in_ = zero_out_ = 0;
        work_since_lookahead_ = 0;
        std::fill(visited_.begin(), visited_.end(), 0);
        for (token_t v = 0; v < n_; ++v) {
            in_left_[v] = std::uint32_t(pred_.degree(v));
            out_left_[v] = std::uint32_t(succ_.degree(v));
            token_t x = 0;
            for (token_t w : pred_.attended(v)) x ^= w;
            xor_pred_[v] = x;
            x = 0;
            for (token_t w : succ_.attended(v)) x ^= w;
            xor_succ_[v] = x;
            zero_in_ += in_left_[v] == 0;
            zero_out_ += out_left_[v] == 0;
        }
    }

    void use_matching() {
        matching_active_ = matching_ && std::count(matching_->mate_in.begin(),
                                                   matching_->mate_in.end(), no_token) <= 1;
        if (!matching_active_) matching_usable_ = false;  // stage 2 refutes deficiency >= 2
        root_unmatched_ = no_token;
        if (matching_active_)
            for (token_t v = 0; v < n_; ++v)
                if (matching_->mate_in[v] == no_token) root_unmatched_ = v;
    }

    void count_visit(token_t u) {
        visited_[u] = 1;
        zero_in_ -= in_left_[u] == 0;
        zero_out_ -= out_left_[u] == 0;
        for (token_t w : succ_.attended(u)) {
            xor_pred_[w] ^= u;
            if (--in_left_[w] == 0 && !visited_[w]) ++zero_in_;
        }
        for (token_t w : pred_.attended(u)) {
            xor_succ_[w] ^= u;
            if (--out_left_[w] == 0 && !visited_[w]) ++zero_out_;
        }
        work_since_lookahead_ += succ_.degree(u) + pred_.degree(u) + 1;
        work_ += succ_.degree(u) + pred_.degree(u) + 1;
    }

    void count_unvisit(token_t u) {
        for (token_t w : pred_.attended(u)) {
            xor_succ_[w] ^= u;
            if (out_left_[w]++ == 0 && !visited_[w]) --zero_out_;
        }
        for (token_t w : succ_.attended(u)) {
            xor_pred_[w] ^= u;
            if (in_left_[w]++ == 0 && !visited_[w]) --zero_in_;
        }
        visited_[u] = 0;
        zero_in_ += in_left_[u] == 0;
        zero_out_ += out_left_[u] == 0;
    }

    // Moves the end from u (no_token at the root) to w. The matching side: u leaves the
    // predecessor side (its successor is now w), w leaves the successor side; the token that was
    // matched to u (or the root's one unmatched token) needs a new predecessor: one augmenting
    // path. On failure nothing changes and the move is refused.
    bool visit(token_t w, token_t u) {
        count_visit(w);
        if (!matching_active_) return true;
        SuccessorMatching& m = *matching_;
        const token_t p = m.mate_in[w];
        if (p != no_token) m.mate_out[p] = no_token, m.mate_in[w] = no_token;
        token_t z = no_token;  // the token left without a predecessor
        if (u != no_token) {
            z = m.mate_out[u];
            if (z != no_token) m.mate_out[u] = no_token, m.mate_in[z] = no_token;
        } else if (root_unmatched_ != w) {
            z = root_unmatched_;
        }
        if (z == no_token) return true;
        switch (m.augment(pred_, z, [&](token_t x) { return !visited_[x] || x == w; },
                          augment_cap, work_)) {
            case SuccessorMatching::Augment::found:
                return true;
            case SuccessorMatching::Augment::capped:
                // Too expensive here (a huge graph): search on without the matching this round.
                matching_active_ = false;
                if (++matching_drops_ >= 2) matching_usable_ = false;
                return true;
            case SuccessorMatching::Augment::none:
                break;
        }
        if (u != no_token) m.mate_out[u] = z, m.mate_in[z] = u;
        if (p != no_token) m.mate_out[p] = w, m.mate_in[w] = p;
        count_unvisit(w);
        return false;
    }

    // Undoes visit(w, u): u is the end again and w's predecessor, which keeps the matching
    // perfect (at the root, w becomes the one token without a predecessor).
    void unvisit(token_t w, token_t u) {
        count_unvisit(w);
        if (!matching_active_) return;
        if (u != no_token) matching_->mate_out[u] = w, matching_->mate_in[w] = u;
        else root_unmatched_ = w;
    }

    // Appends the ordered moves after u (the new end) to candidates_; false at a dead end.
    bool expand(token_t u) {
        if (zero_out_ > 1 || zero_in_ > 1) return false;
        const std::uint64_t remaining = n_ - path_.size();
        if (work_since_lookahead_ >= lookahead_cost_) {
            work_since_lookahead_ = 0;
            work_ += lookahead_cost_;
            if (!lookahead(u, remaining)) return false;
        }
        const std::size_t begin = candidates_.size();
        for (token_t w : succ_.attended(u)) {
            if (visited_[w]) continue;
            if (zero_in_ == 1 && in_left_[w] != 0) continue;
            if (out_left_[w] == 0 && remaining > 1) continue;
            candidates_.push_back(w);
        }
        if (candidates_.size() == begin) return false;
        std::sort(candidates_.begin() + std::ptrdiff_t(begin), candidates_.end(),
                  [&](token_t a, token_t b) {
                      return std::tuple(out_left_[a], in_left_[a], key(a)) <
                             std::tuple(out_left_[b], in_left_[b], key(b));
                  });
        return true;
    }

    // The remaining problem, a path from u through every unvisited token, needs (1) every
    // unvisited token reachable from u, (2) the strongly connected components of u plus the
    // unvisited tokens to form a chain starting at u (the scc-chain condition of stage 2, applied
    // to what is left), and (3) no two tokens forced to follow the same token, at most one token
    // forced to end the path. One iterative Tarjan pass from u over unvisited tokens, then one
    // pass over their edges: O(unvisited tokens + their edges).
    bool lookahead(token_t u, std::uint64_t remaining) {
        if (++epoch_ == 0) {  // wrapped: clear the stamps once
            for (auto* stamps : {&seen_, &next_ok_, &claim_pred_, &claim_succ_, &linked_})
                std::fill(stamps->begin(), stamps->end(), 0);
            epoch_ = 1;
        }
        constexpr std::uint32_t open = ~std::uint32_t{0};  // on the Tarjan stack, no component yet
        std::uint32_t counter = 0, components = 0;
        order_.clear();
        auto discover = [&](token_t v) {
            seen_[v] = epoch_;
            index_[v] = low_[v] = counter++;
            component_[v] = open;
            order_.push_back(v);
            tarjan_.push_back(v);
            dfs_.push_back({v, 0});
        };
        tarjan_.clear();
        dfs_.clear();
        discover(u);
        while (!dfs_.empty()) {
            auto& [x, next] = dfs_.back();
            const auto row = succ_.attended(x);
            while (next < row.size() && visited_[row[next]]) ++next;
            if (next < row.size()) {
                const token_t y = row[next++];
                if (seen_[y] != epoch_) discover(y);  // invalidates x/next: loop again
                else if (component_[y] == open) low_[x] = std::min(low_[x], index_[y]);
                continue;
            }
            const token_t done = x;
            dfs_.pop_back();
            if (low_[done] == index_[done]) {
                token_t w;
                do {
                    w = tarjan_.back();
                    tarjan_.pop_back();
                    component_[w] = components;
                } while (w != done);
                ++components;
            }
            if (!dfs_.empty()) low_[dfs_.back().first] = std::min(low_[dfs_.back().first], low_[done]);
        }
        if (order_.size() - 1 < remaining) return false;  // some token is unreachable from u
        // Components complete in reverse topological order; u's (a single token) is last.
        for (const token_t x : order_)
            for (token_t y : succ_.attended(x))
                if (!visited_[y] && component_[x] == component_[y] + 1) linked_[component_[y]] = epoch_;
        for (std::uint32_t c = 0; c + 1 < components; ++c)
            if (linked_[c] != epoch_) return false;  // no edge into the next component
        for (token_t w : succ_.attended(u))
            if (!visited_[w]) next_ok_[w] = epoch_;
        std::uint32_t ends = 0;
        for (std::size_t i = 1; i < order_.size(); ++i) {
            const token_t v = order_[i];
            if (in_left_[v] == 1 && next_ok_[v] != epoch_) {
                const token_t w = xor_pred_[v];  // v must come right after w
                if (claim_pred_[w] == epoch_) return false;
                claim_pred_[w] = epoch_;
            }
            if (out_left_[v] == 0) {
                ++ends;
            } else if (out_left_[v] == 1) {
                const token_t x = xor_succ_[v];  // v must come right before x, or end the path
                if (claim_succ_[x] == epoch_) ++ends;
                else claim_succ_[x] = epoch_;
            }
            if (ends > 1) return false;
        }
        return true;
    }

    const Layer& pred_;
    const Layer& succ_;
    const token_t n_;
    std::vector<std::uint32_t> in_left_, out_left_;
    std::vector<token_t> xor_pred_, xor_succ_;
    std::vector<char> visited_;
    std::vector<std::uint32_t> seen_, next_ok_, claim_pred_, claim_succ_, linked_;
    std::vector<std::uint32_t> index_, low_, component_;
    std::uint32_t epoch_ = 0;
    std::vector<token_t> order_, tarjan_, candidates_, path_;
    std::vector<std::pair<token_t, std::size_t>> dfs_;
    std::uint64_t zero_in_ = 0, zero_out_ = 0, nodes_ = 0, round_ = 0;
    std::uint64_t lookahead_cost_ = 0, work_since_lookahead_ = 0;
    static constexpr std::uint64_t augment_cap = 1'000'000;  // edges per augmenting search
    std::optional<SuccessorMatching> matching_;
    bool matching_usable_ = true, matching_active_ = false;
    unsigned matching_drops_ = 0;
    token_t root_unmatched_ = no_token;
    std::uint64_t work_ = 0, next_clock_check_ = 0;
};

// Restarts with doubling node budgets (a heavy-tailed search should not sit in one bad subtree;
// docs/algorithms.md section 1.3, "iterated restarts"), each round a complete DFS with its own
// tie-breaking, so a round that finishes within its budget proves that no path exists.
DfsOutcome pruned_dfs(const Layer& pred, const Layer& succ, const std::vector<token_t>& starts,
                      std::optional<SuccessorMatching> matching, std::uint64_t node_limit,
                      double seconds, const Progress& progress) {
    DfsOutcome outcome;
    if (node_limit == 0) {
        outcome.stop_reason = "node limit 0";
        return outcome;
    }
    const auto start_time = Clock::now();
    const auto deadline =
        start_time + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                         std::max(0.0, std::min(seconds, 1e7))));
    PathSearch search(pred, succ, std::move(matching));
    std::uint64_t budget = 4 * std::uint64_t(succ.size()) + 1000;
    auto last_report = start_time;
    auto tick = [&](std::uint64_t round_nodes) {  // at most four reports a second
        if (!progress || Clock::now() - last_report < std::chrono::milliseconds(250)) return;
        last_report = Clock::now();
        const double done = double(outcome.nodes + round_nodes) / double(node_limit);
        const double elapsed = seconds > 0 ? seconds_since(start_time) / seconds : 0.0;
        report(progress, "hamiltonian path: dfs", std::min(1.0, std::max(done, elapsed)));
    };
    for (std::uint64_t round = 0;; ++round) {
        const auto result =
            search.run(starts, std::min(budget, node_limit - outcome.nodes), round, deadline, tick);
        outcome.nodes += search.nodes();
        outcome.rounds = std::uint32_t(round + 1);
        switch (result) {
            case PathSearch::Result::found:
                outcome.status = DfsOutcome::Status::found;
                outcome.path = std::move(search.path());
                return outcome;
            case PathSearch::Result::exhausted:
                outcome.status = DfsOutcome::Status::exhausted;
                return outcome;
            case PathSearch::Result::deadline:
                outcome.stop_reason = "time share " + seconds_text(seconds) + " s";
                return outcome;
            case PathSearch::Result::budget:
                break;
        }
        if (outcome.nodes >= node_limit) {
            outcome.stop_reason = "node limit " + std::to_string(node_limit);
            return outcome;
        }
        budget = budget > (std::uint64_t{1} << 62) ? budget : 2 * budget;
    }
}

std::string graph_size(const UnionGraph& g) {
    return "n=" + std::to_string(g.n()) + ", edges=" + std::to_string(g.edges());
}

}  // namespace

bool is_hamiltonian_path(const Pattern& pattern, std::span<const token_t> path) {
    const token_t n = pattern.n;
    if (path.size() != n || pattern.layers.empty()) return false;
    for (const auto& layer : pattern.layers)
        if (layer.size() != n) return false;
    std::vector<char> seen(n, 0);
    for (token_t v : path) {
        if (v >= n || seen[v]) return false;
        seen[v] = 1;
    }
    for (std::size_t i = 1; i < path.size(); ++i)
        if (!attends_in_some_layer(pattern, path[i], path[i - 1])) return false;
    return true;
}

HamiltonianResult find_hamiltonian_path(CheckedPattern checked, const HamiltonianOptions& options) {
    const Pattern& pattern = *checked;
    // One budget for the whole search: the DFS's share and the exact stage come out of it.
    const Deadline budget(options.timeout_seconds);
    const token_t n = pattern.n;
    const Progress& progress = options.progress;
    if (n == 1) return *verified_path(pattern, {0}, "trivial (n = 1)");

    report(progress, "hamiltonian path: obvious orders", 0.0);
    if (auto r = try_obvious_orders(pattern)) return *r;

    report(progress, "hamiltonian path: union graph", 0.1);
    UnionGraph g{union_graph(checked), {}};
    g.out = transpose(g.in);
    if (auto r = try_bridged_orders(pattern, g)) return *r;

    report(progress, "hamiltonian path: refutations", 0.2);
    if (auto r = refute_by_degrees(g)) return *r;
    SccChain chain = scc_chain(pattern, g);
    if (chain.result) return *chain.result;
    std::optional<SuccessorMatching> matching;
    if (auto r = refute_by_matching(g, matching)) return *r;
    if (auto r = refute_by_separator(g)) return *r;

    // The path starts in the first component of the chain and ends in the last: search from the
    // end with fewer candidates (a source or a sink, when there is one).
    report(progress, "hamiltonian path: dfs", 0.0);
    std::vector<token_t> first, last;
    for (token_t v = 0; v < n; ++v) {
        if (chain.label[v] == 0) first.push_back(v);
        if (chain.label[v] == chain.count - 1) last.push_back(v);
    }
    const bool backward = last.size() < first.size();
    const Layer& pred = backward ? g.out : g.in;
    const Layer& succ = backward ? g.in : g.out;
    std::vector<token_t>& starts = backward ? last : first;
    std::stable_sort(starts.begin(), starts.end(),
                     [&](token_t a, token_t b) { return pred.degree(a) < pred.degree(b); });
    // Reversing every edge turns a successor matching into the reversed graph's one.
    if (matching && backward) std::swap(matching->mate_in, matching->mate_out);
    DfsOutcome dfs = pruned_dfs(pred, succ, starts, std::move(matching), options.dfs_node_limit,
                                std::min(options.dfs_timeout_seconds, budget.remaining_seconds()), progress);
    if (dfs.status == DfsOutcome::Status::found) {
        if (backward) std::reverse(dfs.path.begin(), dfs.path.end());
        if (auto r = verified_path(pattern, std::move(dfs.path), "dfs")) return *r;
        throw std::logic_error("hamiltonian: the DFS returned an invalid path");
    }
    const bool exhausted = dfs.status == DfsOutcome::Status::exhausted;
    const std::string dfs_text =
        exhausted ? "the pruned DFS exhausted every start (" + std::to_string(dfs.nodes) + " nodes)"
                  : "the DFS stopped after " + std::to_string(dfs.nodes) + " nodes (" +
                        dfs.stop_reason + ")";

    HamiltonianResult result;
    if (g.n() > options.z3_max_vertices || g.edges() > options.z3_max_edges) {
        if (exhausted) {
            HamiltonianRefutation ref;
            ref.kind = "exhaustive-search";
            result = refuted(std::move(ref), dfs_text + " without a path (" + graph_size(g) +
                                                 ", too large for the Z3 certificate)");
            result.method = "dfs";
            return result;
        }
        result.method = "dfs";
        result.reason = "undetermined: the union graph (" + graph_size(g) +
                        ") exceeds the Z3 limits (" + std::to_string(options.z3_max_vertices) +
                        " vertices, " + std::to_string(options.z3_max_edges) + " edges) and " +
                        dfs_text;
        return result;
    }

    report(progress, "hamiltonian path: z3", 0.0);
    // Z3 gets what is left of the budget; messages name the budget (options.timeout_seconds).
    detail::Z3Outcome z3 = detail::solve_with_z3(g.in, budget.remaining_seconds(), progress);
    if (z3.status == detail::Z3Outcome::Status::sat) {
        if (auto r = verified_path(pattern, std::move(z3.path), "z3")) return *r;
        result.method = "z3";
        result.reason = "undetermined: Z3's model is not a Hamiltonian path (" + graph_size(g) + ")";
        return result;
    }
    if (z3.status == detail::Z3Outcome::Status::unsat) {
        HamiltonianRefutation ref;
        ref.kind = "solver";
        ref.encoding = std::move(z3.encoding);
        result = refuted(std::move(ref), "Z3 answered unsat on the successor + ordering encoding (" +
                                             graph_size(g) + "); " + dfs_text);
        result.method = "z3";
        return result;
    }
    if (exhausted) {
        HamiltonianRefutation ref;
        ref.kind = "exhaustive-search";
        result = refuted(std::move(ref), dfs_text + " without a path; Z3 gave no answer within " +
                                             seconds_text(options.timeout_seconds) + " s (" +
                                             graph_size(g) + ")");
        result.method = "dfs";
        return result;
    }
    result.method = "z3";
    result.reason = "undetermined: Z3 gave no answer within " +
                    seconds_text(options.timeout_seconds) + " s (" + graph_size(g) + "; " +
                    (z3.message.empty() ? "unknown" : z3.message) + "); " + dfs_text;
    return result;
}

}  // namespace sparsecert
