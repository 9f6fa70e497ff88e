// Integer expressions over the number of tokens n, used by size-generic pattern files
// (docs/pattern-format.md, "Expressions"): {"strided": {"stride": "sqrt(n)"}} gives Child et al.'s
// c = ceil(sqrt(n)) whatever --n is.
//
// Grammar: integers, n, + - * / %, unary minus, parentheses, and the functions sqrt(x) (ceiling of the
// real square root), floor_sqrt(x), log2(x) (ceiling), min(a, b), max(a, b). "/" is floor division and
// a % b = a - b * (a / b), as in Python, so that results never depend on C++'s truncation.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace sparsecert {

// A malformed expression or an arithmetic error (division by zero, overflow, sqrt of a negative).
// The message names the problem and its 1-based character position.
class ExpressionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Evaluates `text` with the given n in checked 64-bit arithmetic.
std::int64_t evaluate_size_expression(std::string_view text, std::int64_t n);

// The two rounded square roots and the binary logarithm the expressions offer (x >= 0; log2: x >= 1).
std::int64_t ceil_sqrt(std::int64_t x);
std::int64_t floor_sqrt(std::int64_t x);
std::int64_t ceil_log2(std::int64_t x);

}  // namespace sparsecert
