#include "sparsecert/numerics/softmax_kernel.hpp"

#include <algorithm>
#include <stdexcept>
#include <variant>

#include <fmt/format.h>

#include "numerics/real_arith.hpp"

namespace sparsecert {

namespace {

using detail::Mp;

// A linear form over the rows of a column (zero coefficients dropped).
template <class R>
struct Form {
    std::vector<std::pair<std::uint32_t, R>> terms;
    bool empty() const { return terms.empty(); }
    void dot(R& out, const R* column) const {
        detail::set_zero(out);
        for (const auto& [i, c] : terms) detail::addmul(out, c, column[i]);
    }
};

template <class R>
Form<R> make_form(const std::vector<Rational>& v, long precision) {
    Form<R> f;
    for (std::uint32_t i = 0; i < v.size(); ++i)
        if (!v[i].is_zero()) {
            R c = detail::make_real<R>(precision);
            detail::set(c, v[i]);
            f.terms.emplace_back(i, std::move(c));
        }
    return f;
}

template <class R>
R real(const Rational& r, long precision) {
    R x = detail::make_real<R>(precision);
    detail::set(x, r);
    return x;
}

// The scalar activation: the pieces of phi (g_bar) or the ReLU terms (g).
template <class R>
struct Activation {
    bool relu = false;
    std::vector<R> breaks, slope, intercept;                // pieces of phi
    std::vector<int> sign;                                   // ReLU terms
    std::vector<R> knot, coef;
    std::optional<R> constant;

    // y = f(t); tmp is scratch.
    void operator()(R& y, const R& t, R& tmp) const {
        if (relu) {
            detail::set(y, *constant);
            for (std::size_t i = 0; i < sign.size(); ++i) {
                if (sign[i] > 0) detail::sub(tmp, t, knot[i]);
                else detail::sub(tmp, knot[i], t);
                if (detail::sgn(tmp) > 0) detail::addmul(y, coef[i], tmp);
            }
            return;
        }
        std::size_t piece = 0;
        while (piece < breaks.size() && detail::cmp(breaks[piece], t) <= 0) ++piece;
        detail::set(y, intercept[piece]);
        if (detail::sgn(slope[piece]) != 0) detail::addmul(y, slope[piece], t);
    }
};

template <class R>
struct FFLayer {
    Form<R> w1, w2;
    std::optional<R> b1;
    Activation<R> act;
};

template <class R>
struct Head {
    bool active = false;
    Form<R> query, key, value, out;
    std::optional<R> bias;
};

template <class R>
struct AttnLayer {
    std::uint32_t pattern = 0;
    bool hardmax = true;
    std::optional<R> temperature;
    std::array<Head<R>, 2> heads;
};

struct Identity {};

template <class R>
using KLayer = std::variant<FFLayer<R>, AttnLayer<R>, Identity>;

// A window run (see the header): layers [first, last), intervals sorted by lo.
template <class R>
struct Run {
    std::size_t first = 0, last = 0;
    std::vector<R> lo, hi;
    std::vector<std::size_t> layer;
};

template <class R>
struct Scratch {
    std::vector<R> keys, values, delta;
    R t, q, tq, y, tmp, w, sum, acc, m;
    explicit Scratch(long precision)
        : t(detail::make_real<R>(precision)), q(t), tq(t), y(t), tmp(t), w(t), sum(t), acc(t), m(t) {}
};

// The source of a feed-forward layer, in exact rationals.
struct SourceFF {
    const std::vector<Rational>* w1;
    const Rational* b1;
    const std::vector<Rational>* w2;
    const Phi* phi = nullptr;
    const ReluActivation* relu = nullptr;
    // The interval outside which the activation is zero, when there is one.
    bool window(Rational& lo, Rational& hi) const {
        if (relu) return relu->window(lo, hi);
        if (phi->pieces.size() != 3) return false;
        const auto& p = phi->pieces;
        if (!p[0].slope.is_zero() || !p[0].intercept.is_zero() || !p[2].slope.is_zero() || !p[2].intercept.is_zero())
            return false;
        lo = phi->breakpoints[0];
        hi = phi->breakpoints[1];
        return true;
    }
};

template <class R>
class Kernel {
public:
    Kernel(std::uint32_t d, std::uint32_t n, const Pattern& pattern, const Matrix& embedding, long precision)
        : d_(d), n_(n), pattern_(&pattern), precision_(precision) {
        embedding_.reserve(std::size_t(d) * n);
        for (std::uint32_t k = 0; k < n; ++k)
            for (std::uint32_t i = 0; i < d; ++i) embedding_.push_back(real<R>(embedding.at(i, k), precision));
    }

