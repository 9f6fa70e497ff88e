// The pattern families of docs/theory.md section 6, after the code named in docs/families.md; docs/families.md
// states every rule with its source and its number of connections.
//
// Every family describes A_k with a few numbers, and the layers keep that description
// (pattern.hpp): what many tokens share (a block's key blocks, the global tokens, a residue class,
// the summary columns) is one shared row, what is particular to a token (its window, its dilated
// band) its own segments, and only random rows are explicit tokens. Memory is O(n * description):
// BigBird, strided and fixed at n = 2^20 take megabytes, not the gigabytes of their connections.
// Rows are independent, so the result does not depend on the number of threads.
#include "sparsecert/pattern/families.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <stdexcept>
#include <string>
#include <unordered_set>

namespace sparsecert::families {

std::uint64_t SplitMix64::below(std::uint64_t bound) {
    if (bound == 0) throw std::invalid_argument("SplitMix64::below: the bound must be positive");
    // Lemire, "Fast Random Integer Generation in an Interval" (2019): the high word of x * bound is
    // uniform once the low words below 2^64 mod bound are rejected.
    unsigned __int128 product = static_cast<unsigned __int128>(next()) * bound;
    auto low = static_cast<std::uint64_t>(product);
    if (low < bound) {
        const std::uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            product = static_cast<unsigned __int128>(next()) * bound;
            low = static_cast<std::uint64_t>(product);
        }
    }
    return static_cast<std::uint64_t>(product >> 64);
}

namespace {

// The window k - left .. k + right, clipped to [0, n).
Segment window(token_t n, token_t k, token_t left, token_t right) {
    const token_t lo = k >= left ? k - left : 0;
    const token_t hi = token_t(std::min<std::uint64_t>(n - 1, std::uint64_t(k) + right));
    return Segment::interval(lo, hi);
}

// A separate generator stream per row (token or query block), so that the draws do not depend on
// the order or the thread in which rows are built. The first output of a SplitMix64 started at
// seed XOR (index + 1) * 0xD1B54A32D192ED03 seeds the row's stream (docs/families.md, "Seeds").
SplitMix64 row_stream(std::uint64_t seed, std::uint64_t index) {
    SplitMix64 mixer(seed ^ ((index + 1) * 0xD1B54A32D192ED03ull));
    return SplitMix64(mixer.next());
}

// r distinct values drawn uniformly from [0, m), or all of them when r >= m. Floyd's algorithm
// (Bentley, "Programming Pearls", col. 12): exactly r draws, each subset equally likely.
std::vector<std::uint64_t> sample_distinct(SplitMix64& rng, std::uint64_t m, std::uint64_t r) {
    std::vector<std::uint64_t> picks;
    if (r >= m) {
        for (std::uint64_t i = 0; i < m; ++i) picks.push_back(i);
        return picks;
    }
    picks.reserve(r);
    // The membership structure only changes speed, never the picks.
    constexpr std::uint64_t linear_limit = 32;
    std::unordered_set<std::uint64_t> seen;
    auto contains = [&](std::uint64_t v) {
        if (r <= linear_limit) return std::find(picks.begin(), picks.end(), v) != picks.end();
        return seen.count(v) != 0;
    };
    for (std::uint64_t j = m - r; j < m; ++j) {
        const std::uint64_t t = rng.below(j + 1);
        const std::uint64_t pick = contains(t) ? j : t;
        picks.push_back(pick);
        if (r > linear_limit) seen.insert(pick);
    }
    return picks;
}

// The i-th value (0-based) of [0, ...) that is not in `excluded` (sorted, distinct).
std::uint64_t skip_excluded(std::uint64_t i, const std::vector<std::uint64_t>& excluded) {
    for (std::uint64_t e : excluded) {
        if (e > i) break;
        ++i;
    }
    return i;
}

// The distinct tokens of a list as a normal segment list, after a range check.
std::vector<Segment> token_set(token_t n, const std::vector<token_t>& tokens, const char* what) {
    std::vector<Segment> set;
    for (token_t t : tokens) {
        if (t >= n)
            throw std::invalid_argument(std::string(what) + " token " + std::to_string(t) +
                                        " out of range for n = " + std::to_string(n));
        set.push_back(Segment::single(t));
    }
    normalize(set);
    return set;
}

// Tokens of block j (size b) over n tokens; the last block may be short.
Segment block_tokens(token_t n, token_t b, std::uint64_t j) {
    const std::uint64_t lo = j * b;
    return Segment::interval(token_t(lo), token_t(std::min<std::uint64_t>(n, lo + b) - 1));
}

void check_n(token_t n) {
    if (std::uint64_t(n) >= max_tokens) throw std::invalid_argument("too many tokens");
    if (n == 0) throw std::invalid_argument("n must be positive");
}

// One shared row per block (block_rows[qb]: the key segments of query block qb); token k uses
// its block's.
Layer block_layer(token_t n, token_t b, std::vector<std::vector<Segment>> block_rows) {
    LayerBuilder builder(n);
    std::vector<std::uint32_t> id(block_rows.size());
    for (std::size_t qb = 0; qb < block_rows.size(); ++qb) id[qb] = builder.share(std::move(block_rows[qb]));
    return builder.build([&](token_t k, RowParts& row) { row.shared = id[k / b]; });
}

}  // namespace

