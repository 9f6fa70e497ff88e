// Subcommands of the `sparsecert` driver. Each lives in its own src/cli/<name>.cpp, parses its own
// arguments (argv[0] is the subcommand name) and returns the process exit status.
#pragma once

namespace sparsecert::cli {

int construct_command(int argc, char** argv);    // issue 4: the exact constructive network
int prove_command(int argc, char** argv);        // issue 6: SMT proof obligations (Z3, cvc5)

}  // namespace sparsecert::cli
