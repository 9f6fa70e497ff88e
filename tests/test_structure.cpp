// The structured row representation (pattern.hpp, segment.hpp) against plain CSR: every family,
// union and check gives the same answer on a pattern as on its explicit copy (every row expanded
// to tokens), and both agree with a naive reference on small n.
#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sparsecert/conditions/closure.hpp"
#include "sparsecert/conditions/hamiltonian.hpp"
#include "sparsecert/conditions/reachability.hpp"
#include "sparsecert/conditions/self_attention.hpp"
#include "sparsecert/conditions/star.hpp"
#include "sparsecert/pattern/catalogue.hpp"
#include "sparsecert/pattern/families.hpp"
#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/pattern/pattern_io.hpp"

using namespace sparsecert;
namespace fam = sparsecert::families;

namespace {

std::set<token_t> tokens_of(const std::vector<Segment>& segments) {
    std::set<token_t> out;
    for (const Segment& s : segments)
        for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride) out.insert(token_t(j));
    return out;
}

Segment random_segment(std::mt19937& rng, token_t n) {
    const token_t lo = token_t(rng() % n);
    const token_t stride = rng() % 3 == 0 ? 1 : token_t(1 + rng() % 7);
    const token_t steps = token_t(rng() % 6);
    const std::uint64_t hi = std::min<std::uint64_t>(lo + std::uint64_t(stride) * steps, n - 1);
    const token_t top = token_t(lo + (hi - lo) / stride * stride);
    return {lo, top, top == lo ? 1 : stride};
}

// The explicit copy: every row expanded to tokens, in CSR (the representation before structure).
Layer explicit_copy(const Layer& layer) {
    std::vector<std::uint64_t> offsets{0};
    std::vector<token_t> targets;
    for (token_t k = 0; k < layer.size(); ++k) {
        layer.row(k).append_to(targets);
        offsets.push_back(targets.size());
    }
    return Layer(std::move(offsets), std::move(targets));
}

Pattern explicit_copy(const Pattern& p) {
    Pattern q = p;
    q.layers.clear();
    for (const Layer& l : p.layers) q.layers.push_back(explicit_copy(l));
    return q;
}

// Every representation invariant, and agreement with the expanded rows.
void check_layer(const Layer& layer) {
    const token_t n = layer.size();
    std::uint64_t total = 0;
    for (token_t k = 0; k < n; ++k) {
        const RowView r = layer.row(k);
        REQUIRE(is_normal(r.shared, n));
        REQUIRE(is_normal(r.own, n));
        REQUIRE(std::is_sorted(r.tokens.begin(), r.tokens.end()));
        std::set<token_t> all;
        std::size_t parts = 0;
        r.for_each_token([&](token_t j) {
            all.insert(j);
            ++parts;
        });
        REQUIRE(all.size() == parts);  // the three parts are disjoint
        REQUIRE(layer.degree(k) == parts);
        const auto row = layer.attended(k);
        REQUIRE(std::vector<token_t>(row.begin(), row.end()) == std::vector<token_t>(all.begin(), all.end()));
        if (!all.empty()) {
            CHECK(r.min() == *all.begin());
            CHECK(r.max() == *all.rbegin());
        }
        if (n <= 96)
            for (token_t j = 0; j < n; ++j) REQUIRE(layer.attends(k, j) == (all.count(j) == 1));
        total += parts;
    }
    CHECK(layer.connections() == total);
    CHECK(layer == explicit_copy(layer));
}

Pattern pattern_of(std::vector<Layer> layers, std::string name = "test") {
    Pattern p;
    p.name = std::move(name);
    p.n = layers.front().size();
    p.layers = std::move(layers);
    return p;
}

