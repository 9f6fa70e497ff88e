#include "sparsecert/conditions/star.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace sparsecert {

namespace {

bool attends(const Layer& layer, token_t k, token_t j) { return layer.attends(k, j); }

}  // namespace

StarResult check_star(CheckedPattern checked) {
    const Pattern& pattern = *checked;
    StarResult r;
    if (pattern.extra_tokens.size() != 1) {
        r.reason = pattern.extra_tokens.empty()
                       ? "the hub x_0 must be an extra token, and the pattern declares none (an input token as "
                         "hub is not the theorem's hypothesis)"
                       : fmt::format("the star adds exactly one extra token x_0, and the pattern declares {}",
                                     pattern.extra_tokens.size());
        return r;
    }
    const token_t h = pattern.extra_tokens.front();
    const token_t inputs = pattern.input_tokens();
    for (std::size_t l = 0; l < pattern.p(); ++l) {
        const Layer& layer = pattern.layers[l];
        // The hub attends to every input token: its row holds them all (and perhaps itself).
        const std::uint64_t hub_row = layer.degree(h) - (attends(layer, h, h) ? 1 : 0);
        if (hub_row != inputs) {
            r.reason = fmt::format("the extra token {} does not attend to every input token in pattern {}", h, l);
            return r;
        }
        for (token_t i = 0; i < pattern.n; ++i) {
            if (i == h) continue;
            if (!attends(layer, i, i) || !attends(layer, i, h)) {
                r.reason = fmt::format("input token {} does not attend to {} in pattern {}", i,
                                       attends(layer, i, i) ? fmt::format("the extra token {}", h) : "itself", l);
                return r;
            }
        }
    }
    r.holds = true;
    r.hub = h;
    r.reason = fmt::format("the extra token {} is x_0: every input token attends to itself and to it, and it attends "
                           "to every input token, in every pattern",
                           h);
    return r;
}

bool same_graph_in_every_layer(CheckedPattern checked) {
    const Pattern& pattern = *checked;
    for (const auto& layer : pattern.layers)
        if (!(layer == pattern.layers.front())) return false;
    return true;
}

std::optional<token_t> find_in_sequence_hub(CheckedPattern checked) {
    const Pattern& pattern = *checked;
    const token_t n = pattern.n;
    // A hub attends to all n tokens in every pattern: a full row is an O(1) test, and only the
    // (few) tokens with full rows everywhere are checked for being attended by every token, each
    // with a binary search per row that stops at the first row without it.
    for (token_t h = 0; h < n; ++h) {
        if (pattern.is_extra(h)) continue;
        bool attends_all = true;
        for (const auto& layer : pattern.layers) attends_all &= layer.degree(h) == n;
        if (!attends_all) continue;
        bool attended_by_all = true;
        for (const auto& layer : pattern.layers) {
            for (token_t k = 0; k < n && attended_by_all; ++k) attended_by_all = attends(layer, k, h);
            if (!attended_by_all) break;
        }
        if (attended_by_all) return h;
    }
    return std::nullopt;
}

}  // namespace sparsecert
