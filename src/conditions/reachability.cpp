// Condition 3 of Assumption 1 (docs/theory.md section 2): the mixing depth s, decided exactly.
//
// Engines, cheapest first (docs/algorithms.md section 2; the class engine is in
// reachability_classes.cpp):
//  1. direct: s = 1 when every A_k of the first pattern is [n].
//  2. intervals: every A_k^l is one run containing k with run ends nondecreasing in k (windows).
//     Then S_k^t is the interval [lo_k^t, hi_k^t] with lo^t = lo^{t-1} o a^{L(t)}, a composition
//     of maps, so s needs only the orbits of the tokens n-1 and 0 (O(p s) point evaluations), and
//     the exact start of the fixpoint of a non-mixing pattern is an O(n p) dynamic programme.
//  3. certificates (with self-attention): a hub h with S_h^{t1} = [n] and h in S_k over the next
//     t2 layers for every k gives S^{t1+t2} = J (section 2.1); a witness j not in S_k^{U-1}
//     gives the lower bound. When they meet, s is exact. A sink strongly connected component of
//     the union graph that is not all of [n] proves that no finite s exists (docs/theory.md section 5,
//     closure certificate), with or without self-attention.
//  4. classes: exact propagation over twin classes (the general fallback).
#include "sparsecert/conditions/reachability.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <omp.h>

#include "conditions/reachability_detail.hpp"
#include "conditions/row_sets.hpp"

