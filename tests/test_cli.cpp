// The verify-pattern and export-pattern commands: output contract, exit statuses, bad input.
#include <catch2/catch.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "sparsecert/version.hpp"

using sparsecert::testing::run_tool;
using sparsecert::testing::source_path;
using sparsecert::testing::write_temp;

namespace {

std::size_t lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

// Every bad input: exit 2, nothing on stdout, exactly one line on stderr that names the file and
// contains `place` and `problem`.
void expect_bad_input(const std::string& args, const std::string& file, const std::string& place,
                      const std::string& problem) {
    auto r = run_tool("verify-pattern", args);
    INFO("args: " << args << "\nstderr: " << r.err);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find(file) != std::string::npos);
    CHECK(r.err.find(place) != std::string::npos);
    CHECK(r.err.find(problem) != std::string::npos);
}

}  // namespace

TEST_CASE("verify-pattern: bad input gives one line and exit status 2", "[cli]") {
    SECTION("missing file") {
        expect_bad_input("/nonexistent/pattern.json", "/nonexistent/pattern.json", "", "cannot open");
    }
    SECTION("malformed JSON") {
        auto f = write_temp("malformed.json", "{\"name\": \"x\",\n \"layers\": [}\n");
        expect_bad_input(f, f, "line 2", "");
    }
    SECTION("wrong type") {
        auto f = write_temp("wrongtype.json", R"({"name": 3, "n": 4, "layers": [{"dense": {}}]})");
        expect_bad_input(f, f, "name", "string");
    }
    SECTION("missing field") {
        auto f = write_temp("nolayers.json", R"({"name": "x", "n": 4})");
        expect_bad_input(f, f, "layers", "missing");
    }
    SECTION("token out of range") {
        auto f = write_temp("range.json",
                            R"({"name": "x", "layers": [{"attend": [[0], [1, 7], [2]]}]})");
        expect_bad_input(f, f, "layers[0].attend[1][1]", "7");
    }
    SECTION("list count that is not n") {
        auto f = write_temp("count.json", R"({"name": "x", "n": 4, "layers": [{"attend": [[0], [1], [2]]}]})");
        expect_bad_input(f, f, "layers[0].attend", "3");
    }
    SECTION("n <= 0") {
        auto f = write_temp("nzero.json", R"({"name": "x", "n": 0, "layers": [{"dense": {}}]})");
        expect_bad_input(f, f, "n", "positive");
    }
    SECTION("unknown family") {
        auto f = write_temp("family.json", R"({"name": "x", "n": 4, "layers": [{"sparse_magic": {}}]})");
        expect_bad_input(f, f, "layers[0]", "sparse_magic");
    }
    SECTION("unknown parameter") {
        auto f = write_temp("param.json",
                            R"({"name": "x", "n": 8, "layers": [{"sliding_window": {"left": 1, "right": 1, "widht": 2}}]})");
        expect_bad_input(f, f, "layers[0].sliding_window", "widht");
    }
    SECTION("empty layer list") {
        auto f = write_temp("empty.json", R"({"name": "x", "n": 4, "layers": []})");
        expect_bad_input(f, f, "layers", "empty");
    }
    SECTION("--n must be positive") {
        auto r = run_tool("verify-pattern", "--n 0 " + source_path("patterns/star.json"));
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(lines(r.err) == 1);
    }
    SECTION("unknown option") {
        auto r = run_tool("verify-pattern", "--frobnicate");
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(lines(r.err) == 1);
    }
    SECTION("a bad file among good ones prints nothing but the error") {
        auto bad = write_temp("bad2.json", R"({"name": "x", "n": 4, "layers": []})");
        auto r = run_tool("verify-pattern", source_path("patterns/star.json") + " " + bad);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(lines(r.err) == 1);
    }
}

TEST_CASE("verify-pattern: exit statuses follow the verdict", "[cli]") {
    CHECK(run_tool("verify-pattern", "--n 64 " + source_path("patterns/star.json")).status == 0);
    // No self-attention: neither sufficient theorem applies, the necessary condition holds: open.
    CHECK(run_tool("verify-pattern", "--n 64 " + source_path("patterns/xformers-global.json")).status == 3);
    CHECK(run_tool("verify-pattern", "--n 64 " + source_path("patterns/xformers-global.json") + " " +
                                         source_path("patterns/star.json")).status == 3);
    CHECK(run_tool("verify-pattern", "--n 64 " + source_path("patterns/causal-window.json")).status == 1);
    CHECK(run_tool("verify-pattern",
                   "--n 64 " + source_path("patterns/star.json") + " " + source_path("patterns/causal-window.json"))
              .status == 1);
}

TEST_CASE("verify-pattern --json: the exact output of one file", "[cli]") {
    // From standard input, so that "file" does not depend on where the checkout is.
    auto r = run_tool("verify-pattern", "--json -", source_path("tests/data/one-direction.json"));
    CHECK(r.status == 1);
    CHECK(r.err.empty());
    CHECK(r.out == sparsecert::testing::slurp(source_path("tests/data/one-direction.expected.json")));
}

