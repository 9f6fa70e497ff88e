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

ClosureSet make_closure(const std::vector<char>& in, token_t k) {
    ClosureSet c;
    c.k = k;
    for (token_t t = 0; t < in.size(); ++t)
        if (in[t]) c.members.push_back(t);
    c.j = token_t(std::find(in.begin(), in.end(), 0) - in.begin());
    return c;
}

}  // namespace

std::optional<ClosureSet> find_closure_set(const Pattern& pattern) {
    const std::span<const Layer> attends(pattern.layers);
    const token_t n = pattern.n;
    // R = everything token 0 can draw from: closed under every A^l by construction.
    auto from_zero = closure_from(attends, n, 0);
    if (std::find(from_zero.begin(), from_zero.end(), 0) != from_zero.end()) return make_closure(from_zero, 0);
    // Otherwise look for a token x that cannot draw from 0: its closure misses 0.
    std::vector<Layer> transposed;
    for (const auto& layer : pattern.layers) transposed.push_back(transpose(layer));
    const auto to_zero = closure_from(transposed, n, 0);
    transposed.clear();
    const auto missing = std::find(to_zero.begin(), to_zero.end(), 0);
    if (missing == to_zero.end()) return std::nullopt;
    const token_t x = token_t(missing - to_zero.begin());
    return make_closure(closure_from(attends, n, x), x);
}

}  // namespace sparsecert
