// Connection counts of the families in closed form; docs/families.md gives each family's rule, and
// tests/test_size_prediction.cpp checks every formula against the generated layers. All counts are
// at most n^2 < 2^62 (n < 2^31), so they fit in 64 bits without overflow.
#include "sparsecert/pattern/size_prediction.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "sparsecert/support/input_error.hpp"
#include "sparsecert/support/memory.hpp"

namespace sparsecert {

namespace predict {

namespace {

using u64 = std::uint64_t;

// sum over k in [0, n) of min(limit, floor(k / d)): one side of a (dilated) window. With
// x = min(limit, floor((n-1)/d)) the first x quotients contribute d * q each and every later token x.
u64 side_sum(u64 n, u64 limit, u64 d) {
    const u64 x = std::min(limit, (n - 1) / d);
    return d * (x * (x - (x > 0 ? 1 : 0)) / 2) + (n - x * d) * x;
}

// The distinct tokens of a list, sorted, after the range check the families make.
std::vector<token_t> distinct_tokens(token_t n, std::vector<token_t> tokens) {
    for (token_t t : tokens)
        if (t >= n) throw std::invalid_argument("token " + std::to_string(t) + " out of range for n = " + std::to_string(n));
    std::sort(tokens.begin(), tokens.end());
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    return tokens;
}

// How many of the sorted tokens lie in [lo, hi].
u64 count_in(const std::vector<token_t>& sorted, u64 lo, u64 hi) {
    auto first = std::lower_bound(sorted.begin(), sorted.end(), lo, [](token_t t, u64 v) { return t < v; });
    auto last = std::upper_bound(sorted.begin(), sorted.end(), hi, [](u64 v, token_t t) { return v < t; });
    return u64(last - first);
}

// |{k - left .. k + right} clipped to [0, n)|.
u64 window_size(u64 n, u64 k, u64 left, u64 right) {
    const u64 lo = k >= left ? k - left : 0;
    const u64 hi = std::min(n - 1, k + right);
    return hi - lo + 1;
}

u64 block_size(u64 n, u64 b, u64 j) { return std::min(n, (j + 1) * b) - j * b; }

void check_block_cover(u64 n, u64 b, u64 nb) {
    if (b == 0) throw std::invalid_argument("the block size must be at least 1");
    if (n > nb * b) throw std::invalid_argument("the block layout covers fewer than n tokens");
}

}  // namespace

std::uint64_t dense(token_t n) { return u64(n) * n; }

std::uint64_t sliding_window(token_t n, token_t left, token_t right) { return dilated_window(n, left, right, 1); }

std::uint64_t dilated_window(token_t n, token_t left, token_t right, token_t dilation) {
    if (dilation == 0) throw std::invalid_argument("dilation must be at least 1");
    if (n == 0) return 0;
    // Token k attends to itself, min(left, k / d) tokens below and min(right, (n-1-k) / d) above;
    // the second sum is the first read from the other end.
    return u64(n) + side_sum(n, left, dilation) + side_sum(n, right, dilation);
}

std::array<std::uint64_t, 2> strided(token_t n, token_t c) {
    if (c == 0) throw std::invalid_argument("the stride must be at least 1");
    // Token k attends to the tokens of its residue class mod c: rem classes of q + 1, the others of q.
    const u64 q = u64(n) / c, rem = u64(n) % c;
    return {sliding_window(n, c, c), rem * (q + 1) * (q + 1) + (u64(c) - rem) * q * q};
}

std::array<std::uint64_t, 2> fixed(token_t n, token_t l, token_t c) {
    if (l == 0) throw std::invalid_argument("the block size must be at least 1");
    if (c == 0 || c > l) throw std::invalid_argument("the summary width must be in 1..block");
    const u64 full = u64(n) / l, rem = u64(n) % l;
    // Summary tokens: the last c of every full block, and those of the short last block past l - c.
    const u64 summary = full * c + (rem > u64(l - c) ? rem - (l - c) : 0);
    return {full * l * l + rem * rem, u64(n) * summary + (u64(n) - summary)};
}

std::uint64_t star(token_t n, token_t relay, bool ring) {
    if (relay >= n) throw std::invalid_argument("the relay token is out of range");
    const u64 m = u64(n) - 1;  // satellites
    if (m == 0) return 1;
    // Each satellite: itself, the relay and its ring neighbours; the two ends of an open ring have
    // one neighbour, and with two satellites on a ring both neighbours are the same token.
    return u64(n) + (ring && m > 2 ? 4 * m : 4 * m - 2);
}

std::uint64_t global_tokens(token_t n, const std::vector<token_t>& global, bool self_attention) {
    const u64 g = distinct_tokens(n, global).size();
    return g * n + (u64(n) - g) * (g + (self_attention ? 1 : 0));
}

std::uint64_t longformer(token_t n, token_t left, token_t right, const std::vector<token_t>& global) {
    const std::vector<token_t> g = distinct_tokens(n, global);
    // A global token attends to all n; any other token k to G united with its window W(k), that is
    // |G| + |W(k)| - |G ∩ W(k)|. Summed over the tokens outside G: the windows of all tokens minus
    // those of G, and every x in G lies in W(k) exactly for k in [x - right, x + left].
    u64 total = g.size() * u64(n) + (u64(n) - g.size()) * g.size() + sliding_window(n, left, right);
    for (token_t x : g) {
        total -= window_size(n, x, left, right);
        const u64 lo = x >= right ? u64(x) - right : 0;
        const u64 hi = std::min<u64>(u64(n) - 1, u64(x) + left);
        total -= (hi - lo + 1) - count_in(g, lo, hi);
    }
    return total;
}

std::uint64_t bigbird(token_t n, token_t b, token_t r) {
    if (b == 0) throw std::invalid_argument("the block size must be at least 1");
    const u64 nb = (u64(n) + b - 1) / b;
    if (nb < 5) throw std::invalid_argument("BigBird needs at least 5 blocks, got " + std::to_string(nb));
    const u64 last = block_size(n, b, nb - 1);
    // Blocks 0 and nb-1 attend to all. A middle block attends to its base blocks {0, i-1, i, i+1,
    // nb-1} (4 distinct for i = 1 and i = nb-2, else 5), which hold the short last block, and to
    // min(r, nb - |base|) random full blocks.
    auto middle = [&](u64 base) { return b * ((base - 1) * b + last + std::min<u64>(r, nb - base) * b); };
    return (u64(b) + last) * n + 2 * middle(4) + (nb - 4) * middle(5);
}

std::uint64_t random(token_t n, token_t r, bool self_attention) {
    return u64(n) * (std::min<u64>(r, u64(n) - 1) + (self_attention ? 1 : 0));
}

std::uint64_t block_sparse(token_t n, token_t b, const std::vector<std::vector<std::uint8_t>>& layout) {
    const u64 nb = layout.size();
    for (const auto& row : layout)
        if (row.size() != nb) throw std::invalid_argument("the block layout must be square");
    check_block_cover(n, b, nb);
    const u64 used = (u64(n) + b - 1) / b;  // blocks at or past n are cropped away
    u64 total = 0;
    for (u64 qb = 0; qb < used; ++qb)
        for (u64 kb = 0; kb < used; ++kb)
            if (layout[qb][kb] != 0) total += block_size(n, b, qb) * block_size(n, b, kb);
    return total;
}

std::uint64_t block_sparse(token_t n, token_t b, token_t nb, const std::vector<families::BlockPair>& pairs) {
    check_block_cover(n, b, nb);
    const u64 used = (u64(n) + b - 1) / b;
    std::vector<std::pair<token_t, token_t>> kept;
    kept.reserve(pairs.size());
    for (const auto& pair : pairs) {
        if (pair.query_block >= nb || pair.key_block >= nb) throw std::invalid_argument("block pair out of range");
        if (pair.query_block < used && pair.key_block < used) kept.emplace_back(pair.query_block, pair.key_block);
    }
    std::sort(kept.begin(), kept.end());
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
    u64 total = 0;
    for (auto [qb, kb] : kept) total += block_size(n, b, qb) * block_size(n, b, kb);
    return total;
}

}  // namespace predict

std::uint64_t default_max_connections() { return usable_memory_bytes() / bytes_per_connection; }

std::string connection_count_text(std::uint64_t count) {
    if (count < 1'000'000) return std::to_string(count);
    int exponent = int(std::floor(std::log10(double(count))));
    double mantissa = double(count) / std::pow(10.0, exponent);
    if (mantissa >= 9.95) mantissa /= 10, ++exponent;
    return fmt::format("{} (about {:.1f}e{})", count, mantissa, exponent);
}

void ConnectionBudget::charge(std::uint64_t connections, const std::string& place, const std::string& what) {
    const std::uint64_t before = total_;
    total_ = connections > std::numeric_limits<std::uint64_t>::max() - total_
                 ? std::numeric_limits<std::uint64_t>::max()
                 : total_ + connections;
    if (total_ <= limit_) return;
    std::string problem = what + " gives " + connection_count_text(connections) + " connections";
    if (before > 0) problem += ", " + connection_count_text(total_) + " in total with the layers before it";
    problem += "; the limit is " + connection_count_text(limit_) + " (--max-connections)";
    throw InputError(file_, place, problem);
}

}  // namespace sparsecert
