#include "sparsecert/pattern/segment.hpp"

#include <algorithm>
#include <numeric>
#include <tuple>
#include <utility>

namespace sparsecert {

namespace {

constexpr std::uint64_t no_limit = ~std::uint64_t{0};

Segment canonical(Segment s) noexcept {
    if (s.lo == s.hi) s.stride = 1;
    return s;
}

bool by_start(const Segment& a, const Segment& b) noexcept {
    if (a.lo != b.lo) return a.lo < b.lo;
    if (a.hi != b.hi) return a.hi < b.hi;
    return a.stride < b.stride;
}

// Appends s to a normal list whose last span ends before s.lo, merging it into the last segment
// when the union is still one segment: touching intervals, or a progression continued by its
// next element(s) with the same stride.
void emit(std::vector<Segment>& out, Segment s) {
    if (!out.empty()) {
        Segment& last = out.back();
        if (last.is_interval() && s.is_interval() && std::uint64_t(last.hi) + 1 == s.lo) {
            last.hi = s.hi;
            return;
        }
        // {x} followed by x + d, x + 2d, ...; or a progression of stride d continued at hi + d.
        const token_t d = last.lo == last.hi ? s.stride : last.stride;
        if (d > 1 && (s.lo == s.hi || s.stride == d) && std::uint64_t(last.hi) + d == s.lo &&
            (last.lo == last.hi || last.stride == d)) {
            last.hi = s.hi;
            last.stride = d;
            return;
        }
    }
    out.push_back(s);
}

// A min-heap on (lo, hi, stride) of the segments still to place.
struct Pending {
    std::vector<Segment> heap;
    static bool later(const Segment& a, const Segment& b) noexcept { return by_start(b, a); }
    void push(const Segment& s) {
        heap.push_back(canonical(s));
        std::push_heap(heap.begin(), heap.end(), later);
    }
    void push(const std::optional<Segment>& s) {
        if (s) push(*s);
    }
    Segment pop() {
        std::pop_heap(heap.begin(), heap.end(), later);
        const Segment s = heap.back();
        heap.pop_back();
        return s;
    }
    const Segment& top() const noexcept { return heap.front(); }
    bool empty() const noexcept { return heap.empty(); }
};

// Whether two progressions share an element: x = a.lo + i a.stride = b.lo + j b.stride has a
// solution iff a.lo = b.lo modulo gcd(strides) (the spans are checked by the caller).
bool residues_meet(const Segment& a, const Segment& b) noexcept {
    const std::uint64_t g = std::gcd<std::uint64_t>(a.stride, b.stride);
    return (std::uint64_t(a.lo) % g) == (std::uint64_t(b.lo) % g);
}

}  // namespace

bool valid_segment(const Segment& s, std::uint64_t n) noexcept {
    if (s.lo > s.hi || s.stride == 0 || std::uint64_t(s.hi) >= n) return false;
    if (s.lo == s.hi) return s.stride == 1;
    return (s.hi - s.lo) % s.stride == 0;
}

std::optional<Segment> restrict_to(const Segment& s, std::uint64_t a, std::uint64_t b) noexcept {
    if (a > b || b < s.lo || a > s.hi) return std::nullopt;
    std::uint64_t first = s.lo;
    if (a > first) first += (a - first + s.stride - 1) / s.stride * std::uint64_t(s.stride);
    std::uint64_t last = s.hi;
    if (b < last) last = s.lo + (b - s.lo) / s.stride * std::uint64_t(s.stride);
    if (first > last) return std::nullopt;
    return canonical({token_t(first), token_t(last), s.stride});
}

void normalize(std::vector<Segment>& segments) {
    for (Segment& s : segments) s = canonical(s);
    if (segments.size() <= 1) return;
    if (!std::is_sorted(segments.begin(), segments.end(), by_start))
        std::sort(segments.begin(), segments.end(), by_start);
    bool disjoint = true;
    for (std::size_t i = 1; i < segments.size() && disjoint; ++i)
        disjoint = segments[i].lo > segments[i - 1].hi;
    std::vector<Segment> out;
    out.reserve(segments.size());
    if (disjoint) {
        for (const Segment& s : segments) emit(out, s);
        segments.swap(out);
        return;
    }
    // Overlapping spans: take the segment with the smallest start; while the next one starts
    // inside it, replace the two by pieces with the same union until the first one is clear.
    Pending pending;
    for (const Segment& s : segments) pending.push(s);
    while (!pending.empty()) {
        const Segment s = pending.pop();
        if (pending.empty() || pending.top().lo > s.hi) {
            emit(out, s);
            continue;
        }
        const Segment t = pending.pop();  // s.lo <= t.lo <= s.hi
        if (s.is_interval() && t.is_interval()) {
            pending.push(Segment::interval(s.lo, std::max(s.hi, t.hi)));
        } else if (s.is_interval()) {  // t's elements inside s are absorbed
            pending.push(s);
            pending.push(restrict_to(t, std::uint64_t(s.hi) + 1, no_limit));
        } else if (t.is_interval()) {  // s's elements inside t are absorbed
            if (t.lo > s.lo) pending.push(restrict_to(s, s.lo, std::uint64_t(t.lo) - 1));
            pending.push(t);
            pending.push(restrict_to(s, std::uint64_t(t.hi) + 1, no_limit));
        } else if (s.stride == t.stride && (t.lo - s.lo) % s.stride == 0) {
            pending.push(Segment{s.lo, std::max(s.hi, t.hi), s.stride});
        } else {
            // Different strides or phases: the tokens in the common span become single tokens.
            const std::uint64_t a = t.lo, b = std::min(s.hi, t.hi);
            if (a > s.lo) pending.push(restrict_to(s, s.lo, a - 1));
            for (const Segment& x : {s, t})
                if (auto inside = restrict_to(x, a, b))
                    for (std::uint64_t j = inside->lo; j <= inside->hi; j += inside->stride)
                        pending.push(Segment::single(token_t(j)));
            pending.push(restrict_to(s, b + 1, no_limit));
            pending.push(restrict_to(t, b + 1, no_limit));
        }
    }
    segments.swap(out);
}

bool is_normal(std::span<const Segment> segments, std::uint64_t n) noexcept {
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (!valid_segment(segments[i], n)) return false;
        if (i > 0 && segments[i].lo <= segments[i - 1].hi) return false;
    }
    return true;
}

