// The exact reachability engine: S^t = M_{L(t)} ... M_{L(1)} propagated over twin classes
// (docs/algorithms.md sections 2.2 and 2.3; docs/theory.md section 2, condition 3).
//
// Compression, all exact:
//  * Row twins: tokens whose attended sets agree in every pattern have equal S_k^t for every t, so
//    one representative per static row class is propagated.
//  * Column twins of the first pattern: S^t[:, i] = M_{L(t)} ... M_{L(2)} M_{L(1)}[:, i], so tokens
//    with equal columns in M_{L(1)} have equal columns in every S^t; a set S_k^t is stored over
//    column classes. Classes are numbered by their smallest token, so windows stay runs.
//  * Dynamic deduplication: at every step, equal rows of S^{t-1} form one class; a row class r of
//    step t is determined by its signature, the set of classes of S^{t-1} over A_r, and equal
//    signatures are united once. Block patterns, summary tokens and strides collapse this way.
//  * Each distinct row is a sorted run list while it has few runs and a dense word array (64
//    column classes per machine word, the MS-BFS layout) otherwise; the choice is a function of
//    the set alone, so equal sets have equal representations and hash alike.
// Non-termination is decided exactly: with self-attention by a fixpoint over a full cycle of p
// steps, otherwise by Brent's cycle detection on (S^t, t mod p) with whole states compared.
// When the memory budget is exceeded and every attended set is non-empty, the column classes are
// split into batches: a complete batch stays complete (M J = J), so s = max over batches.
//
// Determinism: parallel loops only compute per-item results; every numbering (classes, distinct
// signatures, distinct rows) is assigned in a serial pass in token order.
#include <algorithm>
#include <atomic>
#include <bit>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include <omp.h>

#include "conditions/reachability_detail.hpp"
#include "conditions/row_sets.hpp"

