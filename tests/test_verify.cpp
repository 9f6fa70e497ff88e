// verify(): the three checks combined, on hand-made edge cases.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "sparsecert/pattern/families.hpp"
#include "sparsecert/certify/verify.hpp"

using namespace sparsecert;

namespace {

Pattern make(std::string name, token_t n, std::vector<Layer> layers) {
    Pattern p;
    p.name = std::move(name);
    p.n = n;
    p.layers = std::move(layers);
    return p;
}

}  // namespace

TEST_CASE("three-valued conjunction", "[verify]") {
    CHECK(all_of({true, true}) == std::optional<bool>(true));
    CHECK(all_of({true, std::nullopt}) == std::nullopt);
    CHECK(all_of({std::nullopt, false}) == std::optional<bool>(false));
}

TEST_CASE("no self-attention anywhere", "[verify]") {
    const token_t n = 7;
    // A ring without the diagonal: k attends to k-1 and k+1 only.
    auto ring = make_layer(n, [&](token_t k, RowSink& row) {
        row.add((k + n - 1) % n);
        row.add((k + 1) % n);
    });
    auto r = verify(make("ring", n, {ring, ring}));
    CHECK_FALSE(r.self_attention.holds);
    CHECK(r.self_attention.missing_count == 2 * n);
    REQUIRE(r.self_attention.missing.size() == 2 * n);
    CHECK(r.self_attention.missing[0] == std::pair<std::size_t, token_t>{0, 0});
    CHECK(r.self_attention.missing[n] == std::pair<std::size_t, token_t>{1, 0});
    CHECK(r.hamiltonian_path.holds == true);
    CHECK(r.theorem_applies == false);
    // Listing is capped, counting is not.
    VerifyOptions o;
    o.max_listed = 3;
    auto capped = verify(make("ring", n, {ring}), o);
    CHECK(capped.self_attention.missing.size() == 3);
    CHECK(capped.self_attention.missing_count == n);
}

TEST_CASE("a path that exists only in one direction", "[verify]") {
    const token_t n = 6;
    auto up = make_layer(n, [&](token_t k, RowSink& row) {
        row.add(k);
        if (k + 1 < n) row.add(k + 1);
    });
    auto r = verify(make("up", n, {up}));
    REQUIRE(r.hamiltonian_path.holds == true);
    CHECK(r.hamiltonian_path.path == std::vector<token_t>{5, 4, 3, 2, 1, 0});
    CHECK(r.reachability.holds == false);  // the last token sees only itself
    REQUIRE(r.reachability.unreached);
    CHECK(r.reachability.unreached->first == n - 1);
    CHECK(r.theorem_applies == false);
}

TEST_CASE("hub-only star: reachable in two steps, no Hamiltonian path", "[verify]") {
    const token_t n = 9, hub = 0;
    auto star = make_layer(n, [&](token_t k, RowSink& row) {
        if (k == hub) row.add_range(0, n - 1);
        row.add(k);
        row.add(hub);
    });
    auto r = verify(make("hub-only", n, {star}));
    CHECK(r.self_attention.holds);
    CHECK(r.hamiltonian_path.holds == false);
    CHECK(r.hamiltonian_path.refutation.has_value());
    CHECK(r.reachability.holds == true);
    CHECK(r.reachability.s == 2u);
    CHECK(r.theorem_applies == false);
}

TEST_CASE("finite s although S is not monotone", "[verify]") {
    const token_t n = 5;
    // Patterns 0 and 1 shift by one without self-attention, so S_k^2 = {k+2} does not contain
    // S_k^1 = {k+1}; pattern 2 is dense, so S^3 is complete.
    auto shift = make_layer(n, [&](token_t k, RowSink& row) { row.add((k + 1) % n); });
    auto r = verify(make("shift-shift-dense", n, {shift, shift, families::dense(n)}));
    CHECK_FALSE(r.reachability.monotone);
    CHECK(r.reachability.holds == true);
    CHECK(r.reachability.s == 3u);
    REQUIRE(r.reachability.below_s_witness);
    CHECK_FALSE(r.self_attention.holds);
}

TEST_CASE("the catalogue's paper patterns satisfy Theorem 1", "[verify]") {
    const token_t n = 256;
    auto star = verify(make("star", n, {families::star(n, n - 1, true)}));
    CHECK(star.theorem_applies == true);
    CHECK(star.reachability.s == 2u);
    auto strided = verify(make("strided", n, families::strided(n, 16)));
    CHECK(strided.theorem_applies == true);
    CHECK(strided.reachability.s == 2u);
    auto window = verify(make("window", n, {families::sliding_window(n, 4, 4)}));
    CHECK(window.theorem_applies == true);
    CHECK(window.reachability.s == (n - 1 + 3) / 4);
    auto causal = verify(make("causal", n, {families::sliding_window(n, 4, 0)}));
    CHECK(causal.theorem_applies == false);
    CHECK(causal.reachability.holds == false);
}

TEST_CASE("verify is deterministic", "[verify]") {
    const token_t n = 300;
    auto p = make("bigbird", n, {families::bigbird(n, 10, 2, 7)});
    CHECK(to_json(verify(p)).dump() == to_json(verify(p)).dump());
}

TEST_CASE("every check refuses a pattern that is not valid, before reading it", "[verify]") {
    // Layer 1 has 4 tokens in a pattern of n = 8: reading A_k for k >= 4 would run off its rows.
    const Pattern bad = make("mismatched", 8, {families::dense(8), families::dense(4)});
    const Pattern empty = make("no layers", 8, {});
    for (const Pattern* p : {&bad, &empty}) {
        INFO(p->name);
        CHECK_THROWS_AS(verify(*p), std::invalid_argument);
        CHECK_THROWS_AS(check_self_attention(*p), std::invalid_argument);
        CHECK_THROWS_AS(find_hamiltonian_path(*p), std::invalid_argument);
        CHECK_THROWS_AS(check_reachability(*p), std::invalid_argument);
        CHECK_THROWS_AS(check_star(*p), std::invalid_argument);
        CHECK_THROWS_AS(find_in_sequence_hub(*p), std::invalid_argument);
        CHECK_THROWS_AS(find_closure_set(*p), std::invalid_argument);
        CHECK_THROWS_AS(union_graph(*p), std::invalid_argument);
    }
    // Validated once, a CheckedPattern serves every check of a run.
    const Pattern good = make("dense", 8, {families::dense(8)});
    const CheckedPattern checked(good);
    CHECK(check_self_attention(checked).holds);
    CHECK(find_hamiltonian_path(checked).holds == true);
    CHECK(verify(checked).verdict == "universal");
}
