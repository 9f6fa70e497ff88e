#include "sparsecert/report/plot.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sparsecert/report/svg.hpp"

namespace sparsecert::plot {

std::string palette_color(std::size_t i) {
    // Tableau 20, dark shades first so the first ten series stay distinguishable on white.
    static const char* const colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                         "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
                                         "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"};
    return colors[i % (sizeof colors / sizeof colors[0])];
}

namespace {

// "64", "1024", "65536"; large values as 2^k when exact powers of two keep the axis readable.
std::string tick_label(double x) {
    const double r = std::round(x);
    if (std::abs(x - r) < 1e-9 && r < 1e7) return fmt::format("{}", static_cast<long long>(r));
    return fmt::format("{:.3g}", x);
}

}  // namespace

std::string loglog_chart(const LogLogChart& c) {
    const double plot_left = 70, plot_top = 40, plot_w = 520, plot_h = 340;
    const double legend_left = plot_left + plot_w + 30, legend_row = 18;
    const std::size_t legend_rows = c.series.size() + c.reference_slopes.size();
    const double height = std::max(plot_top + plot_h + 60, plot_top + legend_row * double(legend_rows) + 20);
    const double width = legend_left + 250;
    svg::Document doc(width, height, c.title);
    doc.rect(0, 0, width, height, {{"fill", "#ffffff"}});
    doc.text(plot_left, 22, c.title, "start", {{"font-size", "15"}, {"font-weight", "bold"}});

    // Data ranges in log10; x from the ticks and the points, y widened to whole decades.
    double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
    for (double t : c.x_ticks) x_lo = std::min(x_lo, std::log10(t)), x_hi = std::max(x_hi, std::log10(t));
    for (const auto& s : c.series)
        for (const auto& [x, y] : s.points) {
            x_lo = std::min(x_lo, std::log10(x)), x_hi = std::max(x_hi, std::log10(x));
            y_lo = std::min(y_lo, std::log10(y)), y_hi = std::max(y_hi, std::log10(y));
        }
    if (!std::isfinite(x_lo)) x_lo = 0, x_hi = 1;
    if (x_hi - x_lo < 1e-9) x_lo -= 0.5, x_hi += 0.5;
    if (!std::isfinite(y_lo)) y_lo = 0, y_hi = 1;
    y_lo = std::floor(y_lo + 1e-9);
    y_hi = std::max(std::ceil(y_hi - 1e-9), y_lo + 1);
    const double pad = (x_hi - x_lo) * 0.04;
    x_lo -= pad, x_hi += pad;
    auto px = [&](double x) { return plot_left + (std::log10(x) - x_lo) / (x_hi - x_lo) * plot_w; };
    // A small inset keeps markers on the lowest and highest decade inside the clipped area.
    const double inset = 8;
    auto py = [&](double y) {
        return plot_top + plot_h - inset - (std::log10(y) - y_lo) / (y_hi - y_lo) * (plot_h - 2 * inset);
    };

    // Grid, ticks and axis labels.
    const std::string grid = "#e5e5e5";
    for (int e = int(y_lo); e <= int(y_hi); ++e) {
        const double y = py(std::pow(10.0, e));
        doc.line(plot_left, y, plot_left + plot_w, y, {{"stroke", grid}});
        doc.text_power(plot_left - 8, y + 4, "10", std::to_string(e), "end");
    }
    for (double t : c.x_ticks) {
        const double x = px(t);
        doc.line(x, plot_top, x, plot_top + plot_h, {{"stroke", grid}});
        doc.text(x, plot_top + plot_h + 18, tick_label(t), "middle");
    }
    doc.rect(plot_left, plot_top, plot_w, plot_h, {{"fill", "none"}, {"stroke", "#444444"}});
    doc.text(plot_left + plot_w / 2, plot_top + plot_h + 40, c.x_label, "middle");
    doc.text(18, plot_top + plot_h / 2, c.y_label, "middle",
             {{"transform", fmt::format("rotate(-90 18 {})", svg::num(plot_top + plot_h / 2))}});

    // Reference slopes through the lower-left corner, clipped to the plot area.
    const std::string clip = svg::escape(c.id.empty() ? "chart" : c.id) + "-area";
    doc.raw(fmt::format("<clipPath id=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>", clip,
                        svg::num(plot_left), svg::num(plot_top), svg::num(plot_w), svg::num(plot_h)));
    static const char* const dashes[] = {"6 4", "2 3", "10 3 2 3"};
    doc.open_group({{"clip-path", "url(#" + clip + ")"}});
    for (std::size_t i = 0; i < c.reference_slopes.size(); ++i) {
        const double e = c.reference_slopes[i];
        // In plot coordinates the line rises e decades of y per decade of x.
        const double x0 = plot_left, y0 = plot_top + plot_h - inset;
        const double x1 = plot_left + plot_w;
        const double y1 = y0 - e * (x_hi - x_lo) / (y_hi - y_lo) * (plot_h - 2 * inset);
        doc.line(x0, y0, x1, y1, {{"stroke", "#999999"}, {"stroke-dasharray", dashes[i % 3]}});
    }
    for (std::size_t i = 0; i < c.series.size(); ++i) {
        const auto& s = c.series[i];
        const std::string color = palette_color(i);
        std::vector<svg::Point> pts;
        for (const auto& [x, y] : s.points) pts.push_back({px(x), py(y)});
        if (pts.size() > 1) doc.polyline(pts, {{"stroke", color}, {"stroke-width", "2"}});
        for (const auto& p : pts) doc.circle(p.x, p.y, 3.5, {{"fill", color}});
    }
    doc.close_group();

    // Legend: the series, then the reference slopes.
    double y = plot_top + 4;
    for (std::size_t i = 0; i < c.series.size(); ++i, y += legend_row) {
        const std::string color = palette_color(i);
        doc.line(legend_left, y, legend_left + 22, y, {{"stroke", color}, {"stroke-width", "2"}});
        doc.circle(legend_left + 11, y, 3.5, {{"fill", color}});
        const auto& s = c.series[i];
        doc.text(legend_left + 30, y + 4, s.note.empty() ? s.name : s.name + " (" + s.note + ")", "start",
                 s.points.empty() ? svg::Attributes{{"fill", "#888888"}} : svg::Attributes{});
    }
    for (std::size_t i = 0; i < c.reference_slopes.size(); ++i, y += legend_row) {
        doc.line(legend_left, y, legend_left + 22, y, {{"stroke", "#999999"}, {"stroke-dasharray", dashes[i % 3]}});
        const double e = c.reference_slopes[i];
        doc.text(legend_left + 30, y + 4, e == 1 ? std::string("slope 1 (O(n))") : fmt::format("slope {} (O(n^{}))",
                                                                                                 svg::num(e), svg::num(e)),
                 "start", {{"fill", "#666666"}});
    }
    return doc.str();
}

