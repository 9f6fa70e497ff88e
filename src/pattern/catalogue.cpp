#include "sparsecert/pattern/catalogue.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "sparsecert/support/data_directory.hpp"
#include "sparsecert/support/input_error.hpp"

namespace sparsecert {

std::string catalogue_directory() {
    if (const char* env = std::getenv("SPARSECERT_PATTERNS"); env && *env) return env;
    if (const auto data = data_directory()) return (*data / "patterns").string();
    std::string looked;
    for (const auto& candidate : data_directory_candidates())
        looked += (looked.empty() ? "" : ", ") + (candidate / "patterns").string();
    throw InputError("the bundled catalogue", "",
                     "not found (looked in " + looked + "); set SPARSECERT_PATTERNS to a directory of pattern files");
}

std::vector<std::string> catalogue_files(const std::string& directory) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(directory, ec))
        throw InputError(directory, "", "not a directory of pattern files");
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(directory, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".json")
            files.push_back(entry.path().string());
    if (ec) throw InputError(directory, "", "cannot list directory: " + ec.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw InputError(directory, "", "no *.json pattern files");
    return files;
}

}  // namespace sparsecert
