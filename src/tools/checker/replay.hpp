// check-certificate's own replay of the reachability sets S_k^t (docs/trust.md, "Reachability"),
// on the pattern's structured rows (pattern.hpp) and written apart from the verifier's engines: it
// shares nothing with src/conditions/ but the pattern model. Every function computes S by the
// definition
//   S_k^1 = A_k^{L(1)},   S_k^t = union over j in A_k^{L(t)} of S_j^{t-1},
// only choosing a representation that makes it cheap: bits with intervals filled a word at a time,
// shared rows evaluated once per step, distinct rows as run lists, or 64 sources per machine word.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert::checker {

// A set of tokens, one bit each.
class TokenSet {
public:
    explicit TokenSet(token_t n = 0) : n_(n), words_((std::size_t(n) + 63) / 64, 0) {}
    token_t universe() const noexcept { return n_; }
    bool test(token_t j) const noexcept { return (words_[j >> 6] >> (j & 63)) & 1; }
    void set(token_t j) noexcept { words_[j >> 6] |= std::uint64_t{1} << (j & 63); }
    void add(const Segment& s) noexcept;
    bool full() const noexcept;
    std::uint64_t size() const noexcept;
    // Some token not in the set (the set must not be full).
    token_t first_missing() const noexcept;
    template <typename F>
    void for_each(F&& f) const {
        for (std::size_t w = 0; w < words_.size(); ++w)
            for (std::uint64_t x = words_[w]; x; x &= x - 1)
                f(token_t(w * 64 + unsigned(__builtin_ctzll(x))));
    }
    std::uint64_t word(std::size_t w) const noexcept { return words_[w]; }
    std::size_t word_count() const noexcept { return words_.size(); }
    friend bool operator==(const TokenSet&, const TokenSet&) = default;

private:
    token_t n_;
    std::vector<std::uint64_t> words_;
};

// S_k^t for t >= 1: {k} pushed back through the layers L(t), ..., L(1). O(t (n / 64 + the rows
// of the tokens reached)).
TokenSet backward(const Pattern& p, token_t k, std::uint64_t t);

// {k : h in S_k over the steps first..last}: C = {h}, then C = {k : A_k^{L(u)} meets C} for
// u = first, ..., last (an interval meets C in O(1) by prefix counts).
TokenSet forward(const Pattern& p, token_t h, std::uint64_t first, std::uint64_t last);

// When every A_k^l is one interval [a_k^l, b_k^l] containing k, with a^l and b^l nondecreasing in
// k, every S_k^t is an interval [lo, hi] with lo = a^{L(1)}(a^{L(2)}(... a^{L(t)}(k))) and hi the
// same through b (by induction: the union of the nondecreasing intervals S_j^{t-1} over the
// interval A_k is [lo_{a_k}, hi_{b_k}], since they contain j and so leave no gap).
struct Intervals {
    std::vector<std::vector<token_t>> a, b;  // per pattern
};
std::optional<Intervals> interval_structure(const Pattern& p);
std::pair<token_t, token_t> interval_at(const Intervals& iv, token_t k, std::uint64_t t);

// Whether S^1, ..., S^t are complete (S_k^u = [n] for every k), for every source at once.
struct Completeness {
    std::vector<char> complete;  // complete[u - 1] for u = 1..t
    std::string method;
};
// Uses the interval structure when it holds (O(t) per step), else distinct rows as run lists
// (rows shared by many tokens, or few runs), else 64 sources per machine word in batches;
// nullopt, with the reason, when none fits in `work_budget` elementary steps. With last_only,
// only complete[t - 1] is computed (enough when S^u grows with u).
std::optional<Completeness> complete_steps(const Pattern& p, std::uint64_t t, bool last_only,
                                           std::uint64_t work_budget, std::string& why_not);

}  // namespace sparsecert::checker
