// Pattern files (docs/pattern-format.md): every JSON form, the size expressions, the n rules, and
// one test per kind of bad input asserting its exact place and a key phrase of the problem.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sparsecert/pattern/families.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/pattern/size_expression.hpp"

using namespace sparsecert;
namespace fam = sparsecert::families;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

const std::string file_name = "test.json";

Pattern parse(const std::string& text, std::optional<std::uint64_t> n = {}) {
    return parse_pattern(parse_json_text(text, file_name), file_name, n);
}

// A pattern file with these layers (a JSON list) and optionally n.
std::string doc(const std::string& layers, std::optional<std::int64_t> n = {}) {
    std::string text = R"({"name": "t", )";
    if (n) text += R"("n": )" + std::to_string(*n) + ", ";
    return text + R"("layers": )" + layers + "}";
}

// Loading `text` must fail at `place` with `phrase` in the problem.
void expect_error(const std::string& text, const std::string& place, const std::string& phrase,
                  std::optional<std::uint64_t> n = {}) {
    INFO("input: " << text);
    try {
        parse(text, n);
        FAIL("accepted");
    } catch (const InputError& e) {
        CHECK(e.file() == file_name);
        CHECK(e.place() == place);
        CHECK_THAT(e.problem(), Contains(phrase));
        // The one-line contract of the tools.
        CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
}

// A file in a fresh temporary directory, removed with it.
class TempDir {
public:
    TempDir() {
        path_ = std::filesystem::temp_directory_path() /
                ("sparsecert-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    std::string write(const std::string& name, const std::string& text) const {
        const auto file = path_ / name;
        std::ofstream(file) << text;
        return file.string();
    }
    std::string path() const { return path_.string(); }

private:
    static int& counter() {
        static int c = 0;
        return c;
    }
    std::filesystem::path path_;
};

std::vector<token_t> row(const Layer& layer, token_t k) {
    auto r = layer.attended(k);
    return {r.begin(), r.end()};
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Expressions

TEST_CASE("size expressions: arithmetic, functions, precedence", "[pattern_io][expression]") {
    CHECK(evaluate_size_expression("n", 1024) == 1024);
    CHECK(evaluate_size_expression("n-1", 10) == 9);
    CHECK(evaluate_size_expression(" 2 + 3 * 4 ", 0) == 14);
    CHECK(evaluate_size_expression("(2 + 3) * 4", 0) == 20);
    CHECK(evaluate_size_expression("n / 5", 64) == 12);
    CHECK(evaluate_size_expression("-7 / 2", 0) == -4);  // floor division
    CHECK(evaluate_size_expression("7 / -2", 0) == -4);
    CHECK(evaluate_size_expression("-7 % 3", 0) == 2);  // sign of the divisor
    CHECK(evaluate_size_expression("7 % -3", 0) == -2);
    CHECK(evaluate_size_expression("n % 7", 100) == 2);
    CHECK(evaluate_size_expression("-n", 5) == -5);
    CHECK(evaluate_size_expression("--3", 0) == 3);
    CHECK(evaluate_size_expression("sqrt(n)", 1024) == 32);
    CHECK(evaluate_size_expression("sqrt(n)", 1025) == 33);
    CHECK(evaluate_size_expression("sqrt(n)", 1023) == 32);
    CHECK(evaluate_size_expression("floor_sqrt(n)", 1023) == 31);
    CHECK(evaluate_size_expression("sqrt(0)", 0) == 0);
    CHECK(evaluate_size_expression("log2(n)", 1024) == 10);
    CHECK(evaluate_size_expression("log2(n)", 1025) == 11);
    CHECK(evaluate_size_expression("log2(1)", 0) == 0);
    CHECK(evaluate_size_expression("min(64, n/5)", 64) == 12);
    CHECK(evaluate_size_expression("max(1, n/5)", 3) == 1);
    CHECK(evaluate_size_expression("min(max(1, 2), sqrt(16))", 0) == 2);
    CHECK(evaluate_size_expression("9223372036854775807", 0) == INT64_MAX);
    CHECK(ceil_sqrt(INT64_MAX) == 3037000500);
    CHECK(floor_sqrt(INT64_MAX) == 3037000499);
    CHECK(ceil_log2(INT64_MAX) == 63);
}

TEST_CASE("size expressions: errors name the problem and the character", "[pattern_io][expression]") {
    auto error_of = [](const std::string& text) {
        try {
            evaluate_size_expression(text, 10);
        } catch (const ExpressionError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(error_of(""), Contains("empty expression"));
    CHECK_THAT(error_of("sqrt(n"), Contains("expected ')'"));
    CHECK_THAT(error_of("n +"), Contains("ends early"));
    CHECK_THAT(error_of("n / 0"), Contains("division by zero"));
    CHECK_THAT(error_of("n % (n - 10)"), Contains("division by zero"));
    CHECK_THAT(error_of("m + 1"), Contains("unknown name \"m\""));
    CHECK_THAT(error_of("m + 1"), Contains("at character 1"));
    CHECK_THAT(error_of("n # 2"), Contains("unexpected '#' at character 3"));
    CHECK_THAT(error_of("sqrt(0 - 1)"), Contains("negative"));
    CHECK_THAT(error_of("log2(0)"), Contains("log2"));
    CHECK_THAT(error_of("min(1)"), Contains("expected ','"));
    CHECK_THAT(error_of("99999999999999999999"), Contains("too large"));
    CHECK_THAT(error_of("9223372036854775807 + 1"), Contains("overflow"));
    CHECK_THAT(error_of("3037000500 * 3037000500"), Contains("overflow"));
    CHECK_THAT(error_of(std::string(200, '(') + "1" + std::string(200, ')')), Contains("nested too deeply"));
    CHECK_THAT(error_of(std::string(100, '-') + "1"), Contains("nested too deeply"));
    CHECK_THAT(error_of(std::string(5000, '1')), Contains("longer than"));
}

// ------------------------------------------------------------------------------------------------
// Forms

TEST_CASE("explicit form: tokens, ranges, any order, n from the lists", "[pattern_io]") {
    const Pattern p = parse(doc(R"([{"attend": [[1, 0], [[0, 2]], [2, [3, 3], 1], [3]]}])"));
    CHECK(p.name == "t");
    CHECK(p.n == 4);
    REQUIRE(p.p() == 1);
    CHECK(row(p.layers[0], 0) == std::vector<token_t>{0, 1});
    CHECK(row(p.layers[0], 1) == std::vector<token_t>{0, 1, 2});
    CHECK(row(p.layers[0], 2) == std::vector<token_t>{1, 2, 3});
    CHECK(row(p.layers[0], 3) == std::vector<token_t>{3});
    // An empty attended set is allowed (it simply fails condition 1).
    CHECK(parse(doc(R"([{"attend": [[], [0]]}])")).layers[0].degree(0) == 0);
}

TEST_CASE("mask form: strings and lists of 0/1, one row per query", "[pattern_io][mask]") {
    // Row k, column j = 1: k attends to j. The identity is "each token attends to itself".
    const Pattern identity = parse(doc(R"([{"mask": ["100", "010", "001"]}])"));
    CHECK(identity.n == 3);
    for (token_t k = 0; k < 3; ++k) CHECK(row(identity.layers[0], k) == std::vector<token_t>{k});
    const Pattern lists = parse(doc(R"([{"mask": [[1, 1, 0, 0], [0, 1, false, true], [true, 0, 1, 0], [0, 0, 0, 0]]}])"));
    CHECK(row(lists.layers[0], 0) == std::vector<token_t>{0, 1});
    CHECK(row(lists.layers[0], 1) == std::vector<token_t>{1, 3});
    CHECK(row(lists.layers[0], 2) == std::vector<token_t>{0, 2});
    CHECK(row(lists.layers[0], 3).empty());
    // Both row forms in one mask, the same layer as the explicit lists, and inside unions.
    const Pattern mixed = parse(doc(R"([{"mask": ["110", [0, 1, 1], "101"]}, {"attend": [[0, 1], [1, 2], [0, 2]]}])"));
    CHECK(mixed.layers[0] == mixed.layers[1]);
    const Pattern in_union = parse(doc(R"([{"union": [{"mask": ["10", "01"]}, {"dense": {}}]}])"));
    CHECK(in_union.layers[0] == fam::dense(2));
    // The mask fixes n like the explicit lists.
    CHECK(parse(doc(R"([{"mask": ["1"]}, {"dense": {}}])")).n == 1);
}

TEST_CASE("bad input: mask rows", "[pattern_io][errors][mask]") {
    expect_error(doc(R"([{"mask": ["10", "1"]}])"), "layers[0].mask[1]",
                 "row 1 has 1 characters, expected 2 (the mask is square");
    expect_error(doc(R"([{"mask": [[1, 0], [1, 0, 0]]}])"), "layers[0].mask[1]", "row 1 has 3 entries, expected 2");
    expect_error(doc(R"([{"mask": ["10", "0x"]}])"), "layers[0].mask[1]", "character 1 (column 1) is 'x'");
    expect_error(doc(R"([{"mask": ["10", "0 "]}])"), "layers[0].mask[1]", "is ' '");
    expect_error(doc(R"([{"mask": [[1, 0], [0, 2]]}])"), "layers[0].mask[1][1]",
                 "a mask entry must be 0 or 1 (or false/true), got 2");
    expect_error(doc(R"([{"mask": [[1, 0], [0, 0.5]]}])"), "layers[0].mask[1][1]", "got 0.5");
    expect_error(doc(R"([{"mask": [[1, 0], [0, "1"]]}])"), "layers[0].mask[1][1]", "got \"1\"");
    expect_error(doc(R"([{"mask": [[1, 0], 7]}])"), "layers[0].mask[1]", "a mask row must be a string");
    expect_error(doc(R"([{"mask": []}])"), "layers[0].mask", "n >= 1");
    expect_error(doc(R"([{"mask": "1"}])"), "layers[0].mask", "must be a list holding one row per query token");
    expect_error(doc(R"([{"mask": ["1"]}])", 2), "layers[0].mask", "has 1 rows, expected n = 2 (one row per token)");
    expect_error(doc(R"([{"mask": ["10", "01"]}, {"attend": [[0]]}])"), "layers[1].attend",
                 "has 1 lists but layers[0].mask has 2 rows");
    expect_error(doc(R"([{"mask": ["10", "01"]}])"), "layers[0].mask", "--n 3 disagrees", 3);
}

TEST_CASE("bad input: a token listed twice in a row, with a hint for 0/1 rows", "[pattern_io][errors][mask]") {
    // A 0/1 identity matrix pasted into "attend" reads row 1 as tokens {0, 1, 0}: refused, with the hint.
    expect_error(doc(R"([{"attend": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}])"), "layers[0].attend[0][2]",
                 "token 0 appears twice in layers[0].attend[0] (entries 1 and 2); for a 0/1 matrix use {\"mask\": ...}");
    expect_error(doc(R"([{"attend": [[0], [1, 1], [2]]}])"), "layers[0].attend[1][1]",
                 "token 1 appears twice in layers[0].attend[1] (entries 0 and 1); for a 0/1 matrix");
    // Other rows: the plain rule.
    expect_error(doc(R"([{"attend": [[0], [2, 1, 2], [2]]}])"), "layers[0].attend[1][2]",
                 "token 2 appears twice in layers[0].attend[1] (entries 0 and 2); list each attended token once");
    expect_error(doc(R"([{"attend": [[[0, 3]], [1], [2], [[3, 3], [1, 2], [2, 3]]]}])"), "layers[0].attend[3][2]",
                 "token 2 appears twice in layers[0].attend[3] (entries 1 and 2)");
    expect_error(doc(R"([{"attend": [[0], [[0, 2], 1], [2]]}])"), "layers[0].attend[1][1]",
                 "token 1 appears twice in layers[0].attend[1] (entries 0 and 1)");
}

TEST_CASE("every generator form matches its family", "[pattern_io]") {
    const token_t n = 40;
    auto one = [&](const std::string& layer) {
        const Pattern p = parse(doc("[" + layer + "]", n));
        REQUIRE(p.n == n);
        REQUIRE(p.p() == 1);
        return p.layers[0];
    };
    CHECK(one(R"({"dense": {}})") == fam::dense(n));
    CHECK(one(R"({"sliding_window": {"left": 2, "right": "1"}})") == fam::sliding_window(n, 2, 1));
    CHECK(one(R"({"dilated_window": {"left": 3, "right": 2, "dilation": 4}})") ==
          fam::dilated_window(n, 3, 2, 4));
    CHECK(one(R"({"star": {}})") == fam::star(n, n - 1, false));
    CHECK(one(R"({"star": {"relay": 3, "ring": true}})") == fam::star(n, 3, true));
    CHECK(one(R"({"global_tokens": {"tokens": [0, "n-1", 0]}})") == fam::global_tokens(n, {0, n - 1}, true));
    CHECK(one(R"({"global_tokens": {"tokens": [5], "self": false}})") == fam::global_tokens(n, {5}, false));
    CHECK(one(R"({"longformer": {"window": 3, "global": [0]}})") == fam::longformer(n, 3, 3, {0}));
    CHECK(one(R"({"longformer": {"left": 3, "right": 0, "global": []}})") == fam::longformer(n, 3, 0, {}));
    CHECK(one(R"({"bigbird": {"block": 4, "random_blocks": 2, "seed": 9}})") == fam::bigbird(n, 4, 2, 9));
    CHECK(one(R"({"bigbird": {"block": 8}})") == fam::bigbird(n, 8, 3, 0));
    CHECK(one(R"({"random": {"edges": 3, "seed": 18446744073709551615}})") ==
          fam::random(n, 3, 18446744073709551615ull, true));
    CHECK(one(R"({"random": {"edges": 3, "self": false}})") == fam::random(n, 3, 0, false));
    CHECK(one(R"({"block_sparse": {"block": 10, "layout": [[1,0,0,1],[0,1,0,0],[0,0,true,0],[1,0,0,false]]}})") ==
          fam::block_sparse(n, 10, {{1, 0, 0, 1}, {0, 1, 0, 0}, {0, 0, 1, 0}, {1, 0, 0, 0}}));
    CHECK(one(R"({"block_sparse": {"block": 10, "blocks": 4, "layout": [[0, 0], [0, 3], [1, 1], [2, 2], [3, 0]]}})") ==
          fam::block_sparse(n, 10, {{1, 0, 0, 1}, {0, 1, 0, 0}, {0, 0, 1, 0}, {1, 0, 0, 0}}));
    // The default block of 16 at n = 40 needs a 3 x 3 layout.
    CHECK(one(R"({"block_sparse": {"layout": [[1,1,0],[0,1,0],[0,0,1]]}})") ==
          fam::block_sparse(n, 16, {{1, 1, 0}, {0, 1, 0}, {0, 0, 1}}));
}

TEST_CASE("two-layer families expand in place, part picks one", "[pattern_io]") {
    const Pattern s = parse(doc(R"j([{"dense": {}}, {"strided": {"stride": "sqrt(n)"}}])j", 30));
    REQUIRE(s.p() == 3);
    auto strided = fam::strided(30, 6);
    CHECK(s.layers[1] == strided[0]);
    CHECK(s.layers[2] == strided[1]);
    CHECK(parse(doc(R"([{"strided": {"stride": 6, "part": "strided"}}])", 30)).layers ==
          std::vector<Layer>{strided[1]});

    auto fixed = fam::fixed(30, 8, 2, fam::FixedOrder::block_first);
    const Pattern f = parse(doc(R"([{"fixed": {"block": 8, "summary": 2}}])", 30));
    CHECK(f.layers == fixed);
    const Pattern g = parse(doc(R"([{"fixed": {"block": 8, "summary": 2, "order": "summary-first"}}])", 30));
    CHECK(g.layers == std::vector<Layer>{fixed[1], fixed[0]});
    CHECK(parse(doc(R"([{"fixed": {"block": 8, "summary": 2, "part": "block"}}])", 30)).layers ==
          std::vector<Layer>{fixed[0]});
}

TEST_CASE("union: token-wise union of attended sets, nested, with parts", "[pattern_io]") {
    const Pattern p = parse(doc(R"([{"union": [
        {"sliding_window": {"left": 1, "right": 0}},
        {"union": [{"global_tokens": {"tokens": [0], "self": false}}, {"strided": {"stride": 5, "part": "strided"}}]}
    ]}])", 20));
    REQUIRE(p.p() == 1);
    const std::vector<Layer> parts{fam::sliding_window(20, 1, 0), fam::global_tokens(20, {0}, false),
                                   fam::strided(20, 5)[1]};
    CHECK(p.layers[0] == union_of(parts));
    CHECK(row(p.layers[0], 7) == std::vector<token_t>{0, 2, 6, 7, 12, 17});
    // A union with an explicit layer: the explicit layer fixes n for the generator.
    const Pattern q = parse(doc(R"([{"union": [{"attend": [[1], [2], [0]]}, {"sliding_window": {"left": 0, "right": 0}}]}])"));
    CHECK(q.n == 3);
    CHECK(row(q.layers[0], 2) == std::vector<token_t>{0, 2});
}

TEST_CASE("intersect and causal: the libraries' causal masks as they build them", "[pattern_io][intersect]") {
    const token_t n = 50;
    auto rows_of = [&](const Layer& layer) {
        std::vector<std::vector<token_t>> out;
        for (token_t k = 0; k < layer.size(); ++k) out.push_back(row(layer, k));
        return out;
    };
    // A brute-force rule, row by row.
    auto rule = [&](auto attends) {
        std::vector<std::vector<token_t>> out(n);
        for (token_t q = 0; q < n; ++q)
            for (token_t k = 0; k < n; ++k)
                if (attends(q, k)) out[q].push_back(k);
        return out;
    };
    // {"causal": {}}: k <= q.
    CHECK(rows_of(parse(doc(R"([{"causal": {}}])", n)).layers[0]) == rule([](token_t q, token_t k) { return k <= q; }));
    // OpenAI's strided mode (get_attn_mask): k <= q and (q - k) % stride == 0, as the causal part of
    // the strided layer and as an intersection with the causal mask.
    const auto openai_strided = rule([](token_t q, token_t k) { return k <= q && (q - k) % 7 == 0; });
    const Pattern wrapped = parse(doc(R"([{"causal": {"strided": {"stride": 7}}}])", n));
    REQUIRE(wrapped.p() == 2);  // both layers of the family, each causal
    CHECK(rows_of(wrapped.layers[1]) == openai_strided);
    CHECK(rows_of(wrapped.layers[0]) == rule([](token_t q, token_t k) { return k <= q && q - k <= 7; }));
    const Pattern met = parse(doc(R"([{"intersect": [{"strided": {"stride": 7, "part": "strided"}}, {"causal": {}}]}])", n));
    CHECK(rows_of(met.layers[0]) == openai_strided);
    // OpenAI's fixed mode with one summary block column per window (blocksize 4, local_attn_ctx 12):
    // k <= q and (k, q in the same window of 12, or k in the last 4 tokens of its window).
    const Pattern fixed = parse(doc(R"([{"causal": {"union": [{"fixed": {"block": 12, "summary": 4, "part": "block"}},
                                                              {"fixed": {"block": 12, "summary": 4, "part": "summary"}}]}}])", n));
    CHECK(rows_of(fixed.layers[0]) ==
          rule([](token_t q, token_t k) { return k <= q && (k / 12 == q / 12 || k % 12 >= 8); }));
    // Intersections of generators, nested in unions and around explicit layers.
    const Pattern nested = parse(doc(R"([{"union": [{"intersect": [{"sliding_window": {"left": 5, "right": 5}},
        {"dilated_window": {"left": 10, "right": 10, "dilation": 2}}]}, {"global_tokens": {"tokens": [0]}}]}])", n));
    CHECK(rows_of(nested.layers[0]) == rule([](token_t q, token_t k) {
              const token_t d = q > k ? q - k : k - q;
              return (d <= 5 && d % 2 == 0) || q == 0 || k == 0;
          }));
    const Pattern small = parse(doc(R"([{"intersect": [{"attend": [[0, 1, 2], [0, 2], [1]]}, {"causal": {}}]}])"));
    CHECK(rows_of(small.layers[0]) == std::vector<std::vector<token_t>>{{0}, {0}, {1}});
    // Only {"causal": {}} members: the causal mask.
    CHECK(rows_of(parse(doc(R"([{"intersect": [{"causal": {}}]}])", 5)).layers[0]) ==
          std::vector<std::vector<token_t>>{{0}, {0, 1}, {0, 1, 2}, {0, 1, 2, 3}, {0, 1, 2, 3, 4}});
}

