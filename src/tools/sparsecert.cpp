// sparsecert: one program for every command (src/tools/commands/), `sparsecert COMMAND --help` for
// each. `sparsecert check` runs the separate check-certificate program installed beside this one:
// the checker stays a small program of its own that shares no code with the searches (docs/trust.md).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "commands/commands.hpp"
#include "common/program.hpp"
#include "sparsecert/version.hpp"

namespace {

using namespace sparsecert;

constexpr const char* check_name = "check";
constexpr const char* check_summary = "re-check a certificate against its pattern (runs check-certificate)";

// Replaces this process by check-certificate from the same directory, with the same arguments.
int exec_checker(int argc, char** argv) {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::string checker = (ec ? std::filesystem::path(argv[0]) : self).parent_path() / "check-certificate";
    std::vector<char*> args{const_cast<char*>(checker.c_str())};
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    ::execv(checker.c_str(), args.data());
    std::fprintf(stderr, "sparsecert check: internal error: cannot run %s: %s\n", checker.c_str(), std::strerror(errno));
    return tools::exit_internal;
}

// Lists each subcommand by its one-line summary (its own --help shows the full description).
class SummaryFormatter : public CLI::Formatter {
public:
    std::string make_subcommand(const CLI::App* sub) const override {
        std::stringstream out;
        CLI::detail::format_help(out, sub->get_display_name(true), summary(sub->get_name()), get_column_width());
        return out.str();
    }

private:
    static std::string summary(const std::string& name) {
        if (name == check_name) return check_summary;
        for (const auto& command : cli::subcommands())
            if (name == command.name) return command.summary;
        return {};
    }
};

int run(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], check_name) == 0) return exec_checker(argc, argv);

    // Usage errors name the subcommand being parsed: "sparsecert construct: --d is required".
    std::vector<std::unique_ptr<tools::Context>> contexts;
    tools::Context context("sparsecert");
    const tools::Context* messages = &context;
    CLI::App app{"sparsecert: certify which sparse-attention patterns keep Transformers universal approximators "
                 "(README.md). `sparsecert COMMAND --help` describes each command; verify-pattern and "
                 "check-certificate are the same as `sparsecert verify` and `sparsecert check`.",
                 "sparsecert"};
    app.formatter(std::make_shared<SummaryFormatter>());
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("sparsecert ") + version, "print the version and exit");
    app.footer("Exit status: that of the command; 2 for a usage error here (one line on stderr).");
    app.add_subcommand(check_name, check_summary);
    std::vector<std::pair<CLI::App*, tools::Action>> actions;
    for (const auto& command : cli::subcommands()) {
        contexts.push_back(std::make_unique<tools::Context>(std::string("sparsecert ") + command.name));
        CLI::App* sub = app.add_subcommand(command.name, command.summary);
        actions.emplace_back(sub, command.setup(*sub, *contexts.back()));
        if (argc >= 2 && std::strcmp(argv[1], command.name) == 0) messages = contexts.back().get();
    }
    if (const auto status = tools::parse(app, *messages, argc, argv)) return *status;
    for (std::size_t i = 0; i < actions.size(); ++i)
        if (actions[i].first->parsed()) return tools::run_action(*contexts[i], actions[i].second);
    return context.usage_error("", "missing COMMAND (see sparsecert --help)");
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sparsecert: internal error: %s\n", e.what());
        return sparsecert::tools::exit_internal;
    }
}
