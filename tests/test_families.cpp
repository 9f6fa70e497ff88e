// The families of docs/families.md: each rule checked row by row against a brute-force predicate
// written from the documented definition, a few rows spelled out exactly, and the documented
// connection-count formulas against the generated layers.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include <catch2/catch.hpp>
#include <omp.h>

#include "sparsecert/pattern/families.hpp"

using namespace sparsecert;
namespace fam = sparsecert::families;

namespace {

using Rows = std::vector<token_t>;

Rows row(const Layer& layer, token_t k) {
    auto r = layer.attended(k);
    return {r.begin(), r.end()};
}

// Checks every A_k against "k attends j" from the definition.
void check_rule(const Layer& layer, token_t n, const std::function<bool(std::int64_t, std::int64_t)>& attends) {
    REQUIRE(layer.size() == n);
    for (token_t k = 0; k < n; ++k) {
        Rows expected;
        for (token_t j = 0; j < n; ++j)
            if (attends(k, j)) expected.push_back(j);
        INFO("token " << k);
        CHECK(row(layer, k) == expected);
    }
}

std::uint64_t sliding_count(std::uint64_t n, std::uint64_t left, std::uint64_t right) {
    const std::uint64_t l = std::min(left, n - 1), r = std::min(right, n - 1);
    return n * (l + r + 1) - l * (l + 1) / 2 - r * (r + 1) / 2;
}

std::uint64_t dilated_count(std::uint64_t n, std::uint64_t left, std::uint64_t right, std::uint64_t d) {
    std::uint64_t total = n;
    for (std::uint64_t i = 1; i <= left; ++i) total += n > d * i ? n - d * i : 0;
    for (std::uint64_t i = 1; i <= right; ++i) total += n > d * i ? n - d * i : 0;
    return total;
}

std::uint64_t strided_part_count(std::uint64_t n, std::uint64_t c) {
    const std::uint64_t q = n / c, s = n % c;
    return s * (q + 1) * (q + 1) + (c - s) * q * q;
}

std::uint64_t fixed_block_count(std::uint64_t n, std::uint64_t l) {
    const std::uint64_t q = n / l, s = n % l;
    return q * l * l + s * s;
}

std::uint64_t fixed_summary_count(std::uint64_t n, std::uint64_t l, std::uint64_t c) {
    const std::uint64_t q = n / l, s = n % l;
    const std::uint64_t summary = q * c + (s > l - c ? s - (l - c) : 0);
    return n * summary + (n - summary);
}

std::uint64_t star_count(std::uint64_t n, bool ring) {
    const std::uint64_t m = n - 1;
    const std::uint64_t satellites = m == 0 ? 0 : m == 1 ? 2 : (ring && m >= 3) ? 4 * m : 4 * m - 2;
    return n + satellites;
}

std::uint64_t global_count(std::uint64_t n, std::uint64_t g, bool self) {
    return g * n + (n - g) * (g + (self ? 1 : 0));
}

std::uint64_t bigbird_count(std::uint64_t n, std::uint64_t b, std::uint64_t r) {
    const std::uint64_t nb = n / b;  // b divides n
    return 2 * b * n + b * b * ((nb - 4) * (5 + std::min(r, nb - 5)) + 2 * (4 + std::min(r, nb - 4)));
}

}  // namespace

TEST_CASE("SplitMix64 matches the reference sequence and below() is uniform", "[families]") {
    // Reference values of Vigna's splitmix64.c started at state 0.
    fam::SplitMix64 g(0);
    CHECK(g.next() == 0xE220A8397B1DCDAFull);
    CHECK(g.next() == 0x6E789E6AA1B965F4ull);
    fam::SplitMix64 h(42);
    std::vector<int> counts(3, 0);
    for (int i = 0; i < 30000; ++i) ++counts[h.below(3)];
    for (int c : counts) CHECK(std::abs(c - 10000) < 500);
    fam::SplitMix64 one(7);
    for (int i = 0; i < 100; ++i) CHECK(one.below(1) == 0);
    CHECK_THROWS_AS(one.below(0), std::invalid_argument);
    // Bounds near 2^64 exercise the rejection step.
    fam::SplitMix64 big(9);
    const std::uint64_t bound = (std::uint64_t{1} << 63) + 12345;
    for (int i = 0; i < 100; ++i) CHECK(big.below(bound) < bound);
}

