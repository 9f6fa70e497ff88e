// build_report: the report model (report.hpp). The renderers are in report_render.cpp.
#include "sparsecert/report/report.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gmpxx.h>
#include <nlohmann/json.hpp>

#include "sparsecert/certify/certificate.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/contextual_mapping.hpp"
#include "sparsecert/support/input_error.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/construction/targets.hpp"

namespace sparsecert {

std::uint64_t ReportCell::total_connections() const {
    std::uint64_t total = 0;
    for (auto c : connections) total += c;
    return total;
}

std::optional<double> fit_growth_exponent(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& points) {
    // Ordinary least squares of y = log c on x = log n: slope = cov(x, y) / var(x).
    if (points.size() < 2) return std::nullopt;
    double mx = 0, my = 0;
    for (const auto& [n, c] : points) {
        if (n == 0 || c == 0) return std::nullopt;
        mx += std::log(double(n));
        my += std::log(double(c));
    }
    mx /= double(points.size());
    my /= double(points.size());
    double sxx = 0, sxy = 0;
    for (const auto& [n, c] : points) {
        const double dx = std::log(double(n)) - mx;
        sxx += dx * dx;
        sxy += dx * (std::log(double(c)) - my);
    }
    if (sxx <= 0) return std::nullopt;
    return sxy / sxx;
}

std::string contextual_mapping_depth(std::uint64_t p, std::uint64_t n, std::uint32_t d, std::uint32_t m,
                                     std::uint64_t s) {
    // docs/theory.md section 4 (b): at most p layers per bucket value, (n-1) delta^{-d} values, then s
    // all-max-shift layers. delta^{-d} = m^d overflows 64 bits quickly (m = 16, d = 16), hence GMP.
    mpz_class md;
    mpz_ui_pow_ui(md.get_mpz_t(), m, d);
    mpz_class depth = mpz_class(std::to_string(p)) * mpz_class(std::to_string(n == 0 ? 0 : n - 1)) * md +
                      mpz_class(std::to_string(s));
    return depth.get_str();
}

std::string short_integer(const std::string& decimal, std::size_t max_digits) {
    if (decimal.size() <= max_digits) return decimal;
    // Truncated (not rounded) so the text is a pure function of the digits: d.dd e(digits - 1).
    std::string mantissa = decimal.substr(0, 1) + "." + decimal.substr(1, 2);
    return fmt::format("{}e{}", mantissa, decimal.size() - 1);
}

std::string approximate_count(double x) {
    if (x < 1e6) return fmt::format("{:.0f}", x);
    int e = int(std::floor(std::log10(x)));
    double mantissa = x / std::pow(10.0, e);
    if (mantissa >= 9.95) mantissa /= 10, ++e;
    return fmt::format("{:.1f}e{}", mantissa, e);
}

namespace {

using nlohmann::json;

std::string base_name(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, "", "cannot open the file");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Whether a layer specification contains explicit "attend" lists, which fix n (pattern-format.md).
bool has_explicit_lists(const json& layer) {
    if (!layer.is_object()) return false;
    if (layer.contains("attend")) return true;
    if (layer.contains("union") && layer.at("union").is_array())
        for (const auto& child : layer.at("union"))
            if (has_explicit_lists(child)) return true;
    return false;
}

bool fixes_n(const json& doc) {
    if (!doc.is_object() || !doc.contains("layers") || !doc.at("layers").is_array()) return false;
    for (const auto& layer : doc.at("layers"))
        if (has_explicit_lists(layer)) return true;
    return false;
}

std::string token_set(const json& tokens) {
    std::vector<std::uint64_t> t = tokens.get<std::vector<std::uint64_t>>();
    std::string list;
    const std::size_t shown = t.size() <= 8 ? t.size() : 6;
    for (std::size_t i = 0; i < shown; ++i) list += (i ? ", " : "") + std::to_string(t[i]);
    if (shown < t.size()) list += fmt::format(", ..., {}", t.back());
    if (t.size() <= 8) return "{" + list + "}";
    return fmt::format("of {} tokens {{{}}}", t.size(), list);
}

std::string closure_summary(const json& c) {
    const std::size_t size = c.at("set").size();
    return fmt::format("closure set of {} token{} (k={}, j={})", size, size == 1 ? "" : "s", c.at("k").get<std::uint64_t>(),
                       c.at("j").get<std::uint64_t>());
}

// One check's part of the certificate (certificate.cpp, docs/trust.md) in a few words.
std::string certificate_summary(const json& cert, const std::string& check) {
    if (check == "self_attention") {
        const auto& missing = cert.at("self_attention").at("missing");
        if (missing.empty()) return "no missing pair";
        return fmt::format("{} missing (pattern, token) pair{}, first ({}, {})", missing.size(),
                           missing.size() == 1 ? "" : "s", missing[0][0].get<std::uint64_t>(),
                           missing[0][1].get<std::uint64_t>());
    }
    if (check == "hamiltonian_path") {
        const auto& h = cert.at("hamiltonian_path");
        if (!h.contains("refutation")) return "no refutation: " + h.value("reason", std::string("undetermined"));
        const auto& r = h.at("refutation");
        const std::string kind = r.at("kind").get<std::string>();
        if (kind == "component-order") {
            std::uint64_t components = 0;
            for (const auto& c : r.at("component")) components = std::max<std::uint64_t>(components, c.get<std::uint64_t>() + 1);
            return fmt::format("component order gap {} ({} strongly connected components)", r.at("gap").get<std::uint64_t>(),
                               components);
        }
        if (kind == "hall") return "hall set " + token_set(r.at("tokens"));
        if (kind == "separator") return "separator " + token_set(r.at("tokens"));
        if (kind == "sources" || kind == "sinks") return kind + " " + token_set(r.at("tokens"));
        return fmt::format("solver refutation ({}; SMT-LIB encoding re-checkable with cvc5)",
                           r.value("decided_by", std::string("solver")));
    }
    if (check == "reachability") {
        const auto& r = cert.at("reachability");
        if (r.contains("closure")) return closure_summary(r.at("closure"));
        if (r.contains("cycle")) {
            std::string s = fmt::format("the sets repeat: S^{} = S^{}", r.at("cycle").at("start").get<std::uint64_t>(),
                                        r.at("cycle").at("start").get<std::uint64_t>() +
                                            r.at("cycle").at("period").get<std::uint64_t>());
            if (r.contains("unreached"))
                s += fmt::format(", (k, j) = ({}, {}) missing", r.at("unreached")[0].get<std::uint64_t>(),
                                 r.at("unreached")[1].get<std::uint64_t>());
            return s;
        }
        if (r.contains("unreached"))
            return fmt::format("(k, j) = ({}, {}) never reached", r.at("unreached")[0].get<std::uint64_t>(),
                               r.at("unreached")[1].get<std::uint64_t>());
        return r.value("reason", std::string("undetermined"));
    }
    if (check == "star") return "no star with an extra hub";
    if (check == "star_in_sequence") return "no in-sequence hub";
    if (check == "one_graph") return "the layers use different patterns";
    if (check == "input_tokens_only") return "the pattern has extra tokens";
    if (check == "influence") {
        const auto& r = cert.at("influence");
        if (r.contains("closure")) return closure_summary(r.at("closure"));
        return r.value("reason", std::string("undetermined"));
    }
    return "";
}

// make_certificate writes the SMT-LIB encoding of the union graph for a refutation that only a
// search gave ("exhaustive-search"): about 500 bytes per edge, too much to build for a summary on
// a large pattern. Such a refutation is summarised from the result instead.
bool certificate_is_cheap(const Pattern& pattern, const VerifyResult& r) {
    const auto& ref = r.hamiltonian_path.refutation;
    if (!ref || r.hamiltonian_path.holds != false) return true;
    if (ref->kind == "exhaustive-search" || (ref->kind == "solver" && ref->encoding.empty()))
        return pattern.connections() <= 100'000;
    return true;
}

std::vector<ReportFailure> failures_of(const Pattern& pattern, const VerifyResult& r, const std::vector<Theorem>& registry,
                                       const std::string& stem) {
    std::vector<ReportFailure> out;
    const Facts facts = facts_of(r);
    std::optional<json> cert;
    for (const auto& outcome : r.theorems) {
        if (outcome.applies == true) continue;
        ReportFailure f;
        f.theorem = outcome.id;
        f.kind = outcome.kind;
        f.undetermined = !outcome.applies.has_value();
        // The hypothesis that decided, in the order evaluate() checks them (theorems.cpp).
        for (const auto& t : registry) {
            if (t.id != outcome.id) continue;
            for (const auto& h : t.hypotheses) {
                const auto it = facts.find(h.check);
                const auto holds = it == facts.end() ? std::optional<bool>{} : it->second.holds;
                if (holds == false || (f.undetermined && !holds)) {
                    f.check = h.check;
                    f.reason = it == facts.end() ? "not evaluated" : it->second.reason;
                    break;
                }
            }
        }
        if (f.check.empty()) {
            f.reason = outcome.reason;
        } else if (f.check == "hamiltonian_path" && !certificate_is_cheap(pattern, r)) {
            f.certificate = "exhaustive search without a small certificate (re-check: verify-pattern --certificate)";
        } else {
            if (!cert) cert = json::parse(make_certificate(pattern, r, stem).json);
            f.certificate = certificate_summary(*cert, f.check);
        }
        out.push_back(std::move(f));
    }
    return out;
}

std::string depth_of(const VerifyResult& r, const ReportOptions& o) {
    const auto& re = r.reachability;
    if (re.holds != true) return "";
    if (re.s) return contextual_mapping_depth(r.p, r.n, o.d, o.m, *re.s);
    if (re.s_lower && re.s_upper)
        return contextual_mapping_depth(r.p, r.n, o.d, o.m, *re.s_lower) + ".." +
               contextual_mapping_depth(r.p, r.n, o.d, o.m, *re.s_upper);
    return "";
}

// Loads one file at given sizes while keeping below the connection cap (docs/report.md, "The
// connection cap"): up to probe_size tokens a pattern is built; above, its connections are first
// predicted from the two largest smaller sizes known (c(n) = c(a) (n/a)^e with e the local slope
// between them, or e = 2 with only one), building the probe sizes n/4 and n/16 if needed, and it
// is built only when the prediction is within the cap.
class CappedLoader {
public:
    CappedLoader(std::string file, const ReportOptions& options) : file_(std::move(file)), o_(options) {}