namespace sparsecert::detail {
namespace {

constexpr std::uint32_t no_id = ~std::uint32_t{0};

// The build uses plain -O2 (no -march), where std::popcount is a library call; the dense-row
// kernels get a POPCNT clone selected at load time on x86-64.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__POPCNT__)
#define SPARSECERT_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define SPARSECERT_POPCNT_CLONES
#endif

inline std::uint64_t mix64(std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// A cheap running hash for long sequences; finished with mix64.
inline std::uint64_t fold(std::uint64_t h, std::uint64_t x) {
    return (std::rotl(h, 23) ^ x) * 0x9FB21C651E98DF25ull;
}

// Open addressing from 64-bit hashes to ids; the caller decides equality of the items.
class HashIndex {
public:
    explicit HashIndex(std::size_t expected) {
        std::size_t capacity = 16;
        while (capacity < 2 * expected) capacity <<= 1;
        slots_.assign(capacity, no_id);
        hashes_.assign(capacity, 0);
        mask_ = capacity - 1;
    }
    // The id of an item equal to the new one if present; otherwise records `id` and returns it.
    template <typename Equal>
    std::uint32_t find_or_insert(std::uint64_t hash, std::uint32_t id, Equal&& equal) {
        std::size_t i = std::size_t(hash) & mask_;
        while (slots_[i] != no_id) {
            if (hashes_[i] == hash && equal(slots_[i])) return slots_[i];
            i = (i + 1) & mask_;
        }
        slots_[i] = id;
        hashes_[i] = hash;
        return id;
    }

private:
    std::vector<std::uint32_t> slots_;
    std::vector<std::uint64_t> hashes_;
    std::size_t mask_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Sets of column classes.

struct Space {
    std::uint32_t width = 0;     // column classes in this batch
    std::uint32_t words = 0;     // 64-bit words of a dense row
    std::uint64_t max_runs = 1;  // a row with more runs is stored dense (runs cost 8 bytes each)
    explicit Space(std::uint32_t w)
        : width(w), words((w + 63) / 64), max_runs(std::max<std::uint64_t>(1, words / 4)) {}
};

struct Row {
    std::vector<std::uint32_t> runs;  // half-open [lo, hi) pairs, sorted, disjoint, not adjacent
    std::vector<std::uint64_t> bits;  // the dense form (exactly `words` words), or empty
    std::uint64_t card = 0;
    std::uint64_t hash = 0;

    bool dense() const noexcept { return !bits.empty(); }
    std::uint64_t bytes() const noexcept {
        return sizeof(Row) + runs.capacity() * sizeof(std::uint32_t) +
               bits.capacity() * sizeof(std::uint64_t);
    }
};

bool same_set(const Row& a, const Row& b) {
    return a.hash == b.hash && a.card == b.card && a.runs == b.runs && a.bits == b.bits;
}

void rehash(Row& row) {
    std::uint64_t h = mix64(row.card * 2 + (row.dense() ? 1 : 0));
    if (row.dense()) {
        // Four independent lanes: the fold is latency-bound.
        std::uint64_t lane[4] = {h, h ^ 1, h ^ 2, h ^ 3};
        const std::size_t m = row.bits.size();
        std::size_t w = 0;
        for (; w + 4 <= m; w += 4)
            for (int i = 0; i < 4; ++i) lane[i] = fold(lane[i], row.bits[w + i]);
        for (; w < m; ++w) lane[0] = fold(lane[0], row.bits[w]);
        h = mix64(lane[0]) ^ mix64(lane[1] + 1) ^ mix64(lane[2] + 2) ^ mix64(lane[3] + 3);
    } else {
        for (std::uint32_t x : row.runs) h = fold(h, x);
    }
    row.hash = mix64(h);
}

void fill_range(std::uint64_t* words, std::uint32_t lo, std::uint32_t hi) {
    if (lo >= hi) return;
    const std::uint32_t a = lo >> 6, b = (hi - 1) >> 6;
    const std::uint64_t first = ~std::uint64_t{0} << (lo & 63);
    const std::uint64_t last = ~std::uint64_t{0} >> (63 - ((hi - 1) & 63));
    if (a == b) {
        words[a] |= first & last;
        return;
    }
    words[a] |= first;
    for (std::uint32_t w = a + 1; w < b; ++w) words[w] = ~std::uint64_t{0};
    words[b] |= last;
}

// Canonical form from a run list (already merged): dense when there are too many runs.
void finish_runs(Row& row, const Space& space) {
    row.card = 0;
    for (std::size_t i = 0; i < row.runs.size(); i += 2) row.card += row.runs[i + 1] - row.runs[i];
    if (row.runs.size() / 2 > space.max_runs) {
        row.bits.assign(space.words, 0);
        for (std::size_t i = 0; i < row.runs.size(); i += 2)
            fill_range(row.bits.data(), row.runs[i], row.runs[i + 1]);
        std::vector<std::uint32_t>().swap(row.runs);
    }
    rehash(row);
}

// Canonical form from dense words (bits beyond the width are zero).
SPARSECERT_POPCNT_CLONES Row finish_dense(const std::vector<std::uint64_t>& acc, const Space& space) {
    Row row;
    std::uint64_t runs = 0, carry = 0;
    for (std::uint32_t w = 0; w < space.words; ++w) {
        const std::uint64_t x = acc[w];
        runs += std::popcount(x & ~((x << 1) | carry));
        carry = x >> 63;
        row.card += std::popcount(x);
    }
    if (runs > space.max_runs) {
        row.bits.assign(acc.begin(), acc.begin() + space.words);
    } else {
        row.runs.reserve(2 * runs);
        bool inside = false;
        for (std::uint32_t w = 0; w < space.words; ++w) {
            const std::uint64_t x = acc[w];
            if (!inside && x == 0) continue;
            if (inside && x == ~std::uint64_t{0}) continue;
            unsigned b = 0;
            while (b < 64) {
                const std::uint64_t y = inside ? (~x >> b) : (x >> b);
                if (y == 0) break;
                b += unsigned(std::countr_zero(y));
                row.runs.push_back(w * 64 + b);
                inside = !inside;
            }
        }
        if (inside) row.runs.push_back(space.width);
    }
    rehash(row);
    return row;
}

Row full_row(const Space& space) {
    Row row;
    row.runs = {0, space.width};
    finish_runs(row, space);
    return row;
}

// Smallest column class not in the row (the row is not full).
std::uint32_t first_missing(const Row& row, const Space& space) {
    if (row.dense()) {
        for (std::uint32_t w = 0; w < space.words; ++w)
            if (row.bits[w] != ~std::uint64_t{0})
                return w * 64 + unsigned(std::countr_one(row.bits[w]));
        return space.width;
    }
    if (row.runs.empty() || row.runs[0] > 0) return 0;
    return row.runs[1];
}

struct Scratch {
    std::vector<std::uint64_t> acc;
    std::vector<std::uint64_t> pairs;
    std::vector<const Row*> inputs;
};

// The union of rows (S_k^t = union over j in A_k of S_j^{t-1}); `work` counts words and runs.
Row unite(std::span<const Row* const> inputs, const Space& space, Scratch& scratch,
          std::uint64_t& work) {
    if (inputs.empty()) {
        Row row;
        rehash(row);
        return row;
    }
    if (inputs.size() == 1) return *inputs[0];
    std::uint64_t total_runs = 0;
    bool any_dense = false;
    for (const Row* r : inputs) {
        if (r->card == space.width) return full_row(space);
        if (r->dense())
            any_dense = true;
        else
            total_runs += r->runs.size() / 2;
    }
    const std::uint64_t log = std::bit_width(total_runs) + 1;
    if (!any_dense && total_runs * log <= 2 * std::uint64_t(space.words) + 64) {
        // Few runs: sort and merge them.
        auto& pairs = scratch.pairs;
        pairs.clear();
        for (const Row* r : inputs)
            for (std::size_t i = 0; i < r->runs.size(); i += 2)
                pairs.push_back(std::uint64_t(r->runs[i]) << 32 | r->runs[i + 1]);
        std::sort(pairs.begin(), pairs.end());
        work += pairs.size() * log;
        Row row;
        std::uint32_t lo = 0, hi = 0;
        bool open = false;
        for (std::uint64_t pr : pairs) {
            const std::uint32_t a = std::uint32_t(pr >> 32), b = std::uint32_t(pr);
            if (open && a <= hi) {
                hi = std::max(hi, b);
                continue;
            }
            if (open) {
                row.runs.push_back(lo);
                row.runs.push_back(hi);
            }
            lo = a;
            hi = b;
            open = true;
        }
        if (open) {
            row.runs.push_back(lo);
            row.runs.push_back(hi);
        }
        finish_runs(row, space);
        return row;
    }
    // Dense accumulation, 64 column classes per word. Every 16 inputs, stop early if full.
    auto& acc = scratch.acc;
    acc.assign(space.words, 0);
    std::size_t since_check = 0;
    for (const Row* r : inputs) {
        if (r->dense()) {
            const std::uint64_t* src = r->bits.data();
            std::uint64_t* dst = acc.data();
            for (std::uint32_t w = 0; w < space.words; ++w) dst[w] |= src[w];
            work += space.words;
        } else {
            for (std::size_t i = 0; i < r->runs.size(); i += 2)
                fill_range(acc.data(), r->runs[i], r->runs[i + 1]);
            work += r->runs.size() + 1;
        }
        if (++since_check == 16) {
            since_check = 0;
            std::uint64_t all = ~std::uint64_t{0};
            for (std::uint32_t w = 0; w + 1 < space.words; ++w) all &= acc[w];
            const unsigned tail = space.width - (space.words - 1) * 64;  // 1..64 bits
            const std::uint64_t tail_mask = tail == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << tail) - 1;
            work += space.words;
            if (all == ~std::uint64_t{0} && acc[space.words - 1] == tail_mask) return full_row(space);
        }
    }
    work += 4 * std::uint64_t(space.words);  // the popcount scan, extraction or copy, hash
    return finish_dense(acc, space);
}

// ---------------------------------------------------------------------------------------------
// Static twin classes.

struct Statics {
    token_t n = 0;
    std::uint32_t R = 0;  // row classes: equal attended sets in every pattern
    std::uint32_t C = 0;  // column classes of the first pattern
    std::vector<std::uint32_t> row_class, row_rep, row_size;  // token -> class; class -> min token
    std::vector<std::uint32_t> col_class, col_rep;
    bool column_runs = false;  // every column class is a run of consecutive tokens
    std::uint64_t bytes() const {
        return 4 * (row_class.size() + row_rep.size() + row_size.size() + col_class.size() +
                    col_rep.size());
    }
};

void identity_rows(Statics& st) {
    st.R = st.n;
    st.row_class.resize(st.n);
    std::iota(st.row_class.begin(), st.row_class.end(), 0u);
    st.row_rep = st.row_class;
    st.row_size.assign(st.n, 1);
}

void identity_columns(Statics& st) {
    st.C = st.n;
    st.col_class.resize(st.n);
    std::iota(st.col_class.begin(), st.col_class.end(), 0u);
    st.col_rep = st.col_class;
    st.column_runs = true;
}

// Groups tokens by a hash (tokens in increasing order inside each group), lets `equal` split
// colliding groups, and numbers the classes by their smallest token. Returns class of each token.
template <typename Equal>
std::uint32_t group_by_hash(const std::vector<std::uint64_t>& hash, Equal&& equal,
                            std::vector<std::uint32_t>& cls, std::vector<std::uint32_t>& rep) {
    const std::size_t n = hash.size();
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(n);
    for (std::size_t k = 0; k < n; ++k) keyed[k] = {hash[k], std::uint32_t(k)};
    std::sort(keyed.begin(), keyed.end());
    std::vector<std::uint32_t> rep_of(n);
    std::vector<std::uint32_t> reps;
    for (std::size_t i = 0; i < n;) {
        std::size_t e = i;
        while (e < n && keyed[e].first == keyed[i].first) ++e;
        reps.clear();
        for (std::size_t q = i; q < e; ++q) {
            const std::uint32_t k = keyed[q].second;
            std::uint32_t found = no_id;
            for (std::uint32_t r : reps)
                if (equal(r, k)) {
                    found = r;
                    break;
                }
            if (found == no_id) {
                reps.push_back(k);
                found = k;
            }
            rep_of[k] = found;
        }
        i = e;
    }
    std::vector<std::pair<std::uint64_t, std::uint32_t>>().swap(keyed);
    cls.assign(n, 0);
    rep.clear();
    for (std::size_t k = 0; k < n; ++k) {
        if (rep_of[k] == k) {
            cls[k] = std::uint32_t(rep.size());
            rep.push_back(std::uint32_t(k));
        } else {
            cls[k] = cls[rep_of[k]];
        }
    }
    return std::uint32_t(rep.size());
}

Statics compute_statics(const Pattern& pattern, const Budget& budget) {
    Statics st;
    st.n = pattern.n;
    const token_t n = pattern.n;
    const int threads = budget.threads_for(pattern.connections() + n);
    if (!budget.options().use_twins) {
        identity_rows(st);
        identity_columns(st);
        return st;
    }
    // Row twins: hash every token's row descriptions in all patterns, then compare them exactly.
    // Equal descriptions are equal sets (the converse may fail, which only costs compression).
    {
        std::vector<std::uint64_t> h(n);
#pragma omp parallel for schedule(static, 4096) num_threads(threads)
        for (std::int64_t k = 0; k < std::int64_t(n); ++k) {
            std::uint64_t x = 0x243F6A8885A308D3ull;
            for (const Layer& layer : pattern.layers) {
                const RowView row = layer.row(token_t(k));
                x = fold(x, layer.shared_id(token_t(k)) + (std::uint64_t(row.own.size()) << 32));
                for (const Segment& s : row.own) x = fold(fold(x, std::uint64_t(s.lo) << 32 | s.hi), s.stride);
                x = fold(x, row.tokens.size());
                for (token_t j : row.tokens) x = fold(x, j);
            }
            h[k] = mix64(x);
        }
        auto equal = [&](std::uint32_t a, std::uint32_t b) {
            for (const Layer& layer : pattern.layers) {
                if (layer.shared_id(a) != layer.shared_id(b)) return false;
                const RowView ra = layer.row(a), rb = layer.row(b);
                if (!std::equal(ra.own.begin(), ra.own.end(), rb.own.begin(), rb.own.end()) ||
                    !std::equal(ra.tokens.begin(), ra.tokens.end(), rb.tokens.begin(), rb.tokens.end()))
                    return false;
            }
            return true;
        };
        st.R = group_by_hash(h, equal, st.row_class, st.row_rep);
        st.row_size.assign(st.R, 0);
        for (token_t k = 0; k < n; ++k) ++st.row_size[st.row_class[k]];
    }
    const Layer& first = pattern.layers.front();
    if (!first.is_explicit()) {
        // Column twins of the first pattern from its structure: tokens j and j + 1 have equal
        // columns when no piece of any row (a shared row's segment, an own segment, an explicit
        // token) starts or ends between them and no progression with a stride > 1 has them as
        // elements. The maximal runs without such a cut are exact column classes, in token order.
        std::vector<char> cut(std::size_t(n) + 1, 0);
        auto mark = [&](const Segment& s) {
            if (s.is_interval()) {
                cut[s.lo] = cut[std::size_t(s.hi) + 1] = 1;
                return;
            }
            for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride) cut[j] = cut[j + 1] = 1;
        };
        std::vector<char> used(first.shared_rows(), 0);
        for (token_t k = 0; k < n; ++k) {
            used[first.shared_id(k)] = 1;
            const RowView row = first.row(k);
            for (const Segment& s : row.own) mark(s);
            for (token_t j : row.tokens) mark(Segment::single(j));
        }
        for (std::uint32_t r = 1; r < first.shared_rows(); ++r)
            if (used[r])
                for (const Segment& s : first.shared_row(r)) mark(s);
        st.col_class.resize(n);
        st.col_rep.clear();
        for (token_t j = 0; j < n; ++j) {
            if (j == 0 || cut[j]) st.col_rep.push_back(j);
            st.col_class[j] = std::uint32_t(st.col_rep.size() - 1);
        }
        st.C = std::uint32_t(st.col_rep.size());
        st.column_runs = true;
        return st;
    }
    // Explicit rows only (O(connections) is the size of the layer): an order-free hash of each column (sum over the tokens attending to it),
    // then an exact check that every attended set contains each candidate class wholly or not at
    // all, which holds exactly when the class's columns are equal.
    {
        const auto sums = column_sums(first, [](token_t k) { return mix64(std::uint64_t(k) ^ 0x5851F42D4C957F2Dull); });
        std::vector<std::uint64_t> h(n);
        for (token_t j = 0; j < n; ++j) h[j] = mix64(sums[j]);
        // Equal hashes are taken as candidate twins; the check below catches any collision.
        st.C = group_by_hash(h, [](std::uint32_t, std::uint32_t) { return true; }, st.col_class,
                             st.col_rep);
        std::vector<std::uint32_t> size(st.C, 0);
        for (token_t j = 0; j < n; ++j) ++size[st.col_class[j]];
        bool ok = true;
        if (st.C < n)  // all singletons need no check
#pragma omp parallel num_threads(threads) reduction(&& : ok)
        {
            std::vector<std::uint32_t> count(st.C, 0);
            std::vector<std::uint32_t> touched;
#pragma omp for schedule(static, 4096)
            for (std::int64_t k = 0; k < std::int64_t(n); ++k) {
                touched.clear();
                first.row(token_t(k)).for_each_token([&](token_t j) {
                    const std::uint32_t c = st.col_class[j];
                    if (size[c] == 1) return;
                    if (count[c]++ == 0) touched.push_back(c);
                });
                for (std::uint32_t c : touched) {
                    if (count[c] != size[c]) ok = false;
                    count[c] = 0;
                }
            }
        }
        if (!ok) identity_columns(st);  // a hash collision: give up column compression, stay exact
        else {
            st.column_runs = true;
            for (token_t j = 1; j < n && st.column_runs; ++j)
                st.column_runs = st.col_class[j] == st.col_class[j - 1] || st.col_class[j] == st.col_class[j - 1] + 1;
        }
    }
    return st;
}

// ---------------------------------------------------------------------------------------------
// States S^t over the static row classes and a batch of column classes.

enum class Stop { none, memory, time, work };

std::uint64_t signature_hash(std::span<const std::uint32_t> ids) {
    std::uint64_t h = mix64(ids.size());
    for (std::uint32_t x : ids) h = fold(h, x);
    return mix64(h);
}

// Collects the classes over an attended set. At t > 1: the classes of S^{t-1} of its tokens
// (token_class), deduplicated, sorted, one lookup per run of equal classes inside an interval.
// At t = 1: the column classes inside the batch [c0, c0 + width) as half-open runs [a, b)
// (flattened pairs, sorted, merged), an interval giving one run when the column classes are runs.
struct SignatureCollector {
    const std::vector<std::uint32_t>* token_class;  // null at t = 1
    const std::vector<std::uint32_t>* run_end;
    const Statics* st;
    std::uint32_t c0, width;
    std::vector<std::uint32_t> stamp, ids;
    std::vector<std::uint64_t> pairs;
    std::uint32_t mark = 0;

