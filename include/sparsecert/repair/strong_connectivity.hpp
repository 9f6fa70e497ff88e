// Condition 3 of Assumption 1 (docs/theory.md section 2) as an optimisation problem, once every
// pattern has self-attention: then S_k^t grows with t, and a finite s exists exactly when the
// union graph is strongly connected (each cycle of p layers carries information along every
// union edge at least once; without strong connectivity some j never reaches some k).
//
// The fewest edges that make a directed graph strongly connected are known exactly (K. P.
// Eswaran and R. E. Tarjan, "Augmentation problems", SIAM J. Computing 5(4), 1976): none when it
// is strongly connected, otherwise max(#source, #sink) components of its condensation (a
// component that is both counts in both). docs/repair.md gives the construction and its proof.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/repair/path_completion.hpp"

namespace sparsecert {

struct ConnectivityAugmentation {
    bool found = true;                  // false: the room constraint left a source component no token to extend
    std::vector<UnionEdge> added;       // exactly max(sources, sinks) edges, or none
    std::uint32_t components = 0, sources = 0, sinks = 0;  // of the condensation before
    std::string reason;                 // found false: why, one line
};

// `union_in`: in-neighbour lists (union_graph(pattern)). room[v] (empty: no limit): how many
// incoming edges token v may still gain; each added edge goes into a token with room left.
ConnectivityAugmentation strongly_connect(const Layer& union_in, const std::vector<std::uint64_t>& room = {});

}  // namespace sparsecert
