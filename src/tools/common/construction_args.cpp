#include "common/construction_args.hpp"

#include <stdexcept>
#include <tuple>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/program.hpp"

namespace sparsecert::tools {

void add_grid_options(CLI::App& app, ConstructionArgs& args, const std::string& delta_help) {
    app.add_option("--d", args.d, "rows of the input (features per token)")->required();
    app.add_option("--delta", args.delta, delta_help)->required();
}

void add_layout_options(CLI::App& app, ConstructionArgs& args) {
    app.add_option("--all-max-start", args.all_max_start,
                   "actual (default: the all-max stage starts where the sweep ends, s for that pattern) or pad "
                   "(identity layers back to pattern 0, the paper's s)");
    app.add_option("--start-phase", args.start_phase, "the pattern used by layer 0 (default 0)");
    app.add_option("--shift-multiplier", args.shift_multiplier, "override the sweep's multiplier delta^-d (an experiment)");
    app.add_option("--all-max-multiplier", args.all_max_multiplier, "override the all-max multiplier C (an experiment)");
    app.add_option("--sentinel", args.sentinel, "override the sentinel S (an experiment)");
}

std::optional<Rational> parse_rational(const std::string& text) {
    try {
        return Rational::parse(text);
    } catch (const std::invalid_argument&) {
        return std::nullopt;
    }
}

std::optional<std::uint32_t> parse_delta_denominator(const std::string& text) {
    const auto delta = parse_rational(text);
    if (!delta || delta->sign() <= 0 || mpz_cmp_ui(delta->numerator(), 1) != 0 ||
        mpz_cmp_ui(delta->denominator(), 2) < 0 || !mpz_fits_uint_p(delta->denominator()))
        return std::nullopt;
    return std::uint32_t(mpz_get_ui(delta->denominator()));
}

std::pair<std::uint32_t, std::uint32_t> grid_values(const ConstructionArgs& args, std::uint32_t max_d) {
    if (args.d < 1 || args.d > std::int64_t(max_d))
        throw UsageError{"--d", fmt::format("must be an integer in 1..{}, got {}", max_d, args.d)};
    const auto m = parse_delta_denominator(args.delta);
    if (!m) throw UsageError{"--delta", fmt::format("expected 1/M with an integer M >= 2, got '{}'", args.delta)};
    return {std::uint32_t(args.d), *m};
}

void fill_construction_options(const ConstructionArgs& args, std::uint32_t max_d, ConstructionOptions& options) {
    std::tie(options.d, options.m) = grid_values(args, max_d);
    if (args.start_phase < 0) throw UsageError{"--start-phase", "must be a non-negative integer"};
    options.start_phase = std::size_t(args.start_phase);
    if (args.all_max_start == "pad") options.all_max_start = AllMaxStart::pad_to_first_pattern;
    else if (args.all_max_start != "actual")
        throw UsageError{"--all-max-start", fmt::format("expected actual or pad, got '{}'", args.all_max_start)};
    for (auto [text, slot, name] : {std::tuple{&args.shift_multiplier, &options.shift_multiplier, "--shift-multiplier"},
                                    std::tuple{&args.all_max_multiplier, &options.all_max_multiplier, "--all-max-multiplier"},
                                    std::tuple{&args.sentinel, &options.sentinel, "--sentinel"}}) {
        if (text->empty()) continue;
        const auto r = parse_rational(*text);
        if (!r || !r->is_integer() || r->sign() < 0)
            throw UsageError{name, fmt::format("expected a non-negative integer, got '{}'", *text)};
        *slot = *r;
    }
}

}  // namespace sparsecert::tools
