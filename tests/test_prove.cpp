// Proof obligations (docs/prove.md): every obligation is unsat for small star and sliding-window
// configurations, with Z3 and with cvc5 on the same file; a wrong constant or a wrong weight gives
// "sat" with a counterexample that satisfies the file exactly; the four-ReLU form; the SMT helpers;
// the `prove` command's output contract.
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "sparsecert/version.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/pattern/families.hpp"
#include "sparsecert/proofs/obligations.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/proofs/prove.hpp"
#include "sparsecert/numerics/approximation.hpp"
#include "sparsecert/numerics/relu_form.hpp"
#include "sparsecert/proofs/smt.hpp"

using namespace sparsecert;
using sparsecert::testing::run_tool;
using sparsecert::testing::slurp;
using sparsecert::testing::source_path;
using sparsecert::testing::temp_dir;

namespace {

Construction build(const Pattern& p, std::uint32_t d, std::uint32_t m, ConstructionOptions o = {}) {
    o.d = d;
    o.m = m;
    const Applicability a = check_applicability(p, o);
    return build_contextual_mapping(p, a.path, a.s, o);
}

std::optional<std::string> cvc5_program() {
    auto cvc5 = find_executable("cvc5");
    if (!cvc5) WARN("cvc5 is not installed: the cvc5 re-check is skipped");
    return cvc5;
}

ProveReport run(std::vector<Obligation> obligations, const std::string& dir, bool with_cvc5 = true, double timeout = 60) {
    ProveOptions o;
    o.out_dir = temp_dir() + "/" + dir;
    o.timeout_seconds = timeout;
    if (with_cvc5) o.cvc5 = cvc5_program();
    return prove(std::move(obligations), o);
}

// Only the obligations whose name starts with `prefix`.
std::vector<Obligation> only(std::vector<Obligation> all, const std::string& prefix) {
    std::vector<Obligation> out;
    for (auto& o : all)
        if (o.name.rfind(prefix, 0) == 0) out.push_back(std::move(o));
    return out;
}

void require_all_proved(const ProveReport& rep) {
    for (const auto& r : rep.results) {
        INFO(r.obligation.name << ": z3 " << smt_status_name(r.z3.status) << " " << r.z3.message << ", cvc5 "
                               << smt_status_name(r.cvc5.status) << " " << r.cvc5.message);
        CHECK(r.z3.status == SmtStatus::unsat);
        CHECK((r.cvc5.status == SmtStatus::unsat || r.cvc5.status == SmtStatus::absent));
    }
    CHECK(rep.proved());
    CHECK(rep.disagreements().empty());
}

// The one obligation named `name` is sat for Z3 (and cvc5 when present), with a counterexample
// that satisfies the file in exact arithmetic; returns its shown values.
std::vector<std::pair<std::string, Rational>> require_broken(const ProveReport& rep, const std::string& name) {
    const ObligationResult* found = nullptr;
    for (const auto& r : rep.results)
        if (r.obligation.name == name) found = &r;
    REQUIRE(found);
    CHECK(found->z3.status == SmtStatus::sat);
    REQUIRE(found->z3_model_problem);
    CHECK(found->z3_model_problem->empty());
    if (found->cvc5.status != SmtStatus::absent) {
        CHECK(found->cvc5.status == SmtStatus::sat);
        REQUIRE(found->cvc5_model_problem);
        CHECK(found->cvc5_model_problem->empty());
    }
    const auto cex = counterexample(*found);
    CHECK(!cex.empty());
    CHECK(!rep.proved());
    return cex;
}

}  // namespace

