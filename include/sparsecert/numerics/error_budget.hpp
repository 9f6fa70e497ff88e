// The error budget of the proof (docs/theory.md sections 3 and 4): how the real network g is made
// eps/3-close to g_bar, with every constant computed rather than guessed.
//
// The argument (docs/approximate.md, "The budget", has the details):
//   d_q(f, g) <= d_q(f, f_bar) + d_q(f_bar, g_bar) + d_q(g_bar, g), each term <= eps/3.
// 1. d_q(f, f_bar) <= (d n)^{1/q} (L delta/2 + tolerance): the analytic bound (L the target's
//    entry-wise Lipschitz constant). By default eps is 3 times this bound.
// 2. d_q(f_bar, g_bar) = 0: the quantization of g_bar is exact on whole cubes (construct proves
//    it) and g_bar = f_bar on the grid (construct checks every grid point).
// 3. d_q(g_bar, g). Split [0,1)^{d x n} into
//    - the good set: no entry lies within epsilon below a cell boundary a/m. There g's four-ReLU
//      quantization is exact, so g's state after quantization is exactly a grid state and g(X)
//      depends only on the cube; after that, every softmax layer adds at most eta x (value spread)
//      per head (Assumption 2 at the layer's margin zeta), and the errors propagate through the
//      later layers with the layers' Lipschitz constants. With eta chosen so that this bound is
//      E, |g - g_bar| <= E per entry.
//    - the bad set, of measure <= d n m epsilon, where |g - g_bar| <= B = t_r + 2F + 1 per entry
//      (t_r the largest valid code, F the largest |f_bar| entry: the value mapping only moves a
//      column between its code and target values).
//    So d_q(g_bar, g)^q <= d n E^q + d n m epsilon d n B^q; E and epsilon take half of (eps/3)^q
//    each.
// The margins are measured in exact arithmetic on every grid input: on the good set these are
// exactly the states g sees (the inputs that matter). A perturbation e of the state can shrink a
// margin |q| gap to (|q| - |W_Q|_1 e)(gap - 2 |W_K|_1 e); E is also capped so that this stays
// >= 9/16 of the measured margin, and so that no feed-forward input can cross a jump of phi.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/network.hpp"
#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/support/progress.hpp"
#include "sparsecert/construction/rational.hpp"
#include "sparsecert/construction/targets.hpp"

