// The theorem registry: embedded entries, evaluation, the three-valued verdict (conjectures never
// count), the ranges of p, and that a new theorem is one JSON entry over the existing checks.
#include <catch2/catch.hpp>

#include <algorithm>

#include "sparsecert/pattern/families.hpp"
#include "sparsecert/certify/theorems.hpp"
#include "sparsecert/certify/verify.hpp"

using namespace sparsecert;

TEST_CASE("theorems: the registry holds the published theorems, the necessary condition and the conjecture", "[theorems]") {
    const auto registry = theorem_registry();
    REQUIRE(registry.size() >= 4);
    auto find = [&](const std::string& id) {
        auto it = std::find_if(registry.begin(), registry.end(), [&](const Theorem& t) { return t.id == id; });
        REQUIRE(it != registry.end());
        return *it;
    };
    CHECK(find("yun2020").kind == "sufficient");
    CHECK(find("yun2020").hypotheses.size() == 4);
    CHECK(find("yun2020").p_range.text() == "[1, inf)");
    CHECK(find("bigbird2020-star").kind == "sufficient");
    // Zaheer et al. state Theorem 1 for d_p with 1 < p < inf only.
    CHECK(find("bigbird2020-star").p_range.text() == "(1, inf)");
    CHECK(find("bigbird2020-star").p_range.human() == "1 < p < inf");
    CHECK(find("bigbird2020-star-in-sequence").kind == "conjecture");
    CHECK(find("reachability-closure").kind == "necessary");
    CHECK(std::is_sorted(registry.begin(), registry.end(),
                         [](const Theorem& a, const Theorem& b) { return a.id < b.id; }));
    for (const auto& t : registry) CHECK(!t.citation.empty());
}

TEST_CASE("theorems: evaluation is three-valued, false wins", "[theorems]") {
    const Theorem t = parse_theorem(R"j({"id": "t", "citation": "c", "statement": "s", "kind": "sufficient",
        "p_range": "[1, inf)", "hypotheses": [{"check": "self_attention", "text": "a"}, {"check": "star", "text": "b"}]})j", "t.json");
    Facts facts{{"self_attention", {true, "ok"}}, {"star", {std::nullopt, "budget"}}};
    auto o = evaluate(t, facts);
    CHECK(!o.applies.has_value());
    CHECK(o.reason == "star undetermined: budget");
    facts["self_attention"] = {false, "missing"};
    o = evaluate(t, facts);
    CHECK(o.applies == false);
    CHECK(o.reason == "self_attention fails: missing");
    facts = {{"self_attention", {true, ""}}, {"star", {true, ""}}};
    CHECK(evaluate(t, facts).applies == true);
    CHECK(verdict({evaluate(t, facts)}) == "universal");
    CHECK(verdict({{"n", "necessary", false, ""}, {"s", "sufficient", std::nullopt, ""}}) == "not-universal");
    CHECK(verdict({{"n", "necessary", true, ""}, {"s", "sufficient", false, ""}}) == "open");
    // A conjecture whose hypotheses hold decides nothing.
    CHECK(verdict({{"c", "conjecture", true, ""}, {"n", "necessary", true, ""}}) == "open");
    CHECK(!verdict_p_range({{"c", "conjecture", true, ""}}));
}

TEST_CASE("theorems: the range of p of a verdict is the union over the deciding theorems", "[theorems]") {
    const PRange closed{1, true}, open{1, false}, two{2, true};
    CHECK(verdict_p_range({{"a", "sufficient", true, "", open}})->text() == "(1, inf)");
    CHECK(verdict_p_range({{"a", "sufficient", true, "", open}, {"b", "sufficient", true, "", closed}})->text() == "[1, inf)");
    CHECK(verdict_p_range({{"a", "sufficient", true, "", two}, {"b", "sufficient", true, "", open}})->text() == "(1, inf)");
    // Only the deciding theorems count: a failing sufficient one, or a holding necessary one, does not.
    CHECK(verdict_p_range({{"a", "sufficient", true, "", open}, {"b", "sufficient", false, "", closed},
                           {"c", "necessary", true, "", closed}})->text() == "(1, inf)");
    CHECK(verdict_p_range({{"n", "necessary", false, "", two}})->text() == "[2, inf)");
    CHECK(parse_p_range("[1, inf)") == closed);
    CHECK(parse_p_range("(1, inf)") == open);
    for (const char* bad : {"[0, inf)", "[1,inf)", "(1, 2)", "1 < p", "[01, inf)", "[-1, inf)", "[1, inf]", ""})
        CHECK(!parse_p_range(bad));
}

TEST_CASE("theorems: a new theorem is one entry over the existing checks", "[theorems]") {
    // What adding theorems/<id>.json amounts to: parse it and evaluate it on verify's facts.
    const Theorem strongly = parse_theorem(R"j({"id": "self-and-star", "citation": "example",
        "statement": "example", "kind": "sufficient", "p_range": "(1, inf)",
        "hypotheses": [{"check": "star", "text": "a hub"}, {"check": "influence", "text": "mixing"}]})j",
                                           "self-and-star.json");
    const auto facts = facts_of(verify(Pattern{"g", "", 16, {families::global_tokens(16, {0}, true)}, {0}}));
    CHECK(evaluate(strongly, facts).applies == true);
    // The same layer with token 0 an input token: BigBird's hypothesis needs an extra hub.
    const auto in_sequence = facts_of(verify(Pattern{"g", "", 16, {families::global_tokens(16, {0}, true)}}));
    CHECK(evaluate(strongly, in_sequence).applies == false);
    CHECK(in_sequence.at("star_in_sequence").holds == true);
    const auto window = facts_of(verify(Pattern{"w", "", 16, {families::sliding_window(16, 1, 1)}}));
    CHECK(evaluate(strongly, window).applies == false);
}

TEST_CASE("theorems: malformed entries name the file and the problem", "[theorems]") {
    auto fails_with = [](const std::string& text, const std::string& file, const std::string& what) {
        try {
            parse_theorem(text, file);
            FAIL("accepted " << text);
        } catch (const std::logic_error& e) {
            const std::string msg = e.what();
            INFO(msg);
            CHECK(msg.find("theorems/" + file) != std::string::npos);
            CHECK(msg.find(what) != std::string::npos);
        }
    };
    const std::string head = R"j({"id": "x", "citation": "c", "statement": "s", "p_range": "[1, inf)", )j";
    fails_with(head + R"("kind": "maybe", "hypotheses": [{"check": "star", "text": "t"}]})", "x.json", "kind");
    fails_with(R"({"id": "x", "citation": "c", "statement": "s", "kind": "necessary",
        "hypotheses": [{"check": "star", "text": "t"}]})", "x.json", "p_range");
    fails_with(R"({"id": "x", "citation": "c", "statement": "s", "kind": "necessary", "p_range": "1 <= p",
        "hypotheses": [{"check": "star", "text": "t"}]})", "x.json", "p_range");
    CHECK(parse_theorem(head + R"("kind": "conjecture", "hypotheses": [{"check": "star", "text": "t"}]})", "x.json").kind ==
          "conjecture");
    fails_with(head + R"("kind": "necessary", "hypotheses": [{"check": "magic", "text": "t"}]})", "x.json", "magic");
    fails_with(head + R"("kind": "necessary", "hypotheses": []})", "x.json", "needs hypotheses");
    fails_with(head + R"("kind": "necessary", "hypotheses": [{"check": "star", "text": "t"}]})", "y.json", "<id>.json");
}
