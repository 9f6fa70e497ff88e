#include "common/output_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "sparsecert/support/input_error.hpp"

namespace sparsecert::tools {

void write_output_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (out) out << text;
    if (out) out.close();
    if (!out) throw InputError(path, "", std::string("cannot write: ") + (errno ? std::strerror(errno) : "write error"));
}

}  // namespace sparsecert::tools
