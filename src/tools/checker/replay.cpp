#include "checker/replay.hpp"

#include <algorithm>
#include <bit>
#include <unordered_map>

namespace sparsecert::checker {

namespace {

template <typename F>
void each_token(const Segment& s, F&& f) {
    for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride) f(token_t(j));
}

const Layer& layer_at(const Pattern& p, std::uint64_t u) { return p.layers[(u - 1) % p.p()]; }

std::uint64_t tail_mask(token_t n) {
    const unsigned r = n % 64;
    return r == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << r) - 1;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Bits.

void TokenSet::add(const Segment& s) noexcept {
    if (s.stride != 1) {
        each_token(s, [&](token_t j) { set(j); });
        return;
    }
    const std::size_t a = s.lo >> 6, b = s.hi >> 6;
    const std::uint64_t first = ~std::uint64_t{0} << (s.lo & 63);
    const std::uint64_t last = ~std::uint64_t{0} >> (63 - (s.hi & 63));
    if (a == b) {
        words_[a] |= first & last;
        return;
    }
    words_[a] |= first;
    for (std::size_t w = a + 1; w < b; ++w) words_[w] = ~std::uint64_t{0};
    words_[b] |= last;
}

bool TokenSet::full() const noexcept {
    if (n_ == 0) return true;
    for (std::size_t w = 0; w + 1 < words_.size(); ++w)
        if (words_[w] != ~std::uint64_t{0}) return false;
    return words_.back() == tail_mask(n_);
}

std::uint64_t TokenSet::size() const noexcept {
    std::uint64_t c = 0;
    for (std::uint64_t w : words_) c += std::uint64_t(std::popcount(w));
    return c;
}

token_t TokenSet::first_missing() const noexcept {
    for (std::size_t w = 0; w < words_.size(); ++w)
        if (words_[w] != ~std::uint64_t{0}) {
            const token_t j = token_t(w * 64 + unsigned(std::countr_one(words_[w])));
            if (j < n_) return j;
        }
    return n_;
}

// ---------------------------------------------------------------------------------------------
// One token at a time.

TokenSet backward(const Pattern& p, token_t k, std::uint64_t t) {
    TokenSet cur(p.n);
    cur.set(k);
    for (std::uint64_t u = t; u >= 1; --u) {
        const Layer& layer = layer_at(p, u);
        TokenSet next(p.n);
        std::vector<char> shared_done(layer.shared_rows(), 0);
        cur.for_each([&](token_t r) {
            const std::uint32_t sid = layer.shared_id(r);
            if (sid != 0 && !shared_done[sid]) {
                shared_done[sid] = 1;
                for (const Segment& s : layer.shared_row(sid)) next.add(s);
            }
            const RowView row = layer.row(r);
            for (const Segment& s : row.own) next.add(s);
            for (token_t j : row.tokens) next.set(j);
        });
        cur = std::move(next);
    }
    return cur;
}

TokenSet forward(const Pattern& p, token_t h, std::uint64_t first, std::uint64_t last) {
    TokenSet cur(p.n);
    cur.set(h);
    for (std::uint64_t u = first; u <= last; ++u) {
        const Layer& layer = layer_at(p, u);
        // below[w]: members in the words before w, so that an interval is tested in O(1).
        std::vector<std::uint64_t> below(cur.word_count() + 1, 0);
        for (std::size_t w = 0; w < cur.word_count(); ++w)
            below[w + 1] = below[w] + std::uint64_t(std::popcount(cur.word(w)));
        auto members_below = [&](std::uint64_t j) {
            const std::uint64_t w = j >> 6, b = j & 63;
            std::uint64_t c = below[w];
            if (b) c += std::uint64_t(std::popcount(cur.word(w) & ((std::uint64_t{1} << b) - 1)));
            return c;
        };
        auto meets = [&](const Segment& s) {
            if (s.stride == 1) return members_below(std::uint64_t(s.hi) + 1) > members_below(s.lo);
            for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride)
                if (cur.test(token_t(j))) return true;
            return false;
        };
        std::vector<signed char> shared_meets(layer.shared_rows(), -1);
        TokenSet next(p.n);
        for (token_t k = 0; k < p.n; ++k) {
            const std::uint32_t sid = layer.shared_id(k);
            if (sid != 0 && shared_meets[sid] < 0) {
                shared_meets[sid] = 0;
                for (const Segment& s : layer.shared_row(sid))
                    if (meets(s)) {
                        shared_meets[sid] = 1;
                        break;
                    }
            }
            bool hit = sid != 0 && shared_meets[sid] == 1;
            const RowView row = layer.row(k);
            for (std::size_t i = 0; !hit && i < row.own.size(); ++i) hit = meets(row.own[i]);
            for (std::size_t i = 0; !hit && i < row.tokens.size(); ++i) hit = cur.test(row.tokens[i]);
            if (hit) next.set(k);
        }
        cur = std::move(next);
    }
    return cur;
}

