#include "sparsecert/numerics/error_budget.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <mpfr.h>
#include <omp.h>

#include "construction/network_engine.hpp"
#include "sparsecert/numerics/relu_form.hpp"

namespace sparsecert {

namespace {

using detail::IntLayer;
using detail::IntNetwork;
using detail::IntState;
using detail::Scratch;

// A rational as a long double (through MPFR: the value may exceed the range of double).
long double ld(const Rational& r) {
    mpfr_t v;
    mpfr_init2(v, 128);
    mpfr_set_q(v, r.get(), MPFR_RNDN);
    const long double out = mpfr_get_ld(v, MPFR_RNDN);
    mpfr_clear(v);
    return out;
}

Rational over(const mpz_class& x, const mpz_class& q) { return detail::to_rational(x, q); }

Rational norm1(const std::vector<Rational>& v) {
    Rational s;
    for (const auto& x : v) s += abs(x);
    return s;
}

Rational norm_inf(const std::vector<Rational>& v) {
    Rational s;
    for (const auto& x : v) s = std::max(s, abs(x));
    return s;
}

bool head_active(const AttentionHead& h) {
    bool out = false, value = false;
    for (const auto& w : h.out) out = out || !w.is_zero();
    for (const auto& w : h.value) value = value || !w.is_zero();
    return out && value;
}

// Breakpoints where phi jumps (where the four-ReLU form has a ramp).
std::vector<Rational> jumps(const Phi& phi) {
    std::vector<Rational> out;
    for (std::size_t b = 0; b < phi.breakpoints.size(); ++b) {
        const Rational& c = phi.breakpoints[b];
        const auto& l = phi.pieces[b];
        const auto& r = phi.pieces[b + 1];
        if (l.slope * c + l.intercept != r.slope * c + r.intercept) out.push_back(c);
    }
    return out;
}

// The layer at which the value mapping starts (g_bar must have one).
std::size_t value_mapping_start(const Construction& c) {
    if (c.value_mapping.size() == 0)
        throw std::invalid_argument("the construction has no value mapping (run check_construction first)");
    return c.value_mapping.first;
}

std::uint64_t grid_count(const Construction& c, std::uint64_t limit) {
    mpz_class total;
    mpz_ui_pow_ui(total.get_mpz_t(), c.m, std::uint64_t(c.d) * c.n);
    if (total > limit)
        throw NotApplicable(fmt::format("the grid has {}^{} = {} inputs, more than the limit {} (--exhaustive-limit): "
                                        "the margins are measured on every grid input",
                                        c.m, std::uint64_t(c.d) * c.n, total.get_str(), limit));
    return total.get_ui();
}

// Runs g_bar exactly on every grid input up to layer `stop`, in parallel; `Visitor` is copied per
// thread, called as visitor(input_index, layer, state) before each layer, then merged with
// visitor.merge_into(result) under a lock. Deterministic as long as merging is (min, max, sums).
template <class Visitor>
void for_each_grid_state(const Construction& c, const Pattern& pattern, std::size_t stop, std::uint64_t count,
                         const Progress& progress, const std::string& stage, Visitor& result) {
    std::string why;
    const auto eng = IntNetwork::compile(c.network, pattern, 1, &why);
    if (!eng) throw std::invalid_argument("g_bar is not integral: " + why);
    std::atomic<std::uint64_t> done{0};
    std::string error;
#pragma omp parallel
    {
        Visitor local = result;
        local.reset();
        IntState state;
        Scratch scratch;
#pragma omp for schedule(dynamic, 16)
        for (std::uint64_t i = 0; i < count; ++i) {
            try {
                const Matrix x = grid_input(i, c.d, c.n, c.m);
                eng->load_input(x, state);
                local.input(i, x);
                for (std::size_t t = 0; t < stop; ++t) {
                    local(t, state, *eng);
                    eng->apply(t, state, scratch);
                }
            } catch (const std::exception& e) {
#pragma omp critical(sparsecert_grid_error)
                if (error.empty()) error = e.what();
            }
            const auto now = ++done;
            if (progress && omp_get_thread_num() == 0) report(progress, stage, double(now) / double(count));
        }
#pragma omp critical(sparsecert_grid_merge)
        local.merge_into(result);
    }
    if (!error.empty()) throw NotApplicable(error);
}

// Per attention head at one column: the winner and the statistics of its score vector, in units
// of 1/Q (keys, values, queries) and 1/Q^2 (margins).
struct ColumnScores {
    bool competition = false;
    mpz_class q_abs, gap, spread;
    std::uint64_t ties = 0;
    token_t winner = 0;
};

ColumnScores column_scores(const detail::IntHead& head, const IntState& state, std::span<const token_t> attended,
                           const std::vector<mpz_class>& keys, const std::vector<mpz_class>& values, std::uint32_t k,
                           mpz_class& q, std::size_t layer) {
    head.query.dot(q, state.column(k));
    q += head.bias;
    const int sign = sgn(q);
    if (sign == 0)
        throw std::runtime_error(fmt::format("layer {}: a hardmax query is exactly 0 (every attended token ties): no margin",
                                             layer));
    ColumnScores s;
    s.q_abs = abs(q);
    token_t best = attended[0];
    for (auto j : attended)
        if (cmp(keys[j], keys[best]) * sign > 0) best = j;
    s.winner = best;
    for (auto j : attended) {
        if (j == best) continue;
        if (keys[j] == keys[best]) {
            ++s.ties;
            if (values[j] != values[best])
                throw std::runtime_error(fmt::format("layer {}: equal keys with different values", layer));
            continue;
        }
        mpz_class gap = abs(keys[j] - keys[best]);
        if (!s.competition || gap < s.gap) s.gap = gap;
        s.competition = true;
    }
    for (auto j : attended) {
        mpz_class v = abs(values[j] - values[best]);
        if (v > s.spread) s.spread = v;
    }
    return s;
}

struct MarginVisitor {
    struct Acc {
        bool competition = false;
        mpz_class margin, min_q, min_gap, spread, max_state, max_key, max_value, max_query;
        std::uint32_t max_attended = 0;
        std::uint64_t ties = 0;
    };
    const Construction* c = nullptr;
    const Pattern* pattern = nullptr;
    const Target* target = nullptr;
    std::vector<std::size_t> attention_index;  // layer -> index in acc, or npos
    std::vector<Acc> acc;
    std::vector<mpz_class> max_state;          // per layer
    std::vector<std::vector<mpz_class>> jump_q;  // per layer: jumps * Q (feed-forward layers checked)
    std::vector<mpz_class> slack;              // per layer (valid where jump_q nonempty)
    std::vector<bool> slack_seen;
    Rational max_target, max_row0;
    bool target_seen = false;
    // scratch
    std::vector<mpz_class> keys, values;
    mpz_class q, tmp;

