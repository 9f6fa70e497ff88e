// Sparsity patterns in the framework of Yun et al. 2020 (theory.md, section 1).
//
// A pattern over n tokens is a family of attended sets A_k (k in [n]): the tokens that token k
// attends to. A sparse Transformer cycles through p patterns A^1..A^p; layer t uses pattern
// ((t-1) mod p) + 1. sparsecert counts tokens and patterns from 0.
//
// Storage is CSR: for every token k the sorted, duplicate-free list of attended tokens, so memory
// is proportional to the number of connections (4 bytes per connection plus 8 bytes per token).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace sparsecert {

using token_t = std::uint32_t;

// Largest supported number of tokens (token ids must fit in token_t with room to spare).
inline constexpr std::uint64_t max_tokens = std::uint64_t{1} << 31;

// One attention pattern A^l: for each token k, the sorted set A_k of tokens it attends to.
class Layer {
public:
    Layer() = default;

    // Takes CSR arrays: offsets has n+1 entries, offsets[0] == 0, nondecreasing; each row
    // targets[offsets[k] .. offsets[k+1]) must be strictly increasing and < n.
    // Throws std::invalid_argument when these do not hold.
    Layer(std::vector<std::uint64_t> offsets, std::vector<token_t> targets);

    token_t size() const noexcept { return offsets_.empty() ? 0 : token_t(offsets_.size() - 1); }
    std::uint64_t connections() const noexcept { return targets_.size(); }

    // A_k: the tokens token k attends to, sorted ascending.
    std::span<const token_t> attended(token_t k) const noexcept {
        return {targets_.data() + offsets_[k], targets_.data() + offsets_[k + 1]};
    }
    std::uint64_t degree(token_t k) const noexcept { return offsets_[k + 1] - offsets_[k]; }
    // Whether j is in A_k (binary search).
    bool attends(token_t k, token_t j) const noexcept;

    std::span<const std::uint64_t> offsets() const noexcept { return offsets_; }
    std::span<const token_t> targets() const noexcept { return targets_; }

    friend bool operator==(const Layer&, const Layer&) = default;

private:
    std::vector<std::uint64_t> offsets_;
    std::vector<token_t> targets_;
};

// Collects one attended set: tokens and inclusive ranges, in any order, duplicates allowed.
class RowSink {
public:
    void add(token_t j) { items_.push_back(j); }
    // Adds the inclusive range lo..hi (nothing when lo > hi).
    void add_range(token_t lo, token_t hi) {
        for (std::uint64_t j = lo; j <= hi; ++j) items_.push_back(token_t(j));
    }
    void clear() noexcept { items_.clear(); }
    // Sorts and removes duplicates; returns the row.
    std::span<const token_t> finish();

private:
    std::vector<token_t> items_;
};

// Builds a Layer over n tokens from a function that fills each token's attended set.
// Rows are generated in parallel (row_fn must be safe to call concurrently for different k);
// the result does not depend on the number of threads.
using RowFunction = std::function<void(token_t k, RowSink& row)>;
Layer make_layer(token_t n, const RowFunction& row_fn);

// Builds a Layer from explicit rows (each sorted and deduplicated here).
Layer layer_from_rows(const std::vector<std::vector<token_t>>& rows);

// The union of several layers over the same n (used by {"union": [...]} and the union graph).
Layer union_of(std::span<const Layer> layers);

// The transpose: row j lists the tokens k with j in A_k (who attends to j).
Layer transpose(const Layer& layer);

// p patterns over n tokens, used cyclically: layer t (0-based) uses layers[t % p].
//
// n counts every token the attention sees. Some of them may be *extra* tokens (ETC-style global
// tokens, the x_0 of BigBird's star graph, Zaheer et al. 2020 Definition 1): they are not part of
// the input sequence, their input is a fixed vector and their output is discarded. The input
// sequence is the other n - extra_tokens.size() tokens, in increasing order (docs/pattern-format.md).
struct Pattern {
    std::string name;
    std::string description;
    token_t n = 0;
    std::vector<Layer> layers;
    std::vector<token_t> extra_tokens;  // sorted, distinct, < n, fewer than n

    std::size_t p() const noexcept { return layers.size(); }
    bool is_extra(token_t k) const noexcept;
    // The number of input (non-extra) tokens.
    token_t input_tokens() const noexcept { return n - token_t(extra_tokens.size()); }
    // The pattern used by the t-th sparse layer, t = 0, 1, 2, ... (theory.md section 1).
    const Layer& layer_at_step(std::uint64_t t) const { return layers[t % layers.size()]; }
    std::uint64_t connections() const noexcept;
};

// Checks that every layer has n tokens, p >= 1, and that the extra tokens are sorted, distinct,
// < n and leave at least one input token; throws std::invalid_argument otherwise.
void validate(const Pattern& pattern);

}  // namespace sparsecert
