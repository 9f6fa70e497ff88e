// The report's three files and its figures (report.hpp). docs/report.md documents every column.
// Everything here is a pure function of the Report: numbers are printed with fixed precision,
// patterns and sizes in the model's order, and times only when RenderOptions::times asks for them.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sparsecert/report/plot.hpp"
#include "sparsecert/report/report.hpp"
#include "sparsecert/report/svg.hpp"
#include "sparsecert/version.hpp"

namespace sparsecert {

namespace {

using nlohmann::json;

std::string stem_of(const std::string& file) {
    return file.size() > 5 && file.ends_with(".json") ? file.substr(0, file.size() - 5) : file;
}

// Figure file names must be safe in a URL and a path whatever the pattern file is called.
std::string figure_stem(const std::string& file) {
    std::string out;
    for (char c : stem_of(file))
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    return out;
}

std::string yes_no(const std::optional<bool>& v) { return !v ? "?" : (*v ? "yes" : "NO"); }

std::string growth_text(const std::optional<double>& e) {
    if (!e) return "-";
    std::string s = fmt::format("{:.2f}", *e);
    // The classes a designer asks about (docs/theory.md section 6): O(n), O(n^1.5), O(n^2).
    for (auto [target, label] : {std::pair{1.0, "O(n)"}, std::pair{1.5, "O(n^1.5)"}, std::pair{2.0, "O(n^2)"}})
        if (std::abs(*e - target) < 0.1) return s + " " + label;
    return s;
}

std::string s_text(const VerifyResult& r) {
    const auto& re = r.reachability;
    if (re.holds == false) return "never";
    if (re.holds != true) return "?";
    if (re.s) return std::to_string(*re.s);
    if (re.s_lower && re.s_upper) return fmt::format("{}..{}", *re.s_lower, *re.s_upper);
    return "finite";
}

std::string theorem_cell(const VerifyResult& r, const std::string& id) {
    for (const auto& t : r.theorems)
        if (t.id == id) return !t.applies ? "?" : (*t.applies ? "applies" : "fails");
    return "-";
}

std::string delta_text(std::uint32_t m) { return "1/" + std::to_string(m); }

std::string connections_text(const ReportCell& c) {
    if (c.connections.empty())
        return c.predicted_connections ? "~" + approximate_count(*c.predicted_connections) + " (predicted)" : "-";
    std::string s;
    for (std::size_t l = 0; l < c.connections.size(); ++l) s += (l ? " + " : "") + std::to_string(c.connections[l]);
    if (c.connections.size() > 1) s += " = " + std::to_string(c.total_connections());
    return s;
}

std::string per_token_text(const ReportCell& c) {
    if (c.connections.empty() || c.n == 0) return "-";
    return fmt::format("{:.1f}", double(c.total_connections()) / double(c.n) / double(c.p));
}

std::string depth_text(const ReportCell& c) {
    if (c.depth.empty()) return "-";
    const auto dots = c.depth.find("..");
    if (dots == std::string::npos) return short_integer(c.depth);
    return short_integer(c.depth.substr(0, dots)) + ".." + short_integer(c.depth.substr(dots + 2));
}

std::string status_name(CellStatus s) {
    switch (s) {
        case CellStatus::verified: return "verified";
        case CellStatus::skipped: return "skipped";
        case CellStatus::not_instantiable: return "not-instantiable";
    }
    return "";
}

// The main table's columns, shared by Markdown and HTML.
struct Column {
    std::string header;
    std::string tooltip;
};

std::vector<Column> columns(const Report& r, const RenderOptions& ro) {
    std::vector<Column> cols = {
        {"pattern", "pattern file"},
        {"n", "tokens"},
        {"p", "patterns (layers cycled)"},
        {"connections", "sum_k |A_k^l| per pattern l, and their total"},
        {"per token", "connections / (n p): mean attended-set size"},
        {"growth", "least-squares slope of log(connections) on log(n) over the sizes"},
        {"self", "Assumption 1.1: k in A_k^l for every token k and pattern l"},
        {"path", "Assumption 1.2: a Hamiltonian path in the union graph"},
        {"s", "Assumption 1.3: the least s with S_k^s = all tokens for every k"},
        {"star", "BigBird's star as stated: the extra token x_0 that every input token attends to (with itself) and that attends to all"},
        {"influence", "every input token eventually influences every input token (residual connections)"},
    };
    for (const auto& t : r.theorems) cols.push_back({t.id, t.kind + " condition: " + t.citation});
    cols.push_back({"verdict", "universal: a sufficient theorem applies; not-universal: a necessary one fails; open: neither"});
    cols.push_back({fmt::format("depth (d={}, delta={})", r.options.d, delta_text(r.options.m)),
                    "contextual-mapping depth p(n-1)delta^-d + s (our reconstruction of the paper's count, docs/theory.md section 4)"});
    if (ro.times) cols.push_back({"time", "verification wall time (machine-dependent)"});
    return cols;
}

std::vector<std::string> row_cells(const Report& r, const PatternReport& pr, const ReportCell& c, const RenderOptions& ro) {
    std::vector<std::string> row = {stem_of(pr.file), std::to_string(c.n), c.p ? std::to_string(c.p) : "-",
                                    connections_text(c), per_token_text(c), growth_text(pr.growth_exponent)};
    if (!c.result) {
        // Skipped / not instantiable: the note takes the place of the checks.
        const std::size_t rest = 5 + r.theorems.size() + 2 + (ro.times ? 1 : 0);
        for (std::size_t i = 0; i < rest; ++i) row.push_back(i == 0 ? c.note : "");
        return row;
    }
    const VerifyResult& v = *c.result;
    row.push_back(v.self_attention.holds ? "yes" : fmt::format("NO ({})", v.self_attention.missing_count));
    row.push_back(yes_no(v.hamiltonian_path.holds));
    row.push_back(s_text(v));
    row.push_back(v.star.hub ? std::to_string(*v.star.hub) : "-");
    row.push_back(yes_no(v.influence.holds));
    for (const auto& t : r.theorems) row.push_back(theorem_cell(v, t.id));
    row.push_back(v.verdict);
    row.push_back(depth_text(c));
    if (ro.times) row.push_back(fmt::format("{:.3f} s", c.seconds));
    return row;
}

std::string failure_line(const ReportFailure& f) {
    std::string line = fmt::format("{} ({}) {}", f.theorem, f.kind, f.undetermined ? "undetermined" : "fails");
    if (!f.check.empty()) line += ": " + f.check + (f.undetermined ? " undetermined: " : " fails: ") + f.reason;
    else line += ": " + f.reason;
    if (!f.certificate.empty()) line += ". Certificate: " + f.certificate;
    return line;
}

// A pattern's failure lines, each with the sizes where it occurs ("n = 64, 256"): the same
// failure at several sizes is one line, in order of first occurrence.
std::vector<std::pair<std::string, std::string>> grouped_failures(const PatternReport& p) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& c : p.cells)
        for (const auto& f : c.failures) {
            const std::string text = failure_line(f);
            auto it = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == text; });
            if (it == out.end()) out.emplace_back(text, "n = " + std::to_string(c.n));
            else it->second += ", " + std::to_string(c.n);
        }
    return out;
}

