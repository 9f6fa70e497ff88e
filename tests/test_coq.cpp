// The Coq check (docs/trust.md, "The Coq check"): check-certificate --coq writes a certificate as a
// Coq file, and coqc, with the development of theorems/coq/ (built into build/coq by the test
// coq_development), accepts exactly the true claims.
#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "sparsecert/certify/coq_export.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/network.hpp"
#include "sparsecert/pattern/catalogue.hpp"
#include "sparsecert/pattern/pattern_io.hpp"

using nlohmann::json;
using sparsecert::testing::CommandResult;
using sparsecert::testing::run_tool;
using sparsecert::testing::slurp;
using sparsecert::testing::source_path;
using sparsecert::testing::temp_dir;
using sparsecert::testing::write_temp;

namespace {

// A Coq module name for a file stem ("sliding-window" -> "c_sliding_window").
std::string module_name(std::string stem) {
    for (char& c : stem)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return "c_" + stem;
}

CommandResult run_coqc(const std::string& file) {
    const std::string base = file.substr(0, file.size() - 2);
    const std::string cmd = "cd " + std::filesystem::path(file).parent_path().string() + " && coqc -Q " +
                            std::string(SPARSECERT_COQ_DIR) + " Sparsecert " + file + " >" + base + ".coqout 2>&1";
    const int raw = std::system(cmd.c_str());
    CommandResult r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = slurp(base + ".coqout");
    return r;
}

// Writes `cert` (for the pattern file at the certificate's n) as a Coq file named after `name` and
// runs coqc on it.
CommandResult coq_check(const std::string& pattern, const json& cert, const std::string& name) {
    const std::string cert_file = write_temp(name + ".cert.json", cert.dump(1));
    const std::string v = temp_dir() + "/" + module_name(name) + ".v";
    const std::string n = std::to_string(cert["n"].get<std::uint64_t>());
    auto w = run_tool("check-certificate", "--n " + n + " --coq " + v + " " + pattern + " " + cert_file);
    INFO(name << ": " << w.out << w.err);
    REQUIRE(w.status == 0);
    REQUIRE(w.out.rfind("wrote " + v + " (n = " + n + "): Theorem verdict : ", 0) == 0);
    return run_coqc(v);
}

void expect_proven(const std::string& pattern, const json& cert, const std::string& name) {
    auto r = coq_check(pattern, cert, name);
    INFO(name << ":\n" << r.out);
    CHECK(r.status == 0);
    // Print Assumptions of the verdict: no axiom at all.
    CHECK(r.out.find("Closed under the global context") != std::string::npos);
}

void expect_rejected(const std::string& pattern, const json& cert, const std::string& name, const std::string& message) {
    auto r = coq_check(pattern, cert, name);
    INFO(name << ":\n" << r.out);
    CHECK(r.status != 0);
    CHECK(r.out.find(message) != std::string::npos);
}

json certify(const std::string& pattern, const std::string& name, const std::string& n_arg) {
    const std::string cert = temp_dir() + "/" + name + ".cert.json";
    auto r = run_tool("verify-pattern", n_arg + " --certificate " + cert + " " + pattern);
    INFO(r.err);
    REQUIRE((r.status == 0 || r.status == 1 || r.status == 3));
    return json::parse(slurp(cert));
}

}  // namespace

TEST_CASE("coq: every catalogue pattern round-trips through coqc", "[coq]") {
    const std::string dir = temp_dir() + "/coq-catalogue";
    auto r = run_tool("verify-pattern", "--n 8 --certificate " + dir);
    REQUIRE((r.status == 1 || r.status == 3 || r.status == 0));
    std::set<std::string> verdicts;
    for (const auto& file : sparsecert::catalogue_files(source_path("patterns"))) {
        const std::string stem = std::filesystem::path(file).stem().string();
        const json cert = json::parse(slurp(dir + "/" + stem + ".cert.json"));
        verdicts.insert(cert["verdict"].get<std::string>());
        expect_proven(file, cert, stem);
    }
    CHECK(verdicts == std::set<std::string>{"universal", "not-universal", "open"});
}

