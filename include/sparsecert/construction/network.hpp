// The modified sparse Transformer g_bar of docs/theory.md section 4, Step 2: hardmax attention and
// activations from the class Phi, with exact rational weights.
//
// A network is a positional embedding E (added to the d x n input) followed by a sequence of
// layers. Every layer is one slot of the pattern cycle: layer t (0-based) is an ST block whose
// attention uses pattern (start_phase + t) mod p, and in which only one half is non-zero:
//   - a token-wise feed-forward layer with hidden width 1: x -> x + w2 phi(w1 . x + b1), phi in Phi;
//   - a sparse attention layer: 2 heads of size 1 with hardmax, over the attended sets A_k of its
//     pattern (docs/theory.md section 1, with sigma_H for rho);
//   - an identity layer: an attention slot whose output weights are zero (the construction puts one
//     where the cycle's pattern lacks the edge it needs).
// Treating every layer as a block keeps "which pattern does this layer use" a function of its index
// alone; the attention and identity layers still record their pattern index explicitly, so a
// program that walks the layers never has to recompute the cycle.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/construction/rational.hpp"

namespace sparsecert {

// A d x n matrix: rows are features, columns are tokens (the paper's X in R^{d x n}).
struct Matrix {
    std::uint32_t rows = 0, cols = 0;
    std::vector<Rational> entries;  // row-major

    Matrix() = default;
    Matrix(std::uint32_t r, std::uint32_t c) : rows(r), cols(c), entries(std::size_t(r) * c) {}
    Rational& at(std::uint32_t i, std::uint32_t k) { return entries[std::size_t(i) * cols + k]; }
    const Rational& at(std::uint32_t i, std::uint32_t k) const {
        return entries[std::size_t(i) * cols + k];
    }
    friend bool operator==(const Matrix&, const Matrix&) = default;
};

// One piece of a piecewise-linear function: t -> slope * t + intercept.
struct LinearPiece {
    Rational slope, intercept;
    friend bool operator==(const LinearPiece&, const LinearPiece&) = default;
};

// An activation of the class Phi (Yun et al. 2019): piecewise linear, possibly discontinuous, at
// most three pieces, at least one of them constant. Piece i applies on [breakpoints[i-1],
// breakpoints[i]); the first piece extends to -infinity and the last to +infinity.
struct Phi {
    std::vector<Rational> breakpoints;  // strictly increasing, 0 to 2 entries
    std::vector<LinearPiece> pieces;    // breakpoints.size() + 1 entries

    // The index of the piece that applies at t.
    std::size_t piece_at(const Rational& t) const;
    Rational operator()(const Rational& t) const;
    friend bool operator==(const Phi&, const Phi&) = default;
};

// Empty when phi is in the class Phi; otherwise what is wrong.
std::string phi_problem(const Phi& phi);

// Token-wise feed-forward layer with hidden width 1: every column x -> x + w2 * phi(w1 . x + b1).
struct FeedForward {
    std::vector<Rational> w1;  // d entries
    Rational b1;
    Phi phi;
    std::vector<Rational> w2;  // d entries
    friend bool operator==(const FeedForward&, const FeedForward&) = default;
};

// One attention head of size 1 with the hardmax sigma_H. For column k and every j in A_k the score is
// (key . x_j) * (query . x_k + query_bias); the head's output is the average of value . x_j over
// the j with the largest score (sigma_H spreads its mass evenly over ties), and the layer adds
// out * that output to column k. The query bias is the threshold b of the paper's selective shift
// (u^T Z_k - b); without it one would carry a constant row.
struct AttentionHead {
    std::vector<Rational> query;  // d entries
    Rational query_bias;
    std::vector<Rational> key, value, out;  // d entries each
    friend bool operator==(const AttentionHead&, const AttentionHead&) = default;
};

struct AttentionLayer {
    std::uint32_t pattern = 0;             // index into Pattern::layers
    std::array<AttentionHead, 2> heads;    // two heads of size one (ST^{2,1,.})
    friend bool operator==(const AttentionLayer&, const AttentionLayer&) = default;
};

struct IdentityLayer {
    std::uint32_t pattern = 0;             // the pattern of this slot (unused: zero output weights)
    friend bool operator==(const IdentityLayer&, const IdentityLayer&) = default;
};

// The construction's stages (docs/theory.md section 4, Step 2), for reports; evaluation ignores them.
enum class Stage {
    quantization,               // (a) token-wise rounding to the grid, sentinel outside
    selective_shift,            // (b) the sparse selective-shift sweep (attention and identity layers)
    padding,                    // (b) identity layers that bring the cycle back to pattern 0
    all_max_shift,              // (b) the s all-max-shift layers
    value_mapping_preparation,  // (c) code into row 0, other rows and out-of-range codes zeroed
    value_mapping,              // (c) one layer per code
    other,
};
const char* stage_name(Stage stage);  // "quantization", "selective_shift", ...

struct NetworkLayer {
    Stage stage = Stage::other;
    std::variant<FeedForward, AttentionLayer, IdentityLayer> op;
    friend bool operator==(const NetworkLayer&, const NetworkLayer&) = default;
};

struct Network {
    std::uint32_t d = 0, n = 0;
    std::size_t p = 1;            // patterns in the cycle
    std::size_t start_phase = 0;  // the pattern of layer 0
    std::string pattern_name;
    Matrix embedding;             // E, d x n, added to the input before layer 0
    std::vector<NetworkLayer> layers;

