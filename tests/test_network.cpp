// The network representation (docs/construction.md): exact rationals, the class Phi, JSON round trip, hardmax ties,
// the indexed evaluation of window runs, and the `sparsecert construct` command.
#include <catch2/catch.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/contextual_mapping.hpp"
#include "sparsecert/pattern/families.hpp"
#include "sparsecert/construction/network.hpp"
#include "sparsecert/construction/targets.hpp"

using namespace sparsecert;
using sparsecert::testing::run_tool;
using sparsecert::testing::source_path;
using sparsecert::testing::write_temp;

namespace {

Pattern make(std::string name, token_t n, std::vector<Layer> layers) {
    Pattern p;
    p.name = std::move(name);
    p.n = n;
    p.layers = std::move(layers);
    return p;
}

std::size_t lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

FeedForward window_layer(const Rational& lo, const Rational& hi, const Rational& write) {
    FeedForward ff;
    ff.w1 = {Rational(1)};
    ff.b1 = 0;
    ff.phi.breakpoints = {lo, hi};
    ff.phi.pieces = {{0, 0}, {0, 1}, {0, 0}};
    ff.w2 = {write};
    return ff;
}

}  // namespace

TEST_CASE("rational: parse, print, arithmetic", "[network]") {
    CHECK(Rational::parse("3/6") == Rational(1, 2));
    CHECK(Rational::parse("-0.25") == Rational(-1, 4));
    CHECK(Rational::parse("1.5e2") == Rational(150));
    CHECK(Rational::parse("12") == Rational(12));
    CHECK(Rational(6, -4).str() == "-3/2");
    CHECK(Rational(7).str() == "7");
    CHECK_THROWS_AS(Rational::parse("1/0"), std::invalid_argument);
    CHECK_THROWS_AS(Rational::parse("abc"), std::invalid_argument);
    CHECK_THROWS_AS(Rational::parse(""), std::invalid_argument);
    CHECK(Rational(1, 3) + Rational(1, 6) == Rational(1, 2));
    CHECK(power(Rational(2, 3), 3) == Rational(8, 27));
    CHECK(floor(Rational(-7, 2)) == Rational(-4));
    CHECK(Rational(1, 3) < Rational(1, 2));
}

TEST_CASE("network: the class Phi", "[network]") {
    Phi phi;
    phi.breakpoints = {0, Rational(1, 4)};
    phi.pieces = {{0, 0}, {-1, 0}, {0, 0}};
    CHECK(phi_problem(phi).empty());
    CHECK(phi(Rational(1, 8)) == Rational(-1, 8));
    CHECK(phi(Rational(1, 4)) == Rational(0));  // pieces are [c_{i-1}, c_i)
    CHECK(phi(Rational(0)) == Rational(0));
    Phi no_constant = phi;
    no_constant.pieces = {{1, 0}, {-1, 0}, {2, 0}};
    CHECK_FALSE(phi_problem(no_constant).empty());
    Phi four = phi;
    four.breakpoints = {0, 1, 2};
    four.pieces = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
    CHECK_FALSE(phi_problem(four).empty());
}

TEST_CASE("network: JSON round trip and validation", "[network]") {
    const Pattern p = make("strided", 4, families::strided(4, 2));
    ConstructionOptions o;
    o.d = 2;
    o.m = 2;
    Construction c = build_contextual_mapping(p, std::vector<token_t>{0, 1, 2, 3},
                                              *mixing_depth_from(p, all_max_phase(p, std::vector<token_t>{0, 1, 2, 3}, o), 100), o);
    const auto j = to_json(c.network);
    CHECK(j["format"] == "sparsecert-network");
    CHECK(j["layers"].size() == c.network.layers.size());
    const Network back = network_from_json(nlohmann::json::parse(j.dump()));
    CHECK(back == c.network);
    // A broken file names the place.
    auto bad = j;
    bad["layers"][3]["w1"][0] = "x/y";
    CHECK_THROWS_WITH(network_from_json(bad), Catch::Contains("layers[3].w1[0]"));
    auto wrong_pattern = j;
    wrong_pattern["layers"][c.sweep.first]["pattern"] = 7;
    CHECK_THROWS_WITH(network_from_json(wrong_pattern), Catch::Contains("cycle assigns"));
}