    void add_ff(const SourceFF& src) {
        FFLayer<R> L;
        L.w1 = make_form<R>(*src.w1, precision_);
        L.b1 = real<R>(*src.b1, precision_);
        L.w2 = make_form<R>(*src.w2, precision_);
        if (src.relu) {
            L.act.relu = true;
            L.act.constant = real<R>(src.relu->constant, precision_);
            for (const auto& term : src.relu->terms) {
                L.act.sign.push_back(term.sign);
                L.act.knot.push_back(real<R>(term.knot, precision_));
                L.act.coef.push_back(real<R>(term.coef, precision_));
            }
        } else {
            for (const auto& b : src.phi->breakpoints) L.act.breaks.push_back(real<R>(b, precision_));
            for (const auto& piece : src.phi->pieces) {
                L.act.slope.push_back(real<R>(piece.slope, precision_));
                L.act.intercept.push_back(real<R>(piece.intercept, precision_));
            }
        }
        layers_.emplace_back(std::move(L));
        sources_.push_back(src);
    }

    void add_attention(std::uint32_t pattern, const std::array<AttentionHead, 2>& heads, const Rational* temperature) {
        AttnLayer<R> L;
        L.pattern = pattern;
        L.hardmax = temperature == nullptr;
        if (temperature) L.temperature = real<R>(*temperature, precision_);
        for (std::size_t h = 0; h < 2; ++h) {
            Head<R>& head = L.heads[h];
            head.query = make_form<R>(heads[h].query, precision_);
            head.key = make_form<R>(heads[h].key, precision_);
            head.value = make_form<R>(heads[h].value, precision_);
            head.out = make_form<R>(heads[h].out, precision_);
            head.bias = real<R>(heads[h].query_bias, precision_);
            head.active = !head.out.empty() && !head.value.empty();
        }
        layers_.emplace_back(std::move(L));
        sources_.push_back({});
    }

    void add_identity() {
        layers_.emplace_back(Identity{});
        sources_.push_back({});
    }

    // Done adding layers: find the window runs on the exact source layers (when indexed), then
    // forget the sources (they belong to the caller's network).
    void finish(bool indexed) {
        if (indexed) index_runs();
        else run_at_.assign(layers_.size(), 0);
        sources_.clear();
    }

private:
    void index_runs() {
        run_at_.assign(layers_.size(), 0);
        std::vector<Rational> lo(layers_.size()), hi(layers_.size());
        std::vector<bool> is_window(layers_.size(), false);
        for (std::size_t t = 0; t < layers_.size(); ++t)
            if (sources_[t].w1) is_window[t] = sources_[t].window(lo[t], hi[t]);
        for (std::size_t t = 0; t < layers_.size();) {
            if (!is_window[t]) {
                ++t;
                continue;
            }
            std::size_t e = t + 1;
            while (e < layers_.size() && is_window[e] && *sources_[e].w1 == *sources_[t].w1 &&
                   *sources_[e].b1 == *sources_[t].b1)
                ++e;
            if (e - t >= 2) {
                std::vector<std::size_t> order;
                for (std::size_t u = t; u < e; ++u) order.push_back(u);
                std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lo[a] < lo[b]; });
                // No point in more than two intervals: interval i ends before interval i + 2 starts.
                bool ok = true;
                for (std::size_t i = 0; i + 2 < order.size() && ok; ++i) ok = hi[order[i]] <= lo[order[i + 2]];
                for (std::size_t i = 0; i < order.size() && ok; ++i) ok = lo[order[i]] < hi[order[i]];
                if (ok) {
                    Run<R> run;
                    run.first = t;
                    run.last = e;
                    for (auto u : order) {
                        run.lo.push_back(real<R>(lo[u], precision_));
                        run.hi.push_back(real<R>(hi[u], precision_));
                        run.layer.push_back(u);
                    }
                    runs_.push_back(std::move(run));
                    run_at_[t] = runs_.size();
                }
            }
            t = e;
        }
    }

public:
    std::size_t runs() const { return runs_.size(); }
    std::size_t size() const { return layers_.size(); }

