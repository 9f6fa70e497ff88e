// The fewest added union-graph edges that give a Hamiltonian path (path_completion.hpp; the
// construction and its bounds are described in docs/repair.md, "Hamiltonian path").
#include "sparsecert/repair/path_completion.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "conditions/successor_matching.hpp"
#include "sparsecert/conditions/components.hpp"

namespace sparsecert {

namespace {

using detail::no_token;

bool has_edge(const Layer& union_in, token_t from, token_t to) { return union_in.attends(to, from); }

bool may_gain(const PathCompletionOptions& o, token_t v) { return o.room.empty() || o.room[v] > 0; }

// Whether the edge from -> to may be added.
bool addable(const PathCompletionOptions& o, token_t from, token_t to) {
    return from != to && (!o.forward_only || from < to) && may_gain(o, to);
}

// The edges a token order needs beyond the union graph; nullopt when one of them may not be added.
std::optional<std::vector<UnionEdge>> missing_edges(const Layer& union_in, const std::vector<token_t>& order,
                                                    const PathCompletionOptions& o) {
    std::vector<UnionEdge> added;
    for (std::size_t i = 1; i < order.size(); ++i)
        if (!has_edge(union_in, order[i - 1], order[i])) {
            if (!addable(o, order[i - 1], order[i])) return std::nullopt;
            added.push_back({order[i - 1], order[i]});
        }
    return added;
}

// ---------------------------------------------------------------------------------------------
// Small graphs: Held-Karp over subsets with 0/1 edge costs. dp[mask][v] is the fewest added edges
// of a path through exactly the tokens of `mask` that ends at v.

PathCompletion subset_programme(const Layer& union_in, const PathCompletionOptions& o) {
    const token_t n = union_in.size();
    constexpr std::uint8_t inf = std::numeric_limits<std::uint8_t>::max();
    std::vector<std::uint8_t> cost(std::size_t(n) * n, inf);  // cost[u * n + v] of the step u -> v
    for (token_t u = 0; u < n; ++u)
        for (token_t v = 0; v < n; ++v)
            if (u != v) cost[u * n + v] = has_edge(union_in, u, v) ? 0 : (addable(o, u, v) ? 1 : inf);
    const std::size_t masks = std::size_t{1} << n;
    std::vector<std::uint8_t> dp(masks * n, inf);
    for (token_t v = 0; v < n; ++v) dp[(std::size_t{1} << v) * n + v] = 0;
    for (std::size_t mask = 1; mask < masks; ++mask)
        for (token_t v = 0; v < n; ++v) {
            const std::uint8_t here = dp[mask * n + v];
            if (here == inf) continue;
            for (token_t w = 0; w < n; ++w) {
                if (mask >> w & 1) continue;
                const std::uint8_t c = cost[v * n + w];
                if (c == inf) continue;
                std::uint8_t& next = dp[(mask | std::size_t{1} << w) * n + w];
                next = std::min<std::uint8_t>(next, std::uint8_t(here + c));
            }
        }
    PathCompletion out;
    out.exact = true;
    out.method = fmt::format("exact: subset dynamic programme over the {} tokens", n);
    out.bound = "the exact minimum (subset dynamic programme)";
    const std::size_t full = masks - 1;
    token_t end = 0;
    for (token_t v = 1; v < n; ++v)
        if (dp[full * n + v] < dp[full * n + end]) end = v;
    if (dp[full * n + end] == inf) {
        out.reason = "no order of the tokens can be completed with the edges the constraints allow "
                     "(exhaustive subset dynamic programme)";
        return out;
    }
    // Walk back: the smallest predecessor that attains each value, so the path is deterministic.
    std::vector<token_t> path{end};
    std::size_t mask = full;
    token_t v = end;
    while (mask != (std::size_t{1} << v)) {
        const std::size_t rest = mask & ~(std::size_t{1} << v);
        token_t u = 0;
        while (u < n && !(rest >> u & 1 && dp[rest * n + u] != inf && cost[u * n + v] != inf &&
                          dp[rest * n + u] + cost[u * n + v] == dp[mask * n + v]))
            ++u;
        if (u == n) throw std::logic_error("path completion: the subset programme has no predecessor");
        mask = rest;
        v = u;
        path.push_back(v);
    }
    std::reverse(path.begin(), path.end());
    out.found = true;
    out.added = *missing_edges(union_in, path, o);
    out.lower_bound = out.added.size();
    out.path = std::move(path);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Large graphs: a maximum successor matching splits the tokens into paths and cycles; patching
// merges segments along the graph's own edges; the rest are chained with added edges.

class Segments {
public:
    Segments(const Layer& union_in, const detail::SuccessorMatching& m)
        : in_(union_in), n_(union_in.size()), succ_(m.mate_out), pred_(m.mate_in), parent_(n_), cyclic_(n_, 0) {
        std::vector<char> seen(n_, 0);
        auto label = [&](token_t start, bool cycle) {
            token_t v = start;
            do {
                seen[v] = 1;
                parent_[v] = start;
                v = succ_[v];
            } while (v != no_token && v != start);
            cyclic_[start] = cycle;
        };
        for (token_t v = 0; v < n_; ++v)
            if (pred_[v] == no_token) label(v, false);
        for (token_t v = 0; v < n_; ++v)
            if (!seen[v]) label(v, true);
    }

    // Merges segments along an edge v -> w of the graph where one of the six local exchanges
    // allows it (each keeps every token on exactly one path or cycle and uses only graph edges):
    //   path end -> path start (concatenate); path end -> cycle (open the cycle before w);
    //   cycle -> path start (open the cycle after v); cycle -> cycle (Karp's patch, needs
    //   pred(w) -> succ(v)); cycle -> inside a path (needs pred(w) -> succ(v)); inside a path ->
    //   cycle (needs pred(w) -> succ(v)). Returns whether it merged.
    bool merge_along(token_t v, token_t w) {
        const token_t rv = find(v), rw = find(w);
        if (rv == rw) return false;
        const bool cv = cyclic_[rv], cw = cyclic_[rw];
        const token_t sv = succ_[v], pw = pred_[w];
        bool cycle = false;
        if (!cv && sv == no_token) {
            if (cw) succ_[pw] = no_token;  // open the cycle before w
            else if (pw != no_token) return false;
        } else if (cv && !cw && pw == no_token) {
            pred_[sv] = no_token;          // open the cycle after v
        } else if (pw != no_token && sv != no_token && (cv || cw) && has_edge(in_, pw, sv)) {
            // Exchange v -> sv, pw -> w for v -> w, pw -> sv: two cycles become one; a cycle and a
            // path become one path.
            succ_[pw] = sv;
            pred_[sv] = pw;
            cycle = cv && cw;
        } else {
            return false;
        }
        succ_[v] = w;
        pred_[w] = v;
        parent_[rw] = rv;
        cyclic_[rv] = cycle;
        return true;
    }

    token_t find(token_t v) {
        while (parent_[v] != v) v = parent_[v] = parent_[parent_[v]];
        return v;
    }

    // The segments as token sequences, each cycle opened at its smallest token that may gain an
    // edge (or its smallest token), in order of their first token.
    std::vector<std::vector<token_t>> sequences(const PathCompletionOptions& o) {
        std::vector<token_t> start(n_, no_token);
        for (token_t v = 0; v < n_; ++v) {
            const token_t r = find(v);
            if (!cyclic_[r] && pred_[v] == no_token) start[r] = v;
        }
        for (token_t v = 0; v < n_; ++v) {
            const token_t r = find(v);
            if (cyclic_[r] && (start[r] == no_token || (!may_gain(o, start[r]) && may_gain(o, v)))) start[r] = v;
        }
        std::vector<std::vector<token_t>> out;
        for (token_t r = 0; r < n_; ++r) {
            if (start[r] == no_token) continue;
            std::vector<token_t> seq;
            token_t v = start[r];
            do {
                seq.push_back(v);
                v = succ_[v];
            } while (v != no_token && v != start[r]);
            out.push_back(std::move(seq));
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });
        return out;
    }

private:
    const Layer& in_;
    token_t n_;
    std::vector<token_t> succ_, pred_, parent_;
    std::vector<char> cyclic_;
};

// Concatenates the segments: one whose first token may not gain an edge first (missing_edges
// then checks every join against the constraints), else one whose first token some token
// attends to; last, one whose last token attends to some token. With those two ends the union
// graph plus the path is often strongly connected already, so full mixing needs no edge more.
std::vector<token_t> chain(std::vector<std::vector<token_t>> segments, const Layer& union_in, const Layer& union_out,
                           const PathCompletionOptions& o) {
    auto first = std::find_if(segments.begin(), segments.end(), [&](const auto& s) { return !may_gain(o, s.front()); });
    if (first == segments.end())
        first = std::find_if(segments.begin(), segments.end(), [&](const auto& s) { return union_in.degree(s.front()) > 0; });
    if (first != segments.end()) std::rotate(segments.begin(), first, first + 1);
    auto last = std::find_if(segments.rbegin(), segments.rend() - 1, [&](const auto& s) {
        return union_out.degree(s.back()) > 0 && may_gain(o, s.front());
    });
    if (segments.size() > 1 && last != segments.rend() - 1) std::rotate(last.base() - 1, last.base(), segments.end());
    std::vector<token_t> order;
    for (const auto& s : segments) order.insert(order.end(), s.begin(), s.end());
    return order;
}

// Lower bounds on the number of paths of a cover: a path meets at most one source component and
// at most one sink component of the condensation (a source component can only be entered from
// inside itself, a sink component only left inside itself), and a cover by c paths has n - c
// edges that form a successor matching.
struct Bound {
    std::uint64_t paths = 1;
    std::string why = "a path is needed";
};

Bound lower_bound(const Layer& union_in, const Layer& union_out, std::optional<std::uint64_t> matching) {
    const token_t n = union_in.size();
    const Components comp = strong_components(union_out);
    std::vector<char> has_in(comp.count, 0), has_out(comp.count, 0);
    for (token_t k = 0; k < n; ++k)
        for (token_t j : union_in.attended(k))
            if (comp.label[j] != comp.label[k]) has_out[comp.label[j]] = has_in[comp.label[k]] = 1;
    const std::uint64_t sources = std::count(has_in.begin(), has_in.end(), 0);
    const std::uint64_t sinks = std::count(has_out.begin(), has_out.end(), 0);
    Bound b;
    if (matching && n - *matching > b.paths) {
        b.paths = n - *matching;
        b.why = fmt::format("a maximum successor matching has {} edges, so every path cover has at least n - {} = {} "
                            "paths", *matching, *matching, b.paths);
    }
    const std::uint64_t ends = std::max(sources, sinks);
    if (ends > b.paths) {
        b.paths = ends;
        b.why = fmt::format("the union graph has {} source and {} sink strongly connected components, and a path "
                            "enters at most one of each", sources, sinks);
    }
    return b;
}

}  // namespace

PathCompletion complete_hamiltonian_path(const Layer& union_in, const PathCompletionOptions& o) {
    const token_t n = union_in.size();
    if (n <= std::min<token_t>(o.exact_max_n, 20)) return subset_programme(union_in, o);

    std::vector<token_t> identity(n);
    std::iota(identity.begin(), identity.end(), token_t{0});
    PathCompletion out;
    // In a graph whose edges all go forward (a causal mask), a forward-only completion is acyclic
    // and its only Hamiltonian path is its topological order 0, 1, ..., n-1: the exact answer.
    bool all_forward = true;
    for (token_t k = 0; k < n && all_forward; ++k)
        for (token_t j : union_in.attended(k))
            if (j > k) all_forward = false;
    if (o.forward_only && all_forward) {
        out.exact = true;
        out.method = "exact: the token order 0, 1, ..., n-1";
        out.bound = "every edge of the union graph and every edge that may be added goes forward, so 0, 1, ..., n-1 "
                    "is the only possible Hamiltonian path";
        auto added = missing_edges(union_in, identity, o);
        if (!added) {
            out.reason = "the only possible order, 0, 1, ..., n-1, needs an edge into a token that may gain none";
            return out;
        }
        out.found = true;
        out.path = std::move(identity);
        out.added = std::move(*added);
        out.lower_bound = out.added.size();
        return out;
    }

    const Layer union_out = transpose(union_in);
    auto matching = detail::maximum_matching(union_in, 40 * (std::uint64_t(n) + union_in.connections()) + 10'000'000);
    std::optional<std::uint64_t> matched;
    if (matching)
        matched = n - std::uint64_t(std::count(matching->mate_in.begin(), matching->mate_in.end(), no_token));
    const Bound bound = lower_bound(union_in, union_out, matched);
    out.lower_bound = bound.paths - 1;
    out.bound = bound.why;

    struct Candidate {
        std::vector<token_t> order;
        std::string method;
    };
    std::vector<Candidate> candidates;
    if (matching) {
        Segments segments(union_in, *matching);
        // Every merge removes a segment; a few passes reach a fixpoint on every pattern tried.
        bool merged = true;
        for (int pass = 0; merged && pass < 32; ++pass) {
            merged = false;
            for (token_t v = 0; v < n; ++v)
                for (token_t w : union_out.attended(v)) merged = segments.merge_along(v, w) || merged;
        }
        candidates.push_back({chain(segments.sequences(o), union_in, union_out, o),
                              "a maximum successor matching, its paths and cycles merged along the union graph's "
                              "own edges, then chained"});
    }
    candidates.push_back({identity, "the token order 0, 1, ..., n-1"});
    std::reverse(identity.begin(), identity.end());
    candidates.push_back({identity, "the token order n-1, ..., 1, 0"});

    for (auto& c : candidates) {
        auto added = missing_edges(union_in, c.order, o);
        if (!added || (out.found && added->size() >= out.added.size())) continue;
        out.found = true;
        out.path = std::move(c.order);
        out.added = std::move(*added);
        out.method = c.method;
    }
    if (!out.found) {
        out.reason = "none of the constructions (matching and patching, the orders 0..n-1 and n-1..0) fits the "
                     "constraints; no proof that no completion exists";
        return out;
    }
    out.exact = out.added.size() == out.lower_bound;
    return out;
}

}  // namespace sparsecert
