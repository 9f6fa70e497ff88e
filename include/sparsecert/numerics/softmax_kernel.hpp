// Numeric kernels for the real network g (softmax_network.hpp) and, for cross-checks, the hardmax
// network g_bar (network.hpp), in MPFR at a chosen precision or in IEEE binary64.
//
// - Sparse attention costs O(connections) per layer: keys and values once per token (O(n d)), then
//   for every token k one score, one exponential and one multiply-add per j in A_k (never n^2).
//   Softmax is evaluated as exp(t q_k key_j - max) / sum, the max taken over A_k (no overflow).
//   Hardmax (sigma_H) picks the largest score and averages exact ties, as g_bar's definition says.
// - Token-wise feed-forward layers: per column one dot product, the activation (the pieces of phi,
//   or the four ReLUs) and one axpy.
// - Window runs (the value mapping): consecutive feed-forward layers whose activation is zero outside
//   one interval [lo, hi), with the same w1 and b1, and no point in more than two intervals. In the
//   real network a layer changes a column only when w1 . x + b1 is inside its interval when the
//   layer is reached, so "apply the first later layer whose interval contains the current value,
//   repeat" is the same function as applying every layer (docs/approximate.md, "Kernels"). With
//   `indexed`, runs are evaluated that way (binary search over the sorted intervals); otherwise
//   every layer runs on every column. The two differ only by rounding: plain evaluation adds, for
//   every layer a column does not fire, the rounding error of four large ReLU terms that cancel
//   exactly in real arithmetic (the precision covers it: error_budget.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "sparsecert/construction/network.hpp"
#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/numerics/softmax_network.hpp"

namespace sparsecert {

enum class RealArithmetic {
    mpfr,      // every operation correctly rounded to `precision` bits
    binary64,  // IEEE double
};

struct KernelOptions {
    RealArithmetic arithmetic = RealArithmetic::mpfr;
    long precision = 128;  // bits of the MPFR significand (MPFR_PREC_MIN..MPFR_PREC_MAX)
    bool indexed = true;   // window runs through their sorted index (see above)
};

class RealEvaluator {
public:
    RealEvaluator(const SoftmaxNetwork& g, const Pattern& pattern, KernelOptions options = {});
    RealEvaluator(const Network& g_bar, const Pattern& pattern, KernelOptions options = {});
    ~RealEvaluator();
    RealEvaluator(RealEvaluator&&) noexcept;
    RealEvaluator& operator=(RealEvaluator&&) noexcept;

    // The output of layers [0, last) on the input X (E added; last = every layer by default), each
    // computed number converted exactly to a rational. Thread-safe (each call has its own scratch).
    // Throws std::range_error when a binary64 evaluation produces an infinity or a NaN.
    Matrix operator()(const Matrix& input, std::optional<std::size_t> last = {}) const;

    const KernelOptions& options() const;
    std::size_t window_runs() const;    // runs evaluated through an index (0 unless indexed)
    std::size_t layers() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sparsecert
