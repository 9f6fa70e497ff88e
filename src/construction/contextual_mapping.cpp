#include "sparsecert/construction/contextual_mapping.hpp"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>
#include <omp.h>

#include "construction/network_engine.hpp"

namespace sparsecert {

namespace {

using detail::IntForm;
using detail::IntNetwork;
using detail::IntState;
using detail::Scratch;

// ---------------------------------------------------------------------------------------------
// Inputs: digit vectors, entry e = (row e % d, column e / d). A digit a < m is the grid value a/m;
// in the sentinel sets the digit m stands for the sentinel S (an entry outside the valid range).

struct Inputs {
    std::uint32_t entries = 0;
    bool exhaustive = false;
    std::vector<std::uint32_t> digits;
    std::size_t count() const { return entries ? digits.size() / entries : 0; }
    const std::uint32_t* at(std::size_t i) const { return digits.data() + i * entries; }
};

// SplitMix64 (the same generator as families::SplitMix64; private so that checks do not depend
// on another module's implementation).
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::uint32_t below(std::uint32_t bound) {  // bound is small: the modulo bias is < 2^-32
        return std::uint32_t(next() % bound);
    }
};

mpz_class ipow(std::uint64_t b, std::uint64_t e) {
    mpz_class r;
    mpz_ui_pow_ui(r.get_mpz_t(), b, e);
    return r;
}

void dedupe(Inputs& in) {
    const std::size_t e = in.entries, count = in.count();
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), 0);
    auto less = [&](std::size_t a, std::size_t b) {
        return std::lexicographical_compare(in.at(a), in.at(a) + e, in.at(b), in.at(b) + e);
    };
    std::sort(order.begin(), order.end(), less);
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0 && std::equal(in.at(order[i]), in.at(order[i]) + e, in.at(order[i - 1]))) continue;
        out.insert(out.end(), in.at(order[i]), in.at(order[i]) + e);
    }
    in.digits = std::move(out);
}

// Valid grid inputs: all m^{dn} (digit vectors in counting order, entry 0 fastest) or a sample.
Inputs valid_inputs(std::uint32_t d, std::uint32_t n, std::uint32_t m, const CheckOptions& o) {
    Inputs in;
    in.entries = d * n;
    const mpz_class total = ipow(m, in.entries);
    in.exhaustive = total <= o.exhaustive_limit;
    if (in.exhaustive) {
        const std::uint64_t count = total.get_ui();
        in.digits.resize(count * in.entries);
        std::vector<std::uint32_t> digit(in.entries, 0);
        for (std::uint64_t i = 0; i < count; ++i) {
            std::copy(digit.begin(), digit.end(), in.digits.begin() + i * in.entries);
            for (std::uint32_t e = 0; e < in.entries && ++digit[e] == m; ++e) digit[e] = 0;
        }
    } else {
        Rng rng{o.seed};
        in.digits.resize(o.sample_size * in.entries);
        for (auto& x : in.digits) x = rng.below(m);
        dedupe(in);
    }
    return in;
}

// Inputs carrying the sentinel: digit vectors over {0..m} with at least one digit m.
Inputs sentinel_inputs(std::uint32_t d, std::uint32_t n, std::uint32_t m, const CheckOptions& o) {
    Inputs in;
    in.entries = d * n;
    const mpz_class total = ipow(m + 1, in.entries) - ipow(m, in.entries);
    // Enumerated by filtering all (m+1)^{dn} digit vectors, so that count must stay moderate too.
    in.exhaustive = total <= o.exhaustive_limit && ipow(m + 1, in.entries) <= 4 * mpz_class(o.exhaustive_limit);
    if (in.exhaustive) {
        const std::uint64_t all = ipow(m + 1, in.entries).get_ui();
        std::vector<std::uint32_t> digit(in.entries, 0);
        for (std::uint64_t i = 0; i < all; ++i) {
            if (std::find(digit.begin(), digit.end(), m) != digit.end())
                in.digits.insert(in.digits.end(), digit.begin(), digit.end());
            for (std::uint32_t e = 0; e < in.entries && ++digit[e] == m + 1; ++e) digit[e] = 0;
        }
    } else {
        Rng rng{o.seed ^ 0x5e471e1ull};
        in.digits.resize(o.sample_size * in.entries);
        for (std::size_t i = 0; i < o.sample_size; ++i) {
            std::uint32_t* x = in.digits.data() + i * in.entries;
            for (std::uint32_t e = 0; e < in.entries; ++e) x[e] = rng.below(m + 1);
            x[rng.below(in.entries)] = m;
        }
        dedupe(in);
    }
    return in;
}

