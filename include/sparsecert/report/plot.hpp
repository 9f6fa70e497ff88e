// The report's pictures as SVG (docs/report.md, "Pictures"): mask heatmaps of a pattern's layers
// and log-log line charts. Pure functions of their inputs: same data, same bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert::plot {

// A categorical colour for series i (a fixed 20-colour palette, cycled).
std::string palette_color(std::size_t i);

struct Series {
    std::string name;
    std::vector<std::pair<double, double>> points;  // (x, y), both > 0, x increasing
    std::string note;                               // shown after the name in the legend, e.g. "no finite s"
};

struct LogLogChart {
    std::string id;                         // unique among the SVGs of one HTML page (clip path id)
    std::string title, x_label, y_label;
    std::vector<double> x_ticks;            // labelled x positions (the report's sizes)
    std::vector<Series> series;             // colour i for series i
    // Dashed reference lines y ~ x^e through the lower-left corner, to read growth exponents off
    // the chart (O(n), O(n^1.5), O(n^2) have slopes 1, 1.5, 2 on log-log axes).
    std::vector<double> reference_slopes;
};

std::string loglog_chart(const LogLogChart& chart);

// One panel per layer: row k (top to bottom) is the query token, column j the key token; a dark
// cell is j in A_k^l. A diagonal cell that is missing (k not in A_k^l: condition 1 of Assumption 1
// fails, docs/theory.md section 2) is outlined in red.
std::string mask_heatmap(const Pattern& pattern, std::string_view title);

}  // namespace sparsecert::plot
