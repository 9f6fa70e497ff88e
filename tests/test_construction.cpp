// The constructive network (docs/construction.md): every check holds on the paper's pattern families at small n,
// patterns outside Assumption 1 are refused with the reason, and broken constants are caught.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/contextual_mapping.hpp"
#include "sparsecert/pattern/families.hpp"
#include "sparsecert/conditions/reachability.hpp"
#include "sparsecert/construction/targets.hpp"

using namespace sparsecert;

namespace {

Pattern make(std::string name, token_t n, std::vector<Layer> layers) {
    Pattern p;
    p.name = std::move(name);
    p.n = n;
    p.layers = std::move(layers);
    return p;
}

ConstructionOptions opts(std::uint32_t d, std::uint32_t m) {
    ConstructionOptions o;
    o.d = d;
    o.m = m;
    return o;
}

// The convenience path: the library's own Hamiltonian path and s.
ConstructReport run(const Pattern& p, const ConstructionOptions& o, const std::string& target,
                    CheckOptions check = {}) {
    const Applicability a = check_applicability(p, o);
    Construction c = build_contextual_mapping(p, a.path, a.s, o);
    ConstructReport rep = check_construction(std::move(c), p, make_target(target, o.d, p.n), check);
    rep.paper_s = a.paper_s;
    return rep;
}

// The explicit path: a given path and s (computed here from the definition, for the phase the
// all-max stage starts at).
ConstructReport run_explicit(const Pattern& p, std::vector<token_t> path, const ConstructionOptions& o,
                             const std::string& target, std::optional<std::uint64_t> s = {}) {
    const std::size_t phase = all_max_phase(p, path, o);
    const std::uint64_t depth = s ? *s : *mixing_depth_from(p, phase, 1000);
    Construction c = build_contextual_mapping(p, path, depth, o);
    return check_construction(std::move(c), p, make_target(target, o.d, p.n));
}

std::vector<token_t> identity_path(token_t n) {
    std::vector<token_t> path(n);
    for (token_t i = 0; i < n; ++i) path[i] = i;
    return path;
}

void require_all_hold(const ConstructReport& rep) {
    for (const auto& f : rep.failures) UNSCOPED_INFO(f.check << " layer " << f.layer.value_or(0) << " " << f.input << ": " << f.quantity);
    CHECK(rep.quantization.holds);
    CHECK(rep.selective_shift.holds);
    CHECK(rep.contextual_mapping.holds);
    CHECK(rep.contextual_mapping.reaches_all);
    CHECK(rep.matches_target.holds);
    CHECK(rep.failure_count == 0);
    CHECK(rep.holds());
}

}  // namespace

TEST_CASE("construct: the paper's families at small n pass every check", "[construct]") {
    struct Case {
        Pattern pattern;
        std::uint32_t d, m;
        std::string target;
    };
    std::vector<Case> cases;
    cases.push_back({make("star", 4, {families::star(4, 3, false)}), 1, 4, "mean"});
    cases.push_back({make("star-ring", 5, {families::star(5, 4, true)}), 1, 3, "next"});
    cases.push_back({make("star", 3, {families::star(3, 2, false)}), 2, 2, "token"});
    cases.push_back({make("strided", 4, families::strided(4, 2)), 1, 3, "max"});
    cases.push_back({make("strided", 6, families::strided(6, 3)), 1, 2, "sin"});
    cases.push_back({make("sliding-window", 5, {families::sliding_window(5, 1, 1)}), 1, 3, "mean"});
    cases.push_back({make("sliding-window", 3, {families::sliding_window(3, 1, 1)}), 2, 2, "sin"});
    cases.push_back({make("bigbird", 6, {families::bigbird(6, 1, 1, 7)}), 1, 3, "token"});
    cases.push_back({make("fixed", 4, families::fixed(4, 2, 1, families::FixedOrder::block_first)), 1, 3, "next"});
    for (const auto& cs : cases) {
        DYNAMIC_SECTION(cs.pattern.name << " n=" << cs.pattern.n << " d=" << cs.d << " m=" << cs.m << " " << cs.target) {
            const ConstructReport rep = run(cs.pattern, opts(cs.d, cs.m), cs.target);
            require_all_hold(rep);
            const Construction& c = rep.construction;
            // Every grid input was checked, and every code is a layer of the value mapping.
            std::uint64_t grid = 1;
            for (std::uint32_t e = 0; e < cs.d * c.n; ++e) grid *= cs.m;
            CHECK(rep.contextual_mapping.exhaustive);
            CHECK(rep.contextual_mapping.inputs_checked == grid);
            CHECK(rep.matches_target.inputs_checked == grid);
            CHECK(c.value_mapping.size() == grid * c.n);
            // Stage sizes: d(nm + 1) quantization layers, (n-1)m^d shift layers, s all-max layers.
            CHECK(c.quantization.size() == std::uint64_t(cs.d) * (c.n * cs.m + 1));
            std::uint64_t mk = 1;
            for (std::uint32_t i = 0; i < cs.d; ++i) mk *= cs.m;
            CHECK(c.sweep_steps.size() == (c.n - 1) * mk);
            CHECK(c.sweep.size() == c.sweep_steps.size() + c.identity_layers);
            CHECK(c.sweep.size() <= c.p * (c.n - 1) * mk);
            CHECK(c.all_max.size() == c.s);
            // Codes are distinct elements of (1/m)Z.
            CHECK(rep.contextual_mapping.min_gap >= Rational(1, cs.m));
            CHECK(rep.contextual_mapping.min_code >= c.t_l);
            CHECK(rep.contextual_mapping.max_code <= c.t_r);
            CHECK(rep.contextual_mapping.min_sentinel_code > c.t_r);
            // s is what the library's reachability says for the all-max phase.
            CHECK(mixing_depth_from(cs.pattern, c.all_max_phase, 1000) == std::optional<std::uint64_t>(c.s));
        }
    }
}