namespace sparsecert {
namespace detail {

Budget::Budget(const ReachabilityOptions& options)
    : options_(options),
      threads_(options.threads > 0 ? options.threads : omp_get_max_threads()),
      start_(std::chrono::steady_clock::now()),
      last_report_(start_) {}

bool Budget::expired() const {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    return elapsed.count() > options_.timeout_seconds;
}

void Budget::progress(const std::string& stage, double fraction) const {
    if (!options_.progress) return;
    const auto now = std::chrono::steady_clock::now();
    if (reported_ && now - last_report_ < std::chrono::milliseconds(100)) return;
    reported_ = true;
    last_report_ = now;
    report(options_.progress, stage, fraction);
}

std::string pair_text(std::pair<token_t, token_t> kj, std::uint64_t t) {
    return "token " + std::to_string(kj.second) + " is not in S_" + std::to_string(kj.first) + "^" +
           (t == 0 ? std::string("t") : std::to_string(t));
}

}  // namespace detail

namespace {

using detail::Budget;
using detail::pair_text;
using detail::PatternFacts;
using TokenPair = std::pair<token_t, token_t>;

PatternFacts pattern_facts(const Pattern& pattern, const Budget& budget) {
    PatternFacts facts;
    const int threads = budget.threads_for(std::uint64_t(pattern.n) * pattern.p() * 8);
    bool monotone = true, nonempty = true;
    for (const Layer& layer : pattern.layers) {
#pragma omp parallel for schedule(static, 4096) num_threads(threads) reduction(&& : monotone, nonempty)
        for (std::int64_t k = 0; k < std::int64_t(pattern.n); ++k) {
            if (layer.row(token_t(k)).empty()) nonempty = false;
            if (!layer.attends(token_t(k), token_t(k))) monotone = false;
        }
    }
    facts.monotone = monotone;
    facts.nonempty = nonempty;
    return facts;
}

ReachabilityResult undetermined(const PatternFacts& facts, std::string method, std::string reason) {
    ReachabilityResult r;
    r.monotone = facts.monotone;
    r.method = std::move(method);
    r.reason = "undetermined: " + std::move(reason);
    return r;
}

ReachabilityResult finite(const PatternFacts& facts, std::string method, std::uint64_t s,
                          std::optional<TokenPair> witness, std::string how) {
    ReachabilityResult r;
    r.monotone = facts.monotone;
    r.holds = true;
    r.s = s;
    r.below_s_witness = witness;
    r.method = std::move(method);
    r.reason = "S_k^" + std::to_string(s) + " = [n] for every k";
    if (witness) r.reason += "; " + pair_text(*witness, s - 1);
    if (!how.empty()) r.reason += " (" + how + ")";
    return r;
}

// ---------------------------------------------------------------------------------------------
// Intervals (docs/algorithms.md section 2.3, "interval representation").

std::optional<ReachabilityResult> interval_engine(const Pattern& pattern, const PatternFacts& facts,
                                                  const Budget& budget, std::string& why_not) {
    if (!facts.monotone) {
        why_not = "not every pattern has self-attention";
        return std::nullopt;
    }
    const token_t n = pattern.n;
    const std::size_t p = pattern.p();
    // a^l_k, b^l_k: the ends of the run A_k^l. With a^l nondecreasing and lo^{t-1} nondecreasing,
    // lo_k^t = min over j in [a_k, b_k] of lo_j^{t-1} = lo^{t-1}_{a_k}: a composition of maps.
    std::vector<std::vector<token_t>> a(p, std::vector<token_t>(n)), b(p, std::vector<token_t>(n));
    for (std::size_t l = 0; l < p; ++l) {
        const Layer& layer = pattern.layers[l];
        for (token_t k = 0; k < n; ++k) {
            const RowView row = layer.row(k);
            const token_t lo = row.min(), hi = row.max();  // non-empty: it contains k
            if (std::uint64_t(hi) - lo + 1 != row.size()) {
                why_not = "A_" + std::to_string(k) + " of pattern " + std::to_string(l) +
                          " is not a contiguous run";
                return std::nullopt;
            }
            if (k > 0 && (lo < a[l][k - 1] || hi < b[l][k - 1])) {
                why_not = "the run ends of pattern " + std::to_string(l) +
                          " decrease at token " + std::to_string(k);
                return std::nullopt;
            }
            a[l][k] = lo;
            b[l][k] = hi;
        }
    }
    budget.progress("reachability: intervals", -1.0);
    // x -> m^0(m^1(... m^r(x))): the end reached from x after the layers r, r-1, ..., 0, i.e.
    // lo^{r+1}_x; with r = p-1 a full cycle C.
    auto down = [&](const std::vector<std::vector<token_t>>& m, std::size_t r, token_t x) {
        for (std::size_t l = r + 1; l-- > 0;) x = m[l][x];
        return x;
    };
    auto limit = [&](const std::vector<std::vector<token_t>>& m, token_t x) {
        for (;;) {
            const token_t y = down(m, p - 1, x);
            if (y == x) return x;
            x = y;
        }
    };
    // lo^t_x for t = r + 1 + q p is C^q(D_r(x)); the first t with lo^t_x = target.
    auto first_time = [&](const std::vector<std::vector<token_t>>& m, token_t start,
                          token_t target) {
        std::uint64_t best = ~std::uint64_t{0};
        for (std::size_t r = 0; r < p; ++r) {
            token_t x = down(m, r, start);
            std::uint64_t t = r + 1;
            while (x != target && t < best) {
                x = down(m, p - 1, x);
                t += p;
            }
            if (x == target) best = std::min(best, t);
        }
        return best;
    };
    ReachabilityResult result;
    result.monotone = true;
    result.method = "intervals";
    const token_t lo_inf = limit(a, n - 1), hi_inf = limit(b, 0);
    if (lo_inf == 0 && hi_inf == n - 1) {
        // lo^t and hi^t are nondecreasing in k, so S^t = J iff lo^t_{n-1} = 0 and hi^t_0 = n-1.
        const std::uint64_t t_lo = first_time(a, n - 1, 0), t_hi = first_time(b, 0, n - 1);
        const std::uint64_t s = std::max(t_lo, t_hi);
        std::optional<TokenPair> witness;
        if (s > 1) witness = t_lo == s ? TokenPair{n - 1, 0} : TokenPair{0, n - 1};
        return finite(facts, "intervals", s, witness,
                      "every S_k^t is an interval; the ends of S_" + std::to_string(n - 1) +
                          " and S_0 reach 0 and n-1 at t = " + std::to_string(t_lo) + " and " +
                          std::to_string(t_hi));
    }
    // No finite s: S^t grows to a fixpoint. The first t with S^t = S^{t+p} is the largest over
    // tokens x and both ends of the first t at which the end reaches its limit.
    result.holds = false;
    result.unreached_for_all_t = true;
    result.unreached = lo_inf > 0 ? TokenPair{n - 1, 0} : TokenPair{0, n - 1};
    std::uint64_t mu = 1;
    for (int side = 0; side < 2; ++side) {
        const auto& m = side == 0 ? a : b;
        std::vector<token_t> cycle(n), d(n), e(n);
        for (token_t x = 0; x < n; ++x) cycle[x] = down(m, p - 1, x);
        // steps[x]: applications of C until its fixpoint (C moves x monotonically).
        std::vector<std::uint32_t> steps(n, 0);
        if (side == 0) {
            for (token_t x = 0; x < n; ++x) steps[x] = cycle[x] == x ? 0 : 1 + steps[cycle[x]];
        } else {
            for (token_t x = n; x-- > 0;) steps[x] = cycle[x] == x ? 0 : 1 + steps[cycle[x]];
        }
        std::vector<std::uint64_t> tau(n, ~std::uint64_t{0});
        d = m[0];  // D_0
        for (std::size_t r = 0; r < p; ++r) {
            if (r > 0) {
                for (token_t x = 0; x < n; ++x) e[x] = d[m[r][x]];  // D_r = D_{r-1} o m^r
                d.swap(e);
            }
            for (token_t x = 0; x < n; ++x)
                tau[x] = std::min<std::uint64_t>(tau[x], r + 1 + std::uint64_t(p) * steps[d[x]]);
        }
        mu = std::max(mu, *std::max_element(tau.begin(), tau.end()));
    }
    result.cycle_start = mu;
    result.period = p;
    result.reason = pair_text(*result.unreached, 0) +
                    " for any t >= 1 (every S_k^t is an interval; S_" + std::to_string(n - 1) +
                    " never extends below " + std::to_string(lo_inf) + ", S_0 never beyond " +
                    std::to_string(hi_inf) + "); S^t is constant from t = " + std::to_string(mu);
    return result;
}

// ---------------------------------------------------------------------------------------------
// Strong components of the union graph (edge k -> j when j in A_k^l for some l).

struct SinkComponent {
    bool stopped = false;
    bool strongly_connected = false;
    TokenPair unreached{0, 0};  // k in a closed set R, j outside R
    std::uint64_t size = 0;
};

// Iterative Tarjan from token 0, stopped at the first completed component: Tarjan completes a
// component only after every component reachable from it, so the first one is a sink R. If
// R != [n], then for k in R and j not in R, j is in no S_k^t: every path from k stays in R.
SinkComponent first_sink_component(const Pattern& pattern, const Budget& budget) {
    const token_t n = pattern.n;
    const std::size_t p = pattern.p();
    constexpr std::uint32_t unset = ~std::uint32_t{0};
    std::vector<std::uint32_t> index(n, unset), low(n, 0);
    std::vector<char> on_stack(n, 0);
    std::vector<token_t> stack;
    // The position in v's rows: pattern `layer`, segment `seg` of the row (shared, own, then the
    // explicit tokens as one-token segments), token `pos` of that segment.
    struct Frame {
        token_t v;
        std::uint32_t layer;
        std::uint64_t seg, pos;
    };
    std::vector<Frame> calls;
    std::uint32_t counter = 0;
    auto enter = [&](token_t v) {
        index[v] = low[v] = counter++;
        stack.push_back(v);
        on_stack[v] = 1;
        calls.push_back({v, 0, 0, 0});
    };
    SinkComponent out;
    enter(0);
    std::uint64_t ticks = 0;
    while (!calls.empty()) {
        if ((++ticks & 0xFFFFF) == 0 && budget.expired()) {
            out.stopped = true;
            return out;
        }
        Frame& f = calls.back();
        const token_t v = f.v;
        bool descended = false;
        while (f.layer < p) {
            const RowView row = pattern.layers[f.layer].row(v);
            const std::size_t a = row.shared.size(), b = a + row.own.size();
            if (f.seg >= b + row.tokens.size()) {
                ++f.layer;
                f.seg = f.pos = 0;
                continue;
            }
            const Segment seg = f.seg < a   ? row.shared[f.seg]
                                : f.seg < b ? row.own[f.seg - a]
                                            : Segment::single(row.tokens[f.seg - b]);
            const token_t w = token_t(seg.lo + f.pos * seg.stride);
            if (++f.pos == seg.size()) ++f.seg, f.pos = 0;
            if (index[w] == unset) {
                enter(w);  // invalidates f
                descended = true;
                break;
            }
            if (on_stack[w]) low[v] = std::min(low[v], index[w]);
        }
        if (descended) continue;
        if (low[v] == index[v]) {
            std::vector<char> member(n, 0);
            token_t k = v;
            for (;;) {
                const token_t x = stack.back();
                stack.pop_back();
                member[x] = 1;
                ++out.size;
                k = std::min(k, x);
                if (x == v) break;
            }
            out.strongly_connected = out.size == n;
            token_t j = 0;
            while (j < n && member[j]) ++j;
            out.unreached = {k, j < n ? j : 0};
            return out;
        }
        calls.pop_back();
        low[calls.back().v] = std::min(low[calls.back().v], low[v]);
    }
    return out;  // not reached: the DFS root always completes a component
}

// ---------------------------------------------------------------------------------------------
// Hub and witness certificates (docs/algorithms.md section 2.1), with self-attention only: then every
// set below grows with the number of layers, which the early exits rely on.

struct HubOutcome {
    std::uint64_t lower = 2;
    TokenPair lower_witness{0, 0};  // j not in S_k^{lower-1}
    std::optional<std::uint64_t> upper;
    token_t hub = 0;
    std::uint64_t t1 = 0, t2 = 0;
    bool stopped = false;
};

class Certificates {
public:
    Certificates(const Pattern& pattern, const Budget& budget)
        : pattern_(pattern), budget_(budget), n_(pattern.n), p_(pattern.p()) {
        cap_ = 6 * pattern.description_size() + 64 * std::uint64_t(n_) * p_;
    }
    // The lower bound 2 and the best hub upper bound (a deterministic work cap of a few passes).
    HubOutcome hubs();
    // Tries to raise the lower bound to U with a witness pair j not in S_k^{U-1}.
    void close_gap(HubOutcome& out);

private:
    bool exhausted() {
        if (budget_.expired()) stopped_ = true;
        return stopped_ || work_ > cap_;
    }
    std::optional<std::uint64_t> row_full_time(token_t h, std::uint64_t limit);
    std::optional<std::uint64_t> column_full_time(token_t h, std::size_t phase, std::uint64_t limit);
    std::optional<TokenPair> witness(std::uint64_t t, const std::vector<token_t>& candidates);