    bool runs() const noexcept { return token_class == nullptr; }
    void start() {
        ids.clear();
        pairs.clear();
        if (++mark == 0) {
            std::fill(stamp.begin(), stamp.end(), 0);
            mark = 1;
        }
    }
    void add_id(std::uint32_t x) {
        if (stamp[x] != mark) {
            stamp[x] = mark;
            ids.push_back(x);
        }
    }
    // Column classes a..b (inclusive, absolute), clipped to the batch.
    void add_columns(std::uint64_t a, std::uint64_t b) {
        a = std::max<std::uint64_t>(a, c0);
        b = std::min<std::uint64_t>(b, std::uint64_t(c0) + width - 1);
        if (a <= b) pairs.push_back((a - c0) << 32 | (b - c0 + 1));
    }
    // Returns the work done (lookups).
    std::uint64_t add(const Segment& s) {
        std::uint64_t work = 0;
        if (token_class) {
            const auto& tc = *token_class;
            if (s.is_interval()) {
                for (std::uint64_t j = s.lo; j <= s.hi; j = std::uint64_t((*run_end)[j]) + 1, ++work) add_id(tc[j]);
            } else {
                for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride, ++work) add_id(tc[j]);
            }
            return work;
        }
        const auto& cc = st->col_class;
        if (s.is_interval() && st->column_runs) {
            add_columns(cc[s.lo], cc[s.hi]);
            return 1;
        }
        std::uint32_t last = no_id;  // neighbouring tokens often share a class
        for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride, ++work) {
            if (cc[j] == last) continue;
            last = cc[j];
            add_columns(last, last);
        }
        return work;
    }
    void finish() {
        if (!runs()) {
            if (!std::is_sorted(ids.begin(), ids.end())) std::sort(ids.begin(), ids.end());
            return;
        }
        std::sort(pairs.begin(), pairs.end());
        for (std::uint64_t pr : pairs) {
            const auto a = std::uint32_t(pr >> 32), b = std::uint32_t(pr);
            if (!ids.empty() && a <= ids.back()) ids.back() = std::max(ids.back(), b);
            else ids.insert(ids.end(), {a, b});
        }
    }
};