    // The pattern the cycle assigns to layer t.
    std::size_t pattern_at(std::size_t t) const { return (start_phase + t) % p; }
    friend bool operator==(const Network&, const Network&) = default;
};

// Checks shapes (d entries everywhere, E is d x n), every phi in Phi, and that every attention or
// identity layer records the pattern the cycle assigns to it (and, when given, that the pattern has
// p layers over n tokens). Throws std::invalid_argument naming the layer.
void validate(const Network& network, const Pattern* pattern = nullptr);

// JSON form (docs/construction.md, "Network file"): exact numbers as strings "a/b".
nlohmann::json to_json(const Network& network);
// Reads the JSON form back; throws std::invalid_argument naming the JSON path of a bad value.
Network network_from_json(const nlohmann::json& doc);

// How a network is evaluated; all three are exact and give the same result (tests cross-check).
enum class Evaluator {
    // Every layer on every column, in order, with integer numerators over one shared denominator
    // (falls back to `rational` for a network whose slopes are not integers).
    plain,
    // Like plain, but a run of feed-forward "window" layers (phi zero outside one interval, same
    // w1 and b1, pairwise disjoint windows: the value mapping) is evaluated through a sorted index
    // of the windows: per column only the layers that fire are applied (docs/construction.md).
    indexed,
    // Every layer with canonical rationals (mpq): the reference, and the measurement baseline.
    rational,
};
const char* evaluator_name(Evaluator e);

// Evaluates g_bar(X) = layers(X + E) on d x n inputs. Compiles the network once; thread-safe.
class NetworkEvaluator {
public:
    NetworkEvaluator(const Network& network, const Pattern& pattern, Evaluator how = Evaluator::indexed);
    ~NetworkEvaluator();
    NetworkEvaluator(NetworkEvaluator&&) noexcept;
    NetworkEvaluator& operator=(NetworkEvaluator&&) noexcept;

    // The output of layer last - 1 (last = layers.size() by default) on the input X (E is added).
    Matrix operator()(const Matrix& input, std::optional<std::size_t> last = {}) const;
    // Layers [first, last) applied to a state that already includes E (no embedding added).
    Matrix apply(const Matrix& state, std::size_t first, std::size_t last) const;
    // The evaluator actually used (plain or indexed fall back to rational when the network is not
    // integral over a shared denominator).
    Evaluator evaluator() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A hardmax tie between attended tokens whose values differ makes sigma_H average them; the integer
// engine reports it with this exception and NetworkEvaluator then falls back to rationals.
struct HardmaxTie : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace sparsecert
