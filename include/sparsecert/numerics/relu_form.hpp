// Step 3 of the proof (docs/theory.md section 4): every activation phi of the class Phi becomes a sum of
// at most four ReLUs that agrees with phi outside at most two intervals of width epsilon. This is
// why the real network g has hidden width 4 (ST^{2,1,4}).
//
// The form, with phi's pieces (b1 for t < c1; a2 t + b2 on [c1, c2); a3 t + b3 for t >= c2), is
// anchored at a constant piece of phi (the class Phi guarantees one), value b:
//     f_eps(t) = b + sum_i coef_i ReLU(sign_i (t - knot_i)),
// with ReLU(t - knot) terms for the breakpoints to the right of the anchor and ReLU(knot - t) terms
// for those to the left, so that every term vanishes on the anchor piece. At a breakpoint c where
// phi is continuous one ReLU reproduces the kink exactly (no ramp); where phi jumps, f_eps follows a
// straight ramp on [c - epsilon, c) from the left piece's value at c - epsilon to the right piece's
// value at c (two ReLUs). Hence f_eps(t) = phi(t) for every t outside the ramps, including t = c
// itself (phi's pieces are closed on the left), and at most 2 x 2 = 4 ReLUs.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "sparsecert/construction/network.hpp"
#include "sparsecert/construction/rational.hpp"

namespace sparsecert {

struct ReluTerm {
    int sign = 1;   // +1: ReLU(t - knot); -1: ReLU(knot - t)
    Rational knot;
    Rational coef;
    friend bool operator==(const ReluTerm&, const ReluTerm&) = default;
};

struct ReluActivation {
    Rational constant;                                  // the anchor piece's value
    std::vector<ReluTerm> terms;                        // at most 4
    std::vector<std::pair<Rational, Rational>> ramps;   // [lo, hi): where f_eps may differ from phi

    // f_eps(t), exactly.
    Rational operator()(const Rational& t) const;
    // When f_eps is zero outside one bounded interval [lo, hi) (a "window": constant 0, and the
    // terms cancel to the right of the last knot), that interval; used by the indexed kernel.
    bool window(Rational& lo, Rational& hi) const;
    friend bool operator==(const ReluActivation&, const ReluActivation&) = default;
};

// The four-ReLU form of phi with ramps of width `width`. Throws std::invalid_argument when phi is
// not in the class Phi or when width is not in (0, smallest distance between two breakpoints).
ReluActivation relu_form(const Phi& phi, const Rational& width);

// Whether f_eps equals phi at every real t outside the ramps, decided exactly: both are affine
// between consecutive points of {breakpoints, knots, ramp ends}, so they agree on such an open
// interval iff they agree at two of its points, and at the points themselves iff they agree there.
// Returns an empty string when they agree, else the first t where they differ (as "t: phi = a,
// f_eps = b").
std::string relu_form_disagreement(const Phi& phi, const ReluActivation& form);

}  // namespace sparsecert