// Whether every run of `extra` lies inside a run of `base` (both sorted, merged run lists).
bool runs_cover(std::span<const std::uint32_t> base, std::span<const std::uint32_t> extra) {
    for (std::size_t i = 0; i < extra.size(); i += 2) {
        std::size_t lo = 0, hi = base.size() / 2;  // the last base run starting at or before extra[i]
        while (lo < hi) {
            const std::size_t mid = (lo + hi) / 2;
            if (base[2 * mid] <= extra[i]) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0 || base[2 * (lo - 1) + 1] < extra[i + 1]) return false;
    }
    return true;
}

// The union of two sorted, merged run lists.
void unite_runs(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b, std::vector<std::uint32_t>& out) {
    out.clear();
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        const bool take_a = j >= b.size() || (i < a.size() && a[i] <= b[j]);
        const std::uint32_t lo = take_a ? a[i] : b[j], hi = take_a ? a[i + 1] : b[j + 1];
        (take_a ? i : j) += 2;
        if (!out.empty() && lo <= out.back()) out.back() = std::max(out.back(), hi);
        else out.insert(out.end(), {lo, hi});
    }
}

struct State {
    std::uint64_t t = 0;
    std::vector<std::uint32_t> cls;  // static row class -> distinct row
    std::vector<Row> rows;           // the distinct sets S_k^t, over the batch's column classes
    std::uint64_t weight = 0;        // sum over tokens k of |S_k^t| (in column classes)
    std::uint64_t bytes = 0;
    bool complete = false;
};
using StatePtr = std::shared_ptr<const State>;

class Propagator {
public:
    Propagator(const Pattern& pattern, const Statics& st, const Budget& budget, std::uint32_t c0,
               std::uint32_t width, std::uint64_t work_cap)
        : pattern_(pattern), st_(st), budget_(budget), c0_(c0), space_(width),
          work_cap_(work_cap) {}

    Stop stop() const noexcept { return stop_; }
    const Space& space() const noexcept { return space_; }

    // S^1 when prev is null, else S^{prev->t + 1}. Null when a budget stops it; `live` is the
    // memory already held by the caller's states.
    StatePtr advance(const State* prev, std::uint64_t live);
    // Per-token union of two states (the union over all steps seen, for "never" witnesses).
    StatePtr combine(const State& a, const State& b, std::uint64_t live);
    bool equal(const State& a, const State& b) const;
    // The smallest token k whose S_k^t is incomplete and the smallest token j missing from it.
    std::pair<token_t, token_t> missing(const State& s) const;

private:
    bool over_memory(std::uint64_t used) const { return used > budget_.memory(); }
    StatePtr finish(std::vector<Row>&& fresh, const std::vector<std::uint32_t>& id_of_class,
                    std::uint64_t t);

    const Pattern& pattern_;
    const Statics& st_;
    const Budget& budget_;
    std::uint32_t c0_;
    Space space_;
    std::uint64_t work_cap_;
    std::uint64_t work_ = 0;
    Stop stop_ = Stop::none;
};