// ---------------------------------------------------------------------------------------------
// Windows.

std::optional<Intervals> interval_structure(const Pattern& p) {
    Intervals iv;
    for (const Layer& layer : p.layers) {
        std::vector<token_t> a(p.n), b(p.n);
        for (token_t k = 0; k < p.n; ++k) {
            const RowView row = layer.row(k);
            if (row.empty()) return std::nullopt;
            const token_t lo = row.min(), hi = row.max();
            if (lo > k || hi < k || std::uint64_t(hi) - lo + 1 != row.size()) return std::nullopt;
            if (k > 0 && (lo < a[k - 1] || hi < b[k - 1])) return std::nullopt;
            a[k] = lo;
            b[k] = hi;
        }
        iv.a.push_back(std::move(a));
        iv.b.push_back(std::move(b));
    }
    return iv;
}

std::pair<token_t, token_t> interval_at(const Intervals& iv, token_t k, std::uint64_t t) {
    token_t lo = k, hi = k;
    const std::size_t p = iv.a.size();
    for (std::uint64_t u = t; u >= 1; --u) {
        lo = iv.a[(u - 1) % p][lo];
        hi = iv.b[(u - 1) % p][hi];
    }
    return {lo, hi};
}

// ---------------------------------------------------------------------------------------------
// Every source: distinct rows as run lists.

