// The command-line conventions every program shares (docs/cli.md): --version, --help with the exit
// statuses, usage errors, --quiet, write errors on standard output, "-" for standard input, and the
// `sparsecert` dispatcher.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "sparsecert/version.hpp"

using sparsecert::testing::run_tool;
using sparsecert::testing::source_path;
using sparsecert::testing::temp_dir;

namespace {

std::size_t lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

// Each program, and each `sparsecert` subcommand, as the words before its arguments.
const std::vector<std::pair<std::string, std::string>> programs = {
    {"verify-pattern", ""},         {"check-certificate", ""},       {"export-pattern", ""},
    {"sparsecert", ""},             {"sparsecert", "verify "},       {"sparsecert", "check "},
    {"sparsecert", "export "},      {"sparsecert", "construct "},    {"sparsecert", "approximate "},
    {"sparsecert", "prove "},       {"sparsecert", "report "}};

}  // namespace

TEST_CASE("conventions: every program answers --version", "[cli][conventions]") {
    for (const auto& [tool, sub] : programs) {
        INFO(tool << " " << sub);
        auto r = run_tool(tool, sub + "--version");
        CHECK(r.status == 0);
        CHECK(r.err.empty());
        CHECK(lines(r.out) == 1);
        CHECK(r.out.find(std::string(" ") + sparsecert::version + "\n") != std::string::npos);
    }
    CHECK(run_tool("verify-pattern", "--version").out == std::string("verify-pattern (sparsecert) ") + sparsecert::version + "\n");
    CHECK(run_tool("sparsecert", "--version").out == std::string("sparsecert ") + sparsecert::version + "\n");
}

TEST_CASE("conventions: --help lists the exit statuses", "[cli][conventions]") {
    for (const auto& [tool, sub] : programs) {
        INFO(tool << " " << sub);
        auto r = run_tool(tool, sub + "--help");
        CHECK(r.status == 0);
        CHECK(r.err.empty());
        CHECK(r.out.find("Exit status") != std::string::npos);
        if (!(tool == "sparsecert" && sub.empty())) {
            CHECK(r.out.find("  2  bad input or usage") != std::string::npos);
            CHECK(r.out.find("--quiet") != std::string::npos);
        }
    }
    // The dispatcher lists every command by its summary.
    const auto top = run_tool("sparsecert", "--help").out;
    for (const char* command : {"verify", "check", "export", "construct", "approximate", "prove", "report"})
        CHECK(top.find(std::string("\n  ") + command + " ") != std::string::npos);
}

TEST_CASE("conventions: an unknown option is a usage error, never a file name", "[cli][conventions]") {
    for (const auto& [tool, sub] : programs) {
        INFO(tool << " " << sub);
        auto r = run_tool(tool, sub + "--bogus x y");
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(lines(r.err) == 1);
        CHECK(r.err.find("--bogus") != std::string::npos);
    }
    auto r = run_tool("sparsecert", "frobnicate");
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    // A usage error in a subcommand names the subcommand.
    CHECK(run_tool("sparsecert", "construct " + source_path("patterns/star.json")).err.starts_with("sparsecert construct: "));
    CHECK(run_tool("check-certificate", "only-one-argument").status == 2);
}

TEST_CASE("conventions: --quiet prints nothing and keeps the exit status", "[cli][conventions]") {
    const std::string star = source_path("patterns/star.json"), causal = source_path("patterns/causal-window.json");
    for (const auto& [file, status] : {std::pair{star, 0}, std::pair{causal, 1}}) {
        auto r = run_tool("verify-pattern", "--quiet --n 32 " + file);
        CHECK(r.status == status);
        CHECK(r.out.empty());
        CHECK(r.err.empty());
        CHECK(run_tool("verify-pattern", "-q --json --n 32 " + file).out.empty());
    }
    const std::string cert = temp_dir() + "/quiet.cert.json";
    REQUIRE(run_tool("verify-pattern", "-q --n 16 --certificate " + cert + " " + star).status == 0);
    CHECK(std::filesystem::exists(cert));  // --quiet does not stop the files the user asked for
    auto checked = run_tool("check-certificate", "--quiet --n 16 " + star + " " + cert);
    CHECK(checked.status == 0);
    CHECK(checked.out.empty());
    CHECK(run_tool("sparsecert", "construct --quiet " + star + " --n 3 --d 1 --delta 1/2").out.empty());
    // Errors still go to stderr.
    auto bad = run_tool("verify-pattern", "--quiet /nonexistent.json");
    CHECK(bad.status == 2);
    CHECK(lines(bad.err) == 1);
}