    void reset() {
        for (auto& a : acc) a = Acc{};
        for (auto& m : max_state) m = 0;
        for (auto& s : slack) s = 0;
        slack_seen.assign(slack.size(), false);
        target_seen = false;
        max_target = max_row0 = Rational();
    }

    void input(std::uint64_t, const Matrix& x) {
        const Matrix fbar = cube_centre_value(*target, x, c->m);
        for (std::uint32_t i = 0; i < fbar.rows; ++i)
            for (std::uint32_t k = 0; k < fbar.cols; ++k) {
                const Rational& v = fbar.at(i, k);
                if (!target_seen || abs(v) > max_target) max_target = abs(v);
                if (i == 0 && (!target_seen || v > max_row0)) max_row0 = v;
                target_seen = true;
            }
    }

    void operator()(std::size_t t, const IntState& state, const IntNetwork& eng) {
        for (const auto& v : state.x)
            if (mpz_cmpabs(v.get_mpz_t(), max_state[t].get_mpz_t()) > 0) max_state[t] = abs(v);
        const IntLayer& L = eng.layer(t);
        if (L.kind == IntLayer::Kind::feed_forward && !jump_q[t].empty()) {
            for (std::uint32_t k = 0; k < state.n; ++k) {
                L.ff.w1.dot(q, state.column(k));
                q += L.ff.b1;
                for (const auto& cq : jump_q[t]) {
                    tmp = abs(q - cq);
                    if (!slack_seen[t] || tmp < slack[t]) slack[t] = tmp;
                    slack_seen[t] = true;
                }
            }
            return;
        }
        if (L.kind != IntLayer::Kind::attention) return;
        Acc& a = acc[attention_index[t]];
        const Layer& layer = pattern->layers[L.pattern];
        keys.resize(state.n);
        values.resize(state.n);
        for (const auto& head : L.heads) {
            if (!head.active) continue;
            for (std::uint32_t j = 0; j < state.n; ++j) {
                head.key.dot(keys[j], state.column(j));
                head.value.dot(values[j], state.column(j));
                if (mpz_cmpabs(keys[j].get_mpz_t(), a.max_key.get_mpz_t()) > 0) a.max_key = abs(keys[j]);
                if (mpz_cmpabs(values[j].get_mpz_t(), a.max_value.get_mpz_t()) > 0) a.max_value = abs(values[j]);
            }
            for (std::uint32_t k = 0; k < state.n; ++k) {
                const auto attended = layer.attended(k);
                a.max_attended = std::max<std::uint32_t>(a.max_attended, std::uint32_t(attended.size()));
                const ColumnScores s = column_scores(head, state, attended, keys, values, k, q, t);
                if (mpz_cmpabs(q.get_mpz_t(), a.max_query.get_mpz_t()) > 0) a.max_query = abs(q);
                a.ties += s.ties;
                if (s.spread > a.spread) a.spread = s.spread;
                if (!s.competition) continue;
                const mpz_class margin = s.q_abs * s.gap;
                if (!a.competition || margin < a.margin) a.margin = margin;
                if (!a.competition || s.q_abs < a.min_q) a.min_q = s.q_abs;
                if (!a.competition || s.gap < a.min_gap) a.min_gap = s.gap;
                a.competition = true;
            }
        }
    }