    Matrix evaluate(const Matrix& input, std::size_t last, bool indexed) const {
        if (input.rows != d_ || input.cols != n_)
            throw std::invalid_argument(fmt::format("input is {} x {}, the network expects {} x {}", input.rows,
                                                    input.cols, d_, n_));
        Scratch<R> s(precision_);
        std::vector<R> x;
        x.reserve(std::size_t(d_) * n_);
        for (std::uint32_t k = 0; k < n_; ++k)
            for (std::uint32_t i = 0; i < d_; ++i) {
                R v = real<R>(input.at(i, k), precision_);
                detail::add(v, v, embedding_[std::size_t(k) * d_ + i]);
                x.push_back(std::move(v));
            }
        for (std::size_t t = 0; t < last;) {
            if (indexed && run_at_[t]) {
                const Run<R>& run = runs_[run_at_[t] - 1];
                if (run.last <= last) {
                    apply_run(run, x, s);
                    t = run.last;
                    continue;
                }
            }
            apply(t, x, s);
            ++t;
        }
        Matrix out(d_, n_);
        for (std::uint32_t k = 0; k < n_; ++k)
            for (std::uint32_t i = 0; i < d_; ++i) {
                const R& v = x[std::size_t(k) * d_ + i];
                if (!detail::finite(v))
                    throw std::range_error(fmt::format("non-finite value in entry ({}, {}) of the output", i, k));
                out.at(i, k) = detail::to_rational(v);
            }
        return out;
    }

private:
    void apply_ff(const FFLayer<R>& L, R* column, Scratch<R>& s) const {
        L.w1.dot(s.t, column);
        detail::add(s.t, s.t, *L.b1);
        L.act(s.y, s.t, s.tmp);
        if (detail::sgn(s.y) == 0) return;
        for (const auto& [i, c] : L.w2.terms) detail::addmul(column[i], c, s.y);
    }

    void apply(std::size_t t, std::vector<R>& x, Scratch<R>& s) const {
        const KLayer<R>& layer = layers_[t];
        if (const auto* ff = std::get_if<FFLayer<R>>(&layer)) {
            for (std::uint32_t k = 0; k < n_; ++k) apply_ff(*ff, x.data() + std::size_t(k) * d_, s);
            return;
        }
        const auto* att = std::get_if<AttnLayer<R>>(&layer);
        if (!att) return;  // identity
        const Layer& pattern = pattern_->layers[att->pattern];
        // Every column reads the layer's input: changes are collected first.
        if (s.delta.size() != x.size()) s.delta.assign(x.size(), detail::make_real<R>(precision_));
        for (auto& v : s.delta) detail::set_zero(v);
        if (s.keys.size() != n_) {
            s.keys.assign(n_, detail::make_real<R>(precision_));
            s.values.assign(n_, detail::make_real<R>(precision_));
        }
        for (const Head<R>& head : att->heads) {
            if (!head.active) continue;
            // Keys and values once per token: O(n d).
            for (std::uint32_t j = 0; j < n_; ++j) {
                head.key.dot(s.keys[j], x.data() + std::size_t(j) * d_);
                head.value.dot(s.values[j], x.data() + std::size_t(j) * d_);
            }
            // Then O(|A_k|) per token: O(connections) for the layer.
            for (std::uint32_t k = 0; k < n_; ++k) {
                const auto attended = pattern.attended(k);
                if (attended.empty())
                    throw std::invalid_argument(fmt::format("layer {}: token {} attends to no token", t, k));
                head.query.dot(s.q, x.data() + std::size_t(k) * d_);
                detail::add(s.q, s.q, *head.bias);
                if (att->hardmax) hardmax(attended, s);
                else softmax(attended, *att->temperature, s);
                R* dk = s.delta.data() + std::size_t(k) * d_;
                for (const auto& [i, c] : head.out.terms) detail::addmul(dk[i], c, s.acc);
            }
        }
        for (std::size_t e = 0; e < x.size(); ++e) detail::add(x[e], x[e], s.delta[e]);
    }