TEST_CASE("coq: a universal certificate, tampered, fails", "[coq]") {
    const std::string file = source_path("patterns/sliding-window.json");
    const json cert = certify(file, "coq-window", "--n 9");
    REQUIRE(cert["verdict"] == "universal");
    REQUIRE(cert["reachability"]["s"] == 4);
    expect_proven(file, cert, "coq-window");

    json swapped = cert;
    std::swap(swapped["hamiltonian_path"]["path"][0], swapped["hamiltonian_path"]["path"][5]);
    expect_rejected(file, swapped, "coq-window-swapped", "path_check P gamma");
    json twice = cert;
    twice["hamiltonian_path"]["path"][1] = 0;
    expect_rejected(file, twice, "coq-window-twice", "path_check P gamma");
    for (int s : {3, 5}) {  // not complete at 3; complete at 4 < 5, so 5 is not minimal
        json other = cert;
        other["reachability"]["s"] = s;
        expect_rejected(file, other, "coq-window-s" + std::to_string(s), "mixing_check P " + std::to_string(s));
    }
    json no_self = cert;
    no_self["self_attention"] = {{"holds", false}, {"missing", {{0, 3}}}};
    expect_rejected(file, no_self, "coq-window-noself", "missing_check P missing");
    json star = cert;
    star["star"] = {{"holds", true}, {"hub", 4}};
    expect_rejected(file, star, "coq-window-star", "star_check P 4");
    json size = cert;
    size["n"] = 10;
    expect_rejected(file, size, "coq-window-size", "size");
    json verdict = cert;
    verdict["verdict"] = "not-universal";
    expect_rejected(file, verdict, "coq-window-verdict", "no evidence for not_influence");
    json influence = cert;
    influence["influence"] = {{"holds", false}, {"closure", {{"k", 0}, {"j", 8}, {"set", {0, 1, 2}}}}};
    expect_rejected(file, influence, "coq-window-influence", "closure_check P infl_k infl_j infl_R");
}

TEST_CASE("coq: closure sets and component orders, tampered, fail", "[coq]") {
    const std::string causal = source_path("patterns/causal-window.json");
    const json c = certify(causal, "coq-causal", "--n 8");
    REQUIRE(c["verdict"] == "not-universal");
    expect_proven(causal, c, "coq-causal");
    json with_j = c;
    with_j["influence"]["closure"]["set"].push_back(with_j["influence"]["closure"]["j"]);
    expect_rejected(causal, with_j, "coq-causal-with-j", "closure_check P infl_k infl_j infl_R");
    json reach = c;
    reach["reachability"]["closure"]["j"] = reach["reachability"]["closure"]["k"];
    expect_rejected(causal, reach, "coq-causal-reach", "closure_check P reach_k reach_j reach_R");

    const std::string dilated = source_path("patterns/dilated-window.json");
    const json d = certify(dilated, "coq-dilated", "--n 8");
    REQUIRE(d["hamiltonian_path"]["refutation"]["kind"] == "component-order");
    expect_proven(dilated, d, "coq-dilated");
    json gap = d;
    gap["hamiltonian_path"]["refutation"]["gap"] = 7;
    expect_rejected(dilated, gap, "coq-dilated-gap", "component_check P component 7");
    json label = d;
    label["hamiltonian_path"]["refutation"]["component"][0] = 5;
    expect_rejected(dilated, label, "coq-dilated-label", "component_check P component");
}

