#include "construction/network_engine.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace sparsecert::detail {

mpz_class to_mpz(mpz_srcptr z) {
    mpz_class r;
    mpz_set(r.get_mpz_t(), z);
    return r;
}

Rational to_rational(const mpz_class& num, const mpz_class& den) {
    return Rational::from_integers(num.get_mpz_t(), den.get_mpz_t());
}

void IntForm::dot(mpz_class& out, const mpz_class* column) const {
    out = 0;
    for (const auto& [i, c] : terms) mpz_addmul(out.get_mpz_t(), c.get_mpz_t(), column[i].get_mpz_t());
}

void IntFeedForward::apply_piece(std::size_t piece, const mpz_class& t, mpz_class* column) const {
    for (const auto& [i, slope, constant] : pieces[piece].rows) {
        mpz_addmul(column[i].get_mpz_t(), slope.get_mpz_t(), t.get_mpz_t());
        column[i] += constant;
    }
}

namespace {

struct Compiler {
    mpz_class q = 1;
    std::string problem;

    void need(const Rational& r) {
        mpz_lcm(q.get_mpz_t(), q.get_mpz_t(), r.denominator());
    }
    // r * Q as an integer (Q is a multiple of r's denominator by construction).
    mpz_class scaled(const Rational& r) const {
        mpz_class out;
        mpz_divexact(out.get_mpz_t(), q.get_mpz_t(), r.denominator());
        out *= to_mpz(r.numerator());
        return out;
    }
    bool integral(const std::vector<Rational>& v, std::uint32_t d, const std::string& what) {
        if (v.size() != d) {
            problem = fmt::format("{} has {} entries, expected d = {}", what, v.size(), d);
            return false;
        }
        for (const auto& r : v)
            if (!r.is_integer()) {
                problem = fmt::format("{} has the non-integer entry {}", what, r.str());
                return false;
            }
        return true;
    }
    static IntForm form(const std::vector<Rational>& v) {
        IntForm f;
        for (std::uint32_t i = 0; i < v.size(); ++i)
            if (!v[i].is_zero()) f.terms.emplace_back(i, to_mpz(v[i].numerator()));
        return f;
    }
};

}  // namespace

