// sparsecert export (also the export-pattern program): a pattern file in the explicit form
// ({"attend": ...}), e.g. to feed the same generated pattern to another tool or to the Python
// baseline in bench/. A thin driver over sparsecert/pattern/pattern_io.hpp.
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "common/budget_args.hpp"
#include "common/pattern_args.hpp"
#include "sparsecert/pattern/pattern_io.hpp"

namespace sparsecert::cli {

namespace {

struct ExportArgs {
    std::string file;
    std::optional<std::uint64_t> n, max_connections;
};

}  // namespace

tools::Action export_command(CLI::App& app, tools::Context& context) {
    auto a = std::make_shared<ExportArgs>();
    app.description("Write a pattern in the explicit {\"attend\": ...} form (docs/pattern-format.md), one line of JSON.");
    app.add_option("FILE", a->file, tools::pattern_file_help)->required();
    tools::add_n_option(app, a->n);
    tools::add_max_connections_option(app, a->max_connections);
    tools::standard_options(app, context, {{0, "the pattern was written"}});
    return [&context, a] {
        // Streamed: the output's memory is not a second copy of the pattern.
        write_explicit_json(tools::load_pattern(a->file, a->n, {}, a->max_connections), context.out());
        context.out() << "\n";
        return 0;
    };
}

}  // namespace sparsecert::cli