// A random layer from the families (or explicit random rows), over n tokens.
Layer random_layer(std::mt19937& rng, token_t n) {
    const token_t a = token_t(1 + rng() % std::max<token_t>(1, n / 3));
    const token_t b = token_t(rng() % std::max<token_t>(1, n / 4));
    switch (rng() % 11) {
        case 0: return fam::sliding_window(n, a, b);
        case 1: return fam::dilated_window(n, a % 5, b % 5, 1 + rng() % 3);
        case 2: return fam::strided(n, a)[rng() % 2];
        case 3: return fam::fixed(n, a, 1 + rng() % a, fam::FixedOrder::block_first)[rng() % 2];
        case 4: return fam::star(n, token_t(rng() % n), rng() % 2 == 0);
        case 5: return fam::global_tokens(n, {token_t(rng() % n), token_t(rng() % n)}, rng() % 2 == 0);
        case 6: return fam::longformer(n, a % 6, b % 6, {token_t(rng() % n)});
        case 7: return fam::random(n, token_t(rng() % 3), rng(), rng() % 2 == 0);
        case 8: {
            const token_t blk = token_t(1 + rng() % 4);
            const token_t nb = token_t((n + blk - 1) / blk);
            std::vector<fam::BlockPair> pairs;
            for (token_t q = 0; q < nb; ++q) {
                pairs.push_back({q, q});
                if (rng() % 2) pairs.push_back({q, token_t(rng() % nb)});
            }
            return fam::block_sparse(n, blk, nb, pairs);
        }
        case 9: {
            const std::vector<Layer> parts{random_layer(rng, n), random_layer(rng, n)};
            return union_of(parts);
        }
        default: {
            return make_layer(n, [&, seed = rng()](token_t k, RowSink& row) {
                std::mt19937 local(std::uint32_t(seed + k));
                for (int i = 0, m = int(local() % 4); i < m; ++i) {
                    const Segment s = random_segment(local, n);
                    if (local() % 2) row.add(s);
                    else row.add(s.lo);
                }
                if (local() % 3) row.add(k);
            });
        }
    }
}

// One to three random layers over n tokens.
std::vector<Layer> random_layers(std::mt19937& rng, token_t n) {
    std::vector<Layer> layers;
    for (int i = 0, m = int(1 + rng() % 3); i < m; ++i) layers.push_back(random_layer(rng, n));
    return layers;
}

// Naive S^t for n <= 64: one machine word per row; decides holds, s, and the first repeat.
struct NaiveReach {
    bool holds = false;
    std::uint64_t s = 0;
};

NaiveReach naive(const Pattern& p) {
    const token_t n = p.n;
    const std::uint64_t all = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
    auto mask = [&](const Layer& l, token_t k) {
        std::uint64_t m = 0;
        for (token_t j : l.attended(k)) m |= std::uint64_t{1} << j;
        return m;
    };
    std::vector<std::uint64_t> S(n);
    for (token_t k = 0; k < n; ++k) S[k] = mask(p.layers[0], k);
    std::map<std::pair<std::vector<std::uint64_t>, std::size_t>, std::uint64_t> seen;
    for (std::uint64_t t = 1;; ++t) {
        if (std::all_of(S.begin(), S.end(), [&](std::uint64_t x) { return x == all; })) return {true, t};
        if (!seen.emplace(std::make_pair(S, std::size_t(t % p.p())), t).second) return {false, 0};
        const Layer& l = p.layers[t % p.p()];
        std::vector<std::uint64_t> next(n, 0);
        for (token_t k = 0; k < n; ++k)
            for (token_t i : l.attended(k)) next[k] |= S[i];
        S.swap(next);
    }
}

void same_reachability(const ReachabilityResult& a, const ReachabilityResult& b) {
    INFO("structured: " << a.method << ": " << a.reason);
    INFO("explicit: " << b.method << ": " << b.reason);
    CHECK(a.holds == b.holds);
    CHECK(a.s == b.s);
    CHECK(a.unreached_for_all_t == b.unreached_for_all_t);
    if (a.cycle_start && b.cycle_start) {
        CHECK(*a.cycle_start == *b.cycle_start);
        CHECK(a.period == b.period);
    }
}