    void merge_into(MarginVisitor& r) const {
        for (std::size_t i = 0; i < acc.size(); ++i) {
            const Acc& a = acc[i];
            Acc& b = r.acc[i];
            if (a.competition) {
                if (!b.competition || a.margin < b.margin) b.margin = a.margin;
                if (!b.competition || a.min_q < b.min_q) b.min_q = a.min_q;
                if (!b.competition || a.min_gap < b.min_gap) b.min_gap = a.min_gap;
                b.competition = true;
            }
            b.spread = std::max(b.spread, a.spread);
            b.max_key = std::max(b.max_key, a.max_key);
            b.max_value = std::max(b.max_value, a.max_value);
            b.max_query = std::max(b.max_query, a.max_query);
            b.max_attended = std::max(b.max_attended, a.max_attended);
            b.ties += a.ties;
        }
        for (std::size_t t = 0; t < max_state.size(); ++t) r.max_state[t] = std::max(r.max_state[t], max_state[t]);
        for (std::size_t t = 0; t < slack.size(); ++t)
            if (slack_seen[t] && (!r.slack_seen[t] || slack[t] < r.slack[t])) {
                r.slack[t] = slack[t];
                r.slack_seen[t] = true;
            }
        if (target_seen) {
            if (!r.target_seen || max_target > r.max_target) r.max_target = max_target;
            if (!r.target_seen || max_row0 > r.max_row0) r.max_row0 = max_row0;
            r.target_seen = true;
        }
    }
};

// ---------------------------------------------------------------------------------------------
// The linear error recursion (docs/approximate.md, "Propagation"). e[i] bounds the error of row i
// (over all columns). Layers of g_bar, with:
//   attention: e_i += sum_h |out_h,i| (|W_V^h| . e (1 + [ties] 2) + source_h)
//   feed-forward: e_i <- max over pieces of sum_j |delta_ij + slope w2_i w1_j| e_j (+ source)
// `source(t, h)` is the error a layer adds per head (softmax) or per entry (rounding).

struct LayerWeights {
    // Per attention head: |out| per row, |W_V| per row.
    std::vector<std::vector<long double>> out, value;
    // Feed-forward: w1, w2 as long double, the distinct slopes of phi.
    std::vector<long double> w1, w2, slopes;
    bool all_slopes_zero = true;
};

template <class Source>
std::vector<long double> propagate(const Construction& c, const GridMeasurement& grid, const Source& source) {
    const Network& net = c.network;
    const std::uint32_t d = c.d;
    std::vector<long double> e(d, 0.0L), next(d);
    std::size_t attention = 0;
    for (std::size_t t = 0; t < net.layers.size(); ++t) {
        const auto& op = net.layers[t].op;
        if (const auto* att = std::get_if<AttentionLayer>(&op)) {
            const AttentionMargin& am = grid.attention[attention++];
            const long double tie_factor = am.ties ? 3.0L : 1.0L;
            next = e;
            for (std::size_t h = 0; h < 2; ++h) {
                const AttentionHead& head = att->heads[h];
                if (!head_active(head)) continue;
                long double ve = 0;
                for (std::uint32_t j = 0; j < d; ++j) ve += std::fabs(ld(head.value[j])) * e[j];
                const long double add = ve * tie_factor + source.attention(t, attention - 1, h);
                for (std::uint32_t i = 0; i < d; ++i) next[i] += std::fabs(ld(head.out[i])) * add;
            }
            e.swap(next);
        } else if (const auto* ff = std::get_if<FeedForward>(&op)) {
            const long double src = source.feed_forward(t);
            bool slopes_zero = true;
            for (const auto& piece : ff->phi.pieces) slopes_zero = slopes_zero && piece.slope.is_zero();
            // The active piece of phi decides the local slope; ramps are never reached on the good set
            // (quantization: the active piece keeps an entry, slope 0, or sets it to a cell corner,
            // x - (x - c), so no amplification there).
            if (!slopes_zero) {
                std::fill(next.begin(), next.end(), 0.0L);
                for (const auto& piece : ff->phi.pieces) {
                    const long double s = ld(piece.slope);
                    for (std::uint32_t i = 0; i < d; ++i) {
                        long double row = 0;
                        for (std::uint32_t j = 0; j < d; ++j) {
                            const long double a = (i == j ? 1.0L : 0.0L) + s * ld(ff->w2[i]) * ld(ff->w1[j]);
                            row += std::fabs(a) * e[j];
                        }
                        next[i] = std::max(next[i], row);
                    }
                }
                e.swap(next);
            }
            if (src != 0)
                for (auto& x : e) x += src;
        }
    }
    return e;
}

long double max_of(const std::vector<long double>& v) { return *std::max_element(v.begin(), v.end()); }

// Rounding: the magnitudes of the quantities each layer computes (docs/approximate.md,
// "Precision"). Every MPFR operation has relative error <= 2^-p; a layer that computes K
// quantities of magnitude <= M adds at most K M 2^-p to each output entry.
struct RoundingSource {
    const Construction& c;
    const GridMeasurement& grid;
    const std::vector<Rational>& temperatures;
    const Rational& relu_width;
    long double vm_state;  // bound on |entries| during the value mapping
    mutable long double largest = 0;
    mutable std::size_t largest_layer = 0;