TEST_CASE("bad input: intersect and causal", "[pattern_io][errors][intersect]") {
    expect_error(doc(R"([{"intersect": []}])", 4), "layers[0].intersect", "\"intersect\" must be a non-empty list");
    expect_error(doc(R"([{"intersect": {}}])", 4), "layers[0].intersect", "must be a non-empty list of layers, got an object");
    expect_error(doc(R"([{"intersect": [{"dense": {}}, {"strided": {"stride": 3}}]}])", 10),
                 "layers[0].intersect[1].strided", "inside an intersection pick one with \"part\"");
    expect_error(doc(R"([{"causal": []}])", 4), "layers[0].causal", "\"causal\" takes {}");
    expect_error(doc(R"([{"causal": {"dense": {}, "star": {}}}])", 4), "layers[0].causal",
                 "a layer must have exactly one key naming its form, found 2");
    expect_error(doc(R"([{"causal": {"sparse": {}}}])", 4), "layers[0].causal.sparse", "unknown layer form");
    expect_error(doc(R"([{"union": [{"causal": {"fixed": {"block": 4, "summary": 1}}}]}])", 10),
                 "layers[0].union[0].causal.fixed", "inside a union pick one");
    expect_error(doc(R"([{"causal": {"sliding_window": {"left": -1, "right": 0}}}])", 4),
                 "layers[0].causal.sliding_window.left", "out of range");
}

