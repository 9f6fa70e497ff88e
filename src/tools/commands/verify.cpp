// sparsecert verify (also the verify-pattern program): decides Assumption 1 of Yun et al. 2020 and
// every theorem of the registry for pattern files. A thin driver over sparsecert/certify/verify.hpp
// and certificate.hpp; docs/verify-pattern.md documents the output and the exit statuses.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "common/json_output.hpp"
#include "common/budget_args.hpp"
#include "common/pattern_args.hpp"
#include "common/terminal.hpp"
#include "sparsecert/certify/certificate.hpp"
#include "sparsecert/certify/verify.hpp"
#include "sparsecert/pattern/catalogue.hpp"
#include "sparsecert/support/input_error.hpp"
#include "sparsecert/support/printable.hpp"

namespace sparsecert::cli {

namespace {

namespace fs = std::filesystem;

struct VerifyArgs {
    std::vector<std::string> files;
    std::optional<std::uint64_t> n, max_connections;
    tools::JsonOutput json;
    bool omit_path = false;
    double timeout = 60;
    std::string certificate;
};

std::string cell(const std::optional<bool>& v) { return !v ? "?" : (*v ? "yes" : "NO"); }

// The verdict with the theorem that decides it (theorems/*.json).
std::string verdict_text(const VerifyResult& r) {
    std::string ids;
    for (const auto& t : r.theorems)
        if ((r.verdict == "universal" && t.kind == "sufficient" && t.applies == true) ||
            (r.verdict == "not-universal" && t.kind == "necessary" && t.applies == false))
            ids += (ids.empty() ? "" : ", ") + t.id;
    return ids.empty() ? r.verdict : r.verdict + " (" + ids + ")";
}

std::string theorem1_text(const VerifyResult& r) {
    if (r.theorem_applies == true) return "applies";
    if (r.theorem_applies == false) {
        if (!r.input_tokens_only) return "n/a: extra tokens";
        if (!r.self_attention.holds) return "fails: self-attention";
        if (r.hamiltonian_path.holds == false) return "fails: Hamiltonian path";
        return "fails: reachability";
    }
    return "undetermined";
}

std::string table(const std::vector<std::string>& files, const std::vector<VerifyResult>& results) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"pattern", "n", "p", "connections", "per token", "self", "path", "s", "star",
                    "Theorem 1 (yun2020)", "verdict"});
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& r = results[i];
        std::uint64_t total = 0;
        for (auto c : r.connections) total += c;
        const std::string file =
            printable(files[i] == "-" ? tools::display_name(files[i]) : fs::path(files[i]).filename().string());
        std::string s = r.reachability.s ? std::to_string(*r.reachability.s)
                                         : (r.reachability.holds == false ? "never" : "?");
        rows.push_back({file, std::to_string(r.n), std::to_string(r.p), std::to_string(total),
                        fmt::format("{:.1f}", double(total) / double(r.n) / double(r.p)),
                        cell(r.self_attention.holds), cell(r.hamiltonian_path.holds), s,
                        r.star.hub ? std::to_string(*r.star.hub) : "-", theorem1_text(r), verdict_text(r)});
    }
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    std::string out;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        std::string line;
        for (std::size_t c = 0; c < rows[r].size(); ++c) {
            const bool left = c == 0 || c + 2 >= rows[r].size();
            line += left ? fmt::format("{:<{}}", rows[r][c], width[c])
                         : fmt::format("{:>{}}", rows[r][c], width[c]);
            if (c + 1 < rows[r].size()) line += "  ";
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
        if (r == 0) {
            std::size_t total_width = 0;
            for (auto w : width) total_width += w + 2;
            out += std::string(total_width - 2, '-') + "\n";
        }
    }
    return out;
}

// Where each file's certificate goes: the FILE itself for one pattern and a path that is not a
// directory; otherwise DIR/<file name without .json>.cert.json (standard input: stdin.cert.json).
// Two inputs with the same name would overwrite each other's certificate: that is a usage error.
struct CertificatePlan {
    std::vector<fs::path> files;
    std::vector<std::string> stems;  // names the side files (<stem>.path.smt2)
};

std::optional<CertificatePlan> plan_certificates(const tools::Context& context, const VerifyArgs& a,
                                                 int& status) {
    CertificatePlan plan;
    if (a.certificate.empty()) return plan;
    const bool into_dir = a.files.size() > 1 || fs::is_directory(a.certificate) || a.certificate.back() == '/';
    if (!into_dir) {
        plan.files.push_back(a.certificate);
        plan.stems.push_back(fs::path(a.certificate).stem().string());
        return plan;
    }
    std::map<std::string, std::string> claimed;  // certificate name -> the input that claims it
    for (const auto& file : a.files) {
        std::string stem = file == "-" ? "stdin" : fs::path(file).filename().string();
        if (stem.size() > 5 && stem.ends_with(".json")) stem.resize(stem.size() - 5);
        const std::string name = stem + ".cert.json";
        if (auto [it, fresh] = claimed.emplace(name, file); !fresh) {
            status = context.usage_error(
                "--certificate", fmt::format("{} and {} would both write {}; verify them in separate runs or "
                                             "into separate directories",
                                             it->second, file, (fs::path(a.certificate) / name).string()));
            return std::nullopt;
        }
        plan.files.push_back(fs::path(a.certificate) / name);
        plan.stems.push_back(stem);
    }
    std::error_code ec;
    fs::create_directories(a.certificate, ec);
    if (!fs::is_directory(a.certificate)) {
        status = context.usage_error("--certificate", fmt::format("cannot create directory {}", a.certificate));
        return std::nullopt;
    }
    return plan;
}