std::unique_ptr<IntNetwork> IntNetwork::compile(const Network& network, const Pattern& pattern,
                                                const mpz_class& extra_denominator, std::string* why) {
    validate(network, &pattern);
    Compiler c;
    c.q = extra_denominator;
    const std::uint32_t d = network.d;
    // Pass 1: integrality of the slopes and the shared denominator of the constants.
    for (const auto& r : network.embedding.entries) c.need(r);
    for (std::size_t t = 0; t < network.layers.size(); ++t) {
        const auto& op = network.layers[t].op;
        const std::string where = fmt::format("layer {}", t);
        if (const auto* ff = std::get_if<FeedForward>(&op)) {
            if (!c.integral(ff->w1, d, where + " w1")) break;
            c.need(ff->b1);
            for (const auto& b : ff->phi.breakpoints) c.need(b);
            bool ok = true;
            for (const auto& piece : ff->phi.pieces) {
                for (const auto& w : ff->w2) {
                    if (!(piece.slope * w).is_integer()) {
                        c.problem = fmt::format("{}: slope * w2 = {} is not an integer", where, (piece.slope * w).str());
                        ok = false;
                        break;
                    }
                    c.need(piece.intercept * w);
                }
                if (!ok) break;
            }
            if (!ok) break;
        } else if (const auto* att = std::get_if<AttentionLayer>(&op)) {
            for (std::size_t h = 0; h < 2 && c.problem.empty(); ++h) {
                const auto& head = att->heads[h];
                const std::string hw = fmt::format("{} head {}", where, h);
                if (!c.integral(head.query, d, hw + " query") || !c.integral(head.key, d, hw + " key") ||
                    !c.integral(head.value, d, hw + " value") || !c.integral(head.out, d, hw + " out"))
                    break;
                c.need(head.query_bias);
            }
            if (!c.problem.empty()) break;
        }
    }
    if (!c.problem.empty()) {
        if (why) *why = c.problem;
        return nullptr;
    }

    auto net = std::unique_ptr<IntNetwork>(new IntNetwork());
    net->d_ = d;
    net->n_ = network.n;
    net->pattern_ = &pattern;
    net->q_ = c.q;
    net->embedding_.resize(std::size_t(d) * network.n);
    for (std::uint32_t i = 0; i < d; ++i)
        for (std::uint32_t k = 0; k < network.n; ++k)
            net->embedding_[std::size_t(k) * d + i] = c.scaled(network.embedding.at(i, k));
    net->layers_.resize(network.layers.size());
    for (std::size_t t = 0; t < network.layers.size(); ++t) {
        const auto& op = network.layers[t].op;
        IntLayer& L = net->layers_[t];
        if (const auto* ff = std::get_if<FeedForward>(&op)) {
            L.kind = IntLayer::Kind::feed_forward;
            L.ff.w1 = Compiler::form(ff->w1);
            L.ff.b1 = c.scaled(ff->b1);
            for (const auto& b : ff->phi.breakpoints) L.ff.breaks.push_back(c.scaled(b));
            for (const auto& piece : ff->phi.pieces) {
                IntPiece ip;
                for (std::uint32_t i = 0; i < d; ++i) {
                    const Rational a = piece.slope * ff->w2[i], b = piece.intercept * ff->w2[i];
                    if (a.is_zero() && b.is_zero()) continue;
                    ip.rows.emplace_back(i, to_mpz(a.numerator()), c.scaled(b));
                }
                L.ff.pieces.push_back(std::move(ip));
            }
        } else if (const auto* att = std::get_if<AttentionLayer>(&op)) {
            L.kind = IntLayer::Kind::attention;
            L.pattern = att->pattern;
            for (std::size_t h = 0; h < 2; ++h) {
                const auto& head = att->heads[h];
                IntHead& ih = L.heads[h];
                ih.query = Compiler::form(head.query);
                ih.key = Compiler::form(head.key);
                ih.value = Compiler::form(head.value);
                ih.out = Compiler::form(head.out);
                ih.bias = c.scaled(head.query_bias);
                // A head whose output or value is zero adds nothing, whatever it attends to.
                ih.active = !ih.out.empty() && !ih.value.empty();
            }
        } else {
            L.kind = IntLayer::Kind::identity;
            L.pattern = std::get<IdentityLayer>(op).pattern;
        }
    }

    // Window runs: consecutive feed-forward layers whose phi is zero outside one interval
    // [b0, b1) (three pieces, the outer two zero), with the same w1 and b1, and pairwise disjoint
    // windows. Within such a run a column is changed only by the layers whose window contains
    // w1 . x + b1 at the moment they are reached (docs/construction.md, "Evaluating the value
    // mapping"), which the index finds by binary search.
    net->run_at_.assign(net->layers_.size(), 0);
    auto is_window = [&](std::size_t t) {
        const IntLayer& L = net->layers_[t];
        return L.kind == IntLayer::Kind::feed_forward && L.ff.pieces.size() == 3 &&
               L.ff.pieces[0].zero() && L.ff.pieces[2].zero() && !L.ff.w1.empty();
    };
    for (std::size_t t = 0; t < net->layers_.size();) {
        if (!is_window(t)) {
            ++t;
            continue;
        }
        std::size_t e = t + 1;
        while (e < net->layers_.size() && is_window(e) && net->layers_[e].ff.w1 == net->layers_[t].ff.w1 &&
               net->layers_[e].ff.b1 == net->layers_[t].ff.b1)
            ++e;
        if (e - t >= 2) {
            WindowRun run;
            run.first = t;
            run.last = e;
            run.w1 = net->layers_[t].ff.w1;
            run.b1 = net->layers_[t].ff.b1;
            std::vector<std::size_t> order;
            for (std::size_t u = t; u < e; ++u) order.push_back(u);
            std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return net->layers_[a].ff.breaks[0] < net->layers_[b].ff.breaks[0];
            });
            bool disjoint = true;
            for (std::size_t i = 0; i < order.size(); ++i) {
                const auto& br = net->layers_[order[i]].ff.breaks;
                if (i > 0 && run.hi.back() > br[0]) disjoint = false;
                run.lo.push_back(br[0]);
                run.hi.push_back(br[1]);
                run.layer.push_back(order[i]);
            }
            if (disjoint) {
                net->runs_.push_back(std::move(run));
                net->run_at_[t] = net->runs_.size();
            }
        }
        t = e;
    }
    return net;
}

void IntNetwork::load(const Matrix& z, IntState& state, bool add_embedding) const {
    if (z.rows != d_ || z.cols != n_)
        throw std::invalid_argument(fmt::format("input is {} x {}, the network expects {} x {}", z.rows,
                                                z.cols, d_, n_));
    state.d = d_;
    state.n = n_;
    state.x.resize(std::size_t(d_) * n_);
    mpz_class f;
    for (std::uint32_t i = 0; i < d_; ++i)
        for (std::uint32_t k = 0; k < n_; ++k) {
            const Rational& r = z.at(i, k);
            if (!mpz_divisible_p(q_.get_mpz_t(), r.denominator()))
                throw std::invalid_argument("input entry " + r.str() + " is not a multiple of 1/" + q_.get_str());
            mpz_divexact(f.get_mpz_t(), q_.get_mpz_t(), r.denominator());
            mpz_class& x = state.x[std::size_t(k) * d_ + i];
            mpz_mul(x.get_mpz_t(), f.get_mpz_t(), r.numerator());
            if (add_embedding) x += embedding_[std::size_t(k) * d_ + i];
        }
}

