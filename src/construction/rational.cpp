#include "sparsecert/construction/rational.hpp"

#include <stdexcept>
#include <string>

namespace sparsecert {

Rational::Rational(long long num, long long den) {
    // mpz_set_si takes a long, which is 64-bit on every platform sparsecert targets (LP64).
    static_assert(sizeof(long) == sizeof(long long));
    if (den == 0) throw std::invalid_argument("rational with zero denominator");
    mpq_init(q_);
    mpz_set_si(mpq_numref(q_), static_cast<long>(num));
    mpz_set_si(mpq_denref(q_), static_cast<long>(den));
    mpq_canonicalize(q_);
}

Rational::Rational(mpq_srcptr value) {
    mpq_init(q_);
    mpq_set(q_, value);
    mpq_canonicalize(q_);
}

Rational Rational::from_integers(mpz_srcptr num, mpz_srcptr den) {
    if (mpz_sgn(den) == 0) throw std::invalid_argument("rational with zero denominator");
    Rational r;
    mpz_set(mpq_numref(r.q_), num);
    mpz_set(mpq_denref(r.q_), den);
    mpq_canonicalize(r.q_);
    return r;
}

Rational::Rational(const Rational& other) {
    mpq_init(q_);
    mpq_set(q_, other.q_);
}

Rational::Rational(Rational&& other) noexcept {
    mpq_init(q_);
    mpq_swap(q_, other.q_);
}

Rational& Rational::operator=(const Rational& other) {
    if (this != &other) mpq_set(q_, other.q_);
    return *this;
}

Rational& Rational::operator=(Rational&& other) noexcept {
    mpq_swap(q_, other.q_);
    return *this;
}

namespace {

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

[[noreturn]] void bad(std::string_view text, const char* why) {
    throw std::invalid_argument("'" + std::string(text) + "' is not a rational number (" + why + ")");
}

}  // namespace

Rational Rational::parse(std::string_view text) {
    std::string_view s = text;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    Rational r;
    if (auto slash = s.find('/'); slash != std::string_view::npos) {
        const auto num = s.substr(0, slash), den = s.substr(slash + 1);
        if (!all_digits(num) || !all_digits(den)) bad(text, "expected a/b with decimal integers");
        mpz_set_str(mpq_numref(r.q_), std::string(num).c_str(), 10);
        mpz_set_str(mpq_denref(r.q_), std::string(den).c_str(), 10);
        if (mpz_sgn(mpq_denref(r.q_)) == 0) bad(text, "zero denominator");
        mpq_canonicalize(r.q_);
    } else {
        // Decimal: digits [. digits] [e|E [+|-] digits], converted exactly.
        std::string_view mantissa = s, exponent_text;
        if (auto e = s.find_first_of("eE"); e != std::string_view::npos) {
            mantissa = s.substr(0, e);
            exponent_text = s.substr(e + 1);
            if (exponent_text.empty()) bad(text, "empty exponent");
        }
        std::string_view int_part = mantissa, frac_part;
        if (auto dot = mantissa.find('.'); dot != std::string_view::npos) {
            int_part = mantissa.substr(0, dot);
            frac_part = mantissa.substr(dot + 1);
        }
        if (int_part.empty() && frac_part.empty()) bad(text, "no digits");
        if ((!int_part.empty() && !all_digits(int_part)) || (!frac_part.empty() && !all_digits(frac_part)))
            bad(text, "expected an integer, a/b or a decimal");
        long exponent = 0;
        if (!exponent_text.empty()) {
            std::string_view e = exponent_text;
            bool eneg = false;
            if (e[0] == '-' || e[0] == '+') {
                eneg = e[0] == '-';
                e.remove_prefix(1);
            }
            if (!all_digits(e) || e.size() > 6) bad(text, "bad exponent");
            exponent = std::stol(std::string(e));
            if (eneg) exponent = -exponent;
        }
        const std::string digits = std::string(int_part) + std::string(frac_part);
        mpz_set_str(mpq_numref(r.q_), digits.c_str(), 10);
        exponent -= static_cast<long>(frac_part.size());
        mpz_t ten;
        mpz_init(ten);
        mpz_ui_pow_ui(ten, 10, static_cast<unsigned long>(exponent < 0 ? -exponent : exponent));
        if (exponent < 0) mpz_set(mpq_denref(r.q_), ten);
        else mpz_mul(mpq_numref(r.q_), mpq_numref(r.q_), ten);
        mpz_clear(ten);
        mpq_canonicalize(r.q_);
    }
    if (negative) mpq_neg(r.q_, r.q_);
    return r;
}

std::string Rational::str() const {
    std::string out(mpz_sizeinbase(mpq_numref(q_), 10) + mpz_sizeinbase(mpq_denref(q_), 10) + 3, '\0');
    mpq_get_str(out.data(), 10, q_);
    out.resize(out.find('\0'));
    return out;
}

Rational& Rational::operator+=(const Rational& b) {
    mpq_add(q_, q_, b.q_);
    return *this;
}
Rational& Rational::operator-=(const Rational& b) {
    mpq_sub(q_, q_, b.q_);
    return *this;
}
Rational& Rational::operator*=(const Rational& b) {
    mpq_mul(q_, q_, b.q_);
    return *this;
}
Rational& Rational::operator/=(const Rational& b) {
    if (b.is_zero()) throw std::domain_error("rational division by zero");
    mpq_div(q_, q_, b.q_);
    return *this;
}
Rational Rational::operator-() const {
    Rational r(*this);
    mpq_neg(r.q_, r.q_);
    return r;
}

Rational power(const Rational& b, unsigned long e) {
    mpz_t num, den;
    mpz_init(num);
    mpz_init(den);
    mpz_pow_ui(num, b.numerator(), e);
    mpz_pow_ui(den, b.denominator(), e);
    Rational r = Rational::from_integers(num, den);
    mpz_clear(num);
    mpz_clear(den);
    return r;
}

Rational floor(const Rational& x) {
    mpz_t f;
    mpz_init(f);
    mpz_fdiv_q(f, x.numerator(), x.denominator());
    mpz_t one;
    mpz_init_set_ui(one, 1);
    Rational r = Rational::from_integers(f, one);
    mpz_clear(f);
    mpz_clear(one);
    return r;
}

Rational abs(const Rational& x) { return x.sign() < 0 ? -x : x; }

}  // namespace sparsecert