std::string md_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += ' ';
        else out += c;
    }
    return out;
}

std::string html(const std::string& s) { return svg::escape(s); }

std::vector<std::uint64_t> all_sizes(const Report& r) {
    std::set<std::uint64_t> sizes;
    for (const auto& p : r.patterns)
        for (const auto& c : p.cells) sizes.insert(c.n);
    return {sizes.begin(), sizes.end()};
}

std::string glance_text(const ReportCell& c) {
    if (c.status == CellStatus::skipped) return "skipped";
    if (c.status == CellStatus::not_instantiable) return "n/a";
    const auto& v = *c.result;
    std::string s = v.verdict;
    if (v.reachability.s) s += fmt::format(", s={}", *v.reachability.s);
    return s;
}

std::string settings_line(const Report& r) {
    std::string sizes;
    for (auto n : r.options.sizes) sizes += (sizes.empty() ? "" : ", ") + std::to_string(n);
    return fmt::format("Patterns: {}, {} files. Sizes: {}. Depth column for d = {}, delta = {}. Connection cap: {} "
                       "(cells above it are skipped). Budget per search: {} s.",
                       r.options.source, r.patterns.size(), sizes, r.options.d, delta_text(r.options.m),
                       r.options.max_connections, svg::num(r.options.timeout_seconds));
}