TEST_CASE("construct: the reference configuration (star, n = 4, d = 1, delta = 1/4, mean)", "[construct]") {
    const Pattern p = make("star", 4, {families::star(4, 3, false)});
    const ConstructReport rep = run(p, opts(1, 4), "mean");
    require_all_hold(rep);
    const Construction& c = rep.construction;
    CHECK(rep.contextual_mapping.inputs_checked == 256);
    CHECK(rep.contextual_mapping.codes == 1024);
    CHECK(rep.contextual_mapping.sentinel_inputs_checked == 625 - 256);
    CHECK(c.path == std::vector<token_t>{0, 1, 2, 3});
    CHECK(c.s == 2);
    // id~(gamma(n)) ranges over [511/4, 223]; C = binom(2, 1) * 4 * 223 + 1.
    CHECK(c.id_low == Rational(511, 4));
    CHECK(c.id_high == Rational(223));
    CHECK(c.all_max_multiplier == Rational(1785));
    CHECK(c.shift_multiplier == Rational(4));
    CHECK(formula_layers(rep) == 14);
    CHECK(c.sweep.size() + c.all_max.size() == 14);
    const auto j = to_json(rep);
    CHECK(j["stages"]["value_mapping"] == 1024);
    CHECK(j["formula_layers"] == 14);
    CHECK(j["checks"]["contextual_mapping"]["holds"] == true);
    CHECK(j["checks"]["contextual_mapping"]["exhaustive"] == true);
    CHECK(j["checks"]["contextual_mapping"]["inputs_checked"] == 256);
    CHECK(j["checks"]["contextual_mapping"]["min_gap"].is_string());
    CHECK(j["checks"]["matches_target"]["holds"] == true);
    CHECK(j["checks"]["matches_target"]["inputs_checked"] == 256);
}

TEST_CASE("construct: the starting pattern (identity layers, actual phase, padding)", "[construct]") {
    // p = 2 over 3 tokens: the edge 0 -> 1 exists only in pattern 0, the edge 1 -> 2 only in pattern
    // 1; token 0 sees everything in pattern 1 (so s is finite).
    const Pattern p = make("alternating", 3,
                           {layer_from_rows({{0}, {0, 1}, {2}}), layer_from_rows({{0, 1, 2}, {1}, {1, 2}})});
    const std::vector<token_t> path{0, 1, 2};
    for (std::size_t start : {0u, 1u}) {
        for (auto mode : {AllMaxStart::actual_phase, AllMaxStart::pad_to_first_pattern}) {
            DYNAMIC_SECTION("start phase " << start << (mode == AllMaxStart::actual_phase ? " actual" : " pad")) {
                ConstructionOptions o = opts(1, 3);
                o.start_phase = start;
                o.all_max_start = mode;
                const ConstructReport rep = run_explicit(p, path, o, "next");
                require_all_hold(rep);
                const Construction& c = rep.construction;
                CHECK(c.identity_layers > 0);
                if (mode == AllMaxStart::pad_to_first_pattern) CHECK(c.all_max_phase == 0);
                CHECK(c.padding.size() == (mode == AllMaxStart::pad_to_first_pattern && c.all_max_phase == 0
                                               ? (c.p - (c.sweep.last + c.network.start_phase) % c.p) % c.p
                                               : 0));
                // Every attention or identity layer uses the pattern its slot dictates.
                for (std::size_t t = 0; t < c.network.layers.size(); ++t) {
                    const auto& op = c.network.layers[t].op;
                    if (const auto* a = std::get_if<AttentionLayer>(&op)) CHECK(a->pattern == c.network.pattern_at(t));
                    if (const auto* i = std::get_if<IdentityLayer>(&op)) CHECK(i->pattern == c.network.pattern_at(t));
                }
            }
        }
    }
}

