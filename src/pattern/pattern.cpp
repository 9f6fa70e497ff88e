#include "sparsecert/pattern/pattern.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>

#include <omp.h>

namespace sparsecert {

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
}

bool Layer::attends(token_t k, token_t j) const noexcept {
    auto row = attended(k);
    return std::binary_search(row.begin(), row.end(), j);
}

std::span<const token_t> RowSink::finish() {
    std::sort(items_.begin(), items_.end());
    items_.erase(std::unique(items_.begin(), items_.end()), items_.end());
    return items_;
}

namespace {

// Tokens are generated in chunks; each chunk's rows are built by one thread, then the chunks are
// concatenated in token order, so the result is independent of scheduling.
constexpr token_t chunk_tokens = 4096;

template <typename FillChunk>
Layer build_chunked(token_t n, FillChunk fill_chunk) {
    const std::size_t chunks = (std::size_t(n) + chunk_tokens - 1) / chunk_tokens;
    std::vector<std::vector<token_t>> chunk_targets(chunks);
    std::vector<std::uint64_t> offsets(std::size_t(n) + 1, 0);
    // offsets[k+1] temporarily holds the degree of k.
    // An exception must not leave an OpenMP region: keep the first and rethrow afterwards.
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1) if (chunks > 1)
    for (std::size_t c = 0; c < chunks; ++c) {
        const token_t lo = token_t(c * chunk_tokens);
        const token_t hi = token_t(std::min<std::uint64_t>(n, std::uint64_t(lo) + chunk_tokens));
        try {
            fill_chunk(lo, hi, chunk_targets[c], offsets.data() + 1);
        } catch (...) {
#pragma omp critical(sparsecert_build_failure)
            if (!failure) failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);
    for (std::size_t k = 0; k < n; ++k) offsets[k + 1] += offsets[k];
    std::vector<token_t> targets;
    targets.reserve(offsets[n]);
    for (auto& part : chunk_targets) {
        targets.insert(targets.end(), part.begin(), part.end());
        std::vector<token_t>().swap(part);
    }
    return Layer(std::move(offsets), std::move(targets));
}

}  // namespace

Layer make_layer(token_t n, const RowFunction& row_fn) {
    return build_chunked(n, [&](token_t lo, token_t hi, std::vector<token_t>& out,
                                std::uint64_t* degree) {
        RowSink sink;
        for (token_t k = lo; k < hi; ++k) {
            sink.clear();
            row_fn(k, sink);
            auto row = sink.finish();
            if (!row.empty() && row.back() >= n)
                throw std::invalid_argument("generated token out of range");
            out.insert(out.end(), row.begin(), row.end());
            degree[k] = row.size();
        }
    });
}

Layer layer_from_rows(const std::vector<std::vector<token_t>>& rows) {
    const token_t n = token_t(rows.size());
    return make_layer(n, [&](token_t k, RowSink& sink) {
        for (token_t j : rows[k]) sink.add(j);
    });
}

Layer union_of(std::span<const Layer> layers) {
    if (layers.empty()) throw std::invalid_argument("union of no layers");
    const token_t n = layers.front().size();
    for (const auto& l : layers)
        if (l.size() != n) throw std::invalid_argument("union of layers with different n");
    return make_layer(n, [&](token_t k, RowSink& sink) {
        for (const auto& l : layers)
            for (token_t j : l.attended(k)) sink.add(j);
    });
}

Layer transpose(const Layer& layer) {
    const token_t n = layer.size();
    std::vector<std::uint64_t> offsets(std::size_t(n) + 1, 0);
    for (token_t j : layer.targets()) ++offsets[std::size_t(j) + 1];
    for (std::size_t k = 0; k < n; ++k) offsets[k + 1] += offsets[k];
    std::vector<token_t> targets(layer.connections());
    std::vector<std::uint64_t> cursor(offsets.begin(), offsets.end() - 1);
    // Rows of the input are visited in increasing k, so each output row comes out sorted.
    for (token_t k = 0; k < n; ++k)
        for (token_t j : layer.attended(k)) targets[cursor[j]++] = k;
    return Layer(std::move(offsets), std::move(targets));
}

std::uint64_t Pattern::connections() const noexcept {
    std::uint64_t total = 0;
    for (const auto& l : layers) total += l.connections();
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
