// Assumption 1 of Yun et al. 2020 (theory.md section 2) decided on one pattern: the three checks
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
#include "sparsecert/certify/theorems.hpp"

namespace sparsecert {

struct VerifyOptions {
    double timeout_seconds = 60;   // budget for each search that can be long (path, reachability)
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
    SelfAttentionResult self_attention;
    HamiltonianResult hamiltonian_path;
    ReachabilityResult reachability;
    // true: all three conditions hold; false: one fails; nullopt: none fails, one is undetermined.
    std::optional<bool> theorem_applies;

    // The facts the other registered theorems need (theory.md section 5).
    std::optional<token_t> star_hub;   // a token attending to all and attended by all, every pattern
    std::optional<ClosureSet> closure; // a closure set: some token never influences another
    CheckOutcome influence;            // every token eventually influences every other

    // Every registered theorem evaluated on the facts (sorted by id), and the three-valued verdict
    // ("universal", "not-universal", "open") that follows from them.
    std::vector<TheoremOutcome> theorems;
    std::string verdict;
    double seconds = 0;  // wall time of the checks (not part of the JSON: output stays deterministic)
};

VerifyResult verify(const Pattern& pattern, const VerifyOptions& options = {});

// Each check by the name theorems/*.json use for it, with its outcome and a one-line reason.
Facts facts_of(const VerifyResult& result);

// The JSON object of verify-pattern --json (keys documented in docs/verify-pattern.md).
nlohmann::json to_json(const VerifyResult& result);

// Three-valued conjunction used for verdicts: false wins, then unknown, then true.
std::optional<bool> all_of(std::initializer_list<std::optional<bool>> values);

// Human-readable, one paragraph per pattern (verify-pattern's default output).
std::string describe(const VerifyResult& result, const std::string& file);

}  // namespace sparsecert