TEST_CASE("layers cycle in file order", "[pattern_io]") {
    const Pattern p = parse(doc(R"([{"dense": {}}, {"sliding_window": {"left": 0, "right": 0}}])", 5));
    REQUIRE(p.p() == 2);
    CHECK(p.layer_at_step(0) == fam::dense(5));
    CHECK(p.layer_at_step(3) == fam::sliding_window(5, 0, 0));
}

TEST_CASE("n resolution: file, --n, explicit layers", "[pattern_io]") {
    const std::string generic = doc(R"([{"sliding_window": {"left": 1, "right": 1}}])", 100);
    CHECK(parse(generic).n == 100);
    CHECK(parse(generic, 64).n == 64);
    CHECK(parse(doc(R"([{"dense": {}}])"), 7).n == 7);
    const std::string fixed_n = doc(R"([{"attend": [[0], [1], [2]]}])");
    CHECK(parse(fixed_n).n == 3);
    CHECK(parse(fixed_n, 3).n == 3);
    CHECK(parse(doc(R"([{"attend": [[0], [1], [2]]}])", 3)).n == 3);
    // Description is optional and kept.
    CHECK(parse(R"({"name": "a", "description": "d", "n": 2, "layers": [{"dense": {}}]})").description == "d");
}

TEST_CASE("to_explicit_json round-trips and compresses runs", "[pattern_io]") {
    const Pattern p = parse(doc(R"([{"longformer": {"window": 2, "global": [0, 9]}}, {"random": {"edges": 2, "seed": 4}}])", 12));
    const json out = to_explicit_json(p);
    CHECK(out["layers"][0]["attend"][5] == json::parse("[0, [3, 7], 9]"));
    const Pattern back = parse_pattern(out, "round-trip");
    CHECK(back.n == p.n);
    CHECK(back.layers == p.layers);
    CHECK(back.name == p.name);
}