// Deduplicates the freshly computed rows and assembles the state: id_of_class[r] indexes `fresh`.
StatePtr Propagator::finish(std::vector<Row>&& fresh, const std::vector<std::uint32_t>& id_of_class,
                            std::uint64_t t) {
    auto state = std::make_shared<State>();
    state->t = t;
    std::vector<std::uint32_t> row_of(fresh.size());
    HashIndex index(fresh.size());
    for (std::size_t u = 0; u < fresh.size(); ++u) {
        const std::uint32_t next = std::uint32_t(state->rows.size());
        const std::uint32_t id = index.find_or_insert(
            fresh[u].hash, next, [&](std::uint32_t v) { return same_set(state->rows[v], fresh[u]); });
        if (id == next) state->rows.push_back(std::move(fresh[u]));
        row_of[u] = id;
    }
    state->cls.resize(st_.R);
    std::uint64_t bytes = 4 * std::uint64_t(st_.R);
    for (std::uint32_t r = 0; r < st_.R; ++r) {
        state->cls[r] = row_of[id_of_class[r]];
        state->weight += std::uint64_t(st_.row_size[r]) * state->rows[state->cls[r]].card;
    }
    state->complete = true;
    for (const Row& row : state->rows) {
        bytes += row.bytes();
        if (row.card != space_.width) state->complete = false;
    }
    state->bytes = bytes;
    return state;
}

StatePtr Propagator::advance(const State* prev, std::uint64_t live) {
    if (budget_.expired()) {
        stop_ = Stop::time;
        return nullptr;
    }
    const std::uint64_t t = prev ? prev->t + 1 : 1;
    const std::size_t p = pattern_.p();
    const Layer& layer = pattern_.layers[(t - 1) % p];
    const std::uint32_t R = st_.R;
    const std::uint32_t classes = prev ? std::uint32_t(prev->rows.size()) : space_.width;
    const int threads = budget_.threads_for(layer.description_size() + R);
    // Token -> class of S^{t-1}, composed once so that each attended token costs one lookup, and
    // where each run of equal classes ends, so that an interval costs one lookup per run.
    std::vector<std::uint32_t> token_class, run_end;
    if (prev) {
        const token_t n = pattern_.n;
        token_class.resize(n);
#pragma omp parallel for schedule(static, 8192) num_threads(budget_.threads_for(n))
        for (std::int64_t j = 0; j < std::int64_t(n); ++j)
            token_class[j] = prev->cls[st_.row_class[j]];
        run_end.resize(n);
        for (token_t j = n; j-- > 0;)
            run_end[j] = j + 1 < n && token_class[j + 1] == token_class[j] ? run_end[j + 1] : j;
    }
    SignatureCollector proto{prev ? &token_class : nullptr, &run_end, &st_, c0_, space_.width};

    // Phase A (parallel): the signature of every row class, the sorted set of classes of S^{t-1}
    // over its attended set (for t = 1: the column classes of A_k^1 inside the batch). A shared
    // row's part is collected once; a row whose own part adds nothing to it shares its signature.
    std::vector<char> shared_used(layer.shared_rows(), 0);
    for (std::uint32_t r = 0; r < R; ++r) shared_used[layer.shared_id(st_.row_rep[r])] = 1;
    std::vector<std::vector<std::uint32_t>> shared_sig(layer.shared_rows());
    std::vector<std::uint64_t> shared_hash(layer.shared_rows(), 0);
    std::uint64_t work = 0;
#pragma omp parallel num_threads(budget_.threads_for(layer.description_size())) reduction(+ : work)
    {
        SignatureCollector col = proto;
        col.stamp.assign(classes, 0);
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t sid = 1; sid < std::int64_t(layer.shared_rows()); ++sid) {
            if (!shared_used[sid]) continue;
            col.start();
            for (const Segment& seg : layer.shared_row(std::uint32_t(sid))) work += col.add(seg);
            col.finish();
            shared_sig[sid] = col.ids;
            shared_hash[sid] = signature_hash(col.ids);
        }
    }
    std::atomic<std::uint64_t> used{live};
    for (const auto& v : shared_sig) used += 4 * v.size();
    constexpr std::uint32_t chunk = 256;
    const std::size_t chunks = (std::size_t(R) + chunk - 1) / chunk;
    std::vector<std::vector<std::uint32_t>> chunk_data(chunks);
    std::vector<std::uint64_t> sig_hash(R);
    std::vector<std::uint32_t> sig_len(R), sig_shared(R, 0);
    std::vector<std::uint64_t> sig_off(R);
    std::atomic<bool> abort{false};
