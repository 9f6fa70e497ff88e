// export-pattern: writes a pattern file in the explicit form ({"attend": ...}), e.g. to feed the
// same generated pattern to another tool or to the Python baseline in bench/.
#include <cstdio>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sparsecert/support/input_error.hpp"
#include "sparsecert/pattern/pattern_io.hpp"

int main(int argc, char** argv) {
    CLI::App app{"export-pattern: write a pattern in the explicit {\"attend\": ...} form"};
    std::string file;
    std::optional<std::int64_t> n;
    app.add_option("FILE", file, "pattern file")->required();
    app.add_option("--n", n, "number of tokens for size-generic pattern files");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "export-pattern: %s\n", e.what());
        return 2;
    }
    if (n && *n <= 0) {
        std::fprintf(stderr, "export-pattern: --n: must be a positive integer\n");
        return 2;
    }
    try {
        std::optional<std::uint64_t> n_override;
        if (n) n_override = std::uint64_t(*n);
        auto pattern = sparsecert::load_pattern_file(file, n_override);
        std::cout << sparsecert::to_explicit_json(pattern).dump() << "\n";
    } catch (const sparsecert::InputError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    return 0;
}