TEST_CASE("prove: every obligation is unsat for small star and sliding-window configurations", "[prove][slow]") {
    struct Case {
        std::string file;
        std::uint64_t n;
        std::uint32_t d, m;
        std::size_t obligations;
    };
    // star n = 3, m = 2: 7 quantization layers, 3 tokens, 4 shift layers (x2), 5 stage-(b) obligations,
    // 2 phis; sliding window n = 4: 9 + 4 + 6 x 2 + 5 + 2; star d = 2: 2 (3*2+1) + 3 + 8 x 2 + 5 + 2.
    const std::vector<Case> cases = {{"patterns/star.json", 3, 1, 2, 25},
                                     {"patterns/sliding-window.json", 4, 1, 2, 32},
                                     {"patterns/star.json", 3, 2, 2, 40}};
    for (const auto& cs : cases) {
        DYNAMIC_SECTION(cs.file << " n=" << cs.n << " d=" << cs.d << " m=" << cs.m) {
            const Pattern p = load_pattern_file(source_path(cs.file), cs.n);
            const Construction c = build(p, cs.d, cs.m);
            auto obligations = generate_obligations(c, p);
            CHECK(obligations.size() == cs.obligations);
            CHECK(obligation_count(c) == cs.obligations);
            std::set<std::string> names;
            for (const auto& o : obligations) names.insert(o.name);
            CHECK(names.size() == obligations.size());
            CHECK(names.count("sweep/injective"));
            CHECK(names.count("all-max/across-inputs"));
            CHECK(names.count("all-max/sentinel"));
            CHECK(names.count("relu/phi-1"));
            const ProveReport rep = run(std::move(obligations), "all-" + std::to_string(cs.n) + "-" + std::to_string(cs.d));
            require_all_proved(rep);
            for (const auto& r : rep.results) CHECK(std::filesystem::exists(r.file));
        }
    }
}

TEST_CASE("prove: a pattern with two patterns in the cycle (identity layers in the sweep)", "[prove]") {
    Pattern p;
    p.name = "strided";
    p.n = 4;
    p.layers = families::strided(4, 2);
    const Construction c = build(p, 1, 2);
    CHECK(c.identity_layers > 0);
    require_all_proved(run(generate_obligations(c, p), "strided"));
}

TEST_CASE("prove: the files are deterministic, portable SMT-LIB and assert the negated claim", "[prove]") {
    const Pattern p = load_pattern_file(source_path("patterns/star.json"), 3);
    const Construction c = build(p, 1, 2);
    const auto a = generate_obligations(c, p), b = generate_obligations(c, p);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].smt2 == b[i].smt2);
        CHECK(a[i].smt2.find("(set-logic " + a[i].logic + ")") != std::string::npos);
        CHECK(a[i].smt2.find("(check-sat)") != std::string::npos);
        CHECK(a[i].smt2.find("get-model") == std::string::npos);
        CHECK(a[i].smt2.find("set-option") == std::string::npos);
        CHECK(a[i].smt2.find("; claim: " + a[i].claim) != std::string::npos);
    }
    CHECK(obligation_file_stem("shift/layer-7/monotone") == "shift-layer-7-monotone");
}

TEST_CASE("prove: the example obligations in theorems/obligations are the ones generated now", "[prove]") {
    // theorems/obligations/yun2020/star-n3-d1-delta1_2 holds the files of the reference
    // configuration (theorems/obligations/README.md says how to regenerate them).
    const Pattern p = load_pattern_file(source_path("patterns/star.json"), 3);
    // As `sparsecert prove` writes them: the relu/... obligations at the ramp width g gets.
    ApproximateOptions plan;
    plan.d = 1;
    plan.m = 2;
    ObligationOptions o;
    o.relu_epsilon = planned_relu_width(p, plan);
    CHECK(*o.relu_epsilon == power(Rational(1, 2), 24));
    const auto obligations = generate_obligations(build(p, 1, 2), p, o);
    const std::string dir = source_path("theorems/obligations/yun2020/star-n3-d1-delta1_2");
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) files += entry.path().extension() == ".smt2";
    CHECK(files == obligations.size());
    for (std::size_t i = 0; i < obligations.size(); ++i) {
        const std::string name = (i + 1 < 10 ? "0" : "") + std::to_string(i + 1) + "-" +
                                 obligation_file_stem(obligations[i].name) + ".smt2";
        INFO(name);
        CHECK(slurp(dir + "/" + name) == obligations[i].smt2);
    }
}

