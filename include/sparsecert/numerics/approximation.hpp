// `sparsecert approximate`: the measured error budget of Theorem 1 (docs/theory.md sections 3 and 4).
//
// For a pattern, d, delta = 1/m and a target f: build and check g_bar (construct), measure its
// margins on every grid input, plan the budget (error_budget.hpp: eps, E, epsilon, eta, the
// per-layer temperatures, the MPFR precision), build g in ST^{2,1,4} (softmax_network.hpp), check
// Assumption 2 on the measured margins, and bound
//     d_q(f, g) <= d_q(f, f_bar) + d_q(f_bar, g_bar) + d_q(g_bar, g):
// the first analytically (Lipschitz), the second is 0 (g_bar = f_bar on every grid input and the
// quantization is exact on whole cubes), the third from every grid cube (g is constant on the good
// part of a cube) plus the bad set's share, with the rounding error taken from the error budget's
// first-order propagation model (not interval arithmetic). Monte Carlo samples over [0,1)^{d x n}
// give a confidence interval for d_q(f, f_bar) only: they almost never fall in the ReLU ramps
// (width epsilon, about 2^-70), which carry almost all of d_q(g_bar, g), so for d_q(g_bar, g) and
// d_q(f, g) the sample values are reported as what they are (off the ramps), never as intervals.
// Also: the precision cross-checked at p + 64 bits, the same network in binary64, and sweeps over
// t and delta.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sparsecert/numerics/error_budget.hpp"
#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/support/progress.hpp"
#include "sparsecert/construction/rational.hpp"
#include "sparsecert/numerics/softmax_network.hpp"

namespace sparsecert {

// d_q = (integral of ||.||_q^q)^{1/q} from the per-sample values of ||.||_q^q: their mean, the
// normal-approximation confidence interval of the mean (clipped at 0), and both to the power 1/q
// (a monotone map, so the interval carries over).
struct DqEstimate {
    long double estimate = 0, ci_low = 0, ci_high = 0;
    long double mean = 0, standard_error = 0;  // of ||.||_q^q
    std::uint64_t samples = 0, nonzero = 0;
};
DqEstimate estimate_dq(const std::vector<long double>& powers, double q, double z = 1.959963984540054);

struct ApproximateOptions {
    std::uint32_t d = 1, m = 4;
    std::string target = "mean";
    BudgetOptions budget;                          // q, eps
    std::uint64_t samples = 1000, seed = 1;
    std::uint64_t exhaustive_limit = 100'000;      // grid inputs (margins, the grid figures)
    std::uint64_t max_layers = 2'000'000;          // of g_bar (as construct's --max-layers)
    std::optional<long> precision;                 // override the planned precision (bits)
    std::uint64_t double_samples = 100;            // binary64 comparison on the first N samples
    std::uint64_t precision_check_inputs = 64;     // grid inputs evaluated at p and at p + 64 bits
    bool timing = false;                           // measure evaluations per second (nondeterministic)
    std::uint64_t timing_inputs = 40;
    Progress progress;
};

struct Timing {
    std::uint64_t inputs = 0;
    // Network evaluations per second, one thread.
    double g_mpfr_indexed = 0, g_mpfr_plain = 0, g_binary64 = 0, g_bar_exact = 0;
};

struct ApproximateReport {
    // The problem.
    std::string pattern_name;
    std::uint32_t n = 0, d = 0, m = 0;
    std::size_t p = 0;
    std::string target_name, target_formula;
    Rational lipschitz, target_tolerance;
    // g_bar (construct).
    std::size_t g_bar_layers = 0;
    std::uint64_t s = 0;
    bool g_bar_holds = false;
    std::string path_method;
    Rational t_r;                                   // the largest valid code
    // g.
    STClass st;
    GridMeasurement grid;
    ErrorBudget budget;
    std::vector<long double> off_winner_mass;       // per attention layer, on every grid input
    // Precision evidence.
    long precision_bits = 0;
    bool precision_overridden = false;
    std::uint64_t precision_check_inputs = 0;
    long double precision_check_difference = 0;     // max |g at p - g at p + 64| over those inputs
    // binary64 on the same network.
    DqEstimate binary64_gbar_g;
    std::uint64_t binary64_samples = 0, binary64_nonfinite = 0;
    long double binary64_max_error = 0;
    // d_q(g_bar, g) from every grid cube.
    long double grid_good_dq = 0;                   // over the good set, exactly up to rounding
    long double grid_max_error = 0;                 // max |g - g_bar| entry over the grid cubes (as computed)
    // (good^q + bad_measure d n B^q)^{1/q}: the grid's figure with the rounding bound E/1024 added
    // to every entry (first-order model), plus the bad set's share.
    long double grid_gbar_g_bound = 0;
    // Monte Carlo. gbar_g and f_g are the values at the samples, which almost never fall in the ramps: not
    // estimates of the integrals (their intervals are never reported).
    std::uint64_t samples = 0, seed = 0;
    DqEstimate f_fbar, fbar_gbar, gbar_g, f_g;
    std::optional<Timing> timing;

    // The bound of d_q(f, g) by the triangle inequality (q >= 1): the analytic bound of
    // d_q(f, f_bar), plus 0, plus grid_gbar_g_bound.
    long double f_g_bound() const;
    // Every check of the budget holds: g in ST^{2,1,4}, Assumption 2 on the margins, the precision
    // check within the rounding target, g_bar = f_bar at every sample (d_q(f_bar, g_bar) = 0), each
    // bound within eps/3, and so f_g_bound() within eps.
    bool within_eps() const;
};

// Throws NotApplicable (construction.hpp) when the construction does not apply or a limit is hit.
ApproximateReport approximate(const Pattern& pattern, const ApproximateOptions& options);

// The ReLU ramp width epsilon the error budget gives g for these options (what approximate()
// builds g with), without building g: `sparsecert prove` states its relu/... obligations at this
// width, about the very form g runs. Throws like approximate().
Rational planned_relu_width(const Pattern& pattern, const ApproximateOptions& options);

// Sweeps: the error against t (every temperature times a scale, everything else fixed, the
// precision recomputed for the scale) and against delta (everything rebuilt for each m).
struct SweepRow {
    long double value = 0;        // the scale of t, or m
    std::string label;            // "1/4", or "1/3" for delta
    long precision_bits = 0;
    long double min_temperature = 0, max_temperature = 0;
    long double eps = 0, f_fbar_bound = 0;
    DqEstimate f_fbar, fbar_gbar, gbar_g, f_g;
    long double grid_good_dq = 0;
};
struct Sweep {
    std::string parameter;        // "t" or "delta"
    std::vector<SweepRow> rows;
};
Sweep sweep_temperature(const Pattern& pattern, const ApproximateOptions& options, const std::vector<Rational>& scales);
Sweep sweep_delta(const Pattern& pattern, const ApproximateOptions& options, const std::vector<std::uint32_t>& ms);

// Output (docs/approximate.md, "Output").
nlohmann::json to_json(const ApproximateReport& report);
nlohmann::json to_json(const Sweep& sweep);
std::string describe(const ApproximateReport& report, const std::string& file);
std::string describe(const Sweep& sweep);
// A log-scale plot of the sweep (SVG 1.1, self-contained, deterministic).
std::string sweep_svg(const Sweep& sweep, const std::string& title);

}  // namespace sparsecert
