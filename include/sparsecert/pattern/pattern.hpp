// Sparsity patterns in the framework of Yun et al. 2020 (docs/theory.md, section 1).
//
// A pattern over n tokens is a family of attended sets A_k (k in [n]): the tokens that token k
// attends to. A sparse Transformer cycles through p patterns A^1..A^p; layer t uses pattern
// ((t-1) mod p) + 1. sparsecert counts tokens and patterns from 0.
//
// Storage follows the structure of the families (docs/pattern-format.md, "How patterns are
// stored"): A_k is the disjoint union of three parts,
//   - a shared row: a normal segment list (segment.hpp) that many tokens use (a block of a block
//     layout, the global tokens, a residue class of a strided pattern, the whole sequence);
//   - the token's own segments (its window, its dilated band);
//   - the token's own explicit tokens, in CSR (explicit files, random rows).
// So memory is O(n * the rows' description), not O(connections): BigBird stores one shared row
// per block and 4 bytes per token. Every check works on this form; attended() still gives the
// tokens in order, expanding the row on the fly, for code where that is the natural form.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sparsecert/pattern/segment.hpp"

namespace sparsecert {

// Largest supported number of tokens (token ids must fit in token_t with room to spare).
inline constexpr std::uint64_t max_tokens = std::uint64_t{1} << 31;

// A_k in its three parts (see above); the parts are pairwise disjoint.
struct RowView {
    std::span<const Segment> shared;  // normal
    std::span<const Segment> own;     // normal
    std::span<const token_t> tokens;  // strictly increasing
    std::uint64_t shared_size = 0;    // count(shared), kept by the layer

    std::uint64_t size() const noexcept { return shared_size + count(own) + tokens.size(); }
    bool empty() const noexcept { return shared.empty() && own.empty() && tokens.empty(); }
    bool contains(token_t j) const noexcept;
    // Smallest and largest token (the row must not be empty).
    token_t min() const noexcept;
    token_t max() const noexcept;
    // f(segment) for every segment of the row, explicit tokens as one-token segments; parts one
    // after the other (not in token order).
    template <typename F>
    void for_each_segment(F&& f) const {
        for (const Segment& s : shared) f(s);
        for (const Segment& s : own) f(s);
        for (token_t j : tokens) f(Segment::single(j));
    }
    // f(j) for every token of the row, parts one after the other (not in token order).
    template <typename F>
    void for_each_token(F&& f) const {
        for_each_segment([&](const Segment& s) {
            for (std::uint64_t j = s.lo; j <= s.hi; j += s.stride) f(token_t(j));
        });
    }
    // Appends the tokens in increasing order.
    void append_to(std::vector<token_t>& out) const;
};

// A_k as sorted tokens: a view into the layer when the row is explicit tokens only, otherwise
// the row expanded on the fly (owned). Behaves like std::span<const token_t>.
class TokenRow {
public:
    TokenRow() = default;
    explicit TokenRow(std::span<const token_t> view) noexcept : view_(view) {}
    explicit TokenRow(std::vector<token_t>&& owned) noexcept
        : owned_(std::move(owned)), view_(owned_), owning_(true) {}
    TokenRow(TokenRow&& other) noexcept { *this = std::move(other); }
    TokenRow& operator=(TokenRow&& other) noexcept {
        owning_ = other.owning_;
        owned_ = std::move(other.owned_);
        view_ = owning_ ? std::span<const token_t>(owned_) : other.view_;
        return *this;
    }
    TokenRow(const TokenRow& other) : TokenRow() { *this = other; }
    TokenRow& operator=(const TokenRow& other) {
        owning_ = other.owning_;
        owned_ = other.owned_;
        view_ = owning_ ? std::span<const token_t>(owned_) : other.view_;
        return *this;
    }

    const token_t* begin() const noexcept { return view_.data(); }
    const token_t* end() const noexcept { return view_.data() + view_.size(); }
    const token_t* data() const noexcept { return view_.data(); }
    std::size_t size() const noexcept { return view_.size(); }
    bool empty() const noexcept { return view_.empty(); }
    token_t operator[](std::size_t i) const noexcept { return view_[i]; }
    token_t front() const noexcept { return view_.front(); }
    token_t back() const noexcept { return view_.back(); }
    operator std::span<const token_t>() const noexcept { return view_; }

private:
    std::vector<token_t> owned_;
    std::span<const token_t> view_;
    bool owning_ = false;
};

class LayerBuilder;

// One attention pattern A^l: for each token k the set A_k, stored as above.
class Layer {
public:
    Layer() = default;

