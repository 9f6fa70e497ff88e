// The bundled pattern catalogue (patterns/*.json).
#pragma once

#include <string>
#include <vector>

namespace sparsecert {

// The catalogue directory: $SPARSECERT_PATTERNS if set, else the source tree's patterns/.
std::string catalogue_directory();

// The catalogue's files (*.json), sorted by name, so every listing is deterministic.
std::vector<std::string> catalogue_files(const std::string& directory);

}  // namespace sparsecert
