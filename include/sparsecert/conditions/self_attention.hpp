// Condition 1 of Assumption 1 (docs/theory.md section 2): k in A_k^l for every token k and pattern l.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert {

struct SelfAttentionResult {
    bool holds = true;
    std::uint64_t missing_count = 0;                       // (pattern, token) pairs missing k in A_k^l
    std::vector<std::pair<std::size_t, token_t>> missing;  // the first ones, by pattern then token
};

SelfAttentionResult check_self_attention(CheckedPattern pattern, std::size_t max_listed = 20);

}  // namespace sparsecert
