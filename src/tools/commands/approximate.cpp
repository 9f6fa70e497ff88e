// sparsecert approximate: the real softmax/ReLU network g built from the exact construction, and
// the measured error budget of Theorem 1 (docs/approximate.md). A thin driver over
// sparsecert/numerics/approximation.hpp.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "sparsecert/numerics/approximation.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/support/input_error.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/construction/targets.hpp"
#include "common/terminal.hpp"
#include "common/usage.hpp"

namespace sparsecert::cli {

namespace {

constexpr const char* prog = "sparsecert approximate";

int bad_usage(const std::string& option, const std::string& problem) { return usage_error(prog, option, problem); }

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(text);
    while (std::getline(in, cur, sep)) out.push_back(cur);
    return out;
}

}  // namespace

int approximate_command(int argc, char** argv) {
    CLI::App app{"sparsecert approximate: build the real sparse Transformer g (softmax attention with per-layer "
                 "temperatures from the measured margins, four-ReLU feed-forward layers) from the exact construction "
                 "g_bar, evaluate it in MPFR, and bound d_q(f, f_bar) (analytic), d_q(f_bar, g_bar) (0), d_q(g_bar, g) "
                 "(every grid cube plus the ReLU ramps, with a first-order rounding model) and so d_q(f, g), next to "
                 "the eps/3 budget of the proof; Monte Carlo samples give a confidence interval for d_q(f, f_bar) and "
                 "show g off the ramps (docs/approximate.md).",
                 prog};
    std::string file, delta_text, target_name, q_text = "2", eps_text, sweep_text, plot_file;
    std::optional<std::int64_t> n, d, precision;
    bool json = false, timing = false;
    std::int64_t samples = 1000, double_samples = 100, exhaustive_limit = 100'000, max_layers = 2'000'000;
    std::uint64_t seed = 1;
    app.add_option("PATTERN", file, "pattern file (JSON, docs/pattern-format.md)")->required();
    app.add_option("--d", d, "rows of the input (features per token)")->required();
    app.add_option("--delta", delta_text, "grid step 1/M (M >= 2)")->required();
    app.add_option("--target", target_name, "target function: token, mean, max, next, sin")->required();
    app.add_option("--n", n, "number of tokens for size-generic pattern files");
    app.add_option("--samples", samples, "Monte Carlo samples (default 1000)");
    app.add_option("--seed", seed, "seed of the samples (std::mt19937_64; default 1)");
    app.add_option("--q", q_text, "the exponent of d_q, a number >= 1 (default 2)");
    app.add_option("--eps", eps_text, "the target accuracy (default: 3 x the analytic bound of d_q(f, f_bar))");
    app.add_flag("--json", json, "print one JSON object");
    app.add_option("--sweep", sweep_text,
                   "t[=S1,S2,...] (temperature scales, default 1/8,1/4,3/8,1/2,5/8,3/4,1,3/2,2) or delta[=M1,M2,...] (default 2..M): "
                   "the error against t or against delta, as a table");
    app.add_option("--plot", plot_file, "with --sweep: write the sweep as an SVG plot to this file");
    app.add_option("--precision", precision, "override the planned MPFR precision (bits)");
    app.add_option("--double-samples", double_samples, "samples for the binary64 comparison (default 100)");
    app.add_option("--exhaustive-limit", exhaustive_limit,
                   "refuse grids with more inputs (margins and grid figures use every grid input; default 100000)");
    app.add_option("--max-layers", max_layers, "refuse when g_bar would have more layers (default 2000000)");
    app.add_flag("--timing", timing, "measure evaluations per second (makes the output nondeterministic)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError& e) {
        return bad_usage("", e.what());
    }

    ApproximateOptions o;
    if (*d < 1 || *d > 64) return bad_usage("--d", fmt::format("must be an integer in 1..64, got {}", *d));
    o.d = std::uint32_t(*d);
    if (const auto m = parse_delta_denominator(delta_text)) o.m = *m;
    else return bad_usage("--delta", fmt::format("expected 1/M with an integer M >= 2, got '{}'", delta_text));
    if (n && *n <= 0) return bad_usage("--n", fmt::format("must be a positive integer, got {}", *n));
    {
        const auto q = parse_rational(q_text);
        // Large q makes epsilon ~ B^-q tiny and the precision ~ q log2 B bits: 64 is plenty.
        if (!q || *q < Rational(1) || *q > Rational(64))
            return bad_usage("--q", fmt::format("expected a number in [1, 64], got '{}'", q_text));
        o.budget.q = q->to_double();
    }
    if (!eps_text.empty()) {
        const auto eps = parse_rational(eps_text);
        if (!eps || eps->sign() <= 0) return bad_usage("--eps", fmt::format("expected a positive number, got '{}'", eps_text));
        o.budget.eps = (long double)eps->to_double();
    }
    if (samples < 2) return bad_usage("--samples", "must be at least 2");
    o.samples = std::uint64_t(samples);
    o.seed = seed;
    if (double_samples < 0) return bad_usage("--double-samples", "must be non-negative");
    o.double_samples = std::uint64_t(double_samples);
    if (exhaustive_limit < 1) return bad_usage("--exhaustive-limit", "must be positive");
    o.exhaustive_limit = std::uint64_t(exhaustive_limit);
    if (max_layers < 1) return bad_usage("--max-layers", "must be positive");
    o.max_layers = std::uint64_t(max_layers);
    if (precision) {
        if (*precision < 24 || *precision > 100'000)
            return bad_usage("--precision", fmt::format("expected bits in 24..100000, got {}", *precision));
        o.precision = long(*precision);
    }
    o.timing = timing;
    if (const auto names_list = target_names();
        std::find(names_list.begin(), names_list.end(), target_name) == names_list.end()) {
        std::string names;
        for (const auto& s : names_list) names += (names.empty() ? "" : ", ") + s;
        return bad_usage("--target", fmt::format("unknown target '{}' (known: {})", target_name, names));
    }
    o.target = target_name;

    // The sweep.
    std::string sweep_kind;
    std::vector<Rational> scales;
    std::vector<std::uint32_t> ms;
    if (!sweep_text.empty()) {
        const auto eq = sweep_text.find('=');
        sweep_kind = sweep_text.substr(0, eq);
        const std::string values = eq == std::string::npos ? "" : sweep_text.substr(eq + 1);
        if (sweep_kind == "t") {
            if (values.empty()) {
                for (auto [a, b] : {std::pair{1, 8}, {1, 4}, {3, 8}, {1, 2}, {5, 8}, {3, 4}, {1, 1}, {3, 2}, {2, 1}})
                    scales.push_back(Rational(a, b));
            } else {
                for (const auto& v : split(values, ',')) {
                    const auto r = parse_rational(v);
                    if (!r || r->sign() <= 0)
                        return bad_usage("--sweep", fmt::format("expected positive temperature scales, got '{}'", v));
                    scales.push_back(*r);
                }
            }
        } else if (sweep_kind == "delta") {
            if (values.empty()) {
                for (std::uint32_t m = 2; m <= std::max<std::uint32_t>(o.m, 4); ++m) ms.push_back(m);
            } else {
                for (const auto& v : split(values, ',')) {
                    const auto r = parse_rational(v);
                    std::uint32_t m = 0;
                    if (r && r->is_integer() && *r >= Rational(2) && mpz_fits_uint_p(r->numerator()))
                        m = std::uint32_t(mpz_get_ui(r->numerator()));
                    else if (r && r->sign() > 0 && mpz_cmp_ui(r->numerator(), 1) == 0 && mpz_cmp_ui(r->denominator(), 2) >= 0 &&
                             mpz_fits_uint_p(r->denominator()))
                        m = std::uint32_t(mpz_get_ui(r->denominator()));
                    else
                        return bad_usage("--sweep", fmt::format("expected M >= 2 (or 1/M) for delta, got '{}'", v));
                    ms.push_back(m);
                }
            }
        } else {
            return bad_usage("--sweep", fmt::format("expected t[=S,...] or delta[=M,...], got '{}'", sweep_text));
        }
        if (scales.empty() && ms.empty()) return bad_usage("--sweep", "no values");
    }
    if (!plot_file.empty() && sweep_kind.empty()) return bad_usage("--plot", "needs --sweep");

    tools::StatusLine status;
    status.set_prefix(file + ": ");
    o.progress = status.callback();
    Pattern pattern;
    try {
        std::optional<std::uint64_t> n_override;
        if (n) n_override = std::uint64_t(*n);
        report(o.progress, "loading");
        pattern = load_pattern_file(file, n_override);
    } catch (const InputError& e) {
        status.clear();
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }

    ApproximateReport rep;
    std::optional<Sweep> sweep;
    try {
        rep = approximate(pattern, o);
        if (sweep_kind == "t") sweep = sweep_temperature(pattern, o, scales);
        if (sweep_kind == "delta") sweep = sweep_delta(pattern, o, ms);
    } catch (const NotApplicable& e) {
        status.clear();
        std::string reason = e.what();
        for (char& ch : reason)
            if (ch == '\n' || ch == '\r') ch = ' ';
        std::fprintf(stderr, "%s: the construction does not apply: %s\n", file.c_str(), reason.c_str());
        return 2;
    } catch (const std::bad_alloc&) {
        status.clear();
        std::fprintf(stderr, "%s: not enough memory for this configuration (lower m, d or n)\n", file.c_str());
        return 2;
    }
    status.clear();

    if (!plot_file.empty()) {
        std::ofstream out(plot_file, std::ios::binary);
        const std::string title = fmt::format("{} (n = {}), d = {}, delta = 1/{}, target {}, q = {}: error against {}",
                                              rep.pattern_name, rep.n, rep.d, rep.m, rep.target_name, rep.budget.q,
                                              sweep->parameter);
        if (out) out << sweep_svg(*sweep, title);
        if (!out) {
            std::fprintf(stderr, "%s: cannot write the plot\n", plot_file.c_str());
            return 2;
        }
    }
    if (json) {
        nlohmann::json j = to_json(rep);
        if (sweep) j["sweep"] = to_json(*sweep);
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << describe(rep, file);
        if (sweep) std::cout << "\n" << describe(*sweep);
    }
    return rep.within_eps() ? 0 : 1;
}

}  // namespace sparsecert::cli