TEST_CASE("dense: A_k = [n]", "[families]") {
    for (token_t n : {1u, 2u, 7u}) {
        const Layer l = fam::dense(n);
        check_rule(l, n, [](auto, auto) { return true; });
        CHECK(l.connections() == std::uint64_t(n) * n);
    }
}

TEST_CASE("sliding_window: k-left <= j <= k+right, clipped", "[families]") {
    const Layer l = fam::sliding_window(10, 2, 1);
    CHECK(row(l, 0) == Rows{0, 1});
    CHECK(row(l, 5) == Rows{3, 4, 5, 6});
    CHECK(row(l, 9) == Rows{7, 8, 9});
    for (token_t n : {1u, 5u, 13u})
        for (token_t left : {0u, 1u, 3u, 20u})
            for (token_t right : {0u, 2u, 20u}) {
                const Layer w = fam::sliding_window(n, left, right);
                check_rule(w, n, [&](auto k, auto j) { return k - left <= j && j <= k + right; });
                CHECK(w.connections() == sliding_count(n, left, right));
            }
    CHECK(fam::sliding_window(1000, 31, 0).connections() == sliding_count(1000, 31, 0));
}

TEST_CASE("dilated_window: j = k + dilation * i, -left <= i <= right", "[families]") {
    const Layer l = fam::dilated_window(12, 2, 1, 3);
    CHECK(row(l, 0) == Rows{0, 3});
    CHECK(row(l, 6) == Rows{0, 3, 6, 9});
    CHECK(row(l, 11) == Rows{5, 8, 11});
    for (token_t n : {1u, 9u, 17u})
        for (token_t d : {1u, 2u, 5u})
            for (token_t left : {0u, 2u, 7u})
                for (token_t right : {0u, 3u}) {
                    const Layer w = fam::dilated_window(n, left, right, d);
                    check_rule(w, n, [&](auto k, auto j) {
                        const auto diff = j - k;
                        return diff % d == 0 && -std::int64_t(left) * d <= diff && diff <= std::int64_t(right) * d;
                    });
                    CHECK(w.connections() == dilated_count(n, left, right, d));
                }
    CHECK_THROWS_AS(fam::dilated_window(5, 1, 1, 0), std::invalid_argument);
}

TEST_CASE("strided: local |j-k| <= c and strided (j-k) mod c = 0", "[families]") {
    auto layers = fam::strided(10, 3);
    REQUIRE(layers.size() == 2);
    CHECK(row(layers[0], 0) == Rows{0, 1, 2, 3});
    CHECK(row(layers[0], 5) == Rows{2, 3, 4, 5, 6, 7, 8});
    CHECK(row(layers[1], 0) == Rows{0, 3, 6, 9});
    CHECK(row(layers[1], 5) == Rows{2, 5, 8});
    for (token_t n : {1u, 10u, 16u, 31u})
        for (token_t c : {1u, 3u, 4u, 40u}) {
            auto s = fam::strided(n, c);
            check_rule(s[0], n, [&](auto k, auto j) { return std::abs(k - j) <= c; });
            check_rule(s[1], n, [&](auto k, auto j) { return (j - k) % c == 0; });
            CHECK(s[0].connections() == sliding_count(n, c, c));
            CHECK(s[1].connections() == strided_part_count(n, c));
        }
    CHECK(fam::strided(1024, 32)[1].connections() == 1024 * 32);
}

