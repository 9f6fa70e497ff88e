// The generated report (`sparsecert report`, docs/report.md): every pattern of a catalogue at
// several sizes, with the conditions of Assumption 1 (docs/theory.md section 2), the verdict of every
// registered theorem (docs/theory.md section 5), the contextual-mapping depth p(n-1)delta^{-d} + s
// (docs/theory.md section 4, stage (b)), the growth of the connections in n, the reason and certificate
// summary of every failure, pictures, and the construction at a tiny size.
//
// build_report() computes the model; render_markdown/render_html/to_json turn it into the three
// files (write_report writes them). The renderers are pure: the same model gives the same bytes.
// Timing is the only measured, machine-dependent quantity: it is kept in the model but rendered only
// when RenderOptions::times is set, so the default files are reproducible byte for byte.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/support/progress.hpp"
#include "sparsecert/certify/theorems.hpp"
#include "sparsecert/certify/verify.hpp"

namespace sparsecert {

struct ReportOptions {
    std::vector<std::string> files;       // pattern files, in report order
    std::string source;                   // how the report names where they came from (no absolute path)
    std::vector<std::uint64_t> sizes;     // numbers of tokens, ascending, distinct
    // The depth column: p(n-1)delta^{-d} + s with delta = 1/m.
    std::uint32_t d = 1;
    std::uint32_t m = 2;
    // A cell whose pattern has more connections (all layers together) than this is not verified.
    // Above probe_size the count is predicted before the pattern is built (see docs/report.md,
    // "The connection cap"), so a pattern far over the cap is never built either.
    std::uint64_t max_connections = std::uint64_t{1} << 26;
    std::uint64_t probe_size = 1024;      // up to this many tokens a pattern is always built
    token_t heatmap_n = 64;               // the size of the mask heatmaps (0: none)
    // The construction summary (sparsecert construct, docs/theory.md section 4) at n = construct_n,
    // d = 1, delta = 1/2, target "mean", checked on every grid input (0: none).
    token_t construct_n = 8;
    double timeout_seconds = 60;          // per search, as verify-pattern --timeout
    Progress progress;
};

// One failing or undetermined theorem in one cell, in one line each.
struct ReportFailure {
    std::string theorem;     // theorem id
    std::string kind;        // sufficient / necessary
    bool undetermined = false;
    std::string check;       // the first failing (or undetermined) hypothesis
    std::string reason;      // the check's one-line reason
    std::string certificate; // summary of that check's part of the certificate (make_certificate)
};

enum class CellStatus {
    verified,          // verify() ran
    skipped,           // over the connection cap
    not_instantiable,  // the file cannot produce a pattern at this n (the problem is in `note`)
};

struct ReportCell {
    std::uint64_t n = 0;
    CellStatus status = CellStatus::verified;
    std::string note;                          // skipped / not_instantiable: why, one line
    std::size_t p = 0;
    // Exact counts per pattern (layer) when the pattern was built; empty when it was not.
    std::vector<std::uint64_t> connections;
    std::optional<double> predicted_connections;  // when it was not built: the prediction
    std::optional<VerifyResult> result;        // verified cells
    // p(n-1)delta^{-d} + s in decimal: exact when s is known; "lo..hi" when only bounds on s are.
    // Empty when there is no finite s or it is undetermined.
    std::string depth;
    std::vector<ReportFailure> failures;
    double seconds = 0;                        // verification wall time (rendered only with times)

    std::uint64_t total_connections() const;
};

struct ConstructionSummary {
    token_t n = 0;
    std::uint32_t d = 1, m = 2;
    std::string target;
    bool applies = false;
    std::string reason;                   // not applicable, or the instantiation problem
    // When it applies:
    std::string path_method;
    std::uint64_t s = 0;
    std::uint64_t quantization = 0, sweep = 0, sweep_identity = 0, all_max = 0, contextual_mapping = 0;
    std::uint64_t formula = 0;            // the paper's p(n-1)delta^{-d} + s
    std::uint64_t value_mapping = 0, total = 0;
    std::string grid_inputs;              // m^{dn}
    std::uint64_t inputs_checked = 0;
    bool exhaustive = false;
    bool quantization_holds = false, selective_shift_holds = false, contextual_mapping_holds = false,
         matches_target_holds = false;
    std::string min_gap;                  // smallest gap between codes (exact rational)
    double seconds = 0;

    bool holds() const {
        return applies && quantization_holds && selective_shift_holds && contextual_mapping_holds &&
               matches_target_holds;
    }
};

struct PatternReport {
    std::string file;                     // file name without directory
    std::string name, description;
    std::optional<token_t> fixed_n;       // the file's explicit "attend" lists fix n
    std::vector<ReportCell> cells;        // ascending n
    // Least-squares slope of log(connections) on log(n) over the cells whose pattern was built.
    std::optional<double> growth_exponent;
    std::optional<Pattern> heatmap;       // the pattern at heatmap_n (or its own n when fixed and small)
    std::string heatmap_note;             // why there is none
    std::optional<ConstructionSummary> construction;
};

struct Report {
    ReportOptions options;                // as run (progress cleared)
    std::vector<Theorem> theorems;        // the registry
    std::vector<PatternReport> patterns;
    double seconds = 0;                   // whole run
};

// Runs every file at every size. Throws InputError (FILE: PLACE: PROBLEM) when a file cannot be
// read or parsed, or gives a pattern at none of the sizes; a file that works at some sizes only
// gets not_instantiable cells at the others.
Report build_report(const ReportOptions& options);

// The growth exponent: least squares on (log n, log c); nullopt with fewer than two distinct
// sizes or a zero count.
std::optional<double> fit_growth_exponent(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& n_and_connections);

// p(n-1) m^d + s in decimal (exact, arbitrary precision).
std::string contextual_mapping_depth(std::uint64_t p, std::uint64_t n, std::uint32_t d, std::uint32_t m,
                                     std::uint64_t s);
// A decimal integer as itself when it has at most `max_digits` digits, else in scientific form
// with three significant digits, truncated, e.g. "1.23e45" (exact digits of the integer).
std::string short_integer(const std::string& decimal, std::size_t max_digits = 15);

// A count in two significant digits for text, "4.3e9" (exact below a million).
std::string approximate_count(double x);

struct RenderOptions {
    bool times = false;  // include verification times (makes the output machine-dependent)
};

std::string render_markdown(const Report& report, const RenderOptions& options = {});
std::string render_html(const Report& report, const RenderOptions& options = {});
nlohmann::json to_json(const Report& report, const RenderOptions& options = {});

// The figures, by file name (figures/connections.svg, figures/mixing-depth.svg,
// figures/masks-<stem>.svg): report.md links them; report.html inlines the same SVG.
std::vector<std::pair<std::string, std::string>> report_figures(const Report& report);

// Writes report.md, report.html, report.json and figures/ into `directory` (created if missing).
// Throws std::runtime_error naming the path when something cannot be written.
void write_report(const Report& report, const std::filesystem::path& directory, const RenderOptions& options = {});

}  // namespace sparsecert
