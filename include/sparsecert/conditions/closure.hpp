// The necessary condition of theory.md section 5: every token can eventually influence every
// other. It fails exactly when a closure set exists: R with k in R, A_r^l within R for every r in
// R and every pattern l, and j not in R; then j is in no S_k^t, at any depth t.
#pragma once

#include <optional>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert {

struct ClosureSet {
    token_t k = 0;                 // a token that can never be influenced by j
    token_t j = 0;
    std::vector<token_t> members;  // R, sorted
};

// A closure set if the union graph is not strongly connected, else nothing. Two breadth-first
// searches, O(n + connections).
std::optional<ClosureSet> find_closure_set(const Pattern& pattern);

}  // namespace sparsecert
