// The real network g and the measured error budget (issue 5): the four-ReLU form, the kernels,
// Assumption 2 at the computed temperatures, the error falling with t, and the command.
#include <catch2/catch.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "sparsecert/construction.hpp"
#include "sparsecert/contextual_mapping.hpp"
#include "sparsecert/error_budget.hpp"
#include "sparsecert/families.hpp"
#include "sparsecert/relu_form.hpp"
#include "sparsecert/softmax_kernel.hpp"
#include "sparsecert/softmax_network.hpp"
#include "sparsecert/targets.hpp"

using namespace sparsecert;

namespace {

Pattern star_pattern(token_t n) {
    Pattern p;
    p.name = "star";
    p.n = n;
    p.layers.push_back(families::star(n, n - 1, false));
    return p;
}

Pattern window_pattern(token_t n, token_t w) {
    Pattern p;
    p.name = "sliding window";
    p.n = n;
    p.layers.push_back(families::sliding_window(n, w, w));
    return p;
}

// g_bar for every grid input (value mapping included), checked.
ConstructReport checked(const Pattern& p, std::uint32_t d, std::uint32_t m, const std::string& target) {
    ConstructionOptions o;
    o.d = d;
    o.m = m;
    const Applicability a = check_applicability(p, o);
    Construction c = build_contextual_mapping(p, a.path, a.s, o);
    ConstructReport rep = check_construction(std::move(c), p, make_target(target, d, p.n));
    REQUIRE(rep.holds());
    REQUIRE(rep.contextual_mapping.exhaustive);
    return rep;
}

Phi make_phi(std::vector<Rational> breaks, std::vector<LinearPiece> pieces) {
    Phi phi;
    phi.breakpoints = std::move(breaks);
    phi.pieces = std::move(pieces);
    return phi;
}

}  // namespace

TEST_CASE("approximate: the four-ReLU form equals phi outside the two ramps (exact)", "[approximate]") {
    const Rational width(1, 1 << 20);
    SECTION("every activation of a constructed g_bar (quantization, sentinel, preparation, value mapping)") {
        for (std::uint32_t d : {1u, 2u}) {
            const auto rep = checked(star_pattern(3), d, 3, "mean");
            std::size_t layers = 0, with_ramps = 0;
            for (const auto& layer : rep.construction.network.layers) {
                const auto* ff = std::get_if<FeedForward>(&layer.op);
                if (!ff) continue;
                const ReluActivation f = relu_form(ff->phi, width);
                INFO("d = " << d << ", layer stage " << stage_name(layer.stage));
                CHECK(relu_form_disagreement(ff->phi, f).empty());
                CHECK(f.terms.size() <= 4);
                CHECK(f.ramps.size() <= 2);
                for (const auto& [lo, hi] : f.ramps) CHECK(hi - lo == width);
                with_ramps += f.ramps.empty() ? 0 : 1;
                ++layers;
            }
            CHECK(layers == rep.construction.quantization.size() + rep.construction.preparation.size() +
                                rep.construction.value_mapping.size());
            CHECK(with_ramps > 0);
        }
    }
    SECTION("shapes the construction does not use: outer pieces sloped, the constant piece in the middle or last") {
        const std::vector<Phi> phis = {
            // constant in the middle, jumps at both ends (the sentinel layer's shape)
            make_phi({Rational(0), Rational(5)}, {{Rational(-1), Rational(9)}, {Rational(0), Rational(0)}, {Rational(-1), Rational(9)}}),
            // constant last, a continuous kink and a jump
            make_phi({Rational(-2), Rational(1, 3)}, {{Rational(3), Rational(1)}, {Rational(-2), Rational(-9)}, {Rational(0), Rational(7, 2)}}),
            // constant first, one jump
            make_phi({Rational(1)}, {{Rational(0), Rational(2)}, {Rational(5), Rational(-1)}}),
            // a ReLU itself: continuous, so exact (no ramp)
            make_phi({Rational(0)}, {{Rational(0), Rational(0)}, {Rational(1), Rational(0)}}),
            // constant only
            make_phi({}, {{Rational(0), Rational(4)}}),
        };
        for (const auto& phi : phis) {
            const ReluActivation f = relu_form(phi, width);
            CHECK(relu_form_disagreement(phi, f).empty());
            CHECK(f.terms.size() <= 4);
            // Inside a ramp (where phi jumps) the form differs from phi: the ramps are needed.
            for (const auto& [lo, hi] : f.ramps) CHECK(f((lo + hi) / Rational(2)) != phi((lo + hi) / Rational(2)));
        }
        CHECK(relu_form(phis[3], width).ramps.empty());
        CHECK(relu_form(phis[3], width).terms.size() == 1);
    }
    SECTION("the check can fail") {
        const Phi phi = make_phi({Rational(0), Rational(1)}, {{Rational(0), Rational(0)}, {Rational(-1), Rational(0)}, {Rational(0), Rational(0)}});
        ReluActivation f = relu_form(phi, width);
        CHECK(relu_form_disagreement(phi, f).empty());
        f.terms.back().coef += Rational(1, 1000);
        CHECK_FALSE(relu_form_disagreement(phi, f).empty());
        CHECK_THROWS_AS(relu_form(phi, Rational(1)), std::invalid_argument);  // ramps would overlap
        CHECK_THROWS_AS(relu_form(phi, Rational(0)), std::invalid_argument);
    }
}

