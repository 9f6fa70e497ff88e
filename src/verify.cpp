#include "sparsecert/verify.hpp"

#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

VerifyResult verify(const Pattern& pattern, const VerifyOptions& options) {
    validate(pattern);
    const auto start = std::chrono::steady_clock::now();
    VerifyResult r;
    r.name = pattern.name;
    r.n = pattern.n;
    r.p = pattern.p();
    for (const auto& layer : pattern.layers) r.connections.push_back(layer.connections());

    report(options.progress, "self-attention", 0.0);
    r.self_attention = check_self_attention(pattern, options.max_listed);

    HamiltonianOptions hopt;
    hopt.timeout_seconds = options.timeout_seconds;
    hopt.progress = options.progress;
    r.hamiltonian_path = find_hamiltonian_path(pattern, hopt);

    ReachabilityOptions ropt;
    ropt.timeout_seconds = options.timeout_seconds;
    ropt.progress = options.progress;
    r.reachability = check_reachability(pattern, ropt);

    r.theorem_applies =
        all_of({r.self_attention.holds, r.hamiltonian_path.holds, r.reachability.holds});
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

namespace {

nlohmann::json optional_bool(const std::optional<bool>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const VerifyResult& r) {
    using nlohmann::json;
    json missing = json::array();
    for (const auto& [l, k] : r.self_attention.missing) missing.push_back({l, k});

    json path = {{"holds", optional_bool(r.hamiltonian_path.holds)}};
    if (r.hamiltonian_path.holds.value_or(false)) path["path"] = r.hamiltonian_path.path;
    path["method"] = r.hamiltonian_path.method;
    if (!r.hamiltonian_path.holds.value_or(false)) path["reason"] = r.hamiltonian_path.reason;

    json reach = {{"holds", optional_bool(r.reachability.holds)},
                  {"s", r.reachability.s ? json(*r.reachability.s) : json(nullptr)}};
    if (r.reachability.holds == false && r.reachability.unreached)
        reach["unreached"] = {r.reachability.unreached->first, r.reachability.unreached->second};

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
                {"theorem_applies", optional_bool(r.theorem_applies)}};
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

const char* yes_no(const std::optional<bool>& v) {
    return !v ? "undetermined" : (*v ? "holds" : "FAILS");
}

}  // namespace

std::string describe(const VerifyResult& r, const std::string& file) {
    std::string out;
    std::uint64_t total = 0;
    for (auto c : r.connections) total += c;
    out += fmt::format("{}: {} (n = {}, p = {})\n", file, r.name, r.n, r.p);
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
    if (re.holds.value_or(false))
        out += fmt::format("  3. reachability: holds, s = {} ({}): {}\n", *re.s, re.method, re.reason);
    else
        out += fmt::format("  3. reachability: {} ({}): {}\n", yes_no(re.holds), re.method, re.reason);

    if (r.theorem_applies == true) {
        out += "  verdict: Theorem 1 of Yun et al. (2020) applies\n";
    } else {
        std::string failing;
        auto add = [&](const std::optional<bool>& v, const char* what) {
            if (v == false) failing += std::string(failing.empty() ? "" : ", ") + what;
        };
        add(sa.holds, "self-attention");
        add(hp.holds, "Hamiltonian path");
        add(re.holds, "reachability");
        if (r.theorem_applies == false)
            out += fmt::format("  verdict: Theorem 1 does not apply: {} fails\n", failing);
        else
            out += "  verdict: undetermined (no condition fails, but one could not be decided in the budget)\n";
    }
    return out;
}

}  // namespace sparsecert