    const Pattern& pattern_;
    const Budget& budget_;
    token_t n_;
    std::size_t p_;
    std::uint64_t work_ = 0, cap_ = 0;
    bool stopped_ = false;
};

// The first t <= limit with S_h^t = [n], by backward propagation from h: S_h^t is reached from
// {h} through the layers L(t), L(t-1), ..., L(1). For each residue r = (t-1) mod p this is one
// growing sequence; a token needs pushing through a layer only once, since sets only grow, and a
// shared row too (every token using it contributes the same set).
std::optional<std::uint64_t> Certificates::row_full_time(token_t h, std::uint64_t limit) {
    std::optional<std::uint64_t> best;
    detail::GrowingSet set(n_);
    std::vector<token_t> list;
    std::vector<std::vector<std::uint32_t>> shared_done(p_);  // pass number, per shared row
    for (std::size_t l = 0; l < p_; ++l) shared_done[l].assign(pattern_.layers[l].shared_rows(), 0);
    auto push = [&](token_t j) { list.push_back(j); };
    for (std::size_t r = 0; r < p_; ++r) {
        const std::uint64_t lim = best ? std::min(limit, *best - 1) : limit;
        if (r + 1 > lim) break;
        const auto pass = std::uint32_t(r + 1);
        set.reset();
        list.clear();
        set.add(Segment::single(h), push);
        std::vector<std::size_t> done(p_, 0);
        std::size_t idx = r, stable = 0;
        for (std::uint64_t m = 1; m <= lim; ++m) {
            const std::size_t before = list.size();
            const Layer& layer = pattern_.layers[idx];
            for (std::size_t i = done[idx]; i < before; ++i) {
                const RowView row = layer.row(list[i]);
                const std::uint32_t sid = layer.shared_id(list[i]);
                if (sid != 0 && shared_done[idx][sid] != pass) {
                    shared_done[idx][sid] = pass;
                    for (const Segment& seg : row.shared) set.add(seg, push);
                    work_ += row.shared.size();
                }
                for (const Segment& seg : row.own) set.add(seg, push);
                for (token_t j : row.tokens) set.add(Segment::single(j), push);
                work_ += row.own.size() + row.tokens.size() + 1;
            }
            work_ += list.size() - before;
            done[idx] = before;
            if (idx == 0 && list.size() == n_) {  // idx == 0 exactly when m = r + 1 (mod p)
                best = m;
                break;
            }
            stable = list.size() == before ? stable + 1 : 0;
            if (stable >= p_ || exhausted()) break;  // a fixpoint short of [n], or out of budget
            idx = idx == 0 ? p_ - 1 : idx - 1;
        }
        if (exhausted()) break;
    }
    return best;
}

// The first m <= limit with h in S_k over the m layers starting at pattern `phase`, for all k
// (the column P2 e_h): forward propagation F_m[k] = OR over j in A_k of F_{m-1}[j], as bits;
// "A_k meets F" is O(1) per interval (prefix counts) and once per shared row.
std::optional<std::uint64_t> Certificates::column_full_time(token_t h, std::size_t phase,
                                                            std::uint64_t limit) {
    detail::TokenBits f(n_), g(n_);
    f.set(h);
    std::uint64_t count = 1;
    std::size_t stable = 0;
    const std::size_t words = f.words().size();
    for (std::uint64_t m = 1; m <= limit; ++m) {
        const Layer& layer = pattern_.layers[(phase + m - 1) % p_];
        f.build_rank();
        std::vector<char> shared_meets(layer.shared_rows(), 0);
        for (std::uint32_t r = 1; r < layer.shared_rows(); ++r) shared_meets[r] = f.meets(layer.shared_row(r));
        const int threads = budget_.threads_for(layer.description_size() + n_);
        std::uint64_t added = 0;
        const auto fw = f.words();
        const auto gw = g.words();
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads) reduction(+ : added)
        for (std::int64_t w = 0; w < std::int64_t(words); ++w) {
            std::uint64_t word = fw[w];  // self-attention: F only grows
            const token_t lo = token_t(w * 64);
            const token_t hi = token_t(std::min<std::uint64_t>(n_, std::uint64_t(lo) + 64));
            for (token_t k = lo; k < hi; ++k) {
                const std::uint64_t bit = std::uint64_t{1} << (k - lo);
                if (word & bit) continue;
                const RowView row = layer.row(k);
                bool hit = shared_meets[layer.shared_id(k)] != 0 || f.meets(row.own);
                for (std::size_t i = 0; i < row.tokens.size() && !hit; ++i) hit = f.test(row.tokens[i]);
                if (hit) {
                    word |= bit;
                    ++added;
                }
            }
            gw[w] = word;
        }
        work_ += layer.description_size() + n_;
        count += added;
        if (count == n_) return m;
        stable = added == 0 ? stable + 1 : 0;
        if (stable >= p_ || exhausted()) return std::nullopt;
        std::swap(f, g);
    }
    return std::nullopt;
}

// A pair (k, j) with j a candidate and j not in S_k^t: 64 candidate columns of S^t at once,
// one bit each (MS-BFS layout); an interval's OR in O(1), a shared row's once per step.
std::optional<TokenPair> Certificates::witness(std::uint64_t t, const std::vector<token_t>& candidates) {
    const std::size_t c = std::min<std::size_t>(64, candidates.size());
    const std::uint64_t all = c == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << c) - 1;
    std::vector<std::uint64_t> f(n_, 0), g(n_, 0);
    for (std::size_t i = 0; i < c; ++i) f[candidates[i]] |= std::uint64_t{1} << i;
    detail::RangeOr range_or;
    for (std::uint64_t m = 1; m <= t; ++m) {
        const Layer& layer = pattern_.layers[(m - 1) % p_];
        range_or.build(f);
        std::vector<std::uint64_t> shared_or(layer.shared_rows(), 0);
        for (std::uint32_t r = 1; r < layer.shared_rows(); ++r) shared_or[r] = range_or.of(layer.shared_row(r));
        const int threads = budget_.threads_for(layer.description_size() + n_);
#pragma omp parallel for schedule(dynamic, 2048) num_threads(threads)
        for (std::int64_t k = 0; k < std::int64_t(n_); ++k) {
            const RowView row = layer.row(token_t(k));
            std::uint64_t acc = f[k] | shared_or[layer.shared_id(token_t(k))];  // self-attention: k in A_k
            if (acc != all) acc |= range_or.of(row.own);
            for (std::size_t i = 0; i < row.tokens.size() && acc != all; ++i) acc |= f[row.tokens[i]];
            g[k] = acc;
        }
        work_ += layer.description_size() + n_;
        f.swap(g);
        if (budget_.expired()) {
            stopped_ = true;
            return std::nullopt;
        }
    }
    for (token_t k = 0; k < n_; ++k)
        if (f[k] != all) {
            const unsigned bit = unsigned(std::countr_zero(~f[k] & all));
            return TokenPair{k, candidates[bit]};
        }
    return std::nullopt;
}

