// Shared by the `sparsecert` subcommands: the one-line usage error and the --delta 1/M option.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "sparsecert/construction/rational.hpp"

namespace sparsecert::cli {

// A rational from the command line ("3", "1/4", "-2/3"), or nothing when malformed.
inline std::optional<Rational> parse_rational(const std::string& text) {
    try {
        return Rational::parse(text);
    } catch (const std::invalid_argument&) {
        return std::nullopt;
    }
}

// Prints "PROG: OPTION: PROBLEM" (or "PROG: PROBLEM") as one line on stderr; returns exit status 2.
inline int usage_error(const char* prog, const std::string& option, const std::string& problem) {
    std::string line = option.empty() ? fmt::format("{}: {}", prog, problem)
                                      : fmt::format("{}: {}: {}", prog, option, problem);
    for (char& ch : line)
        if (ch == '\n' || ch == '\r') ch = ' ';
    std::fprintf(stderr, "%s\n", line.c_str());
    return 2;
}

// M from a --delta written as 1/M with an integer M >= 2 (theory.md section 4: the grid step).
inline std::optional<std::uint32_t> parse_delta_denominator(const std::string& text) {
    const auto delta = parse_rational(text);
    if (!delta || delta->sign() <= 0 || mpz_cmp_ui(delta->numerator(), 1) != 0 ||
        mpz_cmp_ui(delta->denominator(), 2) < 0 || !mpz_fits_uint_p(delta->denominator()))
        return std::nullopt;
    return std::uint32_t(mpz_get_ui(delta->denominator()));
}

}  // namespace sparsecert::cli