Layer dense(token_t n) {
    check_n(n);
    LayerBuilder builder(n);
    const std::uint32_t all = builder.share({Segment::interval(0, n - 1)});
    return builder.build([=](token_t, RowParts& row) { row.shared = all; });
}

Layer sliding_window(token_t n, token_t left, token_t right) {
    check_n(n);
    return LayerBuilder(n).build([=](token_t k, RowParts& row) { row.add(window(n, k, left, right)); });
}

Layer dilated_window(token_t n, token_t left, token_t right, token_t dilation) {
    check_n(n);
    if (dilation == 0) throw std::invalid_argument("dilation must be at least 1");
    return LayerBuilder(n).build([=](token_t k, RowParts& row) {
        // i runs over -left..right, restricted to 0 <= k + dilation * i < n.
        const std::uint64_t below = std::min<std::uint64_t>(left, k / dilation);
        const std::uint64_t above = std::min<std::uint64_t>(right, (n - 1 - k) / dilation);
        const auto lo = token_t(k - below * dilation), hi = token_t(k + above * dilation);
        row.add(Segment{lo, hi, lo == hi ? 1 : dilation});
    });
}

std::vector<Layer> strided(token_t n, token_t c) {
    check_n(n);
    if (c == 0) throw std::invalid_argument("the stride must be at least 1");
    std::vector<Layer> layers;
    layers.push_back(sliding_window(n, c, c));
    // A_k = the residue class of k mod c: one shared row per residue.
    LayerBuilder builder(n);
    const std::uint64_t classes = std::min<std::uint64_t>(c, n);
    std::vector<std::uint32_t> id(classes);
    for (std::uint64_t r = 0; r < classes; ++r) {
        const std::uint64_t last = r + (n - 1 - r) / c * std::uint64_t(c);
        id[r] = builder.share({Segment{token_t(r), token_t(last), r == last ? 1 : c}});
    }
    layers.push_back(builder.build([&](token_t k, RowParts& row) { row.shared = id[k % c]; }));
    return layers;
}