TEST_CASE("construct: patterns outside Assumption 1 are refused with the reason", "[construct]") {
    SECTION("no self-attention") {
        const token_t n = 4;
        auto ring = make_layer(n, [&](token_t k, RowSink& row) {
            row.add((k + n - 1) % n);
            row.add((k + 1) % n);
        });
        const Pattern p = make("ring", n, {ring});
        CHECK_THROWS_WITH(check_applicability(p, opts(1, 2)), Catch::Contains("self-attention"));
        CHECK_THROWS_WITH(build_contextual_mapping(p, identity_path(n), 2, opts(1, 2)),
                          Catch::Contains("self-attention"));
    }
    SECTION("no Hamiltonian path") {
        // A pure star (no ring): the satellites attend only to themselves and the relay.
        const Pattern p = make("pure star", 4, {families::star(4, 3, false)});
        Pattern pure = p;
        pure.layers = {layer_from_rows({{0, 3}, {1, 3}, {2, 3}, {0, 1, 2, 3}})};
        CHECK_THROWS_WITH(check_applicability(pure, opts(1, 2)), Catch::Contains("Hamiltonian path"));
        CHECK_THROWS_WITH(build_contextual_mapping(pure, identity_path(4), 2, opts(1, 2)),
                          Catch::Contains("not a Hamiltonian path"));
    }
    SECTION("no finite s") {
        const Pattern p = make("causal", 4, {families::sliding_window(4, 1, 0)});
        CHECK_THROWS_WITH(check_applicability(p, opts(1, 2)), Catch::Contains("no finite s"));
    }
    SECTION("extra tokens: the theorem's patterns are over the input tokens only") {
        Pattern p = make("star with an extra hub", 4, {families::global_tokens(4, {0}, true)});
        p.extra_tokens = {0};
        CHECK_THROWS_WITH(check_applicability(p, opts(1, 2)), Catch::Contains("extra tokens"));
        CHECK_THROWS_WITH(build_contextual_mapping(p, identity_path(4), 2, opts(1, 2)), Catch::Contains("extra tokens"));
    }
    SECTION("parameters") {
        const Pattern p = make("star", 4, {families::star(4, 3, false)});
        CHECK_THROWS_AS(build_contextual_mapping(p, identity_path(4), 2, opts(1, 1)), NotApplicable);
        CHECK_THROWS_AS(build_contextual_mapping(p, identity_path(4), 2, opts(0, 4)), NotApplicable);
        CHECK_THROWS_AS(build_contextual_mapping(p, std::vector<token_t>{0, 1, 1, 3}, 2, opts(1, 4)), NotApplicable);
        ConstructionOptions o = opts(1, 4);
        o.max_layers = 10;
        CHECK_THROWS_WITH(build_contextual_mapping(p, identity_path(4), 2, o), Catch::Contains("limit 10"));
        CheckOptions check;
        check.max_value_layers = 100;
        CHECK_THROWS_WITH(check_construction(build_contextual_mapping(p, identity_path(4), 2, opts(1, 4)), p,
                                             make_target("mean", 1, 4), check),
                          Catch::Contains("value mapping"));
    }
}