// The checks on a pattern and on its explicit copy: the same answers, valid evidence.
void cross_check(const Pattern& p) {
    INFO("pattern " << p.name << ", n = " << p.n << ", p = " << p.p());
    const Pattern q = explicit_copy(p);
    for (const Layer& l : p.layers) check_layer(l);

    const auto sa = check_self_attention(p), sb = check_self_attention(q);
    CHECK(sa.holds == sb.holds);
    CHECK(sa.missing_count == sb.missing_count);
    CHECK(sa.missing == sb.missing);

    CHECK(find_in_sequence_hub(p) == find_in_sequence_hub(q));
    CHECK(check_star(p).holds == check_star(q).holds);
    CHECK(find_closure_set(p).has_value() == find_closure_set(q).has_value());
    if (auto c = find_closure_set(p)) {
        std::vector<char> in(p.n, 0);
        for (token_t r : c->members) in[r] = 1;
        CHECK(in[c->k]);
        CHECK_FALSE(in[c->j]);
        for (token_t r : c->members)
            for (const Layer& l : q.layers)
                for (token_t x : l.attended(r)) CHECK(in[x]);
    }

    HamiltonianOptions ho;
    ho.timeout_seconds = 2;
    ho.dfs_timeout_seconds = 1;
    ho.dfs_node_limit = 200'000;
    const auto ha = find_hamiltonian_path(p, ho), hb = find_hamiltonian_path(q, ho);
    if (ha.holds && hb.holds) CHECK(*ha.holds == *hb.holds);
    if (ha.holds == true) CHECK(is_hamiltonian_path(q, ha.path));
    if (hb.holds == true) CHECK(is_hamiltonian_path(p, hb.path));

    const NaiveReach ref = p.n <= 64 ? naive(q) : NaiveReach{};
    using E = ReachabilityEngine;
    for (E engine : {E::automatic, E::intervals, E::certificates, E::classes}) {
        for (bool twins : {true, false}) {
            if (!twins && engine != E::classes) continue;
            ReachabilityOptions o;
            o.engine = engine;
            o.use_twins = twins;
            o.timeout_seconds = 20;
            const auto ra = check_reachability(p, o), rb = check_reachability(q, o);
            INFO("engine " << int(engine) << ", twins " << twins);
            if (ra.holds && rb.holds) same_reachability(ra, rb);
            if (engine == E::automatic || engine == E::classes) {
                CHECK(ra.holds.has_value());
                CHECK(ra.holds == rb.holds);
            }
            if (ra.holds == true && ra.s && ra.below_s_witness) {
                const auto [k, j] = *ra.below_s_witness;
                const auto set = reachability_set(q, k, *ra.s - 1);
                CHECK_FALSE(std::binary_search(set.begin(), set.end(), j));
            }
            if (p.n <= 64 && ra.holds) {
                CHECK(*ra.holds == ref.holds);
                if (ref.holds && ra.s) CHECK(*ra.s == ref.s);
            }
        }
    }
}

}  // namespace

TEST_CASE("segments: normalize and subtract agree with sets", "[structure]") {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 3000; ++trial) {
        const token_t n = token_t(1 + rng() % 80);
        std::vector<Segment> a, b;
        for (int i = 0, m = int(rng() % 6); i < m; ++i) a.push_back(random_segment(rng, n));
        for (int i = 0, m = int(rng() % 6); i < m; ++i) b.push_back(random_segment(rng, n));
        const auto set_a = tokens_of(a), set_b = tokens_of(b);
        normalize(a);
        normalize(b);
        REQUIRE(is_normal(a, n));
        REQUIRE(is_normal(b, n));
        REQUIRE(tokens_of(a) == set_a);
        REQUIRE(count(a) == set_a.size());
        for (token_t j = 0; j < n; ++j) REQUIRE(contains(a, j) == (set_a.count(j) == 1));
        std::vector<Segment> diff;
        subtract(a, b, diff);
        REQUIRE(is_normal(diff, n));
        std::set<token_t> expected;
        std::set_difference(set_a.begin(), set_a.end(), set_b.begin(), set_b.end(),
                            std::inserter(expected, expected.end()));
        REQUIRE(tokens_of(diff) == expected);
        for (const Segment& s : a) {
            const token_t x = token_t(rng() % n), y = token_t(rng() % n);
            const auto r = restrict_to(s, std::min(x, y), std::max(x, y));
            std::set<token_t> want;
            for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride)
                if (j >= std::min(x, y) && j <= std::max(x, y)) want.insert(token_t(j));
            REQUIRE(r.has_value() == !want.empty());
            if (r) REQUIRE(tokens_of({*r}) == want);
        }
    }
    // Progressions of one stride and different phases stay progressions; two phases that fill an
    // interval become one interval.
    std::vector<Segment> phases{{0, 30, 3}, {1, 31, 3}};
    normalize(phases);
    CHECK(phases.size() > 2);
    CHECK(tokens_of(phases).size() == 22);
    std::vector<Segment> evens_odds{{0, 40, 2}, {1, 41, 2}};
    normalize(evens_odds);
    CHECK(evens_odds == std::vector<Segment>{Segment::interval(0, 41)});
}