std::vector<Layer> fixed(token_t n, token_t l, token_t c, FixedOrder order) {
    check_n(n);
    if (l == 0) throw std::invalid_argument("the block size must be at least 1");
    if (c == 0 || c > l) throw std::invalid_argument("the summary width must be in 1..block");
    const std::uint64_t nb = (std::uint64_t(n) + l - 1) / l;
    std::vector<std::vector<Segment>> blocks(nb);
    for (std::uint64_t i = 0; i < nb; ++i) blocks[i] = {block_tokens(n, l, i)};
    Layer block = block_layer(n, l, std::move(blocks));
    // The summary positions {j : j mod l >= l - c} are the same for every row; only k is added.
    std::vector<Segment> summary;
    for (std::uint64_t start = 0; start < n; start += l) {
        const std::uint64_t lo = start + l - c;
        const std::uint64_t hi = std::min<std::uint64_t>(n, start + l) - 1;
        if (lo <= hi) summary.push_back(Segment::interval(token_t(lo), token_t(hi)));
    }
    LayerBuilder builder(n);
    const std::uint32_t shared = builder.share(std::move(summary));
    Layer summary_layer = builder.build([=](token_t k, RowParts& row) {
        row.shared = shared;
        row.add_range(k, k);  // dropped by the builder when k is a summary token
    });
    std::vector<Layer> layers;
    if (order == FixedOrder::block_first) {
        layers.push_back(std::move(block));
        layers.push_back(std::move(summary_layer));
    } else {
        layers.push_back(std::move(summary_layer));
        layers.push_back(std::move(block));
    }
    return layers;
}

Layer star(token_t n, token_t relay, bool ring) {
    check_n(n);
    if (relay >= n) throw std::invalid_argument("the relay token is out of range");
    // Satellites are the tokens other than the relay, in index order: satellite i is token
    // i (i < relay) or i + 1 (i >= relay).
    const std::uint64_t m = std::uint64_t(n) - 1;
    auto token_of = [relay](std::uint64_t i) { return token_t(i < relay ? i : i + 1); };
    LayerBuilder builder(n);
    const std::uint32_t all = builder.share({Segment::interval(0, n - 1)});
    return builder.build([=](token_t k, RowParts& row) {
        if (k == relay) {
            row.shared = all;
            return;
        }
        const std::uint64_t i = k < relay ? k : k - 1;
        row.add_range(k, k);
        row.add_range(relay, relay);
        if (i > 0 || (ring && m > 1)) {
            const token_t prev = token_of(i > 0 ? i - 1 : m - 1);
            row.add_range(prev, prev);
        }
        if (i + 1 < m || (ring && m > 1)) {
            const token_t next = token_of(i + 1 < m ? i + 1 : 0);
            row.add_range(next, next);
        }
    });
}

namespace {

// Global tokens attend to all; every other token to the global tokens (one shared row) and to
// what `own` adds for it.
template <typename Own>
Layer with_global_tokens(token_t n, const std::vector<token_t>& global, Own own) {
    check_n(n);
    const std::vector<Segment> globals = token_set(n, global, "global");
    LayerBuilder builder(n);
    const std::uint32_t all = builder.share({Segment::interval(0, n - 1)});
    const std::uint32_t shared = builder.share(globals);
    return builder.build([&](token_t k, RowParts& row) {
        if (contains(globals, k)) {
            row.shared = all;
            return;
        }
        row.shared = shared;
        own(k, row);  // the builder drops what the global tokens already give
    });
}

}  // namespace

Layer global_tokens(token_t n, const std::vector<token_t>& global, bool self_attention) {
    return with_global_tokens(n, global, [=](token_t k, RowParts& row) {
        if (self_attention) row.add_range(k, k);
    });
}

Layer longformer(token_t n, token_t left, token_t right, const std::vector<token_t>& global) {
    return with_global_tokens(n, global, [=](token_t k, RowParts& row) { row.add(window(n, k, left, right)); });
}