TEST_CASE("coq: every kind of path refutation", "[coq]") {
    // Hub-only star (6 tokens, hub 5): no path from 4 tokens on.
    const std::string hub = source_path("tests/data/hub-only-star.json");
    json cert = certify(hub, "coq-hub", "");
    REQUIRE(cert["hamiltonian_path"]["holds"] == false);
    expect_proven(hub, cert, "coq-hub");
    auto refute = [&](const json& refutation, const std::string& name) {
        json c = cert;
        c["hamiltonian_path"]["refutation"] = refutation;
        return c;
    };
    expect_proven(hub, refute({{"kind", "separator"}, {"tokens", {5}}}, "sep"), "coq-hub-separator");
    expect_rejected(hub, refute({{"kind", "separator"}, {"tokens", {0}}}, "sep0"), "coq-hub-separator0", "separator_check");
    expect_proven(hub, refute({{"kind", "hall"}, {"tokens", {0, 1, 2}}}, "hall"), "coq-hub-hall");
    expect_rejected(hub, refute({{"kind", "hall"}, {"tokens", {0, 5}}}, "hall2"), "coq-hub-hall2", "hall_check");
    expect_rejected(hub, refute({{"kind", "sources"}, {"tokens", {0, 1}}}, "src"), "coq-hub-sources", "sources_check");
    expect_rejected(hub, refute({{"kind", "sinks"}, {"tokens", {0, 1}}}, "snk"), "coq-hub-sinks", "sinks_check");

    // Two sources (tokens 0 and 1 see only themselves) and two sinks (nobody else sees 0 or 1).
    const std::string sources = write_temp("coq-sources.json", R"({"name": "two sources", "layers": [{"attend": [[0], [1], [0, 1, 2]]}]})");
    json s = certify(sources, "coq-sources", "");
    REQUIRE(s["hamiltonian_path"]["holds"] == false);
    s["hamiltonian_path"]["refutation"] = {{"kind", "sources"}, {"tokens", {0, 1}}};
    expect_proven(sources, s, "coq-sources");
    s["hamiltonian_path"]["refutation"] = {{"kind", "sources"}, {"tokens", {0, 2}}};
    expect_rejected(sources, s, "coq-sources-bad", "sources_check P 0 2");
    const std::string sinks = write_temp("coq-sinks.json", R"({"name": "two sinks", "layers": [{"attend": [[0, 2], [1, 2], [2]]}]})");
    json k = certify(sinks, "coq-sinks", "");
    REQUIRE(k["hamiltonian_path"]["holds"] == false);
    k["hamiltonian_path"]["refutation"] = {{"kind", "sinks"}, {"tokens", {0, 1}}};
    expect_proven(sinks, k, "coq-sinks");
    k["hamiltonian_path"]["refutation"] = {{"kind", "sinks"}, {"tokens", {0, 2}}};
    expect_rejected(sinks, k, "coq-sinks-bad", "sinks_check P 0 2");
}

TEST_CASE("coq: influence is decided with the residual connection", "[coq]") {
    // Patterns [[1],[1]] then [[0],[0]]: no token attends to itself, yet through the residual
    // connection each influences the other. A claim that token 0 never influences token 0's
    // partner must fail, whatever the S^t sets say.
    const std::string file = write_temp("coq-residual.json", R"({"name": "residual", "layers": [{"attend": [[1], [1]]}, {"attend": [[0], [0]]}]})");
    json cert = certify(file, "coq-residual", "");
    cert["influence"] = {{"holds", false}, {"k", 0}, {"j", 1}};
    cert["verdict"] = "not-universal";
    expect_rejected(file, cert, "coq-residual-false", "closure_check P infl_k infl_j infl_R");
    cert["influence"] = {{"holds", true}, {"by", "strongly-connected"}};
    for (auto& t : cert["theorems"])
        if (t["id"] == "reachability-closure") t["applies"] = true;
    cert["verdict"] = "open";
    auto r = coq_check(file, cert, "coq-residual-true");
    INFO(r.out);
    CHECK(r.status == 0);

    // Patterns {0: [1]}, {1: [2]}, {} in this order: token 2 influences token 0 after four layers
    // (layer 2 brings it to token 1, which keeps it through layer 3; layer 4 brings it to 0),
    // although no chain of consecutive layers 4, 3, 2, ... carries it.
    const std::string wait = write_temp("coq-wait.json", R"({"name": "wait", "layers": [{"attend": [[1], [], []]}, {"attend": [[], [2], []]}, {"attend": [[], [], []]}]})");
    json w = certify(wait, "coq-wait", "");
    w["influence"] = {{"holds", false}, {"k", 0}, {"j", 2}};
    w["verdict"] = "not-universal";
    expect_rejected(wait, w, "coq-wait-false", "closure_check P infl_k infl_j infl_R");
}

TEST_CASE("coq: a malformed certificate is bad input", "[coq]") {
    const std::string file = source_path("patterns/star.json");
    const std::string bad = write_temp("coq-bad.cert.json", R"({"n": 4, "p": 1, "self_attention": {"holds": true}, "hamiltonian_path": {"holds": true, "path": [0, "x"]}})");
    auto r = run_tool("check-certificate", "--coq " + temp_dir() + "/c_bad.v " + file + " " + bad);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("coq-bad.cert.json: hamiltonian_path.path[1]: expected a non-negative integer") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    auto name = run_tool("check-certificate", "--coq " + temp_dir() + "/not-a-module.v " + file + " " + bad);
    CHECK(name.status == 2);
    CHECK(name.err.find("--coq: a Coq file is named MODULE.v") != std::string::npos);
}

