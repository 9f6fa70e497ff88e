#include "sparsecert/pattern/pattern.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>

#include <omp.h>

namespace sparsecert {

// ---------------------------------------------------------------------------------------------
// Rows.

bool RowView::contains(token_t j) const noexcept {
    return sparsecert::contains(shared, j) || sparsecert::contains(own, j) ||
           std::binary_search(tokens.begin(), tokens.end(), j);
}

token_t RowView::min() const noexcept {
    token_t m = ~token_t{0};
    if (!shared.empty()) m = std::min(m, shared.front().lo);
    if (!own.empty()) m = std::min(m, own.front().lo);
    if (!tokens.empty()) m = std::min(m, tokens.front());
    return m;
}

token_t RowView::max() const noexcept {
    token_t m = 0;
    if (!shared.empty()) m = std::max(m, shared.back().hi);
    if (!own.empty()) m = std::max(m, own.back().hi);
    if (!tokens.empty()) m = std::max(m, tokens.back());
    return m;
}

void RowView::append_to(std::vector<token_t>& out) const {
    const std::size_t start = out.size();
    const int parts = int(!shared.empty()) + int(!own.empty()) + int(!tokens.empty());
    append_tokens(shared, out);
    if (parts <= 1) {
        append_tokens(own, out);
        out.insert(out.end(), tokens.begin(), tokens.end());
        return;
    }
    // Each part is sorted: merge them.
    std::vector<token_t> rest;
    append_tokens(own, rest);
    if (!tokens.empty()) {
        std::vector<token_t> merged(rest.size() + tokens.size());
        std::merge(rest.begin(), rest.end(), tokens.begin(), tokens.end(), merged.begin());
        rest.swap(merged);
    }
    const std::size_t middle = out.size();
    out.insert(out.end(), rest.begin(), rest.end());
    std::inplace_merge(out.begin() + std::ptrdiff_t(start), out.begin() + std::ptrdiff_t(middle), out.end());
}

// ---------------------------------------------------------------------------------------------
// Layers.

Layer::Layer(std::vector<std::uint64_t> offsets, std::vector<token_t> targets)
    : offsets_(std::move(offsets)), targets_(std::move(targets)) {
    if (offsets_.empty() || offsets_.front() != 0 || offsets_.back() != targets_.size())
        throw std::invalid_argument("CSR offsets must start at 0 and end at the number of targets");
    const std::uint64_t n = offsets_.size() - 1;
    if (n >= max_tokens) throw std::invalid_argument("too many tokens");
    for (std::uint64_t k = 0; k < n; ++k) {
        if (offsets_[k] > offsets_[k + 1])
            throw std::invalid_argument("CSR offsets must be nondecreasing");
        for (std::uint64_t e = offsets_[k]; e < offsets_[k + 1]; ++e) {
            if (targets_[e] >= n)
                throw std::invalid_argument("token " + std::to_string(k) + " attends to " +
                                            std::to_string(targets_[e]) + ", out of range");
            if (e > offsets_[k] && targets_[e] <= targets_[e - 1])
                throw std::invalid_argument("attended set of token " + std::to_string(k) +
                                            " is not strictly increasing");
        }
    }
    n_ = token_t(n);
    connections_ = targets_.size();
}

TokenRow Layer::attended(token_t k) const {
    const RowView r = row(k);
    if (r.shared.empty() && r.own.empty()) return TokenRow(r.tokens);
    std::vector<token_t> out;
    out.reserve(r.size());
    r.append_to(out);
    return TokenRow(std::move(out));
}

std::uint64_t Layer::bytes() const noexcept {
    return sizeof(Layer) + shared_offsets_.capacity() * 8 + shared_segments_.capacity() * sizeof(Segment) +
           shared_size_.capacity() * 8 + shared_of_.capacity() * 4 + own_offsets_.capacity() * 8 +
           own_segments_.capacity() * sizeof(Segment) + offsets_.capacity() * 8 + targets_.capacity() * 4;
}

bool operator==(const Layer& a, const Layer& b) {
    if (a.n_ != b.n_ || a.connections_ != b.connections_) return false;
    std::vector<token_t> x, y;
    auto same = [](auto p, auto q) { return std::equal(p.begin(), p.end(), q.begin(), q.end()); };
    for (token_t k = 0; k < a.n_; ++k) {
        const RowView ra = a.row(k), rb = b.row(k);
        if (same(ra.shared, rb.shared) && same(ra.own, rb.own) && same(ra.tokens, rb.tokens)) continue;
        if (ra.size() != rb.size()) return false;
        x.clear();
        y.clear();
        ra.append_to(x);
        rb.append_to(y);
        if (x != y) return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// Building.

namespace {

std::uint64_t mix(std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::string segment_text(const Segment& s) {
    return "{" + std::to_string(s.lo) + ".." + std::to_string(s.hi) + " step " + std::to_string(s.stride) + "}";
}

// Tokens are built in chunks; each chunk's rows by one thread, then the chunks are concatenated
// in token order, so the result is independent of scheduling.
constexpr token_t chunk_tokens = 4096;

}  // namespace

LayerBuilder::LayerBuilder(token_t n) : n_(n) {
    if (std::uint64_t(n) >= max_tokens) throw std::invalid_argument("too many tokens");
}

std::uint32_t LayerBuilder::share(std::vector<Segment> segments) {
    for (const Segment& s : segments)
        if (!valid_segment(s, n_))
            throw std::invalid_argument("shared row segment " + segment_text(s) + " is invalid for n = " +
                                        std::to_string(n_));
    normalize(segments);
    if (segments.empty()) return 0;
    std::uint64_t h = mix(segments.size());
    for (const Segment& s : segments) h = mix(h ^ (std::uint64_t(s.lo) << 32 | s.hi) ^ mix(s.stride));
    auto& same_hash = by_hash_[h];
    for (std::uint32_t id : same_hash)
        if (std::equal(segments.begin(), segments.end(), segments_.begin() + std::ptrdiff_t(offsets_[id]),
                       segments_.begin() + std::ptrdiff_t(offsets_[id + 1])))
            return id;
    const auto id = std::uint32_t(offsets_.size() - 1);
    segments_.insert(segments_.end(), segments.begin(), segments.end());
    offsets_.push_back(segments_.size());
    same_hash.push_back(id);
    return id;
}

Layer LayerBuilder::build(const Fill& fill) {
    const token_t n = n_;
    const auto shared_rows = std::uint32_t(offsets_.size() - 1);
    auto shared_row = [&](std::uint32_t r) {
        return std::span<const Segment>(segments_.data() + offsets_[r], segments_.data() + offsets_[r + 1]);
    };
    std::vector<std::uint64_t> shared_size(shared_rows);
    for (std::uint32_t r = 0; r < shared_rows; ++r) shared_size[r] = count(shared_row(r));
    const std::size_t chunks = (std::size_t(n) + chunk_tokens - 1) / chunk_tokens;
    struct Chunk {
        std::vector<Segment> own;
        std::vector<token_t> tokens;
    };
    std::vector<Chunk> parts_of(chunks);
    std::vector<std::uint32_t> shared_of(n), own_count(n), token_count(n);
    std::uint64_t connections = 0;
    std::exception_ptr failure;  // an exception must not leave the OpenMP region
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : connections) if (chunks > 1)
    for (std::size_t c = 0; c < chunks; ++c) {
        const token_t lo = token_t(c * chunk_tokens);
        const token_t hi = token_t(std::min<std::uint64_t>(n, std::uint64_t(lo) + chunk_tokens));
        RowParts parts;
        std::vector<Segment> own;
        Chunk& out = parts_of[c];
        try {
            for (token_t k = lo; k < hi; ++k) {
                parts.clear();
                fill(k, parts);
                if (parts.shared >= shared_rows)
                    throw std::invalid_argument("row " + std::to_string(k) + ": shared row " +
                                                std::to_string(parts.shared) + " does not exist");
                for (const Segment& s : parts.own)
                    if (!valid_segment(s, n))
                        throw std::invalid_argument("generated segment " + segment_text(s) + " of token " +
                                                    std::to_string(k) + " is out of range or invalid");
                for (token_t j : parts.tokens)
                    if (j >= n) throw std::invalid_argument("generated token out of range");
                const auto shared = shared_row(parts.shared);
                normalize(parts.own);
                own.clear();
                if (shared.empty()) own.swap(parts.own);
                else subtract(parts.own, shared, own);
                auto& t = parts.tokens;
                std::sort(t.begin(), t.end());
                t.erase(std::unique(t.begin(), t.end()), t.end());
                t.erase(std::remove_if(t.begin(), t.end(),
                                       [&](token_t j) { return contains(shared, j) || contains(own, j); }),
                        t.end());
                shared_of[k] = parts.shared;
                own_count[k] = std::uint32_t(own.size());
                token_count[k] = std::uint32_t(t.size());
                out.own.insert(out.own.end(), own.begin(), own.end());
                out.tokens.insert(out.tokens.end(), t.begin(), t.end());
                connections += shared_size[parts.shared] + count(own) + t.size();
            }
        } catch (...) {
#pragma omp critical(sparsecert_build_failure)
            if (!failure) failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);

    Layer layer;
    layer.n_ = n;
    layer.connections_ = connections;
    auto csr = [&](const std::vector<std::uint32_t>& counts, auto& offsets, auto& items, auto member) {
        std::uint64_t total = 0;
        for (const Chunk& c : parts_of) total += (c.*member).size();
        if (total == 0) return;
        offsets.assign(std::size_t(n) + 1, 0);
        for (std::size_t k = 0; k < n; ++k) offsets[k + 1] = offsets[k] + counts[k];
        items.reserve(total);
        for (Chunk& c : parts_of) {
            items.insert(items.end(), (c.*member).begin(), (c.*member).end());
            std::remove_reference_t<decltype(c.*member)>().swap(c.*member);
        }
    };
    csr(own_count, layer.own_offsets_, layer.own_segments_, &Chunk::own);
    csr(token_count, layer.offsets_, layer.targets_, &Chunk::tokens);
    layer.shared_offsets_ = std::move(offsets_);
    layer.shared_segments_ = std::move(segments_);
    layer.shared_size_ = std::move(shared_size);
    const bool uniform = std::all_of(shared_of.begin(), shared_of.end(),
                                     [&](std::uint32_t s) { return s == shared_of.front(); });
    if (uniform) layer.default_shared_ = n > 0 ? shared_of.front() : 0;
    else layer.shared_of_ = std::move(shared_of);
    return layer;
}

Layer make_layer(token_t n, const RowFunction& row_fn) {
    return LayerBuilder(n).build(row_fn);
}

Layer layer_from_rows(const std::vector<std::vector<token_t>>& rows) {
    return make_layer(token_t(rows.size()), [&](token_t k, RowParts& parts) {
        parts.tokens.assign(rows[k].begin(), rows[k].end());
    });
}

Layer union_of(std::span<const Layer> layers) {
    if (layers.empty()) throw std::invalid_argument("union of no layers");
    const token_t n = layers.front().size();
    for (const auto& l : layers)
        if (l.size() != n) throw std::invalid_argument("union of layers with different n");
    if (layers.size() == 1) return layers.front();
    // One shared row per distinct combination of the layers' shared rows.
    LayerBuilder builder(n);
    std::map<std::vector<std::uint32_t>, std::uint32_t> combined;
    std::vector<std::uint32_t> shared_of(n);
    std::vector<std::uint32_t> key, last;
    std::uint32_t last_id = 0;
    for (token_t k = 0; k < n; ++k) {
        key.clear();
        for (const auto& l : layers) key.push_back(l.shared_id(k));
        if (k > 0 && key == last) {
            shared_of[k] = last_id;
            continue;
        }
        auto [it, fresh] = combined.try_emplace(key, 0);
        if (fresh) {
            std::vector<Segment> segments;
            for (std::size_t i = 0; i < layers.size(); ++i) {
                const auto row = layers[i].shared_row(key[i]);
                segments.insert(segments.end(), row.begin(), row.end());
            }
            it->second = builder.share(std::move(segments));
        }
        shared_of[k] = last_id = it->second;
        last = key;
    }
    return builder.build([&](token_t k, RowParts& parts) {
        parts.shared = shared_of[k];
        for (const auto& l : layers) {
            const RowView r = l.row(k);
            parts.own.insert(parts.own.end(), r.own.begin(), r.own.end());
            parts.tokens.insert(parts.tokens.end(), r.tokens.begin(), r.tokens.end());
        }
    });
}

namespace {

// A row's explicit tokens as one-token segments (a normal list, since the tokens are sorted).
void token_segments(std::span<const token_t> tokens, std::vector<Segment>& out) {
    out.clear();
    for (token_t j : tokens) out.push_back(Segment::single(j));
}

// Appends a ∩ b for two normal lists, the shorter one driving the search.
void intersect_into(std::span<const Segment> a, std::span<const Segment> b, std::vector<Segment>& out) {
    if (a.size() <= b.size()) intersect(a, b, out);
    else intersect(b, a, out);
}

Layer intersect_two(const Layer& x, const Layer& y) {
    const token_t n = x.size();
    // One shared row per pair of shared rows: (X1 u X2) n (Y1 u Y2) with X1, Y1 the shared rows,
    // and X1 n Y1 is the same for every token with that pair.
    LayerBuilder builder(n);
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> combined;
    std::vector<std::uint32_t> shared_of(n);
    std::vector<Segment> common;
    std::pair<std::uint32_t, std::uint32_t> last{~0u, ~0u};
    std::uint32_t last_id = 0;
    for (token_t k = 0; k < n; ++k) {
        const std::pair key{x.shared_id(k), y.shared_id(k)};
        if (key != last) {
            auto [it, fresh] = combined.try_emplace(key, 0);
            if (fresh) {
                common.clear();
                intersect_into(x.shared_row(key.first), y.shared_row(key.second), common);
                it->second = builder.share(common);
            }
            last = key;
            last_id = it->second;
        }
        shared_of[k] = last_id;
    }
    return builder.build([&](token_t k, RowParts& parts) {
        parts.shared = shared_of[k];
        const RowView a = x.row(k), b = y.row(k);
        if (a.own.empty() && a.tokens.empty() && b.own.empty() && b.tokens.empty()) return;
        thread_local std::vector<Segment> a_tokens, b_tokens;
        token_segments(a.tokens, a_tokens);
        token_segments(b.tokens, b_tokens);
        const std::span<const Segment> a_parts[] = {a.shared, a.own, a_tokens};
        const std::span<const Segment> b_parts[] = {b.shared, b.own, b_tokens};
        for (std::size_t i = 0; i < 3; ++i)
            for (std::size_t j = 0; j < 3; ++j)
                if (i + j > 0) intersect_into(a_parts[i], b_parts[j], parts.own);
    });
}

}  // namespace

Layer intersection_of(std::span<const Layer> layers) {
    if (layers.empty()) throw std::invalid_argument("intersection of no layers");
    const token_t n = layers.front().size();
    for (const auto& l : layers)
        if (l.size() != n) throw std::invalid_argument("intersection of layers with different n");
    Layer result = layers.front();
    for (std::size_t i = 1; i < layers.size(); ++i) result = intersect_two(result, layers[i]);
    return result;
}

Layer causal_part(const Layer& layer) {
    const token_t n = layer.size();
    // A shared row stays shared for the tokens at or after its last element; the tokens before it
    // keep their part of it as own segments.
    LayerBuilder builder(n);
    std::vector<std::uint32_t> ids(layer.shared_rows());
    for (std::uint32_t r = 1; r < layer.shared_rows(); ++r) {
        const auto row = layer.shared_row(r);
        ids[r] = builder.share(std::vector<Segment>(row.begin(), row.end()));
    }
    return builder.build([&](token_t k, RowParts& parts) {
        const RowView r = layer.row(k);
        if (!r.shared.empty() && r.shared.back().hi <= k) {
            parts.shared = ids[layer.shared_id(k)];
        } else {
            for (const Segment& s : r.shared)
                if (auto kept = restrict_to(s, 0, k)) parts.own.push_back(*kept);
        }
        for (const Segment& s : r.own)
            if (auto kept = restrict_to(s, 0, k)) parts.own.push_back(*kept);
        for (token_t j : r.tokens) {
            if (j > k) break;
            parts.tokens.push_back(j);
        }
    });
}

Layer transpose(const Layer& layer) {
    const token_t n = layer.size();
    std::vector<std::uint64_t> offsets(std::size_t(n) + 1, 0);
    for (token_t k = 0; k < n; ++k) layer.row(k).for_each_token([&](token_t j) { ++offsets[std::size_t(j) + 1]; });
    for (std::size_t k = 0; k < n; ++k) offsets[k + 1] += offsets[k];
    std::vector<token_t> targets(layer.connections());
    std::vector<std::uint64_t> cursor(offsets.begin(), offsets.end() - 1);
    // Rows of the input are visited in increasing k, so each output row comes out sorted.
    for (token_t k = 0; k < n; ++k) layer.row(k).for_each_token([&](token_t j) { targets[cursor[j]++] = k; });
    return Layer(std::move(offsets), std::move(targets));
}

Layer extended(const Layer& layer, token_t n) {
    if (n < layer.n_) throw std::invalid_argument("extended: fewer tokens than the layer has");
    if (std::uint64_t(n) >= max_tokens) throw std::invalid_argument("too many tokens");
    Layer out = layer;
    out.n_ = n;
    if (!out.shared_of_.empty() || out.default_shared_ != 0) {
        if (out.shared_of_.empty()) out.shared_of_.assign(layer.n_, layer.default_shared_);
        out.shared_of_.resize(n, 0);
    }
    if (!out.own_offsets_.empty()) out.own_offsets_.resize(std::size_t(n) + 1, out.own_offsets_.back());
    if (!out.offsets_.empty()) out.offsets_.resize(std::size_t(n) + 1, out.offsets_.back());
    else if (out.is_explicit()) out.offsets_.assign(std::size_t(n) + 1, 0);
    return out;
}

std::uint64_t Pattern::connections() const noexcept {
    std::uint64_t total = 0;
    for (const auto& l : layers) total += l.connections();
    return total;
}

std::uint64_t Pattern::description_size() const noexcept {
    std::uint64_t total = 0;
    for (const auto& l : layers) total += l.description_size() + l.size();
    return total;
}

bool Pattern::is_extra(token_t k) const noexcept {
    return std::binary_search(extra_tokens.begin(), extra_tokens.end(), k);
}

void validate(const Pattern& pattern) {
    if (pattern.n == 0) throw std::invalid_argument("n must be positive");
    const auto& extra = pattern.extra_tokens;
    for (std::size_t i = 0; i < extra.size(); ++i) {
        if (extra[i] >= pattern.n)
            throw std::invalid_argument("extra token " + std::to_string(extra[i]) + " is not below n = " +
                                        std::to_string(pattern.n));
        if (i > 0 && extra[i] <= extra[i - 1])
            throw std::invalid_argument("extra tokens must be sorted and distinct");
    }
    if (extra.size() >= pattern.n) throw std::invalid_argument("every token is extra: no input token is left");
    if (pattern.layers.empty()) throw std::invalid_argument("a pattern needs at least one layer");
    for (std::size_t l = 0; l < pattern.layers.size(); ++l)
        if (pattern.layers[l].size() != pattern.n)
            throw std::invalid_argument("layer " + std::to_string(l) + " has " +
                                        std::to_string(pattern.layers[l].size()) +
                                        " tokens, expected " + std::to_string(pattern.n));
}

}  // namespace sparsecert
