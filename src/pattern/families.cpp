// The pattern families of docs/theory.md section 6, after the code named in docs/families.md; docs/families.md
// states every rule with its source and its number of connections.
//
// All families describe an attended set A_k as a few inclusive token ranges (a window, a block, the
// global tokens), so layers are built here directly in CSR from ranges: one pass counts |A_k|, a
// prefix sum places the rows, a second pass writes them. This avoids RowSink's per-row sort, keeps
// memory at exactly the CSR size, and gives BigBird at n = 262,144 in well under a second. Rows are
// independent, so the result does not depend on the number of threads.
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

// An inclusive range of tokens lo..hi.
struct Range {
    token_t lo, hi;
    friend bool operator<(const Range& a, const Range& b) noexcept { return a.lo < b.lo; }
};
using Ranges = std::vector<Range>;

// Sorts the ranges and merges overlapping or adjacent ones, so that they list A_k exactly once.
void normalize(Ranges& ranges) {
    if (!std::is_sorted(ranges.begin(), ranges.end())) std::sort(ranges.begin(), ranges.end());
    std::size_t out = 0;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (out > 0 && std::uint64_t(ranges[i].lo) <= std::uint64_t(ranges[out - 1].hi) + 1)
            ranges[out - 1].hi = std::max(ranges[out - 1].hi, ranges[i].hi);
        else
            ranges[out++] = ranges[i];
    }
    ranges.resize(out);
}

// Inserts one range where it keeps a sorted list sorted (normalize then only merges).
void insert_sorted(Ranges& ranges, Range r) {
    ranges.insert(std::upper_bound(ranges.begin(), ranges.end(), r), r);
}

std::uint64_t size_of(const Ranges& ranges) noexcept {
    std::uint64_t total = 0;
    for (const Range& r : ranges) total += std::uint64_t(r.hi) - r.lo + 1;
    return total;
}

// Runs body(k, scratch) for every token in parallel; exceptions must not leave an OpenMP region,
// so the first one is kept and rethrown afterwards.
template <typename Body>
void for_each_token(token_t n, Body body) {
    std::exception_ptr failure;
#pragma omp parallel
    {
        Ranges scratch;
#pragma omp for schedule(dynamic, 1024)
        for (std::int64_t k = 0; k < std::int64_t(n); ++k) {
            try {
                body(token_t(k), scratch);
            } catch (...) {
#pragma omp critical(sparsecert_families_failure)
                if (!failure) failure = std::current_exception();
            }
        }
    }
    if (failure) std::rethrow_exception(failure);
}

// Builds a layer from row_ranges(k, out), which appends ranges (any order, overlaps allowed) whose
// union is A_k; it is called twice per token and must give the same ranges both times.
template <typename RowRanges>
Layer layer_from_ranges(token_t n, RowRanges row_ranges) {
    if (std::uint64_t(n) >= max_tokens) throw std::invalid_argument("too many tokens");
    std::vector<std::uint64_t> offsets(std::size_t(n) + 1, 0);
    for_each_token(n, [&](token_t k, Ranges& row) {
        row.clear();
        row_ranges(k, row);
        normalize(row);
        if (!row.empty() && row.back().hi >= n)
            throw std::invalid_argument("generated token out of range");
        offsets[std::size_t(k) + 1] = size_of(row);
    });
    for (std::size_t k = 0; k < n; ++k) offsets[k + 1] += offsets[k];
    std::vector<token_t> targets(offsets[n]);
    for_each_token(n, [&](token_t k, Ranges& row) {
        row.clear();
        row_ranges(k, row);
        normalize(row);
        token_t* out = targets.data() + offsets[k];
        for (const Range& r : row)
            for (std::uint64_t j = r.lo; j <= r.hi; ++j) *out++ = token_t(j);
    });
    return Layer(std::move(offsets), std::move(targets));
}