    long double state_at(std::size_t t) const {
        return t < grid.max_abs_state.size() ? ld(grid.max_abs_state[t]) : vm_state;
    }
    void note(long double m, std::size_t t) const {
        if (m > largest) {
            largest = m;
            largest_layer = t;
        }
    }
    long double attention(std::size_t t, std::size_t a, std::size_t h) const {
        const AttentionMargin& am = grid.attention[a];
        const auto& head = std::get<AttentionLayer>(c.network.layers[t].op).heads[h];
        const long double x = state_at(t);
        // Exponent arguments t q (key_j - key_m): at most t |q| 2 |key|.
        const long double expo = ld(temperatures[a]) * ld(am.max_abs_query) * 2 * ld(am.max_abs_key);
        const long double ops = 4.0L * (c.d + am.max_attended + 4);
        const long double m = x + ld(am.max_abs_value) * (expo + 4) + ld(am.max_abs_key) + ld(am.max_abs_query);
        note(m * ld(norm_inf(head.out)), t);
        return ops * m;  // multiplied by |out_i| in propagate
    }
    long double feed_forward(std::size_t t) const {
        const auto& ff = std::get<FeedForward>(c.network.layers[t].op);
        const long double x = state_at(t);
        const long double pre = ld(norm1(ff.w1)) * x + std::fabs(ld(ff.b1));
        const ReluActivation form = relu_form(ff.phi, relu_width);
        long double terms = std::fabs(ld(form.constant));
        for (const auto& term : form.terms) terms += std::fabs(ld(term.coef)) * (pre + std::fabs(ld(term.knot)));
        const long double m = x + ld(norm_inf(ff.w2)) * terms + pre;
        note(m, t);
        return 4.0L * (c.d + form.terms.size() + 4) * m;
    }
};

// Softmax: per head, eta x the value spread after a perturbation by E.
struct SoftmaxSource {
    const GridMeasurement& grid;
    const Construction& c;
    long double sup_error;
    long double attention(std::size_t t, std::size_t a, std::size_t h) const {
        const AttentionMargin& am = grid.attention[a];
        if (!am.competition) return 0;
        const auto& head = std::get<AttentionLayer>(c.network.layers[t].op).heads[h];
        return ld(am.value_spread) + 2 * ld(norm1(head.value)) * sup_error;
    }
    long double feed_forward(std::size_t) const { return 0; }
};

Rational power_of_two(long exponent) {
    mpz_t num, den;
    mpz_init_set_ui(num, 1);
    mpz_init_set_ui(den, 1);
    if (exponent >= 0) mpz_mul_2exp(num, num, exponent);
    else mpz_mul_2exp(den, den, -exponent);
    Rational r = Rational::from_integers(num, den);
    mpz_clear(num);
    mpz_clear(den);
    return r;
}

// x rounded up to a multiple of 2^-8.
Rational round_up(long double x) {
    const long double scaled = std::ceil(x * 256.0L);
    mpz_t num, den;
    mpfr_t v;
    mpfr_init2(v, 128);
    mpfr_set_ld(v, scaled, MPFR_RNDU);
    mpz_init(num);
    mpfr_get_z(num, v, MPFR_RNDU);
    mpz_init_set_ui(den, 256);
    Rational r = Rational::from_integers(num, den);
    mpz_clear(num);
    mpz_clear(den);
    mpfr_clear(v);
    return r;
}

long precision_from(long double coefficient, long double target) {
    const long double bits = std::ceil(std::log2(coefficient / target));
    return std::max(64L, long(bits) + 1);
}

}  // namespace

long double q_norm_sum(long double a, long double x, long double b, long double y, long double q) {
    const long double scale = std::max(x, y);
    if (!(scale > 0)) return 0;
    const long double xs = x / scale, ys = y / scale;
    return scale * std::pow(a * std::pow(xs, q) + b * std::pow(ys, q), 1.0L / q);
}

Matrix grid_input(std::uint64_t index, std::uint32_t d, std::uint32_t n, std::uint32_t m) {
    Matrix x(d, n);
    for (std::uint32_t k = 0; k < n; ++k)
        for (std::uint32_t r = 0; r < d; ++r) {
            x.at(r, k) = Rational(static_cast<long long>(index % m), m);
            index /= m;
        }
    return x;
}

GridMeasurement measure_grid(const Construction& c, const Pattern& pattern, const Target& target, std::uint64_t limit,
                             const Progress& progress) {
    const std::size_t stop = value_mapping_start(c);
    const std::uint64_t count = grid_count(c, limit);
    const Network& net = c.network;
    std::string why;
    const auto probe = IntNetwork::compile(net, pattern, 1, &why);
    if (!probe) throw std::invalid_argument("g_bar is not integral: " + why);
    const mpz_class& Q = probe->denominator();

    MarginVisitor v;
    v.c = &c;
    v.pattern = &pattern;
    v.target = &target;
    v.attention_index.assign(stop, std::size_t(-1));
    v.max_state.assign(stop, 0);
    v.jump_q.assign(stop, {});
    v.slack.assign(stop, 0);
    v.slack_seen.assign(stop, false);
    GridMeasurement g;
    g.inputs = count;
    bool attention_seen = false;
    for (std::size_t t = 0; t < stop; ++t) {
        const auto& op = net.layers[t].op;
        if (const auto* att = std::get_if<AttentionLayer>(&op)) {
            attention_seen = true;
            v.attention_index[t] = g.attention.size();
            AttentionMargin am;
            am.layer = t;
            am.stage = net.layers[t].stage;
            am.pattern = att->pattern;
            for (const auto& head : att->heads) {
                if (!head_active(head)) continue;
                am.weight_q = std::max(am.weight_q, norm1(head.query));
                am.weight_k = std::max(am.weight_k, norm1(head.key));
                am.weight_v = std::max(am.weight_v, norm1(head.value));
                am.weight_out = std::max(am.weight_out, norm_inf(head.out));
            }
            g.attention.push_back(std::move(am));
        } else if (const auto* ff = std::get_if<FeedForward>(&op); ff && attention_seen) {
            for (const auto& j : jumps(ff->phi)) {
                mpz_class scaled;
                mpz_divexact(scaled.get_mpz_t(), Q.get_mpz_t(), j.denominator());
                scaled *= detail::to_mpz(j.numerator());
                v.jump_q[t].push_back(scaled);
            }
        }
    }
    v.acc.assign(g.attention.size(), {});
    for_each_grid_state(c, pattern, stop, count, progress, "margins on the grid: ", v);

    const mpz_class Q2 = Q * Q;
    for (std::size_t a = 0; a < g.attention.size(); ++a) {
        const auto& acc = v.acc[a];
        AttentionMargin& am = g.attention[a];
        am.competition = acc.competition;
        am.margin = over(acc.margin, Q2);
        am.min_query = over(acc.min_q, Q);
        am.min_key_gap = over(acc.min_gap, Q);
        am.value_spread = over(acc.spread, Q);
        am.max_abs_state = over(v.max_state[am.layer], Q);
        am.max_abs_key = over(acc.max_key, Q);
        am.max_abs_value = over(acc.max_value, Q);
        am.max_abs_query = over(acc.max_query, Q);
        am.max_attended = acc.max_attended;
        am.ties = acc.ties;
    }
    for (std::size_t t = 0; t < stop; ++t) {
        g.max_abs_state.push_back(over(v.max_state[t], Q));
        if (!v.jump_q[t].empty() && v.slack_seen[t]) g.jump_slack.emplace_back(t, over(v.slack[t], Q));
    }
    g.max_abs_target = v.max_target;
    g.max_target_row0 = v.max_row0;
    return g;
}

namespace {

long double rounding_coefficient(const Construction& c, const GridMeasurement& grid, const ErrorBudget& b,
                                 const std::vector<Rational>& temperatures, long double* largest,
                                 std::size_t* largest_layer) {
    const long double vm_state = ld(c.t_r) + ld(grid.max_abs_target) + 2;
    RoundingSource source{c, grid, temperatures, b.relu_width, vm_state};
    const long double coefficient = max_of(propagate(c, grid, source));
    if (largest) *largest = source.largest;
    if (largest_layer) *largest_layer = source.largest_layer;
    return coefficient;
}

}  // namespace

ErrorBudget plan_budget(const Construction& c, const Target& target, const GridMeasurement& grid,
                        const BudgetOptions& o) {
    if (!(o.q >= 1) || !std::isfinite(o.q)) throw std::invalid_argument("q must be a finite number >= 1");
    ErrorBudget b;
    b.q = o.q;
    b.d = c.d;
    b.n = c.n;
    b.m = c.m;
    const long double q = o.q, dn = (long double)c.d * c.n, m = c.m;
    // Term 1, analytic: every entry of f - f_bar is at most L delta/2 + tolerance, over a domain of
    // volume 1.
    b.f_fbar_bound = std::pow(dn, 1.0L / q) * ld(approximation_bound(target, c.m));
    b.eps_given = o.eps.has_value();
    if (o.eps) {
        b.eps = *o.eps;
        if (!(b.eps > 0)) throw std::invalid_argument("eps must be positive");
        b.term = b.eps / 3;
    } else {
        b.term = b.f_fbar_bound;  // exactly (eps/3 computed from 3 x bound may round below the bound)
        b.eps = 3 * b.term;
    }

    // epsilon: the bad set's share, d n m epsilon d n B^q <= term^q / 2, as a power of two, and at
    // most delta/8 (the ramps must fit far inside the cells and the code windows).
    const long double F = ld(grid.max_abs_target);
    b.bad_bound = ld(c.t_r) + 2 * F + 1;
    const long double log2_width = q * std::log2(b.term) - 1 - std::log2(dn * dn * m) - q * std::log2(b.bad_bound);
    const long exponent = std::max<long>(long(std::ceil(-log2_width)), long(std::ceil(std::log2(8 * m))));
    b.relu_width = power_of_two(-exponent);
    const long double width = ld(b.relu_width);
    b.bad_measure = dn * m * width;

    // E: the good set's share, d n E^q <= term^q / 2, capped so that the margins and the
    // feed-forward jumps survive a perturbation by E.
    b.sup_error = b.term / std::pow(2 * dn, 1.0L / q);
    b.sup_error_reason = "the budget: d n E^q = (eps/3)^q / 2";
    auto cap = [&](long double value, std::string why) {
        if (value < b.sup_error) {
            b.sup_error = value;
            b.sup_error_reason = std::move(why);
        }
    };
    for (const auto& am : grid.attention) {
        if (!am.competition) continue;
        cap(ld(am.min_query) / (4 * ld(am.weight_q)),
            fmt::format("layer {}: |query| >= {} must shrink by at most 1/4", am.layer, am.min_query.str()));
        cap(ld(am.min_key_gap) / (8 * ld(am.weight_k)),
            fmt::format("layer {}: key gap >= {} must shrink by at most 1/4", am.layer, am.min_key_gap.str()));
    }
    for (const auto& [t, slack] : grid.jump_slack) {
        const auto& ff = std::get<FeedForward>(c.network.layers[t].op);
        const long double room = ld(slack) - width;
        if (!(room > 0))
            throw NotApplicable(fmt::format("layer {}: a feed-forward input on the grid is within epsilon of a jump of phi", t));
        cap(room / (2 * ld(norm1(ff.w1))), fmt::format("layer {}: distance {} to a jump of phi", t, slack.str()));
    }
    // Value mapping: codes are in (1/m)Z, the windows' edges at odd multiples of 1/(2m), so a code
    // is 1/(2m) from every edge; a written column (row 0 = a target value) must stay below the
    // first window, t_l - 1/(2m) - epsilon.
    cap((1 / (2 * m) - width) / 2, "value mapping: codes are 1/(2m) from every window edge");
    {
        const long double room = ld(c.t_l) - 1 / (2 * m) - width - ld(grid.max_target_row0);
        if (!(room > 0)) throw NotApplicable("a target value reaches the code windows of the value mapping");
        cap(room / 2, "value mapping: target values below the first window");
    }

    // eta from the propagated softmax errors: E = eta x coefficient.
    b.eta_coefficient = max_of(propagate(c, grid, SoftmaxSource{grid, c, b.sup_error}));
    b.eta = b.eta_coefficient > 0 ? b.sup_error / b.eta_coefficient : 0.5L;
    if (b.eta > 0.5L) b.eta = 0.5L;

    // Temperatures (Assumption 2 for softmax): t >= ln((m_l - 1)(1 - eta)/eta) / zeta'_l.
    for (const auto& am : grid.attention) {
        LayerTemperature lt;
        lt.layer = am.layer;
        lt.vector_length = am.max_attended;
        if (!am.competition || am.max_attended < 2) {
            lt.temperature = Rational(1);  // one candidate value: rho puts everything on it for any t
        } else {
            const long double shrink_q = 1 - ld(am.weight_q) * b.sup_error / ld(am.min_query);
            const long double shrink_gap = 1 - 2 * ld(am.weight_k) * b.sup_error / ld(am.min_key_gap);
            lt.robust_margin = ld(am.margin) * shrink_q * shrink_gap;
            const long double ratio = (am.max_attended - 1) * (1 - b.eta) / b.eta;
            const long double t = ratio > 1 ? std::log(ratio) / lt.robust_margin : 0;
            lt.temperature = round_up(std::max(t, 1.0L / 256));
        }
        b.temperatures.push_back(std::move(lt));
    }

    // Precision: p with 2^-p x (rounding coefficient) <= E x rounding_fraction.
    std::vector<Rational> temps;
    for (const auto& lt : b.temperatures) temps.push_back(lt.temperature);
    b.rounding_target = b.sup_error * o.rounding_fraction;
    b.rounding_coefficient = rounding_coefficient(c, grid, b, temps, &b.largest_magnitude, &b.largest_magnitude_layer);
    b.precision_bits = precision_from(b.rounding_coefficient, b.rounding_target);
    b.precision_reason = fmt::format(
        "every MPFR operation is correctly rounded (relative error 2^-p); the rounding errors of all {} layers, "
        "propagated like the softmax errors, are at most 2^-p x {:.3Le}; p = ceil(log2({:.3Le} / {:.3Le})) keeps "
        "them below E/{:.0Lf}; the largest intermediate quantity, about 2^{:.0Lf}, is in layer {} ({})",
        c.network.layers.size(), b.rounding_coefficient, b.rounding_coefficient, b.rounding_target,
        1 / o.rounding_fraction, std::log2(b.largest_magnitude), b.largest_magnitude_layer,
        stage_name(c.network.layers[b.largest_magnitude_layer].stage));

    // The bound on d_q(g_bar, g) these choices give.
    b.gbar_g_bound = q_norm_sum(dn, b.sup_error, b.bad_measure * dn, b.bad_bound, q);
    return b;
}

long precision_for_scale(const Construction& c, const GridMeasurement& grid, const ErrorBudget& b,
                         const Rational& scale) {
    std::vector<Rational> temps;
    for (const auto& lt : b.temperatures) temps.push_back(lt.temperature * scale);
    return precision_from(rounding_coefficient(c, grid, b, temps, nullptr, nullptr), b.rounding_target);
}

namespace {

struct MassVisitor {
    const Pattern* pattern = nullptr;
    const std::vector<Rational>* temperatures = nullptr;
    std::vector<std::size_t> attention_index;
    mpz_class Q;
    std::vector<long double> mass;
    std::vector<mpz_class> keys, values;
    mpz_class q;

