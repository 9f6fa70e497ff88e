// Internal: the exact integer engine behind NetworkEvaluator and the construction's checks.
//
// A network whose slopes are integers (w1, slope * w2, and every head's query, key, value, out)
// maps states in (1/Q)Z^{d x n} to states in (1/Q)Z^{d x n}, where Q is the lcm of the
// denominators of its constants (E, b1, breakpoints, intercept * w2, query biases). The engine keeps
// the state as integer numerators over that one Q: no gcd, no canonicalisation, and a piece of phi
// or a hardmax is chosen by comparing integers (docs/algorithms.md section 3: the shared-denominator
// scheme; docs/performance.md has this network's measurement against mpq).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gmpxx.h>

#include "sparsecert/construction/network.hpp"
#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert::detail {

// A linear form over the d rows of a column with integer coefficients (zeros dropped).
struct IntForm {
    std::vector<std::pair<std::uint32_t, mpz_class>> terms;
    bool empty() const noexcept { return terms.empty(); }
    // out = sum_i c_i column[i]
    void dot(mpz_class& out, const mpz_class* column) const;
    friend bool operator==(const IntForm&, const IntForm&) = default;
};

// A piece of phi folded into w2: the column gains slope_w2 * T + const_w2 (T = t * Q), i.e.
// w2 * (slope * t + intercept) over Q.
struct IntPiece {
    std::vector<std::tuple<std::uint32_t, mpz_class, mpz_class>> rows;  // (row, slope*w2, intercept*w2*Q)
    bool zero() const noexcept { return rows.empty(); }
};

struct IntFeedForward {
    IntForm w1;
    mpz_class b1;                   // b1 * Q
    std::vector<mpz_class> breaks;  // breakpoints * Q
    std::vector<IntPiece> pieces;
    std::size_t piece_at(const mpz_class& t) const {
        std::size_t i = 0;
        while (i < breaks.size() && breaks[i] <= t) ++i;
        return i;
    }
    void apply_piece(std::size_t piece, const mpz_class& t, mpz_class* column) const;
};

struct IntHead {
    bool active = false;            // out != 0
    IntForm query, key, value, out;
    mpz_class bias;                 // query_bias * Q
};

struct IntLayer {
    enum class Kind { feed_forward, attention, identity } kind = Kind::identity;
    IntFeedForward ff;
    std::uint32_t pattern = 0;
    std::array<IntHead, 2> heads;
};

// Column-major numerators: entry (i, k) of the state is x[k * d + i] / Q.
struct IntState {
    std::uint32_t d = 0, n = 0;
    std::vector<mpz_class> x;
    mpz_class* column(std::uint32_t k) { return x.data() + std::size_t(k) * d; }
    const mpz_class* column(std::uint32_t k) const { return x.data() + std::size_t(k) * d; }
};

// Per-thread scratch space (keeps the hot loops free of allocations).
struct Scratch {
    std::array<std::vector<mpz_class>, 2> keys, values;
    std::vector<mpz_class> delta;
    mpz_class t, q;
};

// A run of window layers evaluated through a sorted index (Evaluator::indexed).
struct WindowRun {
    std::size_t first = 0, last = 0;       // layers [first, last)
    IntForm w1;
    mpz_class b1;
    std::vector<mpz_class> lo, hi;        // windows [lo, hi) * Q, sorted by lo, pairwise disjoint
    std::vector<std::size_t> layer;       // the layer of each window
};

class IntNetwork {
public:
    // Compiles the network over Q = lcm(denominators of its constants, extra_denominator). Returns
    // null and sets *why when a slope is not an integer.
    static std::unique_ptr<IntNetwork> compile(const Network& network, const Pattern& pattern,
                                               const mpz_class& extra_denominator, std::string* why);

    const mpz_class& denominator() const noexcept { return q_; }
    std::size_t size() const noexcept { return layers_.size(); }
    std::uint32_t d() const noexcept { return d_; }
    std::uint32_t n() const noexcept { return n_; }
    const IntLayer& layer(std::size_t t) const { return layers_[t]; }
    const std::vector<WindowRun>& window_runs() const noexcept { return runs_; }

    // state = (X + E) * Q; throws std::invalid_argument when X is not in (1/Q)Z.
    void load_input(const Matrix& input, IntState& state) const { load(input, state, true); }
    // state = Z * Q for a state Z that already includes E.
    void load_state(const Matrix& z, IntState& state) const { load(z, state, false); }
    Matrix unload(const IntState& state) const;

    // One layer, exactly as the definition reads. Throws HardmaxTie.
    void apply(std::size_t t, IntState& state, Scratch& scratch) const;
    // Layers [first, last); with `indexed`, the window runs that lie inside [first, last) go
    // through their index.
    void run(IntState& state, std::size_t first, std::size_t last, Scratch& scratch, bool indexed) const;

private:
    void load(const Matrix& z, IntState& state, bool add_embedding) const;
    void apply_run(const WindowRun& run, IntState& state, Scratch& scratch) const;

    std::uint32_t d_ = 0, n_ = 0;
    const Pattern* pattern_ = nullptr;
    mpz_class q_;
    std::vector<mpz_class> embedding_;  // column-major E * Q
    std::vector<IntLayer> layers_;
    std::vector<WindowRun> runs_;
    std::vector<std::size_t> run_at_;   // run index + 1 starting at layer t, or 0
};

// Exact conversion helpers.
mpz_class to_mpz(mpz_srcptr z);
Rational to_rational(const mpz_class& num, const mpz_class& den);

}  // namespace sparsecert::detail