namespace {

// Decimal text of an integer-valued Rational.
std::string integer(const sparsecert::Rational& r) {
    REQUIRE(r.is_integer());
    return r.str();
}

// A Coq file that evaluates the definitions of theorems/coq/Construction.v on one instance and
// states that they give exactly what build_contextual_mapping built: the constants, the layer
// counts of each stage, and the code of every column of every grid input (evaluated here by the
// network evaluator in exact rationals, through every layer of stages (a) and (b)).
std::string construction_agreement(const std::string& pattern_file, std::optional<std::uint64_t> n,
                                   const sparsecert::ConstructionOptions& o) {
    using sparsecert::Rational;
    const sparsecert::Pattern pattern = sparsecert::load_pattern_file(source_path(pattern_file), n);
    const sparsecert::Construction c = sparsecert::build_contextual_mapping(pattern, o);
    const Rational m(o.m);
    std::ostringstream v;
    v << "From Coq Require Import Arith NArith ZArith List.\n"
      << "From Sparsecert Require Import Sets Theory Checkers Construction ContextualMapping.\nImport ListNotations.\n"
         "Local Open Scope N_scope.\n\n"
      << sparsecert::coq_pattern(pattern) << "Local Open Scope Z_scope.\n"
      << "Definition o : options := {| opt_m := " << o.m << "; opt_d := " << o.d << "; opt_phase := " << c.sweep_phase
      << "; opt_s := " << c.s << "; opt_pad := " << (o.all_max_start == sparsecert::AllMaxStart::pad_to_first_pattern ? "true" : "false")
      << " |}.\nDefinition gamma : list N := [";
    for (std::size_t i = 0; i < c.path.size(); ++i) v << (i ? "; " : "") << c.path[i] << "%N";
    const std::string args = std::to_string(o.m) + " " + std::to_string(o.d) + " " + std::to_string(c.n);
    const std::string sargs = args + " " + std::to_string(c.s);
    v << "].\n\nLemma agree_constants : (K_of " << o.m << " " << o.d << ", C_of " << sargs << ", sentinel " << sargs
      << ", X_low " << args << ", X_high " << args << ", t_low " << sargs << ", t_high " << sargs << ") = ("
      << integer(c.shift_multiplier) << ", " << integer(c.all_max_multiplier) << ", " << integer(c.sentinel) << ", "
      << integer(m * c.id_low) << ", " << integer(m * c.id_high) << ", " << integer(m * c.t_l) << ", "
      << integer(m * c.t_r) << ").\nProof. vm_compute. reflexivity. Qed.\n\n"
      << "Lemma agree_layers : (length (fst (sweep_layers P o gamma)), length (filter is_identity (fst (sweep_layers P o gamma))), "
         "length (padding_layers P o gamma), all_max_phase P o gamma, length (network P o gamma)) = ("
      << c.sweep.size() << ", " << c.identity_layers << ", " << c.padding.size() << ", " << c.all_max_phase << ", "
      << c.all_max.last - c.quantization.last << ")%nat.\nProof. vm_compute. reflexivity. Qed.\n\n";
    // Every grid input, in the order of its digits (token-major within each row).
    const sparsecert::NetworkEvaluator eval(c.network, pattern, sparsecert::Evaluator::rational);
    const std::size_t entries = std::size_t(c.d) * c.n;
    std::uint64_t inputs = 1;
    for (std::size_t e = 0; e < entries; ++e) inputs *= o.m;
    std::ostringstream in, expected;
    for (std::uint64_t index = 0; index < inputs; ++index) {
        sparsecert::Matrix x(c.d, c.n);
        std::vector<std::uint64_t> a(c.n, 0);
        std::uint64_t rest = index;
        for (std::uint32_t i = 0; i < c.d; ++i)
            for (std::uint32_t k = 0; k < c.n; ++k) {
                const std::uint64_t digit = rest % o.m;
                rest /= o.m;
                x.at(i, k) = Rational(static_cast<long long>(digit), o.m);
                std::uint64_t weight = 1;
                for (std::uint32_t e = 0; e < i; ++e) weight *= o.m;
                a[k] += digit * weight;  // m u . L_k
            }
        const sparsecert::Matrix out = eval(x, c.all_max.last);
        in << (index ? ";\n  [" : "  [");
        expected << (index ? ";\n  [" : "  [");
        for (std::uint32_t k = 0; k < c.n; ++k) {
            Rational id;
            for (std::uint32_t i = 0; i < c.d; ++i) id += c.u[i] * out.at(i, k);
            in << (k ? "; " : "") << a[k];
            expected << (k ? "; " : "") << integer(m * id);
        }
        in << "]";
        expected << "]";
    }
    v << "Definition inputs : list (list Z) := [\n" << in.str() << "].\n\n"
      << "Definition expected : list (list Z) := [\n" << expected.str() << "].\n\n"
      << "Lemma agree_codes : map (codes P o gamma) inputs = expected.\nProof. vm_cast_no_check (eq_refl expected). Qed.\n\n"
      // The hypotheses of the lemma for this instance, by the checkers, and the lemma itself.
      << "Lemma wf : WellFormed P.\nProof. apply wf_check_sound. vm_cast_no_check (eq_refl true). Qed.\n"
      << "Lemma self : SelfAttention P.\nProof. apply (self_check_sound P wf). vm_cast_no_check (eq_refl true). Qed.\n"
      << "Lemma path : HamiltonianPath P gamma.\nProof. apply path_check_sound. vm_cast_no_check (eq_refl true). Qed.\n"
      << "Lemma hm : 2 <= opt_m o.\nProof. apply Z.leb_le. vm_cast_no_check (eq_refl true). Qed.\n"
      << "Lemma hd : (1 <= opt_d o)%nat.\nProof. apply Nat.leb_le. vm_cast_no_check (eq_refl true). Qed.\n"
      << "Lemma hphase : (opt_phase o < p P)%nat.\nProof. apply Nat.ltb_lt. vm_cast_no_check (eq_refl true). Qed.\n"
      << "Lemma hn : (2 <= N.to_nat (n P))%nat.\nProof. apply Nat.leb_le. vm_cast_no_check (eq_refl true). Qed.\n"
      << "Lemma complete : CompleteFrom P (all_max_phase P o gamma) (opt_s o).\n"
      << "Proof.\n  apply complete_from_rotate; [apply Nat.ltb_lt; vm_cast_no_check (eq_refl true)|].\n"
      << "  destruct (mixing_check_sound (rotate P (all_max_phase P o gamma)) (opt_s o)) as [_ [H _]];\n"
      << "    [vm_cast_no_check (eq_refl true)|exact H].\nQed.\n\n"
      << "Definition lemma_instance := contextual_mapping P o gamma wf self path hm hd hphase hn complete.\n"
      << "Print Assumptions lemma_instance.\n";
    return v.str();
}

}  // namespace