HubOutcome Certificates::hubs() {
    HubOutcome out;
    // Lower bound 2: some A_k of the first pattern is not [n] (s = 1 was excluded before).
    const Layer& first = pattern_.layers.front();
    for (token_t k = 0; k < n_; ++k)
        if (first.degree(k) < n_) {
            auto row = first.attended(k);
            token_t j = 0;
            while (j < row.size() && row[j] == j) ++j;
            out.lower_witness = {k, j};
            break;
        }
    // Hub candidates: the tokens attending to the most (global tokens first), then 0, n-1, n/2.
    std::vector<std::uint64_t> degree(n_, 0);
    for (const Layer& layer : pattern_.layers)
        for (token_t k = 0; k < n_; ++k) degree[k] += layer.degree(k);
    std::vector<token_t> order(n_);
    std::iota(order.begin(), order.end(), 0u);
    const std::size_t top = std::min<std::size_t>(4, n_);
    std::partial_sort(order.begin(), order.begin() + top, order.end(), [&](token_t x, token_t y) {
        return degree[x] != degree[y] ? degree[x] > degree[y] : x < y;
    });
    std::vector<token_t> hubs(order.begin(), order.begin() + top);
    for (token_t x : {token_t(0), token_t(n_ - 1), token_t(n_ / 2)})
        if (std::find(hubs.begin(), hubs.end(), x) == hubs.end()) hubs.push_back(x);
    const std::uint64_t step_cap = std::uint64_t(n_) * p_ + 1;  // s <= p (n - 1) when finite
    for (token_t h : hubs) {
        // The first hub that works is kept: trying more costs a pass each and rarely helps.
        if (out.upper) break;
        if (exhausted()) break;
        budget_.progress("reachability: hub certificate, token " + std::to_string(h), -1.0);
        // U = t1 + t2 with t2 >= 1, so only t1 <= U - 2 can improve.
        const std::uint64_t lim1 = out.upper ? *out.upper - 2 : step_cap;
        if (lim1 < 1) break;
        const auto t1 = row_full_time(h, lim1);
        if (!t1) continue;
        // Any t1' >= t1 also has S_h^{t1'} = [n]; its phase decides t2.
        for (std::size_t extra = 0; extra < p_; ++extra) {
            const std::uint64_t t1p = *t1 + extra;
            if (out.upper && t1p + 1 >= *out.upper) break;
            const std::uint64_t lim2 = out.upper ? *out.upper - t1p - 1 : step_cap;
            const auto t2 = column_full_time(h, t1p % p_, lim2);
            if (t2) {
                out.upper = t1p + *t2;
                out.hub = h;
                out.t1 = t1p;
                out.t2 = *t2;
            }
            if (exhausted()) break;
        }
    }
    out.stopped = stopped_;
    return out;
}

