// Shared by the command drivers: a status line on stderr when it is a terminal, silent otherwise
// (so pipes, CI logs and --json output stay clean and deterministic).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include <unistd.h>

#include "sparsecert/support/printable.hpp"
#include "sparsecert/support/progress.hpp"

namespace sparsecert::tools {

class StatusLine {
public:
    // quiet: never draw (--quiet); prefix: what every line starts with (the file, the command).
    explicit StatusLine(bool quiet = false, std::string prefix = {})
        : enabled_(!quiet && isatty(STDERR_FILENO) != 0), prefix_(std::move(prefix)) {}
    ~StatusLine() { clear(); }
    StatusLine(const StatusLine&) = delete;
    StatusLine& operator=(const StatusLine&) = delete;

    void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }

    // A Progress callback that redraws the line at most ten times a second.
    Progress callback() {
        if (!enabled_) return {};
        return [this](std::string_view stage, double fraction) { draw(stage, fraction); };
    }

    void clear() {
        if (enabled_ && drawn_) {
            std::fputs("\r\033[K", stderr);
            std::fflush(stderr);
            drawn_ = false;
        }
    }

private:
    void draw(std::string_view stage, double fraction) {
        const auto now = std::chrono::steady_clock::now();
        if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        std::string line = printable(prefix_ + std::string(stage));  // the prefix names an input file
        if (fraction >= 0) line += " " + std::to_string(int(fraction * 100)) + "%";
        if (line.size() > 100) line.resize(100);
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
        std::fflush(stderr);
        drawn_ = true;
    }

    bool enabled_;
    bool drawn_ = false;
    std::string prefix_;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace sparsecert::tools
