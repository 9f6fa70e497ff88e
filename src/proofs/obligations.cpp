// The SMT proof obligations of the construction (obligations.hpp; docs/prove.md documents every
// encoding and how the obligations chain into a proof of docs/theory.md section 4, Step 2 (a) and (b)).
//
// Encoding conventions, shared by every file:
//   - every quantity is a declared constant with a defining equation, (assert (= name expr)), so
//     the text stays linear in the network's size and a model shows every intermediate value;
//     such definitions are functional (one value per input), so they do not weaken the negated
//     claim asserted last;
//   - Real literals are decimals ("3.0", "(/ 7.0 2.0)"), Int grid codes enter through to_real:
//     portable SMT-LIB 2.6 that Z3 4.8.12 and cvc5 1.0.3 both read (docs/algorithms.md section 4.1);
//   - a feed-forward layer is x + w2 phi(w1 . x + b1) with phi as nested ite over its pieces
//     (piece i on [c_{i-1}, c_i), as network.hpp defines it);
//   - a head of size 1 with hardmax, key = value: score_j = (key . z_j) q with q = query . z_k + b,
//     so sigma_H picks the largest key when q > 0 and the smallest when q < 0 (ties between equal
//     keys average equal values), and averages all of A_k when q = 0 (every score is 0):
//     (ite (> q 0) max (ite (< q 0) min mean)), max/min over A_k as running ite chains. This is
//     sigma_H exactly, in linear real arithmetic.
#include "sparsecert/proofs/obligations.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

#include "sparsecert/numerics/relu_form.hpp"
#include "sparsecert/proofs/smt.hpp"

namespace sparsecert {

namespace {

using Column = std::vector<std::string>;  // d Real constants: one token's column
using State = std::vector<Column>;        // n columns

std::string join(const std::vector<std::string>& parts, const char* sep) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out += sep;
        out += parts[i];
    }
    return out;
}

std::string and_of(const std::vector<std::string>& parts) {
    if (parts.empty()) return "true";
    if (parts.size() == 1) return parts[0];
    return "(and " + join(parts, " ") + ")";
}

std::string or_of(const std::vector<std::string>& parts) {
    if (parts.empty()) return "false";
    if (parts.size() == 1) return parts[0];
    return "(or " + join(parts, " ") + ")";
}

// A linear Real expression: sum of coefficient * atom, plus a constant.
struct Lin {
    std::vector<std::pair<Rational, std::string>> terms;
    Rational constant;

    Lin& add(const Rational& c, const std::string& atom) {
        if (!c.is_zero()) terms.emplace_back(c, atom);
        return *this;
    }
    Lin& add(const Rational& c) {
        constant += c;
        return *this;
    }
    std::string str() const {
        std::vector<std::string> parts;
        for (const auto& [c, atom] : terms)
            parts.push_back(c == Rational(1) ? atom : "(* " + smt_real(c) + " " + atom + ")");
        if (!constant.is_zero() || parts.empty()) parts.push_back(smt_real(constant));
        return parts.size() == 1 ? parts[0] : "(+ " + join(parts, " ") + ")";
    }
};

// w . x over a column.
Lin dot(const std::vector<Rational>& w, const Column& x) {
    Lin e;
    for (std::size_t r = 0; r < w.size(); ++r) e.add(w[r], x[r]);
    return e;
}

class Writer {
public:
    void comment(const std::string& text) {
        std::size_t start = 0;
        while (start <= text.size()) {
            const std::size_t end = text.find('\n', start);
            text_ += "; " + text.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
            if (end == std::string::npos) break;
            start = end + 1;
        }
    }
    void declare(const std::string& name, const char* sort) {
        text_ += "(declare-fun " + name + " () " + sort + ")\n";
    }
    std::string define(const std::string& name, const std::string& expr) {
        declare(name, "Real");
        assert_("(= " + name + " " + expr + ")");
        return name;
    }
    void assert_(const std::string& expr) { text_ += "(assert " + expr + ")\n"; }
    const std::string& text() const { return text_; }

private:
    std::string text_;
};

std::string phi_expr(const Phi& phi, const std::string& t) {
    auto piece = [&](std::size_t i) { return Lin{}.add(phi.pieces[i].slope, t).add(phi.pieces[i].intercept).str(); };
    std::string e = piece(phi.pieces.size() - 1);
    for (std::size_t i = phi.breakpoints.size(); i-- > 0;)
        e = "(ite (< " + t + " " + smt_real(phi.breakpoints[i]) + ") " + piece(i) + " " + e + ")";
    return e;
}

// The form g runs (relu_form.hpp): constant + sum of coef ReLU(sign (t - knot)).
std::string relu_expr(const ReluActivation& form, const std::string& t) {
    Lin e;
    e.add(form.constant);
    for (const auto& term : form.terms) {
        const std::string z = term.sign > 0 ? Lin{}.add(1, t).add(-term.knot).str()
                                            : Lin{}.add(-1, t).add(term.knot).str();
        e.add(term.coef, "(ite (> " + z + " 0.0) " + z + " 0.0)");
    }
    return e.str();
}

