// sparsecert approximate: the real softmax/ReLU network g built from the exact construction, and
// the measured error budget of Theorem 1 (docs/approximate.md). A thin driver over
// sparsecert/numerics/approximation.hpp.
#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "common/construction_args.hpp"
#include "common/json_output.hpp"
#include "common/output_file.hpp"
#include "common/budget_args.hpp"
#include "common/pattern_args.hpp"
#include "common/terminal.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/targets.hpp"
#include "sparsecert/numerics/approximation.hpp"
#include "sparsecert/support/input_error.hpp"

namespace sparsecert::cli {

namespace {

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(text);
    while (std::getline(in, cur, sep)) out.push_back(cur);
    return out;
}

struct ApproximateArgs {
    std::string file, target, q = "2", eps, sweep, plot;
    tools::ConstructionArgs grid;
    std::optional<std::uint64_t> n, max_connections;
    std::optional<std::int64_t> precision;
    tools::JsonOutput json;
    bool timing = false;
    std::int64_t samples = 1000, double_samples = 100, exhaustive_limit = 100'000, max_layers = 2'000'000;
    std::uint64_t seed = 1;
};

// The sweep: temperature scales (t) or grid denominators (delta), from --sweep.
struct SweepRequest {
    std::string kind;
    std::vector<Rational> scales;
    std::vector<std::uint32_t> ms;
};

SweepRequest parse_sweep(const std::string& text, std::uint32_t m) {
    SweepRequest r;
    if (text.empty()) return r;
    const auto eq = text.find('=');
    r.kind = text.substr(0, eq);
    const std::string values = eq == std::string::npos ? "" : text.substr(eq + 1);
    if (r.kind == "t") {
        if (values.empty()) {
            for (auto [a, b] : {std::pair{1, 8}, {1, 4}, {3, 8}, {1, 2}, {5, 8}, {3, 4}, {1, 1}, {3, 2}, {2, 1}})
                r.scales.push_back(Rational(a, b));
        } else {
            for (const auto& v : split(values, ',')) {
                const auto scale = tools::parse_rational(v);
                if (!scale || scale->sign() <= 0)
                    throw tools::UsageError{"--sweep", fmt::format("expected positive temperature scales, got '{}'", v)};
                r.scales.push_back(*scale);
            }
        }
    } else if (r.kind == "delta") {
        if (values.empty()) {
            for (std::uint32_t k = 2; k <= std::max<std::uint32_t>(m, 4); ++k) r.ms.push_back(k);
        } else {
            for (const auto& v : split(values, ',')) {
                const auto q = tools::parse_rational(v);
                std::uint32_t k = 0;
                if (q && q->is_integer() && *q >= Rational(2) && mpz_fits_uint_p(q->numerator()))
                    k = std::uint32_t(mpz_get_ui(q->numerator()));
                else if (const auto denominator = tools::parse_delta_denominator(v))
                    k = *denominator;
                else
                    throw tools::UsageError{"--sweep", fmt::format("expected M >= 2 (or 1/M) for delta, got '{}'", v)};
                r.ms.push_back(k);
            }
        }
    } else {
        throw tools::UsageError{"--sweep", fmt::format("expected t[=S,...] or delta[=M,...], got '{}'", text)};
    }
    if (r.scales.empty() && r.ms.empty()) throw tools::UsageError{"--sweep", "no values"};
    return r;
}

int run_approximate(tools::Context& context, const ApproximateArgs& a) {
    ApproximateOptions o;
    std::tie(o.d, o.m) = tools::grid_values(a.grid, 64);
    {
        const auto q = tools::parse_rational(a.q);
        // Large q makes epsilon ~ B^-q tiny and the precision ~ q log2 B bits: 64 is plenty.
        if (!q || *q < Rational(1) || *q > Rational(64))
            throw tools::UsageError{"--q", fmt::format("expected a number in [1, 64], got '{}'", a.q)};
        o.budget.q = q->to_double();
    }
    if (!a.eps.empty()) {
        const auto eps = tools::parse_rational(a.eps);
        if (!eps || eps->sign() <= 0) throw tools::UsageError{"--eps", fmt::format("expected a positive number, got '{}'", a.eps)};
        o.budget.eps = (long double)eps->to_double();
    }
    if (a.samples < 2) throw tools::UsageError{"--samples", "must be at least 2"};
    o.samples = std::uint64_t(a.samples);
    o.seed = a.seed;
    if (a.double_samples < 0) throw tools::UsageError{"--double-samples", "must be non-negative"};
    o.double_samples = std::uint64_t(a.double_samples);
    if (a.exhaustive_limit < 1) throw tools::UsageError{"--exhaustive-limit", "must be positive"};
    o.exhaustive_limit = std::uint64_t(a.exhaustive_limit);
    if (a.max_layers < 1) throw tools::UsageError{"--max-layers", "must be positive"};
    o.max_layers = std::uint64_t(a.max_layers);
    if (a.precision) {
        if (*a.precision < 24 || *a.precision > 100'000)
            throw tools::UsageError{"--precision", fmt::format("expected bits in 24..100000, got {}", *a.precision)};
        o.precision = long(*a.precision);
    }
    o.timing = a.timing;
    if (const auto names_list = target_names();
        std::find(names_list.begin(), names_list.end(), a.target) == names_list.end()) {
        std::string names;
        for (const auto& s : names_list) names += (names.empty() ? "" : ", ") + s;
        throw tools::UsageError{"--target", fmt::format("unknown target '{}' (known: {})", a.target, names)};
    }
    o.target = a.target;
    const SweepRequest sweep_request = parse_sweep(a.sweep, o.m);
    if (!a.plot.empty() && sweep_request.kind.empty()) throw tools::UsageError{"--plot", "needs --sweep"};

    const std::string name = tools::display_name(a.file);
    tools::StatusLine status(context.quiet(), name + ": ");
    o.progress = status.callback();
    const Pattern pattern = tools::load_pattern(a.file, a.n, o.progress, a.max_connections);

    ApproximateReport rep;
    std::optional<Sweep> sweep;
    try {
        rep = approximate(pattern, o);
        if (sweep_request.kind == "t") sweep = sweep_temperature(pattern, o, sweep_request.scales);
        if (sweep_request.kind == "delta") sweep = sweep_delta(pattern, o, sweep_request.ms);
    } catch (const NotApplicable& e) {
        throw InputError(name, "", std::string("the construction does not apply: ") + e.what());
    } catch (const std::bad_alloc&) {
        throw InputError(name, "", "not enough memory for this configuration (lower m, d or n)");
    }
    status.clear();

    if (!a.plot.empty()) {
        const std::string title = fmt::format("{} (n = {}), d = {}, delta = 1/{}, target {}, q = {}: error against {}",
                                              rep.pattern_name, rep.n, rep.d, rep.m, rep.target_name, rep.budget.q,
                                              sweep->parameter);
        tools::write_output_file(a.plot, sweep_svg(*sweep, title));
    }
    if (a.json.json) {
        nlohmann::json j = to_json(rep);
        if (sweep) j["sweep"] = to_json(*sweep);
        context.out() << tools::json_text(std::move(j), a.json);
    } else {
        context.out() << describe(rep, name);
        if (sweep) context.out() << "\n" << describe(*sweep);
    }
    return rep.within_eps() ? 0 : 1;
}

}  // namespace

tools::Action approximate_command(CLI::App& app, tools::Context& context) {
    auto a = std::make_shared<ApproximateArgs>();
    app.description("Build the real sparse Transformer g (softmax attention with per-layer temperatures from the "
                    "measured margins, four-ReLU feed-forward layers) from the exact construction g_bar, evaluate it in "
                    "MPFR, and bound d_q(f, f_bar) (analytic), d_q(f_bar, g_bar) (0), d_q(g_bar, g) (every grid cube "
                    "plus the ReLU ramps, with a first-order rounding model) and so d_q(f, g), next to the eps/3 budget "
                    "of the proof; Monte Carlo samples give a confidence interval for d_q(f, f_bar) and show g off the "
                    "ramps (docs/approximate.md).");
    app.add_option("PATTERN", a->file, tools::pattern_file_help)->required();
    tools::add_grid_options(app, a->grid, "grid step 1/M (M >= 2)");
    app.add_option("--target", a->target, "target function: token, mean, max, next, sin")->required();
    tools::add_n_option(app, a->n);
    tools::add_max_connections_option(app, a->max_connections);
    app.add_option("--samples", a->samples, "Monte Carlo samples (default 1000)");
    app.add_option("--seed", a->seed, "seed of the samples (std::mt19937_64; default 1)");
    app.add_option("--q", a->q, "the exponent of d_q, a number >= 1 (default 2)");
    app.add_option("--eps", a->eps, "the target accuracy (default: 3 x the analytic bound of d_q(f, f_bar))");
    tools::add_json_options(app, a->json, "print one JSON object");
    app.add_option("--sweep", a->sweep,
                   "t[=S1,S2,...] (temperature scales, default 1/8,1/4,3/8,1/2,5/8,3/4,1,3/2,2) or delta[=M1,M2,...] "
                   "(default 2..M): the error against t or against delta, as a table");
    app.add_option("--plot", a->plot, "with --sweep: write the sweep as an SVG plot to this file");
    app.add_option("--precision", a->precision, "override the planned MPFR precision (bits)");
    app.add_option("--double-samples", a->double_samples, "samples for the binary64 comparison (default 100)");
    app.add_option("--exhaustive-limit", a->exhaustive_limit,
                   "refuse grids with more inputs (margins and grid figures use every grid input; default 100000)");
    app.add_option("--max-layers", a->max_layers, "refuse when g_bar would have more layers (default 2000000)");
    app.add_flag("--timing", a->timing, "measure evaluations per second (makes the output nondeterministic)");
    tools::standard_options(app, context,
                            {{0, "every part of the error budget holds (docs/approximate.md, \"Verdict\")"},
                             {1, "some part does not"}});
    return [&context, a] { return run_approximate(context, *a); };
}

}  // namespace sparsecert::cli
