// The real network g and the measured error budget (docs/approximate.md): the four-ReLU form, the kernels,
// Assumption 2 at the computed temperatures, the error falling with t, and the command.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "sparsecert/numerics/approximation.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/contextual_mapping.hpp"
#include "sparsecert/numerics/error_budget.hpp"
#include "sparsecert/pattern/families.hpp"
#include "sparsecert/numerics/relu_form.hpp"
#include "sparsecert/numerics/softmax_kernel.hpp"
#include "sparsecert/numerics/softmax_network.hpp"
#include "sparsecert/construction/targets.hpp"

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
    SECTION("d = 2 (the preparation writes the code into row 0)") {
        const Pattern pattern = star_pattern(3);
        const auto rep = checked(pattern, 2, 2, "token");
        const NetworkEvaluator exact(rep.construction.network, pattern, Evaluator::indexed);
        const RealEvaluator mp(rep.construction.network, pattern, {RealArithmetic::mpfr, 512, true});
        for (std::uint64_t i = 0; i < 64; i += 5) {
            const Matrix x = grid_input(i, 2, 3, 2);
            CHECK(mp(x) == exact(x));
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

TEST_CASE("approximate: the sparse softmax kernel computes rho[t v] over the attended set only", "[approximate]") {
    // One attention layer over a pattern where token k attends to {k, k+1 mod n} and token 0 also
    // to 2: the kernel must weigh exactly those tokens (a dense kernel would differ).
    Pattern pattern;
    pattern.name = "pairs";
    pattern.n = 4;
    pattern.layers.push_back(layer_from_rows({{0, 1, 2}, {1, 2}, {2, 3}, {3, 0}}));
    SoftmaxNetwork g;
    g.d = 2;
    g.n = 4;
    g.p = 1;
    g.embedding = Matrix(2, 4);
    g.relu_width = Rational(1, 1024);
    SoftmaxAttention att;
    att.pattern = 0;
    att.temperature = Rational(3, 2);
    att.heads[0] = {{Rational(1), Rational(0)}, Rational(-1, 2), {Rational(1), Rational(1)}, {Rational(0), Rational(1)}, {Rational(2), Rational(0)}};
    att.heads[1] = {{Rational(0), Rational(1)}, Rational(0), {Rational(1), Rational(0)}, {Rational(1), Rational(0)}, {Rational(0), Rational(-1)}};
    g.layers.push_back({Stage::other, att});
    const STClass st = st_class(g, pattern);
    CHECK(st.problem.empty());
    CHECK(st.heads == 2);
    CHECK(st.head_size == 1);
    Matrix x(2, 4);
    const double raw[2][4] = {{0.25, 0.5, -0.75, 1.0}, {0.125, -0.5, 0.375, 0.0}};
    for (int i = 0; i < 2; ++i)
        for (int k = 0; k < 4; ++k) x.at(i, k) = Rational(static_cast<long long>(raw[i][k] * 1024), 1024);
    // The reference, by hand in long double.
    std::vector<std::vector<int>> rows = {{0, 1, 2}, {1, 2}, {2, 3}, {3, 0}};
    long double want[2][4] = {};
    for (int k = 0; k < 4; ++k) {
        for (int h = 0; h < 2; ++h) {
            const auto& H = att.heads[h];
            auto dot = [&](const std::vector<Rational>& w, int j) {
                return (long double)(w[0].to_double() * raw[0][j] + w[1].to_double() * raw[1][j]);
            };
            const long double q = dot(H.query, k) + H.query_bias.to_double();
            long double sum = 0, acc = 0;
            for (int j : rows[k]) {
                const long double w = std::exp(1.5L * q * dot(H.key, j));
                sum += w;
                acc += w * dot(H.value, j);
            }
            for (int i = 0; i < 2; ++i) want[i][k] += H.out[i].to_double() * acc / sum;
        }
        for (int i = 0; i < 2; ++i) want[i][k] += raw[i][k];
    }
    for (auto arith : {RealArithmetic::mpfr, RealArithmetic::binary64}) {
        const RealEvaluator eval(g, pattern, {arith, 200, true});
        const Matrix y = eval(x);
        for (int i = 0; i < 2; ++i)
            for (int k = 0; k < 4; ++k) CHECK(std::fabs((long double)y.at(i, k).to_double() - want[i][k]) < 1e-12L);
    }
}

TEST_CASE("approximate: the ST block matrices of a four-ReLU layer are the same map", "[approximate]") {
    const auto rep = checked(star_pattern(3), 2, 2, "token");
    std::size_t checked_layers = 0;
    for (const auto& layer : rep.construction.network.layers) {
        const auto* ff = std::get_if<FeedForward>(&layer.op);
        if (!ff) continue;
        const ReluFeedForward rf{ff->w1, ff->b1, relu_form(ff->phi, Rational(1, 64)), ff->w2};
        const ReluBlock b = st_block(rf);
        CHECK(b.w1.size() <= 4);
        for (long long a : {-37LL, 0LL, 5LL, 19LL, 64LL, 300LL, 1000LL}) {
            std::vector<Rational> x = {Rational(a, 16), Rational(a * 3 + 1, 32)};
            // x + W2 ReLU(W1 x + b1) + b2
            std::vector<Rational> block = x;
            for (std::size_t i = 0; i < 2; ++i) block[i] += b.b2[i];
            for (std::size_t r = 0; r < b.w1.size(); ++r) {
                Rational h = b.b1[r];
                for (std::size_t j = 0; j < 2; ++j) h += b.w1[r][j] * x[j];
                if (h.sign() <= 0) continue;
                for (std::size_t i = 0; i < 2; ++i) block[i] += b.w2[i][r] * h;
            }
            // x + w2 f_eps(w1 . x + b1)
            const Rational y = rf.activation(rf.w1[0] * x[0] + rf.w1[1] * x[1] + rf.b1);
            for (std::size_t i = 0; i < 2; ++i) CHECK(block[i] == x[i] + rf.w2[i] * y);
        }
        ++checked_layers;
    }
    CHECK(checked_layers > 10);
}

TEST_CASE("approximate: Monte Carlo estimates of d_q and their intervals", "[approximate]") {
    const DqEstimate constant = estimate_dq({4, 4, 4, 4}, 2);
    CHECK(constant.estimate == Approx(2));
    CHECK(constant.ci_low == Approx(2));
    CHECK(constant.ci_high == Approx(2));
    const DqEstimate zero = estimate_dq({0, 0, 0}, 2);
    CHECK(zero.estimate == 0);
    CHECK(zero.ci_high == 0);
    CHECK(zero.nonzero == 0);
    // mean 2, sample variance 8, standard error 2: CI of the mean [0 (clipped), 2 + 1.96 x 2].
    const DqEstimate two = estimate_dq({0, 4}, 1);
    CHECK(two.estimate == Approx(2));
    CHECK(two.standard_error == Approx(2));
    CHECK(two.ci_low == 0);
    CHECK(two.ci_high == Approx(2 + 1.959963984540054 * 2));
    const DqEstimate cube = estimate_dq({8, 8}, 3);
    CHECK(cube.estimate == Approx(2));
}

TEST_CASE("approximate: d_q(g_bar, g) decreases as t grows", "[approximate]") {
    ApproximateOptions o;
    o.d = 1;
    o.m = 2;
    o.target = "max";
    o.samples = 64;
    const std::vector<Rational> scales = {Rational(1, 8), Rational(1, 4), Rational(1, 2), Rational(1), Rational(2)};
    const Sweep sw = sweep_temperature(star_pattern(3), o, scales);
    REQUIRE(sw.rows.size() == scales.size());
    for (std::size_t i = 1; i < sw.rows.size(); ++i) {
        INFO("scale " << sw.rows[i].label << ": Monte Carlo " << double(sw.rows[i].gbar_g.estimate) << ", grid "
                      << double(sw.rows[i].grid_good_dq) << "; previous " << double(sw.rows[i - 1].gbar_g.estimate)
                      << ", " << double(sw.rows[i - 1].grid_good_dq));
        CHECK(sw.rows[i].gbar_g.estimate < sw.rows[i - 1].gbar_g.estimate);
        CHECK(sw.rows[i].grid_good_dq < sw.rows[i - 1].grid_good_dq);
        CHECK(sw.rows[i].min_temperature > sw.rows[i - 1].min_temperature);
    }
    // At the budget's temperatures the good set's share is within eps/3, far below it in fact.
    CHECK(sw.rows[3].grid_good_dq <= sw.rows[3].eps / 3);
    CHECK(sw.rows[3].gbar_g.estimate > 0);
    // The SVG is one self-contained document with a path per series.
    const std::string svg = sweep_svg(sw, "test <&>");
    CHECK(svg.rfind("<svg", 0) == 0);
    CHECK(svg.find("</svg>") != std::string::npos);
    CHECK(svg.find("test &lt;&amp;&gt;") != std::string::npos);
    CHECK(svg.find("d_q(g_bar, g)") != std::string::npos);
}

TEST_CASE("approximate: star and sliding window at small n, every term within its budget", "[approximate]") {
    struct Case {
        Pattern pattern;
        std::uint32_t m;
        std::string target;
    };
    for (const auto& cs : {Case{star_pattern(4), 4, "mean"}, Case{window_pattern(5, 2), 3, "sin"}}) {
        ApproximateOptions o;
        o.d = 1;
        o.m = cs.m;
        o.target = cs.target;
        o.samples = 200;
        o.double_samples = 20;
        o.precision_check_inputs = 16;
        const ApproximateReport r = approximate(cs.pattern, o);
        INFO(describe(r, cs.pattern.name));
        CHECK(r.within_eps());
        CHECK(r.st.member(2, 1, 4));
        CHECK(r.st.hidden_width == 4);
        CHECK(r.fbar_gbar.estimate == 0);
        for (const DqEstimate* e : {&r.f_fbar, &r.fbar_gbar, &r.gbar_g, &r.f_g}) CHECK(e->samples == 200);
        for (const DqEstimate* e : {&r.f_fbar, &r.fbar_gbar}) {
            CHECK(e->ci_low <= e->estimate);
            CHECK(e->estimate <= e->ci_high);
        }
        CHECK(r.f_fbar.ci_high <= r.budget.f_fbar_bound);
        // The verdict rests on the bounds, never on the samples: d_q(f, g) <= the sum of the three.
        CHECK(r.f_g_bound() == r.budget.f_fbar_bound + r.grid_gbar_g_bound);
        CHECK(r.f_g_bound() <= r.budget.eps);
        CHECK(r.grid_gbar_g_bound <= r.budget.term);
        // The ramps carry the bound: the good set's share is far smaller.
        CHECK(r.grid_good_dq < r.grid_gbar_g_bound * 1e-3L);
        CHECK(r.budget.gbar_g_bound <= r.budget.term * (1 + 1e-12L));
        CHECK(r.precision_check_difference <= r.budget.rounding_target);
        // g and g_bar agree to far below the budget on the grid and at the samples (off the ramps).
        CHECK(r.gbar_g.estimate < 1e-6L);
        CHECK(r.grid_good_dq < 1e-6L);
        // The same network in binary64 is useless: the ramps (width 2^-60 and less) and the
        // exponents are below its resolution.
        CHECK(r.binary64_gbar_g.ci_low > r.budget.term);
        // Temperatures: one per attention layer, positive.
        CHECK(r.budget.temperatures.size() == r.st.attention_layers);
        for (const auto& lt : r.budget.temperatures) CHECK(lt.temperature.sign() > 0);
    }
}

namespace {

std::size_t line_count(const std::string& s) { return std::size_t(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("approximate command: output contract", "[approximate][cli]") {
    using sparsecert::testing::run_tool;
    const std::string star = sparsecert::testing::source_path("patterns/star.json");
    const std::string window = sparsecert::testing::source_path("patterns/sliding-window.json");
    SECTION("text: the four terms with their bounds, for star and sliding window") {
        for (const std::string& args : {star + " --n 3 --d 1 --delta 1/3 --target mean --samples 100",
                                        window + " --n 4 --d 1 --delta 1/2 --target sin --samples 100"}) {
            auto r = run_tool("sparsecert", "approximate " + args);
            INFO(args << "\n" << r.err);
            CHECK(r.status == 0);
            for (const char* needle : {"d_q(f, f_bar)", "d_q(f_bar, g_bar)", "d_q(g_bar, g)", "d_q(f, g)", "(off the ramps)",
                                       "first-order", "not interval arithmetic", "ST^{2,1,4}", "precision:",
                                       "verdict: d_q(f, g) <= "})
                CHECK(r.out.find(needle) != std::string::npos);
            // No interval is claimed for the terms the ramps dominate.
            for (const char* line : {"  d_q(g_bar, g) ", "  d_q(f, g) "}) {
                const auto at = r.out.find(std::string("\n") + line);
                REQUIRE(at != std::string::npos);
                CHECK(r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1).find('[') == std::string::npos);
            }
        }
    }
    SECTION("--json keys, deterministic bytes") {
        const std::string args = "approximate " + star + " --n 3 --d 1 --delta 1/2 --target max --samples 50 --seed 7 --json";
        auto r = run_tool("sparsecert", args);
        INFO(r.err);
        REQUIRE(r.status == 0);
        const auto j = nlohmann::json::parse(r.out);
        for (const char* key : {"f_fbar", "fbar_gbar"})
            for (const char* field : {"estimate", "ci_low", "ci_high", "bound"}) CHECK(j["errors"][key][field].is_number());
        for (const char* key : {"gbar_g", "f_g"}) {
            CHECK(j["errors"][key]["sampled_off_ramps"].is_number_float());
            CHECK(j["errors"][key]["bound"].is_number_float());
            CHECK(!j["errors"][key].contains("ci_low"));
            CHECK(!j["errors"][key].contains("estimate"));
        }
        CHECK(j["errors"]["rounding_model"].get<std::string>().find("not interval arithmetic") != std::string::npos);
        CHECK(j["eps"].is_number_float());
        CHECK(j["q"] == 2.0);
        CHECK(j["samples"] == 50);
        CHECK(j["precision_bits"].is_number_integer());
        CHECK(j["temperatures"].is_array());
        CHECK(j["temperatures"].size() == j["network"]["attention_layers"].get<std::size_t>());
        for (const auto& t : j["temperatures"]) CHECK(t.get<double>() > 0);
        CHECK(j["within_eps"] == true);
        CHECK(j["network"]["st_class"]["member_st_2_1_4"] == true);
        CHECK(j.find("timing") == j.end());
        auto again = run_tool("sparsecert", args);
        CHECK(again.out == r.out);
        auto other = run_tool("sparsecert", "approximate " + star + " --n 3 --d 1 --delta 1/2 --target max --samples 50 --seed 8 --json");
        CHECK(other.out != r.out);
    }
    SECTION("--q and --eps") {
        auto r = run_tool("sparsecert", "approximate " + star + " --n 3 --d 1 --delta 1/2 --target mean --samples 50 --q 1 --json");
        REQUIRE(r.status == 0);
        auto j = nlohmann::json::parse(r.out);
        CHECK(j["q"] == 1.0);
        // eps below 3 x the analytic bound of the first term: the proof's budget cannot hold.
        auto tight = run_tool("sparsecert", "approximate " + star + " --n 3 --d 1 --delta 1/2 --target mean --samples 50 --eps 0.01 --json");
        CHECK(tight.status == 1);
        CHECK(nlohmann::json::parse(tight.out)["within_eps"] == false);
    }
    SECTION("--sweep and --plot") {
        const std::string svg = sparsecert::testing::temp_dir() + "/sweep.svg";
        auto r = run_tool("sparsecert", "approximate " + star + " --n 3 --d 1 --delta 1/2 --target max --samples 40 --sweep t=1/4,1/2,1 --plot " + svg + " --json");
        INFO(r.err);
        REQUIRE(r.status == 0);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["sweep"]["parameter"] == "t");
        CHECK(j["sweep"]["rows"].size() == 3);
        const std::string plot = sparsecert::testing::slurp(svg);
        CHECK(plot.find("<svg") != std::string::npos);
        auto d = run_tool("sparsecert", "approximate " + star + " --n 3 --d 1 --delta 1/2 --target max --samples 40 --sweep delta=2,3");
        CHECK(d.status == 0);
        CHECK(d.out.find("sweep over delta") != std::string::npos);
    }
    auto bad = [&](const std::string& args, const std::string& needle) {
        auto r = run_tool("sparsecert", "approximate " + args);
        INFO(args << "\n" << r.err);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(line_count(r.err) == 1);
        CHECK(r.err.find(needle) != std::string::npos);
    };
    SECTION("bad input") {
        bad(star + " --n 3 --d 1 --delta 0.3 --target mean", "sparsecert approximate: --delta:");
        bad(star + " --n 3 --d 1 --delta 1/2 --target nope", "--target");
        bad(star + " --n 3 --d 1 --delta 1/2", "--target");
        bad(star + " --n 3 --d 1 --delta 1/2 --target mean --q 0.5", "--q");
        bad(star + " --n 3 --d 1 --delta 1/2 --target mean --q 100", "--q");
        bad(star + " --n 3 --d 1 --delta 1/2 --target mean --eps -1", "--eps");
        bad(star + " --n 3 --d 1 --delta 1/2 --target mean --samples 1", "--samples");
        bad(star + " --n 3 --d 1 --delta 1/2 --target mean --sweep x", "--sweep");
        bad(star + " --n 3 --d 1 --delta 1/2 --target mean --sweep t=0", "--sweep");
        bad(star + " --n 3 --d 1 --delta 1/2 --target mean --plot /tmp/x.svg", "--plot");
        bad(star + " --n 3 --d 1 --delta 1/9 --target mean --exhaustive-limit 100", "exhaustive-limit");
        bad("/nonexistent.json --d 1 --delta 1/2 --target mean", "/nonexistent.json");
        auto pure = sparsecert::testing::write_temp("approximate-pure-star.json",
                                                    R"({"name": "pure star", "layers": [{"attend": [[0, 3], [1, 3], [2, 3], [0, 1, 2, 3]]}]})");
        bad(pure + " --d 1 --delta 1/2 --target mean", "Hamiltonian path");
    }
}