// x -> x + w2 phi(w1 . x + b1) on one column, from the layer's weights.
Column apply_feed_forward(Writer& w, const Column& x, const FeedForward& ff, const std::string& prefix) {
    const std::string t = w.define(prefix + "_t", (dot(ff.w1, x).add(ff.b1)).str());
    const std::string phi = w.define(prefix + "_phi", phi_expr(ff.phi, t));
    Column out = x;
    for (std::size_t r = 0; r < x.size(); ++r)
        if (!ff.w2[r].is_zero())
            out[r] = w.define(fmt::format("{}_r{}", prefix, r), Lin{}.add(1, x[r]).add(ff.w2[r], phi).str());
    return out;
}

bool is_zero_vector(const std::vector<Rational>& v) {
    return std::all_of(v.begin(), v.end(), [](const Rational& x) { return x.is_zero(); });
}

// One sparse attention layer (two hardmax heads of size 1) on a whole state, from its weights and
// the attended sets A_k of its pattern.
State apply_attention(Writer& w, const State& z, const AttentionLayer& att, const Layer& pattern,
                      const std::string& prefix, std::size_t layer_index) {
    const std::size_t n = z.size(), d = z.empty() ? 0 : z[0].size();
    std::vector<std::vector<std::string>> head_out(2, std::vector<std::string>(n));
    std::vector<bool> active(2, false);
    for (std::size_t h = 0; h < 2; ++h) {
        const AttentionHead& head = att.heads[h];
        if (is_zero_vector(head.out)) continue;  // adds 0 whatever it attends to
        if (head.key != head.value)
            throw std::invalid_argument(fmt::format(
                "layer {} head {}: key != value; the linear encoding of sigma_H (docs/prove.md) needs key = value",
                layer_index, h));
        active[h] = true;
        std::vector<std::string> key(n);
        for (std::size_t j = 0; j < n; ++j) key[j] = w.define(fmt::format("{}_h{}_key{}", prefix, h, j), dot(head.key, z[j]).str());
        for (std::size_t k = 0; k < n; ++k) {
            const std::string q =
                w.define(fmt::format("{}_h{}_q{}", prefix, h, k), dot(head.query, z[k]).add(head.query_bias).str());
            const auto attended = pattern.attended(token_t(k));
            std::string mx, mn, mean;
            if (attended.size() == 1) {
                mx = mn = mean = key[attended[0]];
            } else {
                // max and min as running ite chains (one defined constant per step, so the text stays
                // linear in |A_k|); measured faster in Z3 than "bounds every key, equals one of them".
                Lin sum;
                mx = mn = key[attended[0]];
                for (std::size_t i = 0; i < attended.size(); ++i) {
                    const std::string& e = key[attended[i]];
                    sum.add(Rational(1, long(attended.size())), e);
                    if (i == 0) continue;
                    const bool last = i + 1 == attended.size();
                    mx = w.define(last ? fmt::format("{}_h{}_max{}", prefix, h, k) : fmt::format("{}_h{}_max{}_{}", prefix, h, k, i),
                                  "(ite (>= " + mx + " " + e + ") " + mx + " " + e + ")");
                    mn = w.define(last ? fmt::format("{}_h{}_min{}", prefix, h, k) : fmt::format("{}_h{}_min{}_{}", prefix, h, k, i),
                                  "(ite (<= " + mn + " " + e + ") " + mn + " " + e + ")");
                }
                mean = sum.str();
            }
            head_out[h][k] = w.define(fmt::format("{}_h{}_out{}", prefix, h, k),
                                      "(ite (> " + q + " 0.0) " + mx + " (ite (< " + q + " 0.0) " + mn + " " + mean + "))");
        }
    }
    State out = z;
    for (std::size_t k = 0; k < n; ++k)
        for (std::size_t r = 0; r < d; ++r) {
            Lin e;
            e.add(1, z[k][r]);
            bool changed = false;
            for (std::size_t h = 0; h < 2; ++h)
                if (active[h] && !att.heads[h].out[r].is_zero()) {
                    e.add(att.heads[h].out[r], head_out[h][k]);
                    changed = true;
                }
            if (changed) out[k][r] = w.define(fmt::format("{}_k{}_r{}", prefix, k, r), e.str());
        }
    return out;
}

// The theory's side of every claim (docs/theory.md section 4 (a), (b); docs/construction.md, "Constants").
struct Spec {
    std::uint32_t n = 0, d = 0, m = 0;
    Rational delta, half;           // 1/m, 1/(2m)
    std::vector<Rational> u;        // (1, m, ..., m^{d-1})
    Rational bucket;                // c_d = sum u
    Rational K;                     // delta^{-d}
    std::vector<Rational> offset;   // per token: gamma(1) -> n, gamma(i+1) -> i
    std::vector<std::uint32_t> position;  // per token: its index on the path
    std::vector<token_t> path;
    Rational S, t_l, t_r;           // the construction's stated sentinel and code interval
};

