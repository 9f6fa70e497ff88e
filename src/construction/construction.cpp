#include "sparsecert/construction/construction.hpp"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>
#include <gmp.h>

#include "sparsecert/conditions/hamiltonian.hpp"
#include "sparsecert/conditions/reachability.hpp"
#include "sparsecert/conditions/self_attention.hpp"

namespace sparsecert {

namespace {

std::vector<Rational> unit(std::uint32_t d, std::uint32_t i, const Rational& scale = 1) {
    std::vector<Rational> v(d);
    v[i] = scale;
    return v;
}

// phi as (breakpoints, pieces) from a list of (slope, intercept) pairs.
Phi make_phi(std::vector<Rational> breakpoints, std::vector<LinearPiece> pieces) {
    Phi phi;
    phi.breakpoints = std::move(breakpoints);
    phi.pieces = std::move(pieces);
    return phi;
}

NetworkLayer feed_forward(Stage stage, std::vector<Rational> w1, Rational b1, Phi phi, std::vector<Rational> w2) {
    NetworkLayer l;
    l.stage = stage;
    l.op = FeedForward{std::move(w1), std::move(b1), std::move(phi), std::move(w2)};
    return l;
}

AttentionHead zero_head(std::uint32_t d) {
    AttentionHead h;
    h.query = h.key = h.value = h.out = std::vector<Rational>(d);
    return h;
}

// The head psi(Z; b) of the selective shift: column k picks max_{j in A_k} u.z_j when u.z_k > b and
// the min when u.z_k < b (query u with bias -b, key = value = u), and adds `out` times it.
AttentionHead shift_head(const std::vector<Rational>& u, const Rational& threshold, const Rational& out_scale) {
    AttentionHead h;
    h.query = u;
    h.query_bias = -threshold;
    h.key = u;
    h.value = u;
    h.out = unit(std::uint32_t(u.size()), 0, out_scale);
    return h;
}

// What the construction needs before any search: n >= 2, no extra tokens (Yun et al.'s patterns are
// over the input's columns), and condition 1.
void check_setting(CheckedPattern checked) {
    const Pattern& pattern = *checked;
    if (pattern.n < 2) throw NotApplicable("the construction needs n >= 2 tokens (there is nothing to mix for n = 1)");
    if (!pattern.extra_tokens.empty())
        throw NotApplicable("the construction of Yun et al. is for patterns over the input tokens only, and this "
                            "pattern declares extra tokens");
    const auto sa = check_self_attention(checked, 1);
    if (!sa.holds)
        throw NotApplicable(fmt::format("condition 1 (self-attention) fails: token {} does not attend to itself in "
                                        "pattern {} ({} (pattern, token) pairs missing); the selective shift needs "
                                        "every column's own id as the minimum of its attended set",
                                        sa.missing[0].second, sa.missing[0].first, sa.missing_count));
}

void validate_problem(CheckedPattern checked, std::span<const token_t> path, const ConstructionOptions& o) {
    const Pattern& pattern = *checked;
    if (o.d < 1) throw NotApplicable("d must be at least 1");
    if (o.m < 2) throw NotApplicable("delta = 1/m needs m >= 2");
    check_setting(checked);
    if (path.size() != pattern.n)
        throw NotApplicable(fmt::format("the path has {} tokens, the pattern {}", path.size(), pattern.n));
    std::vector<bool> seen(pattern.n, false);
    for (auto k : path) {
        if (k >= pattern.n || seen[k]) throw NotApplicable("the path is not a permutation of the tokens");
        seen[k] = true;
    }
    for (std::size_t i = 1; i < path.size(); ++i) {
        bool edge = false;
        for (const auto& layer : pattern.layers) edge = edge || layer.attends(path[i], path[i - 1]);
        if (!edge)
            throw NotApplicable(fmt::format("not a Hamiltonian path: token {} attends to its predecessor {} in no pattern",
                                            path[i], path[i - 1]));
    }
}

std::uint64_t quantization_layers(std::uint32_t d, std::uint32_t m, std::uint32_t n) {
    // Per row: one sentinel layer and one rounding layer per grid cell of [1, n+1).
    return std::uint64_t(d) * (std::uint64_t(n) * m + 1);
}

std::uint64_t grid_columns(std::uint32_t d, std::uint32_t m) {
    std::uint64_t k = 1;
    for (std::uint32_t i = 0; i < d; ++i) {
        if (k > (std::uint64_t{1} << 40) / m) throw NotApplicable("m^d is too large for the sweep (one layer per value)");
        k *= m;
    }
    return k;
}

// The sweep's schedule: for every path position i = 1..n-1 and every bucket value, wait (identity
// layers) until the cycle's pattern contains the edge path[i-1] -> path[i], then one shift layer.
// Calls emit(slot_pattern, is_shift, position, a) for every layer; returns the phase after it.
template <class Emit>
std::size_t sweep_schedule(const Pattern& pattern, std::span<const token_t> path, std::size_t phase,
                           std::uint64_t values_per_bucket, Emit&& emit) {
    const std::size_t p = pattern.p();
    for (std::uint32_t i = 1; i < path.size(); ++i)
        for (std::uint64_t a = 0; a < values_per_bucket; ++a) {
            while (!pattern.layers[phase].attends(path[i], path[i - 1])) {
                emit(phase, false, i, a);
                phase = (phase + 1) % p;
            }
            emit(phase, true, i, a);
            phase = (phase + 1) % p;
        }
    return phase;
}

}  // namespace

std::size_t all_max_phase(CheckedPattern checked, std::span<const token_t> path, const ConstructionOptions& o) {
    const Pattern& pattern = *checked;
    validate_problem(checked, path, o);
    if (o.all_max_start == AllMaxStart::pad_to_first_pattern) return 0;
    const std::size_t p = pattern.p();
    const std::size_t phase = (o.start_phase + quantization_layers(o.d, o.m, pattern.n)) % p;
    return sweep_schedule(pattern, path, phase, grid_columns(o.d, o.m), [](auto...) {});
}

Construction build_contextual_mapping(CheckedPattern checked, std::span<const token_t> path, std::uint64_t s,
                                      const ConstructionOptions& o) {
    const Pattern& pattern = *checked;
    validate_problem(checked, path, o);
    if (s == 0) throw NotApplicable("s must be at least 1");
    Construction c;
    c.d = o.d;
    c.m = o.m;
    c.n = pattern.n;
    c.p = pattern.p();
    c.pattern_name = pattern.name;
    c.path.assign(path.begin(), path.end());
    c.s = s;
    c.all_max_start = o.all_max_start;
    const std::uint32_t d = c.d, n = c.n, m = c.m;
    const std::uint64_t grid_k = grid_columns(d, m);  // m^d: grid columns = values per bucket
    {
        const long double layers = (long double)quantization_layers(d, m, n) +
                                   (long double)c.p * (n - 1) * (long double)grid_k + (long double)s + c.p;
        if (layers > (long double)o.max_layers)
            throw NotApplicable(fmt::format("the quantization and the contextual mapping would have up to {:.0f} layers "
                                            "(limit {}): lower m, d or n",
                                            (double)layers, o.max_layers));
    }

    // Column ids: u . x with u = (1, m, ..., m^{d-1}) maps the m^d grid columns onto
    // {0, 1/m, ..., (m^d - 1)/m}; an offset o adds o c_d, c_d = sum_{i<d} m^i > (m^d - 1)/m, so
    // columns with different offsets have ids in disjoint buckets (docs/theory.md section 4 (b)).
    c.u.resize(d);
    for (std::uint32_t i = 0; i < d; ++i) c.u[i] = power(Rational(m), i);
    c.bucket_width = std::accumulate(c.u.begin(), c.u.end(), Rational(0));
    c.offset.assign(n, 0);
    c.offset[path[0]] = n;                                   // gamma(1) gets the top bucket
    for (std::uint32_t i = 1; i < n; ++i) c.offset[path[i]] = i;  // gamma(i+1) gets offset i

    // Constants.
    const Rational delta(1, m), half(1, 2LL * m);
    c.shift_multiplier = o.shift_multiplier.value_or(Rational(grid_k));
    {
        // After the sweep, x_n = id~(gamma(n)) = K^{n-1} id_0 - (K-1) sum_{i>=1} K^{n-1-i} id_i with
        // id_i = o_i c_d + a_i/m (K the shift multiplier): affine in the grid codes a_i, so its
        // extremes over the valid inputs are at a_i in {0, m^d - 1}, by the sign of each coefficient.
        const Rational& K = c.shift_multiplier;
        std::vector<Rational> coef(n);
        coef[0] = power(K, n - 1);
        for (std::uint32_t i = 1; i < n; ++i) coef[i] = -(K - Rational(1)) * power(K, n - 1 - i);
        const Rational top(static_cast<long long>(grid_k - 1), m);
        for (std::uint32_t i = 0; i < n; ++i) {
            const Rational base = Rational(i == 0 ? n : i) * c.bucket_width;
            const Rational lo = base, hi = base + top;
            c.id_high += coef[i] * (coef[i].sign() >= 0 ? hi : lo);
            c.id_low += coef[i] * (coef[i].sign() >= 0 ? lo : hi);
        }
    }
    if (o.all_max_multiplier) {
        c.all_max_multiplier = *o.all_max_multiplier;
    } else {
        // Base-C digits (docs/construction.md, "The all-max multiplier C"): in units of 1/m every
        // code is sum_r C^r c_r with 0 <= c_r <= binom(s, r) X_max, X_max = m id_high; C larger
        // than every digit makes value order the lexicographic order of the digit vectors.
        mpz_t b;
        mpz_init(b);
        mpz_bin_uiui(b, s, s / 2);
        mpz_t one;
        mpz_init_set_ui(one, 1);
        const Rational binom = Rational::from_integers(b, one);
        mpz_clear(b);
        mpz_clear(one);
        const Rational x_max = Rational(m) * c.id_high;
        c.all_max_multiplier = binom * (x_max.is_integer() ? x_max : floor(x_max) + Rational(1)) + Rational(1);
    }
    const Rational& C = c.all_max_multiplier;
    c.t_l = power(C, s) * c.id_low;
    c.t_r = c.id_high * power(C + Rational(1), s);
    if (o.sentinel) {
        c.sentinel = *o.sentinel;
    } else {
        // Every code of an input with a sentinel entry is >= C^s S (monotonicity of the all-max
        // stage); S > t_r / C^s puts all of them above t_r. S >= n + 1 keeps S outside [1, n + 1),
        // the valid range the quantization rounds.
        c.sentinel = std::max(floor(c.t_r / power(C, s)) + Rational(1), Rational(n + 1));
    }
    const Rational& S = c.sentinel;

    Network& net = c.network;
    net.d = d;
    net.n = n;
    net.p = c.p;
    net.start_phase = o.start_phase % c.p;
    net.pattern_name = pattern.name;
    net.embedding = Matrix(d, n);
    for (std::uint32_t i = 0; i < d; ++i)
        for (std::uint32_t k = 0; k < n; ++k) net.embedding.at(i, k) = Rational(c.offset[k]);

    // (a) Quantization. Entries of X + E lie in [1, n + 1) for valid inputs.
    c.quantization.first = 0;
    for (std::uint32_t r = 0; r < d; ++r) {
        // t = x - 1: x -> S for t < 0 and for t >= n (one layer, three pieces, one constant).
        const Rational to_s = S - Rational(1);
        net.layers.push_back(feed_forward(Stage::quantization, unit(d, r), Rational(-1),
                                          make_phi({Rational(0), Rational(n)},
                                                   {{Rational(-1), to_s}, {Rational(0), Rational(0)}, {Rational(-1), to_s}}),
                                          unit(d, r)));
    }
    for (std::uint32_t r = 0; r < d; ++r)
        for (std::uint64_t j = 0; j < std::uint64_t(n) * m; ++j) {
            // t = x - c: x -> c on [c, c + delta), c = 1 + j/m (phi(t) = -t there, 0 elsewhere).
            const Rational cell = Rational(1) + Rational(static_cast<long long>(j), m);
            net.layers.push_back(feed_forward(Stage::quantization, unit(d, r), -cell,
                                              make_phi({Rational(0), delta},
                                                       {{Rational(0), Rational(0)}, {Rational(-1), Rational(0)},
                                                        {Rational(0), Rational(0)}}),
                                              unit(d, r)));
        }
    c.quantization.last = net.layers.size();

    // (b) The sparse selective-shift sweep.
    c.sweep.first = net.layers.size();
    c.sweep_phase = net.pattern_at(net.layers.size());
    const Rational& K = c.shift_multiplier;
    std::size_t phase = sweep_schedule(
        pattern, path, c.sweep_phase, grid_k,
        [&](std::size_t slot, bool shift, std::uint32_t i, std::uint64_t a) {
            NetworkLayer l;
            l.stage = Stage::selective_shift;
            if (!shift) {
                l.op = IdentityLayer{std::uint32_t(slot)};
                ++c.identity_layers;
            } else {
                // Z -> Z + K e1 (psi(Z; v - delta/2) - psi(Z; v + delta/2)): only a column with id in
                // (v - delta/2, v + delta/2) changes, by K (max - min) over its attended set.
                const Rational v = Rational(i) * c.bucket_width + Rational(static_cast<long long>(a), m);
                AttentionLayer att;
                att.pattern = std::uint32_t(slot);
                att.heads[0] = shift_head(c.u, v - half, K);
                att.heads[1] = shift_head(c.u, v + half, -K);
                l.op = std::move(att);
                c.sweep_steps.push_back({net.layers.size(), i, v});
            }
            net.layers.push_back(std::move(l));
        });
    c.sweep.last = net.layers.size();

    c.padding.first = net.layers.size();
    if (o.all_max_start == AllMaxStart::pad_to_first_pattern)
        while (phase != 0) {
            NetworkLayer l;
            l.stage = Stage::padding;
            l.op = IdentityLayer{std::uint32_t(phase)};
            net.layers.push_back(std::move(l));
            phase = (phase + 1) % c.p;
        }
    c.padding.last = net.layers.size();

    // All-max shift: Z -> Z + C e1 max_{j in A_k} u.z_j (one head, threshold 0; every id is
    // positive, so every column takes the max).
    c.all_max.first = net.layers.size();
    c.all_max_phase = phase;
    for (std::uint64_t t = 0; t < s; ++t) {
        NetworkLayer l;
        l.stage = Stage::all_max_shift;
        AttentionLayer att;
        att.pattern = std::uint32_t(net.pattern_at(net.layers.size()));
        att.heads[0] = shift_head(c.u, Rational(0), C);
        att.heads[1] = zero_head(d);
        l.op = std::move(att);
        net.layers.push_back(std::move(l));
    }
    c.all_max.last = net.layers.size();
    c.preparation = c.value_mapping = {net.layers.size(), net.layers.size()};
    validate(net, &pattern);
    return c;
}

void add_value_mapping(Construction& c, std::vector<CodeValue> table) {
    Network& net = c.network;
    net.layers.resize(c.all_max.last);
    const std::uint32_t d = c.d;
    const Rational half(1, 2LL * c.m);
    c.preparation.first = net.layers.size();
    if (d >= 2) {
        // Row 0 <- u . x: rows 1..d-1 are quantized entries (>= 1, or S > 0), so (u - e0) . x >= 0
        // and a ReLU passes it unchanged.
        std::vector<Rational> w1 = c.u;
        w1[0] = 0;
        net.layers.push_back(feed_forward(Stage::value_mapping_preparation, w1, Rational(0),
                                          make_phi({Rational(0)}, {{Rational(0), Rational(0)}, {Rational(1), Rational(0)}}),
                                          unit(d, 0)));
        // Rows 1..d-1 <- 0 (their entries are positive: phi(t) = -t for t >= 0).
        for (std::uint32_t r = 1; r < d; ++r)
            net.layers.push_back(feed_forward(Stage::value_mapping_preparation, unit(d, r), Rational(0),
                                              make_phi({Rational(0)}, {{Rational(0), Rational(0)}, {Rational(-1), Rational(0)}}),
                                              unit(d, r)));
    }
    // Codes outside [t_l - delta/2, t_r + delta/2) (the sentinel inputs) <- 0.
    net.layers.push_back(feed_forward(Stage::value_mapping_preparation, unit(d, 0), Rational(0),
                                      make_phi({c.t_l - half, c.t_r + half},
                                               {{Rational(-1), Rational(0)}, {Rational(0), Rational(0)}, {Rational(-1), Rational(0)}}),
                                      unit(d, 0)));
    c.preparation.last = net.layers.size();

    // One layer per code: the column (code, 0, ..., 0) becomes f_bar's column. Row 0 of a written
    // column is a target value, below every window (checked here), and so is a zeroed column.
    std::sort(table.begin(), table.end(), [](const CodeValue& a, const CodeValue& b) { return a.code < b.code; });
    for (const auto& entry : table) {
        if (entry.value.size() != d) throw std::invalid_argument("value-mapping entry with the wrong number of rows");
        if (!(entry.value[0] < c.t_l - half))
            throw std::invalid_argument(fmt::format("target value {} reaches the code windows (t_l = {}): the value "
                                                    "mapping needs values below t_l - delta/2",
                                                    entry.value[0].str(), c.t_l.str()));
        std::vector<Rational> w2 = entry.value;
        w2[0] -= entry.code;
        net.layers.push_back(feed_forward(Stage::value_mapping, unit(d, 0), Rational(0),
                                          make_phi({entry.code - half, entry.code + half},
                                                   {{Rational(0), Rational(0)}, {Rational(0), Rational(1)}, {Rational(0), Rational(0)}}),
                                          std::move(w2)));
    }
    c.value_mapping = {c.preparation.last, net.layers.size()};
    c.value_mapping_inputs = table.size() / c.n;
}

// ---------------------------------------------------------------------------------------------

std::optional<std::uint64_t> mixing_depth_from(CheckedPattern checked, std::size_t phase, std::uint64_t limit) {
    const Pattern& pattern = *checked;
    const std::size_t n = pattern.n, words = (n + 63) / 64, p = pattern.p();
    auto full = [&](const std::vector<std::uint64_t>& s) {
        for (std::size_t k = 0; k < n; ++k)
            for (std::size_t w = 0; w < words; ++w) {
                const std::size_t bits = std::min<std::size_t>(64, n - w * 64);
                const std::uint64_t all = bits == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << bits) - 1);
                if (s[k * words + w] != all) return false;
            }
        return true;
    };
    // S^1_k = A_k^{phase}; S^t_k = union over j in A_k^{phase + t - 1} of S^{t-1}_j.
    std::vector<std::uint64_t> cur(n * words, 0), next(n * words);
    const Layer& first = pattern.layers[phase % p];
    for (std::size_t k = 0; k < n; ++k)
        for (auto j : first.attended(token_t(k))) cur[k * words + j / 64] |= std::uint64_t{1} << (j % 64);
    for (std::uint64_t t = 1; t <= limit; ++t) {
        if (full(cur)) return t;
        const Layer& layer = pattern.layers[(phase + t) % p];
        std::fill(next.begin(), next.end(), 0);
        for (std::size_t k = 0; k < n; ++k)
            for (auto j : layer.attended(token_t(k)))
                for (std::size_t w = 0; w < words; ++w) next[k * words + w] |= cur[std::size_t(j) * words + w];
        cur.swap(next);
    }
    return std::nullopt;
}