TEST_CASE("conventions: a write error on standard output is an error", "[cli][conventions]") {
    const std::string star = source_path("patterns/star.json");
    for (const auto& [tool, args] : std::vector<std::pair<std::string, std::string>>{
             {"verify-pattern", "--n 32 " + star},
             {"verify-pattern", "--json --n 32 " + star},
             {"verify-pattern", "--help"},
             {"export-pattern", "--n 32 " + star},
             {"sparsecert", "verify --n 32 " + star},
             {"sparsecert", "--help"},
             {"sparsecert", "construct " + star + " --n 3 --d 1 --delta 1/2"}}) {
        INFO(tool << " " << args);
        auto r = run_tool(tool, args, "/dev/null", "/dev/full");
        CHECK(r.status == 2);
        CHECK(lines(r.err) == 1);
        CHECK(r.err.find("cannot write standard output") != std::string::npos);
    }
}

TEST_CASE("conventions: - reads the pattern from standard input", "[cli][conventions]") {
    const std::string star = source_path("patterns/star.json");
    auto from_file = run_tool("verify-pattern", "--n 32 " + star);
    auto from_stdin = run_tool("verify-pattern", "--n 32 -", star);
    REQUIRE(from_stdin.status == 0);
    CHECK(from_stdin.out.starts_with("<stdin>: star (n = 32, p = 1)\n"));
    CHECK(from_stdin.out.substr(from_stdin.out.find('\n')) == from_file.out.substr(from_file.out.find('\n')));
    // Mixed with files, in the table, and in JSON.
    auto mixed = run_tool("verify-pattern", "--json --n 32 " + star + " -", star);
    REQUIRE(mixed.status == 0);
    auto doc = nlohmann::json::parse(mixed.out)["results"];
    CHECK(doc[1]["file"] == "-");
    doc[0].erase("file");
    doc[1].erase("file");
    CHECK(doc[0] == doc[1]);
    CHECK(run_tool("export-pattern", "--n 8 -", star).out == run_tool("export-pattern", "--n 8 " + star).out);
    // Errors name standard input.
    auto bad = run_tool("verify-pattern", "-", source_path("tests/data/one-direction.expected.json"));
    CHECK(bad.status == 2);
    CHECK(bad.err.starts_with("<stdin>: "));
    // Only once per run.
    auto twice = run_tool("verify-pattern", "- -", star);
    CHECK(twice.status == 2);
    CHECK(lines(twice.err) == 1);
    CHECK(twice.out.empty());
    // The checker and the subcommands take it too.
    const std::string cert = temp_dir() + "/stdin.cert.json";
    REQUIRE(run_tool("verify-pattern", "--n 16 --certificate " + cert + " -", star).status == 0);
    CHECK(run_tool("check-certificate", "--n 16 - " + cert, star).status == 0);
    CHECK(run_tool("sparsecert", "construct - --n 3 --d 1 --delta 1/2", star).status == 0);
}

TEST_CASE("conventions: --certificate DIR never lets one input overwrite another's certificate", "[cli][conventions]") {
    namespace fs = std::filesystem;
    const std::string base = temp_dir() + "/same-name";
    fs::create_directories(base + "/a");
    fs::create_directories(base + "/b");
    fs::copy_file(source_path("patterns/star.json"), base + "/a/star.json", fs::copy_options::overwrite_existing);
    fs::copy_file(source_path("patterns/sliding-window.json"), base + "/b/star.json", fs::copy_options::overwrite_existing);
    const std::string certs = base + "/certs";
    auto r = run_tool("verify-pattern", "--n 16 --certificate " + certs + " " + base + "/a/star.json " + base + "/b/star.json");
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("a/star.json") != std::string::npos);
    CHECK(r.err.find("b/star.json") != std::string::npos);
    CHECK(!fs::exists(certs + "/star.cert.json"));
    // Different names are fine, and each certificate checks against its own pattern.
    auto ok = run_tool("verify-pattern", "--n 16 --certificate " + certs + " " + base + "/a/star.json " +
                                             source_path("patterns/sliding-window.json"));
    CHECK(ok.status == 0);
    CHECK(run_tool("check-certificate", "--n 16 " + base + "/a/star.json " + certs + "/star.cert.json").status == 0);
    CHECK(run_tool("check-certificate", "--n 16 " + source_path("patterns/sliding-window.json") + " " + certs +
                                            "/sliding-window.cert.json").status == 0);
}

