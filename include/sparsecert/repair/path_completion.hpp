// Condition 2 of Assumption 1 (docs/theory.md section 2) as an optimisation problem: the fewest edges
// to add to the union graph so that it has a directed Hamiltonian path.
//
// A Hamiltonian path of G + E, cut at the edges of E, is a cover of G by |E| + 1 vertex-disjoint
// paths, and a cover by c paths becomes a Hamiltonian path with c - 1 added edges: the minimum is
// (the minimum path cover of G) - 1. That is NP-hard in general (c = 1 is the Hamiltonian path
// itself), polynomial on DAGs (n minus a maximum matching), and the answer here says which case
// it is: an exact minimum (a subset dynamic programme on small graphs, a DAG, or a construction
// that meets the lower bound) or a construction with the lower bound beside it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert {

// An edge of the union graph: `to` attends to `from` (from -> to, the paper's direction).
struct UnionEdge {
    token_t from = 0, to = 0;
    friend bool operator==(const UnionEdge&, const UnionEdge&) = default;
};

struct PathCompletionOptions {
    // Only edges from -> to with from < to may be added (a causal mask stays causal).
    bool forward_only = false;
    // room[v]: how many incoming edges token v may still gain (empty: no limit). A path gives
    // every token at most one new incoming edge, so only room[v] > 0 matters here.
    std::vector<std::uint64_t> room;
    // The exact subset dynamic programme (O(2^n n^2) time, 2^n n bytes) runs up to this many tokens.
    token_t exact_max_n = 18;
};

struct PathCompletion {
    bool found = false;               // false: no completion exists (exact) or none was constructed
    std::vector<token_t> path;        // a Hamiltonian path of the union graph plus `added`
    std::vector<UnionEdge> added;     // the consecutive pairs of `path` the union graph lacks
    std::uint64_t lower_bound = 0;    // every completion (under the options) adds at least this many
    bool exact = false;               // added.size() is the minimum, or (found false) none exists
    std::string method;               // how `path` was built
    std::string bound;                // what proves `lower_bound`
    std::string reason;               // found false: why, one line
};

// `union_in`: the union graph as in-neighbour lists (union_graph(pattern)).
PathCompletion complete_hamiltonian_path(const Layer& union_in, const PathCompletionOptions& options = {});

}  // namespace sparsecert