TEST_CASE("network: a hardmax tie between different values is averaged exactly", "[network]") {
    // One attention layer over 2 tokens that attend to each other; the key is zero, so every score
    // ties and sigma_H averages the values.
    const Pattern p = make("dense", 2, {layer_from_rows({{0, 1}, {0, 1}})});
    Network net;
    net.d = 1;
    net.n = 2;
    net.p = 1;
    net.embedding = Matrix(1, 2);
    AttentionLayer att;
    att.heads[0] = {{Rational(1)}, 0, {Rational(0)}, {Rational(1)}, {Rational(1)}};
    att.heads[1] = {{Rational(0)}, 0, {Rational(0)}, {Rational(0)}, {Rational(0)}};
    net.layers.push_back({Stage::other, att});
    Matrix x(1, 2);
    x.at(0, 0) = 1;
    x.at(0, 1) = 2;
    for (auto how : {Evaluator::plain, Evaluator::indexed, Evaluator::rational}) {
        const Matrix y = NetworkEvaluator(net, p, how)(x);
        CHECK(y.at(0, 0) == Rational(5, 2));
        CHECK(y.at(0, 1) == Rational(7, 2));
    }
}

TEST_CASE("network: the indexed evaluation of window runs equals the plain one", "[network]") {
    // Windows that chain (a written value falls into a later window), one that points back to an
    // earlier window (must not fire again), and a gap.
    const Pattern p = make("self", 1, {layer_from_rows({{0}})});
    Network net;
    net.d = 1;
    net.n = 1;
    net.p = 1;
    net.embedding = Matrix(1, 1);
    // Layer 0: [0,1) -> adds 10 (to [10,11)); layer 1: [20,21) -> adds -20; layer 2: [10,11) -> adds 10
    // (to [20,21): layer 1 already passed); layer 3: [30,31) -> adds 1.
    net.layers.push_back({Stage::other, window_layer(0, 1, 10)});
    net.layers.push_back({Stage::other, window_layer(20, 21, -20)});
    net.layers.push_back({Stage::other, window_layer(10, 11, 10)});
    net.layers.push_back({Stage::other, window_layer(30, 31, 1)});
    const NetworkEvaluator plain(net, p, Evaluator::plain), indexed(net, p, Evaluator::indexed),
        rational(net, p, Evaluator::rational);
    for (int num = -8; num < 140; ++num) {
        Matrix x(1, 1);
        x.at(0, 0) = Rational(num, 4);
        const Matrix r = rational(x);
        CHECK(plain(x) == r);
        CHECK(indexed(x) == r);
    }
    Matrix x(1, 1);
    x.at(0, 0) = Rational(1, 2);
    CHECK(indexed(x).at(0, 0) == Rational(41, 2));  // layers 0 and 2 fire, layer 1 does not
}

TEST_CASE("targets: names, Lipschitz constants and rounding", "[network]") {
    for (const auto& name : target_names()) {
        const Target t = make_target(name, 2, 3);
        CHECK(t.lipschitz > Rational(0));
        Matrix x(2, 3);
        const Matrix y = t.at(x);
        CHECK(y.rows == 2);
        CHECK(y.cols == 3);
    }
    CHECK_THROWS_WITH(make_target("nope", 1, 2), Catch::Contains("mean"));
    const Target s = make_target("sin", 1, 2);
    CHECK_FALSE(s.exact);
    Matrix x(1, 2);
    x.at(0, 0) = Rational(1, 4);
    x.at(0, 1) = Rational(1, 2);
    // sin(2 (1/4 + 1/2 / 2)) = sin(1) = 0.8414709848078965...
    const Rational v = s.at(x).at(0, 0);
    CHECK(abs(v - Rational::parse("0.8414709848078965066525023216")) <= s.tolerance);
    CHECK(approximation_bound(make_target("mean", 1, 2), 4) == Rational(1, 8));
}

