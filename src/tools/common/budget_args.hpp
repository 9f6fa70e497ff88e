// The budgets the commands share (docs/reliability.md): --timeout, the time a run may take, and
// --max-connections, the size a pattern may have before it is built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace sparsecert::tools {

// The largest --timeout: about 11.6 days. Larger (1e10, inf) would be taken literally.
inline constexpr double max_timeout_seconds = 1e6;

// --timeout SECONDS, refused with one line unless 0 < SECONDS <= max_timeout_seconds.
CLI::Option* add_timeout_option(CLI::App& app, double& seconds, const std::string& help);

// --max-connections N (N >= 1): the limit on a pattern's predicted connections; nothing given
// means the default, what fits in memory (sparsecert::default_max_connections()).
CLI::Option* add_max_connections_option(CLI::App& app, std::optional<std::uint64_t>& limit);

}  // namespace sparsecert::tools