TEST_CASE("families: structured rows equal their CSR expansion", "[structure]") {
    for (token_t n : {1u, 2u, 5u, 17u, 64u, 100u, 257u}) {
        INFO("n = " << n);
        check_layer(fam::dense(n));
        check_layer(fam::sliding_window(n, 3, 1));
        check_layer(fam::dilated_window(n, 4, 2, 3));
        for (token_t c : {1u, 3u, 16u, 300u})
            for (const Layer& l : fam::strided(n, c)) check_layer(l);
        for (const Layer& l : fam::fixed(n, 8, 3, fam::FixedOrder::summary_first)) check_layer(l);
        check_layer(fam::star(n, n - 1, true));
        check_layer(fam::star(n, 0, false));
        check_layer(fam::global_tokens(n, {0, n / 2}, true));
        check_layer(fam::global_tokens(n, {n - 1}, false));
        check_layer(fam::longformer(n, 2, 5, {0, n / 3}));
        check_layer(fam::random(n, 3, 11, true));
        if (n >= 5) check_layer(fam::bigbird(n, std::max<token_t>(1, n / 6), 2, 3));
        if (n > 4) check_layer(fam::block_sparse(n, 4, (n + 3) / 4, {{0, 0}, {0, 1}, {1, 0}}));
    }
}

TEST_CASE("families: memory follows the description, not the connections", "[structure]") {
    const token_t n = 1 << 20;
    const auto bb = fam::bigbird(n, 64, 3, 0);
    CHECK(bb.connections() > (std::uint64_t{1} << 29));
    CHECK(bb.bytes() < (std::uint64_t{16} << 20));
    const auto fx = fam::fixed(n, 128, 32, fam::FixedOrder::block_first);
    CHECK(fx[1].connections() > (std::uint64_t{1} << 37));
    CHECK(fx[0].bytes() + fx[1].bytes() < (std::uint64_t{64} << 20));
    const auto st = fam::strided(n, 1024);
    CHECK(st[0].bytes() + st[1].bytes() < (std::uint64_t{64} << 20));
}

TEST_CASE("union_of keeps shared rows and equals the CSR union", "[structure]") {
    std::mt19937 rng(3);
    for (int trial = 0; trial < 60; ++trial) {
        const token_t n = token_t(1 + rng() % 70);
        const std::vector<Layer> parts = random_layers(rng, n);
        const Layer u = union_of(parts);
        check_layer(u);
        std::vector<Layer> plain;
        for (const Layer& l : parts) plain.push_back(explicit_copy(l));
        CHECK(u == union_of(plain));
    }
    // BigBird's blocks united with a window: still one shared row per block.
    const std::vector<Layer> parts{fam::bigbird(640, 64, 1, 0), fam::sliding_window(640, 1, 1)};
    const Layer u = union_of(parts);
    CHECK(u.shared_rows() <= 11);
    check_layer(u);
}