namespace sparsecert {

// What an attention layer of g_bar does on the grid inputs (all of them, in exact arithmetic).
struct AttentionMargin {
    std::size_t layer = 0;            // index in Network::layers
    Stage stage = Stage::other;
    std::uint32_t pattern = 0;
    bool competition = false;         // some column attends to a token with a different key
    // zeta: min over inputs, columns and active heads of (winning score - best score of a token
    // with a different key); meaningful when competition.
    Rational margin;
    Rational min_query;               // min |W_Q z_k + b| (never 0: no hardmax tie of scores)
    Rational min_key_gap;             // min |key_j - key_winner| over tokens with a different key
    Rational value_spread;            // max |value_j - value_winner| over attended tokens
    Rational max_abs_state;           // max |entry| of the layer's input
    Rational max_abs_key, max_abs_value, max_abs_query;
    std::uint32_t max_attended = 0;   // the longest score vector (m in Assumption 2)
    std::uint64_t ties = 0;           // (input, column, head, token) with the winner's key, other token
    Rational weight_q, weight_k, weight_v, weight_out;  // max over heads of |W_Q|_1, |W_K|_1, |W_V|_1, |W_O|_inf
};

struct GridMeasurement {
    std::uint64_t inputs = 0;                 // m^{dn}: every grid input
    std::vector<AttentionMargin> attention;   // every attention layer, in order
    // max |entry| of the input of layer t, for t < value_mapping.first (then the value mapping's
    // structural bound applies: docs/approximate.md).
    std::vector<Rational> max_abs_state;
    // Feed-forward layers after the first attention layer and before the value mapping: the
    // smallest |w1 . x + b1 - c| over jumps c of phi (where the four-ReLU form has a ramp).
    std::vector<std::pair<std::size_t, Rational>> jump_slack;
    Rational max_abs_target;                  // F = max |f_bar| over the grid
    Rational max_target_row0;                 // max f_bar entry in row 0 (must stay below the code windows)
};

// Runs g_bar exactly on every grid input (construction with its value mapping, from
// check_construction). Throws NotApplicable when the grid has more than `limit` inputs, or a
// hardmax query is exactly 0 (no margin).
GridMeasurement measure_grid(const Construction& construction, const Pattern& pattern, const Target& target,
                             std::uint64_t limit, const Progress& progress = {});

struct BudgetOptions {
    double q = 2;                  // 1 <= q < infinity
    std::optional<long double> eps;  // default: 3 x the analytic bound of d_q(f, f_bar)
    // The MPFR evaluation must add at most E x rounding_fraction to the output.
    long double rounding_fraction = 1.0L / 1024;
};

struct LayerTemperature {
    std::size_t layer = 0;           // index in Network::layers
    Rational temperature;            // t_l, rounded up to a multiple of 2^-8
    long double robust_margin = 0;   // zeta'_l: the margin after the worst perturbation by E
    std::uint32_t vector_length = 0; // m_l
};

struct ErrorBudget {
    double q = 2;
    std::uint32_t d = 0, n = 0, m = 0;
    long double f_fbar_bound = 0;   // analytic bound of d_q(f, f_bar)
    long double eps = 0, term = 0;  // eps and the per-term budget eps/3
    bool eps_given = false;
    long double sup_error = 0;      // E (per entry, on the good set)
    std::string sup_error_reason;   // which cap set E
    Rational relu_width;            // epsilon, a power of two
    long double bad_measure = 0;    // d n m epsilon
    long double bad_bound = 0;      // B
    long double gbar_g_bound = 0;   // (d n E^q + bad_measure d n B^q)^{1/q}
    long double eta = 0;            // Assumption 2's eta, every layer
    long double eta_coefficient = 0;  // E = eta x this (the propagated softmax errors)
    std::vector<LayerTemperature> temperatures;  // one per attention layer
    // Precision of the MPFR evaluation.
    long precision_bits = 0;
    long double rounding_coefficient = 0;  // rounding error <= 2^-p x this
    long double rounding_target = 0;       // E x rounding_fraction
    long double largest_magnitude = 0;     // largest intermediate quantity (any layer)
    std::size_t largest_magnitude_layer = 0;
    std::string precision_reason;
};

// eps, E, epsilon, eta, the temperatures and the precision, from the measurement.
ErrorBudget plan_budget(const Construction& construction, const Target& target, const GridMeasurement& grid,
                        const BudgetOptions& options);

// Recomputes the precision for the same budget with every temperature multiplied by `scale`
// (the magnitudes of the softmax exponents scale with t).
long precision_for_scale(const Construction& construction, const GridMeasurement& grid, const ErrorBudget& budget,
                         const Rational& scale);

// Assumption 2 checked on the margins the temperatures were computed for: on every grid input,
// every attention layer, column and active head, softmax at t_l puts at least 1 - eta on the
// winner (and its equal-key ties) and at most eta on the rest. Returns per attention layer the
// largest mass off the winner (computed from the exact score gaps, exponentials in long double).
std::vector<long double> off_winner_mass(const Construction& construction, const Pattern& pattern,
                                         const std::vector<Rational>& temperatures, const Progress& progress = {});

// (a x^q + b y^q)^{1/q} for non-negative a, b, x, y, without overflow (x^q can exceed the range
// of long double for large q).
long double q_norm_sum(long double a, long double x, long double b, long double y, long double q);

// The grid input with index i (entry (r, k) is digit k d + r of i in base m, the first fastest).
Matrix grid_input(std::uint64_t index, std::uint32_t d, std::uint32_t n, std::uint32_t m);

}  // namespace sparsecert
