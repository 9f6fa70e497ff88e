// The star graph of BigBird's Theorem 1 (Zaheer et al. 2020, Definition 1; docs/theory.md section 5).
//
// As stated, the hub x_0 is an *extra* token added to the sequence (fixed input, output dropped):
// the star S on {x_0} and the n input tokens has N(i) = {x_0, i} for every input token i and
// N(x_0) = every input token, and the theorem is about one attention graph D containing S, used by
// every layer, for d_p with 1 < p < inf. An ordinary input token as the hub is not what the theorem
// states: find_in_sequence_hub looks for that adaptation, which is only a conjecture.
#pragma once

#include <optional>
#include <string>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert {

struct StarResult {
    bool holds = false;
    std::optional<token_t> hub;  // the extra token x_0 when holds
    std::string reason;          // one line: which part of the hypothesis fails, or what holds
};

// BigBird's hypothesis as stated: the pattern declares exactly one extra token h, and in every
// pattern every input token i attends to i and to h, and h attends to every input token.
// (Whether every layer uses the same graph is the separate check same_graph_in_every_layer.)
// O(n + connections).
StarResult check_star(CheckedPattern pattern);

// Whether every layer uses the same attended sets (p = 1, or all patterns equal): BigBird's
// theorem has one graph D for all layers.
bool same_graph_in_every_layer(CheckedPattern pattern);

// The adaptation with an ordinary input token as hub: the smallest input token that attends to
// all n tokens and is attended by all n, in every pattern. Not a hypothesis of any theorem.
std::optional<token_t> find_in_sequence_hub(CheckedPattern pattern);

}  // namespace sparsecert
