#include "sparsecert/construction/targets.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <gmp.h>
#include <mpfr.h>

namespace sparsecert {

namespace {

// sin(x) rounded to the nearest multiple of 2^-bits. MPFR at 128 bits is accurate to far below
// 2^-100 here (|x| is at most a few units), so the result is within 2^-(bits+1) + 2^-100 of sin(x).
Rational sin_rounded(const Rational& x, long bits) {
    mpfr_t v;
    mpfr_init2(v, 128);
    mpfr_set_q(v, x.get(), MPFR_RNDN);
    mpfr_sin(v, v, MPFR_RNDN);
    mpfr_mul_2si(v, v, bits, MPFR_RNDN);  // exact: a change of exponent
    mpz_t num, den;
    mpz_init(num);
    mpz_init(den);
    mpfr_get_z(num, v, MPFR_RNDN);
    mpz_ui_pow_ui(den, 2, static_cast<unsigned long>(bits));
    Rational r = Rational::from_integers(num, den);
    mpz_clear(num);
    mpz_clear(den);
    mpfr_clear(v);
    return r;
}

// Weights of the sin mixture: w[k][j] = 1 / (1 + |j - k|).
Rational mixture_weight(std::uint32_t k, std::uint32_t j) {
    const long long dist = k > j ? k - j : j - k;
    return Rational(1, 1 + dist);
}

constexpr long sin_bits = 40;

}  // namespace

std::vector<std::string> target_names() { return {"token", "mean", "max", "next", "sin"}; }

Target make_target(std::string_view name, std::uint32_t d, std::uint32_t n) {
    Target t;
    t.name = std::string(name);
    if (name == "token") {
        // A per-token map that mixes the rows of the token: (x_i + x_{i+1}^2) / 2.
        t.formula = "f(X)[i][k] = (X[i][k] + X[(i+1) mod d][k]^2) / 2 (per token)";
        t.lipschitz = Rational(3, 2);  // |d/dx| <= 1/2 + 2x/2 <= 3/2 summed over the two entries
        t.at = [d, n](const Matrix& x) {
            Matrix y(d, n);
            for (std::uint32_t i = 0; i < d; ++i)
                for (std::uint32_t k = 0; k < n; ++k) {
                    const Rational& b = x.at((i + 1) % d, k);
                    y.at(i, k) = (x.at(i, k) + b * b) / Rational(2);
                }
            return y;
        };
    } else if (name == "mean") {
        t.formula = "f(X)[i][k] = (1/n) sum over j of X[i][j] (every token gets the mean)";
        t.lipschitz = 1;
        t.at = [d, n](const Matrix& x) {
            Matrix y(d, n);
            for (std::uint32_t i = 0; i < d; ++i) {
                Rational s;
                for (std::uint32_t j = 0; j < n; ++j) s += x.at(i, j);
                s /= Rational(n);
                for (std::uint32_t k = 0; k < n; ++k) y.at(i, k) = s;
            }
            return y;
        };
    } else if (name == "max") {
        t.formula = "f(X)[i][k] = max over j of X[i][j] (every token gets the maximum)";
        t.lipschitz = 1;
        t.at = [d, n](const Matrix& x) {
            Matrix y(d, n);
            for (std::uint32_t i = 0; i < d; ++i) {
                Rational m = x.at(i, 0);
                for (std::uint32_t j = 1; j < n; ++j) m = std::max(m, x.at(i, j));
                for (std::uint32_t k = 0; k < n; ++k) y.at(i, k) = m;
            }
            return y;
        };
    } else if (name == "next") {
        t.formula = "f(X)[i][k] = X[i][(k+1) mod n] (output k depends on token k+1 only)";
        t.lipschitz = 1;
        t.at = [d, n](const Matrix& x) {
            Matrix y(d, n);
            for (std::uint32_t i = 0; i < d; ++i)
                for (std::uint32_t k = 0; k < n; ++k) y.at(i, k) = x.at(i, (k + 1) % n);
            return y;
        };
    } else if (name == "sin") {
        t.formula = fmt::format(
            "f(X)[i][k] = sin(2 sum over j of X[i][j] / (1 + |j - k|)), rounded to a multiple of 2^-{}", sin_bits);
        Rational worst;
        for (std::uint32_t k = 0; k < n; ++k) {
            Rational row;
            for (std::uint32_t j = 0; j < n; ++j) row += mixture_weight(k, j);
            worst = std::max(worst, row);
        }
        t.lipschitz = Rational(2) * worst;  // |sin'| <= 1
        t.exact = false;
        // Rounding to the nearest multiple of 2^-40 (error <= 2^-41) plus MPFR's error (< 2^-100).
        t.tolerance = Rational(1, 1LL << sin_bits);
        t.at = [d, n](const Matrix& x) {
            Matrix y(d, n);
            for (std::uint32_t i = 0; i < d; ++i)
                for (std::uint32_t k = 0; k < n; ++k) {
                    Rational s;
                    for (std::uint32_t j = 0; j < n; ++j) s += mixture_weight(k, j) * x.at(i, j);
                    y.at(i, k) = sin_rounded(Rational(2) * s, sin_bits);
                }
            return y;
        };
    } else {
        std::string names;
        for (const auto& s : target_names()) names += (names.empty() ? "" : ", ") + s;
        throw std::invalid_argument("unknown target '" + std::string(name) + "' (known: " + names + ")");
    }
    return t;
}

Matrix cube_centre_value(const Target& target, const Matrix& corner, std::uint32_t m) {
    Matrix centre = corner;
    const Rational half(1, 2LL * m);
    for (auto& e : centre.entries) e += half;
    return target.at(centre);
}

Rational approximation_bound(const Target& target, std::uint32_t m) {
    return target.lipschitz * Rational(1, 2LL * m) + target.tolerance;
}

}  // namespace sparsecert
