// Predict before you build (docs/reliability.md, "Size limits"): every family's predicted
// connections against the layers it generates, over a sweep of small parameters, and the limit
// refusing a pattern, with its one line, before anything is built.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sparsecert/pattern/families.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/pattern/size_prediction.hpp"
#include "sparsecert/support/memory.hpp"

using namespace sparsecert;
namespace fam = sparsecert::families;

namespace {

std::uint64_t total(const std::vector<Layer>& layers) {
    std::uint64_t sum = 0;
    for (const auto& l : layers) sum += l.connections();
    return sum;
}

Pattern parse(const std::string& text, std::uint64_t max_connections, std::optional<std::uint64_t> n = {}) {
    return parse_pattern(nlohmann::json::parse(text), "limit.json", n, LoadLimits{max_connections});
}

// The one-line error of an InputError thrown by f.
template <typename F>
std::string error_of(F f) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("size prediction: every family's count is the generated count", "[size_prediction]") {
    for (token_t n : {1u, 2u, 3u, 5u, 8u, 13u, 31u, 64u, 100u}) {
        INFO("n = " << n);
        CHECK(predict::dense(n) == fam::dense(n).connections());
        for (token_t left : {0u, 1u, 2u, 7u, 200u})
            for (token_t right : {0u, 3u, 99u}) {
                INFO("left " << left << ", right " << right);
                CHECK(predict::sliding_window(n, left, right) == fam::sliding_window(n, left, right).connections());
                for (token_t d : {1u, 2u, 3u, 10u, 1000u})
                    CHECK(predict::dilated_window(n, left, right, d) ==
                          fam::dilated_window(n, left, right, d).connections());
                const std::vector<token_t> globals = {0, token_t(n / 2), token_t(n - 1), token_t(n / 2)};
                CHECK(predict::longformer(n, left, right, globals) ==
                      fam::longformer(n, left, right, globals).connections());
                CHECK(predict::longformer(n, left, right, {}) == fam::longformer(n, left, right, {}).connections());
            }
        for (token_t c : {1u, 2u, 3u, 7u, 64u, 1000u}) {
            const auto strided = fam::strided(n, c);
            const auto predicted = predict::strided(n, c);
            CHECK(predicted[0] == strided[0].connections());
            CHECK(predicted[1] == strided[1].connections());
            for (token_t l : {1u, 2u, 5u, 16u, 200u}) {
                if (c > l) continue;
                const auto fixed = fam::fixed(n, l, c, fam::FixedOrder::block_first);
                const auto f = predict::fixed(n, l, c);
                CHECK(f[0] == fixed[0].connections());
                CHECK(f[1] == fixed[1].connections());
            }
        }
        for (token_t relay : {0u, token_t(n / 2), token_t(n - 1)})
            for (bool ring : {false, true}) {
                INFO("relay " << relay << ", ring " << ring);
                CHECK(predict::star(n, relay, ring) == fam::star(n, relay, ring).connections());
            }
        for (bool self : {false, true}) {
            CHECK(predict::global_tokens(n, {token_t(n - 1), 0, 0}, self) ==
                  fam::global_tokens(n, {token_t(n - 1), 0, 0}, self).connections());
            for (token_t r : {0u, 1u, 3u, 99u, 2147483647u})
                CHECK(predict::random(n, r, self) == fam::random(n, r, 7, self).connections());
        }
        for (token_t b : {1u, 2u, 3u, 7u, 16u}) {
            if ((n + b - 1) / b < 5) continue;
            for (token_t r : {0u, 1u, 3u, 2147483647u}) {
                INFO("bigbird block " << b << ", random_blocks " << r);
                CHECK(predict::bigbird(n, b, r) == fam::bigbird(n, b, r, 11).connections());
            }
        }
        for (token_t b : {1u, 4u, 9u}) {
            const token_t nb = token_t((n + b - 1) / b + 1);  // one block more than needed: cropped
            std::vector<std::vector<std::uint8_t>> layout(nb, std::vector<std::uint8_t>(nb, 0));
            std::vector<fam::BlockPair> pairs;
            for (token_t q = 0; q < nb; ++q)
                for (token_t k = 0; k < nb; ++k)
                    if ((q * 7 + k * 3) % 4 == 0) {
                        layout[q][k] = 1;
                        pairs.push_back({q, k});
                        pairs.push_back({q, k});  // repeated pairs count once
                    }
            CHECK(predict::block_sparse(n, b, layout) == fam::block_sparse(n, b, layout).connections());
            CHECK(predict::block_sparse(n, b, nb, pairs) == fam::block_sparse(n, b, nb, pairs).connections());
        }
    }
}

TEST_CASE("size prediction: arithmetic only, at the largest sizes", "[size_prediction]") {
    const token_t n = 2147483647;
    const auto started = std::chrono::steady_clock::now();
    CHECK(predict::dense(n) == std::uint64_t(n) * n);
    CHECK(predict::sliding_window(n, n, n) == std::uint64_t(n) * n);
    CHECK(predict::dilated_window(n, n, n, 1) == std::uint64_t(n) * n);
    CHECK(predict::strided(n, 1)[1] == std::uint64_t(n) * n);
    CHECK(predict::random(n, n, true) == std::uint64_t(n) * n);
    CHECK(predict::bigbird(n, 1, n) == std::uint64_t(n) * n);
    CHECK(predict::longformer(n, 0, 0, {0}) == 3 * std::uint64_t(n) - 2);
    CHECK(predict::fixed(n, n, n)[0] == std::uint64_t(n) * n);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}

TEST_CASE("size limits: a pattern over the limit is refused before it is built", "[size_prediction][errors]") {
    SECTION("the issue's strided example names the layer, the parameters and the option") {
        const auto line = error_of([] { parse(R"({"name": "s", "layers": [{"strided": {"stride": 1}}]})", 1000000, 1000000); });
        CHECK(line == "limit.json: layers[0].strided: stride 1 at n = 1000000 gives 1000002999998 (about 1.0e12) "
                      "connections; the limit is 1000000 (about 1.0e6) (--max-connections)");
    }
    SECTION("the running total over layers: 2,000 dense layers") {
        nlohmann::json doc = {{"name", "d"}, {"n", 4096}, {"layers", nlohmann::json::array()}};
        for (int i = 0; i < 2000; ++i) doc["layers"].push_back({{"dense", nlohmann::json::object()}});
        const auto started = std::chrono::steady_clock::now();
        const auto line = error_of([&] { parse(doc.dump(), 100'000'000); });
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
        CHECK(line.find("limit.json: layers[5].dense: at n = 4096 gives 16777216 (about 1.7e7) connections, "
                        "100663296 (about 1.0e8) in total with the layers before it; the limit is 100000000") == 0);
    }
    SECTION("a union counts its parts") {
        const auto line = error_of([] {
            parse(R"({"name": "u", "n": 100, "layers": [{"union": [{"dense": {}}, {"sliding_window": {"left": 1, "right": 1}}]}]})",
                  10100);
        });
        CHECK(line.find("layers[0].union[1].sliding_window: left 1, right 1 at n = 100 gives 298") != std::string::npos);
    }
    SECTION("explicit ranges are counted expanded") {
        CHECK_NOTHROW(parse(R"({"name": "e", "layers": [{"attend": [[[0, 2]], [1], [[0, 1], 2]]}]})", 7));
        const auto line = error_of([] { parse(R"({"name": "e", "layers": [{"attend": [[[0, 2]], [1], [[0, 1], 2]]}]})", 6); });
        CHECK(line.find("layers[0].attend: the explicit form at n = 3 gives 7 connections") != std::string::npos);
    }
    SECTION("huge parameters are predicted, not generated") {
        const auto started = std::chrono::steady_clock::now();
        for (const char* text : {
                 R"({"name": "x", "layers": [{"dilated_window": {"left": 2147483647, "right": 0, "dilation": 1}}]})",
                 R"({"name": "x", "layers": [{"random": {"edges": 2147483647}}]})",
                 R"({"name": "x", "layers": [{"bigbird": {"random_blocks": 2147483647}}]})",
                 R"({"name": "x", "layers": [{"dense": {}}]})"}) {
            INFO(text);
            CHECK(error_of([&] { parse(text, 1000000, 1000000); }).find("(--max-connections)") != std::string::npos);
        }
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
    }
    SECTION("the pattern at the limit loads") {
        const Pattern p = parse(R"({"name": "d", "n": 100, "layers": [{"dense": {}}, {"dense": {}}]})", 20000);
        CHECK(p.connections() == 20000);
    }
}

TEST_CASE("size limits: the default is the usable memory at bytes_per_connection", "[size_prediction]") {
    CHECK(usable_memory_bytes() > 0);
    CHECK(default_max_connections() == usable_memory_bytes() / bytes_per_connection);
    CHECK(LoadLimits{}.max_connections == default_max_connections());
    CHECK(connection_count_text(999999) == "999999");
    CHECK(connection_count_text(1000000) == "1000000 (about 1.0e6)");
    CHECK(connection_count_text(9960000) == "9960000 (about 1.0e7)");
}

TEST_CASE("size limits: budgets saturate instead of wrapping", "[size_prediction]") {
    ConnectionBudget budget("f", ~std::uint64_t{0} - 1);
    budget.charge(~std::uint64_t{0} - 2, "a", "x");
    CHECK_THROWS_AS(budget.charge(5, "b", "y"), InputError);
    CHECK(budget.total() == ~std::uint64_t{0});
}