void subtract(std::span<const Segment> a, std::span<const Segment> b, std::vector<Segment>& out) {
    for (const Segment& s : a) {
        // The segments of b whose spans meet s's span, in order.
        auto it = std::upper_bound(b.begin(), b.end(), s.lo,
                                   [](token_t x, const Segment& u) { return x < u.lo; });
        if (it != b.begin() && std::prev(it)->hi >= s.lo) --it;
        std::optional<Segment> rest = s;
        for (; it != b.end() && rest && it->lo <= rest->hi; ++it) {
            const Segment& u = *it;
            if (u.lo > rest->lo)
                if (auto below = restrict_to(*rest, rest->lo, std::uint64_t(u.lo) - 1)) emit(out, *below);
            if (auto inside = restrict_to(*rest, u.lo, u.hi)) {
                if (u.is_interval()) {
                    // all of it is in u
                } else if (!residues_meet(*inside, u)) {
                    emit(out, *inside);
                } else if (inside->stride % u.stride == 0) {
                    // inside's residue class lies in u's, whose span covers it: all in u
                } else {
                    for (std::uint64_t j = inside->lo; j <= inside->hi; j += inside->stride)
                        if (!u.contains(token_t(j))) emit(out, Segment::single(token_t(j)));
                }
            }
            rest = restrict_to(*rest, std::uint64_t(u.hi) + 1, no_limit);
        }
        if (rest) emit(out, *rest);
    }
}

std::optional<Segment> intersect(const Segment& a, const Segment& b) noexcept {
    const std::uint64_t lo = std::max(a.lo, b.lo), hi = std::min(a.hi, b.hi);
    if (lo > hi) return std::nullopt;
    if (a.lo == a.hi) return b.contains(a.lo) ? std::optional<Segment>(a) : std::nullopt;
    if (b.lo == b.hi) return a.contains(b.lo) ? std::optional<Segment>(b) : std::nullopt;
    // x = a.lo + a.stride * u = b.lo (mod b.stride): solvable iff g = gcd(strides) divides b.lo - a.lo;
    // then u = ((b.lo - a.lo) / g) * inverse(a.stride / g) modulo m = b.stride / g, and the common
    // elements are x + lcm * i.
    const std::int64_t da = a.stride, db = b.stride;
    const std::int64_t g = std::gcd(da, db);
    const std::int64_t diff = std::int64_t(b.lo) - std::int64_t(a.lo);
    if (diff % g != 0) return std::nullopt;
    const std::int64_t m = db / g;
    // The inverse of (da / g) modulo m by the extended Euclidean algorithm (m < 2^31).
    std::int64_t r0 = m, r1 = (da / g) % m, s0 = 0, s1 = 1;
    while (r1 != 0) {
        const std::int64_t q = r0 / r1;
        std::tie(r0, r1) = std::pair{r1, r0 - q * r1};
        std::tie(s0, s1) = std::pair{s1, s0 - q * s1};
    }
    const std::int64_t inverse = ((s0 % m) + m) % m;
    const std::int64_t target = ((diff / g) % m + m) % m;
    const std::uint64_t u = std::uint64_t(target) * std::uint64_t(inverse) % std::uint64_t(m);
    const std::uint64_t x = a.lo + std::uint64_t(da) * u;  // < 2^31 + 2^62
    const std::uint64_t lcm = std::uint64_t(da) * std::uint64_t(m);
    std::uint64_t first = x;
    if (first >= lo) first -= (first - lo) / lcm * lcm;
    else first += (lo - first + lcm - 1) / lcm * lcm;
    if (first > hi) return std::nullopt;
    const std::uint64_t last = first + (hi - first) / lcm * lcm;
    // Two or more elements lie in a span below 2^31, so then lcm fits a stride.
    if (last == first) return Segment::single(token_t(first));
    return Segment{token_t(first), token_t(last), token_t(lcm)};
}

void intersect(std::span<const Segment> a, std::span<const Segment> b, std::vector<Segment>& out) {
    for (const Segment& s : a) {
        // The segments of b whose spans meet s's span, in order.
        auto it = std::upper_bound(b.begin(), b.end(), s.lo,
                                   [](token_t x, const Segment& u) { return x < u.lo; });
        if (it != b.begin() && std::prev(it)->hi >= s.lo) --it;
        for (; it != b.end() && it->lo <= s.hi; ++it)
            if (auto common = intersect(s, *it)) emit(out, *common);
    }
}

bool contains(std::span<const Segment> normal, token_t j) noexcept {
    auto it = std::upper_bound(normal.begin(), normal.end(), j,
                               [](token_t x, const Segment& u) { return x < u.lo; });
    return it != normal.begin() && std::prev(it)->contains(j);
}

std::uint64_t count(std::span<const Segment> segments) noexcept {
    std::uint64_t total = 0;
    for (const Segment& s : segments) total += s.size();
    return total;
}

void append_tokens(std::span<const Segment> normal, std::vector<token_t>& out) {
    for (const Segment& s : normal)
        for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride) out.push_back(token_t(j));
}

}  // namespace sparsecert
