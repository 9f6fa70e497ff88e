// Strongly connected components of the union graph (docs/theory.md section 2, condition 2): the
// condensation that the Hamiltonian-path refutations, the closure sets and the repairs of
// sparsecert/repair/ reason about.
#pragma once

#include <cstdint>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert {

struct Components {
    // label[v]: v's component, numbered in a topological order of the condensation, so that an
    // edge j -> k always has label[j] <= label[k].
    std::vector<std::uint32_t> label;
    std::uint32_t count = 0;
};

// The components of the graph given by its out-neighbour lists (row j: the tokens k with an
// edge j -> k, e.g. transpose(union_graph(pattern))). Tarjan's algorithm (Boost.Graph), O(n + m).
Components strong_components(const Layer& out);

}  // namespace sparsecert