Matrix IntNetwork::unload(const IntState& state) const {
    Matrix out(d_, n_);
    for (std::uint32_t i = 0; i < d_; ++i)
        for (std::uint32_t k = 0; k < n_; ++k) out.at(i, k) = to_rational(state.column(k)[i], q_);
    return out;
}

void IntNetwork::apply(std::size_t t, IntState& state, Scratch& s) const {
    const IntLayer& L = layers_[t];
    if (L.kind == IntLayer::Kind::identity) return;
    if (L.kind == IntLayer::Kind::feed_forward) {
        const IntFeedForward& ff = L.ff;
        for (std::uint32_t k = 0; k < n_; ++k) {
            mpz_class* col = state.column(k);
            ff.w1.dot(s.t, col);
            s.t += ff.b1;
            const std::size_t piece = ff.piece_at(s.t);
            if (!ff.pieces[piece].zero()) ff.apply_piece(piece, s.t, col);
        }
        return;
    }
    // Attention: every column reads the layer's input, so the changes are collected first.
    const Layer& pattern = pattern_->layers[L.pattern];
    s.delta.resize(std::size_t(d_) * n_);
    for (auto& v : s.delta) v = 0;
    for (std::size_t h = 0; h < 2; ++h) {
        const IntHead& head = L.heads[h];
        if (!head.active) continue;
        auto& keys = s.keys[h];
        auto& values = s.values[h];
        keys.resize(n_);
        values.resize(n_);
        for (std::uint32_t j = 0; j < n_; ++j) {
            head.key.dot(keys[j], state.column(j));
            head.value.dot(values[j], state.column(j));
        }
        for (std::uint32_t k = 0; k < n_; ++k) {
            head.query.dot(s.q, state.column(k));
            s.q += head.bias;
            const int sign = sgn(s.q);
            // Scores (key_j)(q): the largest is the largest key when q > 0, the smallest when
            // q < 0, and every attended token ties when q = 0.
            const auto attended = pattern.attended(k);
            if (attended.empty())
                throw std::invalid_argument(fmt::format("layer {}: token {} attends to no token", t, k));
            std::uint32_t best = attended[0];
            bool tie_differs = false;
            for (std::size_t a = 1; a < attended.size(); ++a) {
                const std::uint32_t j = attended[a];
                const int c = sign == 0 ? 0 : cmp(keys[j], keys[best]) * sign;
                if (c > 0) {
                    best = j;
                    tie_differs = false;
                } else if (c == 0 && values[j] != values[best]) {
                    tie_differs = true;
                }
            }
            if (tie_differs)
                throw HardmaxTie(fmt::format("layer {} head {} column {}: hardmax tie between attended tokens "
                                             "with different values",
                                             t, h, k));
            mpz_class* dk = s.delta.data() + std::size_t(k) * d_;
            for (const auto& [i, c] : head.out.terms)
                mpz_addmul(dk[i].get_mpz_t(), c.get_mpz_t(), values[best].get_mpz_t());
        }
    }
    for (std::size_t e = 0; e < state.x.size(); ++e)
        if (sgn(s.delta[e]) != 0) state.x[e] += s.delta[e];
}

void IntNetwork::apply_run(const WindowRun& run, IntState& state, Scratch& s) const {
    for (std::uint32_t k = 0; k < n_; ++k) {
        mpz_class* col = state.column(k);
        std::size_t fired = 0;
        bool any = false;
        for (;;) {
            run.w1.dot(s.t, col);
            s.t += run.b1;
            // The only window that can contain t: the last one starting at or below t.
            const auto it = std::upper_bound(run.lo.begin(), run.lo.end(), s.t);
            if (it == run.lo.begin()) break;
            const std::size_t w = std::size_t(it - run.lo.begin()) - 1;
            if (s.t >= run.hi[w]) break;
            const std::size_t layer = run.layer[w];
            // Layers are reached in order: a window of a layer already passed cannot fire again.
            if (any && layer <= fired) break;
            layers_[layer].ff.apply_piece(1, s.t, col);
            fired = layer;
            any = true;
        }
    }
}

void IntNetwork::run(IntState& state, std::size_t first, std::size_t last, Scratch& scratch, bool indexed) const {
    for (std::size_t t = first; t < last;) {
        if (indexed && run_at_[t]) {
            const WindowRun& r = runs_[run_at_[t] - 1];
            if (r.last <= last) {
                apply_run(r, state, scratch);
                t = r.last;
                continue;
            }
        }
        apply(t, state, scratch);
        ++t;
    }
}

}  // namespace sparsecert::detail