Spec make_spec(const Construction& c) {
    Spec s;
    s.n = c.n;
    s.d = c.d;
    s.m = c.m;
    s.delta = Rational(1, c.m);
    s.half = Rational(1, 2LL * c.m);
    for (std::uint32_t r = 0; r < c.d; ++r) s.u.push_back(power(Rational(c.m), r));
    for (const auto& x : s.u) s.bucket += x;
    s.K = power(Rational(c.m), c.d);
    s.path = c.path;
    s.offset.assign(c.n, 0);
    s.position.assign(c.n, 0);
    for (std::uint32_t i = 0; i < c.n; ++i) {
        s.offset[c.path[i]] = i == 0 ? Rational(c.n) : Rational(i);
        s.position[c.path[i]] = i;
    }
    s.S = c.sentinel;
    s.t_l = c.t_l;
    s.t_r = c.t_r;
    return s;
}

// Grid inputs: entry (r, k) of a valid input lies in [g/m, (g+1)/m) with an integer g in
// [0, m - 1]; after the embedding and the quantization (the quantization obligations) the entry is
// o_k + g/m. The id of column k is then u . (o_k 1 + g_k/m) = o_k c_d + (u . g_k)/m.
struct Grid {
    std::vector<std::vector<std::string>> g;  // [k][r]: Int
    std::vector<std::string> id;              // [k]: Real
    std::vector<std::string> X;               // [i]: the id of path[i] after it is shifted (recurrence)
};

Grid declare_grid(Writer& w, const Spec& s, const std::string& prefix, std::vector<ShownValue>& shown,
                  const std::string& label) {
    Grid grid;
    grid.g.assign(s.n, std::vector<std::string>(s.d));
    for (std::uint32_t k = 0; k < s.n; ++k)
        for (std::uint32_t r = 0; r < s.d; ++r) {
            const std::string g = fmt::format("{}g_{}_{}", prefix, r, k);
            grid.g[k][r] = g;
            w.declare(g, "Int");
            w.assert_(fmt::format("(and (<= 0 {}) (<= {} {}))", g, g, s.m - 1));
            // The same domain as an explicit case split: redundant, but it lets the solvers' SAT
            // core pick grid cells instead of relying on branch and bound (Z3 4.8.12 timed out
            // after 60 s on all-max/across-inputs for fixed, n = 4, delta = 1/3 without it, and
            // answers in about a second with it).
            std::vector<std::string> cells;
            for (std::uint32_t v = 0; v < s.m; ++v) cells.push_back(fmt::format("(= {} {})", g, v));
            w.assert_(or_of(cells));
            shown.push_back({g, fmt::format("{}[{}][{}]", label, r, k), s.delta});
        }
    for (std::uint32_t k = 0; k < s.n; ++k) {
        Lin id;
        id.add(s.offset[k] * s.bucket);
        for (std::uint32_t r = 0; r < s.d; ++r) id.add(s.u[r] * s.delta, "(to_real " + grid.g[k][r] + ")");
        grid.id.push_back(w.define(fmt::format("{}id_{}", prefix, k), id.str()));
    }
    return grid;
}

// X_0 = id(path[0]), X_i = id(path[i]) + K (X_{i-1} - id(path[i])) for i <= upto: the ids the
// selective-shift obligations prove (docs/theory.md section 4 (b), the sweep).
void define_path_ids(Writer& w, const Spec& s, Grid& grid, const std::string& prefix, std::uint32_t upto) {
    grid.X.clear();
    grid.X.push_back(w.define(prefix + "X_0", grid.id[s.path[0]]));
    for (std::uint32_t i = 1; i <= upto && i < s.n; ++i)
        grid.X.push_back(w.define(fmt::format("{}X_{}", prefix, i),
                                  Lin{}.add(Rational(1) - s.K, grid.id[s.path[i]]).add(s.K, grid.X[i - 1]).str()));
}

// The integer code u . g_k of column k (its grid column, 0 .. m^d - 1).
std::string code_of(const Spec& s, const Grid& grid, std::uint32_t k) {
    std::vector<std::string> terms;
    for (std::uint32_t r = 0; r < s.d; ++r)
        terms.push_back(s.u[r] == Rational(1) ? grid.g[k][r] : "(* " + smt_int(s.u[r]) + " " + grid.g[k][r] + ")");
    return terms.size() == 1 ? terms[0] : "(+ " + join(terms, " ") + ")";
}

// The state of a valid input just before the shift layer for path position i and bucket value
// index a (a = m^d, i = n - 1: after the sweep): path[0..i-1] shifted (row 0 carries X_j - id),
// path[i] shifted when its code is below a, the others as quantized.
State sweep_state(Writer& w, const Spec& s, const Grid& grid, std::uint32_t i, std::uint64_t a, const std::string& prefix) {
    State z(s.n, Column(s.d));
    for (std::uint32_t k = 0; k < s.n; ++k)
        for (std::uint32_t r = 0; r < s.d; ++r) {
            Lin e;
            e.add(s.offset[k]).add(s.delta, "(to_real " + grid.g[k][r] + ")");
            const std::uint32_t pos = s.position[k];
            if (r == 0 && pos >= 1 && pos < i) e.add(1, grid.X[pos]).add(-1, grid.id[k]);
            if (r == 0 && pos >= 1 && pos == i)
                e.add(1, fmt::format("(ite (< {} {}) (- {} {}) 0.0)", code_of(s, grid, k), a, grid.X[pos], grid.id[k]));
            z[k][r] = w.define(fmt::format("{}z_{}_{}", prefix, r, k), e.str());
        }
    return z;
}

