// The registry of theorems (theorems/*.json, embedded at build time): each theorem's citation,
// statement, hypotheses (each mapped to a named check), kind (sufficient or necessary for universal
// approximation, or a conjecture that is shown but never decides) and the range of p of the d_p
// distance it speaks about. Adding a theorem is one file in theorems/ and, if it needs a new check,
// one entry in the table of checks in src/certify/theorems.cpp.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sparsecert {

struct Hypothesis {
    std::string check;  // name of a check (known_checks())
    std::string text;
};

// The p of d_p(f, g) = (integral ||f - g||_p^p)^(1/p) for which a theorem speaks: min <= p < inf
// when min_inclusive, min < p < inf otherwise. Written "[1, inf)" or "(1, inf)" in the registry.
struct PRange {
    unsigned min = 1;
    bool min_inclusive = true;
    std::string text() const;   // "[1, inf)"
    std::string human() const;  // "1 <= p < inf"
    friend bool operator==(const PRange&, const PRange&) = default;
};

// Parses "[a, inf)" or "(a, inf)" with an integer a >= 1; nothing otherwise.
std::optional<PRange> parse_p_range(std::string_view text);

struct Theorem {
    std::string id;
    std::string citation;
    std::string statement;
    std::string kind;  // "sufficient", "necessary" or "conjecture"
    PRange p_range;
    std::vector<Hypothesis> hypotheses;
};

// One theorem entry from its JSON text (the format of theorems/*.json, documented in
// theorems/README.md). `file` is the entry's file name, which must be "<id>.json". Throws
// std::logic_error naming the file and the problem.
Theorem parse_theorem(std::string_view text, std::string_view file);

// All registered theorems, sorted by id. Throws std::logic_error if an embedded file is malformed
// or names an unknown check (a build-time mistake, caught by the tests).
std::vector<Theorem> theorem_registry();

// The names of the checks a theorem may use.
std::vector<std::string> known_checks();

// Each check's outcome on one pattern: true, false, or undetermined, with a one-line reason.
struct CheckOutcome {
    std::optional<bool> holds;
    std::string reason;
};
using Facts = std::map<std::string, CheckOutcome>;

struct TheoremOutcome {
    std::string id;
    std::string kind;
    std::optional<bool> applies;  // the conjunction of its hypotheses
    std::string reason;
    PRange p_range;
};

// Evaluates one theorem on the facts: applies is false when a hypothesis fails, null when one is
// undetermined, true when all hold.
TheoremOutcome evaluate(const Theorem& theorem, const Facts& facts);

// The three-valued verdict: "universal" when a sufficient theorem applies, "not-universal" when a
// necessary one fails, "open" otherwise. Conjectures never count.
std::string verdict(const std::vector<TheoremOutcome>& outcomes);

// The p for which the verdict is proven: the union of the ranges of the sufficient theorems that
// apply (universal) or of the necessary ones that fail (not-universal); nothing for "open".
std::optional<PRange> verdict_p_range(const std::vector<TheoremOutcome>& outcomes);

}  // namespace sparsecert