// The window k - left .. k + right, clipped to [0, n).
Range window(token_t n, token_t k, token_t left, token_t right) {
    const token_t lo = k >= left ? k - left : 0;
    const token_t hi = token_t(std::min<std::uint64_t>(n - 1, std::uint64_t(k) + right));
    return {lo, hi};
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

// The distinct tokens of a list as merged ranges, after a range check.
Ranges token_set(token_t n, const std::vector<token_t>& tokens, const char* what) {
    Ranges set;
    for (token_t t : tokens) {
        if (t >= n)
            throw std::invalid_argument(std::string(what) + " token " + std::to_string(t) +
                                        " out of range for n = " + std::to_string(n));
        set.push_back({t, t});
    }
    normalize(set);
    return set;
}

bool in_set(const Ranges& set, token_t k) {
    auto it = std::upper_bound(set.begin(), set.end(), Range{k, k});
    return it != set.begin() && std::prev(it)->hi >= k;
}

// Tokens of block j (size b) over n tokens; the last block may be short.
Range block_tokens(token_t n, token_t b, std::uint64_t j) {
    const std::uint64_t lo = j * b;
    return {token_t(lo), token_t(std::min<std::uint64_t>(n, lo + b) - 1)};
}

}  // namespace

Layer dense(token_t n) {
    return layer_from_ranges(n, [n](token_t, Ranges& row) { row.push_back({0, n - 1}); });
}

Layer sliding_window(token_t n, token_t left, token_t right) {
    return layer_from_ranges(
        n, [=](token_t k, Ranges& row) { row.push_back(window(n, k, left, right)); });
}

Layer dilated_window(token_t n, token_t left, token_t right, token_t dilation) {
    if (dilation == 0) throw std::invalid_argument("dilation must be at least 1");
    return layer_from_ranges(n, [=](token_t k, Ranges& row) {
        // i runs over -left..right, restricted to 0 <= k + dilation * i < n.
        const std::uint64_t below = std::min<std::uint64_t>(left, k / dilation);
        const std::uint64_t above = std::min<std::uint64_t>(right, (n - 1 - k) / dilation);
        for (std::uint64_t i = below; i > 0; --i) {
            const auto j = token_t(k - i * dilation);
            row.push_back({j, j});
        }
        for (std::uint64_t i = 0; i <= above; ++i) {
            const auto j = token_t(k + i * dilation);
            row.push_back({j, j});
        }
    });
}

std::vector<Layer> strided(token_t n, token_t c) {
    if (c == 0) throw std::invalid_argument("the stride must be at least 1");
    std::vector<Layer> layers;
    layers.push_back(sliding_window(n, c, c));
    layers.push_back(layer_from_ranges(n, [=](token_t k, Ranges& row) {
        for (std::uint64_t j = k % c; j < n; j += c) row.push_back({token_t(j), token_t(j)});
    }));
    return layers;
}

