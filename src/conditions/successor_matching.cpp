// Hopcroft-Karp on the successor matching (successor_matching.hpp).
#include "conditions/successor_matching.hpp"

namespace sparsecert::detail {

std::optional<SuccessorMatching> maximum_matching(const Layer& pred, std::uint64_t work_limit) {
    const token_t n = pred.size();
    SuccessorMatching m(n);
    for (token_t y = 0; y < n; ++y)
        for (token_t x : pred.attended(y))
            if (m.mate_out[x] == no_token) {
                m.mate_out[x] = y;
                m.mate_in[y] = x;
                break;
            }
    std::uint64_t work = pred.connections() + n;
    constexpr std::uint32_t unreached = ~std::uint32_t{0};
    std::vector<std::uint32_t> dist(n);
    std::vector<std::uint64_t> cursor(n);
    std::vector<token_t> queue, stack;
    while (true) {
        queue.clear();
        for (token_t y = 0; y < n; ++y) {
            dist[y] = m.mate_in[y] == no_token ? 0 : unreached;
            if (dist[y] == 0) queue.push_back(y);
        }
        // Layers up to the first one with a free predecessor (shortest augmenting paths only).
        std::uint32_t free_layer = unreached;
        for (std::size_t head = 0; head < queue.size(); ++head) {
            const token_t y = queue[head];
            if (dist[y] > free_layer) break;
            for (token_t x : pred.attended(y)) {
                const token_t next = m.mate_out[x];
                if (next == no_token) free_layer = std::min(free_layer, dist[y]);
                else if (dist[next] == unreached) dist[next] = dist[y] + 1, queue.push_back(next);
            }
            work += pred.degree(y) + 1;
        }
        if (free_layer == unreached) return m;
        if (work > work_limit) return std::nullopt;
        std::fill(cursor.begin(), cursor.end(), 0);
        for (token_t root = 0; root < n; ++root) {
            if (m.mate_in[root] != no_token || dist[root] != 0) continue;
            stack.assign(1, root);
            while (!stack.empty()) {
                const token_t y = stack.back();
                const auto row = pred.attended(y);
                if (cursor[y] == row.size()) {  // dead end for this phase
                    dist[y] = unreached;
                    stack.pop_back();
                    if (!stack.empty()) ++cursor[stack.back()];
                    continue;
                }
                ++work;
                const token_t x = row[cursor[y]];
                const token_t next = m.mate_out[x];
                if (next == no_token) {  // flip the whole stack: every y takes its current x
                    for (token_t yy : stack) {
                        const token_t xx = pred.attended(yy)[cursor[yy]];
                        m.mate_out[xx] = yy;
                        m.mate_in[yy] = xx;
                    }
                    stack.clear();
                } else if (dist[y] < free_layer && dist[next] == dist[y] + 1) {
                    stack.push_back(next);
                } else {
                    ++cursor[y];
                }
            }
        }
        if (work > work_limit) return std::nullopt;
    }
}

}  // namespace sparsecert::detail
