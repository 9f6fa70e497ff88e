// sparsecert repair: the fewest connections that make a failing pattern satisfy a sufficient
// theorem, the repaired pattern written and re-verified with a certificate (docs/repair.md). A
// thin driver over sparsecert/repair/repair.hpp.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "common/terminal.hpp"
#include "common/usage.hpp"
#include "sparsecert/certify/certificate.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/repair/repair.hpp"
#include "sparsecert/support/input_error.hpp"

namespace sparsecert::cli {

namespace {

constexpr const char* prog = "sparsecert repair";

int bad_usage(const std::string& option, const std::string& problem) { return usage_error(prog, option, problem); }

// "dir/name.json" -> "dir/name.cert.json".
std::string certificate_path(const std::string& out) {
    const std::string stem = out.ends_with(".json") ? out.substr(0, out.size() - 5) : out;
    return stem + ".cert.json";
}

}  // namespace

int repair_command(int argc, char** argv) {
    CLI::App app{"sparsecert repair: the fewest connections to add to a pattern so that a sufficient theorem "
                 "(yun2020: Yun et al. 2020, Theorem 1; bigbird2020-star: Zaheer et al. 2020, Theorem 1) applies, "
                 "with a lower bound beside the count, the trade-off between connections and the mixing depth s, "
                 "and the repaired pattern written as a pattern file with its certificate (docs/repair.md).\n\n"
                 "Exit status: 0 repaired (or nothing to repair), 1 no repair exists under the constraints, "
                 "3 none found within them (no proof that none exists), 2 bad input or usage.",
                 prog};
    std::string file, theorem, out_file, cert_file;
    std::optional<std::uint64_t> n, budget;
    bool keep_causal = false, json_out = false;
    double timeout = 60;
    std::size_t max_listed = 20;
    app.add_option("FILE", file, "pattern file (docs/pattern-format.md)")->required();
    app.add_option("--n", n, "number of tokens, for size-generic files");
    app.add_option("--theorem", theorem, "the theorem to satisfy: yun2020 or bigbird2020-star (default: both, the "
                                         "cheaper one is written)");
    app.add_option("--budget", budget, "at most K connections added to any one attended set A_k^l");
    app.add_flag("--keep-causal", keep_causal, "only add connections to earlier tokens (j <= k), so a causal mask stays causal");
    app.add_option("--out", out_file, "write the repaired pattern here (explicit JSON) and its certificate beside it");
    app.add_option("--certificate", cert_file, "the certificate's file (default: --out with .cert.json)");
    app.add_flag("--json", json_out, "print the result as JSON (keys in docs/repair.md)");
    app.add_option("--timeout", timeout, "time budget in seconds for each search, as verify-pattern (default 60)");
    app.add_option("--max-listed", max_listed, "added connections listed in the text output (default 20)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError& e) {
        return bad_usage("", e.what());
    }
    std::vector<std::string> theorems = repairable_theorems();
    if (!theorem.empty()) {
        if (std::find(theorems.begin(), theorems.end(), theorem) == theorems.end())
            return bad_usage("--theorem", fmt::format("'{}' is not one of yun2020, bigbird2020-star", theorem));
        theorems = {theorem};
    }
    if (!(timeout > 0)) return bad_usage("--timeout", "must be a positive number of seconds");
    if (!cert_file.empty() && out_file.empty()) return bad_usage("--certificate", "needs --out");

    Pattern pattern;
    try {
        pattern = load_pattern_file(file, n);
    } catch (const InputError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }

    tools::StatusLine status;
    status.set_prefix(std::string(prog) + ": ");
    RepairOptions options;
    options.keep_causal = keep_causal;
    options.budget = budget;
    options.verify.timeout_seconds = timeout;
    options.verify.progress = status.callback();
    const VerifyResult original = verify(pattern, options.verify);
    std::vector<RepairResult> results;
    for (const auto& t : theorems) {
        options.theorem = t;
        results.push_back(repair(pattern, original, options));
    }
    status.clear();

    // The repair written: the requested theorem's, or the one with fewest connections.
    const RepairResult* chosen = nullptr;
    for (const auto& r : results)
        if (r.status == RepairStatus::repaired &&
            (!chosen || r.added.size() + r.extra_token_added.has_value() <
                            chosen->added.size() + chosen->extra_token_added.has_value()))
            chosen = &r;
    if (!out_file.empty() && chosen) {
        if (cert_file.empty()) cert_file = certificate_path(out_file);
        try {
            std::ofstream f(out_file, std::ios::binary);
            f << to_explicit_json(*chosen->repaired).dump() << "\n";
            f.close();
            if (!f) throw std::runtime_error(out_file + ": cannot write the file");
            std::string stem = cert_file.substr(cert_file.find_last_of('/') + 1);
            if (stem.ends_with(".cert.json")) stem.resize(stem.size() - 10);
            write_certificate(make_certificate(*chosen->repaired, *chosen->verified, stem), cert_file);
        } catch (const std::runtime_error& e) {
            return bad_usage("--out", e.what());
        }
    }

    if (json_out) {
        nlohmann::json doc = {{"file", file}, {"pattern", pattern.name}, {"n", pattern.n}, {"p", pattern.p()},
                              {"verdict", original.verdict}};
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : results) list.push_back(to_json(r));
        doc["repairs"] = list;
        doc["written"] = chosen && !out_file.empty() ? nlohmann::json{{"theorem", chosen->theorem}, {"pattern", out_file},
                                                                      {"certificate", cert_file}}
                                                     : nlohmann::json(nullptr);
        std::cout << doc.dump(2) << "\n";
    } else {
        std::cout << fmt::format("{}: {} (n = {}, p = {}): verdict {}\n", file, pattern.name, pattern.n, pattern.p(),
                                 original.verdict);
        for (const auto& r : results) std::cout << describe(r, max_listed);
        if (chosen && !out_file.empty())
            std::cout << fmt::format("written: {} (the repair toward {}), certificate {}\n", out_file, chosen->theorem,
                                     cert_file);
        else if (chosen)
            std::cout << "add --out FILE to write the repaired pattern and its certificate\n";
    }

    bool any_ok = false, any_not_found = false;
    for (const auto& r : results) {
        any_ok |= r.status == RepairStatus::repaired || r.status == RepairStatus::already_holds;
        any_not_found |= r.status == RepairStatus::not_found;
    }
    return any_ok ? 0 : (any_not_found ? 3 : 1);
}

}  // namespace sparsecert::cli