TEST_CASE("construct command: output contract", "[cli][construct]") {
    const std::string star = source_path("patterns/star.json");
    SECTION("the reference command") {
        auto r = run_tool("sparsecert", "construct " + star + " --n 4 --d 1 --delta 1/4 --target mean");
        INFO(r.err);
        CHECK(r.status == 0);
        CHECK(r.out.find("256 grid inputs") != std::string::npos);
        CHECK(r.out.find("every property verified") != std::string::npos);
        CHECK(r.out.find("p(n-1)delta^-d + s = 14") != std::string::npos);
    }
    SECTION("--json and --network-out") {
        const std::string net = sparsecert::testing::temp_dir() + "/net.json";
        auto r = run_tool("sparsecert", "construct " + star + " --n 4 --d 1 --delta 1/4 --target max --json --network-out " + net);
        INFO(r.err);
        CHECK(r.status == 0);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["stages"]["value_mapping"] == 1024);
        CHECK(j["formula_layers"] == 14);
        CHECK(j["checks"]["contextual_mapping"]["holds"] == true);
        CHECK(j["checks"]["contextual_mapping"]["inputs_checked"] == 256);
        CHECK(j["checks"]["contextual_mapping"]["exhaustive"] == true);
        CHECK(j["checks"]["contextual_mapping"]["min_gap"].is_string());
        CHECK(j["checks"]["matches_target"]["holds"] == true);
        CHECK(j["checks"]["matches_target"]["inputs_checked"] == 256);
        const Network back = network_from_json(nlohmann::json::parse(sparsecert::testing::slurp(net)));
        CHECK(back.layers.size() == j["stages"]["total"].get<std::size_t>());
    }
    SECTION("a broken constant: exit 1") {
        auto r = run_tool("sparsecert", "construct " + star + " --n 4 --d 1 --delta 1/3 --all-max-multiplier 1 --json");
        CHECK(r.status == 1);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["holds"] == false);
        CHECK(j["checks"]["contextual_mapping"]["holds"] == false);
        CHECK(j["failures"].size() > 0);
    }
    auto bad = [](const std::string& args, const std::string& needle) {
        auto r = run_tool("sparsecert", "construct " + args);
        INFO(args << "\n" << r.err);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(lines(r.err) == 1);
        CHECK(r.err.find(needle) != std::string::npos);
    };
    SECTION("bad input") {
        bad(star + " --n 4 --d 1 --delta 0.3", "sparsecert construct: --delta:");
        bad(star + " --n 4 --d 1 --delta 1/1", "--delta");
        bad(star + " --n 4 --d 0 --delta 1/4", "--d");
        bad(star + " --n 4 --d 1", "--delta");
        bad(star + " --n 4 --d 1 --delta 1/4 --target nope", "--target");
        bad("/nonexistent.json --d 1 --delta 1/4", "/nonexistent.json");
        auto f = write_temp("construct-bad.json", R"({"name": "x", "layers": [{"attend": [[0], [1, 7], [2]]}]})");
        bad(f + " --d 1 --delta 1/2", "layers[0].attend[1][1]");
    }
    SECTION("patterns the construction does not apply to") {
        auto ring = write_temp("construct-ring.json", R"({"name": "ring", "layers": [{"attend": [[1, 3], [0, 2], [1, 3], [2, 0]]}]})");
        bad(ring + " --d 1 --delta 1/2", "self-attention");
        auto pure = write_temp("construct-pure-star.json",
                               R"({"name": "pure star", "layers": [{"attend": [[0, 3], [1, 3], [2, 3], [0, 1, 2, 3]]}]})");
        bad(pure + " --d 1 --delta 1/2", "Hamiltonian path");
    }
}
