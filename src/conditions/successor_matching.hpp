// The successor matching of the union graph (internal to the library): the assignment relaxation
// of a Hamiltonian path (docs/algorithms.md section 1.2). The Hamiltonian-path search keeps one up to
// date move by move; the path completion of sparsecert/repair/ starts from a maximum one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert::detail {

inline constexpr token_t no_token = ~token_t{0};

// A matching "y comes right after x" between the tokens as predecessors (x) and as successors
// (y), along edges x -> y: the assignment relaxation of docs/algorithms.md section 1.2. A Hamiltonian
// path gives one that leaves only its first token without a predecessor, so a maximum matching
// that leaves two tokens without one refutes the path (Hall's condition, via Konig).
struct SuccessorMatching {
    std::vector<token_t> mate_in;   // mate_in[y]: y's matched predecessor
    std::vector<token_t> mate_out;  // mate_out[x]: x's matched successor
    std::vector<std::uint32_t> mark_in, mark_out;
    std::vector<token_t> queue, from;
    std::uint32_t epoch = 0;

    explicit SuccessorMatching(token_t n)
        : mate_in(n, no_token), mate_out(n, no_token), mark_in(n, 0), mark_out(n, 0), from(n) {}

    void next_epoch() {
        if (++epoch == 0) {
            std::fill(mark_in.begin(), mark_in.end(), 0);
            std::fill(mark_out.begin(), mark_out.end(), 0);
            epoch = 1;
        }
    }

    enum class Augment { found, none, capped };

    // Breadth-first alternating search from the token z (which has no predecessor) to a free
    // predecessor accepted by `eligible`; flips the path when found. `pred` holds the
    // predecessor lists. Gives up (changing nothing) after scanning `cap` edges.
    template <typename Eligible>
    Augment augment(const Layer& pred, token_t z, Eligible&& eligible, std::uint64_t cap,
                    std::uint64_t& work) {
        next_epoch();
        queue.assign(1, z);
        mark_in[z] = epoch;
        std::uint64_t scanned = 0;
        for (std::size_t head = 0; head < queue.size(); ++head) {
            const token_t y = queue[head];
            const auto row = pred.attended(y);
            scanned += row.size() + 1;
            if (scanned > cap) {
                work += scanned;
                return Augment::capped;
            }
            for (token_t x : row) {
                if (mark_out[x] == epoch || !eligible(x)) continue;
                mark_out[x] = epoch;
                const token_t next = mate_out[x];
                if (next == no_token) {  // x takes y, y's old predecessor takes from[y], ...
                    token_t cy = y, cx = x;
                    while (true) {
                        const token_t old = mate_in[cy];
                        mate_in[cy] = cx;
                        mate_out[cx] = cy;
                        if (cy == z) break;
                        cx = old;
                        cy = from[cy];
                    }
                    work += scanned;
                    return Augment::found;
                }
                if (mark_in[next] != epoch) {
                    mark_in[next] = epoch;
                    from[next] = y;
                    queue.push_back(next);
                }
            }
        }
        work += scanned;
        return Augment::none;
    }
};

// A maximum matching by Hopcroft-Karp (greedy start, then phases of one breadth-first layering
// from every token without a predecessor and disjoint depth-first augmentations along it), so
// that even union graphs with millions of edges cost a few passes. nullopt when `work_limit`
// (edges scanned) runs out.
std::optional<SuccessorMatching> maximum_matching(const Layer& pred, std::uint64_t work_limit);

}  // namespace sparsecert::detail