    // sigma_H: the scores are key_j * q; the largest belongs to the largest key when q > 0, the
    // smallest when q < 0; every attended token ties when q = 0. Ties are averaged. Result in s.acc.
    void hardmax(std::span<const token_t> attended, Scratch<R>& s) const {
        const int sign = detail::sgn(s.q);
        token_t best = attended[0];
        for (auto j : attended)
            if (sign != 0 && detail::cmp(s.keys[j], s.keys[best]) * sign > 0) best = j;
        detail::set_zero(s.acc);
        long ties = 0;
        for (auto j : attended)
            if (sign == 0 || detail::cmp(s.keys[j], s.keys[best]) == 0) {
                detail::add(s.acc, s.acc, s.values[j]);
                ++ties;
            }
        if (ties > 1) {
            detail::set(s.w, Rational(ties));
            detail::div(s.acc, s.acc, s.w);
        }
    }

    // rho[t v]: weights exp(t q (key_j - key_m)) with m the attended token of largest score, so
    // every exponent is <= 0; written as a difference of keys first, so that the exponent's
    // rounding error is relative to the score gap rather than to the (much larger) scores.
    void softmax(std::span<const token_t> attended, const R& temperature, Scratch<R>& s) const {
        detail::mul(s.tq, temperature, s.q);
        const int sign = detail::sgn(s.tq);
        token_t best = attended[0];
        for (auto j : attended)
            if (detail::cmp(s.keys[j], s.keys[best]) * sign > 0) best = j;
        detail::set_zero(s.sum);
        detail::set_zero(s.acc);
        for (auto j : attended) {
            detail::sub(s.tmp, s.keys[j], s.keys[best]);
            detail::mul(s.tmp, s.tmp, s.tq);
            detail::exp(s.w, s.tmp);
            detail::add(s.sum, s.sum, s.w);
            detail::addmul(s.acc, s.w, s.values[j]);
        }
        detail::div(s.acc, s.acc, s.sum);
    }

    void apply_run(const Run<R>& run, std::vector<R>& x, Scratch<R>& s) const {
        const auto less = [](const R& a, const R& b) { return detail::cmp(a, b) < 0; };
        const FFLayer<R>& first = std::get<FFLayer<R>>(layers_[run.first]);
        for (std::uint32_t k = 0; k < n_; ++k) {
            R* column = x.data() + std::size_t(k) * d_;
            std::size_t fired = 0;
            bool any = false;
            for (;;) {
                first.w1.dot(s.t, column);
                detail::add(s.t, s.t, *first.b1);
                const auto it = std::upper_bound(run.lo.begin(), run.lo.end(), s.t, less);
                if (it == run.lo.begin()) break;
                const std::size_t w = std::size_t(it - run.lo.begin()) - 1;
                // The intervals that can contain t: the last one starting at or below t, and the
                // one before it (no point lies in three). The next layer to change the column is
                // the first of them, in layer order, after the last one that fired.
                std::size_t next = run.last;
                for (std::size_t c = w + 1; c-- > (w > 0 ? w - 1 : 0);) {
                    if (detail::cmp(s.t, run.hi[c]) >= 0) continue;
                    const std::size_t layer = run.layer[c];
                    if (any && layer <= fired) continue;
                    next = std::min(next, layer);
                }
                if (next == run.last) break;
                const FFLayer<R>& L = std::get<FFLayer<R>>(layers_[next]);
                L.act(s.y, s.t, s.tmp);
                if (detail::sgn(s.y) != 0)
                    for (const auto& [i, c] : L.w2.terms) detail::addmul(column[i], c, s.y);
                fired = next;
                any = true;
            }
        }
    }

    std::uint32_t d_, n_;
    const Pattern* pattern_;
    long precision_;
    std::vector<R> embedding_;  // column-major
    std::vector<KLayer<R>> layers_;
    std::vector<SourceFF> sources_;
    std::vector<Run<R>> runs_;
    std::vector<std::size_t> run_at_;
};

