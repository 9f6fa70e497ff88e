// The repository stands alone: every "theory.md section N" and "algorithms.md section N" cited in
// code or docs exists in docs/, and nothing points outside the repository.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cli_support.hpp"

using sparsecert::testing::slurp;
using sparsecert::testing::source_path;

namespace {

// Text files of the tree that people read: sources, headers, docs, data with descriptions.
std::vector<std::filesystem::path> tree_files() {
    namespace fs = std::filesystem;
    std::vector<fs::path> out{source_path("README.md"), source_path("CMakeLists.txt")};
    for (const char* dir : {"src", "include", "docs", "tests", "theorems", "patterns", "bench", "tools", "examples", "cmake"}) {
        if (!fs::exists(source_path(dir))) continue;
        for (const auto& entry : fs::recursive_directory_iterator(source_path(dir))) {
            if (!entry.is_regular_file()) continue;
            const std::string ext = entry.path().extension().string();
            if (ext == ".cpp" || ext == ".hpp" || ext == ".md" || ext == ".json" || ext == ".sh" || ext == ".in" ||
                ext == ".py" || ext == ".txt" || ext == ".v")
                out.push_back(entry.path());
        }
    }
    return out;
}

// The numbers of the "## N. Title" sections of a document.
std::set<int> sections(const std::string& doc) {
    std::set<int> out;
    const std::regex heading(R"((^|\n)## (\d+)\.)");
    for (std::sregex_iterator it(doc.begin(), doc.end(), heading), end; it != end; ++it) out.insert(std::stoi((*it)[2]));
    return out;
}

}  // namespace

TEST_CASE("docs: every cited section of theory.md and algorithms.md exists", "[docs]") {
    const std::set<int> theory = sections(slurp(source_path("docs/theory.md")));
    const std::set<int> algorithms = sections(slurp(source_path("docs/algorithms.md")));
    REQUIRE(theory.size() >= 8);
    REQUIRE(algorithms.size() >= 4);
    // "theory.md section 4", "theory.md, section 1", "theory.md sections 3 and 4", "theory.md 4 (b)", "theory.md §6".
    const std::regex cite(R"((theory|algorithms)\.md\)?,? (?:sections? |§)?(\d+)(?:\.\d+)?(?: and (\d+))?)");
    std::size_t citations = 0;
    for (const auto& file : tree_files()) {
        const std::string text = slurp(file.string());
        for (std::sregex_iterator it(text.begin(), text.end(), cite), end; it != end; ++it) {
            const auto& known = (*it)[1] == "theory" ? theory : algorithms;
            for (int group : {2, 3}) {
                if (!(*it)[group].matched) continue;
                INFO(file.string() << ": " << it->str());
                CHECK(known.count(std::stoi((*it)[group])) == 1);
                ++citations;
            }
        }
    }
    CHECK(citations > 50);
}

TEST_CASE("docs: nothing cites material outside the repository", "[docs]") {
    // Built from pieces, so that this file does not match itself.
    const std::regex outside(std::string("shared") + "/|" + "\\b[Ii]ssue" + "s? [0-9]");
    for (const auto& file : tree_files()) {
        const std::string text = slurp(file.string());
        std::smatch m;
        INFO(file.string());
        CHECK_FALSE(std::regex_search(text, m, outside));
    }
}

TEST_CASE("tests: no test case name holds a semicolon", "[docs]") {
    // catch_discover_tests hands each name to ctest as a list element, and a ';' splits it: ctest
    // then asks Catch for two names that match nothing, and the test passes without running.
    const std::regex name(R"re(TEST_CASE\(((\s*"[^"]*")+))re");
    for (const auto& file : tree_files()) {
        if (file.extension() != ".cpp" || file.parent_path().filename() != "tests") continue;
        const std::string text = slurp(file.string());
        for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
            INFO(file.string() << ": " << (*it)[1].str());
            CHECK((*it)[1].str().find(';') == std::string::npos);
        }
    }
}
