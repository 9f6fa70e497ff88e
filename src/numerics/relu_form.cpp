#include "sparsecert/numerics/relu_form.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace sparsecert {

namespace {

Rational piece_value(const LinearPiece& p, const Rational& t) { return p.slope * t + p.intercept; }

}  // namespace

Rational ReluActivation::operator()(const Rational& t) const {
    Rational y = constant;
    for (const auto& term : terms) {
        const Rational z = term.sign > 0 ? t - term.knot : term.knot - t;
        if (z.sign() > 0) y += term.coef * z;
    }
    return y;
}

bool ReluActivation::window(Rational& lo, Rational& hi) const {
    if (!constant.is_zero() || terms.empty()) return false;
    // Zero to the left of every knot: only ReLU(t - knot) terms.
    Rational slope, offset;
    for (const auto& term : terms) {
        if (term.sign < 0) return false;
        slope += term.coef;
        offset -= term.coef * term.knot;
    }
    // To the right of the last knot f = slope t + offset: zero iff both vanish.
    if (!slope.is_zero() || !offset.is_zero()) return false;
    lo = terms.front().knot;
    hi = terms.front().knot;
    for (const auto& term : terms) {
        lo = std::min(lo, term.knot);
        hi = std::max(hi, term.knot);
    }
    return true;
}

ReluActivation relu_form(const Phi& phi, const Rational& width) {
    if (auto why = phi_problem(phi); !why.empty()) throw std::invalid_argument("relu_form: phi: " + why);
    if (width.sign() <= 0) throw std::invalid_argument("relu_form: the ramp width must be positive");
    const auto& c = phi.breakpoints;
    for (std::size_t i = 1; i < c.size(); ++i)
        if (!(width < c[i] - c[i - 1]))
            throw std::invalid_argument(fmt::format("relu_form: ramp width {} is not below the distance {} between "
                                                    "the breakpoints (the ramps would overlap)",
                                                    width.str(), (c[i] - c[i - 1]).str()));
    // The anchor: the first constant piece.
    std::size_t anchor = 0;
    while (!phi.pieces[anchor].slope.is_zero()) ++anchor;
    ReluActivation f;
    f.constant = phi.pieces[anchor].intercept;
    // One breakpoint: piece i-1 on the left of c[i-1], piece i on the right. Kinks at `knot` with
    // slope s_left on the left and s_right on the right need coef = s_right - s_left, whichever way
    // the ReLU faces (ReLU(t - k) adds coef to the slope right of k; ReLU(k - t) subtracts coef
    // from the slope left of k).
    auto add = [&](int sign, const Rational& knot, const Rational& s_left, const Rational& s_right) {
        const Rational coef = s_right - s_left;
        if (!coef.is_zero()) f.terms.push_back({sign, knot, coef});
    };
    for (std::size_t b = 0; b < c.size(); ++b) {
        const LinearPiece& left = phi.pieces[b];
        const LinearPiece& right = phi.pieces[b + 1];
        const int sign = b >= anchor ? +1 : -1;  // breakpoint b lies right of the anchor iff b >= anchor
        const Rational at_c_left = piece_value(left, c[b]), at_c_right = piece_value(right, c[b]);
        if (at_c_left == at_c_right) {
            add(sign, c[b], left.slope, right.slope);  // continuous: one exact kink
            continue;
        }
        // A jump: the ramp on [c - width, c) from left(c - width) to right(c).
        const Rational start = c[b] - width;
        const Rational ramp_slope = (at_c_right - piece_value(left, start)) / width;
        add(sign, start, left.slope, ramp_slope);
        add(sign, c[b], ramp_slope, right.slope);
        f.ramps.emplace_back(start, c[b]);
    }
    // Right-facing terms in increasing knot order, left-facing ones after (order is cosmetic).
    std::stable_sort(f.terms.begin(), f.terms.end(), [](const ReluTerm& a, const ReluTerm& b) {
        if (a.sign != b.sign) return a.sign > b.sign;
        return a.knot < b.knot;
    });
    return f;
}

std::string relu_form_disagreement(const Phi& phi, const ReluActivation& form) {
    std::vector<Rational> points = phi.breakpoints;
    for (const auto& t : form.terms) points.push_back(t.knot);
    for (const auto& [lo, hi] : form.ramps) {
        points.push_back(lo);
        points.push_back(hi);
    }
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    auto in_ramp = [&](const Rational& t) {
        for (const auto& [lo, hi] : form.ramps)
            if (lo <= t && t < hi) return true;
        return false;
    };
    auto differs = [&](const Rational& t) -> std::string {
        if (in_ramp(t)) return {};
        const Rational a = phi(t), b = form(t);
        if (a == b) return {};
        return fmt::format("{}: phi = {}, f_eps = {}", t.str(), a.str(), b.str());
    };
    // Test points: every critical point, two points inside every gap between consecutive critical
    // points (both functions are affine there, and a gap is either inside a ramp or outside every
    // ramp), and two points beyond each end.
    std::vector<Rational> tests;
    if (points.empty()) {
        tests = {Rational(-1), Rational(0), Rational(1)};
    } else {
        tests.push_back(points.front() - Rational(1));
        tests.push_back(points.front() - Rational(2));
        for (std::size_t i = 0; i < points.size(); ++i) {
            tests.push_back(points[i]);
            if (i + 1 < points.size()) {
                const Rational gap = points[i + 1] - points[i];
                tests.push_back(points[i] + gap / Rational(3));
                tests.push_back(points[i] + gap * Rational(2) / Rational(3));
            }
        }
        tests.push_back(points.back() + Rational(1));
        tests.push_back(points.back() + Rational(2));
    }
    for (const auto& t : tests)
        if (auto why = differs(t); !why.empty()) return why;
    return {};
}

}  // namespace sparsecert