std::string header(const Construction& c, const std::string& name, const std::string& claim, const std::string& logic,
                   const std::string& notes) {
    Writer w;
    w.comment("sparsecert proof obligation " + name);
    w.comment(fmt::format("construction of Yun et al. 2020 (theorems/yun2020.json; docs/theory.md section 4) for the pattern "
                          "{} (n = {}, p = {}), d = {}, delta = 1/{}, path {}",
                          c.pattern_name, c.n, c.p, c.d, c.m,
                          join([&] {
                              std::vector<std::string> v;
                              for (auto k : c.path) v.push_back(std::to_string(k));
                              return v;
                          }(), " -> ")));
    w.comment("claim: " + claim);
    if (!notes.empty()) w.comment(notes);
    w.comment("The network's behaviour below is generated from its weights; the last assertion is the negation of\n"
              "the claim: unsat proves the claim, a model is an input that breaks it. Generated by `sparsecert prove`\n"
              "(docs/prove.md).");
    return w.text() + "(set-logic " + logic + ")\n";
}

Obligation finish(const Construction& c, std::string name, std::string claim, std::string logic, const Writer& body,
                  std::vector<ShownValue> shown, const std::string& notes = "") {
    Obligation o;
    o.smt2 = header(c, name, claim, logic, notes) + body.text() + "(check-sat)\n";
    o.name = std::move(name);
    o.claim = std::move(claim);
    o.logic = std::move(logic);
    o.shown = std::move(shown);
    return o;
}

[[noreturn]] void layout_error(const std::string& what) {
    throw std::logic_error("obligations: the network does not have the layout build_contextual_mapping documents: " + what);
}

const FeedForward& feed_forward_at(const Construction& c, std::size_t t) {
    const auto* ff = std::get_if<FeedForward>(&c.network.layers.at(t).op);
    if (!ff) layout_error(fmt::format("layer {} is not a feed-forward layer", t));
    return *ff;
}

const AttentionLayer& attention_at(const Construction& c, std::size_t t) {
    const auto* att = std::get_if<AttentionLayer>(&c.network.layers.at(t).op);
    if (!att) layout_error(fmt::format("layer {} is not an attention layer", t));
    return *att;
}

// (a) One quantization layer on one column x in R^d.
Obligation quantization_layer(const Construction& c, const Spec& s, std::size_t t) {
    const std::size_t q = t - c.quantization.first;
    const FeedForward& ff = feed_forward_at(c, t);
    Writer w;
    std::vector<ShownValue> shown;
    Column x(s.d);
    for (std::uint32_t r = 0; r < s.d; ++r) {
        x[r] = fmt::format("x_{}", r);
        w.declare(x[r], "Real");
        shown.push_back({x[r], fmt::format("x[{}]", r)});
    }
    const Column out = apply_feed_forward(w, x, ff, "L");
    for (std::uint32_t r = 0; r < s.d; ++r)
        if (out[r] != x[r]) shown.push_back({out[r], fmt::format("out[{}]", r)});
    std::uint32_t row;
    std::string claim, inside;
    Rational target;
    bool sentinel = q < s.d;
    if (sentinel) {
        row = std::uint32_t(q);
        inside = fmt::format("(and (<= 1.0 {}) (< {} {}))", x[row], x[row], smt_real(Rational(s.n + 1)));
        target = s.S;
        claim = fmt::format("layer {} (sentinel, row {}): an entry in [1, {}) is kept, every other real entry becomes S = {}; "
                            "the other rows are kept",
                            t, row, s.n + 1, s.S.str());
    } else {
        const std::uint64_t j = (q - s.d) % (std::uint64_t(s.n) * s.m);
        row = std::uint32_t((q - s.d) / (std::uint64_t(s.n) * s.m));
        const Rational cell = Rational(1) + Rational(static_cast<long long>(j), s.m);
        inside = fmt::format("(and (<= {} {}) (< {} {}))", smt_real(cell), x[row], x[row], smt_real(cell + s.delta));
        target = cell;
        claim = fmt::format("layer {} (row {}): every real entry in [{}, {}) becomes {}; every other entry, and the other "
                            "rows, are kept",
                            t, row, cell.str(), (cell + s.delta).str(), cell.str());
    }
    std::vector<std::string> parts;
    for (std::uint32_t r = 0; r < s.d; ++r) {
        if (r != row) {
            parts.push_back("(= " + out[r] + " " + x[r] + ")");
            continue;
        }
        if (sentinel) {
            parts.push_back("(=> " + inside + " (= " + out[r] + " " + x[r] + "))");
            parts.push_back("(=> (not " + inside + ") (= " + out[r] + " " + smt_real(target) + "))");
        } else {
            parts.push_back("(=> " + inside + " (= " + out[r] + " " + smt_real(target) + "))");
            parts.push_back("(=> (not " + inside + ") (= " + out[r] + " " + x[r] + "))");
        }
    }
    w.comment("negated claim");
    w.assert_("(not " + and_of(parts) + ")");
    return finish(c, fmt::format("quantization/layer-{}", t), claim, "QF_LRA", w, shown,
                  "x_r: the column entering the layer (any real values).");
}