TEST_CASE("conventions: sparsecert verify and check are verify-pattern and check-certificate", "[cli][conventions]") {
    const std::string star = source_path("patterns/star.json");
    CHECK(run_tool("sparsecert", "verify --json --n 32 " + star).out == run_tool("verify-pattern", "--json --n 32 " + star).out);
    CHECK(run_tool("sparsecert", "export --n 8 " + star).out == run_tool("export-pattern", "--n 8 " + star).out);
    const std::string cert = temp_dir() + "/dispatch.cert.json";
    REQUIRE(run_tool("sparsecert", "verify --n 16 --certificate " + cert + " " + star).status == 0);
    auto direct = run_tool("check-certificate", "--n 16 " + star + " " + cert);
    auto dispatched = run_tool("sparsecert", "check --n 16 " + star + " " + cert);
    CHECK(direct.status == 0);
    CHECK(dispatched.status == direct.status);
    CHECK(dispatched.out == direct.out);
    CHECK(run_tool("sparsecert", "check --help").out == run_tool("check-certificate", "--help").out);
}

TEST_CASE("conventions: the version is in every JSON output, certificate and report", "[cli][conventions]") {
    namespace fs = std::filesystem;
    const std::string star = source_path("patterns/star.json");
    const std::string v = sparsecert::version;
    for (const auto& [tool, args] : std::vector<std::pair<std::string, std::string>>{
             {"verify-pattern", "--json --n 8 " + star},
             {"sparsecert", "construct --json " + star + " --n 3 --d 1 --delta 1/2"},
             {"sparsecert", "approximate --json " + star + " --n 3 --d 1 --delta 1/2 --target mean --samples 10"},
             {"sparsecert", "prove --json --no-cvc5 --out " + temp_dir() + "/version-prove " + star +
                                " --n 3 --d 1 --delta 1/2"}}) {
        INFO(tool << " " << args);
        auto r = run_tool(tool, args);
        REQUIRE(r.status == 0);
        CHECK(nlohmann::json::parse(r.out).at("sparsecert_version") == v);
    }
    const std::string cert = temp_dir() + "/version.cert.json";
    REQUIRE(run_tool("verify-pattern", "--n 8 --certificate " + cert + " " + star).status == 0);
    CHECK(nlohmann::json::parse(sparsecert::testing::slurp(cert)).at("sparsecert_version") == v);

    const std::string patterns = temp_dir() + "/version-patterns", out = temp_dir() + "/version-report";
    fs::create_directories(patterns);
    fs::copy_file(star, patterns + "/star.json", fs::copy_options::overwrite_existing);
    REQUIRE(run_tool("sparsecert", "report --quiet --patterns " + patterns + " --sizes 8 --heatmap-n 0 --construct-n 0 --out " + out)
                .status == 0);
    CHECK(nlohmann::json::parse(sparsecert::testing::slurp(out + "/report.json")).at("sparsecert_version") == v);
    CHECK(sparsecert::testing::slurp(out + "/report.md").find("(sparsecert " + v + ")") != std::string::npos);
    CHECK(sparsecert::testing::slurp(out + "/report.html").find("(sparsecert " + v + ")") != std::string::npos);
}

TEST_CASE("conventions: the README's library example is examples/library/main.cpp", "[cli][conventions]") {
    // tests/install/consumer.sh compiles and runs that file against the installed tree.
    const std::string readme = sparsecert::testing::slurp(source_path("README.md"));
    const std::string example = sparsecert::testing::slurp(source_path("examples/library/main.cpp"));
    REQUIRE(!example.empty());
    CHECK(readme.find("```cpp\n" + example + "```") != std::string::npos);
    CHECK(readme.find("my window + global: universal (yun2020)") != std::string::npos);
}
