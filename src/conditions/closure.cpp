#include "sparsecert/conditions/closure.hpp"

#include <algorithm>
#include <span>

namespace sparsecert {

namespace {

// Tokens reachable from `start` by following the union graph's edges in the given orientation:
// through A_k^l for every pattern l ("attends to", which is what influence flows against) or
// through the transposed patterns. The union is never materialised: at 10^8 connections building
// it costs more than the search.
std::vector<char> closure_from(std::span<const Layer> adjacency, token_t n, token_t start) {
    std::vector<char> seen(n, 0);
    std::vector<token_t> stack{start};
    seen[start] = 1;
    while (!stack.empty()) {
        const token_t r = stack.back();
        stack.pop_back();
        for (const auto& layer : adjacency)
            layer.row(r).for_each_token([&](token_t a) {
                if (!seen[a]) {
                    seen[a] = 1;
                    stack.push_back(a);
                }
            });
    }
    return seen;
}

// The first token of the scope that is not in `in`, if any.
std::optional<token_t> first_outside(const Pattern& pattern, ClosureScope scope, const std::vector<char>& in) {
    for (token_t t = 0; t < pattern.n; ++t)
        if (!in[t] && (scope == ClosureScope::all_tokens || !pattern.is_extra(t))) return t;
    return std::nullopt;
}

ClosureSet make_closure(const std::vector<char>& in, token_t k, token_t j) {
    ClosureSet c;
    c.k = k;
    c.j = j;
    for (token_t t = 0; t < in.size(); ++t)
        if (in[t]) c.members.push_back(t);
    return c;
}

}  // namespace

std::optional<ClosureSet> find_closure_set(CheckedPattern checked, ClosureScope scope) {
    const Pattern& pattern = *checked;
    const std::span<const Layer> attends(pattern.layers);
    const token_t n = pattern.n;
    // u: the first token of the scope (an input token exists: Pattern keeps one).
    token_t u = 0;
    while (scope == ClosureScope::input_tokens && pattern.is_extra(u)) ++u;
    // R = everything u draws from: closed under every A^l by construction.
    const auto from_u = closure_from(attends, n, u);
    if (auto j = first_outside(pattern, scope, from_u)) return make_closure(from_u, u, *j);
    // Otherwise look for a token x of the scope that cannot draw from u: its closure misses u.
    std::vector<Layer> transposed;
    for (const auto& layer : pattern.layers) transposed.push_back(transpose(layer));
    const auto to_u = closure_from(transposed, n, u);
    transposed.clear();
    const auto x = first_outside(pattern, scope, to_u);
    if (!x) return std::nullopt;
    return make_closure(closure_from(attends, n, *x), *x, u);
}

}  // namespace sparsecert
