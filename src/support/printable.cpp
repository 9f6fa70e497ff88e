#include "sparsecert/support/printable.hpp"

#include <cstdint>

#include <fmt/format.h>

namespace sparsecert {

namespace {

// The code point of the UTF-8 sequence at text[i] and its length, or length 0 when it is not
// well-formed (overlong forms, surrogates and values past U+10FFFF included).
std::pair<char32_t, std::size_t> decode(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    std::size_t length = 0;
    char32_t cp = 0, min = 0;
    if (lead >= 0xC2 && lead <= 0xDF) length = 2, cp = lead & 0x1F, min = 0x80;
    else if (lead >= 0xE0 && lead <= 0xEF) length = 3, cp = lead & 0x0F, min = 0x800;
    else if (lead >= 0xF0 && lead <= 0xF4) length = 4, cp = lead & 0x07, min = 0x10000;
    else return {0, 0};
    if (i + length > text.size()) return {0, 0};
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return {0, 0};
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0};
    return {cp, length};
}

bool invisible_control(char32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (c == '\n') out += "\\n";
            else if (c == '\r') out += "\\r";
            else if (c == '\t') out += "\\t";
            else if (c < 0x20 || c == 0x7F) out += fmt::format("\\x{:02x}", c);
            else out += char(c);
            ++i;
            continue;
        }
        const auto [cp, length] = decode(text, i);
        if (length == 0) {
            out += fmt::format("\\x{:02x}", c);
            ++i;
        } else {
            if (invisible_control(cp)) out += fmt::format("\\u{:04x}", std::uint32_t(cp));
            else out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

}  // namespace sparsecert