TEST_CASE("fixed: blocks of l, summary = last c of every block plus k", "[families]") {
    auto layers = fam::fixed(10, 4, 1, fam::FixedOrder::block_first);
    REQUIRE(layers.size() == 2);
    CHECK(row(layers[0], 5) == Rows{4, 5, 6, 7});
    CHECK(row(layers[0], 9) == Rows{8, 9});
    CHECK(row(layers[1], 0) == Rows{0, 3, 7});
    CHECK(row(layers[1], 3) == Rows{3, 7});
    CHECK(row(layers[1], 9) == Rows{3, 7, 9});
    auto swapped = fam::fixed(10, 4, 1, fam::FixedOrder::summary_first);
    CHECK(swapped[0] == layers[1]);
    CHECK(swapped[1] == layers[0]);
    for (token_t n : {1u, 7u, 12u, 22u})
        for (token_t l : {1u, 3u, 5u, 30u})
            for (token_t c = 1; c <= std::min(l, 4u); ++c) {
                auto f = fam::fixed(n, l, c, fam::FixedOrder::block_first);
                check_rule(f[0], n, [&](auto k, auto j) { return k / l == j / l; });
                check_rule(f[1], n, [&](auto k, auto j) { return j % l >= l - c || j == k; });
                CHECK(f[0].connections() == fixed_block_count(n, l));
                CHECK(f[1].connections() == fixed_summary_count(n, l, c));
            }
    CHECK_THROWS_AS(fam::fixed(10, 4, 5, fam::FixedOrder::block_first), std::invalid_argument);
    CHECK_THROWS_AS(fam::fixed(10, 4, 0, fam::FixedOrder::block_first), std::invalid_argument);
}

TEST_CASE("star: relay attends all, satellites attend self, neighbours and relay", "[families]") {
    const Layer l = fam::star(6, 5, false);
    CHECK(row(l, 5) == Rows{0, 1, 2, 3, 4, 5});
    CHECK(row(l, 0) == Rows{0, 1, 5});
    CHECK(row(l, 2) == Rows{1, 2, 3, 5});
    CHECK(row(l, 4) == Rows{3, 4, 5});
    const Layer ring = fam::star(6, 5, true);
    CHECK(row(ring, 0) == Rows{0, 1, 4, 5});
    CHECK(row(ring, 4) == Rows{0, 3, 4, 5});
    // A relay in the middle: satellites skip it, in index order.
    const Layer mid = fam::star(6, 2, true);
    CHECK(row(mid, 1) == Rows{0, 1, 2, 3});
    CHECK(row(mid, 3) == Rows{1, 2, 3, 4});
    CHECK(row(mid, 5) == Rows{0, 2, 4, 5});
    for (token_t n : {1u, 2u, 3u, 4u, 9u})
        for (bool with_ring : {false, true}) {
            for (token_t relay = 0; relay < n; ++relay) {
                const Layer s = fam::star(n, relay, with_ring);
                const std::int64_t m = n - 1;
                auto index = [&](std::int64_t t) { return t < relay ? t : t - 1; };
                check_rule(s, n, [&](std::int64_t k, std::int64_t j) {
                    if (k == relay || j == relay || j == k) return true;
                    const auto d = std::abs(index(k) - index(j));
                    return d == 1 || (with_ring && m >= 3 && d == m - 1);
                });
                CHECK(s.connections() == star_count(n, with_ring));
            }
        }
    CHECK_THROWS_AS(fam::star(4, 4, false), std::invalid_argument);
}

TEST_CASE("global_tokens: globals attend all and are attended by all", "[families]") {
    const Layer l = fam::global_tokens(6, {4, 0, 4}, true);
    CHECK(row(l, 0) == Rows{0, 1, 2, 3, 4, 5});
    CHECK(row(l, 2) == Rows{0, 2, 4});
    const Layer no_self = fam::global_tokens(6, {0}, false);
    CHECK(row(no_self, 3) == Rows{0});
    CHECK(row(no_self, 0) == Rows{0, 1, 2, 3, 4, 5});
    for (bool self : {false, true}) {
        const std::vector<token_t> g{1, 5, 6, 9};
        const Layer x = fam::global_tokens(12, g, self);
        auto is_g = [&](std::int64_t t) { return std::count(g.begin(), g.end(), t) > 0; };
        check_rule(x, 12, [&](auto k, auto j) { return is_g(k) || is_g(j) || (self && j == k); });
        CHECK(x.connections() == global_count(12, 4, self));
    }
    CHECK(fam::global_tokens(5, {}, true).connections() == 5);
    CHECK_THROWS_AS(fam::global_tokens(5, {5}, true), std::invalid_argument);
}

