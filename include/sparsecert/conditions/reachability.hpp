// Condition 3 of Assumption 1 (docs/theory.md section 2): the reachability sets
//   S_k^1 = A_k^1,   S_k^t = union over j in A_k^{L(t)} of S_j^{t-1},   L(t) = ((t-1) mod p) + 1,
// and the mixing depth s = the smallest t with S_k^t = [n] for every k.
//
// S is computed exactly as defined: it is never assumed to grow with t unless every pattern has
// self-attention. "No finite s" is decided by detecting that the sequence (S^t, t mod p) repeats
// (with self-attention: a fixpoint over one full cycle of p layers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/support/progress.hpp"

namespace sparsecert {

// Which engine decides (docs/algorithms.md section 2). `automatic` tries them cheapest first:
//   intervals     every A_k^l is one contiguous run containing k, run ends nondecreasing in k
//                 (windows): S_k^t is an interval, decided by composing the run-end maps;
//   certificates  hub certificate (upper bound U) + witness pair (lower bound), with
//                 self-attention; strong components of the union graph (a closure certificate
//                 that no finite s exists);
//   classes       exact propagation of S^t over row/column twin classes, deduplicating equal
//                 rows at every step, rows kept as runs or 64-column bit words, batched over
//                 column classes when the memory budget requires it.
// Forcing one engine is for tests and benchmarks: if it cannot decide, holds stays empty.
enum class ReachabilityEngine { automatic, intervals, certificates, classes };

struct ReachabilityOptions {
    double timeout_seconds = 600;                          // wall-clock budget; then "undetermined"
    std::uint64_t memory_budget_bytes = std::uint64_t{3} << 30;  // for the bit matrices
    int threads = 0;                                       // 0: all cores
    Progress progress;
    ReachabilityEngine engine = ReachabilityEngine::automatic;
    // Class engine: quotient by row/column twins (false: one class per token; for cross-checks).
    bool use_twins = true;
    // Class engine: at most this many column classes per batch (0: one batch unless the memory
    // budget forces more). Batches are only used when every attended set is non-empty.
    std::uint64_t batch_columns = 0;
};

struct ReachabilityResult {
    // true: a finite s exists; false: none exists; nullopt: undetermined within the budgets.
    std::optional<bool> holds;
    // When holds: the minimal s (1-based layer count, as in the paper). Empty only when the
    // budgets allowed proving existence but not computing s; then s_lower/s_upper bound it.
    std::optional<std::uint64_t> s;
    // When holds and s > 1: (k, j) with j not in S_k^{s-1}, showing that s is minimal.
    std::optional<std::pair<token_t, token_t>> below_s_witness;
    // When the hub certificate decided s: (h, t1) with S_h^{t1} = [n] and, through the layers
    // t1+1..s alone, h reaching every token k (the column M_{L(s)} ... M_{L(t1+1)} e_h is all
    // ones), so that S^s = J (docs/algorithms.md section 2.1).
    std::optional<std::pair<token_t, std::uint64_t>> hub;
    // Bounds on s when holds is true but s is empty: existence was proven (a hub certificate, or
    // self-attention and a strongly connected union graph) but not s itself within the budgets.
    std::optional<std::uint64_t> s_lower, s_upper;
    // When !holds: (k, j) with j in no S_k^t for any t >= 1, if such a pair exists; otherwise
    // (k, j) missing from the first state of the repeating cycle (see `reason`).
    std::optional<std::pair<token_t, token_t>> unreached;
    // When !holds: whether `unreached` holds for every t (true), or only shows the cycle is
    // never complete (false: every pair is reached at some step, never all at once).
    bool unreached_for_all_t = false;
    // When !holds: the sequence (S^t, t mod p) satisfies S^{cycle_start} = S^{cycle_start+period};
    // both are the smallest such numbers. Empty when the deciding certificate (strong components
    // on a pattern too large for exact propagation) does not determine them.
    std::optional<std::uint64_t> cycle_start, period;
    bool monotone = false;     // every pattern has self-attention, so S_k^t grows with t
    std::string method;        // which engine decided it (e.g. "quotient bitsets", "intervals")
    std::string reason;        // one line, for humans
};

ReachabilityResult check_reachability(CheckedPattern pattern, const ReachabilityOptions& options = {});

// S_k^t for one token k and one t >= 1, computed directly from the definition (a backward
// propagation through t layers, O(t * connections)). For certificates, tests and small checks.
std::vector<token_t> reachability_set(CheckedPattern pattern, token_t k, std::uint64_t t);

}  // namespace sparsecert