    void reset() { std::fill(mass.begin(), mass.end(), 0.0L); }
    void input(std::uint64_t, const Matrix&) {}
    void operator()(std::size_t t, const IntState& state, const IntNetwork& eng) {
        const IntLayer& L = eng.layer(t);
        if (L.kind != IntLayer::Kind::attention) return;
        const std::size_t a = attention_index[t];
        const Rational& temp = (*temperatures)[a];
        const Layer& layer = pattern->layers[L.pattern];
        keys.resize(state.n);
        values.resize(state.n);
        for (const auto& head : L.heads) {
            if (!head.active) continue;
            for (std::uint32_t j = 0; j < state.n; ++j) {
                head.key.dot(keys[j], state.column(j));
                head.value.dot(values[j], state.column(j));
            }
            for (std::uint32_t k = 0; k < state.n; ++k) {
                const auto attended = layer.attended(k);
                const ColumnScores s = column_scores(head, state, attended, keys, values, k, q, t);
                // Softmax weights relative to the winner: exp(-t |q| |key_j - key_w|), exact exponent.
                long double equal = 0, other = 0;
                for (auto j : attended) {
                    if (keys[j] == keys[s.winner]) {
                        equal += 1;
                        continue;
                    }
                    const Rational x = temp * detail::to_rational(s.q_abs * abs(keys[j] - keys[s.winner]), Q * Q);
                    other += std::exp(-ld(x));
                }
                const long double off = other / (equal + other);
                mass[a] = std::max(mass[a], off);
            }
        }
    }
    void merge_into(MassVisitor& r) const {
        for (std::size_t a = 0; a < mass.size(); ++a) r.mass[a] = std::max(r.mass[a], mass[a]);
    }
};

}  // namespace

std::vector<long double> off_winner_mass(const Construction& c, const Pattern& pattern,
                                         const std::vector<Rational>& temperatures, const Progress& progress) {
    const std::size_t stop = value_mapping_start(c);
    const std::uint64_t count = grid_count(c, std::uint64_t(-1));
    std::string why;
    const auto probe = IntNetwork::compile(c.network, pattern, 1, &why);
    if (!probe) throw std::invalid_argument("g_bar is not integral: " + why);
    MassVisitor v;
    v.pattern = &pattern;
    v.temperatures = &temperatures;
    v.Q = probe->denominator();
    v.attention_index.assign(stop, std::size_t(-1));
    std::size_t attention = 0;
    for (std::size_t t = 0; t < stop; ++t)
        if (std::holds_alternative<AttentionLayer>(c.network.layers[t].op)) v.attention_index[t] = attention++;
    if (attention != temperatures.size())
        throw std::invalid_argument(fmt::format("{} temperatures for {} attention layers", temperatures.size(), attention));
    v.mass.assign(attention, 0.0L);
    for_each_grid_state(c, pattern, stop, count, progress, "Assumption 2 on the grid: ", v);
    return v.mass;
}

}  // namespace sparsecert