TEST_CASE("extra tokens: declared, sorted, merged, expressions, round-trip", "[pattern_io]") {
    const std::string layers = R"([{"global_tokens": {"tokens": [0]}}])";
    const Pattern none = parse(doc(layers, 5));
    CHECK(none.extra_tokens.empty());
    CHECK(none.input_tokens() == 5);
    const Pattern p = parse(R"({"name": "t", "n": 6, "extra_tokens": ["n-1", 0, 0], "layers": )" + layers + "}");
    CHECK(p.extra_tokens == std::vector<token_t>{0, 5});
    CHECK(p.input_tokens() == 4);
    CHECK(p.is_extra(0));
    CHECK(p.is_extra(5));
    CHECK_FALSE(p.is_extra(3));
    // Size-generic: the expression follows --n.
    CHECK(parse(R"({"name": "t", "n": 6, "extra_tokens": ["n-1"], "layers": )" + layers + "}", 9).extra_tokens ==
          std::vector<token_t>{8});
    const json out = to_explicit_json(p);
    CHECK(out["extra_tokens"] == json::parse("[0, 5]"));
    CHECK(parse_pattern(out, "round-trip").extra_tokens == p.extra_tokens);
    CHECK_FALSE(to_explicit_json(none).contains("extra_tokens"));
}