#pragma omp parallel num_threads(threads) reduction(+ : work)
    {
        SignatureCollector col = proto;
        col.stamp.assign(classes, 0);
        std::vector<std::uint32_t> merged;
#pragma omp for schedule(dynamic, 1)
        for (std::size_t c = 0; c < chunks; ++c) {
            if (abort.load(std::memory_order_relaxed)) continue;
            auto& out = chunk_data[c];
            const std::uint32_t lo = std::uint32_t(c * chunk);
            const std::uint32_t hi = std::min<std::uint32_t>(R, lo + chunk);
            for (std::uint32_t r = lo; r < hi; ++r) {
                const token_t rep = st_.row_rep[r];
                const RowView row = layer.row(rep);
                const std::uint32_t sid = layer.shared_id(rep);
                col.start();
                for (const Segment& seg : row.own) work += col.add(seg);
                for (token_t j : row.tokens) work += col.add(Segment::single(j));
                col.finish();
                std::span<const std::uint32_t> ids = col.ids;
                if (sid != 0 && col.runs()) {
                    const auto& base = shared_sig[sid];
                    work += col.ids.size() + 1;
                    if (runs_cover(base, col.ids)) {
                        sig_shared[r] = sid;
                        sig_hash[r] = shared_hash[sid];
                        sig_len[r] = std::uint32_t(base.size());
                        continue;
                    }
                    unite_runs(base, col.ids, merged);
                    work += merged.size();
                    ids = merged;
                } else if (sid != 0) {
                    const auto& base = shared_sig[sid];
                    auto extra = col.ids.begin();
                    for (std::uint32_t x : col.ids)
                        if (!std::binary_search(base.begin(), base.end(), x)) *extra++ = x;
                    col.ids.erase(extra, col.ids.end());
                    work += col.ids.size() + 1;
                    if (col.ids.empty()) {
                        sig_shared[r] = sid;
                        sig_hash[r] = shared_hash[sid];
                        sig_len[r] = std::uint32_t(base.size());
                        continue;
                    }
                    merged.clear();
                    std::set_union(base.begin(), base.end(), col.ids.begin(), col.ids.end(),
                                   std::back_inserter(merged));
                    work += merged.size();
                    ids = merged;
                }
                sig_hash[r] = signature_hash(ids);
                sig_len[r] = std::uint32_t(ids.size());
                sig_off[r] = out.size();
                out.insert(out.end(), ids.begin(), ids.end());
            }
            const std::uint64_t now = used.fetch_add(out.capacity() * 4) + out.capacity() * 4;
            if (over_memory(now)) abort = true;
        }
    }
    if (abort) {
        stop_ = Stop::memory;
        return nullptr;
    }
    auto sig = [&](std::uint32_t r) {
        if (sig_shared[r] != 0) return std::span<const std::uint32_t>(shared_sig[sig_shared[r]]);
        return std::span<const std::uint32_t>(chunk_data[r / chunk].data() + sig_off[r], sig_len[r]);
    };

    // Phase B (serial): number the distinct signatures in token order.
    std::vector<std::uint32_t> sig_id(R);
    std::vector<std::uint32_t> first_class;  // distinct signature -> row class where it first occurs
    {
        HashIndex index(R);
        for (std::uint32_t r = 0; r < R; ++r) {
            const std::uint32_t next = std::uint32_t(first_class.size());
            const std::uint32_t id = index.find_or_insert(sig_hash[r], next, [&](std::uint32_t u) {
                auto a = sig(first_class[u]), b = sig(r);
                return std::equal(a.begin(), a.end(), b.begin(), b.end());
            });
            if (id == next) first_class.push_back(r);
            sig_id[r] = id;
        }
    }
    std::vector<std::uint64_t>().swap(sig_hash);
    used += 8 * std::uint64_t(first_class.size());

    // Phase C (parallel): one union per distinct signature.
    const std::size_t distinct = first_class.size();
    std::uint64_t entries = 0;
    for (std::uint32_t r : first_class) entries += sig_len[r];
    std::vector<Row> fresh(distinct);
    std::atomic<bool> timed_out{false}, capped{false};
    // Work done so far, flushed every 64 items: a step that would pass the work cap is stopped
    // early. Deterministic, because the partial sums only exceed the cap if the total does.
    std::atomic<std::uint64_t> shared_work{work_ + work};
#pragma omp parallel num_threads(budget_.threads_for((entries + distinct) * (1 + space_.words / 4))) \
    reduction(+ : work)
    {
        Scratch scratch;
        std::size_t done = 0;
        std::uint64_t unflushed = 0;
#pragma omp for schedule(dynamic, 4)
        for (std::size_t u = 0; u < distinct; ++u) {
            if (abort.load(std::memory_order_relaxed)) continue;
            if ((++done & 63) == 0) {
                const std::uint64_t total = shared_work.fetch_add(unflushed) + unflushed;
                unflushed = 0;
                if (work_cap_ && total > work_cap_) {
                    capped = true;
                    abort = true;
                    continue;
                }
                if (budget_.expired()) {
                    timed_out = true;
                    abort = true;
                    continue;
                }
            }
            const std::uint64_t before = work;
            auto ids = sig(first_class[u]);
            Row row;
            if (!prev) {  // the signature is the row's run list
                row.runs.assign(ids.begin(), ids.end());
                finish_runs(row, space_);
                work += ids.size();
            } else {
                scratch.inputs.clear();
                for (std::uint32_t x : ids) scratch.inputs.push_back(&prev->rows[x]);
                std::uint64_t w = ids.size();
                row = unite(scratch.inputs, space_, scratch, w);
                work += w;
            }
            unflushed += work - before;
            const std::uint64_t b = row.bytes();
            fresh[u] = std::move(row);
            if (over_memory(used.fetch_add(b) + b)) abort = true;
        }
    }
    if (abort) {
        stop_ = timed_out ? Stop::time : capped ? Stop::work : Stop::memory;
        return nullptr;
    }
    work_ += work;
    if (work_cap_ && work_ > work_cap_) {
        stop_ = Stop::work;
        return nullptr;
    }
    std::vector<std::vector<std::uint32_t>>().swap(chunk_data);
    return finish(std::move(fresh), sig_id, t);
}

StatePtr Propagator::combine(const State& a, const State& b, std::uint64_t live) {
    const std::uint32_t R = st_.R;
    std::vector<std::uint32_t> id_of_class(R);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
    HashIndex index(std::min<std::size_t>(R, a.rows.size() * b.rows.size()));
    for (std::uint32_t r = 0; r < R; ++r) {
        const std::pair<std::uint32_t, std::uint32_t> key{a.cls[r], b.cls[r]};
        const std::uint32_t next = std::uint32_t(pairs.size());
        const std::uint32_t id =
            index.find_or_insert(mix64(std::uint64_t(key.first) << 32 | key.second), next,
                                 [&](std::uint32_t v) { return pairs[v] == key; });
        if (id == next) pairs.push_back(key);
        id_of_class[r] = id;
    }
    std::vector<Row> fresh(pairs.size());
    std::atomic<std::uint64_t> used{live};
    std::atomic<bool> abort{false};
    std::uint64_t work = 0;
#pragma omp parallel num_threads(budget_.threads_for(pairs.size() * (1 + space_.words / 4))) \
    reduction(+ : work)
    {
        Scratch scratch;
#pragma omp for schedule(dynamic, 4)
        for (std::size_t u = 0; u < pairs.size(); ++u) {
            if (abort.load(std::memory_order_relaxed)) continue;
            const Row* two[2] = {&a.rows[pairs[u].first], &b.rows[pairs[u].second]};
            std::uint64_t w = 2;
            fresh[u] = unite(std::span<const Row* const>(two, 2), space_, scratch, w);
            work += w;
            const std::uint64_t bytes = fresh[u].bytes();
            if (over_memory(used.fetch_add(bytes) + bytes)) abort = true;
        }
    }
    if (abort) {
        stop_ = Stop::memory;
        return nullptr;
    }
    work_ += work;
    if (work_cap_ && work_ > work_cap_) {
        stop_ = Stop::work;
        return nullptr;
    }
    return finish(std::move(fresh), id_of_class, b.t);
}

bool Propagator::equal(const State& a, const State& b) const {
    if (a.weight != b.weight || a.rows.size() != b.rows.size()) return false;
    std::vector<std::uint32_t> match(a.rows.size(), no_id);
    for (std::uint32_t r = 0; r < st_.R; ++r) {
        const std::uint32_t x = a.cls[r], y = b.cls[r];
        if (match[x] == no_id) {
            if (!same_set(a.rows[x], b.rows[y])) return false;
            match[x] = y;
        } else if (match[x] != y) {
            return false;  // rows of b are distinct sets, so y differs from match[x] = a's row x
        }
    }
    return true;
}

