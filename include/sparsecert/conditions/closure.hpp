// The necessary condition of docs/theory.md section 5: every input token can eventually influence every
// input token.
//
// Every attention and feed-forward layer is residual (X + ...), so a token keeps everything that
// influenced it before. The influence sets are therefore
//   I_k^0 = {k},   I_k^t = I_k^{t-1}  ∪  ⋃_{j in A_k^{L(t)}} I_j^{t-1},
// not the reachability sets S_k^t of condition 3, which have no residual term. I_k^t grows with t,
// and j is in some I_k^t exactly when the union graph (an edge j -> k whenever k attends to j in
// some pattern) has a path from j to k: the residual lets a token wait for the pattern it needs.
// Extra tokens (Pattern::extra_tokens) may lie on the path but are neither influencing nor
// influenced tokens of the condition: their input is fixed and their output dropped.
//
// The condition fails exactly when a closure set exists: a token set R with k in R, A_r^l within R
// for every r in R and every pattern l, and j not in R. By induction I_k^t stays inside R, so j
// never influences k.
#pragma once

#include <optional>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert {

struct ClosureSet {
    token_t k = 0;                 // a token that is never influenced by j
    token_t j = 0;
    std::vector<token_t> members;  // R, sorted
};

// Which pairs (k, j) a closure set must separate.
enum class ClosureScope {
    input_tokens,  // k and j input tokens: refutes influence (the necessary condition)
    all_tokens,    // any tokens: refutes condition 3 too, since S_k^t is inside I_k^t
};

// A closure set separating two tokens of the scope, or nothing when every token of the scope
// reaches every other in the union graph. Two graph searches, O(n + connections).
std::optional<ClosureSet> find_closure_set(CheckedPattern pattern, ClosureScope scope = ClosureScope::input_tokens);

}  // namespace sparsecert
