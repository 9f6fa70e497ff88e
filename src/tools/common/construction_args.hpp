// The options of the commands that build the construction of Yun et al. 2020 (construct,
// approximate, prove): the grid (--d, --delta) and, for construct and prove, where the stages start
// and the experiment overrides of its constants (docs/construction.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/rational.hpp"

namespace CLI {
class App;
}

namespace sparsecert::tools {

struct ConstructionArgs {
    std::int64_t d = 0;
    std::string delta;
    std::string all_max_start = "actual";
    std::int64_t start_phase = 0;
    std::string shift_multiplier, all_max_multiplier, sentinel;
};

// --d and --delta, both required.
void add_grid_options(CLI::App& app, ConstructionArgs& args, const std::string& delta_help);
// --start-phase, --all-max-start and the overrides --shift-multiplier, --all-max-multiplier, --sentinel.
void add_layout_options(CLI::App& app, ConstructionArgs& args);

// d in 1..max_d and M from delta = 1/M (M >= 2, docs/theory.md section 4: the grid step); throws
// UsageError.
std::pair<std::uint32_t, std::uint32_t> grid_values(const ConstructionArgs& args, std::uint32_t max_d);
// Everything add_grid_options and add_layout_options read, into `options`; throws UsageError.
void fill_construction_options(const ConstructionArgs& args, std::uint32_t max_d, ConstructionOptions& options);

// A rational from the command line ("3", "1/4", "-2/3"), or nothing when malformed.
std::optional<Rational> parse_rational(const std::string& text);
// M from delta written as 1/M with an integer M >= 2.
std::optional<std::uint32_t> parse_delta_denominator(const std::string& text);

}  // namespace sparsecert::tools