TEST_CASE("segments: intersect agrees with sets (Chinese remainder)", "[structure]") {
    std::mt19937 rng(19);
    for (int trial = 0; trial < 3000; ++trial) {
        const token_t n = token_t(1 + rng() % 120);
        const Segment x = random_segment(rng, n), y = random_segment(rng, n);
        const auto common = intersect(x, y);
        std::set<token_t> want;
        for (token_t j : tokens_of({x}))
            if (y.contains(j)) want.insert(j);
        REQUIRE(common.has_value() == !want.empty());
        if (common) {
            REQUIRE(valid_segment(*common, n));
            REQUIRE(tokens_of({*common}) == want);
        }
        std::vector<Segment> a, b;
        for (int i = 0, m = int(rng() % 6); i < m; ++i) a.push_back(random_segment(rng, n));
        for (int i = 0, m = int(rng() % 6); i < m; ++i) b.push_back(random_segment(rng, n));
        normalize(a);
        normalize(b);
        std::vector<Segment> both;
        intersect(a, b, both);
        REQUIRE(is_normal(both, n));
        const auto set_a = tokens_of(a), set_b = tokens_of(b);
        std::set<token_t> expected;
        std::set_intersection(set_a.begin(), set_a.end(), set_b.begin(), set_b.end(),
                              std::inserter(expected, expected.end()));
        REQUIRE(tokens_of(both) == expected);
    }
    // Large strides: 3 + 1000003 i meets 5 + 999983 j once below 2^31 at most in a few places.
    const Segment p{3, 3 + 1000003u * 2000, 1000003}, q{5, 5 + 999983u * 2000, 999983};
    const auto pq = intersect(p, q);
    std::set<token_t> want;
    for (std::uint64_t j = p.lo; j <= p.hi; j += p.stride)
        if (q.contains(token_t(j))) want.insert(token_t(j));
    CHECK(pq.has_value() == !want.empty());
}

TEST_CASE("intersection_of and causal_part equal the CSR set operations", "[structure]") {
    std::mt19937 rng(5);
    for (int trial = 0; trial < 80; ++trial) {
        const token_t n = token_t(1 + rng() % 70);
        const std::vector<Layer> parts = random_layers(rng, n);
        const Layer both = intersection_of(parts);
        check_layer(both);
        const Layer causal = causal_part(parts.front());
        check_layer(causal);
        for (token_t k = 0; k < n; ++k) {
            std::vector<token_t> want;
            for (token_t j = 0; j < n; ++j)
                if (std::all_of(parts.begin(), parts.end(), [&](const Layer& l) { return l.attends(k, j); }))
                    want.push_back(j);
            const auto got = both.attended(k);
            REQUIRE(std::vector<token_t>(got.begin(), got.end()) == want);
            std::vector<token_t> before;
            for (token_t j = 0; j <= k; ++j)
                if (parts.front().attends(k, j)) before.push_back(j);
            const auto c = causal.attended(k);
            REQUIRE(std::vector<token_t>(c.begin(), c.end()) == before);
        }
    }
    // Shared rows stay shared: BigBird's blocks cut by a block layout, and the causal part of the
    // strided layer at n = 2^20 stays within megabytes.
    const std::vector<Layer> bb{fam::bigbird(640, 64, 1, 0), fam::block_sparse(640, 64, 10, {{0, 0}, {3, 2}, {3, 4}})};
    const Layer cut = intersection_of(bb);
    CHECK(cut.shared_rows() <= 11);
    CHECK(cut.connections() == 3u * 64 * 64);
    const token_t big = 1 << 20;
    const Layer strided = fam::strided(big, 1024)[1];
    const Layer causal = causal_part(strided);
    CHECK(causal.bytes() < (std::uint64_t{64} << 20));
    CHECK(causal.attends(5000, 5000 - 1024));
    CHECK(!causal.attends(5000, 5000 + 1024));
}

TEST_CASE("checks agree on structured patterns and their explicit copies: random patterns", "[structure]") {
    std::mt19937 rng(11);
    for (int trial = 0; trial < 120; ++trial) {
        const token_t n = token_t(2 + rng() % 62);
        cross_check(pattern_of(random_layers(rng, n), "random " + std::to_string(trial)));
    }
}

TEST_CASE("checks agree on structured patterns and their explicit copies: the catalogue", "[structure]") {
    for (const auto& file : catalogue_files(catalogue_directory()))
        for (std::uint64_t n : {16, 45, 64, 130, 700}) {
            Pattern p;
            try {
                p = load_pattern_file(file, n);
            } catch (const InputError&) {
                continue;  // a size the family does not allow (BigBird needs 5 blocks)
            }
            cross_check(p);
        }
}
