// The bundled pattern catalogue (patterns/*.json).
#pragma once

#include <string>
#include <vector>

namespace sparsecert {

// The catalogue directory: $SPARSECERT_PATTERNS if set, else patterns/ in the data directory
// (sparsecert/support/data_directory.hpp: share/sparsecert/ beside the program's bin/, or the
// install prefix's). Throws InputError, saying where it looked, when there is none.
std::string catalogue_directory();

// The catalogue's files (*.json), sorted by name, so every listing is deterministic.
std::vector<std::string> catalogue_files(const std::string& directory);

}  // namespace sparsecert