TEST_CASE("bad input: extra tokens", "[pattern_io][errors]") {
    auto with = [](const std::string& extra) {
        return R"({"name": "t", "n": 3, "extra_tokens": )" + extra + R"(, "layers": [{"dense": {}}]})";
    };
    expect_error(with("[3]"), "extra_tokens[0]", "token = 3 is out of range: tokens are 0..2 (n = 3)");
    expect_error(with("[0, -1]"), "extra_tokens[1]", "out of range");
    expect_error(with("[0, 1, 2]"), "extra_tokens", "all 3 tokens are extra");
    expect_error(with("[0, 1, 1, 0, 2]"), "extra_tokens", "all 3 tokens are extra");
    expect_error(with("0"), "extra_tokens", "must be a list of tokens");
    expect_error(with("[1.0]"), "extra_tokens[0]", "must be an integer or an expression");
    expect_error(with(R"(["n"])"), "extra_tokens[0]", "out of range");
    Pattern bad = parse(doc(R"([{"dense": {}}])", 3));
    bad.extra_tokens = {2, 1};
    CHECK_THROWS_AS(validate(bad), std::invalid_argument);
    bad.extra_tokens = {3};
    CHECK_THROWS_AS(validate(bad), std::invalid_argument);
}

// ------------------------------------------------------------------------------------------------
// Bad input: one test per kind, exact place and a key phrase.

TEST_CASE("bad input: malformed JSON reports line and column", "[pattern_io][errors]") {
    expect_error("{\"name\": \"x\",\n \"n\": 10, \"layers\": [tru]}", "line 2, column 25", "syntax error while parsing value - invalid literal");
    expect_error("", "line 1, column 1", "unexpected end of input");
    expect_error("{\"name\": \"x\"", "line 1, column 13", "unexpected end of input");
    expect_error(doc(R"([{"dense": {}}])", 3) + " x", "line 1, column 50", "syntax error");
    expect_error("{\"name\": \"x\", // comment\n}", "line 1, column 15", "syntax error");
}

TEST_CASE("bad input: duplicate keys and absurd nesting", "[pattern_io][errors]") {
    expect_error(doc(R"([{"sliding_window": {"left": 1, "left": 2, "right": 0}}])", 4),
                 "layers[0].sliding_window.left", "duplicate key \"left\"");
    expect_error(R"({"name": "a", "name": "b", "layers": []})", "name", "duplicate key");
    expect_error(std::string(100000, '[') + std::string(100000, ']'), "[0][0][0]" + [] {
        std::string s;
        for (int i = 3; i < 511; ++i) s += "[0]";
        return s;
    }(), "nested deeper than 512");
}

TEST_CASE("bad input: the top level", "[pattern_io][errors]") {
    expect_error("[]", "", "top level must be an object");
    expect_error(R"({"layers": [{"dense": {}}], "n": 3})", "", "missing key \"name\"");
    expect_error(R"({"name": "x", "n": 3})", "", "missing key \"layers\"");
    expect_error(R"({"name": "x", "n": 3, "layers": [{"dense": {}}], "note": 1})", "note", "unknown key \"note\"");
    expect_error(R"({"name": 5, "n": 3, "layers": [{"dense": {}}]})", "name", "non-empty string");
    expect_error(R"({"name": "", "n": 3, "layers": [{"dense": {}}]})", "name", "non-empty string");
    expect_error(R"({"name": "x", "description": [], "n": 3, "layers": [{"dense": {}}]})", "description",
                 "must be a string");
    expect_error(R"({"name": "x", "n": 3, "layers": {"dense": {}}})", "layers", "must be a list");
    expect_error(R"({"name": "x", "n": 3, "layers": []})", "layers", "at least one layer");
}

TEST_CASE("bad input: n", "[pattern_io][errors]") {
    const std::string layers = R"([{"dense": {}}])";
    expect_error(doc(layers, 0), "n", "positive integer");
    expect_error(doc(layers, -3), "n", "positive integer");
    expect_error(R"({"name": "x", "n": 2.5, "layers": [{"dense": {}}]})", "n", "positive integer, got 2.5");
    expect_error(R"({"name": "x", "n": 1e3, "layers": [{"dense": {}}]})", "n", "positive integer");
    expect_error(R"({"name": "x", "n": "10", "layers": [{"dense": {}}]})", "n", "positive integer, got \"10\"");
    expect_error(doc(layers, 2147483648), "n", "too large (at most 2147483647)");
    expect_error(R"({"name": "x", "n": 99999999999999999999, "layers": [{"dense": {}}]})", "n", "positive integer");
    expect_error(doc(layers), "", "n is missing and no layer fixes it; pass --n");
    expect_error(doc(layers, 4), "", "--n 0 is not a valid number of tokens", 0);
    expect_error(doc(layers, 4), "", "--n 2147483648 is not a valid", 2147483648ull);
}

