// The constructive network of Yun et al. 2020 (docs/theory.md section 4, Step 2), built exactly.
//
// For a pattern that satisfies Assumption 1, a Hamiltonian path gamma of its union graph and the
// mixing depth s, the network g_bar is
//   (a) quantization: token-wise layers that round every entry of X + E down to the grid and send
//       entries outside the valid range to a sentinel S;
//   (b) contextual mapping: the positional embedding along gamma (gamma(0) gets offset n, gamma(i)
//       offset i: 0-based path positions), the sparse selective-shift sweep (one attention layer
//       per value of each bucket, an identity layer wherever the cycle's pattern lacks the edge
//       gamma(i-1) -> gamma(i)), then s all-max-shift layers;
//   (c) value mapping: one token-wise layer per code, writing f_bar (added by add_value_mapping,
//       from the codes the checks compute; see contextual_mapping.hpp).
// docs/construction.md derives every constant and lists the deviations from the paper.
//
// The starting pattern: every layer of the network is one slot of the pattern cycle (network.hpp),
// so the sweep starts at pattern (start_phase + #quantization layers) mod p and ends wherever its
// identity layers leave the cycle. By default the all-max stage starts right there and s is the
// mixing depth *for that phase* (the s consecutive patterns after the sweep); with
// AllMaxStart::pad_to_first_pattern, identity layers first bring the cycle back to pattern 0 and the
// paper's s (from pattern 0) is used.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "sparsecert/construction/network.hpp"
#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/support/progress.hpp"
#include "sparsecert/construction/rational.hpp"

namespace sparsecert {

// The construction does not apply to this pattern (or these parameters); what() says why.
struct NotApplicable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class AllMaxStart {
    actual_phase,          // start where the sweep ends; s is computed for that phase
    pad_to_first_pattern,  // identity layers up to pattern 0, then the paper's s
};

struct ConstructionOptions {
    std::uint32_t d = 1;           // rows of the input
    std::uint32_t m = 4;           // delta = 1/m, m >= 2
    std::size_t start_phase = 0;   // the pattern of layer 0 (the paper: pattern 1)
    AllMaxStart all_max_start = AllMaxStart::actual_phase;
    // Refuse (NotApplicable) when stages (a) and (b) together would exceed this many layers
    // (quantization d(n m + 1), sweep up to p (n-1) m^d).
    std::uint64_t max_layers = 2'000'000;
    // The constants; nullopt means the derived value (docs/construction.md). Tests set them to
    // check that the checks catch a bad constant.
    std::optional<Rational> shift_multiplier;    // default delta^{-d} = m^d
    std::optional<Rational> all_max_multiplier;  // default C = binom(s, floor(s/2)) * m * id_max + 1
    std::optional<Rational> sentinel;            // default floor(id_max (1 + 1/C)^s) + 1
};

// One attention layer of the sweep: it shifts the column whose id is `value`, which should be
// gamma(position) and only at the layer whose value is that column's id.
struct SweepStep {
    std::size_t layer = 0;         // index in Network::layers
    std::uint32_t position = 0;    // i in 1..n-1: the 0-based position on the path
    Rational value;                // the window's centre v (the window is (v - delta/2, v + delta/2))
};

struct StageSpan {
    std::size_t first = 0, last = 0;  // layers [first, last)
    std::size_t size() const noexcept { return last - first; }
};

struct Construction {
    std::uint32_t d = 0, m = 0, n = 0;
    std::size_t p = 0;
    std::string pattern_name;
    std::vector<token_t> path;          // gamma: path[i] attends to path[i-1] in some pattern
    std::vector<std::uint32_t> offset;  // token k's positional offset o_k (E column k = o_k 1_d)
    std::uint64_t s = 0;                // all-max-shift layers
    std::size_t sweep_phase = 0;        // pattern of the first sweep layer
    std::size_t all_max_phase = 0;      // pattern of the first all-max layer
    AllMaxStart all_max_start = AllMaxStart::actual_phase;

    // Constants (docs/construction.md, "Constants").
    std::vector<Rational> u;            // (1, m, ..., m^{d-1}): a column's id is u . x
    Rational bucket_width;              // c_d = sum_{i<d} m^i: offset o adds o c_d to the id
    Rational shift_multiplier;          // delta^{-d}
    Rational all_max_multiplier;        // C
    Rational sentinel;                  // S
    Rational id_low, id_high;           // bounds of the largest id after the sweep (valid inputs)
    Rational t_l, t_r;                  // valid codes lie in [t_l, t_r], sentinel codes above t_r

    Network network;
    StageSpan quantization, sweep, padding, all_max, preparation, value_mapping;
    std::vector<SweepStep> sweep_steps;
    std::size_t identity_layers = 0;    // identity layers within the sweep
    std::uint64_t value_mapping_inputs = 0;  // inputs whose codes the value mapping covers
};

// Where the all-max stage starts (the pattern index) for this path and these options.
std::size_t all_max_phase(CheckedPattern pattern, std::span<const token_t> path, const ConstructionOptions& options);

// Stages (a) and (b) for an explicit path and s (s must be the mixing depth for the phase the
// all-max stage starts at: all_max_phase(), or 0 with pad_to_first_pattern). Throws NotApplicable
// when a pattern lacks self-attention, the path is not a Hamiltonian path, n < 2, m < 2 or d < 1.
Construction build_contextual_mapping(CheckedPattern pattern, std::span<const token_t> path, std::uint64_t s,
                                      const ConstructionOptions& options);

// What Assumption 1 gives for this pattern, through the library's own checks.
struct Applicability {
    std::vector<token_t> path;
    std::string path_method;
    std::uint64_t s = 0;                      // for the phase the all-max stage starts at
    std::optional<std::uint64_t> paper_s;     // from pattern 0 (the paper's s)
};

// Checks self-attention, finds a Hamiltonian path (find_hamiltonian_path) and s for the right
// phase (check_reachability on the pattern rotated to that phase). Throws NotApplicable with the
// reason when a condition fails or is undetermined.
Applicability check_applicability(CheckedPattern pattern, const ConstructionOptions& options,
                                  const Progress& progress = {});

// The convenience form: check_applicability, then build_contextual_mapping.
Construction build_contextual_mapping(CheckedPattern pattern, const ConstructionOptions& options,
                                      const Progress& progress = {});

// One entry of the value-mapping table: the code of one (input, column) after the contextual
// mapping and the column f_bar must write there.
struct CodeValue {
    Rational code;
    std::vector<Rational> value;  // d entries
};

// Stage (c): the preparation layers (code into row 0, other rows zeroed, codes outside
// [t_l, t_r] zeroed) and one layer per entry, in increasing order of code. Throws
// std::invalid_argument when a value is so large that it would fall into a code window.
void add_value_mapping(Construction& construction, std::vector<CodeValue> table);

// The mixing depth for patterns used from `phase` on: the least t with S_k^t = [n] for every k,
// computed from the definition (docs/theory.md section 2) with bitsets; nullopt when none up to
// `limit`. For tests and for checking s independently of check_reachability.
std::optional<std::uint64_t> mixing_depth_from(CheckedPattern pattern, std::size_t phase, std::uint64_t limit);

}  // namespace sparsecert
