// Target functions f: [0,1)^{d x n} -> R^{d x n} for the construction (docs/theory.md section 4, Step 1),
// each with a Lipschitz constant, selected by name.
//
// The network reproduces f_bar, the function that is constant on every grid cube and equals f at
// the cube's centre. A target's values at the centres are exact rationals when the formula is
// rational (token, mean, max, next); `sin` is evaluated with MPFR at 128 bits and rounded to the
// nearest multiple of 2^-40, so the stored f_bar is within `tolerance` of the true value.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sparsecert/construction/network.hpp"
#include "sparsecert/construction/rational.hpp"

namespace sparsecert {

struct Target {
    std::string name;
    std::string formula;   // for humans, e.g. "f(X)[i][k] = mean over j of X[i][j]"
    // Entry-wise, sup-norm Lipschitz constant (an exact upper bound):
    // |f(X)[i][k] - f(Y)[i][k]| <= lipschitz * max |X - Y| for all X, Y in [0,1]^{d x n}.
    Rational lipschitz;
    bool exact = true;     // false: the values are rounded (to within `tolerance`)
    Rational tolerance;    // |value returned - f| <= tolerance; 0 when exact
    // The value at a point (thread-safe).
    std::function<Matrix(const Matrix&)> at;
};

// The names make_target accepts, in a fixed order.
std::vector<std::string> target_names();

// Throws std::invalid_argument (listing the names) for an unknown name.
Target make_target(std::string_view name, std::uint32_t d, std::uint32_t n);

// f_bar on the cube whose lower corner is `corner` (grid values a/m): f at corner + 1/(2m).
Matrix cube_centre_value(const Target& target, const Matrix& corner, std::uint32_t m);

// sup |f - f_bar| per entry over [0,1)^{d x n}: lipschitz * delta / 2 (the centre is within delta/2
// of every point of its cube in every entry) plus the rounding tolerance.
Rational approximation_bound(const Target& target, std::uint32_t m);

}  // namespace sparsecert
