#include "sparsecert/conditions/self_attention.hpp"

namespace sparsecert {

SelfAttentionResult check_self_attention(CheckedPattern checked, std::size_t max_listed) {
    const Pattern& pattern = *checked;
    SelfAttentionResult result;
    for (std::size_t l = 0; l < pattern.p(); ++l) {
        const Layer& layer = pattern.layers[l];
        for (token_t k = 0; k < pattern.n; ++k) {
            if (layer.attends(k, k)) continue;
            ++result.missing_count;
            if (result.missing.size() < max_listed) result.missing.emplace_back(l, k);
        }
    }
    result.holds = result.missing_count == 0;
    return result;
}

}  // namespace sparsecert
