// The four-ReLU form of an activation of the class Phi (docs/theory.md section 4, Step 3: each phi in
// Phi is replaced "by four ReLUs that agree with it outside two intervals of width epsilon", which
// is why the final network is in ST^{2,1,4}, hidden width 4; Step 3 of the proofs in Yun et al.,
// ICLR 2020, arXiv:1912.10077, and NeurIPS 2020, arXiv:2006.04862). The formula below is this
// file's own derivation of that form, written out so that it can be proved.
//
// phi has at most three pieces P_0, P_1, P_2 (P_i(t) = s_i t + b_i on [c_{i-1}, c_i)) and at least
// one constant piece P_a. Anchor the form at that constant b_a and add, for every breakpoint c
// between P_i and P_{i+1}, two ReLUs that switch the function from one piece to the next over an
// interval of width epsilon just left of c. With the jump J = P_{i+1}(c) - P_i(c) and the slope
// change D = s_{i+1} - s_i:
//
//   breakpoint right of the anchor (i >= a):  (J/eps) ReLU(t - c + eps) + (D - J/eps) ReLU(t - c)
//       is 0 for t <= c - eps and J + D (t - c) = P_{i+1}(t) - P_i(t) for t >= c;
//   breakpoint left of the anchor (i < a):   (D - J/eps) ReLU(c - t) + (J/eps) ReLU(c - eps - t)
//       is 0 for t >= c and -J - D (t - c) = P_i(t) - P_{i+1}(t) for t <= c - eps.
//
// Summing, form(t) = phi(t) for every t outside the open intervals (c_i - eps, c_i), one per
// breakpoint (at most two), provided 0 < eps < the smallest gap between breakpoints: that the
// small intervals are the only difference is the claim of the `relu/...` proof obligations
// (docs/prove.md), checked over every real t by Z3 and cvc5. The anchor needs a constant piece:
// a linear anchor s t + b would need two more ReLUs (t = ReLU(t) - ReLU(-t)).
//
// relu_form.hpp builds the form the real network g uses (sparsecert approximate); this one is the
// form whose agreement the obligations state.
#pragma once

#include <array>
#include <utility>
#include <vector>

#include "sparsecert/construction/network.hpp"
#include "sparsecert/construction/rational.hpp"

namespace sparsecert {

// coefficient * ReLU(direction * (t - point)), direction +1 or -1.
struct ReluUnit {
    Rational coefficient;
    int direction = 1;
    Rational point;
    friend bool operator==(const ReluUnit&, const ReluUnit&) = default;
};

struct ReluForm {
    Rational bias;                     // the constant piece the form is anchored at
    std::array<ReluUnit, 4> units;     // two per breakpoint; unused units have coefficient 0
    Rational epsilon;
    // The open intervals (c_i - eps, c_i) where the form may differ from phi, in increasing order.
    std::vector<std::pair<Rational, Rational>> error_intervals;

    Rational operator()(const Rational& t) const;
};

// The form of `phi`; throws std::invalid_argument when phi is not in Phi (phi_problem), has no
// constant piece, or eps is not in (0, smallest gap between breakpoints).
ReluForm four_relu_form(const Phi& phi, const Rational& epsilon);

}  // namespace sparsecert
