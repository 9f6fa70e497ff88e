// The union graph of Assumption 1, condition 2 (docs/theory.md section 2; docs/algorithms.md section 1.1):
// edge j -> k whenever k attends to j in some pattern and j != k. Stored as in-neighbour lists
// (row k = union over l of A_k^l, minus k), which is exactly the CSR shape of a Layer.
//
// Built in O(p * connections): the rows of every layer are already sorted and duplicate-free, so
// a row of the union is a p-way merge (pairwise std::set_union) instead of a sort. Tokens are
// processed in chunks, one thread per chunk, and concatenated in token order, so the result does
// not depend on the number of threads. Memory: the union itself plus one row of scratch per thread.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <vector>

#include "sparsecert/conditions/hamiltonian.hpp"

namespace sparsecert {

namespace {

constexpr token_t union_chunk_tokens = 4096;

// Appends (union over layers of A_k) minus {k} to `out`; returns the number of tokens appended.
std::uint64_t append_union_row(const Pattern& pattern, token_t k, std::vector<token_t>& out,
                               std::vector<token_t>& merged, std::vector<token_t>& scratch) {
    const auto& layers = pattern.layers;
    const std::size_t before = out.size();
    if (layers.size() == 1) {
        for (token_t j : layers.front().attended(k))
            if (j != k) out.push_back(j);
        return out.size() - before;
    }
    auto first = layers.front().attended(k);
    merged.assign(first.begin(), first.end());
    for (std::size_t l = 1; l < layers.size(); ++l) {
        auto row = layers[l].attended(k);
        scratch.clear();
        std::set_union(merged.begin(), merged.end(), row.begin(), row.end(),
                       std::back_inserter(scratch));
        merged.swap(scratch);
    }
    for (token_t j : merged)
        if (j != k) out.push_back(j);
    return out.size() - before;
}

}  // namespace

Layer union_graph(CheckedPattern checked) {
    const Pattern& pattern = *checked;
    const token_t n = pattern.n;
    const std::size_t chunks = (std::size_t(n) + union_chunk_tokens - 1) / union_chunk_tokens;
    std::vector<std::vector<token_t>> chunk_targets(chunks);
    std::vector<std::uint64_t> offsets(std::size_t(n) + 1, 0);  // offsets[k+1]: degree of k first
    std::exception_ptr failure;  // an exception must not leave the OpenMP region
#pragma omp parallel if (chunks > 1)
    {
        std::vector<token_t> merged, scratch;
#pragma omp for schedule(dynamic, 1)
        for (std::size_t c = 0; c < chunks; ++c) {
            const token_t lo = token_t(c * union_chunk_tokens);
            const token_t hi =
                token_t(std::min<std::uint64_t>(n, std::uint64_t(lo) + union_chunk_tokens));
            try {
                for (token_t k = lo; k < hi; ++k)
                    offsets[std::size_t(k) + 1] =
                        append_union_row(pattern, k, chunk_targets[c], merged, scratch);
            } catch (...) {
#pragma omp critical(sparsecert_union_graph_failure)
                if (!failure) failure = std::current_exception();
            }
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

}  // namespace sparsecert
