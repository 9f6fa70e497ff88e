// sparsecert: the multi-command driver (construct, ...). Each subcommand is a thin driver over the
// library in src/tools/commands/; verify-pattern and check-certificate are separate executables.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "commands/commands.hpp"

namespace {

struct Command {
    const char* name;
    const char* summary;
    int (*run)(int, char**);
};

const Command commands[] = {
    {"construct", "build the paper's constructive network exactly and check it on the grid",
     sparsecert::cli::construct_command},
    {"approximate", "build the real softmax/ReLU network g and measure the error budget d_q(f, g) <= eps",
     sparsecert::cli::approximate_command},
    {"report", "run the catalogue at several sizes and write report.md, report.html and report.json",
     sparsecert::cli::report_command},
    {"prove", "prove each step of the construction for every real input with Z3, re-check with cvc5",
     sparsecert::cli::prove_command},
    {"repair", "the fewest connections that make a failing pattern satisfy a theorem, re-verified",
     sparsecert::cli::repair_command},
};

void usage(std::FILE* out) {
    std::fprintf(out, "usage: sparsecert COMMAND [ARGS...]   (sparsecert COMMAND --help for details)\n\ncommands:\n");
    for (const auto& c : commands) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "sparsecert: missing COMMAND (try sparsecert --help)\n");
        return 2;
    }
    if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    for (const auto& c : commands)
        if (!std::strcmp(argv[1], c.name)) {
            try {
                return c.run(argc - 1, argv + 1);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "sparsecert %s: internal error: %s\n", c.name, e.what());
                return 4;
            }
        }
    std::fprintf(stderr, "sparsecert: unknown command '%s' (try sparsecert --help)\n", argv[1]);
    return 2;
}