std::pair<token_t, token_t> Propagator::missing(const State& s) const {
    // Row classes are numbered by their smallest token, so the first incomplete class holds the
    // smallest incomplete token; likewise for column classes.
    for (std::uint32_t r = 0; r < st_.R; ++r) {
        const Row& row = s.rows[s.cls[r]];
        if (row.card != space_.width)
            return {token_t(st_.row_rep[r]), token_t(st_.col_rep[c0_ + first_missing(row, space_)])};
    }
    return {0, 0};  // not reached: callers ask only about incomplete states
}

// ---------------------------------------------------------------------------------------------
// Runs over one batch of column classes.

struct BatchRun {
    enum Kind { complete, never, stopped } kind = stopped;
    std::uint64_t s = 0;                                  // complete: first complete step
    std::optional<std::pair<token_t, token_t>> witness;   // complete, s > 1: j not in S_k^{s-1}
    std::uint64_t mu = 0, lambda = 0;                     // never: S^mu = S^{mu+lambda}
    std::optional<std::pair<token_t, token_t>> union_missing;  // never: missing from every S^t
    std::optional<std::pair<token_t, token_t>> cycle_missing;  // never: missing from S^mu
    Stop stop = Stop::none;
};

std::string batch_stage(std::size_t b, std::size_t batches, std::uint64_t t) {
    std::string s = "reachability: ";
    if (batches > 1) s += "batch " + std::to_string(b + 1) + "/" + std::to_string(batches) + ", ";
    return s + "step " + std::to_string(t);
}

// upper: a proven U with S^U = J, or 0. With self-attention S^t grows, so S^t = S^{t+p} exactly when the total size is unchanged over p
// steps; the first such t is the start of the (constant) cycle.
BatchRun run_monotone(Propagator& prop, const Pattern& pattern, const Budget& budget,
                      std::uint64_t upper, std::size_t b, std::size_t batches) {
    BatchRun out;
    const std::uint64_t p = pattern.p();
    std::vector<std::uint64_t> weight{0};
    StatePtr cur = prop.advance(nullptr, 0);
    if (!cur) {
        out.stop = prop.stop();
        return out;
    }
    weight.push_back(cur->weight);
    if (cur->complete) {
        out.kind = BatchRun::complete;
        out.s = 1;
        return out;
    }
    for (;;) {
        const std::uint64_t t = cur->t + 1;
        budget.progress(batch_stage(b, batches, t),
                        upper ? double(t) / double(upper) : (double(b) + 0.5) / double(batches));
        if (upper && t >= upper) {  // S^U = J is proven; S^{t-1} is incomplete
            out.kind = BatchRun::complete;
            out.s = t;
            out.witness = prop.missing(*cur);
            return out;
        }
        StatePtr next = prop.advance(cur.get(), cur->bytes);
        if (!next) {
            out.stop = prop.stop();
            return out;
        }
        if (next->complete) {
            out.kind = BatchRun::complete;
            out.s = t;
            out.witness = prop.missing(*cur);
            return out;
        }
        weight.push_back(next->weight);
        if (t > p && weight[t] == weight[t - p]) {
            out.kind = BatchRun::never;
            out.mu = t - p;
            out.lambda = p;
            out.union_missing = out.cycle_missing = prop.missing(*next);
            return out;
        }
        cur = std::move(next);
    }
}

// Without self-attention: Brent's algorithm on x_t = (S^t, t mod p), t >= 1, comparing whole
// states, with O(1) saved states; the union of every state seen gives the "never" witness.
BatchRun run_brent(Propagator& prop, const Pattern& pattern, const Budget& budget, std::size_t b,
                   std::size_t batches) {
    BatchRun out;
    const std::uint64_t p = pattern.p();
    auto stopped = [&]() {
        out.kind = BatchRun::stopped;
        out.stop = prop.stop();
        return out;
    };
    StatePtr first = prop.advance(nullptr, 0);
    if (!first) return stopped();
    if (first->complete) {
        out.kind = BatchRun::complete;
        out.s = 1;
        return out;
    }
    StatePtr seen = first;  // union of every state so far
    StatePtr tortoise = first, hare = first;
    std::uint64_t power = 1, lambda = 0;
    auto same = [&](const State& x, const State& y) {
        return x.t % p == y.t % p && prop.equal(x, y);
    };
    for (;;) {
        if (power == lambda) {
            tortoise = hare;
            power *= 2;
            lambda = 0;
        }
        budget.progress(batch_stage(b, batches, hare->t + 1), -1.0);
        const std::uint64_t live = seen->bytes + tortoise->bytes + hare->bytes;
        StatePtr next = prop.advance(hare.get(), live);
        if (!next) return stopped();
        ++lambda;
        if (next->complete) {
            out.kind = BatchRun::complete;
            out.s = next->t;
            out.witness = prop.missing(*hare);
            return out;
        }
        hare = std::move(next);
        seen = prop.combine(*seen, *hare, live + hare->bytes);
        if (!seen) return stopped();
        if (same(*tortoise, *hare)) break;
    }
    // lambda is the cycle length; find its first state by running two copies lambda apart.
    out.lambda = lambda;
    if (seen->complete)
        seen.reset();
    else
        out.union_missing = prop.missing(*seen);
    tortoise.reset();
    hare.reset();
    StatePtr slow = prop.advance(nullptr, 0);
    if (!slow) return stopped();
    StatePtr fast = slow;
    for (std::uint64_t i = 0; i < lambda; ++i) {
        budget.progress(batch_stage(b, batches, fast->t + 1), -1.0);
        fast = prop.advance(fast.get(), slow->bytes + fast->bytes);
        if (!fast) return stopped();
    }
    while (!prop.equal(*slow, *fast)) {
        budget.progress(batch_stage(b, batches, fast->t + 1), -1.0);
        const std::uint64_t live = slow->bytes + fast->bytes;
        slow = prop.advance(slow.get(), live);
        if (!slow) return stopped();
        fast = prop.advance(fast.get(), live + slow->bytes);
        if (!fast) return stopped();
    }
    out.kind = BatchRun::never;
    out.mu = slow->t;
    out.cycle_missing = prop.missing(*slow);
    return out;
}

