// Assumption 1 of Yun et al. 2020 (docs/theory.md section 2) decided on one pattern: the three checks
// with their evidence, and whether Theorem 1 applies. This is what `verify-pattern` prints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sparsecert/conditions/closure.hpp"
#include "sparsecert/conditions/hamiltonian.hpp"
#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/support/progress.hpp"
#include "sparsecert/conditions/reachability.hpp"
#include "sparsecert/conditions/self_attention.hpp"
#include "sparsecert/conditions/star.hpp"
#include "sparsecert/certify/theorems.hpp"

namespace sparsecert {

struct VerifyOptions {
    double timeout_seconds = 60;   // budget for the whole run, every search's share included
    std::size_t max_listed = 20;   // missing (pattern, token) pairs listed
    Progress progress;
    // A candidate Hamiltonian path (e.g. the one a repair built): taken instead of the search when
    // is_hamiltonian_path confirms it, ignored otherwise.
    std::vector<token_t> known_path;
};

struct VerifyResult {
    std::string name;
    token_t n = 0;
    std::size_t p = 0;
    std::vector<std::uint64_t> connections;  // per pattern
    std::vector<token_t> extra_tokens;       // Pattern::extra_tokens
    SelfAttentionResult self_attention;
    HamiltonianResult hamiltonian_path;
    ReachabilityResult reachability;
    // No extra tokens (Pattern::extra_tokens): the setting of Yun et al.'s theorem.
    bool input_tokens_only = true;
    // Theorem 1 of Yun et al.: true when the pattern has no extra tokens and all three conditions
    // hold; false when one of these fails; nullopt: none fails, one is undetermined.
    std::optional<bool> theorem_applies;

    // The facts the other registered theorems need (docs/theory.md section 5).
    StarResult star;                          // BigBird's star as stated: an extra hub x_0
    bool one_graph = true;                    // every layer uses the same pattern
    std::optional<token_t> in_sequence_hub;   // an input token as hub: the adaptation (a conjecture)
    std::optional<ClosureSet> closure;        // input token j never influences input token k
    // When condition 3 fails: a closure set over all tokens (it bounds S_k^t too), if one exists.
    std::optional<ClosureSet> reachability_closure;
    CheckOutcome influence;                   // every input token eventually influences every other

    // Every registered theorem evaluated on the facts (sorted by id), the three-valued verdict
    // ("universal", "not-universal", "open") that follows from them, and the p of d_p for which it
    // is proven (nothing for "open").
    std::vector<TheoremOutcome> theorems;
    std::string verdict;
    std::optional<PRange> verdict_p_range;
    double seconds = 0;  // wall time of the checks (not part of the JSON: output stays deterministic)
};

VerifyResult verify(CheckedPattern pattern, const VerifyOptions& options = {});

// Each check by the name theorems/*.json use for it, with its outcome and a one-line reason.
Facts facts_of(const VerifyResult& result);

struct VerifyJsonOptions {
    bool path_list = true;  // false: leave out hamiltonian_path.path (n tokens; at n = 10^6, 10^6 lines)
};

// One entry of verify-pattern --json's "results" (keys documented in docs/verify-pattern.md; the
// tool adds "file").
nlohmann::json to_json(const VerifyResult& result, const VerifyJsonOptions& options = {});

// Three-valued conjunction used for verdicts: false wins, then unknown, then true.
std::optional<bool> all_of(std::initializer_list<std::optional<bool>> values);

// Human-readable, one paragraph per pattern (verify-pattern's default output).
std::string describe(const VerifyResult& result, const std::string& file);

}  // namespace sparsecert