namespace {

std::vector<std::string> sorted_keys(const nlohmann::json& o) {
    std::vector<std::string> keys;
    for (auto it = o.begin(); it != o.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    return keys;
}

}  // namespace

TEST_CASE("verify-pattern --json: keys exactly as documented, one shape for any number of files", "[cli]") {
    const std::string star = source_path("patterns/star.json"), causal = source_path("patterns/causal-window.json");
    auto r = run_tool("verify-pattern", "--json --n 32 " + star + " " + causal);
    REQUIRE(r.status == 1);
    auto top = nlohmann::json::parse(r.out);
    CHECK(sorted_keys(top) == std::vector<std::string>{"results", "sparsecert_version"});
    CHECK(top["sparsecert_version"] == sparsecert::version);
    const auto& doc = top["results"];
    REQUIRE(doc.is_array());
    REQUIRE(doc.size() == 2);
    for (const auto& o : doc) {
        CHECK(sorted_keys(o) == std::vector<std::string>{"connections", "extra_tokens", "file", "hamiltonian_path",
                                                         "n", "p", "pattern", "reachability", "self_attention", "star",
                                                         "theorem_applies", "theorems", "verdict", "verdict_p_range"});
        for (const auto& t : o["theorems"])
            CHECK(sorted_keys(t) == std::vector<std::string>{"applies", "id", "kind", "p_range", "reason"});
        CHECK(o["n"] == 32);
    }
    CHECK(doc[0]["file"] == star);
    CHECK(doc[1]["file"] == causal);
    CHECK(doc[0]["theorem_applies"] == true);
    CHECK(doc[0]["hamiltonian_path"].contains("path"));
    CHECK(!doc[0]["hamiltonian_path"].contains("reason"));
    CHECK(doc[0]["reachability"]["s"] == 2);
    // star.json's hub is an input token: BigBird's hypothesis (an extra hub) does not hold.
    CHECK(doc[0]["star"] == nlohmann::json{{"holds", false}, {"hub", nullptr}, {"in_sequence_hub", 31}});
    CHECK(doc[1]["star"] == nlohmann::json{{"holds", false}, {"hub", nullptr}, {"in_sequence_hub", nullptr}});
    CHECK(doc[1]["theorem_applies"] == false);
    CHECK(doc[1]["reachability"]["holds"] == false);
    CHECK(doc[1]["reachability"]["s"].is_null());
    CHECK(doc[1]["reachability"]["unreached"].size() == 2);
    CHECK(doc[0]["verdict"] == "universal");
    CHECK(doc[0]["verdict_p_range"] == "[1, inf)");
    CHECK(doc[1]["verdict"] == "not-universal");

    // An extra hub, as BigBird's theorem states it.
    auto extra = nlohmann::json::parse(run_tool("verify-pattern", "--json " + source_path("tests/data/extra-hub-star.json")).out);
    CHECK(extra["results"][0]["star"] == nlohmann::json{{"holds", true}, {"hub", 0}, {"in_sequence_hub", nullptr}});

    // One file: the same shape, a list of one.
    auto one = nlohmann::json::parse(run_tool("verify-pattern", "--json --n 32 " + star).out);
    CHECK(sorted_keys(one) == std::vector<std::string>{"results", "sparsecert_version"});
    REQUIRE(one["results"].size() == 1);
    CHECK(one["results"][0] == doc[0]);
}

TEST_CASE("verify-pattern --json: --omit-path and --compact", "[cli]") {
    const std::string star = source_path("patterns/star.json");
    auto full = run_tool("verify-pattern", "--json --n 64 " + star);
    auto compact = run_tool("verify-pattern", "--json --compact --n 64 " + star);
    auto omitted = run_tool("verify-pattern", "--json --compact --omit-path --n 64 " + star);
    REQUIRE(full.status == 0);
    REQUIRE(compact.status == 0);
    REQUIRE(omitted.status == 0);
    CHECK(lines(compact.out) == 1);
    CHECK(lines(full.out) > 64);
    CHECK(nlohmann::json::parse(compact.out) == nlohmann::json::parse(full.out));
    auto without = nlohmann::json::parse(omitted.out);
    auto with = nlohmann::json::parse(full.out);
    CHECK(with["results"][0]["hamiltonian_path"]["path"].size() == 64);
    CHECK(!without["results"][0]["hamiltonian_path"].contains("path"));
    CHECK(without["results"][0]["hamiltonian_path"]["holds"] == true);
    with["results"][0]["hamiltonian_path"].erase("path");
    CHECK(with == without);
}

TEST_CASE("verify-pattern: the catalogue table and determinism", "[cli]") {
    auto a = run_tool("verify-pattern", "--n 64");
    auto b = run_tool("verify-pattern", "--n 64");
    CHECK((a.status == 1 || a.status == 0));
    CHECK(a.out == b.out);
    CHECK(a.out.find("star.json") != std::string::npos);
    CHECK(a.out.find("universal (yun2020)") != std::string::npos);
    CHECK(a.out.find("not-universal (reachability-closure)") != std::string::npos);  // causal-window.json
    CHECK(a.out.find("fails: reachability") != std::string::npos);
}

TEST_CASE("export-pattern round-trips through the explicit form", "[cli]") {
    for (const char* name : {"star.json", "strided.json", "bigbird.json"}) {
        INFO(name);
        const std::string generic = source_path(std::string("patterns/") + name);
        auto e = run_tool("export-pattern", "--n 96 " + generic);
        REQUIRE(e.status == 0);
        auto f = write_temp(std::string("exported-") + name, e.out);
        auto again = run_tool("export-pattern", f);
        REQUIRE(again.status == 0);
        CHECK(again.out == e.out);
        // The explicit file verifies exactly like the generator it came from (but for the file name).
        auto verified = [](const std::string& args) {
            auto doc = nlohmann::json::parse(run_tool("verify-pattern", "--json " + args).out);
            doc["results"][0].erase("file");
            return doc;
        };
        CHECK(verified(f) == verified("--n 96 " + generic));
    }
}