// (a) The embedding and every quantization layer, for one token's column of a real input.
Obligation quantization_token(const Construction& c, const Spec& s, std::uint32_t k) {
    Writer w;
    std::vector<ShownValue> shown;
    Column x(s.d);
    for (std::uint32_t r = 0; r < s.d; ++r) {
        const std::string raw = fmt::format("X_{}", r);
        w.declare(raw, "Real");
        shown.push_back({raw, fmt::format("X[{}][{}]", r, k)});
        x[r] = w.define(fmt::format("e_{}", r), Lin{}.add(1, raw).add(c.network.embedding.at(r, k)).str());
    }
    for (std::size_t t = c.quantization.first; t < c.quantization.last; ++t)
        x = apply_feed_forward(w, x, feed_forward_at(c, t), fmt::format("L{}", t));
    std::vector<std::string> parts;
    for (std::uint32_t r = 0; r < s.d; ++r) {
        shown.push_back({x[r], fmt::format("out[{}]", r)});
        const std::string y = Lin{}.add(1, fmt::format("X_{}", r)).add(s.offset[k]).str();
        for (std::uint64_t j = 0; j < std::uint64_t(s.n) * s.m; ++j) {
            const Rational cell = Rational(1) + Rational(static_cast<long long>(j), s.m);
            parts.push_back(fmt::format("(=> (and (<= {} {}) (< {} {})) (= {} {}))", smt_real(cell), y, y,
                                        smt_real(cell + s.delta), x[r], smt_real(cell)));
        }
        parts.push_back(fmt::format("(=> (or (< {} 1.0) (>= {} {})) (= {} {}))", y, y, smt_real(Rational(s.n + 1)), x[r],
                                    smt_real(s.S)));
    }
    w.comment("negated claim");
    w.assert_("(not " + and_of(parts) + ")");
    return finish(c, fmt::format("quantization/token-{}", k),
                  fmt::format("embedding and layers {}..{} on token {} (offset {}): every real entry x with x + {} in a cell "
                              "[1 + j/{}, 1 + (j+1)/{}) of [1, {}) becomes 1 + j/{}, any other becomes S = {}",
                              c.quantization.first, c.quantization.last - 1, k, s.offset[k].str(), s.offset[k].str(), s.m,
                              s.m, s.n + 1, s.m, s.S.str()),
                  "QF_LRA", w, shown, "X_r: the raw input entry (any real value); e_r = X_r + E[r][k].");
}

// (b) One selective-shift layer, on every state the sweep reaches for a valid input.
Obligation shift_layer(const Construction& c, const Spec& s, const Pattern& pattern, std::size_t t, std::uint32_t i,
                       std::uint64_t a) {
    const AttentionLayer& att = attention_at(c, t);
    Writer w;
    std::vector<ShownValue> shown;
    Grid grid = declare_grid(w, s, "", shown, "X");
    define_path_ids(w, s, grid, "", i);
    const State z = sweep_state(w, s, grid, i, a, "");
    const State out = apply_attention(w, z, att, pattern.layers.at(att.pattern), "L", t);
    const token_t target = s.path[i], previous = s.path[i - 1];
    const Rational v = Rational(i) * s.bucket + Rational(static_cast<long long>(a), s.m);
    const std::string id_target = dot(s.u, z[target]).str(), id_previous = dot(s.u, z[previous]).str();
    std::vector<std::string> parts;
    for (std::uint32_t k = 0; k < s.n; ++k)
        for (std::uint32_t r = 0; r < s.d; ++r) {
            if (k == target && r == 0)
                parts.push_back(fmt::format("(= {} (+ {} (ite (= {} {}) (* {} (- {} {})) 0.0)))", out[k][r], z[k][r],
                                            id_target, smt_real(v), smt_real(s.K), id_previous, id_target));
            else
                parts.push_back("(= " + out[k][r] + " " + z[k][r] + ")");
            if (out[k][r] != z[k][r]) shown.push_back({out[k][r], fmt::format("out[{}][{}]", r, k)});
        }
    w.comment("negated claim");
    w.assert_("(not " + and_of(parts) + ")");
    return finish(c, fmt::format("shift/layer-{}", t),
                  fmt::format("layer {} (pattern {}, path position {}, v = {}): on every state the sweep reaches for a valid "
                              "input, only token {} changes, and only when its id is v: row 0 gains {} (id of token {} - v), "
                              "the max minus the min of its attended ids",
                              t, att.pattern, i, v.str(), target, s.K.str(), previous),
                  "QF_LIRA", w, shown,
                  fmt::format("g_r_k: the grid cell of input entry (r, k) (the entry is in [g/m, (g+1)/m)); z_r_k: the state "
                              "entering the layer, as the quantization and the earlier shift layers leave it: path tokens "
                              "before position {} shifted (X_j), token {} shifted iff its grid code is below {}.",
                              i, target, a));
}

