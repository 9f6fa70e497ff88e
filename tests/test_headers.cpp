// The old flat header names (<sparsecert/verify.hpp>, ...) still compile: each forwards to its
// subsystem folder (README.md, "As a library"). The list is every header directly in include/sparsecert/.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cli_support.hpp"
#include "sparsecert/version.hpp"

#include "sparsecert/approximation.hpp"
#include "sparsecert/catalogue.hpp"
#include "sparsecert/certificate.hpp"
#include "sparsecert/closure.hpp"
#include "sparsecert/construction.hpp"
#include "sparsecert/contextual_mapping.hpp"
#include "sparsecert/error_budget.hpp"
#include "sparsecert/families.hpp"
#include "sparsecert/hamiltonian.hpp"
#include "sparsecert/input_error.hpp"
#include "sparsecert/network.hpp"
#include "sparsecert/obligations.hpp"
#include "sparsecert/pattern.hpp"
#include "sparsecert/pattern_io.hpp"
#include "sparsecert/plot.hpp"
#include "sparsecert/progress.hpp"
#include "sparsecert/prove.hpp"
#include "sparsecert/rational.hpp"
#include "sparsecert/reachability.hpp"
#include "sparsecert/relu_form.hpp"
#include "sparsecert/report.hpp"
#include "sparsecert/self_attention.hpp"
#include "sparsecert/size_expression.hpp"
#include "sparsecert/smt.hpp"
#include "sparsecert/softmax_kernel.hpp"
#include "sparsecert/softmax_network.hpp"
#include "sparsecert/star.hpp"
#include "sparsecert/svg.hpp"
#include "sparsecert/targets.hpp"
#include "sparsecert/theorems.hpp"
#include "sparsecert/verify.hpp"

TEST_CASE("the flat header names forward to the subsystem headers", "[headers]") {
    // One name from each subsystem, reached through the old names only.
    sparsecert::Pattern p;
    p.n = 3;
    p.layers.push_back(sparsecert::families::dense(p.n));
    CHECK(sparsecert::verify(p).verdict == "universal");
    CHECK(sparsecert::Rational(1, 2) < sparsecert::Rational(1));
    CHECK(!sparsecert::theorem_registry().empty());
    CHECK(std::string(sparsecert::version).size() >= 5);
}

TEST_CASE("every flat header name is included above", "[headers]") {
    const std::string self = sparsecert::testing::slurp(sparsecert::testing::source_path("tests/test_headers.cpp"));
    for (const auto& entry : std::filesystem::directory_iterator(sparsecert::testing::source_path("include/sparsecert")))
        if (entry.is_regular_file())
            CHECK(self.find("#include \"sparsecert/" + entry.path().filename().string() + "\"") != std::string::npos);
}