// The raw grid input X (entries a/m).
Matrix grid_matrix(const std::uint32_t* digits, std::uint32_t d, std::uint32_t n, std::uint32_t m) {
    Matrix x(d, n);
    for (std::uint32_t k = 0; k < n; ++k)
        for (std::uint32_t r = 0; r < d; ++r) x.at(r, k) = Rational(digits[k * d + r], m);
    return x;
}

std::string show_input(const std::uint32_t* digits, std::uint32_t d, std::uint32_t n, std::uint32_t m) {
    std::string s = "[";
    for (std::uint32_t r = 0; r < d; ++r) {
        s += r ? ", [" : "[";
        for (std::uint32_t k = 0; k < n; ++k) {
            const std::uint32_t a = digits[k * d + r];
            s += (k ? ", " : "") + (a == m ? std::string("S") : Rational(a, m).str());
        }
        s += "]";
    }
    return s + "]";
}

Rational over(const mpz_class& x, const mpz_class& q) { return detail::to_rational(x, q); }

// r * q as an integer; r's denominator divides q wherever this is used (the engine's Q covers
// every constant of the network).
mpz_class scaled(const Rational& r, const mpz_class& q) {
    mpz_class out;
    if (!mpz_divisible_p(q.get_mpz_t(), r.denominator())) throw std::logic_error("scaled: denominator does not divide Q");
    mpz_divexact(out.get_mpz_t(), q.get_mpz_t(), r.denominator());
    out *= detail::to_mpz(r.numerator());
    return out;
}

IntForm int_form(const std::vector<Rational>& v) {
    IntForm f;
    for (std::uint32_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_integer()) throw std::logic_error("u is not integral");
        if (!v[i].is_zero()) f.terms.emplace_back(i, detail::to_mpz(v[i].numerator()));
    }
    return f;
}