// (b) The same layer never decreases an id, on every real state (used for inputs carrying the
// sentinel, whose states the exact obligations above do not describe).
Obligation shift_monotone(const Construction& c, const Spec& s, const Pattern& pattern, std::size_t t) {
    const AttentionLayer& att = attention_at(c, t);
    Writer w;
    std::vector<ShownValue> shown;
    State z(s.n, Column(s.d));
    for (std::uint32_t k = 0; k < s.n; ++k)
        for (std::uint32_t r = 0; r < s.d; ++r) {
            z[k][r] = fmt::format("z_{}_{}", r, k);
            w.declare(z[k][r], "Real");
            shown.push_back({z[k][r], fmt::format("Z[{}][{}]", r, k)});
        }
    const State out = apply_attention(w, z, att, pattern.layers.at(att.pattern), "L", t);
    std::vector<std::string> parts;
    for (std::uint32_t k = 0; k < s.n; ++k) parts.push_back("(>= " + dot(s.u, out[k]).str() + " " + dot(s.u, z[k]).str() + ")");
    w.comment("negated claim");
    w.assert_("(not " + and_of(parts) + ")");
    return finish(c, fmt::format("shift/layer-{}/monotone", t),
                  fmt::format("layer {}: on every real state, no column's id u . z decreases", t), "QF_LRA", w, shown,
                  "z_r_k: any real state entering the layer.");
}

// The all-max stage (and the padding before it) applied to a state.
State apply_all_max(Writer& w, const Construction& c, const Pattern& pattern, State z, const std::string& prefix) {
    for (std::size_t t = c.padding.first; t < c.all_max.last; ++t) {
        const auto& layer = c.network.layers[t];
        if (std::holds_alternative<IdentityLayer>(layer.op)) continue;
        const AttentionLayer& att = attention_at(c, t);
        z = apply_attention(w, z, att, pattern.layers.at(att.pattern), fmt::format("{}L{}", prefix, t), t);
    }
    return z;
}

std::vector<std::string> codes_of(Writer& w, const Spec& s, const State& z, const std::string& prefix) {
    std::vector<std::string> q;
    for (std::uint32_t k = 0; k < s.n; ++k) q.push_back(w.define(fmt::format("{}code_{}", prefix, k), dot(s.u, z[k]).str()));
    return q;
}

// (b) The sweep's final id is injective over the integer grid codes.
Obligation injective(const Construction& c, const Spec& s) {
    Writer w;
    std::vector<ShownValue> shown;
    Grid a = declare_grid(w, s, "a_", shown, "X");
    Grid b = declare_grid(w, s, "b_", shown, "X'");
    define_path_ids(w, s, a, "a_", s.n - 1);
    define_path_ids(w, s, b, "b_", s.n - 1);
    shown.push_back({a.X.back(), "final id of X"});
    std::vector<std::string> differ;
    for (std::uint32_t k = 0; k < s.n; ++k)
        for (std::uint32_t r = 0; r < s.d; ++r) differ.push_back("(not (= " + a.g[k][r] + " " + b.g[k][r] + "))");
    w.comment("negated claim: two different grid inputs with the same final id");
    w.assert_(or_of(differ));
    w.assert_("(= " + a.X.back() + " " + b.X.back() + ")");
    return finish(c, "sweep/injective",
                  fmt::format("the id of the last path token after the sweep, X_{} = K^{} id_0 - (K-1) sum_i K^({}-i) id_i "
                              "with K = {}, differs for any two different grid inputs",
                              s.n - 1, s.n - 1, s.n - 1, s.K.str()),
                  "QF_LIRA", w, shown,
                  "a_g_r_k, b_g_r_k: the grid cells of two inputs; X_i: the ids the shift obligations prove.");
}

enum class Separation { within, across, interval };

// (b) The separation of the all-max stage, on valid inputs (the state after the sweep as the shift
// obligations prove it).
Obligation all_max_valid(const Construction& c, const Spec& s, const Pattern& pattern, Separation kind) {
    Writer w;
    std::vector<ShownValue> shown;
    const bool two = kind == Separation::across;
    std::vector<std::vector<std::string>> codes;
    for (int copy = 0; copy < (two ? 2 : 1); ++copy) {
        const std::string prefix = two ? (copy == 0 ? "a_" : "b_") : "";
        Grid grid = declare_grid(w, s, prefix, shown, copy == 0 ? "X" : "X'");
        define_path_ids(w, s, grid, prefix, s.n - 1);
        const State z = sweep_state(w, s, grid, s.n, 0, prefix);
        codes.push_back(codes_of(w, s, apply_all_max(w, c, pattern, z, prefix), prefix));
        for (std::uint32_t k = 0; k < s.n; ++k)
            shown.push_back({codes.back()[k], fmt::format("code of token {}{}", k, copy == 0 ? "" : " in X'")});
    }
    std::vector<std::string> bad;
    std::string name, claim;
    if (kind == Separation::within) {
        for (std::uint32_t k = 0; k < s.n; ++k)
            for (std::uint32_t l = k + 1; l < s.n; ++l) bad.push_back("(= " + codes[0][k] + " " + codes[0][l] + ")");
        w.comment("negated claim: two tokens of one valid input with the same code");
        w.assert_(or_of(bad));
        name = "all-max/within-input";
        claim = "after the all-max stage the n codes u . z_k of every valid input are pairwise distinct";
    } else if (kind == Separation::across) {
        std::vector<std::string> differ;
        for (std::uint32_t k = 0; k < s.n; ++k)
            for (std::uint32_t r = 0; r < s.d; ++r)
                differ.push_back(fmt::format("(not (= a_g_{}_{} b_g_{}_{}))", r, k, r, k));
        for (std::uint32_t k = 0; k < s.n; ++k)
            for (std::uint32_t l = 0; l < s.n; ++l) bad.push_back("(= " + codes[0][k] + " " + codes[1][l] + ")");
        w.comment("negated claim: two different valid inputs sharing a code");
        w.assert_(or_of(differ));
        w.assert_(or_of(bad));
        name = "all-max/across-inputs";
        claim = "two different valid inputs share no code after the all-max stage";
    } else {
        for (std::uint32_t k = 0; k < s.n; ++k) {
            bad.push_back(fmt::format("(< {} {})", codes[0][k], smt_real(s.t_l)));
            bad.push_back(fmt::format("(> {} {})", codes[0][k], smt_real(s.t_r)));
        }
        w.comment("negated claim: a code of a valid input outside [t_l, t_r]");
        w.assert_(or_of(bad));
        name = "all-max/interval";
        claim = fmt::format("every code of every valid input lies in [t_l, t_r] = [{}, {}]", s.t_l.str(), s.t_r.str());
    }
    return finish(c, name, claim, "QF_LIRA", w, shown,
                  "g_r_k: grid cells of the input; z_r_k: the state after the sweep, as the shift obligations prove it; "
                  "code_k = u . z_k after the all-max layers (built from their weights).");
}

