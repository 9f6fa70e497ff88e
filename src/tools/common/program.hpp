// What every sparsecert executable and `sparsecert` subcommand shares (docs/cli.md): --help that
// lists the exit statuses, --version, --quiet, one-line errors on stderr, and a standard output
// whose write errors are errors. A command is a Setup: it declares its options on a CLI11 app and
// returns the Action that runs once the command line parsed; run_program makes an executable of
// one, the `sparsecert` dispatcher makes subcommands of several.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sparsecert::tools {

// The exit statuses every command shares; each command documents its own 0, 1 and 3 beside them.
inline constexpr int exit_usage = 2;     // bad input, bad usage, or an output that cannot be written
inline constexpr int exit_internal = 4;  // a bug: "internal error: ..."

// A bad command-line value found after parsing: run_action prints "PROG: OPTION: PROBLEM", exit 2.
struct UsageError {
    std::string option, problem;
};

struct ExitStatus {
    int code;
    std::string meaning;
};

// One run of a command: its name in messages ("verify-pattern", "sparsecert verify") and --quiet.
class Context {
public:
    explicit Context(std::string prog) : prog_(std::move(prog)) {}
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    const std::string& prog() const noexcept { return prog_; }
    bool quiet() const noexcept { return quiet_; }
    bool& quiet_flag() noexcept { return quiet_; }

    // Standard output, or under --quiet a stream that drops everything.
    std::ostream& out();

    // Prints "PROG: OPTION: PROBLEM" (or "PROG: PROBLEM") as one line on stderr; returns exit_usage.
    int usage_error(const std::string& option, const std::string& problem) const;

private:
    std::string prog_;
    bool quiet_ = false;
    std::ostream null_{nullptr};
};

using Action = std::function<int()>;
using Setup = Action (*)(CLI::App& app, Context& context);

// The options every command has: --version, --quiet (nothing on standard output, no progress;
// errors still go to stderr and the exit status is unchanged) and the "Exit status" section of
// --help: `statuses` followed by 2 and 4.
void standard_options(CLI::App& app, Context& context, std::vector<ExitStatus> statuses);

// Parses the command line. Nothing: go on. Otherwise the exit status to return: 0 after --help or
// --version (printed on standard output), 2 after a usage error (one line on stderr).
std::optional<int> parse(CLI::App& app, const Context& context, int argc, const char* const* argv);

// Runs an action under the shared rules: a UsageError or an InputError prints its line and gives 2, running out of
// memory prints one line and gives 2, any other exception is an internal error (4); afterwards a
// standard output that cannot be written (a full disk, > /dev/full) prints one line and gives 2.
int run_action(const Context& context, const Action& action);

// Makes an executable of one command (verify-pattern, export-pattern, check-certificate).
int run_program(const char* prog, Setup setup, int argc, char** argv);

// Flushes standard output; false (with a line on stderr) if anything written to it was lost.
bool flush_stdout(const Context& context);

}  // namespace sparsecert::tools