Layer bigbird(token_t n, token_t b, token_t r, std::uint64_t seed) {
    check_n(n);
    if (b == 0) throw std::invalid_argument("the block size must be at least 1");
    const std::uint64_t nb = (std::uint64_t(n) + b - 1) / b;
    if (nb < 5)
        throw std::invalid_argument("BigBird needs at least 5 blocks, got " + std::to_string(nb));
    // Every token of a query block attends the same key blocks: one shared row per block.
    std::vector<std::vector<Segment>> attended(nb);
    attended.front().push_back(Segment::interval(0, n - 1));
    attended.back().push_back(Segment::interval(0, n - 1));
    for (std::uint64_t i = 1; i + 1 < nb; ++i) {
        std::vector<std::uint64_t> base{0, i - 1, i, i + 1, nb - 1};
        std::sort(base.begin(), base.end());
        base.erase(std::unique(base.begin(), base.end()), base.end());
        SplitMix64 rng = row_stream(seed, i);
        std::vector<std::uint64_t> blocks = base;
        for (std::uint64_t pick : sample_distinct(rng, nb - base.size(), r))
            blocks.push_back(skip_excluded(pick, base));
        for (std::uint64_t j : blocks) attended[i].push_back(block_tokens(n, b, j));
    }
    return block_layer(n, b, std::move(attended));
}

Layer random(token_t n, token_t r, std::uint64_t seed, bool self_attention) {
    check_n(n);
    return LayerBuilder(n).build([=](token_t k, RowParts& row) {
        SplitMix64 rng = row_stream(seed, k);
        // Draw among the n - 1 tokens other than k, then shift the ones at or above k past it.
        for (std::uint64_t pick : sample_distinct(rng, std::uint64_t(n) - 1, r))
            row.add(token_t(pick < k ? pick : pick + 1));
        if (self_attention) row.add(k);
    });
}

namespace {

// M = kron(layout, ones(b, b)) from the key blocks of every query block. n < nb * b is DeepSpeed's
// top-left crop (sparse_self_attention.py, docs/families.md): blocks and tokens at or past n vanish.
Layer block_layout_layer(token_t n, token_t b, std::vector<std::vector<token_t>> key_blocks) {
    const std::uint64_t used = (std::uint64_t(n) + b - 1) / b;
    std::vector<std::vector<Segment>> attended(used);
    for (std::uint64_t qb = 0; qb < used && qb < key_blocks.size(); ++qb)
        for (token_t kb : key_blocks[qb])
            if (kb < used) attended[qb].push_back(block_tokens(n, b, kb));
    return block_layer(n, b, std::move(attended));
}

void check_block_cover(token_t n, token_t b, std::uint64_t nb) {
    if (b == 0) throw std::invalid_argument("the block size must be at least 1");
    if (std::uint64_t(n) > nb * b)
        throw std::invalid_argument("the block layout covers " + std::to_string(nb * b) +
                                    " tokens, fewer than n = " + std::to_string(n));
}

}  // namespace

Layer block_sparse(token_t n, token_t b, const std::vector<std::vector<std::uint8_t>>& layout) {
    const std::uint64_t nb = layout.size();
    for (const auto& row : layout)
        if (row.size() != nb) throw std::invalid_argument("the block layout must be square");
    check_block_cover(n, b, nb);
    std::vector<std::vector<token_t>> key_blocks(nb);
    for (std::uint64_t qb = 0; qb < nb; ++qb)
        for (std::uint64_t kb = 0; kb < nb; ++kb)
            if (layout[qb][kb] != 0) key_blocks[qb].push_back(token_t(kb));
    return block_layout_layer(n, b, std::move(key_blocks));
}

Layer block_sparse(token_t n, token_t b, token_t nb, const std::vector<BlockPair>& pairs) {
    check_block_cover(n, b, nb);
    const std::uint64_t used = (std::uint64_t(n) + b - 1) / b;
    std::vector<std::vector<token_t>> key_blocks(used);
    for (const BlockPair& pair : pairs) {
        if (pair.query_block >= nb || pair.key_block >= nb)
            throw std::invalid_argument("block pair out of range");
        if (pair.query_block < used) key_blocks[pair.query_block].push_back(pair.key_block);
    }
    return block_layout_layer(n, b, std::move(key_blocks));
}

}  // namespace sparsecert::families
