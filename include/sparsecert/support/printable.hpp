// Text from the input (file names, keys, pattern names, strings in a certificate) is echoed in
// messages and output lines; it must not be able to break a line or drive the terminal.
#pragma once

#include <string>
#include <string_view>

namespace sparsecert {

// `text` with every control character escaped: C0 controls and DEL as \n, \r, \t or \xNN, C1
// controls, the Unicode line and paragraph separators and the bidirectional overrides and isolates
// as \uNNNN, and bytes that are not UTF-8 as \xNN. Everything else, backslashes included, is kept.
std::string printable(std::string_view text);

}  // namespace sparsecert