void Certificates::close_gap(HubOutcome& out) {
    if (out.upper && *out.upper > out.lower && !budget_.expired()) {
        // Witness candidates: the tokens fewest attend to, the ends, evenly spaced tokens.
        budget_.progress("reachability: witness search", -1.0);
        std::vector<std::uint64_t> indegree(n_, 0);
        std::vector<token_t> order(n_);
        std::iota(order.begin(), order.end(), 0u);
        for (const Layer& layer : pattern_.layers) {
            const auto in = detail::column_sums(layer, [](token_t) { return std::uint64_t{1}; });
            for (token_t j = 0; j < n_; ++j) indegree[j] += in[j];
        }
        work_ += pattern_.description_size();
        std::vector<token_t> cands;
        const std::size_t few = std::min<std::size_t>(40, n_);
        std::partial_sort(order.begin(), order.begin() + few, order.end(), [&](token_t x, token_t y) {
            return indegree[x] != indegree[y] ? indegree[x] < indegree[y] : x < y;
        });
        auto add = [&](token_t x) {
            if (cands.size() < 64 && std::find(cands.begin(), cands.end(), x) == cands.end())
                cands.push_back(x);
        };
        add(0);
        add(n_ - 1);
        add(n_ / 2);
        for (std::size_t i = 0; i < few; ++i) add(order[i]);
        for (std::uint64_t i = 1; i < 32; ++i) add(token_t(i * n_ / 32));
        if (auto w = witness(*out.upper - 1, cands)) {
            out.lower = *out.upper;
            out.lower_witness = *w;
        }
    }
    out.stopped = stopped_;
}

}  // namespace

