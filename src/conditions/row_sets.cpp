#include "conditions/row_sets.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <numeric>

namespace sparsecert::detail {

// ---------------------------------------------------------------------------------------------
// TokenBits

std::uint64_t TokenBits::count() const noexcept {
    std::uint64_t total = 0;
    for (std::uint64_t w : words_) total += std::uint64_t(std::popcount(w));
    return total;
}

void TokenBits::build_rank() {
    prefix_.resize(words_.size() + 1);
    prefix_[0] = 0;
    for (std::size_t w = 0; w < words_.size(); ++w) prefix_[w + 1] = prefix_[w] + std::uint64_t(std::popcount(words_[w]));
}

std::uint64_t TokenBits::rank(std::uint64_t j) const noexcept {
    const std::uint64_t w = j >> 6, b = j & 63;
    std::uint64_t r = prefix_[w];
    if (b) r += std::uint64_t(std::popcount(words_[w] & ((std::uint64_t{1} << b) - 1)));
    return r;
}

bool TokenBits::meets(const Segment& s) const noexcept {
    if (s.is_interval()) return rank(std::uint64_t(s.hi) + 1) > rank(s.lo);
    for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride)
        if (test(token_t(j))) return true;
    return false;
}

bool TokenBits::meets(std::span<const Segment> segments) const noexcept {
    for (const Segment& s : segments)
        if (meets(s)) return true;
    return false;
}

// ---------------------------------------------------------------------------------------------
// RangeOr

void RangeOr::build(std::span<const std::uint64_t> f) {
    f_ = f;
    const std::size_t n = f.size();
    prefix_.resize(n);
    suffix_.resize(n);
    const std::size_t blocks = (n + 63) / 64;
    std::vector<std::uint64_t> block(blocks, 0);
    for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t lo = b * 64, hi = std::min(n, lo + 64);
        std::uint64_t acc = 0;
        for (std::size_t j = lo; j < hi; ++j) prefix_[j] = acc |= f[j];
        block[b] = acc;
        acc = 0;
        for (std::size_t j = hi; j-- > lo;) suffix_[j] = acc |= f[j];
    }
    table_.clear();
    table_.push_back(std::move(block));
    for (std::size_t len = 2; len <= blocks; len *= 2) {
        const auto& prev = table_.back();
        std::vector<std::uint64_t> next(blocks - len + 1);
        for (std::size_t b = 0; b + len <= blocks; ++b) next[b] = prev[b] | prev[b + len / 2];
        table_.push_back(std::move(next));
    }
}

std::uint64_t RangeOr::query(token_t lo, token_t hi) const noexcept {
    const std::size_t a = lo >> 6, b = hi >> 6;
    if (a == b) {
        std::uint64_t acc = 0;
        for (std::size_t j = lo; j <= hi; ++j) acc |= f_[j];
        return acc;
    }
    std::uint64_t acc = suffix_[lo] | prefix_[hi];
    if (b > a + 1) {
        const std::size_t len = b - a - 1;
        const unsigned level = unsigned(std::bit_width(len) - 1);
        acc |= table_[level][a + 1] | table_[level][b - (std::size_t{1} << level)];
    }
    return acc;
}

std::uint64_t RangeOr::of(const Segment& s) const noexcept {
    if (s.is_interval()) return query(s.lo, s.hi);
    std::uint64_t acc = 0;
    for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride) acc |= f_[j];
    return acc;
}

std::uint64_t RangeOr::of(std::span<const Segment> segments) const noexcept {
    std::uint64_t acc = 0;
    for (const Segment& s : segments) acc |= of(s);
    return acc;
}

// ---------------------------------------------------------------------------------------------
// Column sums

std::vector<std::uint64_t> column_sums(const Layer& layer, const std::function<std::uint64_t(token_t)>& weight) {
    const token_t n = layer.size();
    std::vector<std::uint64_t> diff(std::size_t(n) + 1, 0), direct(n, 0);
    // One difference array per stride > 1 (few strides in practice: beyond a handful, the
    // progressions are added token by token).
    constexpr std::size_t max_strides = 8;
    std::map<token_t, std::vector<std::uint64_t>> strided;
    auto add = [&](const Segment& s, std::uint64_t w) {
        if (s.is_interval()) {
            diff[s.lo] += w;
            diff[std::size_t(s.hi) + 1] -= w;
            return;
        }
        auto it = strided.find(s.stride);
        if (it == strided.end() && strided.size() < max_strides)
            it = strided.emplace(s.stride, std::vector<std::uint64_t>(n, 0)).first;
        if (it == strided.end()) {
            for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride) direct[j] += w;
            return;
        }
        it->second[s.lo] += w;
        if (std::uint64_t(s.hi) + s.stride < n) it->second[s.hi + s.stride] -= w;
    };
    std::vector<std::uint64_t> shared_weight(layer.shared_rows(), 0);
    for (token_t k = 0; k < n; ++k) {
        const std::uint64_t w = weight(k);
        shared_weight[layer.shared_id(k)] += w;
        const RowView r = layer.row(k);
        for (const Segment& s : r.own) add(s, w);
        for (token_t j : r.tokens) direct[j] += w;
    }
    for (std::uint32_t r = 1; r < layer.shared_rows(); ++r)
        if (shared_weight[r] != 0)
            for (const Segment& s : layer.shared_row(r)) add(s, shared_weight[r]);
    std::vector<std::uint64_t> sums(n);
    std::uint64_t acc = 0;
    for (token_t j = 0; j < n; ++j) sums[j] = (acc += diff[j]) + direct[j];
    for (auto& [d, a] : strided) {
        for (std::size_t j = d; j < n; ++j) a[j] += a[j - d];
        for (token_t j = 0; j < n; ++j) sums[j] += a[j];
    }
    return sums;
}

// ---------------------------------------------------------------------------------------------
// GrowingSet

void GrowingSet::reset() { std::iota(next_.begin(), next_.end(), token_t{0}); }

}  // namespace sparsecert::detail