TEST_CASE("bad input: explicit lists disagree with n", "[pattern_io][errors]") {
    expect_error(doc(R"([{"attend": [[0], [1], [2]]}])", 4), "layers[0].attend", "has 3 lists, expected n = 4");
    expect_error(doc(R"([{"attend": [[0], [1], [2]]}])"), "layers[0].attend", "--n 5 disagrees", 5);
    expect_error(doc(R"([{"attend": [[0], [1]]}, {"union": [{"attend": [[0], [1], [2]]}]}])"),
                 "layers[1].union[0].attend", "has 3 lists but layers[0].attend has 2");
    expect_error(doc(R"([{"attend": []}])"), "layers[0].attend", "n >= 1");
    expect_error(doc(R"([{"attend": {"0": [0]}}])"), "layers[0].attend", "must be a list");
}

TEST_CASE("bad input: explicit entries", "[pattern_io][errors]") {
    expect_error(doc(R"([{"attend": [[0], [5], [2]]}])"), "layers[0].attend[1][0]",
                 "token 5 is out of range: tokens are 0..2 (n = 3)");
    expect_error(doc(R"([{"attend": [[0], [-1], [2]]}])"), "layers[0].attend[1][0]", "token -1 is out of range");
    expect_error(doc(R"([{"attend": [[0], 1, [2]]}])"), "layers[0].attend[1]", "must be a list of tokens");
    expect_error(doc(R"([{"attend": [[0], [1.5], [2]]}])"), "layers[0].attend[1][0]", "must be a token (an integer), got 1.5");
    expect_error(doc(R"([{"attend": [[0], ["1"], [2]]}])"), "layers[0].attend[1][0]", "must be a token");
    expect_error(doc(R"([{"attend": [[0], [[2, 1]], [2]]}])"), "layers[0].attend[1][0]", "range [2, 1] has lo > hi");
    expect_error(doc(R"([{"attend": [[0], [[0, 1, 2]], [2]]}])"), "layers[0].attend[1][0]",
                 "a range must be [lo, hi] (two tokens), got a list of 3");
    expect_error(doc(R"([{"attend": [[0], [[0]], [2]]}])"), "layers[0].attend[1][0]", "a list of 1");
    expect_error(doc(R"([{"attend": [[0], [[0, 3]], [2]]}])"), "layers[0].attend[1][0][1]", "token 3 is out of range");
    expect_error(doc(R"([{"attend": [[0], [[null, 1]], [2]]}])"), "layers[0].attend[1][0][0]", "lo must be a token");
}

TEST_CASE("bad input: layer objects and forms", "[pattern_io][errors]") {
    expect_error(doc(R"([{}])", 3), "layers[0]", "exactly one key naming its form, found 0");
    expect_error(doc(R"([{"dense": {}, "star": {}}])", 3), "layers[0]", "found 2 (\"dense\", \"star\")");
    expect_error(doc(R"([{"dense": {}}, "dense"])", 3), "layers[1]", "must be an object");
    expect_error(doc(R"([{"sparse": {}}])", 3), "layers[0].sparse", "unknown layer form \"sparse\"");
    expect_error(doc(R"([{"dense": []}])", 3), "layers[0].dense", "must be an object");
    expect_error(doc(R"([{"dense": {"size": 3}}])", 3), "layers[0].dense.size", "it takes none");
    expect_error(doc(R"([{"union": []}])", 3), "layers[0].union", "non-empty list");
    expect_error(doc(R"([{"union": {"dense": {}}}])", 3), "layers[0].union", "non-empty list of layers, got an object");
    expect_error(doc(R"([{"union": [{"dense": {}}, {"foo": {}}]}])", 3), "layers[0].union[1].foo", "unknown layer form");
    std::string deep = R"({"dense": {}})";
    for (int i = 0; i < 70; ++i) deep = R"({"union": [)" + deep + "]}";
    std::string place = "layers[0]";
    for (int i = 0; i < 64; ++i) place += ".union[0]";
    expect_error(doc("[" + deep + "]", 3), place + ".union", "nested deeper than 64");
}