TEST_CASE("construct: broken constants make the checks fail, with input, layer and quantity", "[construct]") {
    const Pattern window = make("sliding-window", 4, {families::sliding_window(4, 1, 1)});
    const Pattern star = make("star", 4, {families::star(4, 3, false)});
    auto failing = [](const ConstructReport& rep, const std::string& check) {
        CHECK_FALSE(rep.holds());
        CHECK(rep.failure_count > 0);
        REQUIRE_FALSE(rep.failures.empty());
        bool found = false;
        for (const auto& f : rep.failures)
            if (f.check == check) {
                found = true;
                CHECK(f.layer.has_value());
                CHECK_FALSE(f.quantity.empty());
            }
        CHECK(found);
    };
    SECTION("shift multiplier 1 instead of delta^-d") {
        ConstructionOptions o = opts(1, 3);
        o.shift_multiplier = Rational(1);
        const auto rep = run_explicit(window, identity_path(4), o, "mean");
        CHECK_FALSE(rep.selective_shift.holds);
        CHECK_FALSE(rep.contextual_mapping.holds);
        failing(rep, "selective_shift");
        CHECK_FALSE(rep.failures[0].input.empty());
    }
    SECTION("shift multiplier delta^-d - 1: invariants hold but codes collide") {
        ConstructionOptions o = opts(1, 3);
        o.shift_multiplier = Rational(2);
        const auto rep = run_explicit(star, identity_path(4), o, "mean");
        CHECK_FALSE(rep.contextual_mapping.holds);
        CHECK_FALSE(rep.matches_target.holds);
        failing(rep, "contextual_mapping");
    }
    SECTION("all-max multiplier C = 1") {
        ConstructionOptions o = opts(1, 4);
        o.all_max_multiplier = Rational(1);
        const auto rep = run_explicit(window, identity_path(4), o, "max");
        CHECK(rep.selective_shift.holds);
        CHECK_FALSE(rep.contextual_mapping.holds);
        failing(rep, "contextual_mapping");
    }
    SECTION("sentinel inside the valid range of codes") {
        ConstructionOptions o = opts(1, 3);
        o.sentinel = Rational(5);
        const auto rep = run_explicit(star, identity_path(4), o, "mean");
        CHECK(rep.selective_shift.holds);
        CHECK_FALSE(rep.contextual_mapping.holds);
        failing(rep, "sentinel");
        bool marked = false;
        for (const auto& f : rep.failures) marked = marked || f.input.find('S') != std::string::npos;
        CHECK(marked);
    }
    SECTION("too few all-max layers (s - 1)") {
        const std::uint64_t s = *mixing_depth_from(window, all_max_phase(window, identity_path(4), opts(1, 3)), 100);
        REQUIRE(s >= 2);
        const auto rep = run_explicit(window, identity_path(4), opts(1, 3), "mean", s - 1);
        CHECK_FALSE(rep.contextual_mapping.reaches_all);
        CHECK_FALSE(rep.contextual_mapping.holds);
        failing(rep, "contextual_mapping");
    }
}

TEST_CASE("construct: sampling above the exhaustive limit is seeded and says so", "[construct]") {
    const Pattern p = make("sliding-window", 4, {families::sliding_window(4, 1, 1)});
    CheckOptions check;
    check.exhaustive_limit = 50;  // 3^4 = 81 grid inputs
    check.sample_size = 40;
    check.seed = 9;
    const auto a = run(p, opts(1, 3), "mean", check);
    const auto b = run(p, opts(1, 3), "mean", check);
    require_all_hold(a);
    CHECK_FALSE(a.contextual_mapping.exhaustive);
    CHECK_FALSE(a.matches_target.exhaustive);
    CHECK(a.contextual_mapping.inputs_checked <= 40);
    CHECK(a.contextual_mapping.grid_inputs == "81");
    CHECK(to_json(a) == to_json(b));
    // The verdict says it was sampled, and what that covers.
    const std::string text = describe(a, "w.json");
    CHECK(text.find("verdict: every property verified on a seeded sample only") != std::string::npos);
    CHECK(text.find("of the 81 grid inputs") != std::string::npos);
    CHECK(text.find("the value mapping is built for the sampled inputs") != std::string::npos);
    CHECK(text.find("verified on all") == std::string::npos);
    CHECK(to_json(a)["exhaustive"] == false);
    const auto full = run(p, opts(1, 3), "mean");
    CHECK(describe(full, "w.json").find("verdict: every property verified on all 81 grid inputs (exhaustive)") !=
          std::string::npos);
    CHECK(to_json(full)["exhaustive"] == true);
}

TEST_CASE("construct: a failing check prints its failure and the failing pair, never the success sentence", "[construct]") {
    const Pattern window = make("sliding-window", 4, {families::sliding_window(4, 1, 1)});
    ConstructionOptions o = opts(1, 4);
    o.all_max_multiplier = Rational(1);
    const auto rep = run_explicit(window, identity_path(4), o, "max");
    REQUIRE_FALSE(rep.contextual_mapping.holds);
    const std::string text = describe(rep, "w.json");
    INFO(text);
    CHECK(text.find("codes distinct within and across inputs") == std::string::npos);
    CHECK(text.find("every property verified") == std::string::npos);
    CHECK(text.find("contextual mapping: FAILS: column") != std::string::npos);
    CHECK(text.find("also has") != std::string::npos);  // the other (input, column) of the pair
    CHECK(text.find("matches target: FAILS: column") != std::string::npos);
    CHECK(text.find("verdict: a check FAILED") != std::string::npos);
    CHECK(text.find("the network equals f_bar at") == std::string::npos);
}

