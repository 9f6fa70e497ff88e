// Runs a command of build/bin and captures its exit status, stdout and stderr (for CLI tests).
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace sparsecert::testing {

struct CommandResult {
    int status = -1;
    std::string out, err;
};

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::string temp_dir() {
    static const std::string dir = [] {
        auto d = std::filesystem::temp_directory_path() / ("sparsecert-tests-" + std::to_string(getpid()));
        std::filesystem::create_directories(d);
        return d.string();
    }();
    return dir;
}

inline std::string write_temp(const std::string& name, const std::string& content) {
    const std::string path = temp_dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
}

// `args` is appended to the tool's path as shell words (quote them yourself when needed); standard
// input is `input` (a path), standard output `output` when given.
inline CommandResult run_tool(const std::string& tool, const std::string& args, const std::string& input = "/dev/null",
                              const std::string& output = "") {
    static int counter = 0;
    const std::string base = temp_dir() + "/cmd" + std::to_string(counter++);
    const std::string cmd = std::string(SPARSECERT_BIN_DIR) + "/" + tool + " " + args + " >" +
                            (output.empty() ? base + ".out" : output) + " 2>" + base + ".err <" + input;
    const int raw = std::system(cmd.c_str());
    CommandResult r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = slurp(base + ".out");
    r.err = slurp(base + ".err");
    return r;
}

inline std::string source_path(const std::string& relative) {
    return std::string(SPARSECERT_SOURCE_DIR) + "/" + relative;
}

}  // namespace sparsecert::testing