TEST_CASE("bad input: parameters", "[pattern_io][errors]") {
    expect_error(doc(R"([{"sliding_window": {"left": 1}}])", 8), "layers[0].sliding_window",
                 "missing parameter \"right\"");
    expect_error(doc(R"([{"sliding_window": {"left": 1, "right": 1, "width": 3}}])", 8),
                 "layers[0].sliding_window.width", "unknown parameter \"width\" of sliding_window (allowed: left, right)");
    expect_error(doc(R"([{"sliding_window": {"left": true, "right": 1}}])", 8), "layers[0].sliding_window.left",
                 "must be an integer or an expression over n");
    expect_error(doc(R"([{"sliding_window": {"left": -1, "right": 1}}])", 8), "layers[0].sliding_window.left",
                 "left = -1 is out of range: it must be at least 0");
    expect_error(doc(R"([{"sliding_window": {"left": "n - 9", "right": 1}}])", 8), "layers[0].sliding_window.left",
                 "left = \"n - 9\" = -1 is out of range");
    expect_error(doc(R"([{"sliding_window": {"left": 2147483648, "right": 1}}])", 8),
                 "layers[0].sliding_window.left", "at most 2147483647");
    expect_error(doc(R"([{"sliding_window": {"left": 9223372036854775808, "right": 1}}])", 8),
                 "layers[0].sliding_window.left", "too large");
    expect_error(doc(R"([{"sliding_window": {"left": 1.0, "right": 1}}])", 8), "layers[0].sliding_window.left",
                 "got 1.0");
    expect_error(doc(R"j([{"strided": {"stride": "sqrt(n"}}])j", 8), "layers[0].strided.stride",
                 "invalid expression \"sqrt(n\": expected ')'");
    expect_error(doc(R"j([{"strided": {"stride": "n / (n - 8)"}}])j", 8), "layers[0].strided.stride", "division by zero");
    expect_error(doc(R"([{"strided": {"stride": 0}}])", 8), "layers[0].strided.stride", "at least 1");
    expect_error(doc(R"([{"dilated_window": {"left": 1, "right": 1, "dilation": 0}}])", 8),
                 "layers[0].dilated_window.dilation", "at least 1");
    expect_error(doc(R"([{"star": {"relay": "n"}}])", 8), "layers[0].star.relay",
                 "relay = \"n\" = 8 is out of range: tokens are 0..7 (n = 8)");
    expect_error(doc(R"([{"star": {"ring": 1}}])", 8), "layers[0].star.ring", "must be true or false");
    expect_error(doc(R"([{"global_tokens": {"tokens": [0, 10]}}])", 10), "layers[0].global_tokens.tokens[1]",
                 "token = 10 is out of range: tokens are 0..9 (n = 10)");
    expect_error(doc(R"([{"global_tokens": {"tokens": 0}}])", 10), "layers[0].global_tokens.tokens",
                 "must be a list of tokens");
    expect_error(doc(R"([{"global_tokens": {"tokens": [0], "self": "yes"}}])", 10), "layers[0].global_tokens.self",
                 "must be true or false");
    expect_error(doc(R"([{"longformer": {"window": 2}}])", 10), "layers[0].longformer", "missing parameter \"global\"");
    expect_error(doc(R"([{"longformer": {"global": []}}])", 10), "layers[0].longformer", "missing parameter \"window\"");
    expect_error(doc(R"([{"longformer": {"left": 2, "global": []}}])", 10), "layers[0].longformer",
                 "missing parameter \"right\"");
    expect_error(doc(R"([{"longformer": {"window": 2, "left": 1, "global": []}}])", 10),
                 "layers[0].longformer.window", "not both");
    expect_error(doc(R"([{"longformer": {"window": 2, "global": [-1]}}])", 10), "layers[0].longformer.global[0]",
                 "out of range");
    expect_error(doc(R"([{"random": {"seed": 1}}])", 10), "layers[0].random", "missing parameter \"edges\"");
    expect_error(doc(R"([{"fixed": {"block": 4, "summary": 5}}])", 10), "layers[0].fixed.summary",
                 "at most block = 4");
    expect_error(doc(R"([{"fixed": {"block": 4, "summary": 1, "order": "first"}}])", 10), "layers[0].fixed.order",
                 "must be one of \"block-first\", \"summary-first\"");
    expect_error(doc(R"([{"fixed": {"block": 4, "summary": 1, "part": "block", "order": "block-first"}}])", 10),
                 "layers[0].fixed.order", "no effect together with \"part\"");
    expect_error(doc(R"([{"strided": {"stride": 3, "part": "global"}}])", 10), "layers[0].strided.part",
                 "must be one of \"local\", \"strided\"");
}

TEST_CASE("bad input: odd strings are quoted on one line", "[pattern_io][errors]") {
    expect_error(R"({"name": "x", "n": 3, "layers": [{"dense": {}}], "a\nb": 1})", "a\nb", "unknown key \"a\\nb\"");
    // A long string is shortened, even inside a multi-byte character, without failing.
    const std::string long_value = "\"" + std::string(36, 'x') + "\u00e9\u00e9\u00e9\u00e9\"";
    expect_error(doc(R"([{"star": {"ring": )" + long_value + "}}]", 4), "layers[0].star.ring",
                 "must be true or false, got \"" + std::string(36, 'x'));
}

TEST_CASE("bad input: two-layer families inside a union need part", "[pattern_io][errors]") {
    expect_error(doc(R"([{"union": [{"dense": {}}, {"strided": {"stride": 3}}]}])", 10), "layers[0].union[1].strided",
                 "pick one with \"part\": \"local\" or \"strided\"");
    expect_error(doc(R"([{"union": [{"fixed": {"block": 4, "summary": 1}}]}])", 10), "layers[0].union[0].fixed",
                 "\"block\" or \"summary\"");
}

TEST_CASE("bad input: seeds", "[pattern_io][errors]") {
    expect_error(doc(R"([{"random": {"edges": 1, "seed": 18446744073709551616}}])", 10), "layers[0].random.seed",
                 "must be an integer in 0..18446744073709551615");
    expect_error(doc(R"([{"random": {"edges": 1, "seed": -1}}])", 10), "layers[0].random.seed", "got -1");
    expect_error(doc(R"([{"bigbird": {"block": 2, "seed": "n"}}])", 10), "layers[0].bigbird.seed", "got \"n\"");
}

TEST_CASE("bad input: bigbird with too few blocks", "[pattern_io][errors]") {
    expect_error(doc(R"([{"bigbird": {"block": 16}}])", 64), "layers[0].bigbird.block",
                 "needs at least 5 blocks");
    expect_error(doc(R"([{"bigbird": {"block": 16}}])", 64), "layers[0].bigbird.block", "n >= 65");
    // The default block (64) is checked too, at the form's place.
    expect_error(doc(R"([{"union": [{"dense": {}}, {"bigbird": {}}]}])", 256), "layers[0].union[1].bigbird",
                 "gives 4");
}

TEST_CASE("bad input: block_sparse layouts", "[pattern_io][errors]") {
    expect_error(doc(R"([{"block_sparse": {"block": 2, "layout": [[1, 0], [1]]}}])", 4),
                 "layers[0].block_sparse.layout[1]", "has 1 entries, expected 2");
    expect_error(doc(R"([{"block_sparse": {"block": 2, "layout": [[1, 2], [1, 1]]}}])", 4),
                 "layers[0].block_sparse.layout[0][1]", "must be 0 or 1, got 2");
    expect_error(doc(R"([{"block_sparse": {"block": 2, "layout": [[1, 0], [1, 1]]}}])", 5),
                 "layers[0].block_sparse.layout", "4 tokens, fewer than n = 5");
    expect_error(doc(R"([{"block_sparse": {"block": 2, "layout": []}}])", 4), "layers[0].block_sparse.layout",
                 "non-empty list");
    expect_error(doc(R"([{"block_sparse": {"block": 2, "layout": [[1]]}}])", 4), "layers[0].block_sparse.layout",
                 "the layout has 1 blocks of 2 = 2 tokens, fewer than n = 4");
    expect_error(doc(R"([{"block_sparse": {"block": 2, "blocks": 2, "layout": [[0, 2]]}}])", 4),
                 "layers[0].block_sparse.layout[0][1]", "block index = 2 is out of range");
    expect_error(doc(R"([{"block_sparse": {"block": 2, "blocks": 2, "layout": [[0, 1, 1]]}}])", 4),
                 "layers[0].block_sparse.layout[0]", "[query block, key block] pairs");
    expect_error(doc(R"([{"block_sparse": {"block": 2, "blocks": 1, "layout": [[0, 0]]}}])", 4),
                 "layers[0].block_sparse.blocks", "fewer than n = 4");
}

TEST_CASE("bad input: files", "[pattern_io][errors]") {
    TempDir dir;
    try {
        load_pattern_file(dir.path() + "/missing.json");
        FAIL("accepted");
    } catch (const InputError& e) {
        CHECK(e.place().empty());
        CHECK(e.problem() == "cannot open file: No such file or directory");
        CHECK(e.file() == dir.path() + "/missing.json");
    }
    try {
        load_pattern_file(dir.path());
        FAIL("accepted");
    } catch (const InputError& e) {
        CHECK(e.place().empty());
        CHECK(e.problem() == "cannot open file: Is a directory");
    }
    const std::string bad = dir.write("bad.json", "{\n  \"name\": \"x\",\n  \"layers\": [{\"dense\": {}}]\n}\n");
    try {
        load_pattern_file(bad);
        FAIL("accepted");
    } catch (const InputError& e) {
        CHECK(e.file() == bad);
        CHECK(e.problem() == "n is missing and no layer fixes it; pass --n");
        CHECK(std::string(e.what()) == bad + ": n is missing and no layer fixes it; pass --n");
    }
    CHECK(load_pattern_file(bad, 9).n == 9);
    const std::string syntax = dir.write("syntax.json", "{\n  \"name\": \"x\",\n  \"n\": 4,\n  \"layers\": [{\"dense\": {}},]\n}\n");
    try {
        load_pattern_file(syntax);
        FAIL("accepted");
    } catch (const InputError& e) {
        CHECK(e.place() == "line 4, column 28");
        CHECK_THAT(e.problem(), Contains("syntax error"));
    }
}

// ------------------------------------------------------------------------------------------------
// Sizes

TEST_CASE("large n loads in memory proportional to the connections", "[pattern_io][large]") {
    const Pattern w = parse(doc(R"([{"sliding_window": {"left": 1, "right": 1}}])"), 1048576);
    CHECK(w.n == 1048576);
    CHECK(w.connections() == 3ull * 1048576 - 2);
    // The largest n is accepted by the format; the range check runs before anything is built.
    expect_error(doc(R"([{"star": {"relay": "n"}}])", 2147483647), "layers[0].star.relay",
                 "tokens are 0..2147483646 (n = 2147483647)");
    // An explicit file of 100,000 tokens (each attending a [k-1, k+1] band).
    std::string text = R"({"name": "band", "layers": [{"attend": [)";
    const int n = 100000;
    for (int k = 0; k < n; ++k) {
        text += "[[" + std::to_string(std::max(0, k - 1)) + "," + std::to_string(std::min(n - 1, k + 1)) + "]]";
        text += k + 1 < n ? "," : "";
    }
    text += "]}]}";
    const Pattern e = parse(text);
    CHECK(e.n == token_t(n));
    CHECK(e.layers[0] == fam::sliding_window(n, 1, 1));
}

TEST_CASE("bigbird and random are deterministic through files", "[pattern_io]") {
    const std::string a = doc(R"([{"bigbird": {"block": 8, "seed": 5}}, {"random": {"edges": 4, "seed": 5}}])", 256);
    const std::string b = doc(R"([{"bigbird": {"block": 8, "seed": 6}}, {"random": {"edges": 4, "seed": 6}}])", 256);
    CHECK(parse(a).layers == parse(a).layers);
    const Pattern pa = parse(a), pb = parse(b);
    CHECK_FALSE(pa.layers[0] == pb.layers[0]);
    CHECK_FALSE(pa.layers[1] == pb.layers[1]);
}

// ------------------------------------------------------------------------------------------------
// The catalogue

TEST_CASE("every catalogue file loads at its default n and at --n 64 and 257", "[pattern_io][catalogue]") {
    const std::filesystem::path dir = std::filesystem::path(SPARSECERT_SOURCE_DIR) / "patterns";
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    CHECK(files.size() >= 15);
    for (const auto& file : files) {
        INFO(file.string());
        const json raw = parse_json_text(
            [&] {
                std::ifstream in(file);
                return std::string(std::istreambuf_iterator<char>(in), {});
            }(),
            file.string());
        // Size-generic: no explicit lists, so --n works.
        CHECK(raw.dump().find("\"attend\"") == std::string::npos);
        const Pattern p = load_pattern_file(file.string());
        CHECK(p.name == file.stem().string());
        CHECK(p.description.size() > 40);
        CHECK(p.n == raw.at("n").get<token_t>());
        for (std::uint64_t n : {64u, 257u}) {
            const Pattern q = load_pattern_file(file.string(), n);
            CHECK(q.n == n);
            CHECK(q.p() == p.p());
            for (const auto& layer : q.layers) CHECK(layer.size() == n);
        }
    }
}