std::vector<Layer> fixed(token_t n, token_t l, token_t c, FixedOrder order) {
    if (l == 0) throw std::invalid_argument("the block size must be at least 1");
    if (c == 0 || c > l) throw std::invalid_argument("the summary width must be in 1..block");
    Layer block = layer_from_ranges(n, [=](token_t k, Ranges& row) {
        row.push_back(block_tokens(n, l, k / l));
    });
    // The summary positions {j : j mod l >= l - c} are the same for every row; only k is added.
    Ranges summary;
    for (std::uint64_t start = 0; start < n; start += l) {
        const std::uint64_t lo = start + l - c;
        const std::uint64_t hi = std::min<std::uint64_t>(n, start + l) - 1;
        if (lo <= hi) summary.push_back({token_t(lo), token_t(hi)});
    }
    normalize(summary);
    Layer summary_layer = layer_from_ranges(n, [&](token_t k, Ranges& row) {
        row = summary;
        if (!in_set(summary, k)) insert_sorted(row, {k, k});
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
    if (relay >= n) throw std::invalid_argument("the relay token is out of range");
    // Satellites are the tokens other than the relay, in index order: satellite i is token
    // i (i < relay) or i + 1 (i >= relay).
    const std::uint64_t m = std::uint64_t(n) - 1;
    auto token_of = [relay](std::uint64_t i) { return token_t(i < relay ? i : i + 1); };
    return layer_from_ranges(n, [=](token_t k, Ranges& row) {
        if (k == relay) {
            row.push_back({0, n - 1});
            return;
        }
        const std::uint64_t i = k < relay ? k : k - 1;
        row.push_back({k, k});
        row.push_back({relay, relay});
        if (i > 0 || (ring && m > 1)) {
            const token_t prev = token_of(i > 0 ? i - 1 : m - 1);
            row.push_back({prev, prev});
        }
        if (i + 1 < m || (ring && m > 1)) {
            const token_t next = token_of(i + 1 < m ? i + 1 : 0);
            row.push_back({next, next});
        }
    });
}

Layer global_tokens(token_t n, const std::vector<token_t>& global, bool self_attention) {
    const Ranges globals = token_set(n, global, "global");
    return layer_from_ranges(n, [&](token_t k, Ranges& row) {
        if (in_set(globals, k)) {
            row.push_back({0, n - 1});
            return;
        }
        row = globals;
        if (self_attention) insert_sorted(row, {k, k});
    });
}

Layer longformer(token_t n, token_t left, token_t right, const std::vector<token_t>& global) {
    const Ranges globals = token_set(n, global, "global");
    return layer_from_ranges(n, [&](token_t k, Ranges& row) {
        if (in_set(globals, k)) {
            row.push_back({0, n - 1});
            return;
        }
        row = globals;
        insert_sorted(row, window(n, k, left, right));
    });
}

Layer bigbird(token_t n, token_t b, token_t r, std::uint64_t seed) {
    if (b == 0) throw std::invalid_argument("the block size must be at least 1");
    const std::uint64_t nb = (std::uint64_t(n) + b - 1) / b;
    if (nb < 5)
        throw std::invalid_argument("BigBird needs at least 5 blocks, got " + std::to_string(nb));
    // Every token of a query block attends the same key blocks: compute them once per block.
    std::vector<Ranges> attended(nb);
    attended.front().push_back({0, n - 1});
    attended.back().push_back({0, n - 1});
    for (std::uint64_t i = 1; i + 1 < nb; ++i) {
        std::vector<std::uint64_t> base{0, i - 1, i, i + 1, nb - 1};
        std::sort(base.begin(), base.end());
        base.erase(std::unique(base.begin(), base.end()), base.end());
        SplitMix64 rng = row_stream(seed, i);
        std::vector<std::uint64_t> blocks = base;
        for (std::uint64_t pick : sample_distinct(rng, nb - base.size(), r))
            blocks.push_back(skip_excluded(pick, base));
        Ranges& ranges = attended[i];
        for (std::uint64_t j : blocks) ranges.push_back(block_tokens(n, b, j));
        normalize(ranges);
    }
    return layer_from_ranges(n, [&](token_t k, Ranges& row) { row = attended[k / b]; });
}

Layer random(token_t n, token_t r, std::uint64_t seed, bool self_attention) {
    return layer_from_ranges(n, [=](token_t k, Ranges& row) {
        SplitMix64 rng = row_stream(seed, k);
        // Draw among the n - 1 tokens other than k, then shift the ones at or above k past it.
        for (std::uint64_t pick : sample_distinct(rng, std::uint64_t(n) - 1, r)) {
            const auto j = token_t(pick < k ? pick : pick + 1);
            row.push_back({j, j});
        }
        if (self_attention) row.push_back({k, k});
    });
}

namespace {

// M = kron(layout, ones(b, b)) from the key blocks of every query block. n < nb * b is DeepSpeed's
// top-left crop (sparse_self_attention.py, docs/families.md): blocks and tokens at or past n vanish.
Layer block_layout_layer(token_t n, token_t b, std::vector<std::vector<token_t>> key_blocks) {
    const std::uint64_t used = (std::uint64_t(n) + b - 1) / b;
    std::vector<Ranges> attended(used);
    for (std::uint64_t qb = 0; qb < used && qb < key_blocks.size(); ++qb) {
        for (token_t kb : key_blocks[qb])
            if (kb < used) attended[qb].push_back(block_tokens(n, b, kb));
        normalize(attended[qb]);
    }
    return layer_from_ranges(n, [&](token_t k, Ranges& row) { row = attended[k / b]; });
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
