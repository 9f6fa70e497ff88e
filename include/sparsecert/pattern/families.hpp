// Generators for the sparsity-pattern families of the literature (docs/theory.md section 6; the
// source code each follows is named in docs/families.md). Each returns exact CSR layers; docs/families.md states the rule
// and its source for every family. Tokens are 0-based; "k attends j" means j is in A_k.
#pragma once

#include <cstdint>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert::families {

// A_k = [n]. n^2 connections.
Layer dense(token_t n);

// A_k = {j : k - left <= j <= k + right} (clipped to [0, n)). Causal: right = 0.
Layer sliding_window(token_t n, token_t left, token_t right);

// A_k = {k + dilation * i : -left <= i <= right} (clipped): a window with holes, as in
// Longformer's dilated band (allenai/longformer, tvm mode: j = i + D*(t - w)).
Layer dilated_window(token_t n, token_t left, token_t right, token_t dilation);

// Child et al. 2019, bidirectional form of Yun et al. section 6 (p = 2):
// A^1_k = {k - c, ..., k + c} (the local part), A^2_k = {j : (j - k) mod c = 0} (the strided part).
std::vector<Layer> strided(token_t n, token_t c);

enum class FixedOrder { block_first, summary_first };
// Child et al. 2019 "fixed", bidirectional (p = 2): block pattern A_k = the block of size l
// containing k; summary pattern A_k = {j : j mod l >= l - c} (the last c tokens of every block)
// plus k itself. block_first gives [block, summary], summary_first gives [summary, block].
std::vector<Layer> fixed(token_t n, token_t l, token_t c, FixedOrder order);

// Star-Transformer (Guo et al. 2019), p = 1: the relay token attends to all tokens; every other
// token (a satellite) attends to itself, its ring neighbours (the previous and next satellite,
// wrapping around when ring is true) and the relay.
Layer star(token_t n, token_t relay, bool ring);

// Global tokens: a global token attends to all tokens; every other token attends to every global
// token, and to itself when self_attention is true (xformers' global_token_pattern has no self).
Layer global_tokens(token_t n, const std::vector<token_t>& global, bool self_attention);

// Longformer (Beltagy et al. 2020): sliding window |k - j| <= w one-sided (left = right = w)
// united with global tokens (attend to all, attended by all).
Layer longformer(token_t n, token_t left, token_t right, const std::vector<token_t>& global);

// BigBird ITC (Zaheer et al. 2020; google-research/bigbird block_sparse): block size b,
// nb = ceil(n / b) blocks. Query blocks 0 and nb-1 attend to all; every other query block i
// attends to key blocks {0, i-1, i, i+1, nb-1} plus r distinct random blocks drawn, per query
// block, from the blocks not already attended (seeded, deterministic).
Layer bigbird(token_t n, token_t b, token_t r, std::uint64_t seed);

// Random: every token attends to r distinct random other tokens (seeded), plus itself when
// self_attention is true.
Layer random(token_t n, token_t r, std::uint64_t seed, bool self_attention);

// Block-sparse from a block layout (DeepSpeed / Triton / xformers convention): layout[qb][kb] != 0
// means every token of query block qb attends to every token of key block kb;
// M = kron(layout, ones(b, b)). n may be smaller than layout.size() * b (a top-left crop).
Layer block_sparse(token_t n, token_t b, const std::vector<std::vector<std::uint8_t>>& layout);
// The same from the list of nonzero (query block, key block) pairs of an nb x nb layout, so that
// memory follows the pairs rather than nb^2 (a token-level layout has b = 1 and nb = n).
struct BlockPair {
    token_t query_block, key_block;
};
Layer block_sparse(token_t n, token_t b, token_t nb, const std::vector<BlockPair>& pairs);

// A deterministic generator for the seeded families (SplitMix64: same seed, same bytes on every
// platform, unlike std::uniform_int_distribution).
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, bound), bound > 0 (Lemire's multiply-and-reject, unbiased).
    std::uint64_t below(std::uint64_t bound);

private:
    std::uint64_t state_;
};

}  // namespace sparsecert::families