    struct Outcome {
        std::optional<Pattern> pattern;
        std::optional<double> predicted;  // when not built
    };

    // Throws InputError when the file gives no pattern at n.
    Outcome load(std::uint64_t n) {
        Outcome out;
        if (n > o_.probe_size) {
            const double predicted = predict(n);
            if (!(predicted <= double(o_.max_connections))) {
                known_[n] = {predicted, false};
                out.predicted = predicted;
                return out;
            }
        }
        try {
            out.pattern = load_pattern_file(file_, n);
        } catch (const InputError& e) {
            if (!first_error_) first_error_ = e;
            throw;
        }
        built_any_ = true;
        known_[n] = {double(out.pattern->connections()), true};
        return out;
    }

    // Whether the file gave a pattern at some size (a report size or a probe), and the first
    // problem it gave otherwise: a file that gives none is bad input.
    bool built_any() const { return built_any_; }
    const std::optional<InputError>& first_error() const { return first_error_; }

private:
    struct Estimate {
        double connections;
        bool exact;
    };

    double predict(std::uint64_t n) {
        for (std::uint64_t probe : {n / 4, n / 16})
            if (probe >= 1 && !known_.count(probe)) {
                try {
                    load(probe);  // records the estimate; the pattern itself is dropped
                } catch (const InputError&) {
                    // Not instantiable at the probe size: predict from what is known.
                }
            }
        auto above = known_.lower_bound(n);
        std::vector<std::pair<std::uint64_t, double>> below;
        for (auto it = std::make_reverse_iterator(above); it != known_.rend() && below.size() < 2; ++it)
            below.emplace_back(it->first, it->second.connections);
        if (below.empty()) return std::numeric_limits<double>::infinity();
        const auto [a, ca] = below[0];
        double e = 2;
        if (below.size() == 2) {
            const auto [b, cb] = below[1];
            if (ca > 0 && cb > 0) e = std::log(ca / cb) / std::log(double(a) / double(b));
        }
        return std::max(ca, 1.0) * std::pow(double(n) / double(a), e);
    }

