// Subcommands of the `sparsecert` driver. Each lives in its own src/tools/commands/<name>.cpp, parses its own
// arguments (argv[0] is the subcommand name) and returns the process exit status.
#pragma once

namespace sparsecert::cli {

int construct_command(int argc, char** argv);    // issue 4: the exact constructive network
int approximate_command(int argc, char** argv);  // issue 5: the real network g and the error budget
int report_command(int argc, char** argv);       // issue 7: the generated report (md, html, json)
int prove_command(int argc, char** argv);        // issue 6: SMT proof obligations (Z3, cvc5)
int repair_command(int argc, char** argv);       // the fewest connections that make a theorem apply

}  // namespace sparsecert::cli
