// repair(): the fewest added connections that make a sufficient theorem apply (repair.hpp,
// docs/repair.md).
#include "sparsecert/repair/repair.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "conditions/successor_matching.hpp"
#include "sparsecert/conditions/components.hpp"
#include "sparsecert/conditions/hamiltonian.hpp"
#include "sparsecert/conditions/reachability.hpp"
#include "sparsecert/repair/path_completion.hpp"
#include "sparsecert/repair/strong_connectivity.hpp"

namespace sparsecert {

namespace {

// The connections added so far, with what is left of the budget in every attended set A_k^l.
class Additions {
public:
    Additions(const Pattern& pattern, std::optional<std::uint64_t> budget)
        : n_(pattern.n), p_(pattern.p()), budget_(budget) {
        if (budget_) used_.assign(std::size_t(n_) * p_, 0);
    }

    std::uint64_t left(std::size_t l, token_t k) const {
        return budget_ ? *budget_ - used_[l * n_ + k] : ~std::uint64_t{0};
    }
    // The pattern that takes a new connection into token k's attended set: the one with the most
    // budget left (the first on ties; pattern 0 without a budget).
    std::size_t pattern_for(token_t k) const {
        std::size_t best = 0;
        for (std::size_t l = 1; l < p_; ++l)
            if (left(l, k) > left(best, k)) best = l;
        return best;
    }
    // Per token, how many connections its attended sets may still gain (empty without a budget).
    std::vector<std::uint64_t> room() const {
        if (!budget_) return {};
        std::vector<std::uint64_t> r(n_, 0);
        for (std::size_t l = 0; l < p_; ++l)
            for (token_t k = 0; k < n_; ++k) r[k] += left(l, k);
        return r;
    }
    void add(std::size_t l, token_t k, token_t j, const std::string& check) {
        if (budget_) ++used_[l * n_ + k];
        list.push_back({l, k, j, check});
    }
    // A union edge from -> to becomes one connection in `to`'s attended set.
    void add(const UnionEdge& e, const std::string& check) { add(pattern_for(e.to), e.to, e.from, check); }

