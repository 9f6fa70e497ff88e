// verify-pattern: decides Assumption 1 (Yun et al. 2020) for pattern files. A thin driver over
// sparsecert/certify/verify.hpp; docs/verify-pattern.md documents the output and the exit statuses.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sparsecert/pattern/catalogue.hpp"
#include "sparsecert/certify/certificate.hpp"
#include "sparsecert/support/input_error.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/certify/verify.hpp"
#include "common/terminal.hpp"

namespace {

using namespace sparsecert;

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
        std::string file = files[i];
        if (auto slash = file.find_last_of('/'); slash != std::string::npos) file = file.substr(slash + 1);
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

int run(int argc, char** argv) {
    CLI::App app{"verify-pattern: decide Assumption 1 of Yun et al. (NeurIPS 2020) for sparse-attention "
                 "patterns.\nWith no FILE, verifies the bundled catalogue and prints one table."};
    std::vector<std::string> files;
    std::optional<std::int64_t> n;
    bool json = false;
    double timeout = 60;
    app.add_option("FILE", files, "pattern files (JSON, docs/pattern-format.md)");
    app.add_option("--n", n, "number of tokens for size-generic pattern files");
    app.add_flag("--json", json, "print JSON (one object per file; an array for several files)");
    app.add_option("--timeout", timeout, "time budget in seconds for each search (default 60)");
    std::string certificate;
    app.add_option("--certificate", certificate,
                   "write the evidence for every answer as JSON: a FILE for one pattern, or a directory "
                   "(created if missing) holding <pattern>.cert.json for each; check it with check-certificate");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "verify-pattern: %s\n", e.what());
        return 2;
    }
    if (n && *n <= 0) {
        std::fprintf(stderr, "verify-pattern: --n: must be a positive integer, got %lld\n", (long long)*n);
        return 2;
    }
    if (!(timeout > 0)) {
        std::fprintf(stderr, "verify-pattern: --timeout: must be a positive number of seconds\n");
        return 2;
    }
    const bool catalogue = files.empty();
    try {
        if (catalogue) files = catalogue_files(catalogue_directory());
    } catch (const InputError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }

    // One file and a path that is not a directory: the certificate goes there; otherwise into a
    // directory, named after each pattern file.
    namespace fs = std::filesystem;
    const bool certificate_dir = !certificate.empty() &&
        (files.size() > 1 || fs::is_directory(certificate) || certificate.back() == '/');
    if (certificate_dir) {
        std::error_code ec;
        fs::create_directories(certificate, ec);
        if (!fs::is_directory(certificate)) {
            std::fprintf(stderr, "verify-pattern: --certificate: cannot create directory %s\n", certificate.c_str());
            return 2;
        }
    }
    std::vector<Certificate> certificates;
    std::vector<fs::path> certificate_files;

    std::vector<VerifyResult> results;
    tools::StatusLine status;
    VerifyOptions options;
    options.timeout_seconds = timeout;
    options.progress = status.callback();
    for (std::size_t i = 0; i < files.size(); ++i) {
        status.set_prefix(fmt::format("[{}/{}] {}: ", i + 1, files.size(), files[i]));
        try {
            std::optional<std::uint64_t> n_override;
            if (n) n_override = std::uint64_t(*n);
            report(options.progress, "loading");
            Pattern pattern = load_pattern_file(files[i], n_override);
            results.push_back(verify(pattern, options));
            if (!certificate.empty()) {
                std::string stem = fs::path(files[i]).filename().string();
                if (stem.size() > 5 && stem.ends_with(".json")) stem.resize(stem.size() - 5);
                const fs::path file = certificate_dir ? fs::path(certificate) / (stem + ".cert.json")
                                                      : fs::path(certificate);
                if (!certificate_dir) stem = file.stem().string();
                report(options.progress, "certificate");
                certificates.push_back(make_certificate(pattern, results.back(), stem));
                certificate_files.push_back(file);
            }
        } catch (const InputError& e) {
            status.clear();
            std::fprintf(stderr, "%s\n", e.what());
            return 2;
        } catch (const std::bad_alloc&) {
            status.clear();
            std::fprintf(stderr, "%s: not enough memory for this pattern\n", files[i].c_str());
            return 2;
        }
    }
    status.clear();
    // Written only once every file loaded: bad input leaves nothing behind but the error line.
    for (std::size_t i = 0; i < certificates.size(); ++i) {
        try {
            write_certificate(certificates[i], certificate_files[i]);
        } catch (const std::runtime_error& e) {
            std::fprintf(stderr, "verify-pattern: %s\n", e.what());
            return 2;
        }
    }

    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : results) out.push_back(to_json(r));
        std::cout << (out.size() == 1 ? out[0] : out).dump(2) << "\n";
    } else if (catalogue) {
        std::cout << table(files, results);
    } else {
        for (std::size_t i = 0; i < results.size(); ++i)
            std::cout << (i ? "\n" : "") << describe(results[i], files[i]);
        if (results.size() > 1) std::cout << "\n" << table(files, results);
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

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "verify-pattern: internal error: %s\n", e.what());
        return 4;
    }
}