std::string stop_text(Stop stop, const Budget& budget) {
    switch (stop) {
        case Stop::memory:
            return "memory budget of " + std::to_string(budget.memory()) + " bytes exceeded";
        case Stop::time:
            return "time budget of " + std::to_string(budget.options().timeout_seconds) +
                   " s exceeded";
        case Stop::work:
            return "work cap reached";
        case Stop::none:
            break;
    }
    return "stopped";
}

std::uint64_t gcd64(std::uint64_t a, std::uint64_t b) {
    while (b) {
        const std::uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

}  // namespace

ReachabilityResult run_class_engine(const Pattern& pattern, const PatternFacts& facts,
                                    const Budget& budget, const ClassEngineRequest& request) {
    ReachabilityResult result;
    result.monotone = facts.monotone;
    budget.progress("reachability: twin classes", -1.0);
    const Statics st = compute_statics(pattern, budget);
    const std::uint64_t p = pattern.p();
    const std::string classes_text = std::to_string(st.R) + " row x " + std::to_string(st.C) +
                                     " column classes";
    result.method = "quotient classes (" + classes_text + ")";
    if (st.bytes() > budget.memory()) {
        result.reason = "undetermined: the twin classes alone exceed the memory budget";
        return result;
    }
    const bool may_batch = facts.nonempty;
    const std::uint64_t upper = facts.monotone ? request.upper_bound.value_or(0) : 0;
    std::uint64_t width = st.C;
    if (may_batch && budget.options().batch_columns > 0)
        width = std::min<std::uint64_t>(st.C, budget.options().batch_columns);
    // Where no twins compress the rows, they end dense: two states of R rows of width / 8 bytes
    // each. Start with batches that fit in half the budget rather than finding out by failing
    // (the sources are then streamed, batch by batch, with memory O(R * width)).
    if (may_batch && budget.options().batch_columns == 0) {
        const std::uint64_t per_column = 2 * std::uint64_t(st.R) / 8 + 1;
        const std::uint64_t fits = budget.memory() / 2 / per_column;
        if (fits < width) width = std::max<std::uint64_t>(64, fits / 64 * 64);
    }
    std::vector<BatchRun> runs;
    for (;;) {
        const std::size_t batches = std::size_t((st.C + width - 1) / width);
        runs.assign(batches, BatchRun{});
        bool retry = false;
        for (std::size_t b = 0; b < batches; ++b) {
            const std::uint32_t c0 = std::uint32_t(b * width);
            const std::uint32_t w = std::uint32_t(std::min<std::uint64_t>(width, st.C - c0));
            Propagator prop(pattern, st, budget, c0, w, request.work_cap);
            runs[b] = facts.monotone ? run_monotone(prop, pattern, budget, upper, b, batches)
                                     : run_brent(prop, pattern, budget, b, batches);
            if (runs[b].kind != BatchRun::stopped) continue;
            if (runs[b].stop == Stop::memory && may_batch && width > 64) {
                // Smaller batches: halve, keeping whole words.
                width = std::max<std::uint64_t>(64, (width / 2 + 63) / 64 * 64);
                retry = true;
                break;
            }
            result.reason = "undetermined: " + stop_text(runs[b].stop, budget) +
                            " in the class engine (" + classes_text + ", " +
                            std::to_string(batches) + " batch(es))";
            return result;
        }
        if (!retry) break;
    }
    const std::size_t batches = runs.size();
    if (batches > 1) result.method += ", " + std::to_string(batches) + " batches";

    bool all_complete = true;
    for (const auto& r : runs) all_complete = all_complete && r.kind == BatchRun::complete;
    if (all_complete) {
        // A complete batch stays complete (non-empty rows), so s is the latest first completion.
        std::size_t last = 0;
        for (std::size_t b = 0; b < batches; ++b)
            if (runs[b].s > runs[last].s) last = b;
        result.holds = true;
        result.s = runs[last].s;
        result.below_s_witness = runs[last].witness;
        result.reason = "S_k^" + std::to_string(*result.s) + " = [n] for every k";
        if (result.below_s_witness)
            result.reason += "; " + pair_text(*result.below_s_witness, *result.s - 1);
        return result;
    }

    // Never complete. Per batch, x^b_t = x^b_{t+m} for t >= mu_b exactly when lambda_b divides
    // m; a batch that completes at s_b is constant from s_b on (period p through the phase).
    result.holds = false;
    std::uint64_t mu = 0, lambda = 1;
    bool overflow = false;
    std::size_t first_never = batches;
    for (std::size_t b = 0; b < batches; ++b) {
        const auto& r = runs[b];
        const std::uint64_t mb = r.kind == BatchRun::complete ? r.s : r.mu;
        const std::uint64_t lb = r.kind == BatchRun::complete ? p : r.lambda;
        if (r.kind == BatchRun::never && first_never == batches) first_never = b;
        mu = std::max(mu, mb);
        const std::uint64_t g = gcd64(lambda, lb);
        if (lambda / g > ~std::uint64_t{0} / lb)
            overflow = true;
        else
            lambda = lambda / g * lb;
    }
    if (!overflow) {
        result.cycle_start = mu;
        result.period = lambda;
    }
    for (const auto& r : runs)
        if (r.kind == BatchRun::never && r.union_missing) {
            result.unreached = r.union_missing;
            result.unreached_for_all_t = true;
            break;
        }
    if (result.unreached) {
        result.reason = pair_text(*result.unreached, 0) + " for any t >= 1";
    } else {
        // Every pair is reached at some step. Report a pair missing from S^mu, taken from a
        // batch that never completes (its state at mu lies on its cycle, so it is incomplete).
        const auto& r = runs[first_never];
        if (batches == 1 || r.mu == mu) {
            result.unreached = r.cycle_missing;
        } else {
            const std::uint32_t c0 = std::uint32_t(first_never * width);
            const std::uint32_t w = std::uint32_t(std::min<std::uint64_t>(width, st.C - c0));
            Propagator prop(pattern, st, budget, c0, w, request.work_cap);
            StatePtr s = prop.advance(nullptr, 0);
            while (s && s->t < mu) s = prop.advance(s.get(), s->bytes);
            if (!s) {
                result.holds.reset();
                result.reason = "undetermined: " + stop_text(prop.stop(), budget) +
                                " while locating the first state of the cycle";
                return result;
            }
            result.unreached = prop.missing(*s);
        }
        result.unreached_for_all_t = false;
        result.reason = "every pair is reached at some step but never all at once; " +
                        pair_text(*result.unreached, mu);
    }
    if (result.cycle_start)
        result.reason += "; (S^t, t mod p) repeats: S^" + std::to_string(*result.cycle_start) +
                         " = S^" + std::to_string(*result.cycle_start + *result.period);
    return result;
}

}  // namespace sparsecert::detail
