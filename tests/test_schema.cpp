// docs/pattern.schema.json agrees with the loader: every catalogue and test pattern validates, and
// files the loader rejects for their structure are rejected by the schema too.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "cli_support.hpp"
#include "sparsecert/pattern/catalogue.hpp"

using sparsecert::testing::source_path;
using sparsecert::testing::write_temp;

namespace {

bool have_jsonschema() {
    return std::system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") == 0;
}

// 0: valid, 1: invalid, other: the validator could not run.
int validate(const std::string& file) {
    const std::string cmd =
        "/usr/bin/python3 -c 'import json, sys, jsonschema; "
        "s = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2])); "
        "jsonschema.Draft202012Validator.check_schema(s); "
        "errs = list(jsonschema.Draft202012Validator(s).iter_errors(d)); "
        "sys.exit(1 if errs else 0)' " +
        source_path("docs/pattern.schema.json") + " " + file + " >/dev/null 2>&1";
    const int raw = std::system(cmd.c_str());
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

}  // namespace

TEST_CASE("pattern schema: the catalogue and the test patterns validate", "[schema][slow]") {
    if (!have_jsonschema()) {
        WARN("python3-jsonschema is not installed (tools/test.sh installs it): schema test skipped");
        return;
    }
    auto files = sparsecert::catalogue_files(source_path("patterns"));
    for (const char* extra : {"tests/data/one-direction.json", "tests/data/hub-only-star.json",
                              "tests/data/extra-hub-star.json",
                              "tests/data/solver-refuted.json"})
        files.push_back(source_path(extra));
    for (const auto& f : files) {
        INFO(f);
        CHECK(validate(f) == 0);
    }
}

TEST_CASE("pattern schema: structural errors are rejected", "[schema]") {
    if (!have_jsonschema()) {
        WARN("python3-jsonschema is not installed (tools/test.sh installs it): schema test skipped");
        return;
    }
    for (const std::string bad : {R"({"name": "x", "n": 4})", R"({"name": 3, "n": 4, "layers": [{"dense": {}}]})",
                                  R"({"name": "x", "n": 4, "layers": []})",
                                  R"({"name": "x", "n": 4, "layers": [{"sparse_magic": {}}]})",
                                  R"({"name": "x", "layers": [{"attend": [[0, "a"]]}]})",
                                  R"({"name": "x", "n": 4, "extra_tokens": 0, "layers": [{"dense": {}}]})"}) {
        INFO(bad);
        CHECK(validate(write_temp("schema-bad.json", bad)) == 1);
    }
}
