// The theorem registry (issue 3): embedded entries, evaluation, the three-valued verdict, and that
// a new theorem is one JSON entry over the existing checks.
#include <catch2/catch.hpp>

#include <algorithm>

#include "sparsecert/pattern/families.hpp"
#include "sparsecert/certify/theorems.hpp"
#include "sparsecert/certify/verify.hpp"

using namespace sparsecert;

TEST_CASE("theorems: the registry holds the three entries of issue 3", "[theorems]") {
    const auto registry = theorem_registry();
    REQUIRE(registry.size() >= 3);
    auto find = [&](const std::string& id) {
        auto it = std::find_if(registry.begin(), registry.end(), [&](const Theorem& t) { return t.id == id; });
        REQUIRE(it != registry.end());
        return *it;
    };
    CHECK(find("yun2020").kind == "sufficient");
    CHECK(find("yun2020").hypotheses.size() == 3);
    CHECK(find("bigbird2020-star").kind == "sufficient");
    CHECK(find("reachability-closure").kind == "necessary");
    CHECK(std::is_sorted(registry.begin(), registry.end(),
                         [](const Theorem& a, const Theorem& b) { return a.id < b.id; }));
    for (const auto& t : registry) CHECK(!t.citation.empty());
}

TEST_CASE("theorems: evaluation is three-valued, false wins", "[theorems]") {
    const Theorem t = parse_theorem(R"({"id": "t", "citation": "c", "statement": "s", "kind": "sufficient",
        "hypotheses": [{"check": "self_attention", "text": "a"}, {"check": "star", "text": "b"}]})", "t.json");
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
}

TEST_CASE("theorems: a new theorem is one entry over the existing checks", "[theorems]") {
    // What adding theorems/<id>.json amounts to: parse it and evaluate it on verify's facts.
    const Theorem strongly = parse_theorem(R"({"id": "self-and-star", "citation": "example",
        "statement": "example", "kind": "sufficient",
        "hypotheses": [{"check": "star", "text": "a hub"}, {"check": "influence", "text": "mixing"}]})",
                                           "self-and-star.json");
    const auto facts = facts_of(verify(Pattern{"g", "", 16, {families::global_tokens(16, {0}, true)}}));
    CHECK(evaluate(strongly, facts).applies == true);
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
    const std::string head = R"({"id": "x", "citation": "c", "statement": "s", )";
    fails_with(head + R"("kind": "maybe", "hypotheses": [{"check": "star", "text": "t"}]})", "x.json", "kind");
    fails_with(head + R"("kind": "necessary", "hypotheses": [{"check": "magic", "text": "t"}]})", "x.json", "magic");
    fails_with(head + R"("kind": "necessary", "hypotheses": []})", "x.json", "needs hypotheses");
    fails_with(head + R"("kind": "necessary", "hypotheses": [{"check": "star", "text": "t"}]})", "y.json", "<id>.json");
}
