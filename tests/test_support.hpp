// Small helpers shared by the randomized tests: a fixed, portable generator and tiny CSR layers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert::testing {

// splitmix64: a fixed, portable generator (std distributions differ between libraries).
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t m) { return next() % m; }
    bool chance(unsigned percent) { return below(100) < percent; }
};

// Explicit rows straight to CSR (sorted, deduplicated), serially: the randomized tests build
// thousands of tiny layers, and layer_from_rows's parallel region each time would dominate on a
// loaded machine.
inline Layer rows_layer(std::vector<std::vector<token_t>> rows) {
    std::vector<std::uint64_t> offsets{0};
    std::vector<token_t> targets;
    for (auto& row : rows) {
        std::sort(row.begin(), row.end());
        row.erase(std::unique(row.begin(), row.end()), row.end());
        targets.insert(targets.end(), row.begin(), row.end());
        offsets.push_back(targets.size());
    }
    return Layer(std::move(offsets), std::move(targets));
}

}  // namespace sparsecert::testing
