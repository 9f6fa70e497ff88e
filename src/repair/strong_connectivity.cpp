// Eswaran-Tarjan augmentation (strong_connectivity.hpp; docs/repair.md, "Full mixing").
#include "sparsecert/repair/strong_connectivity.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "sparsecert/conditions/components.hpp"

namespace sparsecert {

namespace {

constexpr std::uint32_t none = ~std::uint32_t{0};

// The condensation: component c's successors (deduplicated) and members (ascending).
struct Condensation {
    std::vector<std::uint64_t> out_offsets, member_offsets;
    std::vector<std::uint32_t> out;
    std::vector<token_t> members;

    std::span<const std::uint32_t> successors(std::uint32_t c) const {
        return {out.data() + out_offsets[c], out.data() + out_offsets[c + 1]};
    }
    std::span<const token_t> tokens(std::uint32_t c) const {
        return {members.data() + member_offsets[c], members.data() + member_offsets[c + 1]};
    }
};

Condensation condense(const Layer& union_in, const Components& comp) {
    const token_t n = union_in.size();
    std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
    for (token_t k = 0; k < n; ++k)
        for (token_t j : union_in.attended(k))
            if (comp.label[j] != comp.label[k]) edges.emplace_back(comp.label[j], comp.label[k]);
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    Condensation c;
    c.out_offsets.assign(std::size_t(comp.count) + 1, 0);
    for (const auto& [a, b] : edges) {
        ++c.out_offsets[a + 1];
        c.out.push_back(b);
    }
    c.member_offsets.assign(std::size_t(comp.count) + 1, 0);
    for (token_t v = 0; v < n; ++v) ++c.member_offsets[comp.label[v] + 1];
    for (std::uint32_t i = 0; i < comp.count; ++i) {
        c.out_offsets[i + 1] += c.out_offsets[i];
        c.member_offsets[i + 1] += c.member_offsets[i];
    }
    c.members.resize(n);
    std::vector<std::uint64_t> fill(c.member_offsets.begin(), c.member_offsets.end() - 1);
    for (token_t v = 0; v < n; ++v) c.members[fill[comp.label[v]]++] = v;
    return c;
}

}  // namespace

ConnectivityAugmentation strongly_connect(const Layer& union_in, const std::vector<std::uint64_t>& room_in) {
    ConnectivityAugmentation out;
    const Components comp = strong_components(transpose(union_in));
    out.components = comp.count;
    if (comp.count <= 1) return out;
    const Condensation cond = condense(union_in, comp);
    const std::uint32_t count = comp.count;
    std::vector<char> has_in(count, 0);
    for (std::uint32_t a = 0; a < count; ++a)
        for (std::uint32_t b : cond.successors(a)) has_in[b] = 1;
    auto is_sink = [&](std::uint32_t c) { return cond.successors(c).empty(); };
    std::vector<std::uint32_t> sources, sinks;
    for (std::uint32_t c = 0; c < count; ++c) {
        if (!has_in[c]) sources.push_back(c);
        if (is_sink(c)) sinks.push_back(c);
    }
    out.sources = std::uint32_t(sources.size());
    out.sinks = std::uint32_t(sinks.size());

    // Eswaran-Tarjan pairing: from each source not yet visited, a depth-first search through
    // unvisited components to the first sink. The pairs (s_i, t_i) then satisfy: every source
    // reaches some t_i and every sink is reached from some s_i (docs/repair.md gives the proof).
    std::vector<char> visited(count, 0), paired_source(count, 0), paired_sink(count, 0);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
    std::vector<std::pair<std::uint32_t, std::size_t>> stack;  // component, next successor index
    for (std::uint32_t s : sources) {
        if (visited[s]) continue;
        visited[s] = 1;
        std::uint32_t found = is_sink(s) ? s : none;
        stack.assign(1, {s, 0});
        while (found == none && !stack.empty()) {
            auto& [c, next] = stack.back();
            const auto succ = cond.successors(c);
            while (next < succ.size() && visited[succ[next]]) ++next;
            if (next == succ.size()) {
                stack.pop_back();
                continue;
            }
            const std::uint32_t d = succ[next++];
            visited[d] = 1;
            if (is_sink(d)) found = d;
            else stack.push_back({d, 0});
        }
        if (found != none) {
            pairs.emplace_back(s, found);
            paired_source[s] = paired_sink[found] = 1;
        }
    }
    std::vector<std::uint32_t> free_sources, free_sinks;
    for (std::uint32_t s : sources)
        if (!paired_source[s]) free_sources.push_back(s);
    for (std::uint32_t t : sinks)
        if (!paired_sink[t]) free_sinks.push_back(t);

    // Component-level edges t -> s: the pairs closed into one cycle, each free sink to a free
    // source, then the leftovers into (or out of) the cycle: max(sources, sinks) in all.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> links;
    const std::size_t r = pairs.size();
    for (std::size_t i = 0; i < r; ++i) links.emplace_back(pairs[i].second, pairs[(i + 1) % r].first);
    const std::size_t both = std::min(free_sources.size(), free_sinks.size());
    for (std::size_t i = 0; i < both; ++i) links.emplace_back(free_sinks[i], free_sources[i]);
    for (std::size_t i = both; i < free_sinks.size(); ++i) links.emplace_back(free_sinks[i], pairs[0].first);
    for (std::size_t i = both; i < free_sources.size(); ++i) links.emplace_back(pairs[0].second, free_sources[i]);

    std::vector<std::uint64_t> room = room_in;
    for (const auto& [t, s] : links) {
        const auto targets = cond.tokens(s);
        std::optional<token_t> to;
        for (token_t v : targets)
            if (room.empty() || room[v] > 0) {
                to = v;
                break;
            }
        if (!to) {
            out.found = false;
            out.reason = fmt::format("every token of the source component containing token {} has used its budget, "
                                     "so nothing can be added that reaches it",
                                     targets.front());
            out.added.clear();
            return out;
        }
        if (!room.empty()) --room[*to];
        out.added.push_back({cond.tokens(t).front(), *to});
    }
    return out;
}

}  // namespace sparsecert