TEST_CASE("prove: a wrong constant gives sat with a counterexample", "[prove]") {
    const Pattern p = load_pattern_file(source_path("patterns/star.json"), 3);
    SECTION("all-max multiplier C = 1: two inputs share a code") {
        ConstructionOptions o;
        o.all_max_multiplier = Rational(1);
        const Construction c = build(p, 1, 2, o);
        const auto cex = require_broken(run(only(generate_obligations(c, p), "all-max/across"), "c1"), "all-max/across-inputs");
        // The counterexample is two grid inputs (X and X') and their codes; some code is shared.
        std::vector<Rational> codes_x, codes_y;
        for (const auto& [label, value] : cex) {
            if (label.rfind("code of token", 0) != 0) continue;
            (label.find("in X'") != std::string::npos ? codes_y : codes_x).push_back(value);
        }
        REQUIRE(codes_x.size() == 3);
        REQUIRE(codes_y.size() == 3);
        bool shared = false;
        for (const auto& x : codes_x)
            for (const auto& y : codes_y) shared = shared || x == y;
        CHECK(shared);
    }
    SECTION("a sentinel below t_r / C^s: an input carrying it lands inside [t_l, t_r]") {
        ConstructionOptions o;
        o.sentinel = Rational(4);
        const Construction c = build(p, 1, 2, o);
        require_broken(run(only(generate_obligations(c, p), "all-max/sentinel"), "s4"), "all-max/sentinel");
    }
    SECTION("shift multiplier 3 instead of delta^-d = 2: the shift layers change the target by the wrong amount") {
        ConstructionOptions o;
        o.shift_multiplier = Rational(3);
        const Construction c = build(p, 1, 2, o);
        const ProveReport rep = run(only(generate_obligations(c, p), "shift/"), "k3");
        for (const auto& step : c.sweep_steps) require_broken(rep, "shift/layer-" + std::to_string(step.layer));
        // A larger multiplier still never decreases an id.
        for (const auto& step : c.sweep_steps)
            for (const auto& r : rep.results)
                if (r.obligation.name == "shift/layer-" + std::to_string(step.layer) + "/monotone")
                    CHECK(r.z3.status == SmtStatus::unsat);
    }
}

TEST_CASE("prove: a wrong weight in the network gives sat (obligations read the weights)", "[prove]") {
    const Pattern p = load_pattern_file(source_path("patterns/star.json"), 3);
    SECTION("a rounding layer's bias off by delta") {
        Construction c = build(p, 1, 2);
        auto& ff = std::get<FeedForward>(c.network.layers[3].op);
        ff.b1 -= Rational(1, 2);
        const auto cex = require_broken(run(only(generate_obligations(c, p), "quantization/"), "q"), "quantization/layer-3");
        CHECK(cex.front().first == "x[0]");
    }
    SECTION("a shift head's threshold moved by delta") {
        Construction c = build(p, 1, 2);
        const std::size_t t = c.sweep_steps.front().layer;
        std::get<AttentionLayer>(c.network.layers[t].op).heads[1].query_bias -= Rational(1, 2);
        require_broken(run(only(generate_obligations(c, p), "shift/layer-" + std::to_string(t)), "h"),
                       "shift/layer-" + std::to_string(t));
    }
    SECTION("the embedding of one token off by one") {
        Construction c = build(p, 1, 2);
        c.network.embedding.at(0, 1) += Rational(1);
        require_broken(run(only(generate_obligations(c, p), "quantization/token-1"), "e"), "quantization/token-1");
    }
}

TEST_CASE("prove: Z3's budget is enforced by the watchdog", "[prove]") {
    // all-max/across-inputs for a sliding window at n = 5, delta = 1/3 takes Z3 seconds; 0.3 s is
    // not enough, and the answer must be "unknown" (timeout), not a hang.
    const Pattern p = load_pattern_file(source_path("patterns/sliding-window.json"), 5);
    const Construction c = build(p, 1, 3);
    const auto obligations = only(generate_obligations(c, p), "all-max/across");
    REQUIRE(obligations.size() == 1);
    const SolverRun r = run_z3(obligations[0].smt2, 0.3);
    CHECK(r.status == SmtStatus::unknown);
    // On a loaded machine the budget can run out while Z3 still parses ("timeout while parsing").
    CHECK(r.message.starts_with("timeout"));
}