// (b) Inputs carrying the sentinel: every id is >= 1 (quantized entries are >= 1 or S, and the
// sweep never decreases an id: the monotone obligations) and the sentinel column's id is >= S.
Obligation all_max_sentinel(const Construction& c, const Spec& s, const Pattern& pattern) {
    Writer w;
    std::vector<ShownValue> shown;
    State z(s.n, Column(s.d));
    for (std::uint32_t k = 0; k < s.n; ++k)
        for (std::uint32_t r = 0; r < s.d; ++r) {
            z[k][r] = fmt::format("z_{}_{}", r, k);
            w.declare(z[k][r], "Real");
            shown.push_back({z[k][r], fmt::format("Z[{}][{}]", r, k)});
        }
    std::vector<std::string> positive, carries;
    for (std::uint32_t k = 0; k < s.n; ++k) {
        const std::string id = dot(s.u, z[k]).str();
        positive.push_back("(>= " + id + " 1.0)");
        carries.push_back("(>= " + id + " " + smt_real(s.S) + ")");
    }
    w.comment("the states entering the all-max stage from an input carrying the sentinel");
    w.assert_(and_of(positive));
    w.assert_(or_of(carries));
    const auto codes = codes_of(w, s, apply_all_max(w, c, pattern, z, ""), "");
    const Rational bound = s.t_r + s.half;
    std::vector<std::string> bad;
    for (std::uint32_t k = 0; k < s.n; ++k) {
        bad.push_back(fmt::format("(< {} {})", codes[k], smt_real(bound)));
        shown.push_back({codes[k], fmt::format("code of token {}", k)});
    }
    w.comment("negated claim: a code below t_r + delta/2");
    w.assert_(or_of(bad));
    return finish(c, "all-max/sentinel",
                  fmt::format("every state with all ids >= 1 and one id >= S = {} gets every code >= t_r + delta/2 = {} "
                              "(outside [t_l, t_r] and the value mapping's window)",
                              s.S.str(), bound.str()),
                  "QF_LRA", w, shown, "z_r_k: any real state entering the all-max stage with those ids.");
}

// Step 3: the four-ReLU form of one phi, exactly as the real network g builds it (relu_form with
// g's ramp width), equals phi outside its ramps [c - epsilon, c), one per jump of phi.
Obligation relu(const Construction& c, const Phi& phi, const Rational& epsilon, std::size_t index,
                const std::vector<std::size_t>& layers) {
    const ReluActivation form = relu_form(phi, epsilon);
    Writer w;
    std::vector<ShownValue> shown{{"t", "t"}};
    w.declare("t", "Real");
    std::vector<std::string> outside, intervals;
    for (const auto& [lo, hi] : form.ramps) {
        outside.push_back(fmt::format("(or (< t {}) (>= t {}))", smt_real(lo), smt_real(hi)));
        intervals.push_back(fmt::format("[{}, {})", lo.str(), hi.str()));
    }
    const std::string p = w.define("phi_t", phi_expr(phi, "t"));
    const std::string f = w.define("relu_t", relu_expr(form, "t"));
    shown.push_back({p, "phi(t)"});
    shown.push_back({f, "four-ReLU form(t), as g runs it"});
    w.comment("t outside the ramps");
    if (!outside.empty()) w.assert_(and_of(outside));
    w.comment("negated claim");
    w.assert_("(not (= " + f + " " + p + "))");
    std::vector<std::string> breakpoints;
    for (const auto& b : phi.breakpoints) breakpoints.push_back(b.str());
    return finish(c, fmt::format("relu/phi-{}", index),
                  fmt::format("the four-ReLU form g runs (relu_form, ramp width {}) of the phi of layer {}{} "
                              "(breakpoints {}) equals phi for every real t outside {}",
                              epsilon.str(), layers.front(),
                              layers.size() > 1 ? fmt::format(" and {} more", layers.size() - 1) : "",
                              breakpoints.empty() ? "none" : join(breakpoints, ", "),
                              intervals.empty() ? "no interval" : join(intervals, " and ")),
                  "QF_LRA", w, shown, "relu_form.hpp gives the formula.");
}