    std::vector<AddedConnection> list;

private:
    token_t n_;
    std::size_t p_;
    std::optional<std::uint64_t> budget_;
    std::vector<std::uint64_t> used_;
};

std::string plural(std::uint64_t count, const char* word) {
    return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

const Theorem& find_theorem(const std::vector<Theorem>& registry, const std::string& id) {
    for (const auto& t : registry)
        if (t.id == id) return t;
    throw std::invalid_argument("unknown theorem '" + id + "'");
}

// in_degree[l][h] = #{k : h in A_k^l}.
std::vector<std::vector<std::uint64_t>> column_counts(const Pattern& pattern) {
    std::vector<std::vector<std::uint64_t>> counts(pattern.p(), std::vector<std::uint64_t>(pattern.n, 0));
    for (std::size_t l = 0; l < pattern.p(); ++l)
        for (token_t k = 0; k < pattern.n; ++k)
            pattern.layers[l].row(k).for_each_token([&](token_t j) { ++counts[l][j]; });
    return counts;
}

// The connections that make h global in the given patterns (h attends to every token, every
// token attends to h), on a pattern with self-attention everywhere (so (h, h) is never missing).
std::uint64_t hub_cost(const Pattern& p, const std::vector<std::vector<std::uint64_t>>& columns, token_t h,
                       std::size_t patterns) {
    std::uint64_t c = 0;
    for (std::size_t l = 0; l < patterns; ++l) c += (p.n - p.layers[l].degree(h)) + (p.n - columns[l][h]);
    return c;
}

bool hub_fits(const Pattern& p, const Additions& adds, token_t h, std::size_t patterns) {
    for (std::size_t l = 0; l < patterns; ++l) {
        if (p.n - p.layers[l].degree(h) > adds.left(l, h)) return false;
        for (token_t k = 0; k < p.n; ++k)
            if (k != h && !p.layers[l].attends(k, h) && adds.left(l, k) == 0) return false;
    }
    return true;
}

void add_hub(const Pattern& p, Additions& adds, token_t h, std::size_t patterns, const std::string& check) {
    for (std::size_t l = 0; l < patterns; ++l) {
        const auto row = p.layers[l].attended(h);
        for (token_t j = 0, i = 0; j < p.n; ++j) {
            while (i < row.size() && row[i] < j) ++i;
            if (i == row.size() || row[i] != j) adds.add(l, h, j, check);
        }
        for (token_t k = 0; k < p.n; ++k)
            if (k != h && !p.layers[l].attends(k, h)) adds.add(l, k, h, check);
    }
}

// s of a trade-off row, or the bounds on it that were proven within the budget.
void set_depth(MixingOption& row, const ReachabilityResult& r) {
    row.s = r.s;
    row.s_lower = r.s_lower;
    row.s_upper = r.s_upper;
}

ReachabilityResult reachability_of(const Pattern& p, const VerifyOptions& vo) {
    ReachabilityOptions ro;
    ro.timeout_seconds = vo.timeout_seconds;
    return check_reachability(p, ro);
}

std::string depth_text(const MixingOption& m) {
    if (m.s) return std::to_string(*m.s);
    if (m.s_lower && m.s_upper) return fmt::format("{}..{}", *m.s_lower, *m.s_upper);
    return "?";
}

// Under --keep-causal tokens below c can only ever attend to tokens below c once no token below c
// attends to one at or above it: the smallest such cut c, if any (then no finite s exists).
std::optional<token_t> causal_cut(const Layer& union_in) {
    std::uint64_t reach = 0;  // the largest token that some token below c attends to
    for (token_t c = 1; c < union_in.size(); ++c) {
        const auto row = union_in.attended(c - 1);
        if (!row.empty()) reach = std::max<std::uint64_t>(reach, row.back());
        if (reach < c) return c;
    }
    return std::nullopt;
}

// The whole state of one repair.
struct Context {
    const Pattern& original;
    const VerifyResult& verified;
    const RepairOptions& options;
    const Layer& original_union;  // union_graph(original): self-loops never enter it
    Additions adds;
    RepairResult& out;
    // Per token, the budget left once the self-loops (which every repair needs) are in: what
    // proves that no repair exists under a budget.
    std::vector<std::uint64_t> mandatory_room;
    // Set when the path was chosen together with full mixing (small n).
    bool joint = false;

    Pattern current() const { return with_connections(original, adds.list); }
    void fail(RepairStatus status, std::string reason) {
        out.status = status;
        out.reason = std::move(reason);
    }
};

// Assumption 1.1: the missing pairs, nothing else, is the exact minimum.
bool repair_self_attention(Context& c, HypothesisRepair& step) {
    const Pattern& p = c.original;
    for (std::size_t l = 0; l < p.p(); ++l)
        for (token_t k = 0; k < p.n; ++k)
            if (!p.layers[l].attends(k, k)) {
                if (c.adds.left(l, k) == 0) {
                    c.fail(RepairStatus::impossible,
                           fmt::format("token {} misses itself in pattern {} (self-attention) and --budget {} allows "
                                       "no connection there",
                                       k, l, *c.options.budget));
                    return false;
                }
                c.adds.add(l, k, k, step.check);
                ++step.added;
            }
    step.lower_bound = step.added;
    step.exact = true;
    step.method = step.added ? "every missing pair (pattern l, token k) gets k in A_k^l" : "holds already";
    step.bound = "each missing pair needs its own connection";
    return true;
}

// The token orders of n <= joint_max_n tokens are few enough to try them all for the path and
// full mixing together: the path that needs fewest edges may not be the one that mixes cheapest.
constexpr token_t joint_max_n = 7;

std::vector<token_t> jointly_best_order(const Layer& union_in) {
    const token_t n = union_in.size();
    std::vector<token_t> order(n), best;
    std::iota(order.begin(), order.end(), token_t{0});
    std::uint64_t best_cost = ~std::uint64_t{0};
    do {
        std::vector<std::vector<token_t>> rows(n);
        for (token_t k = 0; k < n; ++k) {
            const auto r = union_in.attended(k);
            rows[k].assign(r.begin(), r.end());
        }
        std::uint64_t cost = 0;
        for (token_t i = 1; i < n; ++i)
            if (!union_in.attends(order[i], order[i - 1])) {
                ++cost;
                rows[order[i]].push_back(order[i - 1]);
            }
        if (cost >= best_cost) continue;
        cost += strongly_connect(layer_from_rows(rows)).added.size();
        if (cost < best_cost) best_cost = cost, best = order;
    } while (std::next_permutation(order.begin(), order.end()));
    return best;
}

// A Hamiltonian path gives every token but the first a predecessor of its own. A token whose
// attended sets have no budget left once its self-loops are in can only take one it attends to
// already; the others can take any. When even a maximum matching of those choices leaves more than
// one token without a predecessor, no path exists under the budget (Hall's condition).
std::optional<std::string> path_impossible(const Context& c) {
    if (c.mandatory_room.empty()) return std::nullopt;
    const token_t n = c.original.n;
    std::vector<std::uint64_t> offsets{0};
    std::vector<token_t> targets;
    std::uint64_t free = 0;
    for (token_t k = 0; k < n; ++k) {
        if (c.mandatory_room[k] == 0) {
            const auto row = c.original_union.attended(k);
            targets.insert(targets.end(), row.begin(), row.end());
        } else {
            ++free;
        }
        offsets.push_back(targets.size());
    }
    const auto m = detail::maximum_matching(Layer(std::move(offsets), std::move(targets)), ~std::uint64_t{0} >> 1);
    if (!m) return std::nullopt;
    const std::uint64_t stuck_matched =
        n - std::uint64_t(std::count(m->mate_in.begin(), m->mate_in.end(), detail::no_token));
    const std::uint64_t most = stuck_matched + std::min<std::uint64_t>(free, n - stuck_matched);
    if (most + 1 >= n) return std::nullopt;
    return fmt::format("--budget {} leaves {} of the {} tokens room beyond their self-loops; the others can follow on "
                       "a Hamiltonian path only a token they attend to already, and a maximum matching gives at most "
                       "{} of the {} tokens after the first a predecessor",
                       *c.options.budget, free, n, most, n - 1);
}

// Assumption 1.2 by path completion on the union graph (self-loops do not enter it).
bool repair_hamiltonian_path(Context& c, HypothesisRepair& step) {
    if (c.verified.hamiltonian_path.holds == true) {
        c.out.path = c.verified.hamiltonian_path.path;
        step.exact = true;
        step.method = "holds already (" + c.verified.hamiltonian_path.method + ")";
        return true;
    }
    PathCompletionOptions po;
    po.forward_only = c.options.keep_causal;
    po.room = c.adds.room();
    po.exact_max_n = c.options.exact_max_n;
    PathCompletion pc = complete_hamiltonian_path(c.original_union, po);
    step.lower_bound = pc.lower_bound;
    step.bound = pc.bound;
    step.exact = pc.exact;
    if (!pc.found) {
        const auto proof = path_impossible(c);
        c.fail(pc.exact || proof ? RepairStatus::impossible : RepairStatus::not_found,
               proof ? *proof : "no Hamiltonian path can be completed: " + pc.reason);
        return false;
    }
    step.method = pc.method;
    if (c.joint) {
        // Small and unconstrained: the order that is cheapest with full mixing included.
        pc.path = jointly_best_order(c.original_union);
        pc.added.clear();
        for (token_t i = 1; i < pc.path.size(); ++i)
            if (!c.original_union.attends(pc.path[i], pc.path[i - 1])) pc.added.push_back({pc.path[i - 1], pc.path[i]});
        step.method = "exact with full mixing: every order of the tokens tried for the path and the edges full mixing "
                      "then needs";
        step.exact = pc.added.size() == step.lower_bound;
    }
    for (const auto& e : pc.added) c.adds.add(e, step.check);
    step.added = pc.added.size();
    c.out.path = std::move(pc.path);
    return true;
}

// The trade-off rows on top of `base` (self-attention and path repaired), each one's s computed
// on the pattern it gives; `adds` is the state before full mixing (for the budget).
// The first row is the repair itself; its s is the repaired pattern's, filled in by repair().
std::vector<MixingOption> mixing_options(const Context& c, const Additions& adds, const Pattern& base,
                                         std::uint64_t fewest) {
    std::vector<MixingOption> rows;
    rows.push_back({"fewest connections (Eswaran-Tarjan)", fewest, std::nullopt, true, "used for the repaired pattern", {}, {}});
    const auto columns = column_counts(base);
    auto hub_row = [&](std::size_t patterns, const std::string& where) {
        token_t best = 0;
        std::uint64_t best_cost = ~std::uint64_t{0};
        for (token_t h = 0; h < base.n; ++h) {
            const std::uint64_t cost = hub_cost(base, columns, h, patterns);
            if (cost < best_cost) best = h, best_cost = cost;
        }
        Additions hub(base, std::nullopt);
        add_hub(base, hub, best, patterns, "reachability");
        MixingOption row{fmt::format("one global token ({}){}", best, where), best_cost, std::nullopt, true, "", {}, {}};
        set_depth(row, reachability_of(with_connections(base, hub.list), c.options.verify));
        if (c.options.keep_causal) row.fits = false, row.note = "not causal";
        else if (c.options.budget && !hub_fits(base, adds, best, patterns)) row.fits = false, row.note = "exceeds the budget";
        rows.push_back(std::move(row));
    };
    hub_row(base.p(), base.p() == 1 ? "" : " in every pattern");
    if (base.p() > 1) hub_row(1, " in pattern 0 only");
    // s = 1 means S_k^1 = A_k^1 = all tokens: the first pattern dense, nothing less.
    const std::uint64_t dense = std::uint64_t(base.n) * base.n - base.layers[0].connections();
    MixingOption row{"pattern 0 dense (the only way to s = 1)", dense, 1, true, "", {}, {}};
    if (c.options.keep_causal && base.n > 1) {
        row.fits = false, row.note = "not causal";
    } else if (c.options.budget) {
        for (token_t k = 0; k < base.n && row.fits; ++k)
            if (base.n - base.layers[0].degree(k) > adds.left(0, k)) row.fits = false, row.note = "exceeds the budget";
    }
    rows.push_back(std::move(row));
    std::stable_sort(rows.begin() + 1, rows.end(), [](const auto& a, const auto& b) { return a.added < b.added; });
    return rows;
}

// A source component of the union graph whose tokens cannot gain a connection is never reached.
std::optional<std::string> mixing_impossible(const Context& c) {
    if (c.mandatory_room.empty()) return std::nullopt;
    const Components comp = strong_components(transpose(c.original_union));
    std::vector<char> has_in(comp.count, 0), room(comp.count, 0);
    for (token_t k = 0; k < c.original.n; ++k) {
        if (c.mandatory_room[k] > 0) room[comp.label[k]] = 1;
        for (token_t j : c.original_union.attended(k))
            if (comp.label[j] != comp.label[k]) has_in[comp.label[k]] = 1;
    }
    for (token_t k = 0; k < c.original.n; ++k)
        if (comp.count > 1 && !has_in[comp.label[k]] && !room[comp.label[k]])
            return fmt::format("the tokens of token {}'s strongly connected component attend to no token outside it and "
                               "--budget {} leaves them no room beyond their self-loops: tokens outside never "
                               "influence them, so no finite s",
                               k, *c.options.budget);
    return std::nullopt;
}

// Assumption 1.3 once every pattern has self-attention: strong connectivity of the union graph.
bool repair_reachability(Context& c, HypothesisRepair& step) {
    const Pattern base = c.current();
    const Layer union_in = union_graph(base);
    if (c.options.keep_causal) {
        if (const auto cut = causal_cut(union_in)) {
            c.fail(RepairStatus::impossible,
                   *cut == 1 ? "under --keep-causal token 0 attends to no later token and only connections to earlier "
                               "tokens may be added, so S_0^t = {0} for every t: no finite s"
                             : fmt::format("under --keep-causal no token below {0} attends to a token at or above {0}, "
                                           "and only connections to earlier tokens may be added: tokens {0}..{1} never "
                                           "influence token 0, so no finite s",
                                           *cut, base.n - 1));
            return false;
        }
    }
    const ConnectivityAugmentation aug = strongly_connect(union_in, c.adds.room());
    if (aug.components <= 1) {
        step.exact = true;
        step.method = step.held == true ? "holds already"
                                        : "nothing more: with self-attention in every pattern (and the path) the union "
                                          "graph is strongly connected";
        if (step.held != true) c.out.mixing = mixing_options(c, c.adds, base, 0);
        return true;
    }
    step.lower_bound = std::max(aug.sources, aug.sinks);
    step.bound = fmt::format("the union graph's condensation has {} and {}, and max(sources, sinks) edges are needed "
                             "(Eswaran-Tarjan)",
                             plural(aug.sources, "source component"), plural(aug.sinks, "sink component"));
    std::vector<UnionEdge> edges = aug.added;
    if (c.options.keep_causal) {
        // No backward edge may be added: link every token to the next one instead; with a
        // backward edge across every cut (causal_cut found none missing) that is strongly connected.
        edges.clear();
        for (token_t k = 1; k < base.n; ++k)
            if (!union_in.attends(k, k - 1)) edges.push_back({token_t(k - 1), k});
        step.method = "under --keep-causal: token k attends to k - 1 wherever it does not (a backward edge crosses "
                      "every cut, so the union graph becomes strongly connected)";
    } else if (!aug.found) {
        const auto proof = mixing_impossible(c);
        c.fail(proof ? RepairStatus::impossible : RepairStatus::not_found,
               proof ? *proof : "no full mixing found within the budget: " + aug.reason);
        return false;
    } else {
        step.method = fmt::format("Eswaran-Tarjan: {} added from sink to source components of the condensation",
                                  plural(edges.size(), "edge"));
    }
    const Additions before = c.adds;
    for (const auto& e : edges) {
        if (c.adds.left(c.adds.pattern_for(e.to), e.to) == 0) {
            c.fail(RepairStatus::not_found,
                   fmt::format("no full mixing found within the budget: token {} has no connection left", e.to));
            return false;
        }
        c.adds.add(e, step.check);
    }
    step.added = edges.size();
    step.exact = step.added == step.lower_bound;
    c.out.mixing = mixing_options(c, before, base, step.added);
    return true;
}

// The pattern with one more token, n, declared extra, attending to nothing yet.
Pattern with_extra_token(const Pattern& p) {
    if (std::uint64_t(p.n) + 1 >= max_tokens) throw std::invalid_argument("no room for an extra token");
    Pattern out = p;
    out.layers.clear();
    for (const auto& layer : p.layers) out.layers.push_back(extended(layer, p.n + 1));
    out.extra_tokens.push_back(p.n);
    ++out.n;
    return out;
}

// BigBird's star (Zaheer et al. 2020, Definition 1 and Theorem 1) on a pattern with exactly one
// extra token x_0: in the final graph D every input token attends to itself and to x_0, x_0
// attends to every input token, and (one_graph) every layer is D. Connections are only added, so
// D must hold every pair of every layer too: D_k = (union over l of A_k^l) plus the star's pairs,
// and D \ A^l, pattern by pattern, is the exact minimum. Without one_graph each layer only gains
// the star's pairs it lacks.
struct StarPlan {
    std::vector<AddedConnection> added;  // checks "star" or "one_graph"
    std::string infeasible;              // why the constraints rule it out (one line)
};

StarPlan plan_star(const Pattern& w, bool one_graph, const RepairOptions& o) {
    StarPlan plan;
    const token_t hub = w.extra_tokens.front();
    const Layer all = union_of(w.layers);
    std::vector<token_t> target, star;
    for (std::size_t l = 0; l < w.p(); ++l)
        for (token_t k = 0; k < w.n; ++k) {
            star.clear();
            if (k == hub) {
                for (token_t j = 0; j < w.n; ++j)
                    if (j != hub) star.push_back(j);
            } else {
                star = {std::min(k, hub), std::max(k, hub)};
            }
            const auto own = w.layers[l].attended(k);
            const auto base = one_graph ? all.attended(k) : own;
            target.clear();
            std::set_union(base.begin(), base.end(), star.begin(), star.end(), std::back_inserter(target));
            std::uint64_t gained = 0;
            for (std::size_t i = 0, e = 0; i < target.size(); ++i) {
                while (e < own.size() && own[e] < target[i]) ++e;
                if (e < own.size() && own[e] == target[i]) continue;
                const token_t j = target[i];
                if (o.keep_causal && j > k && plan.infeasible.empty())
                    plan.infeasible = fmt::format("under --keep-causal the star needs token {} to attend to the later "
                                                  "token {} (pattern {}); the hub and every input token attend to each "
                                                  "other, so one of each pair attends forward",
                                                  k, j, l);
                ++gained;
                const bool shared = one_graph && all.attends(k, j);
                plan.added.push_back({l, k, j, shared ? "one_graph" : "star"});
            }
            if (o.budget && gained > *o.budget && plan.infeasible.empty())
                plan.infeasible = fmt::format("the star needs {} connections added to the attended set of token {} in "
                                              "pattern {}, more than --budget {}",
                                              gained, k, l, *o.budget);
        }
    return plan;
}

}  // namespace

std::vector<std::string> repairable_theorems() { return {"bigbird2020-star", "yun2020"}; }

std::string status_name(RepairStatus s) {
    switch (s) {
        case RepairStatus::already_holds: return "already-holds";
        case RepairStatus::repaired: return "repaired";
        case RepairStatus::impossible: return "impossible";
        case RepairStatus::not_found: return "not-found";
    }
    return "";
}

Pattern with_connections(const Pattern& pattern, const std::vector<AddedConnection>& added) {
    std::vector<std::vector<std::pair<token_t, token_t>>> per_layer(pattern.p());
    for (const auto& a : added) per_layer.at(a.pattern).emplace_back(a.token, a.attends);
    Pattern out;
    out.name = pattern.name;
    out.description = pattern.description;
    out.n = pattern.n;
    out.extra_tokens = pattern.extra_tokens;
    for (std::size_t l = 0; l < pattern.p(); ++l) {
        auto& extra = per_layer[l];
        const Layer& layer = pattern.layers[l];
        if (extra.empty()) {
            out.layers.push_back(layer);
            continue;
        }
        std::sort(extra.begin(), extra.end());
        std::vector<std::uint64_t> offsets(std::size_t(pattern.n) + 1, 0);
        std::vector<token_t> targets;
        targets.reserve(layer.connections() + extra.size());
        std::size_t e = 0;
        for (token_t k = 0; k < pattern.n; ++k) {
            const auto row = layer.attended(k);
            const std::size_t from = targets.size();
            std::size_t i = 0;
            while (i < row.size() || (e < extra.size() && extra[e].first == k)) {
                token_t next;
                if (e < extra.size() && extra[e].first == k && (i == row.size() || extra[e].second < row[i]))
                    next = extra[e++].second;
                else
                    next = row[i++];
                if (targets.size() == from || targets.back() != next) targets.push_back(next);
            }
            offsets[std::size_t(k) + 1] = targets.size();
        }
        out.layers.emplace_back(std::move(offsets), std::move(targets));
    }
    return out;
}

namespace {

// The repaired pattern, verified with the path the repair built as a hint; "repaired" only when
// the theorem applies to it.
void finish(RepairResult& out, const Pattern& working, std::vector<AddedConnection> added, const std::string& name,
            const std::string& theorem, const RepairOptions& options) {
    out.added = std::move(added);
    std::sort(out.added.begin(), out.added.end());
    out.repaired = with_connections(working, out.added);
    out.repaired->name = name + " (repaired for " + theorem + ")";
    VerifyOptions vo = options.verify;
    vo.known_path = out.path;
    out.verified = verify(*out.repaired, vo);
    if (!out.mixing.empty()) set_depth(out.mixing.front(), out.verified->reachability);
    bool applies = false;
    for (const auto& t : out.verified->theorems)
        if (t.id == theorem) applies = t.applies == true;
    if (!applies) {
        out.status = RepairStatus::not_found;
        out.reason = "the repaired pattern does not verify: " + theorem + " does not apply";
    }
}

}  // namespace

RepairResult repair(const Pattern& pattern, const VerifyResult& original, const RepairOptions& options) {
    validate(pattern);
    const auto registry = theorem_registry();
    const Theorem& theorem = find_theorem(registry, options.theorem);
    const auto repairable = repairable_theorems();
    if (theorem.kind != "sufficient" ||
        std::find(repairable.begin(), repairable.end(), theorem.id) == repairable.end())
        throw std::invalid_argument("theorem '" + theorem.id + "' has no repair procedure");

    RepairResult out;
    out.theorem = theorem.id;
    out.citation = theorem.citation;
    const Facts facts = facts_of(original);
    for (const auto& h : theorem.hypotheses) {
        HypothesisRepair step;
        step.check = h.check;
        step.text = h.text;
        const auto it = facts.find(h.check);
        step.held = it == facts.end() ? std::nullopt : it->second.holds;
        out.steps.push_back(std::move(step));
    }
    for (const auto& t : original.theorems)
        if (t.id == theorem.id && t.applies == true) {
            out.status = RepairStatus::already_holds;
            out.exact = true;
            for (auto& s : out.steps) s.exact = true;
            out.path = original.hamiltonian_path.path;
            return out;
        }

    if (options.budget == 0) {
        out.status = RepairStatus::impossible;
        out.reason = theorem.id + " does not apply and --budget 0 allows no added connection";
        return out;
    }
    auto step_of = [&](const std::string& check) -> HypothesisRepair* {
        for (auto& s : out.steps)
            if (s.check == check) return &s;
        return nullptr;
    };
    if (auto* s = step_of("input_tokens_only")) {
        if (!pattern.extra_tokens.empty()) {
            out.status = RepairStatus::impossible;
            out.reason = fmt::format("{} is stated for patterns over input tokens only, and this one declares {}, "
                                     "which no added connection removes",
                                     theorem.id, plural(pattern.extra_tokens.size(), "extra token"));
            return out;
        }
        s->exact = true;
        s->method = "holds (no extra tokens)";
    }
    if (auto* star = step_of("star")) {
        // The star needs exactly one extra token: the pattern's own, or a new one appended as n.
        if (pattern.extra_tokens.size() > 1) {
            out.status = RepairStatus::impossible;
            out.reason = fmt::format("the star has exactly one extra token x_0, and this pattern declares {}, which no "
                                     "added connection changes",
                                     pattern.extra_tokens.size());
            return out;
        }
        const bool fresh = pattern.extra_tokens.empty();
        const Pattern working = fresh ? with_extra_token(pattern) : pattern;
        if (fresh) out.extra_token_added = pattern.n;
        auto* same = step_of("one_graph");
        StarPlan plan = plan_star(working, same != nullptr, options);
        if (!plan.infeasible.empty()) {
            out.status = RepairStatus::impossible;
            out.reason = plan.infeasible;
            return out;
        }
        for (auto* s : {star, same}) {
            if (!s) continue;
            s->added = std::count_if(plan.added.begin(), plan.added.end(), [&](const auto& a) { return a.check == s->check; });
            s->lower_bound = s->added;
            s->exact = true;
            s->bound = "every added pair is in the final graph D and missing from that pattern";
        }
        star->method = fresh ? fmt::format("a new extra token {} (its output discarded) made x_0: it attends to every "
                                           "input token, and every input token attends to itself and to it",
                                           pattern.n)
                             : fmt::format("the extra token {} made x_0: it attends to every input token, and every input "
                                           "token attends to itself and to it",
                                           pattern.extra_tokens.front());
        if (same) same->method = "every layer made the union of all layers (and the star): one graph D";
        out.lower_bound = plan.added.size();
        out.exact = true;
        out.bound = "the count is the minimum: D contains every pair of every layer and of the star, and nothing more";
        finish(out, working, std::move(plan.added), pattern.name, theorem.id, options);
        return out;
    }

    const Pattern& working = pattern;
    const Layer original_union = union_graph(working);
    Context c{working, original, options, original_union, Additions(working, options.budget), out, {}, false};
    auto* path_step = step_of("hamiltonian_path");
    auto* mix_step = step_of("reachability");
    c.joint = path_step && mix_step && path_step->held != true && mix_step->held != true && !options.keep_causal &&
              !options.budget && working.n <= joint_max_n;
    // A fixed order, whatever the registry lists: self-attention first (the other repairs rely on
    // it), then the path, and full mixing on the union graph that the path leaves.
    bool ok = true;
    if (auto* s = step_of("self_attention")) ok = repair_self_attention(c, *s);
    c.mandatory_room = c.adds.room();
    if (ok && path_step) ok = repair_hamiltonian_path(c, *path_step);
    if (ok && mix_step) ok = repair_reachability(c, *mix_step);
    if (!ok) return out;

    // The total's lower bound: self-loops and hub connections are counted exactly; path and full
    // mixing both add union edges only, so the larger of their bounds on the original union graph
    // binds (full mixing: Eswaran-Tarjan on it, valid since self-loops do not change it).
    std::uint64_t fixed = 0;
    for (const auto& s : out.steps)
        if (&s != path_step && &s != mix_step) fixed += s.lower_bound;
    std::uint64_t union_bound = path_step ? path_step->lower_bound : 0;
    if (mix_step) {
        const auto et = strongly_connect(original_union);
        union_bound = std::max<std::uint64_t>(union_bound, et.components > 1 ? std::max(et.sources, et.sinks) : 0);
    }
    out.lower_bound = fixed + union_bound;
    out.exact = c.adds.list.size() == out.lower_bound;
    if (c.joint) {
        out.lower_bound = c.adds.list.size();
        out.exact = true;
        out.bound = "the exact minimum: every order of the tokens was tried for the path together with full mixing";
    } else if (out.exact) {
        out.bound = "the count meets the lower bound, so it is the minimum";
    } else {
        out.bound = fmt::format("{} above the lower bound; the minimum lies in between",
                                plural(c.adds.list.size() - out.lower_bound, "connection"));
    }

    finish(out, working, c.adds.list, pattern.name, theorem.id, options);
    return out;
}

std::string describe(const RepairResult& r, std::size_t max_listed) {
    std::string out = fmt::format("repair toward {}\n  ({})\n", r.theorem, r.citation);
    if (r.status == RepairStatus::already_holds) return out + "  nothing to repair: the theorem applies already\n";
    if (r.status == RepairStatus::impossible) return out + "  no repair exists: " + r.reason + "\n";
    if (r.status == RepairStatus::not_found && r.added.empty()) return out + "  no repair found: " + r.reason + "\n";
    out += fmt::format("  {:<17} {:<12} {:>8} {:>12}  how\n", "hypothesis", "before", "added", "lower bound");
    for (const auto& s : r.steps) {
        const std::string before = !s.held ? "undetermined" : (*s.held ? "holds" : "FAILS");
        out += fmt::format("  {:<17} {:<12} {:>8} {:>12}  {}{}\n", s.check, before, s.added, s.lower_bound,
                           s.exact ? "exact: " : "bound: ", s.method);
        if (!s.bound.empty() && s.added > 0) out += fmt::format("  {:<17} {:<12} {:>8} {:>12}    ({})\n", "", "", "", "", s.bound);
    }
    if (r.extra_token_added)
        out += fmt::format("  plus one new extra token, {} (its output is discarded): the pattern has n = {} now\n",
                           *r.extra_token_added, *r.extra_token_added + 1);
    out += fmt::format("  total: {} added, lower bound {}: {}\n", plural(r.added.size(), "connection"), r.lower_bound,
                       r.exact ? "the minimum" : r.bound);
    out += "  added connections (pattern l: token k attends to j):\n";
    for (std::size_t i = 0; i < r.added.size() && i < max_listed; ++i)
        out += fmt::format("    pattern {}: token {} attends to {}  ({})\n", r.added[i].pattern, r.added[i].token,
                           r.added[i].attends, r.added[i].check);
    if (r.added.size() > max_listed)
        out += fmt::format("    ... and {} more (--max-listed, --json, or the repaired file)\n", r.added.size() - max_listed);
    if (!r.mixing.empty()) {
        out += "  full mixing, connections against s (on top of the steps before it):\n";
        out += fmt::format("    {:>10} {:>8}  {}\n", "added", "s", "how");
        for (const auto& m : r.mixing)
            out += fmt::format("    {:>10} {:>8}  {}{}\n", m.added, depth_text(m), m.strategy,
                               m.note.empty() ? "" : " (" + m.note + ")");
    }
    if (r.verified) {
        std::string s = r.verified->reachability.s ? fmt::format(", s = {}", *r.verified->reachability.s) : "";
        out += fmt::format("  repaired pattern: {} connections{}, verdict {}\n", r.repaired->connections(), s,
                           r.verified->verdict);
    }
    if (r.status == RepairStatus::not_found) out += "  NOT REPAIRED: " + r.reason + "\n";
    return out;
}

nlohmann::json to_json(const RepairResult& r) {
    using nlohmann::json;
    json steps = json::array();
    for (const auto& s : r.steps)
        steps.push_back({{"check", s.check},
                         {"held", s.held ? json(*s.held) : json(nullptr)},
                         {"added", s.added},
                         {"lower_bound", s.lower_bound},
                         {"exact", s.exact},
                         {"method", s.method},
                         {"bound", s.bound}});
    json added = json::array();
    for (const auto& a : r.added) added.push_back({{"pattern", a.pattern}, {"token", a.token}, {"attends", a.attends},
                                                   {"check", a.check}});
    json mixing = json::array();
    for (const auto& m : r.mixing)
        mixing.push_back({{"strategy", m.strategy},
                          {"added", m.added},
                          {"s", m.s ? json(*m.s) : json(nullptr)},
                          {"s_lower", m.s_lower ? json(*m.s_lower) : json(nullptr)},
                          {"s_upper", m.s_upper ? json(*m.s_upper) : json(nullptr)},
                          {"fits", m.fits},
                          {"note", m.note}});
    json doc = {{"theorem", r.theorem},
                {"status", status_name(r.status)},
                {"steps", steps},
                {"added_count", r.added.size()},
                {"lower_bound", r.lower_bound},
                {"exact", r.exact},
                {"bound", r.bound},
                {"added", added},
                {"mixing", mixing}};
    if (!r.reason.empty()) doc["reason"] = r.reason;
    if (r.extra_token_added) doc["extra_token"] = *r.extra_token_added;
    if (r.verified) doc["repaired"] = {{"verdict", r.verified->verdict},
                                       {"s", r.verified->reachability.s ? json(*r.verified->reachability.s) : json(nullptr)},
                                       {"connections", r.verified->connections}};
    return doc;
}

}  // namespace sparsecert
