// Internal interface between the reachability engines (src/conditions/reachability.cpp: dispatch, intervals,
// certificates, strong components; src/conditions/reachability_classes.cpp: the exact class engine).
// Not installed: only the library's own sources include it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/conditions/reachability.hpp"

namespace sparsecert::detail {

// The caller's budgets and the progress callback, shared by the engines. Progress is throttled to
// about ten reports a second and must only be called from serial code (never inside a parallel
// region), because the callback is the caller's and need not be thread-safe.
class Budget {
public:
    explicit Budget(const ReachabilityOptions& options);

    int threads() const noexcept { return threads_; }
    // Threads for a loop of about `work` elementary operations: one for small loops, because an
    // OpenMP barrier on a loaded machine can cost more than the loop itself.
    int threads_for(std::uint64_t work) const noexcept { return work < (1u << 17) ? 1 : threads_; }
    std::uint64_t memory() const noexcept { return options_.memory_budget_bytes; }
    const ReachabilityOptions& options() const noexcept { return options_; }
    bool expired() const;
    void progress(const std::string& stage, double fraction = -1.0) const;

private:
    const ReachabilityOptions& options_;
    int threads_;
    std::chrono::steady_clock::time_point start_;
    mutable std::chrono::steady_clock::time_point last_report_;
    mutable bool reported_ = false;
};

// Facts about the patterns that decide which shortcuts are valid (docs/algorithms.md section 2.1).
struct PatternFacts {
    bool monotone = false;  // k in A_k^l for every k and l (condition 1): S_k^t grows with t
    bool nonempty = false;  // every A_k^l non-empty: a complete S^t stays complete (absorption)
};

struct ClassEngineRequest {
    // A proven upper bound U (S^U = J) when the patterns are monotone: propagation stops at U.
    std::optional<std::uint64_t> upper_bound;
    // 0: unlimited. Otherwise give up after this much work (sum of attended-set entries scanned
    // and row words or runs combined), a deterministic budget independent of the machine.
    std::uint64_t work_cap = 0;
};

// The exact engine (docs/algorithms.md sections 2.2 and 2.3). Never returns a wrong answer; returns
// holds = nullopt with a reason when a budget stops it.
ReachabilityResult run_class_engine(const Pattern& pattern, const PatternFacts& facts,
                                    const Budget& budget, const ClassEngineRequest& request);

// Shared wording of results.
// "token j is not in S_k^t" (t = 0 prints the letter t).
std::string pair_text(std::pair<token_t, token_t> kj, std::uint64_t t);

}  // namespace sparsecert::detail