// The distinct phis of the network's feed-forward layers, in order of first use.
std::vector<std::pair<Phi, std::vector<std::size_t>>> distinct_phis(const Network& net) {
    std::vector<std::pair<Phi, std::vector<std::size_t>>> phis;
    for (std::size_t t = 0; t < net.layers.size(); ++t) {
        const auto* ff = std::get_if<FeedForward>(&net.layers[t].op);
        if (!ff) continue;
        auto it = std::find_if(phis.begin(), phis.end(), [&](const auto& e) { return e.first == ff->phi; });
        if (it == phis.end()) phis.push_back({ff->phi, {t}});
        else it->second.push_back(t);
    }
    return phis;
}

// The layout checks and the (position, value index) of every shift layer.
struct SweepLayer {
    std::size_t layer;
    std::uint32_t position;
    std::uint64_t a;
};

std::vector<SweepLayer> check_layout(const Construction& c) {
    const std::uint64_t per_row = std::uint64_t(c.n) * c.m + 1;
    if (c.quantization.first != 0 || c.quantization.size() != std::uint64_t(c.d) * per_row)
        layout_error(fmt::format("{} quantization layers, expected d (n m + 1) = {}", c.quantization.size(),
                                 std::uint64_t(c.d) * per_row));
    if (c.sweep.first != c.quantization.last || c.padding.first != c.sweep.last || c.all_max.first != c.padding.last ||
        c.all_max.last > c.network.layers.size() || c.path.size() != c.n || c.network.embedding.rows != c.d ||
        c.network.embedding.cols != c.n)
        layout_error("stage spans, path or embedding");
    std::uint64_t per_bucket = 1;
    for (std::uint32_t r = 0; r < c.d; ++r) per_bucket *= c.m;
    std::vector<SweepLayer> steps;
    std::vector<std::uint64_t> seen(c.n, 0);
    for (const auto& step : c.sweep_steps) {
        if (step.layer < c.sweep.first || step.layer >= c.sweep.last || step.position < 1 || step.position >= c.n)
            layout_error(fmt::format("sweep step at layer {}", step.layer));
        steps.push_back({step.layer, step.position, seen[step.position]++});
    }
    for (std::uint32_t i = 1; i < c.n; ++i)
        if (seen[i] != per_bucket) layout_error(fmt::format("path position {} has {} shift layers, expected m^d = {}", i, seen[i], per_bucket));
    for (std::size_t t = c.sweep.first; t < c.sweep.last; ++t) {
        const bool step = std::any_of(steps.begin(), steps.end(), [&](const SweepLayer& s) { return s.layer == t; });
        if (!step && !std::holds_alternative<IdentityLayer>(c.network.layers[t].op))
            layout_error(fmt::format("layer {} of the sweep is neither a shift layer nor an identity layer", t));
    }
    for (std::size_t t = c.padding.first; t < c.padding.last; ++t)
        if (!std::holds_alternative<IdentityLayer>(c.network.layers[t].op))
            layout_error(fmt::format("padding layer {} is not an identity layer", t));
    if (c.all_max.size() != c.s) layout_error(fmt::format("{} all-max layers, s = {}", c.all_max.size(), c.s));
    return steps;
}

}  // namespace

std::string obligation_file_stem(const std::string& name) {
    std::string stem = name;
    for (char& ch : stem)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') ch = '-';
    return stem;
}

std::size_t obligation_count(const Construction& c) {
    return c.quantization.size() + c.n + 2 * c.sweep_steps.size() + 1 + 4 + distinct_phis(c.network).size();
}

std::vector<Obligation> generate_obligations(const Construction& c, const Pattern& pattern, const ObligationOptions& options) {
    validate(c.network, &pattern);
    const std::vector<SweepLayer> steps = check_layout(c);
    const Spec s = make_spec(c);
    std::vector<Obligation> out;
    for (std::size_t t = c.quantization.first; t < c.quantization.last; ++t) out.push_back(quantization_layer(c, s, t));
    for (std::uint32_t k = 0; k < c.n; ++k) out.push_back(quantization_token(c, s, k));
    for (const auto& step : steps) {
        out.push_back(shift_layer(c, s, pattern, step.layer, step.position, step.a));
        out.push_back(shift_monotone(c, s, pattern, step.layer));
    }
    out.push_back(injective(c, s));
    out.push_back(all_max_valid(c, s, pattern, Separation::within));
    out.push_back(all_max_valid(c, s, pattern, Separation::across));
    out.push_back(all_max_valid(c, s, pattern, Separation::interval));
    out.push_back(all_max_sentinel(c, s, pattern));
    const Rational epsilon = options.relu_epsilon.value_or(Rational(1, 4LL * c.m));
    const auto phis = distinct_phis(c.network);
    for (std::size_t i = 0; i < phis.size(); ++i) out.push_back(relu(c, phis[i].first, epsilon, i, phis[i].second));
    return out;
}

}  // namespace sparsecert