namespace {

using Runs = std::vector<std::uint32_t>;  // half-open [a, b) pairs, sorted, disjoint, not touching

struct RunTable {
    std::vector<std::uint32_t> id;  // token -> distinct row
    std::vector<Runs> rows;
};

class Interner {
public:
    explicit Interner(std::vector<Runs>& rows) : rows_(rows) {}
    std::uint32_t intern(Runs&& r) {
        std::uint64_t h = 0x9E3779B97F4A7C15ull ^ r.size();
        for (std::uint32_t x : r) h = (h ^ x) * 0x100000001B3ull;
        auto& bucket = index_[h];
        for (std::uint32_t id : bucket)
            if (rows_[id] == r) return id;
        const auto id = std::uint32_t(rows_.size());
        rows_.push_back(std::move(r));
        bucket.push_back(id);
        return id;
    }

private:
    std::vector<Runs>& rows_;
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> index_;
};

// Sorts [a, b) pairs (a << 32 | b) and merges them into a run list.
Runs merge(std::vector<std::uint64_t>& pairs) {
    std::sort(pairs.begin(), pairs.end());
    Runs out;
    for (std::uint64_t pr : pairs) {
        const auto a = std::uint32_t(pr >> 32), b = std::uint32_t(pr);
        if (!out.empty() && a <= out.back()) out.back() = std::max(out.back(), b);
        else out.insert(out.end(), {a, b});
    }
    return out;
}

// S^1..S^t with one run list per distinct row; nullopt past the caps on work and stored runs.
std::optional<std::vector<char>> run_lists(const Pattern& p, std::uint64_t t, std::uint64_t work_cap) {
    const token_t n = p.n;
    const std::uint64_t runs_cap = std::uint64_t{1} << 26;  // 256 MiB of stored runs
    std::uint64_t work = 0;
    std::vector<char> complete(t, 0);
    RunTable prev;
    for (std::uint64_t u = 1; u <= t; ++u) {
        const Layer& layer = layer_at(p, u);
        // run_end[j]: the last token of the run of equal rows of S^{u-1} that starts at j.
        std::vector<token_t> run_end;
        if (u > 1) {
            run_end.resize(n);
            for (token_t j = n; j-- > 0;)
                run_end[j] = j + 1 < n && prev.id[j + 1] == prev.id[j] ? run_end[j + 1] : j;
        }
        std::vector<std::uint32_t> stamp(prev.rows.size(), 0);
        std::uint32_t epoch = 0;
        std::vector<std::uint64_t> pairs;
        // Appends the runs of the union over s of S_j^{u-1} (of s itself at u = 1).
        auto gather = [&](const Segment& s) {
            if (u == 1) {
                if (s.stride == 1) pairs.push_back(std::uint64_t(s.lo) << 32 | (std::uint64_t(s.hi) + 1));
                else each_token(s, [&](token_t j) { pairs.push_back(std::uint64_t(j) << 32 | (j + 1)); });
                ++work;
                return;
            }
            auto take = [&](token_t j) {
                const std::uint32_t x = prev.id[j];
                ++work;
                if (stamp[x] == epoch) return;
                stamp[x] = epoch;
                for (std::size_t i = 0; i < prev.rows[x].size(); i += 2)
                    pairs.push_back(std::uint64_t(prev.rows[x][i]) << 32 | prev.rows[x][i + 1]);
                work += prev.rows[x].size();
            };
            if (s.stride == 1)
                for (std::uint64_t j = s.lo; j <= s.hi; j = std::uint64_t(run_end[j]) + 1) take(token_t(j));
            else
                each_token(s, take);
        };
        auto begin_row = [&] {
            pairs.clear();
            ++epoch;
        };
        RunTable next;
        next.id.resize(n);
        Interner interner(next.rows);
        const Runs full_runs{0, n};
        // The union over each shared row, once.
        std::vector<Runs> shared(layer.shared_rows());
        std::vector<std::uint32_t> shared_id(layer.shared_rows(), ~std::uint32_t{0});
        std::vector<char> used(layer.shared_rows(), 0);
        for (token_t k = 0; k < n; ++k) used[layer.shared_id(k)] = 1;
        for (std::uint32_t r = 1; r < layer.shared_rows(); ++r) {
            if (!used[r]) continue;
            begin_row();
            for (const Segment& s : layer.shared_row(r)) gather(s);
            shared[r] = merge(pairs);
        }
        std::uint64_t stored = 0;
        for (token_t k = 0; k < n; ++k) {
            const std::uint32_t sid = layer.shared_id(k);
            if (layer.shared_only(k) && sid != 0) {
                if (shared_id[sid] == ~std::uint32_t{0}) shared_id[sid] = interner.intern(Runs(shared[sid]));
                next.id[k] = shared_id[sid];
                continue;
            }
            if (sid != 0 && shared[sid] == full_runs) {
                next.id[k] = interner.intern(Runs(full_runs));
                continue;
            }
            begin_row();
            for (std::size_t i = 0; sid != 0 && i < shared[sid].size(); i += 2)
                pairs.push_back(std::uint64_t(shared[sid][i]) << 32 | shared[sid][i + 1]);
            const RowView row = layer.row(k);
            for (const Segment& s : row.own) gather(s);
            for (token_t j : row.tokens) gather(Segment::single(j));
            const std::size_t before = next.rows.size();
            next.id[k] = interner.intern(merge(pairs));
            if (next.rows.size() > before) stored += next.rows.back().size();
            work += pairs.size() * std::uint64_t(std::bit_width(pairs.size()) + 1);  // the sort
            if (work > work_cap || stored > runs_cap) return std::nullopt;
        }
        bool all_full = true;
        for (const Runs& r : next.rows) all_full = all_full && r == full_runs;
        complete[u - 1] = all_full;
        prev = std::move(next);
    }
    return complete;
}

// The cost of one source word through one step: the tokens every row takes (a shared row once).
std::uint64_t word_step_cost(const Layer& layer) {
    std::uint64_t c = layer.size();
    std::vector<char> used(layer.shared_rows(), 0);
    for (token_t k = 0; k < layer.size(); ++k) {
        const RowView r = layer.row(k);
        used[layer.shared_id(k)] = 1;
        c += r.size() - r.shared_size + 1;
    }
    for (std::uint32_t r = 1; r < layer.shared_rows(); ++r)
        if (used[r]) c += layer.shared_row_size(r);
    return c;
}

// S^1..S^t for every source, 64 * W per batch (bit b of word w of token k: source
// base + 64 w + b is in S_k^u). S^0_j = {j}.
std::vector<char> bit_parallel(const Pattern& p, std::uint64_t t) {
    const token_t n = p.n;
    // Up to 4096 sources per batch, the two states within 512 MiB.
    const std::size_t W = std::max<std::size_t>(
        1, std::min<std::size_t>({64, (std::size_t(n) + 63) / 64, (std::size_t{1} << 25) / std::max<token_t>(1, n)}));
    const std::uint64_t batch = 64 * std::uint64_t(W);
    bool monotone = true;
    for (const Layer& l : p.layers)
        for (token_t k = 0; k < n && monotone; ++k) monotone = l.attends(k, k);
    std::vector<char> complete(t, 1);
    std::vector<std::uint64_t> cur(std::size_t(n) * W), next(std::size_t(n) * W);
    for (std::uint64_t base = 0; base < n; base += batch) {
        const std::uint64_t width = std::min<std::uint64_t>(batch, n - base);
        std::vector<std::uint64_t> all(W, 0);
        for (std::uint64_t i = 0; i < width; ++i) all[i / 64] |= std::uint64_t{1} << (i % 64);
        std::fill(cur.begin(), cur.end(), 0);
        for (std::uint64_t i = 0; i < width; ++i) cur[(base + i) * W + i / 64] |= std::uint64_t{1} << (i % 64);
        for (std::uint64_t u = 1; u <= t; ++u) {
            const Layer& layer = layer_at(p, u);
            std::vector<std::uint64_t> shared(std::size_t(layer.shared_rows()) * W, 0);
            for (std::uint32_t r = 1; r < layer.shared_rows(); ++r)
                for (const Segment& s : layer.shared_row(r))
                    each_token(s, [&](token_t j) {
                        for (std::size_t w = 0; w < W; ++w) shared[r * W + w] |= cur[j * W + w];
                    });
            bool full = true;
#pragma omp parallel for schedule(static, 4096) reduction(&& : full)
            for (std::int64_t k = 0; k < std::int64_t(n); ++k) {
                std::uint64_t* acc = next.data() + std::size_t(k) * W;
                const std::uint64_t* mine = cur.data() + std::size_t(k) * W;
                if (monotone && std::equal(mine, mine + W, all.begin())) {  // S_k only grows
                    std::copy(mine, mine + W, acc);
                    continue;
                }
                const std::uint32_t sid = layer.shared_id(token_t(k));
                std::copy(shared.begin() + std::ptrdiff_t(sid * W), shared.begin() + std::ptrdiff_t(sid * W + W), acc);
                const RowView row = layer.row(token_t(k));
                auto take = [&](token_t j) {
                    for (std::size_t w = 0; w < W; ++w) acc[w] |= cur[std::size_t(j) * W + w];
                };
                for (const Segment& s : row.own) each_token(s, take);
                for (token_t j : row.tokens) take(j);
                full = full && std::equal(acc, acc + W, all.begin());
            }
            cur.swap(next);
            if (!full) complete[u - 1] = 0;
        }
    }
    return complete;
}

}  // namespace