std::string mask_heatmap(const Pattern& pattern, std::string_view title) {
    const double margin = 36, gap = 40, top = 46;
    const std::size_t p = pattern.p();
    const token_t n = std::max<token_t>(pattern.n, 1);
    // Whole-pixel cells (and crispEdges) so that adjacent cells leave no anti-aliased seams.
    const double cell = std::max(1.0, std::floor(256.0 / double(n)));
    const double panel = cell * double(n);
    const double width = std::max(margin + double(p) * panel + double(p - 1) * gap + 16, 300.0);
    const double height = top + panel + 30;
    svg::Document doc(width, height, std::string(title));
    doc.rect(0, 0, width, height, {{"fill", "#ffffff"}});
    doc.text(margin, 16, std::string(title), "start", {{"font-size", "14"}, {"font-weight", "bold"}});
    for (std::size_t l = 0; l < p; ++l) {
        const Layer& layer = pattern.layers[l];
        const double x0 = margin + double(l) * (panel + gap), y0 = top;
        doc.text(x0, y0 - 8, fmt::format("pattern {} ({} connections)", l, layer.connections()), "start");
        doc.rect(x0, y0, panel, panel, {{"fill", "#f2f2f2"}});
        // One rectangle per run of consecutive attended tokens in a row keeps the file small.
        std::string runs;
        for (token_t k = 0; k < n; ++k) {
            const auto row = layer.attended(k);
            for (std::size_t i = 0; i < row.size();) {
                std::size_t e = i + 1;
                while (e < row.size() && row[e] == row[e - 1] + 1) ++e;
                runs += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>", svg::num(x0 + row[i] * cell),
                                    svg::num(y0 + k * cell), svg::num(double(e - i) * cell), svg::num(cell));
                i = e;
            }
        }
        doc.raw("<g fill=\"#1f4e79\" shape-rendering=\"crispEdges\">" + runs + "</g>");
        std::string missing;
        for (token_t k = 0; k < n; ++k)
            if (!layer.attends(k, k))
                missing += fmt::format("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{2}\"/>",
                                       svg::num(x0 + k * cell + 0.5), svg::num(y0 + k * cell + 0.5),
                                       svg::num(std::max(cell - 1, 0.5)));
        if (!missing.empty())
            doc.raw("<g fill=\"none\" stroke=\"#d62728\" stroke-width=\"1\">" + missing + "</g>");
        doc.rect(x0, y0, panel, panel, {{"fill", "none"}, {"stroke", "#444444"}});
        doc.text(x0 + panel / 2, y0 + panel + 16, "key token j (0 to " + std::to_string(n - 1) + ")", "middle",
                 {{"font-size", "11"}});
        if (l == 0)
            doc.text(x0 - 8, y0 + panel / 2, "query token k", "middle",
                     {{"font-size", "11"},
                      {"transform", fmt::format("rotate(-90 {} {})", svg::num(x0 - 8), svg::num(y0 + panel / 2))}});
    }
    return doc.str();
}

}  // namespace sparsecert::plot
