#include "sparsecert/star.hpp"

#include <vector>

namespace sparsecert {

std::optional<token_t> find_star_hub(const Pattern& pattern) {
    const token_t n = pattern.n;
    // attended_by[h]: the number of (pattern, token) pairs with h in A_k^l; a hub has n * p.
    std::vector<std::uint64_t> attended_by(n, 0);
    for (const auto& layer : pattern.layers)
        for (token_t j : layer.targets()) ++attended_by[j];
    for (token_t h = 0; h < n; ++h) {
        if (attended_by[h] != std::uint64_t(n) * pattern.p()) continue;
        bool attends_all = true;
        for (const auto& layer : pattern.layers) attends_all &= layer.degree(h) == n;
        if (attends_all) return h;
    }
    return std::nullopt;
}

}  // namespace sparsecert