std::string construction_checks(const ConstructionSummary& c) {
    if (!c.applies) return "-";
    return c.holds() ? fmt::format("all hold on {} of {} grid inputs", c.inputs_checked, c.grid_inputs)
                     : fmt::format("FAIL (quantization {}, selective shift {}, contextual mapping {}, target {})",
                                   c.quantization_holds ? "ok" : "FAILS", c.selective_shift_holds ? "ok" : "FAILS",
                                   c.contextual_mapping_holds ? "ok" : "FAILS", c.matches_target_holds ? "ok" : "FAILS");
}

std::vector<std::string> construction_row(const PatternReport& pr, const RenderOptions& ro) {
    const auto& c = *pr.construction;
    if (!c.applies) {
        std::vector<std::string> row = {stem_of(pr.file), "no: " + c.reason, "", "", "", "", "", "", "", ""};
        if (ro.times) row.push_back(fmt::format("{:.3f} s", c.seconds));
        return row;
    }
    std::vector<std::string> row = {stem_of(pr.file),
                                    "yes",
                                    c.path_method,
                                    std::to_string(c.s),
                                    std::to_string(c.quantization),
                                    fmt::format("{} ({} identity)", c.sweep, c.sweep_identity),
                                    std::to_string(c.all_max),
                                    fmt::format("{} (reconstruction {})", c.contextual_mapping, c.formula),
                                    std::to_string(c.value_mapping),
                                    construction_checks(c) + fmt::format("; smallest code gap {}", c.min_gap)};
    if (ro.times) row.push_back(fmt::format("{:.3f} s", c.seconds));
    return row;
}

const std::vector<std::string> construction_headers = {
    "pattern", "applies", "path found by", "s", "quantization", "selective shift", "all-max shift",
    "contextual mapping (reconstructed count: p(n-1)delta^-d + s)", "value mapping", "checks (exact rationals)"};

std::optional<ConstructionSummary> first_construction(const Report& r) {
    for (const auto& p : r.patterns)
        if (p.construction) return p.construction;
    return std::nullopt;
}

std::string construction_heading(const Report& r) {
    return fmt::format("The construction at n = {}, d = 1, delta = 1/2", r.options.construct_n);
}

const char* const numeric_note =
    "The numeric (softmax, MPFR) results of the real network are not part of this report: sparsecert approximate "
    "computes them for one configuration (docs/approximate.md). See docs/report.md, \"Construction and numeric results\".";

