#include "common/json_output.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsecert/version.hpp"

namespace sparsecert::tools {

void add_json_options(CLI::App& app, JsonOutput& output, const std::string& help) {
    app.add_flag("--json", output.json, help);
    app.add_flag("--compact", output.compact, "with --json: the document on one line (no indentation)");
}

std::string json_text(nlohmann::json document, const JsonOutput& output) {
    document["sparsecert_version"] = version;
    return (output.compact ? document.dump() : document.dump(2)) + "\n";
}

}  // namespace sparsecert::tools
