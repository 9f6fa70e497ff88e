// Condition 2 of Assumption 1 (docs/theory.md section 2): a directed Hamiltonian path in the union
// graph, which has an edge j -> k whenever k attends to j (j != k) in some pattern.
//
// Search order: the obvious token orders, polynomial refutations (sources/sinks, strongly
// connected components that do not form a chain, ...), a pruned depth-first search, then an exact
// Z3 encoding under a time budget. The answer is a path, a refutation, or "undetermined" with the
// budget that ran out.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/support/progress.hpp"

namespace sparsecert {

// The union graph as in-neighbour lists: row k = (union over l of A_k^l) minus {k}, i.e. the
// tokens j with an edge j -> k.
Layer union_graph(CheckedPattern pattern);

struct HamiltonianOptions {
    // Budget for the whole search in seconds: the DFS's share below, then the exact (Z3) stage,
    // parsing included, with what is left.
    double timeout_seconds = 10;
    std::uint64_t dfs_node_limit = 50'000'000;
    Progress progress;
    // The most the DFS may take of the budget (the node limit is the deterministic bound; this one
    // only keeps a pathological search from taking the exact stage's time).
    double dfs_timeout_seconds = 10;
    // The exact stage runs only on union graphs up to this size (the successor + ordering
    // encoding has one Boolean per edge, about 500 bytes of SMT-LIB per edge, and Z3 parses
    // about 5 MB/s; docs/algorithms.md section 1.5). Larger: "undetermined".
    std::uint32_t z3_max_vertices = 5000;
    std::uint64_t z3_max_edges = 100'000;
};

// Evidence for "no Hamiltonian path", checkable by a small program (check-certificate; docs/trust.md).
struct HamiltonianRefutation {
    // "sources": two tokens that no other token feeds (in-degree 0 in the union graph);
    // "sinks": two tokens that feed no other token (out-degree 0);
    // "scc-chain": two strongly connected components with no edge from the earlier to the later in
    //              the topological order of the condensation (they cannot be consecutive);
    // "hall": the tokens `tokens` have fewer than |tokens| - 1 distinct in-neighbours in total
    //              (on a path every token but the first needs its own predecessor);
    // "separator": removing `tokens` leaves more than |tokens| + 1 components of the undirected
    //              shadow graph;
    // "solver": Z3 answered unsat on the exact encoding (see `encoding`);
    // "exhaustive-search": the pruned DFS exhausted every start without a path and Z3 could not
    //              confirm it within its budget (no small certificate: re-check by re-running).
    std::string kind;
    std::vector<token_t> tokens;                 // sources/sinks/hall/separator set
    std::vector<std::uint32_t> component;        // scc-chain: component id of every token
    std::uint32_t first_component = 0, second_component = 0;  // scc-chain: the pair with no edge
    std::string encoding;                        // solver: the SMT-LIB 2 text that was unsat
};

struct HamiltonianResult {
    std::optional<bool> holds;                   // nullopt: undetermined within the budget
    // When holds: a permutation of [n] in the paper's direction: path[i] attends to path[i-1]
    // in at least one pattern, for every i >= 1.
    std::vector<token_t> path;
    std::string method;                          // "identity order", "dfs", "z3", "sources", ...
    std::string reason;                          // one line (when false or undetermined)
    std::optional<HamiltonianRefutation> refutation;
};

HamiltonianResult find_hamiltonian_path(CheckedPattern pattern, const HamiltonianOptions& options = {});

// Checks a candidate path (a permutation of [n], each token attending to its predecessor).
bool is_hamiltonian_path(const Pattern& pattern, std::span<const token_t> path);

// The exact encoding of "the union graph (in-neighbour lists, as returned by union_graph) has a
// Hamiltonian path" as portable SMT-LIB 2.6 (QF_LIA), ending in (check-sat): successor + ordering
// (docs/algorithms.md section 1.5), never the position encoding. Bool s_u_v per edge u -> v, Bool b_v /
// e_v for "v begins / ends the path", Int p_v in [0, n-1]; exactly one selected edge or b_v into
// every v, exactly one selected edge or e_v out of every v (sequential-counter at-most-one),
// exactly one b and one e, s_u_v => p_v = p_u + 1, b_v => p_v = 0, e_v => p_v = n - 1.
// Deterministic text: a checker can regenerate it from the pattern and compare before trusting
// an "unsat" from another solver (cvc5).
std::string hamiltonian_smt2(const Layer& union_in);

}  // namespace sparsecert
