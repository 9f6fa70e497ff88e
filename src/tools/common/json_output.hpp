// JSON on standard output, the same way in every command: one document, carrying the version
// ("sparsecert_version"), indented by two spaces or, with --compact, on one line.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace CLI {
class App;
}

namespace sparsecert::tools {

struct JsonOutput {
    bool json = false;
    bool compact = false;
};

// --json (with `help`) and --compact.
void add_json_options(CLI::App& app, JsonOutput& output, const std::string& help);

// The text to print: the document with "sparsecert_version" added, and a final newline.
std::string json_text(nlohmann::json document, const JsonOutput& output);

}  // namespace sparsecert::tools
