// The star graph of BigBird's Theorem 1 (Zaheer et al. 2020; theory.md section 5): a global token h
// that attends to every token and is attended by every token, in every pattern.
#pragma once

#include <optional>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert {

// The smallest such hub token, or nothing. O(connections).
std::optional<token_t> find_star_hub(const Pattern& pattern);

}  // namespace sparsecert
