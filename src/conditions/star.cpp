#include "sparsecert/conditions/star.hpp"

#include <algorithm>

namespace sparsecert {

std::optional<token_t> find_star_hub(const Pattern& pattern) {
    const token_t n = pattern.n;
    // A hub attends to all n tokens in every pattern: a full row is an O(1) test, and only the
    // (few) tokens with full rows everywhere are checked for being attended by every token, each
    // with a binary search per row that stops at the first row without it.
    for (token_t h = 0; h < n; ++h) {
        bool attends_all = true;
        for (const auto& layer : pattern.layers) attends_all &= layer.degree(h) == n;
        if (!attends_all) continue;
        bool attended_by_all = true;
        for (const auto& layer : pattern.layers) {
            for (token_t k = 0; k < n && attended_by_all; ++k) attended_by_all = layer.attends(k, h);
            if (!attended_by_all) break;
        }
        if (attended_by_all) return h;
    }
    return std::nullopt;
}

}  // namespace sparsecert
