#include "common/pattern_args.hpp"

#include <algorithm>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sparsecert/pattern/pattern_io.hpp"

namespace sparsecert::tools {

CLI::Option* add_n_option(CLI::App& app, std::optional<std::uint64_t>& n) {
    auto* option = app.add_option_function<std::int64_t>(
        "--n", [&n](const std::int64_t& value) { n = std::uint64_t(value); },
        "number of tokens for size-generic pattern files");
    option->type_name("N")->check(CLI::Validator(
        [](std::string& text) -> std::string {
            std::int64_t value = 0;
            if (!CLI::detail::lexical_cast(text, value) || value < 1 || std::uint64_t(value) >= max_tokens)
                return fmt::format("must be a positive integer below 2^31, got {}", text);
            return {};
        },
        ""));
    return option;
}

std::string display_name(const std::string& file) { return file == "-" ? stdin_name : file; }

std::optional<std::string> stdin_given_twice(const std::vector<std::string>& files) {
    if (std::count(files.begin(), files.end(), "-") > 1)
        return std::string("'-' given twice: standard input can be read only once");
    return std::nullopt;
}

Pattern load_pattern(const std::string& file, std::optional<std::uint64_t> n, const Progress& progress,
                     std::optional<std::uint64_t> max_connections) {
    report(progress, "loading");
    LoadLimits limits;
    if (max_connections) limits.max_connections = *max_connections;
    return load_pattern_file(file, n, limits);
}

}  // namespace sparsecert::tools