template <class R>
Kernel<R> compile(const SoftmaxNetwork& g, const Pattern& pattern, long precision) {
    Kernel<R> k(g.d, g.n, pattern, g.embedding, precision);
    for (const auto& layer : g.layers) {
        if (const auto* ff = std::get_if<ReluFeedForward>(&layer.op)) {
            SourceFF src{&ff->w1, &ff->b1, &ff->w2};
            src.relu = &ff->activation;
            k.add_ff(src);
        } else if (const auto* att = std::get_if<SoftmaxAttention>(&layer.op)) {
            k.add_attention(att->pattern, att->heads, &att->temperature);
        } else {
            k.add_identity();
        }
    }
    return k;
}

template <class R>
Kernel<R> compile(const Network& g, const Pattern& pattern, long precision) {
    Kernel<R> k(g.d, g.n, pattern, g.embedding, precision);
    for (const auto& layer : g.layers) {
        if (const auto* ff = std::get_if<FeedForward>(&layer.op)) {
            SourceFF src{&ff->w1, &ff->b1, &ff->w2};
            src.phi = &ff->phi;
            k.add_ff(src);
        } else if (const auto* att = std::get_if<AttentionLayer>(&layer.op)) {
            k.add_attention(att->pattern, att->heads, nullptr);
        } else {
            k.add_identity();
        }
    }
    return k;
}

}  // namespace

struct RealEvaluator::Impl {
    KernelOptions options;
    std::size_t layers = 0;
    std::variant<std::monostate, Kernel<double>, Kernel<Mp>> kernel;

    template <class Net>
    void build(const Net& net, const Pattern& pattern) {
        if (options.arithmetic == RealArithmetic::mpfr) {
            if (options.precision < MPFR_PREC_MIN || options.precision > 1'000'000)
                throw std::invalid_argument(fmt::format("precision {} bits is out of range", options.precision));
            auto k = compile<Mp>(net, pattern, options.precision);
            k.finish(options.indexed);
            kernel.template emplace<Kernel<Mp>>(std::move(k));
        } else {
            auto k = compile<double>(net, pattern, 53);
            k.finish(options.indexed);
            kernel.template emplace<Kernel<double>>(std::move(k));
        }
        layers = net.layers.size();
    }
};

RealEvaluator::RealEvaluator(const SoftmaxNetwork& g, const Pattern& pattern, KernelOptions options)
    : impl_(std::make_unique<Impl>()) {
    if (pattern.n != g.n || pattern.p() != g.p) throw std::invalid_argument("the pattern does not match the network");
    impl_->options = options;
    impl_->build(g, pattern);
}

RealEvaluator::RealEvaluator(const Network& g, const Pattern& pattern, KernelOptions options)
    : impl_(std::make_unique<Impl>()) {
    validate(g, &pattern);
    impl_->options = options;
    impl_->build(g, pattern);
}

RealEvaluator::~RealEvaluator() = default;
RealEvaluator::RealEvaluator(RealEvaluator&&) noexcept = default;
RealEvaluator& RealEvaluator::operator=(RealEvaluator&&) noexcept = default;

Matrix RealEvaluator::operator()(const Matrix& input, std::optional<std::size_t> last) const {
    const std::size_t end = last.value_or(impl_->layers);
    if (end > impl_->layers) throw std::out_of_range("RealEvaluator: layer index past the network");
    return std::visit(
        [&](const auto& k) -> Matrix {
            if constexpr (std::is_same_v<std::decay_t<decltype(k)>, std::monostate>) throw std::logic_error("no kernel");
            else return k.evaluate(input, end, impl_->options.indexed);
        },
        impl_->kernel);
}

const KernelOptions& RealEvaluator::options() const { return impl_->options; }

std::size_t RealEvaluator::window_runs() const {
    return std::visit(
        [](const auto& k) -> std::size_t {
            if constexpr (std::is_same_v<std::decay_t<decltype(k)>, std::monostate>) return 0;
            else return k.runs();
        },
        impl_->kernel);
}

std::size_t RealEvaluator::layers() const { return impl_->layers; }

}  // namespace sparsecert