    // An explicit layer from CSR arrays: offsets has n+1 entries, offsets[0] == 0, nondecreasing;
    // each row targets[offsets[k] .. offsets[k+1]) must be strictly increasing and < n.
    // Throws std::invalid_argument when these do not hold.
    Layer(std::vector<std::uint64_t> offsets, std::vector<token_t> targets);

    token_t size() const noexcept { return n_; }
    std::uint64_t connections() const noexcept { return connections_; }

    RowView row(token_t k) const noexcept {
        RowView r;
        const std::uint32_t s = shared_of_.empty() ? default_shared_ : shared_of_[k];
        r.shared = {shared_segments_.data() + shared_offsets_[s],
                    shared_segments_.data() + shared_offsets_[s + 1]};
        r.shared_size = shared_size_[s];
        if (!own_offsets_.empty())
            r.own = {own_segments_.data() + own_offsets_[k], own_segments_.data() + own_offsets_[k + 1]};
        if (!offsets_.empty())
            r.tokens = {targets_.data() + offsets_[k], targets_.data() + offsets_[k + 1]};
        return r;
    }
    // A_k: the tokens token k attends to, sorted ascending (expanded unless the row is explicit).
    TokenRow attended(token_t k) const;
    std::uint64_t degree(token_t k) const noexcept { return row(k).size(); }
    // Whether j is in A_k (binary searches).
    bool attends(token_t k, token_t j) const noexcept { return row(k).contains(j); }

    // The structure, for the checks that exploit it. Shared row 0 is the empty set.
    std::uint32_t shared_rows() const noexcept { return std::uint32_t(shared_offsets_.size() - 1); }
    std::span<const Segment> shared_row(std::uint32_t r) const noexcept {
        return {shared_segments_.data() + shared_offsets_[r], shared_segments_.data() + shared_offsets_[r + 1]};
    }
    std::uint64_t shared_row_size(std::uint32_t r) const noexcept { return shared_size_[r]; }
    std::uint32_t shared_id(token_t k) const noexcept { return shared_of_.empty() ? default_shared_ : shared_of_[k]; }
    // Whether A_k is its shared row alone (so tokens with the same shared id have equal rows).
    bool shared_only(token_t k) const noexcept {
        return (own_offsets_.empty() || own_offsets_[k] == own_offsets_[k + 1]) &&
               (offsets_.empty() || offsets_[k] == offsets_[k + 1]);
    }
    // Whether every row is explicit tokens only (plain CSR; token_offsets()/token_targets() are the layer).
    bool is_explicit() const noexcept { return shared_segments_.empty() && own_segments_.empty(); }
    // The explicit-token part in CSR: n + 1 offsets (empty when no row has explicit tokens).
    std::span<const std::uint64_t> token_offsets() const noexcept { return offsets_; }
    std::span<const token_t> token_targets() const noexcept { return targets_; }
    // Bytes held by the layer.
    std::uint64_t bytes() const noexcept;
    // The size of the description: shared and own segments plus explicit tokens (the cost of one
    // pass over the layer by the structured algorithms, next to n).
    std::uint64_t description_size() const noexcept {
        return shared_segments_.size() + own_segments_.size() + targets_.size();
    }

    // Equal attended sets for every token (whatever the representation).
    friend bool operator==(const Layer& a, const Layer& b);

private:
    friend class LayerBuilder;
    friend Layer extended(const Layer& layer, token_t n);

    token_t n_ = 0;
    std::uint64_t connections_ = 0;
    std::vector<std::uint64_t> shared_offsets_{0, 0};  // shared row r: [offsets[r], offsets[r+1])
    std::vector<Segment> shared_segments_;
    std::vector<std::uint64_t> shared_size_{0};  // tokens in shared row r
    std::vector<std::uint32_t> shared_of_;  // token -> shared row; empty: default_shared_ for all
    std::uint32_t default_shared_ = 0;
    std::vector<std::uint64_t> own_offsets_;  // n + 1 entries, or empty when no row has own segments
    std::vector<Segment> own_segments_;
    std::vector<std::uint64_t> offsets_;      // n + 1 entries, or empty when no row has explicit tokens
    std::vector<token_t> targets_;
};

// What a generator gives for one attended set: a shared row id (from LayerBuilder::share), own
// segments and explicit tokens, in any order, overlapping allowed; the builder normalizes them.
struct RowParts {
    std::uint32_t shared = 0;
    std::vector<Segment> own;
    std::vector<token_t> tokens;

