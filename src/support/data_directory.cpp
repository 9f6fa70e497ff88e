#include "sparsecert/support/data_directory.hpp"

#include <algorithm>
#include <system_error>

#include <dlfcn.h>
#include <unistd.h>

// Set by CMakeLists.txt for this file only: the data directory of the install prefix, and the
// relative paths from the install's bin/ and lib/ directories to it.
#ifndef SPARSECERT_INSTALL_DATADIR
#error "SPARSECERT_INSTALL_DATADIR must be defined by the build"
#endif

namespace sparsecert {

namespace {

// The file of the executable or shared object this function was linked into (the library is
// static, so usually the executable; a Python extension module when loaded by one).
std::optional<std::filesystem::path> containing_binary() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&containing_binary), &info) != 0 && info.dli_fname &&
        *info.dli_fname == '/')
        return std::filesystem::path(info.dli_fname);
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return std::nullopt;
    return exe;
}

}  // namespace

std::vector<std::filesystem::path> data_directory_candidates() {
    namespace fs = std::filesystem;
    std::vector<fs::path> out;
    if (const auto binary = containing_binary()) {
        std::error_code ec;
        const fs::path resolved = fs::weakly_canonical(*binary, ec);
        const fs::path dir = (ec ? *binary : resolved).parent_path();
        for (const char* relative : {SPARSECERT_BINDIR_TO_DATADIR, SPARSECERT_LIBDIR_TO_DATADIR}) {
            fs::path candidate = (dir / relative).lexically_normal();
            if (std::find(out.begin(), out.end(), candidate) == out.end()) out.push_back(candidate);
        }
    }
    const fs::path installed = fs::path(SPARSECERT_INSTALL_DATADIR).lexically_normal();
    if (std::find(out.begin(), out.end(), installed) == out.end()) out.push_back(installed);
    return out;
}

std::optional<std::filesystem::path> data_directory() {
    for (const auto& candidate : data_directory_candidates()) {
        std::error_code ec;
        if (std::filesystem::is_directory(candidate / "patterns", ec)) return candidate;
    }
    return std::nullopt;
}

}  // namespace sparsecert
