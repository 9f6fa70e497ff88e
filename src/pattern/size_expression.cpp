#include "sparsecert/pattern/size_expression.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

namespace sparsecert {

std::int64_t floor_sqrt(std::int64_t x) {
    if (x < 0) throw ExpressionError("square root of a negative number");
    // The double estimate can be off by one near 2^63; correct it exactly in 128-bit arithmetic.
    auto r = static_cast<std::int64_t>(std::sqrt(static_cast<long double>(x)));
    while (r > 0 && static_cast<__int128>(r) * r > x) --r;
    while (static_cast<__int128>(r + 1) * (r + 1) <= x) ++r;
    return r;
}

std::int64_t ceil_sqrt(std::int64_t x) {
    const std::int64_t r = floor_sqrt(x);
    return r * r == x ? r : r + 1;
}

std::int64_t ceil_log2(std::int64_t x) {
    if (x < 1) throw ExpressionError("log2 of a number below 1");
    std::int64_t e = 0;
    while (e < 63 && (std::int64_t{1} << e) < x) ++e;
    return e;
}

namespace {

// Deep nesting is never needed for sizes; the bound keeps the recursive descent off the stack limit.
constexpr int max_depth = 64;
constexpr std::size_t max_length = 4096;

class Parser {
public:
    Parser(std::string_view text, std::int64_t n) : text_(text), n_(n) {}

    std::int64_t parse() {
        if (text_.size() > max_length)
            throw ExpressionError("expression longer than " + std::to_string(max_length) +
                                  " characters");
        const std::int64_t value = sum(0);
        skip_space();
        if (pos_ < text_.size()) fail(std::string("unexpected '") + text_[pos_] + "'");
        return value;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw ExpressionError(what + " at character " + std::to_string(pos_ + 1));
    }

    void skip_space() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    }
    bool accept(char c) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!accept(c)) {
            if (pos_ >= text_.size()) fail(std::string("expected '") + c + "' but the expression ends");
            fail(std::string("expected '") + c + "', found '" + text_[pos_] + "'");
        }
    }

    // Applies a __builtin_*_overflow operation, failing on overflow.
    template <typename Op>
    std::int64_t checked(Op op, std::int64_t a, std::int64_t b) const {
        std::int64_t out = 0;
        if (op(a, b, &out)) fail("arithmetic overflow (beyond 64-bit integers)");
        return out;
    }
    static bool add(std::int64_t a, std::int64_t b, std::int64_t* out) { return __builtin_add_overflow(a, b, out); }
    static bool sub(std::int64_t a, std::int64_t b, std::int64_t* out) { return __builtin_sub_overflow(a, b, out); }
    static bool mul(std::int64_t a, std::int64_t b, std::int64_t* out) { return __builtin_mul_overflow(a, b, out); }

    // sum := product (('+' | '-') product)*
    std::int64_t sum(int depth) {
        std::int64_t value = product(depth);
        for (;;) {
            if (accept('+')) {
                const std::int64_t rhs = product(depth);
                value = checked(add, value, rhs);
            } else if (accept('-')) {
                const std::int64_t rhs = product(depth);
                value = checked(sub, value, rhs);
            } else {
                return value;
            }
        }
    }

    // product := unary (('*' | '/' | '%') unary)*
    std::int64_t product(int depth) {
        std::int64_t value = unary(depth);
        for (;;) {
            if (accept('*')) {
                const std::int64_t rhs = unary(depth);
                value = checked(mul, value, rhs);
            } else if (accept('/')) {
                const std::size_t at = pos_;
                value = floor_div(value, unary(depth), at);
            } else if (accept('%')) {
                const std::size_t at = pos_;
                value = floor_mod(value, unary(depth), at);
            } else {
                return value;
            }
        }
    }

    std::int64_t floor_div(std::int64_t a, std::int64_t b, std::size_t at) {
        if (b == 0) {
            pos_ = at;
            fail("division by zero");
        }
        if (a == std::numeric_limits<std::int64_t>::min() && b == -1)
            fail("arithmetic overflow (beyond 64-bit integers)");
        std::int64_t q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
        return q;
    }

    // The remainder with the divisor's sign, consistent with floor_div; computed without a product
    // so that it cannot overflow.
    std::int64_t floor_mod(std::int64_t a, std::int64_t b, std::size_t at) {
        if (b == 0) {
            pos_ = at;
            fail("division by zero");
        }
        if (b == -1) return 0;
        std::int64_t r = a % b;
        if (r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
    }

    // unary := ('-' | '+') unary | primary
    std::int64_t unary(int depth) {
        if (depth > max_depth) fail("expression nested too deeply");
        if (accept('-')) {
            const std::int64_t operand = unary(depth + 1);
            return checked(sub, 0, operand);
        }
        if (accept('+')) return unary(depth + 1);
        return primary(depth);
    }

    // primary := integer | 'n' | name '(' arguments ')' | '(' sum ')'
    std::int64_t primary(int depth) {
        skip_space();
        if (pos_ >= text_.size()) fail(pos_ == 0 ? "empty expression" : "the expression ends early");
        const char c = text_[pos_];
        if (c == '(') {
            ++pos_;
            const std::int64_t value = sum(depth + 1);
            expect(')');
            return value;
        }
        if (std::isdigit(static_cast<unsigned char>(c))) return literal();
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return name(depth);
        fail(std::string("unexpected '") + c + "'");
    }

    std::int64_t literal() {
        std::int64_t value = 0;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
            const int digit = text_[pos_] - '0';
            if (__builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, digit, &value))
                fail("number too large for 64-bit integers");
            ++pos_;
        }
        return value;
    }

    std::int64_t name(int depth) {
        const std::size_t start = pos_;
        while (pos_ < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
            ++pos_;
        const std::string_view id = text_.substr(start, pos_ - start);
        if (id == "n") return n_;
        const bool unary_fn = id == "sqrt" || id == "floor_sqrt" || id == "log2";
        const bool binary_fn = id == "min" || id == "max";
        if (!unary_fn && !binary_fn) {
            pos_ = start;
            fail("unknown name \"" + std::string(id) +
                 "\" (known: n, sqrt, floor_sqrt, log2, min, max)");
        }
        expect('(');
        const std::size_t arg_at = pos_;
        const std::int64_t a = sum(depth + 1);
        std::int64_t b = 0;
        if (binary_fn) {
            expect(',');
            b = sum(depth + 1);
        }
        expect(')');
        try {
            if (id == "sqrt") return ceil_sqrt(a);
            if (id == "floor_sqrt") return floor_sqrt(a);
            if (id == "log2") return ceil_log2(a);
        } catch (const ExpressionError& e) {
            pos_ = arg_at;
            fail(std::string(e.what()) + " (" + std::to_string(a) + ")");
        }
        return id == "min" ? std::min(a, b) : std::max(a, b);
    }

    std::string_view text_;
    std::int64_t n_;
    std::size_t pos_ = 0;
};

}  // namespace

std::int64_t evaluate_size_expression(std::string_view text, std::int64_t n) {
    return Parser(text, n).parse();
}

}  // namespace sparsecert