    void clear() noexcept {
        shared = 0;
        own.clear();
        tokens.clear();
    }
    void add(token_t j) { tokens.push_back(j); }
    // The inclusive range lo..hi (nothing when lo > hi).
    void add_range(token_t lo, token_t hi) {
        if (lo <= hi) own.push_back(Segment::interval(lo, hi));
    }
    void add(const Segment& s) { own.push_back(s); }
};

// Builds a structured layer over n tokens: register shared rows, then fill every row.
class LayerBuilder {
public:
    explicit LayerBuilder(token_t n);

    // A shared row (valid segments below n, any order); equal sets registered twice in the same
    // form get the same id. Throws std::invalid_argument on an invalid segment.
    std::uint32_t share(std::vector<Segment> segments);

    // fill(k, parts) for every token, in parallel (it must be safe to call concurrently for
    // different k); the result does not depend on the number of threads. Throws
    // std::invalid_argument on a token, segment or shared id out of range.
    using Fill = std::function<void(token_t k, RowParts& parts)>;
    Layer build(const Fill& fill);

private:
    token_t n_;
    std::vector<std::uint64_t> offsets_{0, 0};
    std::vector<Segment> segments_;
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_hash_;
};

// Collects one attended set: tokens and inclusive ranges, in any order, duplicates allowed.
using RowSink = RowParts;

// Builds a Layer over n tokens from a function that fills each token's attended set.
// Rows are generated in parallel (row_fn must be safe to call concurrently for different k);
// the result does not depend on the number of threads.
using RowFunction = std::function<void(token_t k, RowSink& row)>;
Layer make_layer(token_t n, const RowFunction& row_fn);

// Builds a Layer from explicit rows (each sorted and deduplicated here).
Layer layer_from_rows(const std::vector<std::vector<token_t>>& rows);

// The union of several layers over the same n (used by {"union": [...]} and the union graph).
// Shared rows stay shared: tokens with the same shared rows in every layer share the union's.
Layer union_of(std::span<const Layer> layers);

// The intersection of several layers over the same n (used by {"intersect": [...]}): A_k is the set
// of tokens in every layer's A_k. Shared rows stay shared: tokens with the same shared rows in every
// layer share the intersection of those rows. Time O(n + the layers' descriptions (log) + the
// result's); nothing is expanded into tokens unless an input row is explicit tokens.
Layer intersection_of(std::span<const Layer> layers);

// The causal part of a layer (used by {"causal": ...}): A_k intersected with {0, ..., k}, so that no
// token attends to a later one (the causal masks of Child et al. 2019 and of decoder models).
Layer causal_part(const Layer& layer);

// The transpose: row j lists the tokens k with j in A_k (who attends to j). Explicit: memory and
// time O(connections).
Layer transpose(const Layer& layer);

// The same attended sets over n >= layer.size() tokens, the new tokens attending to nothing
// (structure kept).
Layer extended(const Layer& layer, token_t n);

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
    // The cost of one pass over every layer: n per layer plus its description.
    std::uint64_t description_size() const noexcept;
    bool is_extra(token_t k) const noexcept;
    // The number of input (non-extra) tokens.
    token_t input_tokens() const noexcept { return n - token_t(extra_tokens.size()); }
    // The pattern used by the t-th sparse layer, t = 0, 1, 2, ... (docs/theory.md section 1).
    const Layer& layer_at_step(std::uint64_t t) const { return layers[t % layers.size()]; }
    std::uint64_t connections() const noexcept;
};

// Checks that every layer has n tokens, p >= 1, and that the extra tokens are sorted, distinct,
// < n and leave at least one input token; throws std::invalid_argument otherwise.
void validate(const Pattern& pattern);

// A pattern that validate() accepted: what every check takes. A Pattern converts to it implicitly,
// validating it there, so a check called on its own validates once; verify() and
// check_applicability() validate once and hand the same CheckedPattern to every check of the run.
// A view: it refers to the pattern and must not outlive it.
class CheckedPattern {
public:
    CheckedPattern(const Pattern& pattern) : pattern_(&pattern) { validate(pattern); }  // implicit on purpose
    const Pattern& operator*() const noexcept { return *pattern_; }
    const Pattern* operator->() const noexcept { return pattern_; }

private:
    const Pattern* pattern_;
};

}  // namespace sparsecert