TEST_CASE("four-ReLU form: the obligations state the form g runs, at g's ramp width", "[prove]") {
    // The relu/phi-i obligations are generated from relu_form, the very function
    // to_softmax_network uses for g: their formula is relu_form's, term by term.
    const Pattern p = load_pattern_file(source_path("patterns/star.json"), 3);
    const Construction c = build(p, 1, 2);
    const Rational eps = power(Rational(1, 2), 70);  // the order of the width g gets (docs/approximate.md)
    ObligationOptions o;
    o.relu_epsilon = eps;
    std::size_t relu = 0;
    for (const auto& ob : generate_obligations(c, p, o)) {
        if (ob.name.rfind("relu/", 0) != 0) continue;
        ++relu;
        INFO(ob.name);
        CHECK(ob.smt2.find("relu_form, ramp width " + eps.str()) != std::string::npos);
        CHECK(run_z3(ob.smt2, 30).status == SmtStatus::unsat);
    }
    CHECK(relu >= 2);
    // The form: exact outside the ramps, a ramp inside one, one ramp per jump (none at a kink).
    Phi rounding{{Rational(0), Rational(1, 2)}, {{0, 0}, {-1, 0}, {0, 0}}};
    const ReluActivation f = relu_form(rounding, Rational(1, 8));
    CHECK(relu_form_disagreement(rounding, f).empty());
    CHECK(f.ramps.size() == 1);  // continuous at 0 (a kink), a jump at 1/2
    CHECK(f(Rational(7, 16)) != rounding(Rational(7, 16)));
    Phi kink{{Rational(0)}, {{0, 0}, {1, 0}}};
    CHECK(relu_form(kink, Rational(1, 4)).ramps.empty());
    CHECK(relu_form(kink, Rational(1, 4))(Rational(-1, 8)) == Rational(0));
    // Bad input.
    Phi no_constant{{Rational(0)}, {{1, 0}, {2, 0}}};
    CHECK_THROWS_AS(relu_form(no_constant, Rational(1, 8)), std::invalid_argument);
    Phi two_jumps{{Rational(0), Rational(1, 2)}, {{0, 0}, {0, 1}, {0, 0}}};
    CHECK_THROWS_AS(relu_form(two_jumps, Rational(1, 2)), std::invalid_argument);
    CHECK_THROWS_AS(relu_form(rounding, Rational(0)), std::invalid_argument);
    // The obligation generator refuses an epsilon that is not below every gap.
    o.relu_epsilon = Rational(1, 2);
    CHECK_THROWS_AS(generate_obligations(c, p, o), std::invalid_argument);
}

TEST_CASE("smt: literals, models and the exact model check", "[prove]") {
    CHECK(smt_real(Rational(3)) == "3.0");
    CHECK(smt_real(Rational(-7, 2)) == "(- (/ 7.0 2.0))");
    CHECK(smt_int(Rational(-4)) == "(- 4)");
    CHECK_THROWS_AS(smt_int(Rational(1, 2)), std::invalid_argument);
    const auto model = parse_smt_model("(\n(define-fun g () Int 1)\n(define-fun x () Real (/ 7 2))\n"
                                       "(define-fun y () Real (- (/ 1.0 4.0)))\n(define-fun f ((a Int)) Int a)\n)\n");
    REQUIRE(model.size() == 3);
    CHECK(model[0].name == "g");
    CHECK(model[0].value == Rational(1));
    CHECK(model[1].value == Rational(7, 2));
    CHECK(model[2].value == Rational(-1, 4));

    const std::string text = "(set-logic QF_LIRA)\n(declare-fun g () Int)\n(declare-fun x () Real)\n(declare-fun y () Real)\n"
                             "(assert (and (<= 0 g) (<= g 1)))\n(assert (= x (+ 3.0 (/ (to_real g) 2.0))))\n"
                             "(assert (= y (ite (> x 3.25) 1.0 0.0)))\n(assert (not (= y 0.0)))\n(check-sat)\n";
    CHECK(smt_model_problem(text, {{"g", 1}}).empty());  // x and y follow from their definitions
    CHECK(smt_model_problem(text, {{"g", 1}, {"x", Rational(7, 2)}, {"y", 1}}).empty());
    CHECK(!smt_model_problem(text, {{"g", 0}}).empty());
    CHECK(!smt_model_problem(text, {{"g", 1}, {"x", 3}}).empty());

    const SolverRun z3 = run_z3(text, 10);
    REQUIRE(z3.status == SmtStatus::sat);
    CHECK(smt_model_problem(text, z3.model).empty());
    if (const auto cvc5 = cvc5_program()) {
        const std::string file = sparsecert::testing::write_temp("model.smt2", text);
        const SolverRun r = run_cvc5(*cvc5, file, 10);
        REQUIRE(r.status == SmtStatus::sat);
        CHECK(smt_model_problem(text, r.model).empty());
        CHECK(!cvc5_version(*cvc5).empty());
    }
    CHECK(!z3_version().empty());
    CHECK(!find_executable("/nonexistent/cvc5"));
}

