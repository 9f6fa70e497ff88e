// The pattern arguments the commands share: FILE ("-" reads standard input) and --n.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/support/progress.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace sparsecert::tools {

inline constexpr const char* pattern_file_help =
    "pattern file (JSON, docs/pattern-format.md); - reads it from standard input";

// --n N: the number of tokens for size-generic pattern files, 1 <= N < 2^31.
CLI::Option* add_n_option(CLI::App& app, std::optional<std::uint64_t>& n);

// How tables and messages name a FILE argument: stdin_name for "-".
std::string display_name(const std::string& file);

// A usage problem when "-" is given more than once (standard input can be read only once).
std::optional<std::string> stdin_given_twice(const std::vector<std::string>& files);

// Loads a FILE argument at --n under --max-connections (common/budget_args.hpp; nothing: the
// default), reporting the stage to `progress`; throws InputError.
Pattern load_pattern(const std::string& file, std::optional<std::uint64_t> n, const Progress& progress = {},
                     std::optional<std::uint64_t> max_connections = {});

}  // namespace sparsecert::tools
