// sparsecert report: every catalogue pattern at several sizes, written as report.md, report.html
// (self-contained, inline SVG) and report.json (docs/report.md). A thin driver over
// sparsecert/report/report.hpp.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "sparsecert/pattern/catalogue.hpp"
#include "sparsecert/support/input_error.hpp"
#include "sparsecert/construction/rational.hpp"
#include "sparsecert/report/report.hpp"
#include "common/terminal.hpp"
#include "common/usage.hpp"

namespace sparsecert::cli {

namespace {

constexpr const char* prog = "sparsecert report";

int bad_usage(const std::string& option, const std::string& problem) { return usage_error(prog, option, problem); }

// "64,256,1024": positive integers; returned sorted and without repeats.
std::optional<std::vector<std::uint64_t>> parse_sizes(const std::string& text, std::string& problem) {
    std::vector<std::uint64_t> sizes;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        std::size_t used = 0;
        unsigned long long v = 0;
        try {
            v = std::stoull(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (item.empty() || used != item.size() || item[0] == '-' || item[0] == '+') {
            problem = fmt::format("expected comma-separated numbers of tokens, got '{}'", item);
            return std::nullopt;
        }
        if (v < 1 || v >= max_tokens) {
            problem = fmt::format("{} is not a valid number of tokens (1..{})", v, max_tokens - 1);
            return std::nullopt;
        }
        sizes.push_back(v);
    }
    if (sizes.empty()) {
        problem = "no sizes given";
        return std::nullopt;
    }
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    return sizes;
}

}  // namespace

int report_command(int argc, char** argv) {
    CLI::App app{"sparsecert report: run every pattern of the catalogue (or of a directory) at several sizes and write "
                 "report.md, a self-contained report.html (inline SVG) and report.json: the conditions of Assumption 1, "
                 "the verdict of every registered theorem, growth of the connections, the contextual-mapping depth, "
                 "failures with their certificates, mask heatmaps, plots and the construction at a tiny size "
                 "(docs/report.md). The files are byte-for-byte reproducible unless --times is given.",
                 prog};
    std::string patterns_dir, sizes_text = "64,256,1024,4096,16384,65536", out_dir = "report", delta_text = "1/2";
    std::int64_t d = 1, heatmap_n = 64, construct_n = 8;
    std::uint64_t max_connections = std::uint64_t{1} << 26;
    double timeout = 60;
    bool times = false;
    app.add_option("--patterns", patterns_dir, "directory of pattern files (default: the bundled catalogue, patterns/)");
    app.add_option("--sizes", sizes_text, "comma-separated numbers of tokens (default 64,256,1024,4096,16384,65536)");
    app.add_option("--out", out_dir, "output directory, created if missing (default ./report)");
    app.add_option("--d", d, "d for the depth column p(n-1)delta^-d + s (default 1)");
    app.add_option("--delta", delta_text, "delta = 1/M for the depth column (default 1/2)");
    app.add_option("--max-connections", max_connections,
                   "skip cells whose pattern has more connections than this (default 67108864 = 2^26)");
    app.add_option("--heatmap-n", heatmap_n, "tokens of the mask heatmaps, 0 for none (default 64, at most 256)");
    app.add_option("--construct-n", construct_n,
                   "tokens of the construction summary (d = 1, delta = 1/2), 0 for none (default 8, at most 10)");
    app.add_option("--timeout", timeout, "time budget in seconds for each search, as verify-pattern (default 60)");
    app.add_flag("--times", times,
                 "include verification times in the three files (they then differ from run to run)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError& e) {
        return bad_usage("", e.what());
    }

    ReportOptions options;
    std::string problem;
    const auto sizes = parse_sizes(sizes_text, problem);
    if (!sizes) return bad_usage("--sizes", problem);
    options.sizes = *sizes;
    if (d < 1 || d > 1'000'000) return bad_usage("--d", fmt::format("must be an integer in 1..1000000, got {}", d));
    options.d = std::uint32_t(d);
    try {
        const Rational delta = Rational::parse(delta_text);
        if (delta.sign() <= 0 || mpz_cmp_ui(delta.numerator(), 1) != 0 || mpz_cmp_ui(delta.denominator(), 2) < 0 ||
            !mpz_fits_uint_p(delta.denominator()))
            throw std::invalid_argument("");
        options.m = std::uint32_t(mpz_get_ui(delta.denominator()));
    } catch (const std::invalid_argument&) {
        return bad_usage("--delta", fmt::format("expected 1/M with an integer M >= 2, got '{}'", delta_text));
    }
    if (max_connections < 1) return bad_usage("--max-connections", "must be positive");
    options.max_connections = max_connections;
    if (heatmap_n < 0 || heatmap_n > 256)
        return bad_usage("--heatmap-n", fmt::format("must be in 0..256, got {}", heatmap_n));
    options.heatmap_n = token_t(heatmap_n);
    if (construct_n < 0 || construct_n > 10)
        return bad_usage("--construct-n", fmt::format("must be in 0..10, got {}", construct_n));
    options.construct_n = token_t(construct_n);
    if (!(timeout > 0)) return bad_usage("--timeout", "must be a positive number of seconds");
    options.timeout_seconds = timeout;

    // The source is named without the checkout's absolute path, so reports from two checkouts of
    // the same catalogue are identical.
    const char* env = std::getenv("SPARSECERT_PATTERNS");
    if (!patterns_dir.empty()) options.source = patterns_dir;
    else if (env && *env) options.source = env;
    else options.source = "the bundled catalogue, patterns/";
    try {
        options.files = catalogue_files(patterns_dir.empty() ? catalogue_directory() : patterns_dir);
    } catch (const InputError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }

    tools::StatusLine status;
    status.set_prefix(std::string(prog) + ": ");
    options.progress = status.callback();
    Report report;
    try {
        report = build_report(options);
    } catch (const InputError& e) {
        status.clear();
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    } catch (const std::bad_alloc&) {
        status.clear();
        return bad_usage("", "not enough memory (lower --max-connections)");
    }
    status.clear();
    RenderOptions render;
    render.times = times;
    try {
        write_report(report, out_dir, render);
    } catch (const std::runtime_error& e) {
        return bad_usage("--out", e.what());
    }

    std::size_t verified = 0, skipped = 0, unavailable = 0, cells = 0;
    for (const auto& p : report.patterns)
        for (const auto& c : p.cells) {
            ++cells;
            if (c.status == CellStatus::verified) ++verified;
            else if (c.status == CellStatus::skipped) ++skipped;
            else ++unavailable;
        }
    std::cout << fmt::format("{}: {} patterns, {} cells: {} verified, {} skipped (over {} connections), {} not "
                             "instantiable; {:.1f} s\n",
                             prog, report.patterns.size(), cells, verified, skipped, options.max_connections, unavailable,
                             report.seconds);
    const std::string dir = out_dir.ends_with('/') ? out_dir : out_dir + "/";
    std::cout << fmt::format("  {}report.html (open in a browser)\n  {}report.md\n  {}report.json\n", dir, dir, dir);
    return 0;
}

}  // namespace sparsecert::cli
