#include "sparsecert/numerics/four_relu_form.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace sparsecert {

Rational ReluForm::operator()(const Rational& t) const {
    Rational sum = bias;
    for (const auto& unit : units) {
        if (unit.coefficient.is_zero()) continue;
        const Rational z = unit.direction > 0 ? t - unit.point : unit.point - t;
        if (z.sign() > 0) sum += unit.coefficient * z;
    }
    return sum;
}

ReluForm four_relu_form(const Phi& phi, const Rational& epsilon) {
    if (const std::string problem = phi_problem(phi); !problem.empty())
        throw std::invalid_argument("four_relu_form: " + problem);
    std::size_t anchor = phi.pieces.size();
    for (std::size_t i = 0; i < phi.pieces.size() && anchor == phi.pieces.size(); ++i)
        if (phi.pieces[i].slope.is_zero()) anchor = i;
    if (anchor == phi.pieces.size())
        throw std::invalid_argument("four_relu_form: phi has no constant piece to anchor the form at");
    if (epsilon.sign() <= 0) throw std::invalid_argument("four_relu_form: epsilon must be positive");
    for (std::size_t i = 1; i < phi.breakpoints.size(); ++i)
        if (!(epsilon < phi.breakpoints[i] - phi.breakpoints[i - 1]))
            throw std::invalid_argument(fmt::format("four_relu_form: epsilon = {} is not below the gap {} between "
                                                    "the breakpoints {} and {}",
                                                    epsilon.str(), (phi.breakpoints[i] - phi.breakpoints[i - 1]).str(),
                                                    phi.breakpoints[i - 1].str(), phi.breakpoints[i].str()));
    ReluForm form;
    form.epsilon = epsilon;
    form.bias = phi.pieces[anchor].intercept;
    for (std::size_t i = 0; i < phi.breakpoints.size(); ++i) {
        const Rational& c = phi.breakpoints[i];
        const LinearPiece &left = phi.pieces[i], &right = phi.pieces[i + 1];
        const Rational jump = (right.slope * c + right.intercept) - (left.slope * c + left.intercept);
        const Rational slope_change = right.slope - left.slope;
        const Rational ramp = jump / epsilon;
        if (i >= anchor) {
            // Right of the anchor: 0 up to c - eps, P_{i+1} - P_i from c on.
            form.units[2 * i] = {ramp, 1, c - epsilon};
            form.units[2 * i + 1] = {slope_change - ramp, 1, c};
        } else {
            // Left of the anchor: 0 from c on, P_i - P_{i+1} up to c - eps.
            form.units[2 * i] = {slope_change - ramp, -1, c};
            form.units[2 * i + 1] = {ramp, -1, c - epsilon};
        }
        form.error_intervals.emplace_back(c - epsilon, c);
    }
    return form;
}

}  // namespace sparsecert
