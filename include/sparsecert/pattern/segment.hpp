// Attended sets described by structure instead of by their tokens (docs/pattern-format.md,
// "How patterns are stored").
//
// Every family of the literature describes A_k with a few numbers: a window is an interval, a
// strided or dilated pattern an arithmetic progression, a block layout a few intervals. A Segment
// is one such progression of tokens; a normal segment list is sorted by its first token, with
// pairwise disjoint spans [lo, hi], so that membership is a binary search, the size a sum and the
// tokens in order a concatenation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace sparsecert {

using token_t = std::uint32_t;

// The tokens lo, lo + stride, ..., hi: an interval when stride = 1, one token when lo = hi (then
// stride is 1). hi - lo is a multiple of stride.
struct Segment {
    token_t lo = 0;
    token_t hi = 0;
    token_t stride = 1;

    static constexpr Segment single(token_t j) noexcept { return {j, j, 1}; }
    static constexpr Segment interval(token_t lo, token_t hi) noexcept { return {lo, hi, 1}; }

    std::uint64_t size() const noexcept { return std::uint64_t(hi - lo) / stride + 1; }
    bool contains(token_t j) const noexcept { return j >= lo && j <= hi && (j - lo) % stride == 0; }
    bool is_interval() const noexcept { return stride == 1; }
    friend bool operator==(const Segment&, const Segment&) = default;
};

// Whether lo <= hi, stride >= 1, hi - lo a multiple of stride, stride = 1 for one token, hi < n.
bool valid_segment(const Segment& s, std::uint64_t n) noexcept;

// The elements of s in [a, b], or nothing.
std::optional<Segment> restrict_to(const Segment& s, std::uint64_t a, std::uint64_t b) noexcept;

// Rewrites any list of valid segments (any order, overlaps allowed) as a normal list of the same
// set: sorted, spans disjoint, touching intervals and continuing progressions merged. Overlapping
// progressions of different strides are split into single tokens where their spans overlap (the
// cost is the number of tokens there).
void normalize(std::vector<Segment>& segments);

// Whether a list is normal (sorted, spans disjoint, every segment valid below n).
bool is_normal(std::span<const Segment> segments, std::uint64_t n) noexcept;

// Appends the tokens of normal list `a` that are not in normal list `b` to `out`, as a normal list
// (out may already hold segments before a's first token).
void subtract(std::span<const Segment> a, std::span<const Segment> b, std::vector<Segment>& out);

// The common elements of two progressions (an arithmetic progression again, by the Chinese
// remainder theorem), or nothing.
std::optional<Segment> intersect(const Segment& a, const Segment& b) noexcept;

// Appends the tokens in both normal lists to `out` as a normal list (out may already hold segments
// before the first common token). Time O(|a| log |b| + the output): pass the shorter list as a.
void intersect(std::span<const Segment> a, std::span<const Segment> b, std::vector<Segment>& out);

// Membership in a normal list (binary search).
bool contains(std::span<const Segment> normal, token_t j) noexcept;

// The number of tokens of a list whose segments are disjoint.
std::uint64_t count(std::span<const Segment> segments) noexcept;

// Appends the tokens of a normal list in increasing order.
void append_tokens(std::span<const Segment> normal, std::vector<token_t>& out);

}  // namespace sparsecert
