#include "sparsecert/report/svg.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace sparsecert::svg {

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default:
                // Control characters other than tab and newline are not allowed in XML 1.0.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += ' ';
                else out += c;
        }
    }
    return out;
}

std::string num(double value) {
    if (!std::isfinite(value)) throw std::invalid_argument("svg::num: not a finite number");
    std::string s = fmt::format("{:.2f}", value);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    if (s == "-0") s = "0";
    return s;
}

namespace {

std::string attrs(const Attributes& attributes) {
    std::string out;
    for (const auto& [name, value] : attributes) out += fmt::format(" {}=\"{}\"", name, escape(value));
    return out;
}

}  // namespace

Document::Document(double width, double height, std::string_view title)
    : width_(width), height_(height), title_(title) {}

void Document::rect(double x, double y, double w, double h, const Attributes& a) {
    body_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}/>\n", num(x), num(y), num(w), num(h),
                         attrs(a));
}

void Document::line(double x1, double y1, double x2, double y2, const Attributes& a) {
    body_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{}/>\n", num(x1), num(y1), num(x2), num(y2),
                         attrs(a));
}

void Document::polyline(const std::vector<Point>& points, const Attributes& a) {
    std::string pts;
    for (const auto& p : points) pts += (pts.empty() ? "" : " ") + num(p.x) + "," + num(p.y);
    body_ += fmt::format("<polyline points=\"{}\" fill=\"none\"{}/>\n", pts, attrs(a));
}

void Document::circle(double cx, double cy, double r, const Attributes& a) {
    body_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\"{}/>\n", num(cx), num(cy), num(r), attrs(a));
}

void Document::text(double x, double y, std::string_view content, std::string_view anchor, const Attributes& a) {
    body_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\"{}>{}</text>\n", num(x), num(y), escape(anchor),
                         attrs(a), escape(content));
}

void Document::text_power(double x, double y, std::string_view base, std::string_view exponent,
                          std::string_view anchor, const Attributes& a) {
    body_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\"{}>{}<tspan dy=\"-5\" font-size=\"75%\">{}</tspan>"
                         "</text>\n",
                         num(x), num(y), escape(anchor), attrs(a), escape(base), escape(exponent));
}

void Document::raw(std::string_view markup) {
    body_ += markup;
    if (!markup.empty() && markup.back() != '\n') body_ += '\n';
}

void Document::open_group(const Attributes& a) {
    body_ += "<g" + attrs(a) + ">\n";
    ++open_groups_;
}

void Document::close_group() {
    if (open_groups_ == 0) throw std::logic_error("svg::Document: close_group without open_group");
    body_ += "</g>\n";
    --open_groups_;
}

std::string Document::str() const {
    if (open_groups_ != 0) throw std::logic_error("svg::Document: a group is still open");
    return fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
                       "font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\n<title>{2}</title>\n{3}</svg>\n",
                       num(width_), num(height_), escape(title_), body_);
}

}  // namespace sparsecert::svg
