// The commands of the `sparsecert` program, one file each in src/tools/commands/. Each declares its
// options on a CLI11 app and returns what runs after parsing (common/program.hpp); verify and
// export are also the standalone verify-pattern and export-pattern programs.
#pragma once

#include <span>

#include "common/program.hpp"

namespace sparsecert::cli {

tools::Action verify_command(CLI::App& app, tools::Context& context);       // Assumption 1, every theorem, the verdict
tools::Action export_command(CLI::App& app, tools::Context& context);       // a pattern in the explicit form
tools::Action construct_command(CLI::App& app, tools::Context& context);    // the exact constructive network
tools::Action approximate_command(CLI::App& app, tools::Context& context);  // the real network g and the error budget
tools::Action prove_command(CLI::App& app, tools::Context& context);        // SMT proof obligations (Z3, cvc5)
tools::Action report_command(CLI::App& app, tools::Context& context);       // the generated report (md, html, json)
tools::Action repair_command(CLI::App& app, tools::Context& context);       // the fewest connections that make a theorem apply

struct Command {
    const char* name;
    const char* summary;
    tools::Setup setup;
};

// The subcommands of `sparsecert` that run in-process, in the order --help lists them (`check` runs
// the separate check-certificate program: src/tools/sparsecert.cpp).
std::span<const Command> subcommands();

}  // namespace sparsecert::cli