// Collects failures from many threads in a deterministic order (by key), keeping the first few and
// the first of every kind of check, so that each failing check can name its failure.
class FailureLog {
public:
    explicit FailureLog(std::size_t keep) : keep_(keep) {}
    void add(std::uint64_t key, Failure f) {
#pragma omp critical(sparsecert_failure_log)
        {
            ++count_;
            items_.emplace_back(key, std::move(f));
            if (items_.size() > 4 * keep_ + 16) trim();
        }
    }
    std::uint64_t count() const { return count_; }
    void drain_into(std::vector<Failure>& out, std::uint64_t& total) {
        trim();
        total += count_;
        for (auto& [k, f] : items_) out.push_back(std::move(f));
        items_.clear();
    }

private:
    void trim() {
        std::stable_sort(items_.begin(), items_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<std::pair<std::uint64_t, Failure>> kept;
        std::vector<std::string> kinds;
        for (auto& item : items_) {
            const bool new_kind = std::find(kinds.begin(), kinds.end(), item.second.check) == kinds.end();
            if (kept.size() < keep_ || new_kind) {
                if (new_kind) kinds.push_back(item.second.check);
                kept.push_back(std::move(item));
            }
        }
        items_ = std::move(kept);
    }
    std::size_t keep_;
    std::uint64_t count_ = 0;
    std::vector<std::pair<std::uint64_t, Failure>> items_;
};

// Drives a parallel loop over `count` items with progress from the master thread. Every thread
// works on its own copy of `body` (its state and scratch space).
template <class Body>
void parallel_items(std::size_t count, const Progress& progress, const std::string& stage, const Body& body) {
    std::atomic<std::size_t> done{0};
#pragma omp parallel
    {
        Body local = body;
        local.init();
#pragma omp for schedule(dynamic, 8)
        for (std::size_t i = 0; i < count; ++i) {
            // An exception must not leave an OpenMP region: it becomes a failure of the check.
            try {
                local(i);
            } catch (const std::exception& e) {
                local.error(i, e.what());
            }
            const std::size_t now = ++done;
            if (progress && omp_get_thread_num() == 0) report(progress, stage, double(now) / double(count));
        }
    }
}

// S_k after the patterns of `layers` (in order), from the definition; true when all are [n].
bool reaches_all(const Pattern& pattern, const std::vector<std::uint32_t>& layers) {
    const std::size_t n = pattern.n;
    std::vector<std::vector<bool>> cur(n, std::vector<bool>(n, false));
    if (layers.empty()) return n <= 1;
    for (std::size_t k = 0; k < n; ++k)
        for (auto j : pattern.layers[layers[0]].attended(token_t(k))) cur[k][j] = true;
    for (std::size_t t = 1; t < layers.size(); ++t) {
        std::vector<std::vector<bool>> next(n, std::vector<bool>(n, false));
        for (std::size_t k = 0; k < n; ++k)
            for (auto j : pattern.layers[layers[t]].attended(token_t(k)))
                for (std::size_t i = 0; i < n; ++i)
                    if (cur[j][i]) next[k][i] = true;
        cur.swap(next);
    }
    for (const auto& row : cur)
        if (std::find(row.begin(), row.end(), false) != row.end()) return false;
    return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// (a) Quantization: the entry-wise maps composed exactly over the real line.

QuantizationCheck check_quantization(const Construction& c, std::vector<Failure>* failures) {
    QuantizationCheck result;
    result.holds = true;
    auto fail = [&](std::size_t layer, std::string what) {
        result.holds = false;
        if (failures) failures->push_back({"quantization", "", layer, std::move(what)});
    };
    const Network& net = c.network;
    const Rational one(1), top(c.n + 1), delta(1, c.m);
    // A piece of the composed map: x in [lo, hi) -> alpha x + beta (an absent bound is infinite).
    struct Piece {
        std::optional<Rational> lo, hi;
        Rational alpha, beta;
    };
    for (std::uint32_t r = 0; r < c.d; ++r) {
        std::vector<Piece> pieces{{std::nullopt, std::nullopt, Rational(1), Rational(0)}};
        for (std::size_t t = c.quantization.first; t < c.quantization.last; ++t) {
            const auto* ff = std::get_if<FeedForward>(&net.layers[t].op);
            if (!ff) {
                fail(t, "not a feed-forward layer");
                return result;
            }
            // Entry-wise on one row: w1 = a e_row, w2 = b e_row.
            std::optional<std::uint32_t> row1, row2;
            for (std::uint32_t i = 0; i < c.d; ++i) {
                if (!ff->w1[i].is_zero()) row1 = row1 ? c.d : i;
                if (!ff->w2[i].is_zero()) row2 = row2 ? c.d : i;
            }
            if (!row1 || !row2 || *row1 != *row2 || *row1 == c.d) {
                fail(t, "the layer is not entry-wise (w1 and w2 must be multiples of the same e_i)");
                return result;
            }
            if (*row1 != r) continue;
            const Rational& a = ff->w1[r];
            const Rational& b = ff->w2[r];
            std::vector<Piece> next;
            for (const Piece& pc : pieces) {
                // t(x) = a (alpha x + beta) + b1.
                const Rational slope = a * pc.alpha, offset = a * pc.beta + ff->b1;
                std::vector<Piece> parts;
                if (slope.is_zero()) {
                    parts.push_back(pc);
                } else if (slope.sign() > 0) {
                    // Split where t(x) crosses a breakpoint (t increasing keeps [lo, hi) half-open).
                    std::optional<Rational> lo = pc.lo;
                    for (const auto& bp : ff->phi.breakpoints) {
                        const Rational x = (bp - offset) / slope;
                        if ((lo && x <= *lo) || (pc.hi && x >= *pc.hi)) continue;
                        parts.push_back({lo, x, pc.alpha, pc.beta});
                        lo = x;
                    }
                    parts.push_back({lo, pc.hi, pc.alpha, pc.beta});
                } else {
                    fail(t, "a decreasing composition (not supported by the exact 1-D check)");
                    return result;
                }
                for (Piece part : parts) {
                    // Evaluate the piece of phi that applies on this part (at any of its points).
                    const Rational sample = part.lo ? *part.lo : (part.hi ? *part.hi - Rational(1) : Rational(0));
                    const Rational tv = slope * sample + offset;
                    const LinearPiece& lp = ff->phi.pieces[ff->phi.piece_at(tv)];
                    // x' = alpha x + beta + b (sigma (slope x + offset) + tau).
                    part.alpha = pc.alpha + b * lp.slope * slope;
                    part.beta = pc.beta + b * (lp.slope * offset + lp.intercept);
                    next.push_back(std::move(part));
                }
            }
            pieces = std::move(next);
        }
        // Expected: x in [1 + j/m, 1 + (j+1)/m) -> 1 + j/m for x in [1, n + 1); S elsewhere.
        for (const Piece& pc : pieces) {
            ++result.cells_checked;
            const std::string where = fmt::format("row {}: entries in [{}, {})", r, pc.lo ? pc.lo->str() : "-inf",
                                                  pc.hi ? pc.hi->str() : "+inf");
            const bool below = pc.hi && *pc.hi <= one, above = pc.lo && *pc.lo >= top;
            Rational expected;
            if (below || above) {
                expected = c.sentinel;
            } else {
                if (!pc.lo || !pc.hi || *pc.lo < one || *pc.hi > top) {
                    fail(c.quantization.last - 1, where + " straddle the boundary of the valid range [1, n+1)");
                    continue;
                }
                expected = floor((*pc.lo) * Rational(c.m)) / Rational(c.m);
                if (*pc.hi > expected + delta) {
                    fail(c.quantization.last - 1, where + " span more than one grid cell");
                    continue;
                }
            }
            if (!pc.alpha.is_zero() || pc.beta != expected)
                fail(c.quantization.last - 1,
                     fmt::format("{} map to {} x + {}, expected {}", where, pc.alpha.str(), pc.beta.str(), expected.str()));
        }
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// The pipeline.

ConstructReport check_construction(Construction construction, const Pattern& pattern, const Target& target,
                                   const CheckOptions& o) {
    ConstructReport rep;
    rep.construction = std::move(construction);
    Construction& c = rep.construction;
    const std::uint32_t d = c.d, n = c.n, m = c.m;
    rep.target_name = target.name;
    rep.target_formula = target.formula;
    rep.lipschitz = target.lipschitz;
    rep.approximation_bound = approximation_bound(target, m);
    rep.target_exact = target.exact;
    rep.target_tolerance = target.tolerance;

    const Inputs valid = valid_inputs(d, n, m, o);
    if (std::uint64_t(valid.count()) * n > o.max_value_layers)
        throw NotApplicable(fmt::format("the value mapping would have {} x {} = {} layers (limit {}, --max-layers): lower m, d, n or the sample size",
                                        valid.count(), n, std::uint64_t(valid.count()) * n, o.max_value_layers));
    const std::size_t count = valid.count();
    auto& cm = rep.contextual_mapping;
    cm.grid_inputs = ipow(m, std::uint64_t(d) * n).get_str();
    cm.inputs_checked = count;
    cm.exhaustive = valid.exhaustive;
    FailureLog log(o.max_failures);

    // (a) quantization.
    {
        std::vector<Failure> qf;
        rep.quantization = check_quantization(c, &qf);
        for (auto& f : qf) log.add(0, std::move(f));
    }

    // (b) the sweep's invariants and the codes, on every checked input.
    c.network.layers.resize(c.all_max.last);
    std::string why;
    const auto eng = IntNetwork::compile(c.network, pattern, 1, &why);
    if (!eng) throw std::invalid_argument("the contextual mapping is not integral: " + why);
    const mpz_class& Q = eng->denominator();
    const IntForm u = int_form(c.u);
    struct StepBounds {
        mpz_class lo, hi;  // the window (v - delta/2, v + delta/2) * Q
    };
    std::vector<const SweepStep*> step_at(c.network.layers.size(), nullptr);
    std::vector<StepBounds> bounds(c.network.layers.size());
    const Rational half(1, 2LL * m);
    for (const auto& st : c.sweep_steps) {
        step_at[st.layer] = &st;
        bounds[st.layer] = {scaled(st.value - half, Q), scaled(st.value + half, Q)};
    }
    const mpz_class id_low = scaled(c.id_low, Q), id_high = scaled(c.id_high, Q);
    std::vector<mpz_class> codes(count * n);
    std::atomic<std::uint64_t> shift_failures{0};

    struct SweepBody {
        const Construction& c;
        const Pattern& pattern;
        const IntNetwork& eng;
        const IntForm& u;
        const Inputs& inputs;
        const std::vector<const SweepStep*>& step_at;
        const std::vector<StepBounds>& bounds;
        const mpz_class &id_low, &id_high;
        std::vector<mpz_class>& codes;
        FailureLog& log;
        std::atomic<std::uint64_t>& shift_failures;
        IntState state, expected;
        Scratch scratch;
        std::vector<mpz_class> ids;
        void init() { ids.resize(c.n); }
        void error(std::size_t i, const std::string& what) {
            ++shift_failures;
            log.add(i, {"selective_shift", show_input(inputs.at(i), c.d, c.n, c.m), std::nullopt,
                        "evaluation failed: " + what});
        }
        void operator()(std::size_t i) {
            const std::uint32_t d = c.d, n = c.n, m = c.m;
            const std::uint32_t* digits = inputs.at(i);
            auto failure = [&](const char* check, std::size_t layer, std::string what) {
                if (std::string(check) == "selective_shift") ++shift_failures;
                log.add(i, {check, show_input(digits, d, n, m), layer, std::move(what)});
            };
            const Matrix x = grid_matrix(digits, d, n, m);
            eng.load_input(x, state);
            expected = state;
            eng.run(state, c.quantization.first, c.quantization.last, scratch, false);
            if (state.x != expected.x) {
                for (std::uint32_t k = 0; k < n; ++k)
                    for (std::uint32_t r = 0; r < d; ++r)
                        if (state.column(k)[r] != expected.column(k)[r]) {
                            failure("quantization", c.quantization.last - 1,
                                    fmt::format("entry ({}, {}) of X + E is {} after quantization, expected {} (a grid "
                                                "point is its own cube's corner)",
                                                r, k, over(state.column(k)[r], eng.denominator()).str(),
                                                over(expected.column(k)[r], eng.denominator()).str()));
                            return;
                        }
            }
            std::vector<bool> shifted(n, false);
            bool ok = true;
            for (std::size_t t = c.sweep.first; t < c.sweep.last && ok; ++t) {
                if (const SweepStep* st = step_at[t]) {
                    for (std::uint32_t k = 0; k < n; ++k) u.dot(ids[k], state.column(k));
                    const token_t target = c.path[st->position], previous = c.path[st->position - 1];
                    const StepBounds& b = bounds[t];
                    for (std::uint32_t k = 0; k < n && ok; ++k) {
                        if (!(ids[k] > b.lo && ids[k] < b.hi)) continue;
                        if (k != target) {
                            failure("selective_shift", t,
                                    fmt::format("column {} (id {}) is in the window around {}, which is gamma({})'s = "
                                                "column {}'s",
                                                k, over(ids[k], eng.denominator()).str(), st->value.str(), st->position, target));
                            ok = false;
                            break;
                        }
                        if (shifted[st->position]) {
                            failure("selective_shift", t,
                                    fmt::format("column {} is in a window a second time (id {})", k,
                                                over(ids[k], eng.denominator()).str()));
                            ok = false;
                            break;
                        }
                        const Layer& layer = pattern.layers[std::get<AttentionLayer>(c.network.layers[t].op).pattern];
                        const auto attended = layer.attended(k);
                        token_t lo = attended[0], hi = attended[0];
                        for (auto j : attended) {
                            if (ids[j] < ids[lo]) lo = j;
                            if (ids[j] > ids[hi]) hi = j;
                        }
                        if (ids[lo] != ids[k]) {
                            failure("selective_shift", t,
                                    fmt::format("the attended min of column {} is {} (column {}), not its own id {}", k,
                                                over(ids[lo], eng.denominator()).str(), lo,
                                                over(ids[k], eng.denominator()).str()));
                            ok = false;
                        } else if (ids[hi] != ids[previous]) {
                            failure("selective_shift", t,
                                    fmt::format("the attended max of column {} is {} (column {}), not the previously "
                                                "shifted column {}'s id {}",
                                                k, over(ids[hi], eng.denominator()).str(), hi, previous,
                                                over(ids[previous], eng.denominator()).str()));
                            ok = false;
                        }
                        shifted[st->position] = true;
                    }
                }
                eng.apply(t, state, scratch);
            }
            if (!ok) return;
            for (std::uint32_t i2 = 1; i2 < n; ++i2)
                if (!shifted[i2]) {
                    failure("selective_shift", c.sweep.last - 1,
                            fmt::format("gamma({}) = column {} was never in a window", i2, c.path[i2]));
                    return;
                }
            for (std::uint32_t k = 0; k < n; ++k) u.dot(ids[k], state.column(k));
            for (std::uint32_t i2 = 1; i2 < n; ++i2)
                if (!(ids[c.path[i2]] > ids[c.path[i2 - 1]])) {
                    failure("selective_shift", c.sweep.last - 1,
                            fmt::format("after the sweep the ids do not increase along the path: id(gamma({})) = {} <= "
                                        "id(gamma({})) = {}",
                                        i2, over(ids[c.path[i2]], eng.denominator()).str(), i2 - 1,
                                        over(ids[c.path[i2 - 1]], eng.denominator()).str()));
                    return;
                }
            const mpz_class& top = ids[c.path[n - 1]];
            if (top < id_low || top > id_high) {
                failure("selective_shift", c.sweep.last - 1,
                        fmt::format("the largest id after the sweep is {}, outside the derived [{}, {}]",
                                    over(top, eng.denominator()).str(), c.id_low.str(), c.id_high.str()));
                return;
            }
            eng.run(state, c.sweep.last, c.all_max.last, scratch, false);
            for (std::uint32_t k = 0; k < n; ++k) u.dot(codes[i * n + k], state.column(k));
        }
    };
    {
        SweepBody body{c, pattern, *eng, u, valid, step_at, bounds, id_low, id_high, codes, log, shift_failures, {}, {}, {}, {}};
        parallel_items(count, o.progress, "contextual mapping: ", body);
    }
    rep.selective_shift.shift_layers = c.sweep_steps.size();
    rep.selective_shift.inputs_checked = count;
    rep.selective_shift.holds = shift_failures == 0;

    // The contextual-mapping properties over all codes.
    const std::uint64_t before_codes = log.count();
    {
        std::vector<std::size_t> order(count * n);
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const int cmpv = cmp(codes[a], codes[b]);
            return cmpv != 0 ? cmpv < 0 : a < b;
        });
        cm.codes = order.size();
        const mpz_class tl = scaled(c.t_l, Q), tr = scaled(c.t_r, Q);
        mpz_class gap = -1;
        for (std::size_t i = 0; i < order.size(); ++i) {
            const std::size_t a = order[i];
            if (codes[a] < tl || codes[a] > tr)
                log.add(a / n, {"contextual_mapping", show_input(valid.at(a / n), d, n, m), c.all_max.last - 1,
                                fmt::format("the code of column {} is {}, outside [t_l, t_r] = [{}, {}]", a % n,
                                            over(codes[a], Q).str(), c.t_l.str(), c.t_r.str())});
            if (i == 0) continue;
            const std::size_t b = order[i - 1];
            const mpz_class diff = codes[a] - codes[b];
            if (gap < 0 || diff < gap) gap = diff;
            if (diff != 0) continue;
            if (a / n == b / n)
                log.add(a / n, {"contextual_mapping", show_input(valid.at(a / n), d, n, m), c.all_max.last - 1,
                                fmt::format("columns {} and {} of the same input have the same code {}", b % n, a % n,
                                            over(codes[a], Q).str())});
            else
                log.add(a / n, {"contextual_mapping", show_input(valid.at(a / n), d, n, m), c.all_max.last - 1,
                                fmt::format("column {} has the code {}, which column {} of the input {} also has", a % n,
                                            over(codes[a], Q).str(), b % n, show_input(valid.at(b / n), d, n, m))});
        }
        if (!order.empty()) {
            cm.min_code = over(codes[order.front()], Q);
            cm.max_code = over(codes[order.back()], Q);
        }
        cm.min_gap = gap < 0 ? Rational(0) : over(gap, Q);
    }

    // S_k^s = [n] for the all-max layers as built (what the separation argument needs).
    {
        std::vector<std::uint32_t> pats;
        for (std::size_t t = c.all_max.first; t < c.all_max.last; ++t)
            pats.push_back(std::get<AttentionLayer>(c.network.layers[t].op).pattern);
        cm.reaches_all = reaches_all(pattern, pats);
        if (!cm.reaches_all)
            log.add(0, {"contextual_mapping", "", c.all_max.last - 1,
                        fmt::format("the {} all-max layers (patterns from {}) do not reach every token: S_k^s != [n]",
                                    pats.size(), c.all_max_phase)});
    }

    // Inputs carrying the sentinel: every code outside [t_l, t_r].
    {
        const Inputs sent = sentinel_inputs(d, n, m, o);
        cm.sentinel_inputs_checked = sent.count();
        cm.sentinel_exhaustive = sent.exhaustive;
        std::vector<mpz_class> min_code(sent.count());
        const mpz_class tl = scaled(c.t_l, Q), tr = scaled(c.t_r, Q);
        struct SentinelBody {
            const Construction& c;
            const IntNetwork& eng;
            const IntForm& u;
            const Inputs& inputs;
            const mpz_class &tl, &tr;
            std::vector<mpz_class>& min_code;
            FailureLog& log;
            std::uint64_t key_base;
            IntState state;
            Scratch scratch;
            mpz_class code;
            void init() {}
            void error(std::size_t i, const std::string& what) {
                log.add(key_base + i, {"sentinel", show_input(inputs.at(i), c.d, c.n, c.m), std::nullopt,
                                       "evaluation failed: " + what});
            }
            void operator()(std::size_t i) {
                const std::uint32_t d = c.d, n = c.n, m = c.m;
                const std::uint32_t* digits = inputs.at(i);
                // The quantized input: entries o_k + a/m, or S for the digit m.
                Matrix z(d, n);
                for (std::uint32_t k = 0; k < n; ++k)
                    for (std::uint32_t r = 0; r < d; ++r)
                        z.at(r, k) = digits[k * d + r] == m ? c.sentinel
                                                            : Rational(c.offset[k]) + Rational(digits[k * d + r], m);
                eng.load_state(z, state);
                eng.run(state, c.sweep.first, c.all_max.last, scratch, false);
                for (std::uint32_t k = 0; k < n; ++k) {
                    u.dot(code, state.column(k));
                    if (k == 0 || code < min_code[i]) min_code[i] = code;
                    if (code >= tl && code <= tr)
                        log.add(key_base + i, {"sentinel", show_input(digits, d, n, m), c.all_max.last - 1,
                                               fmt::format("column {} of an input carrying the sentinel has the code {}, "
                                                           "inside [t_l, t_r] = [{}, {}]",
                                                           k, over(code, eng.denominator()).str(), c.t_l.str(),
                                                           c.t_r.str())});
                }
            }
        };
        SentinelBody body{c, *eng, u, sent, tl, tr, min_code, log, std::uint64_t(count), {}, {}, {}};
        parallel_items(sent.count(), o.progress, "sentinel inputs: ", body);
        if (!min_code.empty()) cm.min_sentinel_code = over(*std::min_element(min_code.begin(), min_code.end()), Q);
    }
    cm.holds = log.count() == before_codes && rep.selective_shift.holds && rep.quantization.holds;

    // (c) The value mapping from the codes, then the whole network against f_bar.
    std::vector<Matrix> fbar(count);
    {
        std::atomic<std::size_t> done{0};
#pragma omp parallel for schedule(dynamic, 16)
        for (std::size_t i = 0; i < count; ++i) {
            fbar[i] = cube_centre_value(target, grid_matrix(valid.at(i), d, n, m), m);
            const std::size_t now = ++done;
            if (o.progress && omp_get_thread_num() == 0) report(o.progress, "target values: ", double(now) / double(count));
        }
    }
    auto& mt = rep.matches_target;
    mt.inputs_checked = count;
    mt.exhaustive = valid.exhaustive;
    mt.evaluator = o.evaluator;
    std::vector<CodeValue> table;
    table.reserve(count * n);
    for (std::size_t i = 0; i < count; ++i)
        for (std::uint32_t k = 0; k < n; ++k) {
            CodeValue cv{over(codes[i * n + k], Q), std::vector<Rational>(d)};
            for (std::uint32_t r = 0; r < d; ++r) cv.value[r] = fbar[i].at(r, k);
            table.push_back(std::move(cv));
        }
    report(o.progress, "building the value mapping");
    const std::uint64_t before_target = log.count();
    bool built = true;
    try {
        add_value_mapping(c, std::move(table));
    } catch (const std::invalid_argument& e) {
        built = false;
        log.add(count, {"matches_target", "", c.all_max.last, std::string("the value mapping cannot be built: ") + e.what()});
    }
    if (built) {
        std::vector<mpz_class> sorted_codes(codes);
        std::sort(sorted_codes.begin(), sorted_codes.end());
        if (o.evaluator == Evaluator::rational) {
            const NetworkEvaluator ev(c.network, pattern, Evaluator::rational);
#pragma omp parallel for schedule(dynamic, 4)
            for (std::size_t i = 0; i < count; ++i) {
                try {
                    const Matrix out = ev(grid_matrix(valid.at(i), d, n, m));
                    if (out != fbar[i])
                        log.add(count + i, {"matches_target", show_input(valid.at(i), d, n, m),
                                            c.network.layers.size() - 1, "the network's output differs from f_bar"});
                } catch (const std::exception& e) {
                    log.add(count + i, {"matches_target", show_input(valid.at(i), d, n, m), std::nullopt,
                                        std::string("evaluation failed: ") + e.what()});
                }
            }
        } else {
            const auto full = IntNetwork::compile(c.network, pattern, 1, &why);
            if (!full) throw std::invalid_argument("the network is not integral: " + why);
            const mpz_class& QF = full->denominator();
            struct TargetBody {
                const Construction& c;
                const IntNetwork& eng;
                const Inputs& inputs;
                const std::vector<Matrix>& fbar;
                const std::vector<mpz_class>& codes;
                const std::vector<mpz_class>& sorted_codes;
                const mpz_class& cm_q;
                bool indexed;
                FailureLog& log;
                std::uint64_t key_base;
                IntState state, expected;
                Scratch scratch;
                void init() {}
                void error(std::size_t i, const std::string& what) {
                    log.add(key_base + i, {"matches_target", show_input(inputs.at(i), c.d, c.n, c.m), std::nullopt,
                                           "evaluation failed: " + what});
                }
                void operator()(std::size_t i) {
                    const std::uint32_t d = c.d, n = c.n, m = c.m;
                    eng.load_input(grid_matrix(inputs.at(i), d, n, m), state);
                    eng.run(state, 0, eng.size(), scratch, indexed);
                    eng.load_state(fbar[i], expected);
                    if (state.x == expected.x) return;
                    for (std::uint32_t k = 0; k < n; ++k) {
                        bool same = true;
                        for (std::uint32_t r = 0; r < d; ++r) same = same && state.column(k)[r] == expected.column(k)[r];
                        if (same) continue;
                        std::string got, want;
                        for (std::uint32_t r = 0; r < d; ++r) {
                            got += (r ? ", " : "") + over(state.column(k)[r], eng.denominator()).str();
                            want += (r ? ", " : "") + fbar[i].at(r, k).str();
                        }
                        const mpz_class& code = codes[i * n + k];
                        const auto pos = std::lower_bound(sorted_codes.begin(), sorted_codes.end(), code) - sorted_codes.begin();
                        log.add(key_base + i,
                                {"matches_target", show_input(inputs.at(i), d, n, m), c.value_mapping.first + std::size_t(pos),
                                 fmt::format("column {}: the network gives ({}), f_bar is ({}); the column's code {} is the "
                                             "window of value-mapping layer {}",
                                             k, got, want, over(code, cm_q).str(), c.value_mapping.first + std::size_t(pos))});
                        return;
                    }
                }
            };
            TargetBody body{c, *full, valid, fbar, codes, sorted_codes, Q, o.evaluator == Evaluator::indexed,
                            log, std::uint64_t(count), {}, {}, {}};
            (void)QF;
            parallel_items(count, o.progress, "matches target: ", body);
        }
    }
    mt.holds = built && log.count() == before_target;
    log.drain_into(rep.failures, rep.failure_count);
    return rep;
}

}  // namespace sparsecert
