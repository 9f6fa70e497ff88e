// sparsecert report: every catalogue pattern at several sizes, written as report.md, report.html
// (self-contained, inline SVG) and report.json (docs/report.md). A thin driver over
// sparsecert/report/report.hpp.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "common/budget_args.hpp"
#include "common/construction_args.hpp"
#include "common/terminal.hpp"
#include "sparsecert/pattern/catalogue.hpp"
#include "sparsecert/report/report.hpp"

namespace sparsecert::cli {

namespace {

// "64,256,1024": positive integers; returned sorted and without repeats.
std::vector<std::uint64_t> parse_sizes(const std::string& text) {
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
            throw tools::UsageError{"--sizes", fmt::format("expected comma-separated numbers of tokens, got '{}'", item)};
        }
        if (v < 1 || v >= max_tokens) {
            throw tools::UsageError{"--sizes", fmt::format("{} is not a valid number of tokens (1..{})", v, max_tokens - 1)};
        }
        sizes.push_back(v);
    }
    if (sizes.empty()) throw tools::UsageError{"--sizes", "no sizes given"};
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    return sizes;
}

struct ReportArgs {
    std::string patterns_dir, sizes = "64,256,1024,4096,16384,65536", out_dir = "report", delta = "1/2";
    std::int64_t d = 1, heatmap_n = 64, construct_n = 8;
    std::uint64_t max_connections = std::uint64_t{1} << 26;
    double timeout = 60;
    bool times = false;
};

int run_report(tools::Context& context, const ReportArgs& a) {
    ReportOptions options;
    options.sizes = parse_sizes(a.sizes);
    if (a.d < 1 || a.d > 1'000'000) throw tools::UsageError{"--d", fmt::format("must be an integer in 1..1000000, got {}", a.d)};
    options.d = std::uint32_t(a.d);
    const auto m = tools::parse_delta_denominator(a.delta);
    if (!m) throw tools::UsageError{"--delta", fmt::format("expected 1/M with an integer M >= 2, got '{}'", a.delta)};
    options.m = *m;
    if (a.max_connections < 1) throw tools::UsageError{"--max-connections", "must be positive"};
    options.max_connections = a.max_connections;
    if (a.heatmap_n < 0 || a.heatmap_n > 256)
        throw tools::UsageError{"--heatmap-n", fmt::format("must be in 0..256, got {}", a.heatmap_n)};
    options.heatmap_n = token_t(a.heatmap_n);
    if (a.construct_n < 0 || a.construct_n > 10)
        throw tools::UsageError{"--construct-n", fmt::format("must be in 0..10, got {}", a.construct_n)};
    options.construct_n = token_t(a.construct_n);
    options.timeout_seconds = a.timeout;

    // The source is named without the checkout's absolute path, so reports from two checkouts of
    // the same catalogue are identical.
    const char* env = std::getenv("SPARSECERT_PATTERNS");
    if (!a.patterns_dir.empty()) options.source = a.patterns_dir;
    else if (env && *env) options.source = env;
    else options.source = "the bundled catalogue, patterns/";
    options.files = catalogue_files(a.patterns_dir.empty() ? catalogue_directory() : a.patterns_dir);

    tools::StatusLine status(context.quiet(), context.prog() + ": ");
    options.progress = status.callback();
    Report report;
    try {
        report = build_report(options);
    } catch (const std::bad_alloc&) {
        throw tools::UsageError{"", "not enough memory (lower --max-connections)"};
    }
    status.clear();
    RenderOptions render;
    render.times = a.times;
    try {
        write_report(report, a.out_dir, render);
    } catch (const std::runtime_error& e) {
        throw tools::UsageError{"--out", e.what()};
    }

    std::size_t verified = 0, skipped = 0, unavailable = 0, cells = 0;
    for (const auto& p : report.patterns)
        for (const auto& c : p.cells) {
            ++cells;
            if (c.status == CellStatus::verified) ++verified;
            else if (c.status == CellStatus::skipped) ++skipped;
            else ++unavailable;
        }
    context.out() << fmt::format("{}: {} patterns, {} cells: {} verified, {} skipped (over {} connections), {} not "
                                 "instantiable; {:.1f} s\n",
                                 context.prog(), report.patterns.size(), cells, verified, skipped,
                                 options.max_connections, unavailable, report.seconds);
    const std::string dir = a.out_dir.ends_with('/') ? a.out_dir : a.out_dir + "/";
    context.out() << fmt::format("  {}report.html (open in a browser)\n  {}report.md\n  {}report.json\n", dir, dir, dir);
    return 0;
}

}  // namespace

tools::Action report_command(CLI::App& app, tools::Context& context) {
    auto a = std::make_shared<ReportArgs>();
    app.description("Run every pattern of the catalogue (or of a directory) at several sizes and write report.md, a "
                    "self-contained report.html (inline SVG) and report.json: the conditions of Assumption 1, the "
                    "verdict of every registered theorem, growth of the connections, the contextual-mapping depth, "
                    "failures with their certificates, mask heatmaps, plots and the construction at a tiny size "
                    "(docs/report.md). The files are byte-for-byte reproducible unless --times is given.");
    app.add_option("--patterns", a->patterns_dir, "directory of pattern files (default: the bundled catalogue)");
    app.add_option("--sizes", a->sizes, "comma-separated numbers of tokens (default 64,256,1024,4096,16384,65536)");
    app.add_option("--out", a->out_dir, "output directory, created if missing (default ./report)");
    app.add_option("--d", a->d, "d for the depth column p(n-1)delta^-d + s (default 1)");
    app.add_option("--delta", a->delta, "delta = 1/M for the depth column (default 1/2)");
    app.add_option("--max-connections", a->max_connections,
                   "skip cells whose pattern has more connections than this (default 67108864 = 2^26)");
    app.add_option("--heatmap-n", a->heatmap_n, "tokens of the mask heatmaps, 0 for none (default 64, at most 256)");
    app.add_option("--construct-n", a->construct_n,
                   "tokens of the construction summary (d = 1, delta = 1/2), 0 for none (default 8, at most 10)");
    tools::add_timeout_option(app, a->timeout, "time budget in seconds for each verification, as verify-pattern (default 60)");
    app.add_flag("--times", a->times, "include verification times in the three files (they then differ from run to run)");
    tools::standard_options(app, context, {{0, "the report was written, whatever the verdicts"}});
    return [&context, a] { return run_report(context, *a); };
}

}  // namespace sparsecert::cli
