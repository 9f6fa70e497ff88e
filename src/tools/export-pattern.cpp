// export-pattern: the documented entry point of `sparsecert export` (src/tools/commands/export.cpp).
#include "commands/commands.hpp"
#include "common/program.hpp"

int main(int argc, char** argv) {
    return sparsecert::tools::run_program("export-pattern", sparsecert::cli::export_command, argc, argv);
}
