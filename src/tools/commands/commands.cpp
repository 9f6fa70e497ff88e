#include "commands/commands.hpp"

namespace sparsecert::cli {

std::span<const Command> subcommands() {
    static constexpr Command table[] = {
        {"verify", "decide Assumption 1 and every registered theorem: the verdict (as verify-pattern)", verify_command},
        {"export", "write a pattern in the explicit {\"attend\": ...} form (as export-pattern)", export_command},
        {"construct", "build the paper's constructive network exactly and check it on the grid", construct_command},
        {"approximate", "build the real softmax/ReLU network g and measure the error budget d_q(f, g) <= eps",
         approximate_command},
        {"prove", "prove each step of the construction for every real input with Z3, re-check with cvc5",
         prove_command},
        {"report", "run the catalogue at several sizes and write report.md, report.html and report.json",
         report_command},
        {"repair", "the fewest connections that make a failing pattern satisfy a theorem, re-verified", repair_command},
    };
    return table;
}

}  // namespace sparsecert::cli