std::string construction_intro(const Report& r) {
    return fmt::format(
        "`sparsecert construct` at a tiny size: the constructive network of docs/theory.md section 4 (quantization, "
        "selective-shift sweep along a Hamiltonian path, s all-max-shift layers, value mapping) built in exact "
        "rationals for the target \"mean\" and checked on every one of the 2^{} grid inputs. Layer counts are the "
        "ones built; \"reconstruction\" is p(n-1)delta^-d + s, our reconstruction of the paper's count, not quoted from it. Patterns where Assumption 1 fails at n = {} are not applicable.",
        r.options.construct_n, r.options.construct_n);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> report_figures(const Report& r) {
    std::vector<std::pair<std::string, std::string>> out;
    std::vector<double> ticks;
    for (auto n : all_sizes(r)) ticks.push_back(double(n));

    plot::LogLogChart conn;
    conn.id = "connections";
    conn.title = "Connections against n (all patterns of a file together)";
    conn.x_label = "n (tokens)";
    conn.y_label = "connections";
    conn.x_ticks = ticks;
    conn.reference_slopes = {1, 1.5, 2};
    plot::LogLogChart depth;
    depth.id = "mixing-depth";
    depth.title = "Mixing depth s against n (Assumption 1.3)";
    depth.x_label = "n (tokens)";
    depth.y_label = "s";
    depth.x_ticks = ticks;
    depth.reference_slopes = {1};
    for (const auto& p : r.patterns) {
        plot::Series c{stem_of(p.file), {}, ""}, s{stem_of(p.file), {}, ""};
        bool never = false, unknown = false;
        for (const auto& cell : p.cells) {
            if (!cell.connections.empty() && cell.total_connections() > 0)
                c.points.emplace_back(double(cell.n), double(cell.total_connections()));
            if (cell.result) {
                const auto& re = cell.result->reachability;
                if (re.s) s.points.emplace_back(double(cell.n), double(*re.s));
                else if (re.holds == false) never = true;
                else unknown = true;
            }
        }
        if (s.points.empty()) s.note = never ? "no finite s" : (unknown ? "s undetermined" : "not verified");
        else if (never) s.note = "no finite s at some sizes";
        if (c.points.empty()) c.note = "not built";
        conn.series.push_back(std::move(c));
        depth.series.push_back(std::move(s));
    }
    out.emplace_back("figures/connections.svg", plot::loglog_chart(conn));
    out.emplace_back("figures/mixing-depth.svg", plot::loglog_chart(depth));
    for (const auto& p : r.patterns)
        if (p.heatmap)
            out.emplace_back("figures/masks-" + figure_stem(p.file) + ".svg",
                             plot::mask_heatmap(*p.heatmap, fmt::format("{} (n = {})", stem_of(p.file), p.heatmap->n)));
    return out;
}

std::string render_markdown(const Report& r, const RenderOptions& ro) {
    std::string out = "# sparsecert report\n\n";
    out += fmt::format("Which sparse-attention patterns satisfy which universal-approximation theorem, by size. Generated by "
                       "`sparsecert report` (sparsecert {}); docs/report.md explains every column and decision.\n\n",
                       version);
    out += settings_line(r) + "\n\n";
    if (ro.times) out += fmt::format("Total run time: {:.1f} s (times depend on the machine).\n\n", r.seconds);

    // At a glance.
    const auto sizes = all_sizes(r);
    out += "## At a glance\n\nThe verdict (and s) of every pattern at every size.\n\n| pattern |";
    for (auto n : sizes) out += fmt::format(" {} |", n);
    out += "\n|---|";
    for (std::size_t i = 0; i < sizes.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& p : r.patterns) {
        out += "| " + md_escape(stem_of(p.file)) + " |";
        for (auto n : sizes) {
            std::string text;
            for (const auto& c : p.cells)
                if (c.n == n) text = glance_text(c);
            out += " " + md_escape(text) + " |";
        }
        out += "\n";
    }

    // The main table.
    const auto cols = columns(r, ro);
    out += "\n## Patterns by size\n\n|";
    for (const auto& c : cols) out += " " + md_escape(c.header) + " |";
    out += "\n|";
    for (std::size_t i = 0; i < cols.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& p : r.patterns)
        for (const auto& c : p.cells) {
            out += "|";
            for (const auto& cell : row_cells(r, p, c, ro)) out += " " + md_escape(cell) + " |";
            out += "\n";
        }

    // Failures.
    out += "\n## Failures and undetermined theorems\n\nEvery theorem that does not apply in a cell: the hypothesis "
           "that fails, its reason, and a summary of its certificate (`verify-pattern --certificate` writes the "
           "certificate itself, `check-certificate` re-checks it).\n";
    for (const auto& p : r.patterns) {
        std::string lines;
        for (const auto& [text, sizes] : grouped_failures(p)) lines += fmt::format("- {}: {}\n", sizes, md_escape(text));
        if (!lines.empty()) out += "\n### " + md_escape(stem_of(p.file)) + "\n\n" + lines;
    }

    // Pictures.
    out += "\n## Pictures\n\n![Connections against n](figures/connections.svg)\n\n"
           "![Mixing depth s against n](figures/mixing-depth.svg)\n";
    if (r.options.heatmap_n > 0) {
        out += fmt::format("\n### Attention masks\n\nRow k is the query token, column j the key token; a dark cell "
                           "means j is in A_k^l. A red outline marks a missing diagonal (k not in A_k^l). n = {} unless "
                           "the file fixes n.\n",
                           r.options.heatmap_n);
        for (const auto& p : r.patterns) {
            if (p.heatmap)
                out += fmt::format("\n![{0} masks](figures/masks-{1}.svg)\n", md_escape(stem_of(p.file)),
                                   figure_stem(p.file));
            else
                out += fmt::format("\n{}: no heatmap ({})\n", md_escape(stem_of(p.file)), md_escape(p.heatmap_note));
        }
    }

    // The construction.
    if (first_construction(r)) {
        out += "\n## " + construction_heading(r) + "\n\n" + construction_intro(r) + "\n\n|";
        auto headers = construction_headers;
        if (ro.times) headers.push_back("time");
        for (const auto& h : headers) out += " " + md_escape(h) + " |";
        out += "\n|";
        for (std::size_t i = 0; i < headers.size(); ++i) out += "---|";
        out += "\n";
        for (const auto& p : r.patterns) {
            if (!p.construction) continue;
            out += "|";
            for (const auto& cell : construction_row(p, ro)) out += " " + md_escape(cell) + " |";
            out += "\n";
        }
    }
    out += "\n" + std::string(numeric_note) + "\n";

    // Theorems and patterns.
    out += "\n## Theorems\n\n";
    for (const auto& t : r.theorems) {
        std::string hyps;
        for (const auto& h : t.hypotheses) hyps += (hyps.empty() ? "" : ", ") + h.check;
        out += fmt::format("- **{}** ({}; hypotheses: {}): {} {}\n", t.id, t.kind, hyps, md_escape(t.statement),
                           md_escape(t.citation));
    }
    out += "\n## Patterns\n\n";
    for (const auto& p : r.patterns)
        out += fmt::format("- **{}** (`{}`{}): {}\n", md_escape(p.name), md_escape(p.file),
                           p.fixed_n ? fmt::format(", fixes n = {}", *p.fixed_n) : "", md_escape(p.description));
    return out;
}

namespace {

std::string verdict_class(const ReportCell& c) {
    if (c.status == CellStatus::skipped) return "skip";
    if (c.status == CellStatus::not_instantiable) return "na";
    if (c.result->verdict == "universal") return "univ";
    if (c.result->verdict == "not-universal") return "notuniv";
    return "open";
}

std::string cell_class(const std::string& text) {
    if (text == "yes" || text == "applies" || text == "universal") return " class=\"good\"";
    if (text.starts_with("NO") || text == "fails" || text == "not-universal" || text == "never") return " class=\"bad\"";
    if (text == "?" || text == "open") return " class=\"unknown\"";
    return "";
}

const char* const css = R"(body{font-family:sans-serif;margin:24px;color:#222;max-width:1800px}
h1{margin-bottom:4px}h2{margin-top:36px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.good{background:#e3f4e1}.bad{background:#fbe0df}.unknown{background:#fff3cd}
.univ{background:#b9e4b3}.notuniv{background:#f4b6b3}.open{background:#ffe8a1}.skip,.na{background:#e8e8e8;color:#666}
.glance td{text-align:center;min-width:90px}.glance td:first-child{text-align:left}
table.main td{white-space:nowrap}
.note{color:#555}figure{margin:16px 0}figcaption{color:#555;font-size:13px}
.masks{display:flex;flex-wrap:wrap;gap:12px}
code{background:#f4f4f4;padding:0 3px}li{margin:2px 0}
)";

}  // namespace

std::string render_html(const Report& r, const RenderOptions& ro) {
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
                      "<title>sparsecert report</title>\n<style>\n";
    out += css;
    out += "</style>\n</head>\n<body>\n<h1>sparsecert report</h1>\n";
    out += fmt::format("<p>Which sparse-attention patterns satisfy which universal-approximation theorem, by size. "
                       "Generated by <code>sparsecert report</code> (sparsecert {}); <code>docs/report.md</code> explains "
                       "every column and decision.</p>\n",
                       version);
    out += "<p class=\"note\">" + html(settings_line(r)) + "</p>\n";
    if (ro.times)
        out += fmt::format("<p class=\"note\">Total run time: {:.1f} s (times depend on the machine).</p>\n", r.seconds);
    out += "<p><a href=\"#glance\">At a glance</a> | <a href=\"#table\">Patterns by size</a> | <a href=\"#failures\">"
           "Failures</a> | <a href=\"#pictures\">Pictures</a> | <a href=\"#masks\">Masks</a> | <a href=\"#construction\">"
           "Construction</a> | <a href=\"#theorems\">Theorems</a></p>\n";

    // At a glance.
    const auto sizes = all_sizes(r);
    out += "<h2 id=\"glance\">At a glance</h2>\n<p>The verdict (and s) of every pattern at every size: green "
           "universal, red not universal, yellow open, grey not verified.</p>\n<table class=\"glance\">\n<tr><th>pattern</th>";
    for (auto n : sizes) out += fmt::format("<th>n = {}</th>", n);
    out += "</tr>\n";
    for (const auto& p : r.patterns) {
        out += "<tr><td>" + html(stem_of(p.file)) + "</td>";
        for (auto n : sizes) {
            const ReportCell* cell = nullptr;
            for (const auto& c : p.cells)
                if (c.n == n) cell = &c;
            if (!cell) {
                out += "<td></td>";
                continue;
            }
            std::string title = cell->result ? "" : cell->note;
            if (cell->result)
                for (const auto& t : cell->result->theorems)
                    title += (title.empty() ? "" : "; ") + t.id + ": " + (!t.applies ? "?" : (*t.applies ? "applies" : "fails"));
            out += fmt::format("<td class=\"{}\" title=\"{}\">{}</td>", verdict_class(*cell), html(title),
                               html(glance_text(*cell)));
        }
        out += "</tr>\n";
    }
    out += "</table>\n";

    // The main table.
    const auto cols = columns(r, ro);
    out += "<h2 id=\"table\">Patterns by size</h2>\n<table class=\"main\">\n<tr>";
    for (const auto& c : cols) out += fmt::format("<th title=\"{}\">{}</th>", html(c.tooltip), html(c.header));
    out += "</tr>\n";
    for (const auto& p : r.patterns)
        for (const auto& c : p.cells) {
            const auto cells = row_cells(r, p, c, ro);
            out += "<tr>";
            for (std::size_t i = 0; i < cells.size(); ++i) {
                if (!c.result && i == 6) {
                    out += fmt::format("<td class=\"{}\" colspan=\"{}\">{}</td>", verdict_class(c), cells.size() - 6,
                                       html(cells[i]));
                    break;
                }
                const bool numeric = i == 1 || i == 2 || i == 4 || (i == cells.size() - 1 && ro.times);
                out += fmt::format("<td{}{}>{}</td>", numeric ? " class=\"num\"" : "", cell_class(cells[i]), html(cells[i]));
            }
            out += "</tr>\n";
        }
    out += "</table>\n";

    // Failures.
    out += "<h2 id=\"failures\">Failures and undetermined theorems</h2>\n<p>Every theorem that does not apply in a cell: "
           "the hypothesis that fails, its reason, and a summary of its certificate (<code>verify-pattern "
           "--certificate</code> writes the certificate itself, <code>check-certificate</code> re-checks it).</p>\n";
    for (const auto& p : r.patterns) {
        std::string lines;
        for (const auto& [text, sizes] : grouped_failures(p)) lines += fmt::format("<li>{}: {}</li>\n", sizes, html(text));
        if (!lines.empty()) out += "<h3>" + html(stem_of(p.file)) + "</h3>\n<ul>\n" + lines + "</ul>\n";
    }

    // Pictures: the same SVG as the files in figures/, inline.
    const auto figures = report_figures(r);
    std::map<std::string, std::string> by_name(figures.begin(), figures.end());
    out += "<h2 id=\"pictures\">Pictures</h2>\n";
    out += "<figure>\n" + by_name.at("figures/connections.svg") +
           "<figcaption>Connections (all patterns of a file together) against n, log-log. Dashed: slopes 1, 1.5 and 2, "
           "the growth of O(n), O(n^1.5) and O(n^2) patterns.</figcaption>\n</figure>\n";
    out += "<figure>\n" + by_name.at("figures/mixing-depth.svg") +
           "<figcaption>The mixing depth s against n, log-log; patterns without a finite s are greyed in the legend."
           "</figcaption>\n</figure>\n";
    if (r.options.heatmap_n > 0) {
        out += fmt::format("<h3 id=\"masks\">Attention masks</h3>\n<p>Row k is the query token, column j the key token; "
                           "a dark cell means j is in A_k^l. A red outline marks a missing diagonal (k not in A_k^l). "
                           "n = {} unless the file fixes n.</p>\n<div class=\"masks\">\n",
                           r.options.heatmap_n);
        for (const auto& p : r.patterns) {
            if (p.heatmap)
                out += "<figure>\n" + by_name.at("figures/masks-" + figure_stem(p.file) + ".svg") + "</figure>\n";
            else
                out += "<p>" + html(stem_of(p.file)) + ": no heatmap (" + html(p.heatmap_note) + ")</p>\n";
        }
        out += "</div>\n";
    }

    // The construction.
    out += "<h2 id=\"construction\">" + html(first_construction(r) ? construction_heading(r) : "The construction") + "</h2>\n";
    if (first_construction(r)) {
        // The intro is Markdown: its `code` spans become <code> elements.
        std::string intro = html(construction_intro(r));
        for (bool open = true; intro.find('`') != std::string::npos; open = !open)
            intro.replace(intro.find('`'), 1, open ? "<code>" : "</code>");
        out += "<p>" + intro + "</p>\n<table>\n<tr>";
        auto headers = construction_headers;
        if (ro.times) headers.push_back("time");
        for (const auto& h : headers) out += "<th>" + html(h) + "</th>";
        out += "</tr>\n";
        for (const auto& p : r.patterns) {
            if (!p.construction) continue;
            const auto row = construction_row(p, ro);
            out += "<tr>";
            for (std::size_t i = 0; i < row.size(); ++i) {
                if (!p.construction->applies && i == 1) {
                    out += fmt::format("<td class=\"na\" colspan=\"{}\">{}</td>", construction_headers.size() - 1,
                                       html(row[i]));
                    if (ro.times) out += "<td class=\"num\">" + html(row.back()) + "</td>";
                    break;
                }
                out += fmt::format("<td{}>{}</td>", i == 1 ? " class=\"good\"" : "", html(row[i]));
            }
            out += "</tr>\n";
        }
        out += "</table>\n";
    } else {
        out += "<p>Not run (--construct-n 0).</p>\n";
    }
    out += "<p class=\"note\">" + html(numeric_note) + "</p>\n";

    // Theorems and patterns.
    out += "<h2 id=\"theorems\">Theorems</h2>\n<ul>\n";
    for (const auto& t : r.theorems) {
        std::string hyps;
        for (const auto& h : t.hypotheses) hyps += (hyps.empty() ? "" : ", ") + h.check;
        out += fmt::format("<li><b>{}</b> ({}; hypotheses: {}): {} <i>{}</i></li>\n", html(t.id), html(t.kind), html(hyps),
                           html(t.statement), html(t.citation));
    }
    out += "</ul>\n<h2 id=\"patterns\">Patterns</h2>\n<ul>\n";
    for (const auto& p : r.patterns)
        out += fmt::format("<li><b>{}</b> (<code>{}</code>{}): {}</li>\n", html(p.name), html(p.file),
                           p.fixed_n ? fmt::format(", fixes n = {}", *p.fixed_n) : "", html(p.description));
    out += "</ul>\n</body>\n</html>\n";
    return out;
}

json to_json(const Report& r, const RenderOptions& ro) {
    auto optional_bool = [](const std::optional<bool>& v) { return v ? json(*v) : json(nullptr); };
    json theorems = json::array();
    for (const auto& t : r.theorems) {
        json hyps = json::array();
        for (const auto& h : t.hypotheses) hyps.push_back(h.check);
        theorems.push_back({{"id", t.id}, {"kind", t.kind}, {"citation", t.citation}, {"statement", t.statement},
                            {"hypotheses", hyps}});
    }
    json patterns = json::array();
    json cell_times = json::array();
    json construction_times = json::array();
    for (const auto& p : r.patterns) {
        json cells = json::array();
        for (const auto& c : p.cells) {
            json j = {{"n", c.n}, {"status", status_name(c.status)}};
            if (!c.note.empty()) j["note"] = c.note;
            j["p"] = c.p ? json(c.p) : json(nullptr);
            if (!c.connections.empty()) {
                j["connections"] = c.connections;
                j["connections_total"] = c.total_connections();
                j["per_token"] = std::round(double(c.total_connections()) / double(c.n) / double(c.p) * 1e4) / 1e4;
            }
            if (c.predicted_connections) j["predicted_connections"] = std::round(*c.predicted_connections);
            if (c.result) {
                const auto& v = *c.result;
                json reach = {{"holds", optional_bool(v.reachability.holds)},
                              {"s", v.reachability.s ? json(*v.reachability.s) : json(nullptr)},
                              {"method", v.reachability.method}};
                if (v.reachability.s_lower && !v.reachability.s) reach["s_lower"] = *v.reachability.s_lower;
                if (v.reachability.s_upper && !v.reachability.s) reach["s_upper"] = *v.reachability.s_upper;
                j["conditions"] = {
                    {"self_attention", {{"holds", v.self_attention.holds}, {"missing_count", v.self_attention.missing_count}}},
                    {"hamiltonian_path", {{"holds", optional_bool(v.hamiltonian_path.holds)}, {"method", v.hamiltonian_path.method}}},
                    {"reachability", reach},
                    {"star", {{"holds", v.star.holds}, {"hub", v.star.hub ? json(*v.star.hub) : json(nullptr)}}},
                    {"influence", {{"holds", optional_bool(v.influence.holds)}}}};
                json ts = json::array();
                for (const auto& t : v.theorems)
                    ts.push_back({{"id", t.id}, {"kind", t.kind}, {"applies", optional_bool(t.applies)}, {"reason", t.reason}});
                j["theorems"] = ts;
                j["verdict"] = v.verdict;
                j["depth"] = c.depth.empty() ? json(nullptr) : json(c.depth);
                json fs = json::array();
                for (const auto& f : c.failures)
                    fs.push_back({{"theorem", f.theorem}, {"kind", f.kind}, {"undetermined", f.undetermined},
                                  {"check", f.check}, {"reason", f.reason}, {"certificate", f.certificate}});
                j["failures"] = fs;
                cell_times.push_back({{"file", p.file}, {"n", c.n}, {"seconds", c.seconds}});
            }
            cells.push_back(j);
        }
        json pj = {{"file", p.file},
                   {"name", p.name},
                   {"description", p.description},
                   {"fixed_n", p.fixed_n ? json(*p.fixed_n) : json(nullptr)},
                   {"growth_exponent", p.growth_exponent ? json(std::round(*p.growth_exponent * 1e4) / 1e4) : json(nullptr)},
                   {"cells", cells},
                   {"heatmap", p.heatmap ? json("figures/masks-" + figure_stem(p.file) + ".svg") : json(nullptr)}};
        if (!p.heatmap && !p.heatmap_note.empty()) pj["heatmap_note"] = p.heatmap_note;
        if (p.construction) {
            const auto& c = *p.construction;
            json cj = {{"n", c.n}, {"d", c.d}, {"delta", delta_text(c.m)}, {"target", c.target}, {"applies", c.applies}};
            if (!c.applies) {
                cj["reason"] = c.reason;
            } else {
                cj["path_method"] = c.path_method;
                cj["s"] = c.s;
                cj["layers"] = {{"quantization", c.quantization},
                                {"selective_shift", c.sweep},
                                {"selective_shift_identity", c.sweep_identity},
                                {"all_max_shift", c.all_max},
                                {"contextual_mapping", c.contextual_mapping},
                                {"formula", c.formula},
                                {"value_mapping", c.value_mapping},
                                {"total", c.total}};
                cj["grid_inputs"] = c.grid_inputs;
                cj["inputs_checked"] = c.inputs_checked;
                cj["exhaustive"] = c.exhaustive;
                cj["checks"] = {{"quantization", c.quantization_holds},
                                {"selective_shift", c.selective_shift_holds},
                                {"contextual_mapping", c.contextual_mapping_holds},
                                {"matches_target", c.matches_target_holds}};
                cj["min_gap"] = c.min_gap;
                cj["holds"] = c.holds();
            }
            pj["construction"] = cj;
            construction_times.push_back({{"file", p.file}, {"seconds", c.seconds}});
        }
        patterns.push_back(pj);
    }
    json settings = {{"source", r.options.source},
                     {"sizes", r.options.sizes},
                     {"d", r.options.d},
                     {"delta", delta_text(r.options.m)},
                     {"max_connections", r.options.max_connections},
                     {"probe_size", r.options.probe_size},
                     {"heatmap_n", r.options.heatmap_n},
                     {"construction", {{"n", r.options.construct_n}, {"d", 1}, {"delta", "1/2"}, {"target", "mean"}}},
                     {"timeout_seconds", r.options.timeout_seconds}};
    json doc = {{"format", "sparsecert-report/1"}, {"sparsecert_version", version}, {"settings", settings}, {"theorems", theorems}, {"patterns", patterns}};
    // Times only on request, under their own key, so `del(.times)` gives the reproducible document.
    if (ro.times)
        doc["times"] = {{"total_seconds", r.seconds}, {"verify", cell_times}, {"construction", construction_times}};
    return doc;
}

void write_report(const Report& r, const std::filesystem::path& dir, const RenderOptions& ro) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir / "figures", ec);
    if (!fs::is_directory(dir / "figures")) throw std::runtime_error((dir / "figures").string() + ": cannot create the directory");
    auto write = [](const fs::path& file, const std::string& text) {
        std::ofstream out(file, std::ios::binary);
        out << text;
        out.close();
        if (!out) throw std::runtime_error(file.string() + ": cannot write the file");
    };
    // Figures of an earlier run (a pattern since removed) would linger: the directory is the report's.
    for (const auto& entry : fs::directory_iterator(dir / "figures", ec))
        if (entry.is_regular_file() && entry.path().extension() == ".svg") fs::remove(entry.path(), ec);
    for (const auto& [name, text] : report_figures(r)) write(dir / name, text);
    write(dir / "report.md", render_markdown(r, ro));
    write(dir / "report.html", render_html(r, ro));
    write(dir / "report.json", to_json(r, ro).dump(2) + "\n");
}

}  // namespace sparsecert
