#include "common/program.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sparsecert/support/input_error.hpp"
#include "sparsecert/support/printable.hpp"
#include "sparsecert/version.hpp"

namespace sparsecert::tools {

namespace {

// Messages may span lines (CLI11's) and echo the command line: one line, control characters escaped.
std::string one_line(std::string text) {
    for (char& ch : text)
        if (ch == '\n' || ch == '\r') ch = ' ';
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return printable(text);
}

}  // namespace

std::ostream& Context::out() { return quiet_ ? null_ : std::cout; }

int Context::usage_error(const std::string& option, const std::string& problem) const {
    const std::string line = option.empty() ? fmt::format("{}: {}", prog_, problem)
                                            : fmt::format("{}: {}: {}", prog_, option, problem);
    std::fprintf(stderr, "%s\n", one_line(line).c_str());
    return exit_usage;
}

void standard_options(CLI::App& app, Context& context, std::vector<ExitStatus> statuses) {
    // "verify-pattern (sparsecert) 0.1.0", the way GNU tools name their package; "sparsecert 0.1.0".
    const bool own_name = context.prog().starts_with("sparsecert");
    app.set_version_flag("--version",
                         own_name ? fmt::format("sparsecert {}", version)
                                  : fmt::format("{} (sparsecert) {}", context.prog(), version),
                         "print the version and exit");
    app.add_flag("-q,--quiet", context.quiet_flag(),
                 "print nothing on standard output and draw no progress (errors still go to stderr; the "
                 "exit status is the same)");
    statuses.push_back({exit_usage, "bad input or usage, or an output that cannot be written (one line on stderr)"});
    statuses.push_back({exit_internal, "internal error (a bug: please report it)"});
    std::string footer = "Exit status:\n";
    for (const auto& s : statuses) footer += fmt::format("  {}  {}\n", s.code, s.meaning);
    app.footer(footer);
}

std::optional<int> parse(CLI::App& app, const Context& context, int argc, const char* const* argv) {
    try {
        app.parse(argc, argv);
        return std::nullopt;
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
    } catch (const CLI::CallForAllHelp&) {
        std::cout << app.help("", CLI::AppFormatMode::All);
    } catch (const CLI::CallForVersion& e) {
        std::cout << e.what() << "\n";
    } catch (const CLI::ParseError& e) {
        // CLI11 checks required arguments before unexpected ones; an unknown option explains more.
        std::string problem = e.what();
        if (dynamic_cast<const CLI::RequiredError*>(&e)) {
            std::vector<std::string> unexpected;
            for (const CLI::App* a = &app; a;) {
                for (const auto& word : a->remaining()) unexpected.push_back(word);
                const auto subs = a->get_subcommands();
                a = subs.empty() ? nullptr : subs.front();
            }
            for (const auto& word : unexpected)
                if (word.starts_with("-") && word != "-") {
                    problem = fmt::format("unknown option {}", word);
                    break;
                }
        }
        return context.usage_error("", fmt::format("{} (see {} --help)", problem, context.prog()));
    }
    return flush_stdout(context) ? 0 : exit_usage;
}

bool flush_stdout(const Context& context) {
    errno = 0;
    std::cout.flush();
    const bool flushed = std::fflush(stdout) == 0;
    const int error = errno;
    if (flushed && std::cout && !std::ferror(stdout)) return true;
    std::fprintf(stderr, "%s: cannot write standard output: %s\n", context.prog().c_str(),
                 error ? std::strerror(error) : "write error");
    return false;
}

int run_action(const Context& context, const Action& action) {
    int status = exit_internal;
    try {
        status = action();
    } catch (const UsageError& e) {
        status = context.usage_error(e.option, e.problem);
    } catch (const InputError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        status = exit_usage;
    } catch (const std::bad_alloc&) {
        status = context.usage_error("", "not enough memory");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: internal error: %s\n", context.prog().c_str(), one_line(e.what()).c_str());
        return exit_internal;
    }
    return flush_stdout(context) ? status : exit_usage;
}

int run_program(const char* prog, Setup setup, int argc, char** argv) {
    Context context(prog);
    try {
        CLI::App app;
        app.name(prog);
        const Action action = setup(app, context);
        if (const auto status = parse(app, context, argc, argv)) return *status;
        return run_action(context, action);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: internal error: %s\n", prog, one_line(e.what()).c_str());
        return exit_internal;
    }
}

}  // namespace sparsecert::tools
