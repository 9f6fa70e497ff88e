#include "common/budget_args.hpp"

#include <cmath>
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sparsecert/pattern/size_prediction.hpp"

namespace sparsecert::tools {

CLI::Option* add_timeout_option(CLI::App& app, double& seconds, const std::string& help) {
    auto* option = app.add_option("--timeout", seconds, help);
    option->type_name("SECONDS")->check(CLI::Validator(
        [](std::string& text) -> std::string {
            char* end = nullptr;
            const double value = std::strtod(text.c_str(), &end);
            if (text.empty() || end != text.c_str() + text.size() || !(value > 0) || !(value <= max_timeout_seconds))
                return fmt::format("expected a positive number of seconds, at most 10^6 (11.6 days), got {}", text);
            return {};
        },
        ""));
    return option;
}

CLI::Option* add_max_connections_option(CLI::App& app, std::optional<std::uint64_t>& limit) {
    auto* option = app.add_option_function<std::uint64_t>(
        "--max-connections", [&limit](const std::uint64_t& value) { limit = value; },
        fmt::format("refuse a pattern with more connections, before building it (default: what fits in "
                    "memory at {} bytes per connection, {} here)",
                    bytes_per_connection, default_max_connections()));
    option->type_name("N")->check(CLI::Validator(
        [](std::string& text) -> std::string {
            std::uint64_t value = 0;
            if (!CLI::detail::lexical_cast(text, value) || value < 1 || text.find('-') != std::string::npos)
                return fmt::format("must be a positive integer, got {}", text);
            return {};
        },
        ""));
    return option;
}

}  // namespace sparsecert::tools