TEST_CASE("coq: the definitions of the construction compute what sparsecert construct builds", "[coq]") {
    using sparsecert::AllMaxStart;
    struct Instance {
        std::string name, file;
        std::optional<std::uint64_t> n;
        std::uint32_t d, m;
        std::size_t start_phase;
        AllMaxStart start;
    };
    const std::vector<Instance> instances = {
        {"star_4_1_4", "patterns/star.json", 4, 1, 4, 0, AllMaxStart::actual_phase},
        {"window_5_1_3", "patterns/sliding-window.json", 5, 1, 3, 0, AllMaxStart::actual_phase},
        {"star_3_2_2", "patterns/star.json", 3, 2, 2, 0, AllMaxStart::actual_phase},
        // p = 2 with identity layers in the sweep; the all-max stage at the actual phase, or padded.
        {"fixed_4_1_3", "patterns/fixed.json", 4, 1, 3, 0, AllMaxStart::actual_phase},
        {"fixed_4_1_3_pad", "patterns/fixed.json", 4, 1, 3, 0, AllMaxStart::pad_to_first_pattern},
        {"strided_5_1_2_phase1", "patterns/strided.json", 5, 1, 2, 1, AllMaxStart::actual_phase},
    };
    for (const auto& instance : instances) {
        sparsecert::ConstructionOptions o;
        o.d = instance.d;
        o.m = instance.m;
        o.start_phase = instance.start_phase;
        o.all_max_start = instance.start;
        const std::string file = write_temp("c_agree_" + instance.name + ".v", construction_agreement(instance.file, instance.n, o));
        auto r = run_coqc(file);
        INFO(instance.name << ":\n" << r.out);
        CHECK(r.status == 0);
        CHECK(r.out.find("Closed under the global context") != std::string::npos);
    }
}