namespace {

Pattern rotated(const Pattern& pattern, std::size_t phase) {
    Pattern r;
    r.name = pattern.name;
    r.description = pattern.description;
    r.n = pattern.n;
    for (std::size_t l = 0; l < pattern.p(); ++l) r.layers.push_back(pattern.layers[(phase + l) % pattern.p()]);
    return r;
}

}  // namespace

Applicability check_applicability(CheckedPattern checked, const ConstructionOptions& o, const Progress& progress) {
    const Pattern& pattern = *checked;
    check_setting(checked);
    report(progress, "Hamiltonian path");
    HamiltonianOptions hopt;
    hopt.progress = progress;
    const HamiltonianResult h = find_hamiltonian_path(checked, hopt);
    if (h.holds == false) throw NotApplicable("condition 2 fails: no Hamiltonian path (" + h.reason + ")");
    if (!h.holds) throw NotApplicable("condition 2 undetermined: " + h.reason);
    Applicability a;
    a.path = h.path;
    a.path_method = h.method;
    const std::size_t phase = all_max_phase(checked, a.path, o);
    report(progress, "reachability");
    ReachabilityOptions ropt;
    ropt.progress = progress;
    const ReachabilityResult r = check_reachability(rotated(pattern, phase), ropt);
    if (r.holds == false) throw NotApplicable("condition 3 fails: no finite s (" + r.reason + ")");
    if (!r.holds || !r.s) throw NotApplicable("condition 3 undetermined: " + r.reason);
    a.s = *r.s;
    if (phase == 0) {
        a.paper_s = a.s;
    } else {
        const ReachabilityResult r0 = check_reachability(checked, ropt);
        if (r0.s) a.paper_s = *r0.s;
    }
    return a;
}

Construction build_contextual_mapping(CheckedPattern pattern, const ConstructionOptions& options, const Progress& progress) {
    const Applicability a = check_applicability(pattern, options, progress);
    return build_contextual_mapping(pattern, a.path, a.s, options);
}

}  // namespace sparsecert
