// Where sparsecert's data lives at run time: share/sparsecert/ (the pattern catalogue in patterns/,
// the theorem registry in theorems/), found relative to the running program, so an installed tree
// works wherever it is installed or moved, and the build tree (build/share/sparsecert/) works alike.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

namespace sparsecert {

// The places looked at, in order: ../share/sparsecert relative to the directory of the executable
// (or shared object) that contains the library, then the data directory of the configured install
// prefix (for programs installed elsewhere that link the library).
std::vector<std::filesystem::path> data_directory_candidates();

// The first candidate that holds patterns/, or nothing.
std::optional<std::filesystem::path> data_directory();

}  // namespace sparsecert