TEST_CASE("construct: the layer-count formulas are labelled reconstructions", "[construct]") {
    const Pattern p = make("star", 4, {families::star(4, 3, false)});
    const auto rep = run(p, opts(1, 2), "mean");
    const std::string text = describe(rep, "s.json");
    CHECK(text.find("our reconstruction of the paper's layer counts") != std::string::npos);
    CHECK(text.find("  paper  ") == std::string::npos);
    CHECK(to_json(rep)["formulas"].get<std::string>().find("reconstructions") != std::string::npos);
}

TEST_CASE("construct: the evaluators agree, and g_bar is constant on every cube", "[construct][network]") {
    const Pattern p = make("strided", 4, families::strided(4, 2));
    const ConstructReport rep = run(p, opts(1, 2), "sin");
    require_all_hold(rep);
    const Network& net = rep.construction.network;
    const NetworkEvaluator rational(net, p, Evaluator::rational), plain(net, p, Evaluator::plain),
        indexed(net, p, Evaluator::indexed);
    CHECK(plain.evaluator() == Evaluator::plain);
    CHECK(indexed.evaluator() == Evaluator::indexed);
    const Target target = make_target("sin", 1, 4);
    families::SplitMix64 rng(3);
    for (std::uint32_t index = 0; index < 16; ++index) {
        Matrix corner(1, 4), inside(1, 4);
        for (std::uint32_t k = 0; k < 4; ++k) {
            const std::uint32_t a = (index >> k) & 1;
            corner.at(0, k) = Rational(a, 2);
            // A point inside the same cube, with a denominator the network has never seen.
            inside.at(0, k) = Rational(a, 2) + Rational(std::int64_t(rng.next() % 1000), 2003);
        }
        const Matrix expected = cube_centre_value(target, corner, 2);
        const Matrix a = rational(corner), b = plain(corner), c = indexed(corner);
        CHECK(a == expected);
        CHECK(b == expected);
        CHECK(c == expected);
        CHECK(plain(inside) == expected);
        CHECK(indexed(inside) == expected);
        // Stage by stage: the evaluators agree on every prefix of the network.
        for (std::size_t last : {rep.construction.quantization.last, rep.construction.sweep.last,
                                 rep.construction.all_max.last, rep.construction.preparation.last}) {
            const Matrix r = rational(inside, last);
            CHECK(plain(inside, last) == r);
            CHECK(indexed(inside, last) == r);
        }
    }
}

TEST_CASE("construct: random patterns, random start phases, both all-max starts", "[construct]") {
    // docs/theory.md (section 8, R4) reports an exact-fraction check on 25 random patterns; this is a small, seeded
    // version of it (docs/construction.md reports a larger run). The cases are drawn once (Catch
    // re-enters the test case for every section).
    struct Case {
        Pattern pattern;
        ConstructionOptions options;
        int trial;
    };
    static const std::vector<Case> cases = [] {
        std::vector<Case> out;
        families::SplitMix64 rng(11);
        for (int trial = 0; out.size() < 12 && trial < 1000; ++trial) {
            const token_t n = 3 + token_t(rng.below(3));  // 3..5
            const std::size_t p = 1 + rng.below(3);       // 1..3
            std::vector<Layer> layers;
            for (std::size_t l = 0; l < p; ++l) layers.push_back(families::random(n, 1, rng.next(), true));
            // At most 3^4 = 81 grid inputs: enough to exercise every stage, cheap enough for a test.
            const bool two_rows = n == 3 && rng.below(2);
            ConstructionOptions o = opts(two_rows ? 2 : 1, n <= 4 && !two_rows ? 3 : 2);
            o.start_phase = rng.below(p);
            o.all_max_start = rng.below(2) ? AllMaxStart::actual_phase : AllMaxStart::pad_to_first_pattern;
            Pattern pat = make("random", n, std::move(layers));
            try {
                (void)check_applicability(pat, o);
            } catch (const NotApplicable&) {
                continue;
            }
            out.push_back({std::move(pat), o, trial});
        }
        return out;
    }();
    REQUIRE(cases.size() == 12);
    for (const auto& cs : cases)
        DYNAMIC_SECTION("trial " << cs.trial << ": n=" << cs.pattern.n << " p=" << cs.pattern.p() << " d="
                                 << cs.options.d << " m=" << cs.options.m) {
            require_all_hold(run(cs.pattern, cs.options, "next"));
        }
}
