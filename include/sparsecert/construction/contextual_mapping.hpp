// The exact checks of the construction (docs/theory.md section 4), in rational arithmetic only:
//   - quantization: every row's entry-wise map, composed exactly over the whole real line, is the
//     grid rounding on [1, n + 1) and the sentinel outside;
//   - selective shift: at every shift layer, on every checked input, only gamma(i) can be in the
//     window (and is, exactly once over its bucket), its attended min is itself and its attended
//     max is the previously shifted column gamma(i-1);
//   - contextual mapping (the Definition in both papers): over every grid input when there are at
//     most `exhaustive_limit` of them, else over a seeded sample: codes distinct within an input, no
//     code shared across inputs, valid codes in [t_l, t_r], and every code of every input carrying
//     the sentinel outside [t_l, t_r]; the smallest gap between codes;
//   - matches target: the whole network (value mapping built from those codes) equals f_bar at
//     every checked grid point.
// A failure names the check, the input, the layer and the quantity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/network.hpp"
#include "sparsecert/support/progress.hpp"
#include "sparsecert/construction/rational.hpp"
#include "sparsecert/construction/targets.hpp"

namespace sparsecert {

struct CheckOptions {
    std::uint64_t exhaustive_limit = 1'000'000;  // check every grid input when there are at most this many
    std::uint64_t sample_size = 10'000;          // otherwise this many, drawn with `seed`
    std::uint64_t seed = 1;
    // The value mapping has one layer per checked (input, column): refuse (NotApplicable) above.
    std::uint64_t max_value_layers = 2'000'000;
    Evaluator evaluator = Evaluator::indexed;    // how `matches target` evaluates the whole network
    std::size_t max_failures = 10;               // failures listed (all are counted)
    Progress progress;
};

struct Failure {
    std::string check;                  // quantization, selective_shift, contextual_mapping, sentinel, ...
    std::string input;                  // the input (rows of grid values; "S" marks a sentinel), or ""
    std::optional<std::size_t> layer;   // the network layer at which the quantity was measured
    std::string quantity;               // what was measured and what was expected, exactly
};

struct QuantizationCheck {
    bool holds = false;
    std::uint64_t cells_checked = 0;    // pieces of the composed entry-wise maps (all rows)
};

struct SelectiveShiftCheck {
    bool holds = false;
    std::uint64_t shift_layers = 0;     // attention layers of the sweep, each checked on every input
    std::uint64_t inputs_checked = 0;
};

struct ContextualMappingCheck {
    bool holds = false;
    std::string grid_inputs;            // m^{dn}, in decimal (it can exceed 64 bits)
    std::uint64_t inputs_checked = 0;
    bool exhaustive = false;
    std::uint64_t codes = 0;            // n per checked input
    Rational min_gap;                   // smallest difference between two codes (any inputs)
    Rational min_code, max_code;
    bool reaches_all = false;           // S_k^s = [n] for the all-max layers as built
    std::uint64_t sentinel_inputs_checked = 0;
    bool sentinel_exhaustive = false;
    Rational min_sentinel_code;         // smallest code of an input carrying the sentinel
};

struct TargetCheck {
    bool holds = false;
    std::uint64_t inputs_checked = 0;
    bool exhaustive = false;
    Evaluator evaluator = Evaluator::indexed;
};

struct ConstructReport {
    Construction construction;
    std::optional<std::uint64_t> paper_s;  // s from pattern 0, when known (for the paper's formula)
    std::string path_method;
    // The target.
    std::string target_name, target_formula;
    Rational lipschitz, approximation_bound, target_tolerance;
    bool target_exact = true;
    // The checks.
    QuantizationCheck quantization;
    SelectiveShiftCheck selective_shift;
    ContextualMappingCheck contextual_mapping;
    TargetCheck matches_target;
    std::uint64_t failure_count = 0;
    std::vector<Failure> failures;      // the first max_failures and the first of each check, deterministic order

    bool holds() const {
        return quantization.holds && selective_shift.holds && contextual_mapping.holds && matches_target.holds;
    }
};

// The whole pipeline on a contextual-mapping construction (build_contextual_mapping): check stages
// (a) and (b) on the grid, add the value mapping for the codes found (add_value_mapping), and
// check the whole network against f_bar. Throws NotApplicable when the value mapping would exceed
// options.max_value_layers.
ConstructReport check_construction(Construction construction, const Pattern& pattern, const Target& target,
                                   const CheckOptions& options = {});

// Stage (a) alone (used by check_construction).
QuantizationCheck check_quantization(const Construction& construction, std::vector<Failure>* failures = nullptr);

// The layer counts of each stage next to the formulas for them: reconstructions of the paper's
// counts (docs/construction.md), not quoted from it.
struct StageRow {
    std::string stage;
    std::uint64_t layers = 0;
    std::string formula;                // the reconstructed count, e.g. "p(n-1)delta^-d = 12"
    std::string note;                   // why they differ, when they do
};
std::vector<StageRow> stage_table(const ConstructReport& report);
// The reconstructed count p(n-1)delta^{-d} + s of the contextual mapping (with the paper's s, from
// pattern 0, when known).
std::uint64_t formula_layers(const ConstructReport& report);

// `sparsecert construct --json` (docs/construction.md, "Output").
nlohmann::json to_json(const ConstructReport& report);
// The human-readable report.
std::string describe(const ConstructReport& report, const std::string& file);

}  // namespace sparsecert
