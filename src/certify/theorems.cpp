#include "sparsecert/certify/theorems.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sparsecert {

namespace detail {
std::vector<std::pair<std::string_view, std::string_view>> embedded_theorem_files();
}

std::vector<std::string> known_checks() {
    return {"self_attention", "hamiltonian_path", "reachability", "star", "influence"};
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
        if (t.kind != "sufficient" && t.kind != "necessary")
            throw std::logic_error("kind must be \"sufficient\" or \"necessary\"");
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
    TheoremOutcome o{theorem.id, theorem.kind, true, ""};
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

std::string verdict(const std::vector<TheoremOutcome>& outcomes) {
    for (const auto& o : outcomes)
        if (o.kind == "sufficient" && o.applies == true) return "universal";
    for (const auto& o : outcomes)
        if (o.kind == "necessary" && o.applies == false) return "not-universal";
    return "open";
}

}  // namespace sparsecert
