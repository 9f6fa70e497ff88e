#include "sparsecert/certify/theorems.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sparsecert {

namespace detail {
std::vector<std::pair<std::string_view, std::string_view>> embedded_theorem_files();
}

std::vector<std::string> known_checks() {
    return {"self_attention", "hamiltonian_path", "reachability", "input_tokens_only",
            "one_graph",      "star",             "star_in_sequence", "influence"};
}

std::string PRange::text() const { return (min_inclusive ? "[" : "(") + std::to_string(min) + ", inf)"; }

std::string PRange::human() const {
    return std::to_string(min) + (min_inclusive ? " <= p < inf" : " < p < inf");
}

std::optional<PRange> parse_p_range(std::string_view text) {
    if (text.size() < 8 || (text.front() != '[' && text.front() != '(')) return std::nullopt;
    constexpr std::string_view tail = ", inf)";
    if (!text.ends_with(tail)) return std::nullopt;
    const std::string_view number = text.substr(1, text.size() - 1 - tail.size());
    PRange r;
    r.min_inclusive = text.front() == '[';
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), r.min);
    if (ec != std::errc() || end != number.data() + number.size() || r.min < 1 || number.front() == '0')
        return std::nullopt;
    return r;
}

Theorem parse_theorem(std::string_view text, std::string_view file) {
    const auto checks = known_checks();
    const std::string where = "theorems/" + std::string(file);
    try {
        auto doc = nlohmann::json::parse(text);
        Theorem t;
        t.id = doc.at("id").get<std::string>();
        t.citation = doc.at("citation").get<std::string>();
        t.statement = doc.at("statement").get<std::string>();
        t.kind = doc.at("kind").get<std::string>();
        if (t.kind != "sufficient" && t.kind != "necessary" && t.kind != "conjecture")
            throw std::logic_error("kind must be \"sufficient\", \"necessary\" or \"conjecture\"");
        const auto range = parse_p_range(doc.at("p_range").get<std::string>());
        if (!range) throw std::logic_error("p_range must be \"[a, inf)\" or \"(a, inf)\" with an integer a >= 1");
        t.p_range = *range;
        for (const auto& h : doc.at("hypotheses")) {
            Hypothesis hyp{h.at("check").get<std::string>(), h.at("text").get<std::string>()};
            if (std::find(checks.begin(), checks.end(), hyp.check) == checks.end())
                throw std::logic_error("unknown check \"" + hyp.check + "\"");
            t.hypotheses.push_back(std::move(hyp));
        }
        if (t.hypotheses.empty()) throw std::logic_error("a theorem needs hypotheses");
        if (std::string(file) != t.id + ".json") throw std::logic_error("file name must be <id>.json");
        return t;
    } catch (const std::exception& e) {
        throw std::logic_error(where + ": " + e.what());
    }
}

std::vector<Theorem> theorem_registry() {
    std::vector<Theorem> out;
    for (const auto& [file, text] : detail::embedded_theorem_files()) out.push_back(parse_theorem(text, file));
    std::sort(out.begin(), out.end(), [](const Theorem& a, const Theorem& b) { return a.id < b.id; });
    return out;
}

TheoremOutcome evaluate(const Theorem& theorem, const Facts& facts) {
    TheoremOutcome o{theorem.id, theorem.kind, true, "", theorem.p_range};
    std::string undetermined;
    for (const auto& h : theorem.hypotheses) {
        auto it = facts.find(h.check);
        const std::optional<bool> v = it == facts.end() ? std::nullopt : it->second.holds;
        const std::string why = it == facts.end() ? "not evaluated" : it->second.reason;
        if (v == false) {
            o.applies = false;
            o.reason = h.check + " fails: " + why;
            return o;
        }
        if (!v && undetermined.empty()) undetermined = h.check + " undetermined: " + why;
    }
    if (!undetermined.empty()) {
        o.applies = std::nullopt;
        o.reason = undetermined;
        return o;
    }
    std::string names;
    for (const auto& h : theorem.hypotheses) names += (names.empty() ? "" : ", ") + h.check;
    o.reason = "all hypotheses hold (" + names + ")";
    return o;
}

namespace {

bool decides(const TheoremOutcome& o, const std::string& v) {
    return (v == "universal" && o.kind == "sufficient" && o.applies == true) ||
           (v == "not-universal" && o.kind == "necessary" && o.applies == false);
}

}  // namespace

std::string verdict(const std::vector<TheoremOutcome>& outcomes) {
    for (const std::string v : {"universal", "not-universal"})
        for (const auto& o : outcomes)
            if (decides(o, v)) return v;
    return "open";
}

std::optional<PRange> verdict_p_range(const std::vector<TheoremOutcome>& outcomes) {
    const std::string v = verdict(outcomes);
    std::optional<PRange> out;
    for (const auto& o : outcomes) {
        if (!decides(o, v)) continue;
        const PRange& r = o.p_range;
        if (!out || r.min < out->min || (r.min == out->min && r.min_inclusive)) out = r;
    }
    return out;
}

}  // namespace sparsecert
