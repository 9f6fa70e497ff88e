// verify-pattern: the documented entry point of `sparsecert verify` (src/tools/commands/verify.cpp).
#include "commands/commands.hpp"
#include "common/program.hpp"

int main(int argc, char** argv) {
    return sparsecert::tools::run_program("verify-pattern", sparsecert::cli::verify_command, argc, argv);
}
