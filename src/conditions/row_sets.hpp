// Set operations between structured attended sets (pattern.hpp) and per-token vectors, used by
// the propagations of the conditions: an interval costs O(1) whatever its length, a progression
// its number of tokens, a shared row is evaluated once for all the tokens that use it.
// Not installed: only the library's own sources include it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert::detail {

// A set of tokens as bits, with O(1) "does this interval meet the set" after build_rank().
class TokenBits {
public:
    explicit TokenBits(token_t n = 0) : n_(n), words_((std::size_t(n) + 63) / 64, 0) {}
    token_t size() const noexcept { return n_; }
    void set(token_t j) noexcept { words_[j >> 6] |= std::uint64_t{1} << (j & 63); }
    bool test(token_t j) const noexcept { return (words_[j >> 6] >> (j & 63)) & 1; }
    std::span<std::uint64_t> words() noexcept { return words_; }
    std::span<const std::uint64_t> words() const noexcept { return words_; }
    std::uint64_t count() const noexcept;
    // Prefix counts for meets(); call after the last change.
    void build_rank();
    // Whether s contains a token of the set (needs build_rank()).
    bool meets(const Segment& s) const noexcept;
    bool meets(std::span<const Segment> segments) const noexcept;

private:
    std::uint64_t rank(std::uint64_t j) const noexcept;  // set tokens below j
    token_t n_;
    std::vector<std::uint64_t> words_;
    std::vector<std::uint64_t> prefix_;  // set tokens in words before w
};

// The OR of 64-bit words f[lo..hi] in O(1) (64 sources propagated at once, one bit each): blocks
// of 64 tokens with in-block prefix and suffix ORs, and a sparse table over the blocks.
class RangeOr {
public:
    void build(std::span<const std::uint64_t> f);
    std::uint64_t query(token_t lo, token_t hi) const noexcept;
    std::uint64_t of(const Segment& s) const noexcept;
    std::uint64_t of(std::span<const Segment> segments) const noexcept;

private:
    std::span<const std::uint64_t> f_;
    std::vector<std::uint64_t> prefix_, suffix_;
    std::vector<std::vector<std::uint64_t>> table_;  // table_[l][b]: OR of blocks b .. b + 2^l - 1
};

// For every token j: the sum, modulo 2^64, of weight(k) over the tokens k with j in A_k. Shared
// rows are added once with the sum of their users' weights; intervals and progressions through
// difference arrays. O(n + segments) plus the strided progressions' lengths when more than a few
// strides occur. weight(k) = 1 gives the in-degrees.
std::vector<std::uint64_t> column_sums(const Layer& layer, const std::function<std::uint64_t(token_t)>& weight);

// A growing set of tokens with "the next token not in the set" (union-find with path halving),
// so that adding an interval costs O(new tokens + 1) amortized.
class GrowingSet {
public:
    explicit GrowingSet(token_t n) : next_(std::size_t(n) + 1) { reset(); }
    void reset();
    bool contains(token_t j) const noexcept { return next_[j] != j; }
    // Adds the tokens of s, calling fresh(j) for each one not in the set before.
    template <typename Fresh>
    void add(const Segment& s, Fresh&& fresh) {
        if (s.is_interval()) {
            for (std::uint64_t j = find(s.lo); j <= s.hi; j = find(token_t(j))) {
                next_[j] = token_t(j + 1);
                fresh(token_t(j));
            }
            return;
        }
        for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride)
            if (!contains(token_t(j))) {
                next_[j] = token_t(j + 1);
                fresh(token_t(j));
            }
    }

private:
    token_t find(token_t j) noexcept {
        while (next_[j] != j) {
            next_[j] = next_[next_[j]];
            j = next_[j];
        }
        return j;
    }
    std::vector<token_t> next_;  // next_[j] == j: j not in the set
};

}  // namespace sparsecert::detail
