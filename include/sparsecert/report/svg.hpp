// A minimal SVG writer for the report's pictures (docs/report.md, "Pictures").
//
// The pictures must be self-contained (no fonts, scripts or images fetched from anywhere) and
// deterministic: the same calls give the same bytes on every run, so coordinates are written with
// a fixed number of decimals and elements in call order. Every attribute value and text is escaped,
// so the output is well-formed XML whatever the pattern names contain.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sparsecert::svg {

// Escapes &, <, >, " and ' for XML text and attribute values.
std::string escape(std::string_view text);

// A coordinate or length with two decimals, trailing zeros removed ("12", "3.5", "0.25").
std::string num(double value);

struct Point {
    double x = 0, y = 0;
};

// Attribute lists are written in the given order: name="escaped value".
using Attributes = std::vector<std::pair<std::string, std::string>>;

class Document {
public:
    // width x height user units; `title` becomes the <title> child (what screen readers and
    // browsers' tooltips show).
    Document(double width, double height, std::string_view title);

    void rect(double x, double y, double w, double h, const Attributes& attributes = {});
    void line(double x1, double y1, double x2, double y2, const Attributes& attributes = {});
    void polyline(const std::vector<Point>& points, const Attributes& attributes = {});
    void circle(double cx, double cy, double r, const Attributes& attributes = {});
    // Text anchored at (x, y); anchor is "start", "middle" or "end".
    void text(double x, double y, std::string_view content, std::string_view anchor = "start",
              const Attributes& attributes = {});
    // Text with a superscript, e.g. base "10" and exponent "3" for 10^3.
    void text_power(double x, double y, std::string_view base, std::string_view exponent,
                    std::string_view anchor = "start", const Attributes& attributes = {});
    // Raw, already well-formed markup (a <g>, a <clipPath>, ...).
    void raw(std::string_view markup);
    void open_group(const Attributes& attributes);
    void close_group();

    // The complete <svg> element (with the SVG namespace, so it is valid standalone and inline).
    std::string str() const;

private:
    double width_, height_;
    std::string title_;
    std::string body_;
    int open_groups_ = 0;
};

}  // namespace sparsecert::svg
