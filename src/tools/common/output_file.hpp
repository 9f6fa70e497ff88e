// Files the commands write besides standard output (--network-out, --plot): one place, so every
// command writes them the same way.
#pragma once

#include <string>

namespace sparsecert::tools {

// Writes `text` to `path`; throws InputError(path, "", "cannot write: ...") when it cannot.
void write_output_file(const std::string& path, const std::string& text);

}  // namespace sparsecert::tools