    std::string file_;
    const ReportOptions& o_;
    std::map<std::uint64_t, Estimate> known_;
    bool built_any_ = false;
    std::optional<InputError> first_error_;
};

ConstructionSummary construction_summary(const Pattern& pattern) {
    ConstructionSummary c;
    c.n = pattern.n;
    c.target = "mean";
    const auto start = std::chrono::steady_clock::now();
    try {
        ConstructionOptions options;
        options.d = c.d;
        options.m = c.m;
        const Applicability a = check_applicability(pattern, options);
        Construction built = build_contextual_mapping(pattern, a.path, a.s, options);
        const Target target = make_target(c.target, c.d, pattern.n);
        CheckOptions check;  // every grid input: 2^n <= 2^16 of them at the sizes the report uses
        ConstructReport rep = check_construction(std::move(built), pattern, target, check);
        rep.paper_s = a.paper_s;
        rep.path_method = a.path_method;
        const Construction& k = rep.construction;
        c.applies = true;
        c.path_method = a.path_method;
        c.s = a.paper_s.value_or(k.s);
        c.quantization = k.quantization.size();
        c.sweep = k.sweep.size();
        c.sweep_identity = k.identity_layers;
        c.all_max = k.all_max.size();
        c.contextual_mapping = k.sweep.size() + k.padding.size() + k.all_max.size();
        c.formula = formula_layers(rep);
        c.value_mapping = k.value_mapping.size();
        c.total = k.network.layers.size();
        c.grid_inputs = rep.contextual_mapping.grid_inputs;
        c.inputs_checked = rep.contextual_mapping.inputs_checked;
        c.exhaustive = rep.contextual_mapping.exhaustive;
        c.quantization_holds = rep.quantization.holds;
        c.selective_shift_holds = rep.selective_shift.holds;
        c.contextual_mapping_holds = rep.contextual_mapping.holds;
        c.matches_target_holds = rep.matches_target.holds;
        c.min_gap = rep.contextual_mapping.min_gap.str();
    } catch (const NotApplicable& e) {
        c.applies = false;
        c.reason = e.what();
    }
    c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return c;
}

std::string one_line(std::string s) {
    for (char& ch : s)
        if (ch == '\n' || ch == '\r') ch = ' ';
    return s;
}

}  // namespace

Report build_report(const ReportOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    Report out;
    out.options = options;
    out.options.progress = {};
    out.theorems = theorem_registry();
    const auto& o = options;

    // First every file is parsed, so a syntax error stops the run before the long part.
    std::vector<json> docs;
    for (const auto& file : o.files) docs.push_back(parse_json_text(read_file(file), file));

    std::size_t total_cells = 0;
    for (const auto& doc : docs) total_cells += fixes_n(doc) ? 1 : o.sizes.size();
    std::size_t cell_index = 0;

    for (std::size_t f = 0; f < o.files.size(); ++f) {
        const std::string& file = o.files[f];
        PatternReport pr;
        pr.file = base_name(file);
        std::string stem = pr.file;
        if (stem.size() > 5 && stem.ends_with(".json")) stem.resize(stem.size() - 5);

        std::vector<std::uint64_t> sizes = o.sizes;
        if (fixes_n(docs[f])) {
            const Pattern own = parse_pattern(docs[f], file);  // a problem here is bad input
            pr.fixed_n = own.n;
            sizes = {own.n};
        }

        CappedLoader loader(file, o);
        for (std::uint64_t n : sizes) {
            ++cell_index;
            const std::string prefix = fmt::format("[{}/{}] {} n = {}: ", cell_index, total_cells, pr.file, n);
            report(o.progress, prefix + "loading");
            ReportCell cell;
            cell.n = n;
            std::optional<Pattern> pattern;
            try {
                auto loaded = loader.load(n);
                pattern = std::move(loaded.pattern);
                cell.predicted_connections = loaded.predicted;
            } catch (const InputError& e) {
                cell.status = CellStatus::not_instantiable;
                cell.note = one_line(e.place().empty() ? e.problem() : e.place() + ": " + e.problem());
                pr.cells.push_back(std::move(cell));
                continue;
            }
            if (!pattern) {
                cell.status = CellStatus::skipped;
                if (std::isfinite(*cell.predicted_connections)) {
                    cell.note = fmt::format("skipped: about {} connections predicted, more than the cap of {}",
                                            approximate_count(*cell.predicted_connections), o.max_connections);
                } else {
                    cell.note = "skipped: no smaller size gives a pattern to predict the connections from";
                    cell.predicted_connections.reset();
                }
                pr.cells.push_back(std::move(cell));
                continue;
            }
            if (pr.name.empty()) {
                pr.name = pattern->name;
                pr.description = pattern->description;
            }
            cell.p = pattern->p();
            for (const auto& layer : pattern->layers) cell.connections.push_back(layer.connections());
            if (cell.total_connections() > o.max_connections) {
                cell.status = CellStatus::skipped;
                cell.note = fmt::format("skipped: {} connections, more than the cap of {}", cell.total_connections(),
                                        o.max_connections);
                pr.cells.push_back(std::move(cell));
                continue;
            }
            VerifyOptions vopt;
            vopt.timeout_seconds = o.timeout_seconds;
            if (o.progress)
                vopt.progress = [&](std::string_view stage, double fraction) { o.progress(prefix + std::string(stage), fraction); };
            try {
                VerifyResult r = verify(*pattern, vopt);
                report(o.progress, prefix + "certificate summaries");
                cell.failures = failures_of(*pattern, r, out.theorems, stem);
                cell.depth = depth_of(r, o);
                cell.seconds = r.seconds;
                cell.result = std::move(r);
            } catch (const std::bad_alloc&) {
                cell.status = CellStatus::skipped;
                cell.note = "skipped: not enough memory to verify this size";
            }
            pr.cells.push_back(std::move(cell));
        }
        if (!loader.built_any() && loader.first_error()) throw *loader.first_error();
        if (pr.name.empty()) {
            // Every instantiable size was over the cap: the name and description come from the file.
            pr.name = docs[f].value("name", stem);
            pr.description = docs[f].value("description", std::string());
        }

        std::vector<std::pair<std::uint64_t, std::uint64_t>> points;
        for (const auto& c : pr.cells)
            if (!c.connections.empty()) points.emplace_back(c.n, c.total_connections());
        pr.growth_exponent = fit_growth_exponent(points);

        // Pictures and the construction use small sizes: a fixed-size file only when it is small.
        auto small_pattern = [&](token_t n, std::string& note) -> std::optional<Pattern> {
            if (pr.fixed_n && *pr.fixed_n > n) {
                note = fmt::format("the file fixes n = {}, larger than {}", *pr.fixed_n, n);
                return std::nullopt;
            }
            try {
                return pr.fixed_n ? parse_pattern(docs[f], file) : load_pattern_file(file, n);
            } catch (const InputError& e) {
                note = one_line(fmt::format("no pattern at n = {}: {}", n, e.place().empty() ? e.problem()
                                                                                             : e.place() + ": " + e.problem()));
                return std::nullopt;
            }
        };
        if (o.heatmap_n > 0) {
            report(o.progress, fmt::format("{}: mask heatmap", pr.file));
            pr.heatmap = small_pattern(o.heatmap_n, pr.heatmap_note);
        }
        if (o.construct_n > 0) {
            report(o.progress, fmt::format("{}: construction at n = {}", pr.file, o.construct_n));
            std::string note;
            if (auto p = small_pattern(o.construct_n, note)) {
                pr.construction = construction_summary(*p);
            } else {
                ConstructionSummary c;
                c.n = o.construct_n;
                c.target = "mean";
                c.reason = note;
                pr.construction = c;
            }
        }
        out.patterns.push_back(std::move(pr));
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

}  // namespace sparsecert