TEST_CASE("prove command: table, JSON and exit statuses", "[prove][cli][slow]") {
    const std::string out = temp_dir() + "/cli-prove";
    const std::string star = source_path("patterns/star.json");
    SECTION("the reference configuration: every obligation proved, exit 0") {
        auto r = run_tool("sparsecert", "prove " + star + " --n 3 --d 1 --delta 1/2 --out " + out);
        INFO(r.out << r.err);
        CHECK(r.status == 0);
        CHECK(r.out.find("obligation") != std::string::npos);
        CHECK(r.out.find("quantization/layer-0") != std::string::npos);
        CHECK(r.out.find("all-max/across-inputs") != std::string::npos);
        CHECK(r.out.find("verdict: every obligation proved") != std::string::npos);
    }
    SECTION("--json: exactly the obligations list; deterministic without --times") {
        auto r = run_tool("sparsecert", "prove " + star + " --n 3 --d 1 --delta 1/2 --json --out " + out);
        auto again = run_tool("sparsecert", "prove " + star + " --n 3 --d 1 --delta 1/2 --json --out " + out);
        REQUIRE(r.status == 0);
        CHECK(r.out == again.out);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j.size() == 2);  // "obligations" and "sparsecert_version"
        CHECK(j["sparsecert_version"] == sparsecert::version);
        REQUIRE(j["obligations"].size() == 25);
        for (const auto& o : j["obligations"]) {
            CHECK(o["z3"] == "unsat");
            CHECK((o["cvc5"] == "unsat" || o["cvc5"] == "absent"));
            CHECK(std::filesystem::exists(o["file"].get<std::string>()));
            CHECK(!o.contains("z3_seconds"));
            CHECK(o.contains("name"));
            CHECK(o.contains("claim"));
        }
        auto timed = run_tool("sparsecert", "prove " + star + " --n 3 --d 1 --delta 1/2 --json --times --no-cvc5 --out " + out);
        const auto t = nlohmann::json::parse(timed.out);
        CHECK(t["obligations"][0].contains("z3_seconds"));
        CHECK(t["obligations"][0]["cvc5"] == "absent");
    }
    SECTION("a wrong constant: exit 1, the counterexample in the table and the JSON") {
        auto r = run_tool("sparsecert", "prove " + star + " --n 3 --d 1 --delta 1/2 --all-max-multiplier 1 --no-cvc5 --out " + out);
        CHECK(r.status == 1);
        CHECK(r.out.find("breaks the claim") != std::string::npos);
        CHECK(r.out.find("NOT PROVED") != std::string::npos);
        auto j = run_tool("sparsecert", "prove " + star + " --n 3 --d 1 --delta 1/2 --all-max-multiplier 1 --json --out " + out);
        CHECK(j.status == 1);
        bool found = false;
        const auto doc = nlohmann::json::parse(j.out);
        for (const auto& o : doc["obligations"])
            if (o["name"] == "all-max/across-inputs") {
                found = true;
                CHECK(o["z3"] == "sat");
                CHECK(o["counterexample"].size() > 0);
                CHECK(o["model_checked"] == true);
            }
        CHECK(found);
    }
    SECTION("bad input: exit 2, one line on stderr, nothing on stdout") {
        for (const std::string& args : std::vector<std::string>{"prove " + star + " --n 3 --d 1 --delta 2", "prove " + star + " --n 3 --delta 1/2",
                                       std::string("prove /nonexistent.json --d 1 --delta 1/2"), "prove " + star + " --n 3 --d 1 --delta 1/2 --timeout 0",
                                       "prove " + star + " --n 3 --d 1 --delta 1/2 --cvc5 /nonexistent/cvc5",
                                       "prove " + star + " --n 3 --d 1 --delta 1/2 --max-obligations 3",
                                       "prove " + source_path("patterns/causal-window.json") + " --n 3 --d 1 --delta 1/2"}) {
            auto r = run_tool("sparsecert", args + " --out " + out);
            INFO(args << "\n" << r.err);
            CHECK(r.status == 2);
            CHECK(r.out.empty());
            CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        }
    }
}
