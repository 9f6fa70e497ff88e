// The claims docs/theory.md (section 6), docs/families.md and the catalogue's descriptions make about
// the mixing depth s and the Hamiltonian path of the families, each over the range of n it is
// stated for. s is computed from the definition (mixing_depth_from), independently of the engines.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "cli_support.hpp"
#include "sparsecert/conditions/hamiltonian.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/pattern/families.hpp"
#include "sparsecert/pattern/pattern_io.hpp"

using namespace sparsecert;
namespace fam = sparsecert::families;

namespace {

Pattern of(token_t n, std::vector<Layer> layers) {
    Pattern p;
    p.name = "claim";
    p.n = n;
    p.layers = std::move(layers);
    return p;
}

// The least s from pattern 0, or nothing when none up to a bound far beyond any s of these families.
std::optional<std::uint64_t> s_of(const Pattern& p) { return mixing_depth_from(p, 0, 4 * std::uint64_t(p.n) * p.p() + 8); }

token_t ceil_sqrt(token_t n) {
    token_t c = token_t(std::sqrt(double(n)));
    while (std::uint64_t(c) * c < n) ++c;
    while (c > 0 && std::uint64_t(c - 1) * (c - 1) >= n) --c;
    return c;
}

}  // namespace

TEST_CASE("claim: a sliding window of half-width w has s = max(1, ceil((n - 1)/w)) for every n >= 1", "[claims]") {
    for (token_t w : {1u, 2u, 3u, 5u})
        for (token_t n = 1; n <= 60; ++n) {
            INFO("w = " << w << ", n = " << n);
            const std::uint64_t expected = std::max<std::uint64_t>(1, (n - 1 + w - 1) / w);
            CHECK(s_of(of(n, {fam::sliding_window(n, w, w)})) == expected);
        }
}

TEST_CASE("claim: Star-Transformer has s = 1 for n <= 3 and s = 2 for n >= 4, with the ring, s = 1 up to n = 4", "[claims]") {
    for (token_t n = 1; n <= 200; ++n) {
        INFO("n = " << n);
        CHECK(s_of(of(n, {fam::star(n, n - 1, false)})) == (n <= 3 ? 1u : 2u));
        CHECK(s_of(of(n, {fam::star(n, n - 1, true)})) == (n <= 4 ? 1u : 2u));
    }
}

TEST_CASE("claim: strided with c = ceil(sqrt(n)) has s = 1 for n <= 3 and s = 2 for n >= 4", "[claims]") {
    for (token_t n = 1; n <= 400; ++n) {
        INFO("n = " << n);
        CHECK(s_of(of(n, fam::strided(n, ceil_sqrt(n)))) == (n <= 3 ? 1u : 2u));
    }
}

TEST_CASE("claim: fixed has s = 2 (block first) or 3 (summary first) when the block size divides n >= 2l, "
          "a short last block without a summary position gives no finite s",
          "[claims]") {
    for (auto [l, c] : {std::pair<token_t, token_t>{4, 1}, {4, 2}, {6, 2}, {8, 3}}) {
        for (token_t n = 2 * l; n <= 8 * l; ++n) {
            INFO("l = " << l << ", c = " << c << ", n = " << n);
            const auto block = s_of(of(n, fam::fixed(n, l, c, fam::FixedOrder::block_first)));
            const auto summary = s_of(of(n, fam::fixed(n, l, c, fam::FixedOrder::summary_first)));
            const token_t rest = n % l;
            if (rest == 0) {
                CHECK(block == 2u);
                CHECK(summary == 3u);
            } else if (rest <= l - c) {
                // The last block's tokens l - c .. l - 1 (the summary positions) do not exist.
                CHECK(!block);
                CHECK(!summary);
            }
        }
    }
    // The catalogue's l = 128, c = 32 at the sizes quoted in the docs.
    const std::string file = sparsecert::testing::source_path("patterns/fixed.json");
    for (token_t n : {256u, 1024u}) CHECK(s_of(load_pattern_file(file, n)) == 2u);
    for (token_t n : {130u, 257u}) CHECK(!s_of(load_pattern_file(file, n)));
    CHECK(s_of(load_pattern_file(sparsecert::testing::source_path("patterns/fixed-summary-first.json"), 1024)) == 3u);
}

TEST_CASE("claim: a pure star (one global token, self-attention) has a Hamiltonian path exactly when n <= 3", "[claims]") {
    for (token_t n = 1; n <= 40; ++n) {
        INFO("n = " << n);
        HamiltonianOptions o;
        o.timeout_seconds = 10;
        const auto r = find_hamiltonian_path(of(n, {fam::global_tokens(n, {0}, true)}), o);
        REQUIRE(r.holds.has_value());
        CHECK(*r.holds == (n <= 3));
    }
}

TEST_CASE("claim: a causal window has no finite s for n >= 2 (s = 1 at n = 1)", "[claims]") {
    for (token_t left : {1u, 3u, 31u})
        for (token_t n = 1; n <= 80; ++n) {
            INFO("left = " << left << ", n = " << n);
            const auto s = s_of(of(n, {fam::sliding_window(n, left, 0)}));
            if (n == 1) CHECK(s == 1u);
            else CHECK(!s);
        }
}

TEST_CASE("claim: Longformer (window w, global token 0) has s = 1 for n <= w + 2 and s = 2 beyond, dense has s = 1",
          "[claims]") {
    for (token_t w : {1u, 2u, 4u, 7u})
        for (token_t n = 1; n <= 50; ++n) {
            INFO("w = " << w << ", n = " << n);
            CHECK(s_of(of(n, {fam::longformer(n, w, w, {0})})) == (n <= w + 2 ? 1u : 2u));
        }
    for (token_t n = 1; n <= 20; ++n) CHECK(s_of(of(n, {fam::dense(n)})) == 1u);
}

TEST_CASE("claim: BigBird has s = 1 when every row is full and s = 2 otherwise", "[claims]") {
    const std::string file = sparsecert::testing::source_path("patterns/bigbird.json");
    bool saw_one = false, saw_two = false;
    for (token_t n = 5; n <= 700; n += n < 40 ? 1 : 23) {
        INFO("n = " << n);
        const Pattern p = load_pattern_file(file, n);
        bool full = true;
        for (token_t k = 0; k < n; ++k) full = full && p.layers[0].degree(k) == n;
        const auto s = s_of(p);
        CHECK(s == (full ? 1u : 2u));
        saw_one = saw_one || full;
        saw_two = saw_two || !full;
    }
    CHECK(saw_one);
    CHECK(saw_two);
}