TEST_CASE("approximate: the MPFR and exact evaluators agree on the hardmax network", "[approximate]") {
    for (const auto& [pattern, m] : {std::pair{star_pattern(3), 4u}, std::pair{window_pattern(4, 1), 2u}}) {
        const auto rep = checked(pattern, 1, m, "sin");
        const Construction& c = rep.construction;
        const NetworkEvaluator exact(c.network, pattern, Evaluator::plain);
        KernelOptions plain{RealArithmetic::mpfr, 512, false}, indexed{RealArithmetic::mpfr, 512, true};
        const RealEvaluator mp_plain(c.network, pattern, plain), mp_indexed(c.network, pattern, indexed);
        CHECK(mp_indexed.window_runs() == 1);
        std::uint64_t count = 1;
        for (std::uint32_t e = 0; e < c.n; ++e) count *= m;
        // With m a power of two every constant is dyadic and 512 bits hold every number exactly:
        // the outputs must be identical, at every stage boundary.
        for (std::uint64_t i = 0; i < count; i += 3) {
            const Matrix x = grid_input(i, 1, c.n, m);
            for (std::size_t last : {c.quantization.last, c.sweep.last, c.all_max.last, c.network.layers.size()}) {
                INFO("input " << i << ", layers [0, " << last << ")");
                const Matrix want = exact(x, last);
                CHECK(mp_plain(x, last) == want);
                CHECK(mp_indexed(x, last) == want);
            }
        }
        // Inside the cubes, dyadic points: the same.
        for (long long k : {1LL, 5LL, 77LL}) {
            Matrix x(1, c.n);
            for (std::uint32_t j = 0; j < c.n; ++j) x.at(0, j) = Rational((k * (j + 3)) % 1024, 1024);
            CHECK(mp_indexed(x) == exact(x));
        }
    }
    SECTION("a non-dyadic grid: equal up to rounding, away from the cell boundaries") {
        // At a grid corner of a non-dyadic grid, rounding the corner may move it below the cell
        // boundary, where phi jumps: the hardmax network is discontinuous there. Cube centres are
        // delta/2 from every boundary.
        const Pattern pattern = star_pattern(3);
        const auto rep = checked(pattern, 1, 3, "mean");
        const NetworkEvaluator exact(rep.construction.network, pattern, Evaluator::indexed);
        const RealEvaluator mp(rep.construction.network, pattern, {RealArithmetic::mpfr, 256, true});
        for (std::uint64_t i = 0; i < 27; ++i) {
            Matrix x = grid_input(i, 1, 3, 3);
            for (auto& v : x.entries) v += Rational(1, 6);
            const Matrix a = exact(x), b = mp(x);
            for (std::size_t e = 0; e < a.entries.size(); ++e)
                CHECK(abs(a.entries[e] - b.entries[e]) < Rational(1, 1LL << 60));
        }
    }
}

TEST_CASE("approximate: softmax at the computed temperatures meets Assumption 2 on the measured margins", "[approximate]") {
    const Pattern pattern = star_pattern(3);
    const auto rep = checked(pattern, 1, 3, "mean");
    const Construction& c = rep.construction;
    const Target target = make_target("mean", 1, 3);
    const GridMeasurement grid = measure_grid(c, pattern, target, 100000);
    CHECK(grid.inputs == 27);
    const ErrorBudget budget = plan_budget(c, target, grid, {});
    REQUIRE(budget.temperatures.size() == grid.attention.size());
    // The selective shift's margin is at least (delta/2) delta (docs/construction.md), the all-max
    // stage's at least delta.
    for (const auto& am : grid.attention) {
        REQUIRE(am.competition);
        if (am.stage == Stage::selective_shift) CHECK(am.margin >= Rational(1, 2 * 3 * 3));
        if (am.stage == Stage::all_max_shift) CHECK(am.margin >= Rational(1, 3));
    }
    std::vector<Rational> temps;
    for (const auto& lt : budget.temperatures) temps.push_back(lt.temperature);
    const auto mass = off_winner_mass(c, pattern, temps);
    REQUIRE(mass.size() == temps.size());
    for (std::size_t a = 0; a < mass.size(); ++a) {
        INFO("attention layer " << grid.attention[a].layer << ": mass " << double(mass[a]) << ", eta " << double(budget.eta));
        CHECK(mass[a] <= budget.eta);
    }
    // Below the computed temperatures the bound fails somewhere: the margins are tight enough to
    // matter.
    std::vector<Rational> low;
    for (const auto& t : temps) low.push_back(t / Rational(8));
    const auto low_mass = off_winner_mass(c, pattern, low);
    CHECK(*std::max_element(low_mass.begin(), low_mass.end()) > budget.eta);
}
