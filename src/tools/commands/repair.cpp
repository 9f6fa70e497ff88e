// sparsecert repair: the fewest connections that make a failing pattern satisfy a sufficient
// theorem, the repaired pattern written and re-verified with a certificate (docs/repair.md). A
// thin driver over sparsecert/repair/repair.hpp.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "common/json_output.hpp"
#include "common/output_file.hpp"
#include "common/pattern_args.hpp"
#include "common/terminal.hpp"
#include "sparsecert/certify/certificate.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/repair/repair.hpp"

namespace sparsecert::cli {

namespace {

struct RepairArgs {
    std::string file, theorem, out, certificate;
    std::optional<std::uint64_t> n, budget;
    bool keep_causal = false;
    tools::JsonOutput json;
    double timeout = 60;
    std::size_t max_listed = 20;
};

// "dir/name.json" -> "dir/name.cert.json".
std::string certificate_path(const std::string& out) {
    const std::string stem = out.ends_with(".json") ? out.substr(0, out.size() - 5) : out;
    return stem + ".cert.json";
}

// Every theorem tried, the repaired pattern of the cheapest one written (an added extra token
// counts as one connection more).
int run_repair(tools::Context& context, RepairArgs& a) {
    std::vector<std::string> theorems = repairable_theorems();
    if (!a.theorem.empty()) {
        if (std::find(theorems.begin(), theorems.end(), a.theorem) == theorems.end())
            throw tools::UsageError{"--theorem", fmt::format("'{}' is not one of yun2020, bigbird2020-star", a.theorem)};
        theorems = {a.theorem};
    }
    if (!(a.timeout > 0)) throw tools::UsageError{"--timeout", "must be a positive number of seconds"};
    if (!a.certificate.empty() && a.out.empty()) throw tools::UsageError{"--certificate", "needs --out"};

    tools::StatusLine status(context.quiet());
    status.set_prefix(context.prog() + ": ");
    const Pattern pattern = tools::load_pattern(a.file, a.n, status.callback());
    RepairOptions options;
    options.keep_causal = a.keep_causal;
    options.budget = a.budget;
    options.verify.timeout_seconds = a.timeout;
    options.verify.progress = status.callback();
    const VerifyResult original = verify(pattern, options.verify);
    std::vector<RepairResult> results;
    for (const auto& t : theorems) {
        options.theorem = t;
        results.push_back(repair(pattern, original, options));
    }
    status.clear();

    const RepairResult* chosen = nullptr;
    auto cost = [](const RepairResult& r) { return r.added.size() + (r.extra_token_added ? 1 : 0); };
    for (const auto& r : results)
        if (r.status == RepairStatus::repaired && (!chosen || cost(r) < cost(*chosen))) chosen = &r;
    if (!a.out.empty() && chosen) {
        if (a.certificate.empty()) a.certificate = certificate_path(a.out);
        tools::write_output_file(a.out, to_explicit_json(*chosen->repaired).dump() + "\n");
        std::string stem = a.certificate.substr(a.certificate.find_last_of('/') + 1);
        if (stem.ends_with(".cert.json")) stem.resize(stem.size() - 10);
        try {
            write_certificate(make_certificate(*chosen->repaired, *chosen->verified, stem), a.certificate);
        } catch (const std::runtime_error& e) {
            throw tools::UsageError{"--certificate", e.what()};
        }
    }

    const std::string name = tools::display_name(a.file);
    if (a.json.json) {
        nlohmann::json doc = {{"file", name}, {"pattern", pattern.name}, {"n", pattern.n}, {"p", pattern.p()},
                              {"verdict", original.verdict}};
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : results) list.push_back(to_json(r));
        doc["repairs"] = list;
        doc["written"] = chosen && !a.out.empty()
                             ? nlohmann::json{{"theorem", chosen->theorem}, {"pattern", a.out}, {"certificate", a.certificate}}
                             : nlohmann::json(nullptr);
        context.out() << tools::json_text(doc, a.json);
    } else {
        context.out() << fmt::format("{}: {} (n = {}, p = {}): verdict {}\n", name, pattern.name, pattern.n, pattern.p(),
                                     original.verdict);
        for (const auto& r : results) context.out() << describe(r, a.max_listed);
        if (chosen && !a.out.empty())
            context.out() << fmt::format("written: {} (the repair toward {}), certificate {}\n", a.out, chosen->theorem,
                                         a.certificate);
        else if (chosen)
            context.out() << "add --out FILE to write the repaired pattern and its certificate\n";
    }

    bool any_ok = false, any_not_found = false;
    for (const auto& r : results) {
        any_ok |= r.status == RepairStatus::repaired || r.status == RepairStatus::already_holds;
        any_not_found |= r.status == RepairStatus::not_found;
    }
    return any_ok ? 0 : (any_not_found ? 3 : 1);
}

}  // namespace

tools::Action repair_command(CLI::App& app, tools::Context& context) {
    auto a = std::make_shared<RepairArgs>();
    app.description("The fewest connections to add to a pattern so that a sufficient theorem applies (yun2020: Yun et "
                    "al. 2020, Theorem 1; bigbird2020-star: Zaheer et al. 2020, Theorem 1, with an extra hub token), "
                    "with a lower bound beside the count, the trade-off between connections and the mixing depth s, "
                    "and the repaired pattern written with its certificate (docs/repair.md).");
    app.add_option("FILE", a->file, tools::pattern_file_help)->required();
    tools::add_n_option(app, a->n);
    app.add_option("--theorem", a->theorem,
                   "the theorem to satisfy: yun2020 or bigbird2020-star (default: both; the cheaper is written)");
    app.add_option("--budget", a->budget, "at most K connections added to any one attended set A_k^l");
    app.add_flag("--keep-causal", a->keep_causal,
                 "only add connections to earlier tokens (j <= k), so that a causal mask stays causal");
    app.add_option("--out", a->out, "write the repaired pattern here (explicit JSON) and its certificate beside it");
    app.add_option("--certificate", a->certificate, "the certificate's file (default: --out with .cert.json)");
    tools::add_json_options(app, a->json, "print the result as JSON (keys in docs/repair.md)");
    app.add_option("--timeout", a->timeout, "time budget in seconds for each search, as verify-pattern (default 60)");
    app.add_option("--max-listed", a->max_listed, "added connections listed in the text output (default 20)");
    tools::standard_options(app, context,
                            {{0, "repaired and re-verified (or nothing to repair), for some theorem tried"},
                             {1, "no repair exists under the constraints (the reason is a proof), for every theorem"},
                             {3, "no repair found within the constraints, with no proof that none exists"}});
    return [&context, a] { return run_repair(context, *a); };
}

}  // namespace sparsecert::cli