int run_verify(tools::Context& context, VerifyArgs& a) {
    if (const auto problem = tools::stdin_given_twice(a.files)) return context.usage_error("FILE", *problem);
    const bool catalogue = a.files.empty();
    if (catalogue) a.files = catalogue_files(catalogue_directory());
    int status = 0;
    const auto plan = plan_certificates(context, a, status);
    if (!plan) return status;

    std::vector<VerifyResult> results;
    std::vector<Certificate> certificates;
    tools::StatusLine progress_line(context.quiet());
    VerifyOptions options;
    options.timeout_seconds = a.timeout;
    options.progress = progress_line.callback();
    for (std::size_t i = 0; i < a.files.size(); ++i) {
        progress_line.set_prefix(fmt::format("[{}/{}] {}: ", i + 1, a.files.size(), tools::display_name(a.files[i])));
        try {
            const Pattern pattern = tools::load_pattern(a.files[i], a.n, options.progress, a.max_connections);
            results.push_back(verify(pattern, options));
            if (!plan->files.empty()) {
                report(options.progress, "certificate");
                certificates.push_back(make_certificate(pattern, results.back(), plan->stems[i]));
            }
        } catch (const std::bad_alloc&) {
            throw InputError(tools::display_name(a.files[i]), "", "not enough memory for this pattern");
        }
    }
    progress_line.clear();
    // Written only once every file loaded and verified: bad input leaves nothing behind but the error line.
    for (std::size_t i = 0; i < certificates.size(); ++i) {
        try {
            write_certificate(certificates[i], plan->files[i]);
        } catch (const std::runtime_error& e) {
            return context.usage_error("", e.what());
        }
    }

    std::ostream& out = context.out();
    if (a.json.json) {
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t i = 0; i < results.size(); ++i) {
            nlohmann::json entry = to_json(results[i], VerifyJsonOptions{.path_list = !a.omit_path});
            entry["file"] = a.files[i];
            list.push_back(std::move(entry));
        }
        out << tools::json_text({{"results", std::move(list)}}, a.json);
    } else if (catalogue) {
        out << table(a.files, results);
    } else {
        for (std::size_t i = 0; i < results.size(); ++i)
            out << (i ? "\n" : "") << describe(results[i], tools::display_name(a.files[i]));
        if (results.size() > 1) out << "\n" << table(a.files, results);
    }

    // The exit status follows the verdicts (docs/verify-pattern.md): any not-universal gives 1,
    // else any open gives 3, else 0.
    bool open = false;
    for (const auto& r : results) {
        if (r.verdict == "not-universal") return 1;
        if (r.verdict != "universal") open = true;
    }
    return open ? 3 : 0;
}

}  // namespace

tools::Action verify_command(CLI::App& app, tools::Context& context) {
    auto a = std::make_shared<VerifyArgs>();
    app.description(
        "Decide Assumption 1 of Yun et al. (NeurIPS 2020, \"O(n) Connections are Expressive Enough\") and every "
        "theorem of the registry for sparse-attention patterns, with a three-valued verdict (docs/verify-pattern.md). "
        "With no FILE, verifies the bundled catalogue and prints one table.");
    app.add_option("FILE", a->files, std::string(tools::pattern_file_help) + "; several may be given");
    tools::add_n_option(app, a->n);
    tools::add_max_connections_option(app, a->max_connections);
    tools::add_json_options(app, a->json,
                            "print one JSON document: {\"results\": [one object per file], \"sparsecert_version\": ...}");
    app.add_flag("--omit-path", a->omit_path,
                 "with --json: leave out the Hamiltonian path's token list (n entries)");
    tools::add_timeout_option(app, a->timeout,
                             "time budget in seconds for each file's verification, every search's share included "
                             "(default 60)");
    app.add_option("--certificate", a->certificate,
                   "write the evidence for every answer as JSON: a FILE for one pattern, or a directory "
                   "(created if missing) holding <pattern>.cert.json for each; check it with check-certificate");
    tools::standard_options(app, context,
                            {{0, "the verdict is universal for every file"},
                             {1, "it is not-universal for at least one file"},
                             {3, "otherwise: some verdict is open (no theorem decides, or a check was undetermined)"}});
    return [&context, a] { return run_verify(context, *a); };
}

}  // namespace sparsecert::cli
