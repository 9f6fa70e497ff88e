#include "sparsecert/numerics/approximation.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <mpfr.h>
#include <nlohmann/json.hpp>
#include <omp.h>

#include "construction/network_engine.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/contextual_mapping.hpp"
#include "sparsecert/numerics/softmax_kernel.hpp"
#include "sparsecert/construction/targets.hpp"

namespace sparsecert {

namespace {

constexpr int sample_bits = 53;  // samples are k / 2^53: uniform on the 2^53-grid of [0,1), exact in binary64

long double ld(const Rational& r) {
    if (r.is_zero()) return 0;
    mpfr_t v;
    mpfr_init2(v, 128);
    mpfr_set_q(v, r.get(), MPFR_RNDN);
    const long double out = mpfr_get_ld(v, MPFR_RNDN);
    mpfr_clear(v);
    return out;
}

long double power_q(long double x, double q) {
    x = std::fabs(x);
    if (q == 2) return x * x;
    if (q == 1) return x;
    return std::pow(x, (long double)q);
}

// ||a - b||_q^q over the entries.
long double distance_power(const Matrix& a, const Matrix& b, double q, long double per_entry_slack = 0) {
    long double s = 0;
    for (std::size_t e = 0; e < a.entries.size(); ++e) {
        const long double x = std::fabs(ld(a.entries[e] - b.entries[e])) + per_entry_slack;
        if (x != 0) s += power_q(x, q);
    }
    return s;
}

long double max_abs_difference(const Matrix& a, const Matrix& b) {
    long double s = 0;
    for (std::size_t e = 0; e < a.entries.size(); ++e) s = std::max(s, std::fabs(ld(a.entries[e] - b.entries[e])));
    return s;
}

// Runs body(i) for i in [0, count) on every thread; exceptions are collected and rethrown as one.
template <class Body>
void parallel_for(std::uint64_t count, const Progress& progress, const std::string& stage, const Body& body) {
    std::atomic<std::uint64_t> done{0};
    std::string error;
#pragma omp parallel for schedule(dynamic, 4)
    for (std::uint64_t i = 0; i < count; ++i) {
        try {
            body(i);
        } catch (const std::exception& e) {
#pragma omp critical(sparsecert_approximate_error)
            if (error.empty()) error = e.what();
        }
        const auto now = ++done;
        if (progress && omp_get_thread_num() == 0) report(progress, stage, double(now) / double(count));
    }
    if (!error.empty()) throw std::runtime_error(error);
}

// Everything that does not depend on the temperatures: g_bar, the measurement, the budget, the
// samples and f, f_bar, g_bar at them.
struct Prepared {
    ConstructReport construct;
    Applicability applicability;
    Target target;
    GridMeasurement grid;
    ErrorBudget budget;
    std::vector<Matrix> x, f, fbar, gbar;  // per sample
    std::vector<Matrix> grid_fbar;         // per grid input
    std::unique_ptr<detail::IntNetwork> exact;  // g_bar over Q 2^53
};

Prepared prepare(const Pattern& pattern, const ApproximateOptions& o, std::uint32_t m) {
    Prepared pr;
    const Progress& progress = o.progress;
    ConstructionOptions co;
    co.d = o.d;
    co.m = m;
    co.max_layers = o.max_layers;
    pr.target = make_target(o.target, o.d, pattern.n);
    pr.applicability = check_applicability(pattern, co, progress);
    report(progress, "building g_bar");
    Construction c = build_contextual_mapping(pattern, pr.applicability.path, pr.applicability.s, co);
    {
        mpz_class total;
        mpz_ui_pow_ui(total.get_mpz_t(), m, std::uint64_t(o.d) * pattern.n);
        if (total > o.exhaustive_limit)
            throw NotApplicable(fmt::format("the grid has {}^{} = {} inputs, more than --exhaustive-limit {}: approximate "
                                            "needs g_bar on every cube and the margins on every grid input",
                                            m, std::uint64_t(o.d) * pattern.n, total.get_str(), o.exhaustive_limit));
    }
    CheckOptions check;
    check.exhaustive_limit = o.exhaustive_limit;
    check.max_value_layers = o.max_layers;
    check.progress = progress;
    pr.construct = check_construction(std::move(c), pattern, pr.target, check);
    pr.construct.paper_s = pr.applicability.paper_s;
    pr.construct.path_method = pr.applicability.path_method;
    const Construction& con = pr.construct.construction;
    if (!pr.construct.holds())
        throw NotApplicable(fmt::format("g_bar fails a check of construct ({} failures; run sparsecert construct for details)",
                                        pr.construct.failure_count));
    pr.grid = measure_grid(con, pattern, pr.target, o.exhaustive_limit, progress);
    pr.budget = plan_budget(con, pr.target, pr.grid, o.budget);

    // f_bar on the grid (for the grid figures).
    pr.grid_fbar.resize(pr.grid.inputs);
    parallel_for(pr.grid.inputs, progress, "f_bar on the grid: ", [&](std::uint64_t i) {
        pr.grid_fbar[i] = cube_centre_value(pr.target, grid_input(i, con.d, con.n, con.m), con.m);
    });

    // The samples: entries k / 2^53 from std::mt19937_64(seed), 64 raw bits each, top 53 kept
    // (no std distribution: their output is implementation-defined).
    const std::uint32_t d = con.d, n = con.n;
    std::mt19937_64 gen(o.seed);
    pr.x.resize(o.samples);
    for (auto& x : pr.x) {
        x = Matrix(d, n);
        for (std::uint32_t r = 0; r < d; ++r)
            for (std::uint32_t k = 0; k < n; ++k)
                x.at(r, k) = Rational(static_cast<long long>(gen() >> (64 - sample_bits)), 1LL << sample_bits);
    }
    mpz_class extra = 1;
    extra <<= sample_bits;
    std::string why;
    pr.exact = detail::IntNetwork::compile(con.network, pattern, extra, &why);
    if (!pr.exact) throw std::invalid_argument("g_bar is not integral: " + why);
    pr.f.resize(o.samples);
    pr.fbar.resize(o.samples);
    pr.gbar.resize(o.samples);
    parallel_for(o.samples, progress, "f, f_bar, g_bar at the samples: ", [&](std::uint64_t i) {
        const Matrix& x = pr.x[i];
        pr.f[i] = pr.target.at(x);
        Matrix corner = x;
        for (auto& v : corner.entries) v = floor(v * Rational(m)) / Rational(m);
        pr.fbar[i] = cube_centre_value(pr.target, corner, m);
        detail::IntState state;
        detail::Scratch scratch;
        pr.exact->load_input(x, state);
        pr.exact->run(state, 0, pr.exact->size(), scratch, true);
        pr.gbar[i] = pr.exact->unload(state);
    });
    return pr;
}

// The centre of grid cube i. In real arithmetic g is the same at every point of the good part of a
// cube, corner included; the centre is delta/2 away from every ramp, so the MPFR evaluation there
// is not disturbed by rounding (at a corner of a non-dyadic grid, a rounding error of 2^-100 below
// the corner already lands in a ramp of slope delta/epsilon: docs/approximate.md, "Grid figures").
Matrix cube_centre(std::uint64_t i, std::uint32_t d, std::uint32_t n, std::uint32_t m) {
    Matrix x = grid_input(i, d, n, m);
    const Rational half(1, 2LL * m);
    for (auto& v : x.entries) v += half;
    return x;
}

std::vector<Rational> temperatures_of(const ErrorBudget& b, const Rational& scale = Rational(1)) {
    std::vector<Rational> t;
    for (const auto& lt : b.temperatures) t.push_back(lt.temperature * scale);
    return t;
}

struct GEstimates {
    DqEstimate gbar_g, f_g;
    long double grid_good_dq = 0, grid_max_error = 0;  // as computed
    long double grid_good_dq_rounded = 0;              // with the rounding bound added to every entry
};

// g at the samples and on the grid.
GEstimates estimate_g(const Prepared& pr, const Pattern& pattern, const SoftmaxNetwork& g, long bits, double q,
                      const Progress& progress) {
    const RealEvaluator eval(g, pattern, {RealArithmetic::mpfr, bits, true});
    const std::size_t N = pr.x.size();
    std::vector<long double> gbar_g(N), f_g(N);
    parallel_for(N, progress, "g at the samples (MPFR): ", [&](std::uint64_t i) {
        const Matrix y = eval(pr.x[i]);
        gbar_g[i] = distance_power(pr.gbar[i], y, q);
        f_g[i] = distance_power(pr.f[i], y, q);
    });
    GEstimates out;
    out.gbar_g = estimate_dq(gbar_g, q);
    out.f_g = estimate_dq(f_g, q);
    // The grid: every grid point lies in the good set of its cube, where g is constant (its
    // quantization is exact), so the mean over the grid is the mean over the good set. The
    // rounding bound is added to every entry.
    const Construction& c = pr.construct.construction;
    const std::uint64_t G = pr.grid.inputs;
    std::vector<long double> powers(G), rounded(G), maxima(G);
    const long double slack = pr.budget.rounding_target;
    parallel_for(G, progress, "g on the grid (MPFR): ", [&](std::uint64_t i) {
        const Matrix y = eval(cube_centre(i, c.d, c.n, c.m));
        powers[i] = distance_power(pr.grid_fbar[i], y, q);
        rounded[i] = distance_power(pr.grid_fbar[i], y, q, slack);
        maxima[i] = max_abs_difference(pr.grid_fbar[i], y);
    });
    long double sum = 0, sum_rounded = 0;
    for (std::uint64_t i = 0; i < G; ++i) {
        sum += powers[i];
        sum_rounded += rounded[i];
    }
    const long double dn = (long double)c.d * c.n;
    // The good part of a cube has volume (delta - epsilon)^{dn} = delta^{dn} (1 - m epsilon)^{dn}.
    const long double good_fraction = std::pow(1 - (long double)c.m * ld(pr.budget.relu_width), dn);
    out.grid_good_dq = std::pow(good_fraction * sum / (long double)G, 1.0L / q);
    out.grid_good_dq_rounded = std::pow(good_fraction * sum_rounded / (long double)G, 1.0L / q);
    out.grid_max_error = *std::max_element(maxima.begin(), maxima.end());
    return out;
}

std::string delta_label(std::uint32_t m) { return fmt::format("1/{}", m); }


}  // namespace

DqEstimate estimate_dq(const std::vector<long double>& powers, double q, double z) {
    DqEstimate e;
    e.samples = powers.size();
    if (powers.empty()) return e;
    long double sum = 0;
    for (auto v : powers) {
        sum += v;
        e.nonzero += v != 0;
    }
    const long double N = (long double)powers.size();
    e.mean = sum / N;
    long double ss = 0;
    for (auto v : powers) ss += (v - e.mean) * (v - e.mean);
    const long double var = powers.size() > 1 ? ss / (N - 1) : 0;
    e.standard_error = std::sqrt(var / N);
    const long double lo = std::max(0.0L, e.mean - z * e.standard_error), hi = e.mean + z * e.standard_error;
    const long double inv = 1.0L / q;
    e.estimate = std::pow(e.mean, inv);
    e.ci_low = std::pow(lo, inv);
    e.ci_high = std::pow(hi, inv);
    return e;
}

long double ApproximateReport::f_g_bound() const { return budget.f_fbar_bound + grid_gbar_g_bound; }

bool ApproximateReport::within_eps() const {
    const long double eta = budget.eta;
    for (auto mass : off_winner_mass)
        if (mass > eta) return false;
    // The grid bound assumes rounding <= E/1024: the check at p + 64 bits must agree.
    if (precision_check_difference > budget.rounding_target) return false;
    return g_bar_holds && st.member(2, 1, 4) && budget.f_fbar_bound <= budget.term && grid_gbar_g_bound <= budget.term &&
           fbar_gbar.estimate == 0 && f_g_bound() <= budget.eps;
}

ApproximateReport approximate(const Pattern& pattern, const ApproximateOptions& o) {
    const Prepared pr = prepare(pattern, o, o.m);
    const Construction& c = pr.construct.construction;
    const Progress& progress = o.progress;
    ApproximateReport r;
    r.pattern_name = pattern.name;
    r.n = c.n;
    r.d = c.d;
    r.m = c.m;
    r.p = c.p;
    r.target_name = pr.target.name;
    r.target_formula = pr.target.formula;
    r.lipschitz = pr.target.lipschitz;
    r.target_tolerance = pr.target.tolerance;
    r.g_bar_layers = c.network.layers.size();
    r.s = c.s;
    r.g_bar_holds = pr.construct.holds();
    r.path_method = pr.applicability.path_method;
    r.t_r = c.t_r;
    r.grid = pr.grid;
    r.budget = pr.budget;
    const double q = pr.budget.q;

    // g.
    const std::vector<Rational> temps = temperatures_of(pr.budget);
    const SoftmaxNetwork g = to_softmax_network(c.network, temps, pr.budget.relu_width);
    r.st = st_class(g, pattern);
    report(progress, "Assumption 2 on the grid");
    r.off_winner_mass = off_winner_mass(c, pattern, temps, progress);
    r.precision_bits = o.precision.value_or(pr.budget.precision_bits);
    r.precision_overridden = o.precision.has_value();

    // The precision, cross-checked: the same grid inputs at p and p + 64 bits.
    {
        const RealEvaluator at_p(g, pattern, {RealArithmetic::mpfr, r.precision_bits, true});
        const RealEvaluator above(g, pattern, {RealArithmetic::mpfr, r.precision_bits + 64, true});
        r.precision_check_inputs = std::min<std::uint64_t>(o.precision_check_inputs, pr.grid.inputs);
        std::vector<long double> diff(r.precision_check_inputs);
        const std::uint64_t stride = std::max<std::uint64_t>(1, pr.grid.inputs / std::max<std::uint64_t>(1, r.precision_check_inputs));
        parallel_for(r.precision_check_inputs, progress, "precision check: ", [&](std::uint64_t i) {
            const Matrix x = cube_centre(i * stride, c.d, c.n, c.m);
            diff[i] = max_abs_difference(at_p(x), above(x));
        });
        for (auto v : diff) r.precision_check_difference = std::max(r.precision_check_difference, v);
    }

    // Monte Carlo.
    r.samples = o.samples;
    r.seed = o.seed;
    {
        std::vector<long double> f_fbar(o.samples), fbar_gbar(o.samples);
        for (std::uint64_t i = 0; i < o.samples; ++i) {
            f_fbar[i] = distance_power(pr.f[i], pr.fbar[i], q);
            fbar_gbar[i] = distance_power(pr.fbar[i], pr.gbar[i], q);
        }
        r.f_fbar = estimate_dq(f_fbar, q);
        r.fbar_gbar = estimate_dq(fbar_gbar, q);
    }
    const GEstimates ge = estimate_g(pr, pattern, g, r.precision_bits, q, progress);
    r.gbar_g = ge.gbar_g;
    r.f_g = ge.f_g;
    r.grid_good_dq = ge.grid_good_dq;
    r.grid_max_error = ge.grid_max_error;
    {
        const long double dn = (long double)c.d * c.n;
        r.grid_gbar_g_bound = q_norm_sum(1, ge.grid_good_dq_rounded, pr.budget.bad_measure * dn, pr.budget.bad_bound, q);
    }

    // binary64 on the same network.
    {
        const RealEvaluator dbl(g, pattern, {RealArithmetic::binary64, 53, true});
        r.binary64_samples = std::min<std::uint64_t>(o.double_samples, o.samples);
        std::vector<long double> powers;
        std::vector<long double> all(r.binary64_samples, -1), maxima(r.binary64_samples, 0);
        parallel_for(r.binary64_samples, progress, "g in binary64: ", [&](std::uint64_t i) {
            try {
                const Matrix y = dbl(pr.x[i]);
                all[i] = distance_power(pr.gbar[i], y, q);
                maxima[i] = max_abs_difference(pr.gbar[i], y);
            } catch (const std::range_error&) {
                all[i] = -1;  // an infinity or a NaN
            }
        });
        for (std::uint64_t i = 0; i < r.binary64_samples; ++i) {
            if (all[i] < 0) {
                ++r.binary64_nonfinite;
                continue;
            }
            powers.push_back(all[i]);
            r.binary64_max_error = std::max(r.binary64_max_error, maxima[i]);
        }
        r.binary64_gbar_g = estimate_dq(powers, q);
    }

    if (o.timing) {
        Timing t;
        t.inputs = std::min<std::uint64_t>(o.timing_inputs, o.samples);
        auto rate = [&](std::uint64_t count, auto&& body) {
            const auto start = std::chrono::steady_clock::now();
            for (std::uint64_t i = 0; i < count; ++i) body(i);
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            return s > 0 ? double(count) / s : 0.0;
        };
        report(progress, "timing");
        const RealEvaluator indexed(g, pattern, {RealArithmetic::mpfr, r.precision_bits, true});
        const RealEvaluator plain(g, pattern, {RealArithmetic::mpfr, r.precision_bits, false});
        const RealEvaluator dbl(g, pattern, {RealArithmetic::binary64, 53, true});
        t.g_mpfr_indexed = rate(t.inputs, [&](std::uint64_t i) { (void)indexed(pr.x[i]); });
        t.g_mpfr_plain = rate(std::min<std::uint64_t>(t.inputs, 8), [&](std::uint64_t i) { (void)plain(pr.x[i]); });
        t.g_binary64 = rate(t.inputs, [&](std::uint64_t i) {
            try {
                (void)dbl(pr.x[i]);
            } catch (const std::range_error&) {
            }
        });
        t.g_bar_exact = rate(t.inputs, [&](std::uint64_t i) {
            detail::IntState state;
            detail::Scratch scratch;
            pr.exact->load_input(pr.x[i], state);
            pr.exact->run(state, 0, pr.exact->size(), scratch, true);
        });
        r.timing = t;
    }
    return r;
}

Rational planned_relu_width(const Pattern& pattern, const ApproximateOptions& o) {
    ApproximateOptions plan = o;
    plan.samples = 0;  // the budget does not depend on the samples
    return prepare(pattern, plan, plan.m).budget.relu_width;
}

Sweep sweep_temperature(const Pattern& pattern, const ApproximateOptions& o, const std::vector<Rational>& scales) {
    const Prepared pr = prepare(pattern, o, o.m);
    const Construction& c = pr.construct.construction;
    const double q = pr.budget.q;
    Sweep sw;
    sw.parameter = "t";
    std::vector<long double> f_fbar(o.samples), fbar_gbar(o.samples);
    for (std::uint64_t i = 0; i < o.samples; ++i) {
        f_fbar[i] = distance_power(pr.f[i], pr.fbar[i], q);
        fbar_gbar[i] = distance_power(pr.fbar[i], pr.gbar[i], q);
    }
    const DqEstimate e1 = estimate_dq(f_fbar, q), e2 = estimate_dq(fbar_gbar, q);
    for (const auto& scale : scales) {
        if (scale.sign() <= 0) throw std::invalid_argument("a temperature scale must be positive");
        SweepRow row;
        row.value = ld(scale);
        row.label = scale.str();
        const std::vector<Rational> temps = temperatures_of(pr.budget, scale);
        row.min_temperature = ld(*std::min_element(temps.begin(), temps.end()));
        row.max_temperature = ld(*std::max_element(temps.begin(), temps.end()));
        row.precision_bits = o.precision.value_or(precision_for_scale(c, pr.grid, pr.budget, scale));
        row.eps = pr.budget.eps;
        row.f_fbar_bound = pr.budget.f_fbar_bound;
        row.f_fbar = e1;
        row.fbar_gbar = e2;
        const SoftmaxNetwork g = to_softmax_network(c.network, temps, pr.budget.relu_width);
        const GEstimates ge = estimate_g(pr, pattern, g, row.precision_bits, q, o.progress);
        row.gbar_g = ge.gbar_g;
        row.f_g = ge.f_g;
        row.grid_good_dq = ge.grid_good_dq;
        sw.rows.push_back(std::move(row));
    }
    return sw;
}

Sweep sweep_delta(const Pattern& pattern, const ApproximateOptions& o, const std::vector<std::uint32_t>& ms) {
    Sweep sw;
    sw.parameter = "delta";
    for (std::uint32_t m : ms) {
        if (m < 2) throw std::invalid_argument("delta = 1/m needs m >= 2");
        ApproximateOptions om = o;
        om.m = m;
        om.double_samples = 0;
        om.precision_check_inputs = 0;
        om.timing = false;
        // A fixed eps would make coarse grids fail the first term by design; each row uses the
        // default eps of its own delta unless eps was given.
        const ApproximateReport r = approximate(pattern, om);
        SweepRow row;
        row.value = m;
        row.label = delta_label(m);
        row.precision_bits = r.precision_bits;
        row.min_temperature = row.max_temperature = 0;
        for (const auto& lt : r.budget.temperatures) {
            const long double t = ld(lt.temperature);
            row.min_temperature = row.min_temperature == 0 ? t : std::min(row.min_temperature, t);
            row.max_temperature = std::max(row.max_temperature, t);
        }
        row.eps = r.budget.eps;
        row.f_fbar_bound = r.budget.f_fbar_bound;
        row.f_fbar = r.f_fbar;
        row.fbar_gbar = r.fbar_gbar;
        row.gbar_g = r.gbar_g;
        row.f_g = r.f_g;
        row.grid_good_dq = r.grid_good_dq;
        sw.rows.push_back(std::move(row));
    }
    return sw;
}

// ---------------------------------------------------------------------------------------------
// Output

namespace {

using nlohmann::json;

json estimate_json(const DqEstimate& e) {
    return {{"estimate", (double)e.estimate},
            {"ci_low", (double)e.ci_low},
            {"ci_high", (double)e.ci_high},
            {"mean_power", (double)e.mean},
            {"standard_error_power", (double)e.standard_error},
            {"nonzero_samples", e.nonzero}};
}

// A term the ReLU ramps dominate: the value at the samples (which almost never fall in a ramp), without
// an interval, which would not cover the integral.
json sampled_json(const DqEstimate& e) {
    return {{"sampled_off_ramps", (double)e.estimate}, {"nonzero_samples", e.nonzero}};
}

std::string num(long double x) {
    if (x == 0) return "0";
    return fmt::format("{:.4g}", (double)x);
}

std::string ci(const DqEstimate& e) { return fmt::format("[{}, {}]", num(e.ci_low), num(e.ci_high)); }

std::string width_str(const Rational& w) {
    // A power of two 2^-k: print it that way.
    const std::size_t bits = mpz_sizeinbase(w.denominator(), 2);
    if (mpz_cmp_ui(w.numerator(), 1) == 0 && mpz_popcount(w.denominator()) == 1)
        return fmt::format("2^-{}", bits - 1);
    return w.str();
}

}  // namespace

nlohmann::json to_json(const ApproximateReport& r) {
    json temps = json::array(), attention = json::array();
    for (std::size_t a = 0; a < r.budget.temperatures.size(); ++a) {
        const auto& lt = r.budget.temperatures[a];
        const auto& am = r.grid.attention[a];
        temps.push_back(lt.temperature.to_double());
        attention.push_back({{"layer", am.layer},
                             {"stage", stage_name(am.stage)},
                             {"pattern", am.pattern},
                             {"competition", am.competition},
                             {"margin", am.margin.str()},
                             {"robust_margin", (double)lt.robust_margin},
                             {"vector_length", lt.vector_length},
                             {"value_spread", am.value_spread.str()},
                             {"temperature", lt.temperature.str()},
                             {"off_winner_mass", a < r.off_winner_mass.size() ? (double)r.off_winner_mass[a] : 0.0}});
    }
    json errors = {{"f_fbar", estimate_json(r.f_fbar)},
                   {"fbar_gbar", estimate_json(r.fbar_gbar)},
                   {"gbar_g", sampled_json(r.gbar_g)},
                   {"f_g", sampled_json(r.f_g)}};
    errors["f_fbar"]["bound"] = (double)r.budget.f_fbar_bound;
    errors["gbar_g"]["analytic_bound"] = (double)r.budget.gbar_g_bound;
    errors["gbar_g"]["bound"] = (double)r.grid_gbar_g_bound;
    errors["fbar_gbar"]["bound"] = 0.0;
    errors["f_g"]["bound"] = (double)r.f_g_bound();
    errors["rounding_model"] = "first-order propagation of the rounding and softmax errors, not interval arithmetic";
    json j = {{"pattern", r.pattern_name},
              {"n", r.n},
              {"p", r.p},
              {"d", r.d},
              {"delta", delta_label(r.m)},
              {"target",
               {{"name", r.target_name},
                {"formula", r.target_formula},
                {"lipschitz", r.lipschitz.str()},
                {"tolerance", r.target_tolerance.str()}}},
              {"q", r.budget.q},
              {"eps", (double)r.budget.eps},
              {"eps_given", r.budget.eps_given},
              {"samples", r.samples},
              {"seed", r.seed},
              {"precision_bits", r.precision_bits},
              {"temperatures", temps},
              {"errors", errors},
              {"budget",
               {{"term", (double)r.budget.term},
                {"f_fbar_bound", (double)r.budget.f_fbar_bound},
                {"fbar_gbar", 0.0},
                {"gbar_g_bound", (double)r.budget.gbar_g_bound},
                {"gbar_g_grid_bound", (double)r.grid_gbar_g_bound},
                {"grid_good_dq", (double)r.grid_good_dq},
                {"grid_max_error", (double)r.grid_max_error},
                {"sup_error", (double)r.budget.sup_error},
                {"sup_error_reason", r.budget.sup_error_reason},
                {"eta", (double)r.budget.eta},
                {"eta_coefficient", (double)r.budget.eta_coefficient},
                {"relu_width", r.budget.relu_width.str()},
                {"relu_width_log2", -(double)(mpz_sizeinbase(r.budget.relu_width.denominator(), 2) - 1)},
                {"bad_measure", (double)r.budget.bad_measure},
                {"bad_bound", (double)r.budget.bad_bound}}},
              {"network",
               {{"g_bar_layers", r.g_bar_layers},
                {"g_bar_checks_hold", r.g_bar_holds},
                {"s", r.s},
                {"path_method", r.path_method},
                {"st_class",
                 {{"heads", r.st.heads},
                  {"head_size", r.st.head_size},
                  {"hidden_width", r.st.hidden_width},
                  {"member_st_2_1_4", r.st.member(2, 1, 4)},
                  {"problem", r.st.problem}}},
                {"attention_layers", r.st.attention_layers},
                {"feed_forward_layers", r.st.feed_forward_layers},
                {"identity_layers", r.st.identity_layers}}},
              {"attention", attention},
              {"precision",
               {{"bits", r.precision_bits},
                {"planned_bits", r.budget.precision_bits},
                {"overridden", r.precision_overridden},
                {"reason", r.budget.precision_reason},
                {"rounding_coefficient", (double)r.budget.rounding_coefficient},
                {"rounding_target", (double)r.budget.rounding_target},
                {"largest_magnitude_log2", (double)std::log2(r.budget.largest_magnitude)},
                {"check",
                 {{"inputs", r.precision_check_inputs},
                  {"bits", r.precision_bits + 64},
                  {"max_difference", (double)r.precision_check_difference}}}}},
              {"binary64",
               {{"samples", r.binary64_samples},
                {"nonfinite", r.binary64_nonfinite},
                {"max_error", (double)r.binary64_max_error},
                {"gbar_g", sampled_json(r.binary64_gbar_g)}}},
              {"within_eps", r.within_eps()}};
    if (r.timing)
        j["timing"] = {{"inputs", r.timing->inputs},
                       {"evaluations_per_second",
                        {{"g_mpfr_indexed", r.timing->g_mpfr_indexed},
                         {"g_mpfr_plain", r.timing->g_mpfr_plain},
                         {"g_binary64", r.timing->g_binary64},
                         {"g_bar_exact", r.timing->g_bar_exact}}}};
    return j;
}

nlohmann::json to_json(const Sweep& sw) {
    json rows = json::array();
    for (const auto& row : sw.rows)
        rows.push_back({{sw.parameter == "t" ? "scale" : "delta", row.label},
                        {"precision_bits", row.precision_bits},
                        {"min_temperature", (double)row.min_temperature},
                        {"max_temperature", (double)row.max_temperature},
                        {"eps", (double)row.eps},
                        {"f_fbar_bound", (double)row.f_fbar_bound},
                        {"grid_good_dq", (double)row.grid_good_dq},
                        {"errors",
                         {{"f_fbar", estimate_json(row.f_fbar)},
                          {"fbar_gbar", estimate_json(row.fbar_gbar)},
                          {"gbar_g", sampled_json(row.gbar_g)},
                          {"f_g", sampled_json(row.f_g)}}}});
    return {{"parameter", sw.parameter}, {"rows", rows}};
}

std::string describe(const ApproximateReport& r, const std::string& file) {
    const ErrorBudget& b = r.budget;
    std::string s;
    auto line = [&](const std::string& text) { s += text + "\n"; };
    line(fmt::format("{}: {} (n = {}, p = {}), d = {}, delta = 1/{}, target {}, q = {}", file, r.pattern_name, r.n, r.p,
                     r.d, r.m, r.target_name, b.q));
    line(fmt::format("  target: {}; Lipschitz {}", r.target_formula, r.lipschitz.str()));
    line(fmt::format("  g_bar: {} layers, every construct check holds on all {} grid inputs (s = {})", r.g_bar_layers,
                     r.grid.inputs, r.s));
    line(fmt::format("  g: {} layers, {} ST^{{2,1,4}}: {} heads of size {}, hidden width {}; {} softmax attention, {} "
                     "ReLU feed-forward, {} identity layers{}",
                     r.g_bar_layers, r.st.member(2, 1, 4) ? "in" : "NOT in", r.st.heads, r.st.head_size,
                     r.st.hidden_width, r.st.attention_layers, r.st.feed_forward_layers, r.st.identity_layers,
                     r.st.problem.empty() ? "" : " (" + r.st.problem + ")"));
    line(fmt::format("  budget: eps = {}{}; eps/3 = {} per term", num(b.eps),
                     b.eps_given ? " (given)" : " (3 x the analytic bound of d_q(f, f_bar))", num(b.term)));
    line(fmt::format("    softmax: E = {} per entry on the good set ({}); eta = {} (E = eta x {}, the propagated "
                     "bound of the softmax errors)",
                     num(b.sup_error), b.sup_error_reason, num(b.eta), num(b.eta_coefficient)));
    line(fmt::format("    ReLU ramps: epsilon = {}; the bad set has measure <= d n m epsilon = {}, and |g - g_bar| <= B "
                     "= t_r + 2F + 1 = {} there",
                     width_str(b.relu_width), num(b.bad_measure), num(b.bad_bound)));
    line(fmt::format("    d_q(g_bar, g) <= (d n E^q + d n m epsilon d n B^q)^(1/q) = {} (analytic){}", num(b.gbar_g_bound),
                     b.gbar_g_bound <= b.term ? " <= eps/3" : " > eps/3"));
    // Temperatures.
    long double tmin = 0, tmax = 0, mmax = 0;
    for (std::size_t a = 0; a < b.temperatures.size(); ++a) {
        const long double t = ld(b.temperatures[a].temperature);
        tmin = a == 0 ? t : std::min(tmin, t);
        tmax = std::max(tmax, t);
        if (a < r.off_winner_mass.size()) mmax = std::max(mmax, r.off_winner_mass[a]);
    }
    line(fmt::format("  temperatures (Assumption 2: t_l >= ln((m_l - 1)(1 - eta)/eta) / zeta'_l, zeta'_l the margin "
                     "measured on every grid input, shrunk for a perturbation by E): {} attention layers, t from {} to {}",
                     b.temperatures.size(), num(tmin), num(tmax)));
    line("    layer  stage              margin zeta     m_l  t            off-winner mass on the grid");
    const std::size_t shown = b.temperatures.size() <= 24 ? b.temperatures.size() : 12;
    for (std::size_t a = 0; a < b.temperatures.size(); ++a) {
        if (a == shown && shown < b.temperatures.size()) {
            line(fmt::format("    ... ({} more; --json lists every layer)", b.temperatures.size() - shown - 4));
            a = b.temperatures.size() - 4;
        }
        const auto& lt = b.temperatures[a];
        const auto& am = r.grid.attention[a];
        line(fmt::format("    {:<6} {:<18} {:<15} {:<4} {:<12} {}", am.layer, stage_name(am.stage),
                         am.competition ? am.margin.str() : "-", lt.vector_length, num(ld(lt.temperature)),
                         a < r.off_winner_mass.size() ? num(r.off_winner_mass[a]) : "-"));
    }
    line(fmt::format("    Assumption 2 on the margins: the largest mass off the winner is {} {} eta = {}", num(mmax),
                     mmax <= b.eta ? "<=" : ">", num(b.eta)));
    line(fmt::format("  precision: {} bits{}: {}", r.precision_bits, r.precision_overridden ? " (given; planned " + std::to_string(b.precision_bits) + ")" : "",
                     b.precision_reason));
    line(fmt::format("    check: {} grid inputs at {} and {} bits differ by at most {} (target E/1024 = {})",
                     r.precision_check_inputs, r.precision_bits, r.precision_bits + 64, num(r.precision_check_difference),
                     num(b.rounding_target)));
    if (r.binary64_samples == 0)
        line("    binary64 comparison skipped (--double-samples 0)");
    else
        line(fmt::format("    binary64 on the same network, at the first {} samples: d_q(g_bar, g) ~ {}, largest entry "
                         "error {}, {} non-finite outputs: {}",
                         r.binary64_samples, num(r.binary64_gbar_g.estimate), num(r.binary64_max_error),
                         r.binary64_nonfinite,
                         r.binary64_gbar_g.ci_low > b.term || r.binary64_nonfinite ? "double fails"
                                                                                   : "within the budget here"));
    line(fmt::format("  grid (all {} cubes, g at each centre: g is constant on the good part of a cube): d_q(g_bar, g) "
                     "over the good set = {}, largest entry error {}",
                     r.grid.inputs, num(r.grid_good_dq), num(r.grid_max_error)));
    line(fmt::format("    bound: adding the rounding bound E/1024 to every entry (the error budget's first-order "
                     "propagation model, not interval arithmetic) and the bad set's share, d_q(g_bar, g) <= {} {} "
                     "eps/3 = {}",
                     num(r.grid_gbar_g_bound), r.grid_gbar_g_bound <= b.term ? "<=" : ">", num(b.term)));
    line("");
    line(fmt::format("  Monte Carlo over [0,1)^({} x {}), {} samples (seed {}). The ReLU ramps (measure <= {}) are almost "
                     "never sampled, yet they carry almost all of d_q(g_bar, g): for it and for d_q(f, g) only the bound "
                     "is claimed, and the sample values are what g does off the ramps, not estimates of the integral. "
                     "Interval: 95%, normal approximation of the mean of ||.||_q^q.",
                     r.d, r.n, r.samples, r.seed, num(b.bad_measure)));
    line(fmt::format("  {:<20} {:<12} {:<28} {}", "term", "bound", "samples", "how the bound is obtained"));
    line(fmt::format("  {:<20} {:<12} {:<28} analytic: (d n)^(1/q) (L delta/2 + tolerance); budget eps/3 = {}",
                     "d_q(f, f_bar)", num(b.f_fbar_bound), num(r.f_fbar.estimate) + " " + ci(r.f_fbar), num(b.term)));
    line(fmt::format("  {:<20} {:<12} {:<28} quantization exact on whole cubes and g_bar = f_bar on every grid input",
                     "d_q(f_bar, g_bar)", "0", num(r.fbar_gbar.estimate)));
    line(fmt::format("  {:<20} {:<12} {:<28} grid + bad set (first-order rounding model); budget eps/3 = {}",
                     "d_q(g_bar, g)", num(r.grid_gbar_g_bound), num(r.gbar_g.estimate) + " (off the ramps)", num(b.term)));
    line(fmt::format("  {:<20} {:<12} {:<28} the sum of the three (triangle inequality); eps = {}", "d_q(f, g)",
                     num(r.f_g_bound()), num(r.f_g.estimate) + " (off the ramps)", num(b.eps)));
    if (r.timing)
        line(fmt::format("\n  throughput (one thread, {} inputs): g in MPFR {} evaluations/s (indexed), {} (plain); "
                         "binary64 {}; g_bar exact {}",
                         r.timing->inputs, num(r.timing->g_mpfr_indexed), num(r.timing->g_mpfr_plain),
                         num(r.timing->g_binary64), num(r.timing->g_bar_exact)));
    line("");
    if (r.within_eps())
        line(fmt::format("  verdict: d_q(f, g) <= {} <= eps = {}, every term within its eps/3 budget (the bound of "
                         "d_q(g_bar, g) rests on the first-order rounding model)",
                         num(r.f_g_bound()), num(b.eps)));
    else
        line(fmt::format("  verdict: NOT shown within eps (bound of d_q(f, g) {}, eps {}; see the terms above)",
                         num(r.f_g_bound()), num(b.eps)));
    return s;
}

std::string describe(const Sweep& sw) {
    std::string s;
    const bool t = sw.parameter == "t";
    s += t ? "  sweep over t (every temperature times the scale; the budget's temperatures at 1):\n"
           : "  sweep over delta (everything rebuilt for each delta; eps = 3 x the bound of d_q(f, f_bar) unless given):\n";
    s += "  (d_q(g_bar, g) and d_q(f, g): their values at the samples, which almost never fall in the ReLU ramps; not\n"
         "  estimates of the integrals, which the ramps dominate. grid good: d_q(g_bar, g) over the good set.)\n";
    s += fmt::format("  {:<8} {:<6} {:<22} {:<11} {:<22} {:<22} {:<11} {}\n", t ? "scale" : "delta", "bits",
                     "t (min..max)", "d_q(f,fbar)", "d_q(g_bar,g) sampled", "d_q(f,g) sampled", "grid good", "eps");
    for (const auto& row : sw.rows)
        s += fmt::format("  {:<8} {:<6} {:<22} {:<11} {:<22} {:<22} {:<11} {}\n", row.label, row.precision_bits,
                         fmt::format("{}..{}", num(row.min_temperature), num(row.max_temperature)),
                         num(row.f_fbar.estimate), num(row.gbar_g.estimate), num(row.f_g.estimate),
                         num(row.grid_good_dq), num(row.eps));
    return s;
}

std::string sweep_svg(const Sweep& sw, const std::string& title) {
    const double W = 880, H = 460, left = 80, right = 320, top = 40, bottom = 60;
    const double pw = W - left - right, ph = H - top - bottom;
    const bool t = sw.parameter == "t";
    struct Series {
        std::string name, color;
        std::vector<const DqEstimate*> points;
        std::vector<long double> values;  // when no estimate (lines)
        bool dashed = false;
        bool bars = false;  // draw the 95% interval (only where it covers the integral)
    };
    std::vector<Series> series;
    auto est = [&](std::string name, std::string color, const DqEstimate SweepRow::*member, bool bars) {
        Series sr{std::move(name), std::move(color), {}, {}, false, bars};
        for (const auto& row : sw.rows) sr.points.push_back(&(row.*member));
        series.push_back(std::move(sr));
    };
    if (!t) est("d_q(f, f_bar)", "#1f77b4", &SweepRow::f_fbar, true);
    est("d_q(g_bar, g) at the samples (off the ramps)", "#d62728", &SweepRow::gbar_g, false);
    est("d_q(f, g) at the samples (off the ramps)", "#2ca02c", &SweepRow::f_g, false);
    {
        Series e{"eps", "#555555", {}, {}, true, false}, e3{"eps/3", "#999999", {}, {}, true, false};
        for (const auto& row : sw.rows) {
            e.values.push_back(row.eps);
            e3.values.push_back(row.eps / 3);
        }
        series.push_back(std::move(e));
        series.push_back(std::move(e3));
    }
    // y range over every positive value.
    double lo = 0, hi = 0;
    bool any = false;
    auto see = [&](long double v) {
        if (!(v > 0) || !std::isfinite((double)v)) return;
        const double l = std::log10((double)v);
        if (!any) lo = hi = l;
        lo = std::min(lo, l);
        hi = std::max(hi, l);
        any = true;
    };
    for (const auto& sr : series) {
        for (const auto* p : sr.points) {
            see(p->estimate);
            if (sr.bars) {
                see(p->ci_low);
                see(p->ci_high);
            }
        }
        for (auto v : sr.values) see(v);
    }
    if (!any) lo = -1, hi = 0;
    lo = std::floor(lo);
    hi = std::ceil(hi);
    if (hi <= lo) hi = lo + 1;
    const std::size_t count = sw.rows.size();
    auto X = [&](std::size_t i) { return left + (count <= 1 ? pw / 2 : pw * double(i) / double(count - 1)); };
    auto Y = [&](long double v) { return top + ph * (hi - std::log10((double)v)) / (hi - lo); };
    std::string s;
    s += fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
                     "font-family=\"sans-serif\" font-size=\"12\">\n",
                     W, H, W, H);
    s += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"white\"/>\n", W, H);
    auto escape = [](const std::string& text) {
        std::string out;
        for (char ch : text) {
            if (ch == '<') out += "&lt;";
            else if (ch == '>') out += "&gt;";
            else if (ch == '&') out += "&amp;";
            else out += ch;
        }
        return out;
    };
    s += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"14\">{}</text>\n", left, escape(title));
    // Axes and grid lines (decades).
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n", left, top, pw, ph);
    const int decades = int(hi - lo);
    const int step = std::max(1, decades / 10);
    for (int e = int(lo); e <= int(hi); e += step) {
        const double y = top + ph * (hi - e) / (hi - lo);
        s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#dddddd\"/>\n", left, y, left + pw, y);
        s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">1e{}</text>\n", left - 6, y + 4, e);
    }
    for (std::size_t i = 0; i < count; ++i)
        s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", X(i), top + ph + 18,
                         escape(sw.rows[i].label));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", left + pw / 2, H - 14,
                     t ? "temperature scale (every t_l times this; 1 = the budget's temperatures)" : "delta");
    s += fmt::format("<text x=\"16\" y=\"{:.1f}\" transform=\"rotate(-90 16 {:.1f})\" text-anchor=\"middle\">error "
                     "(log scale)</text>\n",
                     top + ph / 2, top + ph / 2);
    // Series.
    std::size_t legend = 0;
    for (const auto& sr : series) {
        std::string path;
        std::size_t zeros = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const long double v = sr.points.empty() ? sr.values[i] : sr.points[i]->estimate;
            if (!(v > 0)) {
                ++zeros;
                continue;
            }
            path += fmt::format("{}{:.1f},{:.1f} ", path.empty() ? "M" : "L", X(i), Y(v));
        }
        if (!path.empty())
            s += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n", path, sr.color,
                             sr.dashed ? " stroke-dasharray=\"6 4\"" : "");
        for (std::size_t i = 0; i < sr.points.size(); ++i) {
            const DqEstimate& e = *sr.points[i];
            if (!(e.estimate > 0)) continue;
            s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"/>\n", X(i), Y(e.estimate), sr.color);
            // A CI reaching 0 is drawn down to the bottom of the plot.
            if (sr.bars && e.ci_high > 0 && e.ci_high > e.ci_low)
                s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\"/>\n", X(i),
                                 e.ci_low > 0 ? Y(e.ci_low) : top + ph, X(i), Y(e.ci_high), sr.color);
        }
        const double ly = top + 14 + 20 * double(legend++);
        s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                         left + pw + 14, ly, left + pw + 40, ly, sr.color, sr.dashed ? " stroke-dasharray=\"6 4\"" : "");
        s += fmt::format("<text x=\"{}\" y=\"{:.1f}\">{}{}</text>\n", left + pw + 46, ly + 4, escape(sr.name),
                         zeros ? fmt::format(" ({} zero, not drawn)", zeros) : "");
    }
    if (!t)
        s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" fill=\"#555555\">bars: 95% CI of d_q(f, f_bar)</text>\n",
                         left + pw + 14, top + 14 + 20 * double(legend) + 6);
    s += "</svg>\n";
    return s;
}

}  // namespace sparsecert
