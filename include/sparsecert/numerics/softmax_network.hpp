// The real sparse Transformer g of docs/theory.md section 4, Step 3: the exact hardmax network g_bar
// (network.hpp) with every hardmax sigma_H replaced by softmax rho[t .] at a per-layer temperature
// t, and every activation phi in Phi replaced by its four-ReLU form (relu_form.hpp) with ramp width
// epsilon. Same embedding, same layer/pattern cycle, same weights otherwise.
//
// As ST blocks (docs/theory.md section 1): an attention layer has two heads of size one,
//   head i at column k: W_O^i W_V^i X_{A_k} softmax[t (W_K^i X_{A_k})^T (W_Q^i X_k + b^i)],
// (the query bias b^i is the threshold of the selective shift, as in g_bar: docs/construction.md,
// "Deviations", "attention"); a feed-forward layer x -> x + W2 ReLU(W1 x + b1) + b2 with hidden
// width r <= 4, where for the form f_eps(t) = b + sum_i coef_i ReLU(sign_i (t - knot_i)) of the
// scalar t = w1 . x + b1:
//   W1 row i = sign_i w1, b1_i = sign_i (b1 - knot_i), W2 column i = coef_i w2, b2 = b w2.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "sparsecert/construction/network.hpp"
#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/construction/rational.hpp"
#include "sparsecert/numerics/relu_form.hpp"

namespace sparsecert {

// x -> x + w2 f_eps(w1 . x + b1), f_eps a sum of at most four ReLUs.
struct ReluFeedForward {
    std::vector<Rational> w1;  // d entries
    Rational b1;
    ReluActivation activation;
    std::vector<Rational> w2;  // d entries
    friend bool operator==(const ReluFeedForward&, const ReluFeedForward&) = default;
};

// The two heads of an AttentionLayer of g_bar, with softmax at temperature t instead of hardmax.
struct SoftmaxAttention {
    std::uint32_t pattern = 0;
    std::array<AttentionHead, 2> heads;
    Rational temperature;  // t > 0 (rho[t v] with v the scores)
    friend bool operator==(const SoftmaxAttention&, const SoftmaxAttention&) = default;
};

struct SoftmaxLayer {
    Stage stage = Stage::other;
    std::variant<ReluFeedForward, SoftmaxAttention, IdentityLayer> op;
    friend bool operator==(const SoftmaxLayer&, const SoftmaxLayer&) = default;
};

struct SoftmaxNetwork {
    std::uint32_t d = 0, n = 0;
    std::size_t p = 1;
    std::size_t start_phase = 0;
    std::string pattern_name;
    Matrix embedding;
    std::vector<SoftmaxLayer> layers;
    Rational relu_width;  // epsilon

    std::size_t pattern_at(std::size_t t) const { return (start_phase + t) % p; }
};

// g from g_bar: `temperatures` has one entry per attention layer of g_bar (in order), each > 0.
// Throws std::invalid_argument on a count mismatch, a non-positive temperature, or a ramp width
// that does not fit between the breakpoints of some phi.
SoftmaxNetwork to_softmax_network(const Network& hardmax, const std::vector<Rational>& temperatures,
                                  const Rational& relu_width);

// The same network with every temperature multiplied by `scale` (> 0): the sweep over t.
SoftmaxNetwork scale_temperatures(SoftmaxNetwork network, const Rational& scale);

// Membership in ST^{h,m,r}, read off the layers as built (docs/theory.md section 1).
struct STClass {
    std::uint32_t heads = 0;         // largest number of heads in an attention layer
    std::uint32_t head_size = 0;     // rows of W_Q, W_K, W_V per head (1: the weights are vectors)
    std::uint32_t hidden_width = 0;  // largest number of ReLUs in a feed-forward layer
    std::size_t attention_layers = 0, feed_forward_layers = 0, identity_layers = 0;
    std::string problem;             // empty when the shapes and the pattern cycle are consistent

    bool member(std::uint32_t h, std::uint32_t m, std::uint32_t r) const {
        return problem.empty() && heads <= h && head_size <= m && hidden_width <= r;
    }
};
STClass st_class(const SoftmaxNetwork& network, const Pattern& pattern);

// The feed-forward layer as the ST block's matrices (W1: r x d, b1: r, W2: d x r, b2: d).
struct ReluBlock {
    std::vector<std::vector<Rational>> w1, w2;
    std::vector<Rational> b1, b2;
};
ReluBlock st_block(const ReluFeedForward& layer);

}  // namespace sparsecert
