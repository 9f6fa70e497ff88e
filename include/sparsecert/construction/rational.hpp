// Exact rationals for the weights of the constructive network and for the values the checks report.
//
// Rational is a thin RAII handle on GMP's mpq_t, always canonical (lowest terms, positive
// denominator). It is the *interface* type: weights, embedding, codes, thresholds. The evaluators do
// not compute with it: they compile a network into integer numerators over one shared denominator
// (src/construction/network_engine.hpp), which was measured much faster than canonicalising rationals
// (docs/algorithms.md section 3; docs/performance.md, "construct"). Only the C header <gmp.h> is included
// here, so the gmpxx expression templates stay out of the public headers.
#pragma once

#include <compare>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <gmp.h>

namespace sparsecert {

class Rational {
public:
    Rational() noexcept { mpq_init(q_); }
    // Implicit on purpose: `Rational r = 3;` reads like the mathematics.
    template <std::integral T>
    Rational(T value) {  // NOLINT(google-explicit-constructor)
        static_assert(sizeof(T) <= sizeof(long), "64-bit long expected (LP64)");
        mpq_init(q_);
        if constexpr (std::is_signed_v<T>) mpq_set_si(q_, static_cast<long>(value), 1);
        else mpq_set_ui(q_, static_cast<unsigned long>(value), 1);
    }
    // num / den; throws std::invalid_argument when den == 0.
    Rational(long long num, long long den);
    // Copies a GMP rational (canonicalised here: GMP's pure assignments do not canonicalise).
    explicit Rational(mpq_srcptr value);
    // num / den from two GMP integers; throws std::invalid_argument when den == 0.
    static Rational from_integers(mpz_srcptr num, mpz_srcptr den);

    Rational(const Rational& other);
    Rational(Rational&& other) noexcept;
    Rational& operator=(const Rational& other);
    Rational& operator=(Rational&& other) noexcept;
    ~Rational() { mpq_clear(q_); }

    // Parses "a", "-a/b", or a finite decimal "0.25", "-1.5e-3" (exactly; no floating point).
    // Throws std::invalid_argument with a one-line explanation.
    static Rational parse(std::string_view text);

    // "a" for integers, "a/b" otherwise (the form parse() reads back).
    std::string str() const;
    double to_double() const { return mpq_get_d(q_); }
    int sign() const noexcept { return mpq_sgn(q_); }
    bool is_zero() const noexcept { return mpq_sgn(q_) == 0; }
    bool is_integer() const noexcept { return mpz_cmp_ui(mpq_denref(q_), 1) == 0; }

    mpq_srcptr get() const noexcept { return q_; }
    mpz_srcptr numerator() const noexcept { return mpq_numref(q_); }
    mpz_srcptr denominator() const noexcept { return mpq_denref(q_); }

    Rational& operator+=(const Rational& b);
    Rational& operator-=(const Rational& b);
    Rational& operator*=(const Rational& b);
    Rational& operator/=(const Rational& b);  // throws std::domain_error on division by zero
    Rational operator-() const;

    friend Rational operator+(Rational a, const Rational& b) { return a += b; }
    friend Rational operator-(Rational a, const Rational& b) { return a -= b; }
    friend Rational operator*(Rational a, const Rational& b) { return a *= b; }
    friend Rational operator/(Rational a, const Rational& b) { return a /= b; }
    friend bool operator==(const Rational& a, const Rational& b) noexcept {
        return mpq_equal(a.q_, b.q_) != 0;
    }
    friend std::strong_ordering operator<=>(const Rational& a, const Rational& b) noexcept {
        const int c = mpq_cmp(a.q_, b.q_);
        return c < 0 ? std::strong_ordering::less
                     : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
    }

private:
    mpq_t q_;
};

// b^e for an integer exponent e >= 0.
Rational power(const Rational& b, unsigned long e);
// The largest integer <= x.
Rational floor(const Rational& x);
// |x|
Rational abs(const Rational& x);

}  // namespace sparsecert
