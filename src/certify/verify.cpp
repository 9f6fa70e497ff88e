#include "sparsecert/certify/verify.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sparsecert/support/deadline.hpp"
#include "sparsecert/support/printable.hpp"

namespace sparsecert {

std::optional<bool> all_of(std::initializer_list<std::optional<bool>> values) {
    bool unknown = false;
    for (const auto& v : values) {
        if (!v) unknown = true;
        else if (!*v) return false;
    }
    if (unknown) return std::nullopt;
    return true;
}

namespace {

// Whether every input token eventually influences every input token (docs/theory.md section 5, with
// the residual connection: see closure.hpp). Influence follows the union graph's paths, so two
// graph searches decide it: a closure set refutes it, and otherwise it holds.
CheckOutcome influence_outcome(const VerifyResult& r) {
    if (r.closure)
        return {false, fmt::format("input token {} can never influence input token {}: a closure set of {} tokens "
                                   "contains {}, attends only inside itself, and misses {}",
                                   r.closure->j, r.closure->k, r.closure->members.size(), r.closure->k,
                                   r.closure->j)};
    return {true, "every input token reaches every input token in the union graph (with the residual "
                  "connection a token waits for the pattern it needs)"};
}

std::string hamiltonian_reason(const HamiltonianResult& h) {
    return h.holds == true ? "a path through all tokens (" + h.method + ")" : h.reason;
}

}  // namespace

Facts facts_of(const VerifyResult& r) {
    Facts f;
    const auto& sa = r.self_attention;
    f["self_attention"] = {sa.holds, sa.holds ? "every token attends to itself in every pattern"
                                              : fmt::format("{} (pattern, token) pairs miss themselves",
                                                            sa.missing_count)};
    f["hamiltonian_path"] = {r.hamiltonian_path.holds, hamiltonian_reason(r.hamiltonian_path)};
    f["reachability"] = {r.reachability.holds,
                         r.reachability.s ? fmt::format("s = {}", *r.reachability.s) : r.reachability.reason};
    f["input_tokens_only"] = {r.input_tokens_only,
                              r.input_tokens_only ? "the pattern declares no extra tokens"
                                                  : "the pattern declares extra tokens, which the theorem's "
                                                    "setting does not have"};
    f["one_graph"] = {r.one_graph, r.one_graph ? "every layer uses the same pattern"
                                               : fmt::format("the layers cycle {} different patterns", r.p)};
    f["star"] = {r.star.holds, r.star.reason};
    f["star_in_sequence"] =
        r.in_sequence_hub ? CheckOutcome{true, fmt::format("input token {} attends to all tokens and is attended "
                                                           "by all, in every pattern", *r.in_sequence_hub)}
                          : CheckOutcome{false, "no input token attends to all tokens and is attended by all "
                                                "in every pattern"};
    f["influence"] = r.influence;
    return f;
}

VerifyResult verify(CheckedPattern checked, const VerifyOptions& options) {
    const Pattern& pattern = *checked;
    const auto start = std::chrono::steady_clock::now();
    const Deadline run_budget(options.timeout_seconds);
    VerifyResult r;
    r.name = pattern.name;
    r.n = pattern.n;
    r.p = pattern.p();
    r.extra_tokens = pattern.extra_tokens;
    for (const auto& layer : pattern.layers) r.connections.push_back(layer.connections());

    report(options.progress, "self-attention", 0.0);
    r.self_attention = check_self_attention(checked, options.max_listed);

    // One budget for the run (docs/reliability.md, "Time budgets"): the path search gets at most
    // half of what is left, its DFS at most a quarter, and reachability the rest.
    HamiltonianOptions hopt;
    hopt.timeout_seconds = run_budget.remaining_seconds() / 2;
    hopt.dfs_timeout_seconds = std::min(hopt.dfs_timeout_seconds, hopt.timeout_seconds / 2);
    hopt.progress = options.progress;
    if (!options.known_path.empty() && is_hamiltonian_path(pattern, options.known_path)) {
        r.hamiltonian_path.holds = true;
        r.hamiltonian_path.path = options.known_path;
        r.hamiltonian_path.method = "given path";
    } else {
        r.hamiltonian_path = find_hamiltonian_path(checked, hopt);
    }

    ReachabilityOptions ropt;
    ropt.timeout_seconds = run_budget.remaining_seconds();
    ropt.progress = options.progress;
    r.reachability = check_reachability(checked, ropt);

    r.input_tokens_only = pattern.extra_tokens.empty();
    r.theorem_applies =
        all_of({r.input_tokens_only, r.self_attention.holds, r.hamiltonian_path.holds, r.reachability.holds});

    // The other theorems' facts (docs/theory.md section 5): all are O(n + connections).
    report(options.progress, "star and closure", 0.0);
    r.star = check_star(checked);
    r.one_graph = same_graph_in_every_layer(checked);
    r.in_sequence_hub = find_in_sequence_hub(checked);
    // A finite s puts every token in every S_k^s, within I_k^s, so no closure set exists.
    if (r.reachability.holds != true) r.closure = find_closure_set(checked, ClosureScope::input_tokens);
    if (r.reachability.holds == false)
        r.reachability_closure = find_closure_set(checked, ClosureScope::all_tokens);
    r.influence = influence_outcome(r);

    const Facts facts = facts_of(r);
    for (const auto& theorem : theorem_registry()) r.theorems.push_back(evaluate(theorem, facts));
    r.verdict = verdict(r.theorems);
    r.verdict_p_range = verdict_p_range(r.theorems);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

namespace {

nlohmann::json optional_bool(const std::optional<bool>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const VerifyResult& r, const VerifyJsonOptions& options) {
    using nlohmann::json;
    json missing = json::array();
    for (const auto& [l, k] : r.self_attention.missing) missing.push_back({l, k});

    json path = {{"holds", optional_bool(r.hamiltonian_path.holds)}};
    if (r.hamiltonian_path.holds.value_or(false) && options.path_list) path["path"] = r.hamiltonian_path.path;
    path["method"] = r.hamiltonian_path.method;
    if (!r.hamiltonian_path.holds.value_or(false)) path["reason"] = r.hamiltonian_path.reason;

    json reach = {{"holds", optional_bool(r.reachability.holds)},
                  {"s", r.reachability.s ? json(*r.reachability.s) : json(nullptr)}};
    if (r.reachability.holds == false && r.reachability.unreached)
        reach["unreached"] = {r.reachability.unreached->first, r.reachability.unreached->second};

    json theorems = json::array();
    for (const auto& t : r.theorems)
        theorems.push_back({{"id", t.id}, {"applies", optional_bool(t.applies)}, {"kind", t.kind},
                            {"p_range", t.p_range.text()}, {"reason", t.reason}});

    return json{{"pattern", r.name},
                {"n", r.n},
                {"p", r.p},
                {"connections", r.connections},
                {"self_attention",
                 {{"holds", r.self_attention.holds},
                  {"missing_count", r.self_attention.missing_count},
                  {"missing", missing}}},
                {"hamiltonian_path", path},
                {"reachability", reach},
                {"star", {{"holds", r.star.holds},
                          {"hub", r.star.hub ? json(*r.star.hub) : json(nullptr)},
                          {"in_sequence_hub", r.in_sequence_hub ? json(*r.in_sequence_hub) : json(nullptr)}}},
                {"extra_tokens", r.extra_tokens},
                {"theorem_applies", optional_bool(r.theorem_applies)},
                {"theorems", theorems},
                {"verdict", r.verdict},
                {"verdict_p_range", r.verdict_p_range ? json(r.verdict_p_range->text()) : json(nullptr)}};
}

namespace {

std::string path_excerpt(const std::vector<token_t>& path) {
    if (path.size() <= 8) {
        std::string s;
        for (std::size_t i = 0; i < path.size(); ++i) s += (i ? " -> " : "") + std::to_string(path[i]);
        return s;
    }
    return fmt::format("{} -> {} -> {} -> ... -> {} -> {}", path[0], path[1], path[2],
                       path[path.size() - 2], path.back());
}

// Why the verdict holds, naming the theorem that decides it (docs/theory.md section 5).
std::string verdict_because(const VerifyResult& r) {
    std::string because;
    for (const auto& t : r.theorems) {
        if (r.verdict == "universal" && t.kind == "sufficient" && t.applies == true)
            because += (because.empty() ? " (by " : ", ") + t.id;
        if (r.verdict == "not-universal" && t.kind == "necessary" && t.applies == false)
            because += (because.empty() ? " (" : "; ") + t.id + " fails: " + t.reason;
    }
    if (!because.empty()) return because + "; for d_p with " + r.verdict_p_range->human() + ")";
    return r.verdict == "open" ? " (no sufficient theorem applies and no necessary condition fails)" : "";
}

std::string token_list_excerpt(const std::vector<token_t>& tokens) {
    std::string s;
    for (std::size_t i = 0; i < tokens.size() && i < 8; ++i) s += (i ? ", " : "") + std::to_string(tokens[i]);
    return tokens.size() > 8 ? s + fmt::format(", ... ({} in all)", tokens.size()) : s;
}

const char* yes_no(const std::optional<bool>& v) {
    return !v ? "undetermined" : (*v ? "holds" : "FAILS");
}

}  // namespace

std::string describe(const VerifyResult& r, const std::string& file) {
    std::string out;
    std::uint64_t total = 0;
    for (auto c : r.connections) total += c;
    // The file name and the pattern's name come from the input: escaped, they cannot drive the terminal.
    out += fmt::format("{}: {} (n = {}, p = {})\n", printable(file), printable(r.name), r.n, r.p);
    if (!r.extra_tokens.empty())
        out += fmt::format("  extra tokens: {} ({} input tokens)\n", token_list_excerpt(r.extra_tokens),
                           r.n - r.extra_tokens.size());
    std::string per;
    for (std::size_t l = 0; l < r.connections.size(); ++l)
        per += fmt::format("{}pattern {}: {}", l ? ", " : "", l, r.connections[l]);
    out += fmt::format("  connections: {} in total ({}); {:.2f} per token per pattern\n", total, per,
                       double(total) / double(r.n) / double(r.p));

    const auto& sa = r.self_attention;
    if (sa.holds) {
        out += "  1. self-attention: holds (every token attends to itself in every pattern)\n";
    } else {
        std::string first;
        for (std::size_t i = 0; i < sa.missing.size() && i < 5; ++i)
            first += fmt::format("{}(pattern {}, token {})", i ? ", " : "", sa.missing[i].first,
                                 sa.missing[i].second);
        out += fmt::format("  1. self-attention: FAILS: {} (pattern, token) pairs miss themselves, first {}\n",
                           sa.missing_count, first);
    }

    const auto& hp = r.hamiltonian_path;
    if (hp.holds.value_or(false))
        out += fmt::format("  2. Hamiltonian path: holds ({}): {}\n", hp.method, path_excerpt(hp.path));
    else
        out += fmt::format("  2. Hamiltonian path: {} ({}): {}\n", yes_no(hp.holds), hp.method, hp.reason);

    const auto& re = r.reachability;
    if (re.holds.value_or(false)) {
        const std::string s = re.s ? std::to_string(*re.s)
                                   : fmt::format("between {} and {}", re.s_lower.value_or(1),
                                                 re.s_upper ? std::to_string(*re.s_upper) : "?");
        out += fmt::format("  3. reachability: holds, s = {} ({}): {}\n", s, re.method, re.reason);
    } else {
        out += fmt::format("  3. reachability: {} ({}): {}\n", yes_no(re.holds), re.method, re.reason);
    }

    if (r.theorem_applies == true) {
        out += "  Theorem 1 of Yun et al. (2020) applies\n";
    } else {
        std::string failing;
        auto add = [&](const std::optional<bool>& v, const char* what) {
            if (v == false) failing += std::string(failing.empty() ? "" : ", ") + what;
        };
        if (!r.input_tokens_only) failing = "the setting (the pattern has extra tokens)";
        add(sa.holds, "self-attention");
        add(hp.holds, "Hamiltonian path");
        add(re.holds, "reachability");
        if (r.theorem_applies == false)
            out += fmt::format("  Theorem 1 does not apply: {} fails\n", failing);
        else
            out += "  Theorem 1: undetermined (no condition fails, but one could not be decided in the budget)\n";
    }
    out += "  theorems:\n";
    for (const auto& t : r.theorems) {
        const char* value = !t.applies ? "undetermined" : (*t.applies ? "applies" : "fails");
        if (t.kind == "conjecture") value = !t.applies ? "undetermined" : (*t.applies ? "hypotheses hold" : "fails");
        out += fmt::format("    {:<28} {:<10} {:<15} {}{}\n", t.id, t.kind, value, t.reason,
                           t.kind == "conjecture" ? " (a conjecture: never counts toward the verdict)" : "");
    }
    out += fmt::format("  verdict: {}{}\n", r.verdict, verdict_because(r));
    return out;
}

}  // namespace sparsecert