TEST_CASE("longformer: window united with global tokens", "[families]") {
    const Layer l = fam::longformer(10, 1, 1, {0});
    CHECK(row(l, 0) == Rows{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(row(l, 1) == Rows{0, 1, 2});
    CHECK(row(l, 5) == Rows{0, 4, 5, 6});
    const std::vector<token_t> g{2, 7};
    for (token_t left : {0u, 1u, 3u})
        for (token_t right : {0u, 2u}) {
            const Layer x = fam::longformer(11, left, right, g);
            auto is_g = [&](std::int64_t t) { return t == 2 || t == 7; };
            check_rule(x, 11, [&](auto k, auto j) {
                return is_g(k) || is_g(j) || (k - left <= j && j <= k + right);
            });
            // docs/families.md: G n + sum over non-global k of (|W_k| + |G \ W_k|).
            std::uint64_t expected = 2 * 11;
            for (std::int64_t k = 0; k < 11; ++k) {
                if (is_g(k)) continue;
                const std::int64_t lo = std::max<std::int64_t>(0, k - left), hi = std::min<std::int64_t>(10, k + right);
                expected += hi - lo + 1;
                for (std::int64_t t : {2, 7}) expected += (t < lo || t > hi) ? 1 : 0;
            }
            CHECK(x.connections() == expected);
        }
    CHECK(fam::longformer(50, 4, 4, {}) == fam::sliding_window(50, 4, 4));
}

TEST_CASE("bigbird: ITC global blocks, 3-block band and r random blocks", "[families]") {
    const token_t n = 64, b = 8, nb = 8;
    const Layer l = fam::bigbird(n, b, 2, 1);
    auto blocks_of = [&](const Layer& layer, token_t k) {
        std::set<token_t> blocks;
        for (token_t j : layer.attended(k)) blocks.insert(j / b);
        return blocks;
    };
    for (token_t k = 0; k < n; ++k) {
        const token_t i = k / b;
        INFO("token " << k);
        // Whole key blocks only.
        CHECK(l.degree(k) == blocks_of(l, k).size() * b);
        // Tokens of one query block share A_k.
        CHECK(row(l, k) == row(l, i * b));
        if (i == 0 || i == nb - 1) {
            CHECK(l.degree(k) == n);
            continue;
        }
        const auto blocks = blocks_of(l, k);
        for (token_t must : {0u, i - 1, i, i + 1, nb - 1}) CHECK(blocks.count(must) == 1);
        const std::size_t base = (i == 1 || i == nb - 2) ? 4 : 5;
        CHECK(blocks.size() == base + 2);
    }
    CHECK(l.connections() == bigbird_count(n, b, 2));
    // Every token sees the global blocks; the global blocks see every token.
    for (token_t k = 0; k < n; ++k) {
        CHECK(l.attends(k, 0));
        CHECK(l.attends(k, n - 1));
    }

    SECTION("counts for several sizes") {
        for (token_t blocks : {5u, 6u, 9u, 16u})
            for (token_t r : {0u, 1u, 3u, 20u}) {
                const Layer x = fam::bigbird(blocks * 4, 4, r, 5);
                CHECK(x.connections() == bigbird_count(blocks * 4, 4, r));
            }
    }
    SECTION("a short last block") {
        const Layer x = fam::bigbird(37, 8, 1, 3);  // nb = 5, the last block has 5 tokens
        CHECK(row(x, 36).size() == 37);
        CHECK(row(x, 10) == row(x, 15));
        for (token_t k = 8; k < 32; ++k) {
            CHECK(x.attends(k, 32));
            CHECK(x.attends(k, 36));
        }
    }
    SECTION("too few blocks") {
        CHECK_THROWS_AS(fam::bigbird(32, 8, 1, 0), std::invalid_argument);
        CHECK_NOTHROW(fam::bigbird(33, 8, 1, 0));
    }
    SECTION("deterministic, seed-dependent, independent of the thread count") {
        const Layer a = fam::bigbird(4096, 16, 3, 77);
        CHECK(a == fam::bigbird(4096, 16, 3, 77));
        CHECK_FALSE(a == fam::bigbird(4096, 16, 3, 78));
        const int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        const Layer single = fam::bigbird(4096, 16, 3, 77);
        omp_set_num_threads(threads);
        CHECK(single == a);
    }
    SECTION("random blocks are spread over the whole sequence") {
        // Unlike Google/HF's prefix-confined draws: some random block must lie in the last quarter.
        const Layer x = fam::bigbird(64 * 64, 64, 3, 0);
        bool late = false;
        for (token_t i = 2; i < 20; ++i)
            for (token_t j : x.attended(i * 64)) late = late || (j / 64 >= 48 && j / 64 < 63);
        CHECK(late);
    }
}

TEST_CASE("random: r distinct other tokens plus self", "[families]") {
    const token_t n = 200;
    const Layer l = fam::random(n, 5, 11, true);
    for (token_t k = 0; k < n; ++k) {
        CHECK(l.attends(k, k));
        CHECK(l.degree(k) == 6);
    }
    CHECK(l.connections() == n * 6);
    const Layer no_self = fam::random(n, 5, 11, false);
    for (token_t k = 0; k < n; ++k) {
        CHECK_FALSE(no_self.attends(k, k));
        CHECK(no_self.degree(k) == 5);
    }
    // r >= n - 1 gives everything.
    CHECK(fam::random(7, 6, 1, true) == fam::dense(7));
    CHECK(fam::random(7, 50, 1, false).connections() == 7 * 6);
    CHECK(fam::random(1, 3, 1, false).connections() == 0);
    // Large r goes through the hash-set path of Floyd's algorithm.
    const Layer wide = fam::random(300, 100, 2, false);
    for (token_t k = 0; k < 300; ++k) CHECK(wide.degree(k) == 100);

    SECTION("deterministic and seed-dependent") {
        CHECK(fam::random(5000, 3, 9, true) == fam::random(5000, 3, 9, true));
        CHECK_FALSE(fam::random(5000, 3, 9, true) == fam::random(5000, 3, 10, true));
        const int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        const Layer single = fam::random(5000, 3, 9, true);
        omp_set_num_threads(threads);
        CHECK(single == fam::random(5000, 3, 9, true));
    }
    SECTION("roughly uniform") {
        // Each token is drawn by about r of the other rows; a gross bias would show in the extremes.
        const Layer x = fam::random(2000, 10, 3, false);
        const Layer t = transpose(x);
        std::uint64_t lo = 1000, hi = 0;
        for (token_t j = 0; j < 2000; ++j) {
            lo = std::min(lo, t.degree(j));
            hi = std::max(hi, t.degree(j));
        }
        CHECK(lo >= 1);
        CHECK(hi <= 30);
    }
}

TEST_CASE("block_sparse: kron(layout, ones(b, b)), cropped to n", "[families]") {
    const std::vector<std::vector<std::uint8_t>> layout{{1, 0, 1}, {0, 1, 0}, {1, 1, 0}};
    const Layer l = fam::block_sparse(6, 2, layout);
    CHECK(row(l, 0) == Rows{0, 1, 4, 5});
    CHECK(row(l, 3) == Rows{2, 3});
    CHECK(row(l, 5) == Rows{0, 1, 2, 3});
    check_rule(l, 6, [&](auto k, auto j) { return layout[k / 2][j / 2] != 0; });
    CHECK(l.connections() == 5 * 4);
    // A crop: n = 5 drops token 5 (half of block 2).
    const Layer crop = fam::block_sparse(5, 2, layout);
    check_rule(crop, 5, [&](auto k, auto j) { return layout[k / 2][j / 2] != 0; });
    CHECK(crop.connections() == 2 * (2 + 1) + 2 * 2 + 1 * (2 + 2));
    // The pair form gives the same layer.
    const std::vector<fam::BlockPair> pairs{{0, 0}, {0, 2}, {1, 1}, {2, 0}, {2, 1}, {0, 0}};
    CHECK(fam::block_sparse(6, 2, 3, pairs) == l);
    CHECK(fam::block_sparse(5, 2, 3, pairs) == crop);
    CHECK_THROWS_AS(fam::block_sparse(7, 2, layout), std::invalid_argument);
    CHECK_THROWS_AS(fam::block_sparse(4, 2, {{1, 0}, {1}}), std::invalid_argument);
    CHECK_THROWS_AS(fam::block_sparse(4, 2, 2, {{0, 2}}), std::invalid_argument);
}

TEST_CASE("BigBird at n = 262,144 with b = 64 generates quickly", "[families][large]") {
    const Layer l = fam::bigbird(262144, 64, 3, 0);
    CHECK(l.connections() == bigbird_count(262144, 64, 3));
}