ReachabilityResult check_reachability(CheckedPattern checked, const ReachabilityOptions& options) {
    const Pattern& pattern = *checked;
    const Budget budget(options);
    const token_t n = pattern.n;
    const PatternFacts facts = pattern_facts(pattern, budget);
    const ReachabilityEngine engine = options.engine;
    using E = ReachabilityEngine;
    const bool automatic = engine == E::automatic;

    // s = 1: every token attends to everything in the first pattern.
    {
        const Layer& first = pattern.layers.front();
        bool dense = true;
        for (token_t k = 0; k < n && dense; ++k) dense = first.degree(k) == n;
        if (dense) return finite(facts, "direct", 1, std::nullopt, "A_k^1 = [n] for every k");
    }

    if (automatic || engine == E::intervals) {
        std::string why_not;
        if (auto r = interval_engine(pattern, facts, budget, why_not)) return *r;
        if (engine == E::intervals)
            return undetermined(facts, "intervals", "the interval engine does not apply: " + why_not);
    }

    // Certificates. Hub bounds need self-attention; with it, a hub bound U also proves that a
    // finite s exists, which makes the strong-components test unnecessary.
    HubOutcome hub;
    bool finite_known = false;    // a finite s is proven to exist
    bool gap_tried = false;       // the witness search for U - 1 has run
    Certificates cert(pattern, budget);
    auto hub_result = [&]() {
        const std::string how = "hub token " + std::to_string(hub.hub) + ": S_" +
                                std::to_string(hub.hub) + "^" + std::to_string(hub.t1) +
                                " = [n] and every token reaches it within " +
                                std::to_string(hub.t2) + " more layers";
        ReachabilityResult r =
            finite(facts, "hub/witness certificates", *hub.upper,
                   *hub.upper > 1 ? std::optional<TokenPair>(hub.lower_witness) : std::nullopt, how);
        r.hub = std::pair<token_t, std::uint64_t>{hub.hub, hub.t1};
        return r;
    };
    auto bounds_only = [&](ReachabilityResult r) {
        // Existence proven, s not computed within the budgets.
        r.holds = true;
        r.s_lower = hub.lower;
        r.s_upper = hub.upper;
        r.reason += "; a finite s exists (" +
                    std::string(hub.upper ? "hub certificate" : "self-attention and a strongly "
                                                                "connected union graph") +
                    "), s >= " + std::to_string(hub.lower) +
                    (hub.upper ? " and s <= " + std::to_string(*hub.upper) : std::string());
        return r;
    };
    if (automatic || engine == E::certificates) {
        if (facts.monotone) {
            hub = cert.hubs();
            if (hub.upper && *hub.upper == hub.lower) return hub_result();
            finite_known = hub.upper.has_value();
            // The witness search costs U - 1 passes over the patterns: run it first only when
            // that is cheap in absolute terms, otherwise only if the exact engine fails.
            if (hub.upper && (engine == E::certificates ||
                              (*hub.upper - 1) * pattern.description_size() <= (std::uint64_t{1} << 30))) {
                cert.close_gap(hub);
                gap_tried = true;
                if (*hub.upper == hub.lower) return hub_result();
            }
        }
        if (budget.expired()) return undetermined(facts, "certificates", "time budget exceeded");
        if (!finite_known) {
            budget.progress("reachability: strong components", -1.0);
            const SinkComponent sink = first_sink_component(pattern, budget);
            if (sink.stopped) return undetermined(facts, "strong components", "time budget exceeded");
            if (!sink.strongly_connected) {
                ReachabilityResult never;
                never.monotone = facts.monotone;
                never.holds = false;
                never.unreached = sink.unreached;
                never.unreached_for_all_t = true;
                never.method = "strong components";
                never.reason = pair_text(sink.unreached, 0) + " for any t >= 1: a set of " +
                               std::to_string(sink.size) + " tokens containing " +
                               std::to_string(sink.unreached.first) + " attends only within itself";
                if (automatic) {
                    // The exact cycle (cycle_start, period), when affordable: a deterministic cap.
                    detail::ClassEngineRequest request;
                    request.work_cap = 10 * pattern.description_size() + (std::uint64_t{1} << 28);
                    ReachabilityResult exact = detail::run_class_engine(pattern, facts, budget, request);
                    if (exact.holds == std::optional<bool>(false)) {
                        exact.method += " after strong components";
                        return exact;
                    }
                    never.reason += "; the start of the cycle was not computed (too large)";
                }
                return never;
            }
            finite_known = facts.monotone;  // self-attention + strongly connected (section 2.1)
        }
        if (engine == E::certificates) {
            ReachabilityResult r = undetermined(facts, "certificates",
                                                "the hub and witness bounds do not meet");
            return finite_known ? bounds_only(r) : r;
        }
    }

    detail::ClassEngineRequest request;
    request.upper_bound = hub.upper;
    ReachabilityResult r = detail::run_class_engine(pattern, facts, budget, request);
    if (r.holds.has_value()) return r;
    if (automatic && hub.upper && !gap_tried) {
        cert.close_gap(hub);
        if (*hub.upper == hub.lower) return hub_result();
    }
    return finite_known ? bounds_only(r) : r;
}

std::vector<token_t> reachability_set(CheckedPattern checked, token_t k, std::uint64_t t) {
    const Pattern& pattern = *checked;
    if (k >= pattern.n) throw std::invalid_argument("token out of range");
    if (t == 0) throw std::invalid_argument("reachability sets start at t = 1");
    // S_k^t: from {k} through the layers L(t), L(t-1), ..., L(1) (docs/theory.md section 2).
    std::vector<char> mark(pattern.n, 0);
    std::vector<token_t> current{k}, next;
    for (std::uint64_t m = t; m >= 1; --m) {
        const Layer& layer = pattern.layer_at_step(m - 1);
        next.clear();
        for (token_t x : current)
            layer.row(x).for_each_token([&](token_t j) {
                if (!mark[j]) {
                    mark[j] = 1;
                    next.push_back(j);
                }
            });
        for (token_t j : next) mark[j] = 0;
        current.swap(next);
    }
    std::sort(current.begin(), current.end());
    return current;
}

}  // namespace sparsecert