std::optional<Completeness> complete_steps(const Pattern& p, std::uint64_t t, bool last_only,
                                           std::uint64_t work_budget, std::string& why_not) {
    Completeness out;
    if (auto iv = interval_structure(p)) {
        const std::uint64_t from = last_only ? t : 1;
        if ((t - from + 1) > work_budget / std::max<std::uint64_t>(1, 2 * t)) {
            why_not = "the interval ends through every step need about " + std::to_string(2 * t * (t - from + 1)) +
                      " steps";
            return std::nullopt;
        }
        out.complete.assign(t, 0);
        for (std::uint64_t u = from; u <= t; ++u)
            out.complete[u - 1] = interval_at(*iv, p.n - 1, u).first == 0 && interval_at(*iv, 0, u).second == p.n - 1;
        out.method = "interval ends (every A_k is one interval containing k)";
        return out;
    }
    // The cost of the bit-parallel replay is known in advance; the run lists are tried first and
    // given up once they have cost as much, so the replay costs at most twice the cheaper one.
    std::uint64_t step_words = 0;
    const std::uint64_t words = (std::uint64_t(p.n) + 63) / 64;
    for (std::uint64_t u = 1; u <= t && step_words <= work_budget; ++u) step_words += word_step_cost(layer_at(p, u));
    const bool fits = step_words <= work_budget / std::max<std::uint64_t>(1, words);
    const std::uint64_t bit_cost = fits ? step_words * words : work_budget;
    if (auto c = run_lists(p, t, std::min(work_budget, bit_cost))) {
        out.complete = std::move(*c);
        out.method = "run lists over distinct rows";
        return out;
    }
    if (!fits) {
        why_not = "recomputing S^1..S^" + std::to_string(t) + " for every source needs about " +
                  std::to_string(step_words) + " x " + std::to_string(words) + " word steps";
        return std::nullopt;
    }
    out.complete = bit_parallel(p, t);
    out.method = "every source, 64 per machine word";
    return out;
}

}  // namespace sparsecert::checker
