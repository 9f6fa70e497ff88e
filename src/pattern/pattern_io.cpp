// Pattern files: docs/pattern-format.md is the specification, docs/pattern.schema.json its schema.
//
// Loading runs in three steps so that every problem is reported at its JSON path and nothing n x n
// is ever built: (1) the document is checked for structure (keys, forms, parameter names) into a
// tree of LayerSpecs that point into it; (2) n is resolved from the file, --n and the explicit
// layers; (3) parameters are evaluated at that n, range-checked, every layer's connections are
// predicted against the limit (size_prediction.hpp), and only then the layers are generated.
#include "sparsecert/pattern/pattern_io.hpp"

#include <algorithm>
#include <limits>
#include <ostream>
#include <sstream>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsecert/pattern/families.hpp"
#include "sparsecert/pattern/size_expression.hpp"
#include "sparsecert/pattern/size_prediction.hpp"
#include "sparsecert/support/input_file.hpp"

namespace sparsecert {

using nlohmann::json;

namespace {

// Largest n and largest integer parameter: tokens are token_t, and Layer keeps n < max_tokens.
constexpr std::int64_t max_n = std::int64_t(max_tokens) - 1;
// Unions nest recursively; the bound keeps malicious files from exhausting the stack.
constexpr int max_union_depth = 64;
// JSON nesting beyond anything the format uses (unions included) is refused while parsing.
constexpr std::size_t max_json_depth = 512;

// ---------------------------------------------------------------------------------------------
// Places: JSON paths such as layers[2].union[1].bigbird.block.

std::string key_path(const std::string& at, std::string_view key) {
    return at.empty() ? std::string(key) : at + "." + std::string(key);
}
std::string index_path(const std::string& at, std::size_t i) {
    return at + "[" + std::to_string(i) + "]";
}

// A string as quoted in messages: JSON-escaped, so control characters cannot break the one-line
// error format, and invalid UTF-8 (from shortening) is replaced rather than thrown on.
std::string quote(const std::string& s) {
    return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

// A value as quoted in messages: scalars verbatim (long strings shortened), containers by kind,
// never dumped (they may be huge or deeply nested).
std::string describe(const json& v) {
    switch (v.type()) {
        case json::value_t::array: return "a list";
        case json::value_t::object: return "an object";
        case json::value_t::string: {
            const auto& s = v.get_ref<const std::string&>();
            return quote(s.size() <= 40 ? s : s.substr(0, 37) + "...");
        }
        default: return v.dump();
    }
}

std::string join(const std::vector<std::string_view>& names) {
    std::string out;
    for (auto name : names) out += (out.empty() ? "" : ", ") + std::string(name);
    return out;
}

// The file name and the failure helper shared by every step.
struct Context {
    const std::string& file;
    // Set in the planning pass that runs before anything is built (docs/reliability.md, "Size
    // limits"): every generator charges its predicted connections here and builds nothing.
    ConnectionBudget* budget = nullptr;

    [[noreturn]] void fail(const std::string& place, const std::string& problem) const {
        throw InputError(file, place, problem);
    }

    // In the planning pass, charges `connections` (refusing the layer over the limit) and returns
    // true: the caller returns without building. `what` names the parameters behind the count.
    bool planned(std::uint64_t connections, const std::string& place, const std::string& what) const {
        if (budget == nullptr) return false;
        budget->charge(connections, place, what);
        return true;
    }
};

std::string at_n(token_t n) { return "at n = " + std::to_string(n); }

// ---------------------------------------------------------------------------------------------
// Step 1: structure.

enum class Form {
    attend, mask, union_of, intersect, causal, dense, sliding_window, dilated_window, strided, fixed, star, global_tokens,
    longformer, bigbird, random, block_sparse
};

struct ParamSpec {
    std::string_view name;
    bool required;
};

struct FormSpec {
    std::string_view name;
    Form form;
    std::vector<ParamSpec> params;
};

const std::vector<FormSpec>& form_specs() {
    static const std::vector<FormSpec> specs = {
        {"attend", Form::attend, {}},
        {"mask", Form::mask, {}},
        {"union", Form::union_of, {}},
        {"intersect", Form::intersect, {}},
        {"causal", Form::causal, {}},
        {"dense", Form::dense, {}},
        {"sliding_window", Form::sliding_window, {{"left", true}, {"right", true}}},
        {"dilated_window", Form::dilated_window,
         {{"left", true}, {"right", true}, {"dilation", true}}},
        {"strided", Form::strided, {{"stride", true}, {"part", false}}},
        {"fixed", Form::fixed,
         {{"block", true}, {"summary", true}, {"order", false}, {"part", false}}},
        {"star", Form::star, {{"relay", false}, {"ring", false}}},
        {"global_tokens", Form::global_tokens, {{"tokens", true}, {"self", false}}},
        {"longformer", Form::longformer,
         {{"window", false}, {"left", false}, {"right", false}, {"global", true}}},
        {"bigbird", Form::bigbird, {{"block", false}, {"random_blocks", false}, {"seed", false}}},
        {"random", Form::random, {{"edges", true}, {"seed", false}, {"self", false}}},
        {"block_sparse", Form::block_sparse, {{"block", false}, {"layout", true}, {"blocks", false}}},
    };
    return specs;
}

std::string known_forms() {
    std::vector<std::string_view> names;
    for (const auto& spec : form_specs()) names.push_back(spec.name);
    return join(names);
}

// One layer of the file as written, before n is known. Generators and the explicit form point at
// their value in the document; unions own their children.
struct LayerSpec {
    const FormSpec* spec = nullptr;
    std::string body;           // path of the form's value, e.g. layers[1].attend
    const json* value = nullptr;
    std::vector<LayerSpec> children;  // union only
};

void check_parameter_names(const Context& ctx, const FormSpec& spec, const json& params,
                           const std::string& body) {
    if (!params.is_object())
        ctx.fail(body, "the parameters of " + std::string(spec.name) +
                           " must be an object (e.g. {}), got " + describe(params));
    std::vector<std::string_view> allowed;
    for (const auto& p : spec.params) allowed.push_back(p.name);
    for (const auto& [key, value] : params.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            ctx.fail(key_path(body, key),
                     "unknown parameter " + quote(key) + " of " + std::string(spec.name) +
                         (allowed.empty() ? " (it takes none)" : " (allowed: " + join(allowed) + ")"));
    }
    for (const auto& p : spec.params)
        if (p.required && !params.contains(p.name))
            ctx.fail(body, "missing parameter \"" + std::string(p.name) + "\" of " +
                               std::string(spec.name));
}

// Rules between parameters that the per-name table cannot state.
// `inside`: "a union" or "an intersection" when the layer is a member of one (it must then give one
// layer), nullptr at the top level.
void check_parameter_combinations(const Context& ctx, const LayerSpec& layer, const char* inside) {
    const json& params = *layer.value;
    const std::string& body = layer.body;
    switch (layer.spec->form) {
        case Form::strided:
        case Form::fixed: {
            const bool strided = layer.spec->form == Form::strided;
            if (inside != nullptr && !params.contains("part"))
                ctx.fail(body, std::string(layer.spec->name) + " produces two layers; inside " + inside + " " +
                                   "pick one with \"part\": " +
                                   (strided ? "\"local\" or \"strided\"" : "\"block\" or \"summary\""));
            if (!strided && params.contains("part") && params.contains("order"))
                ctx.fail(key_path(body, "order"),
                         "\"order\" has no effect together with \"part\" (one layer); remove one");
            break;
        }
        case Form::longformer: {
            const bool window = params.contains("window");
            const bool left = params.contains("left"), right = params.contains("right");
            if (window && (left || right))
                ctx.fail(key_path(body, "window"),
                         "give either \"window\" (one-sided, left = right) or \"left\" and \"right\", "
                         "not both");
            if (!window && !(left && right))
                ctx.fail(body, std::string("missing parameter \"") +
                                   (left ? "right" : right ? "left" : "window") +
                                   "\" of longformer (give \"window\" or \"left\" and \"right\")");
            break;
        }
        default: break;
    }
}

LayerSpec parse_layer_spec(const Context& ctx, const json& layer, const std::string& at, int depth,
                           const char* inside) {
    if (!layer.is_object())
        ctx.fail(at, "a layer must be an object with one key naming its form (" + known_forms() +
                         "), got " + describe(layer));
    if (layer.size() != 1) {
        std::string keys;
        for (const auto& [key, value] : layer.items()) keys += (keys.empty() ? "" : ", ") + quote(key);
        ctx.fail(at, "a layer must have exactly one key naming its form, found " +
                         std::to_string(layer.size()) + (keys.empty() ? "" : " (" + keys + ")"));
    }
    const auto first = layer.begin();
    const std::string& key = first.key();
    const json& value = first.value();
    LayerSpec spec;
    spec.body = key_path(at, key);
    spec.value = &value;
    for (const auto& s : form_specs())
        if (s.name == key) spec.spec = &s;
    if (spec.spec == nullptr)
        ctx.fail(spec.body, "unknown layer form " + quote(key) + " (known: " + known_forms() + ")");
    switch (spec.spec->form) {
        case Form::attend:
            if (!value.is_array())
                ctx.fail(spec.body, "\"attend\" must be a list holding one list of attended tokens "
                                    "per token, got " + describe(value));
            if (value.empty())
                ctx.fail(spec.body, "\"attend\" must hold one list per token, and n >= 1");
            break;
        case Form::mask:
            if (!value.is_array())
                ctx.fail(spec.body, "\"mask\" must be a list holding one row per query token (a string of "
                                    "'0'/'1' or a list of 0/1), got " + describe(value));
            if (value.empty())
                ctx.fail(spec.body, "\"mask\" must hold one row per token, and n >= 1");
            break;
        case Form::union_of:
        case Form::intersect: {
            const bool is_union = spec.spec->form == Form::union_of;
            if (!value.is_array() || value.empty())
                ctx.fail(spec.body, "\"" + key + "\" must be a non-empty list of layers, got " +
                                        (value.is_array() ? std::string("an empty list") : describe(value)));
            if (depth >= max_union_depth)
                ctx.fail(spec.body, "unions and intersections nested deeper than " +
                                        std::to_string(max_union_depth) + " levels");
            for (std::size_t i = 0; i < value.size(); ++i)
                spec.children.push_back(parse_layer_spec(ctx, value[i], index_path(spec.body, i), depth + 1,
                                                         is_union ? "a union" : "an intersection"));
            break;
        }
        case Form::causal:
            // {} is the causal mask itself, A_k = {0..k}; a layer is that layer's causal part.
            if (!value.is_object())
                ctx.fail(spec.body, "\"causal\" takes {} (the causal mask A_k = {0..k}) or a layer (its causal "
                                    "part), got " + describe(value));
            if (depth >= max_union_depth)
                ctx.fail(spec.body, "unions and intersections nested deeper than " +
                                        std::to_string(max_union_depth) + " levels");
            if (!value.empty()) spec.children.push_back(parse_layer_spec(ctx, value, spec.body, depth + 1, inside));
            break;
        default:
            check_parameter_names(ctx, *spec.spec, value, spec.body);
            check_parameter_combinations(ctx, spec, inside);
    }
    return spec;
}

// ---------------------------------------------------------------------------------------------
// Step 2: n.

// Integer JSON numbers only: 1e3 and 3.0 are floats in JSON and rejected rather than rounded.
std::optional<std::int64_t> json_int64(const json& v) {
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u > std::uint64_t(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
        return std::int64_t(u);
    }
    if (v.is_number_integer()) return v.get<std::int64_t>();
    return std::nullopt;
}

token_t parse_n(const Context& ctx, const json& v) {
    const auto value = json_int64(v);
    if (!v.is_number_integer())
        ctx.fail("n", "n must be a positive integer, got " + describe(v));
    if (!value || *value > max_n)
        ctx.fail("n", "n = " + describe(v) + " is too large (at most " + std::to_string(max_n) + ")");
    if (*value <= 0) ctx.fail("n", "n must be a positive integer, got " + describe(v));
    return token_t(*value);
}

// The first explicit layer (document order) fixes n for all of them.
struct ExplicitSize {
    const LayerSpec* layer = nullptr;
    std::size_t lists = 0;
};

// "lists" of an attend layer, "rows" of a mask.
std::string units(const LayerSpec& layer, std::size_t count) {
    return std::to_string(count) + (layer.spec->form == Form::mask ? " rows" : " lists");
}

void find_explicit(const Context& ctx, const LayerSpec& layer, ExplicitSize& found) {
    if (!layer.children.empty()) {
        for (const auto& child : layer.children) find_explicit(ctx, child, found);
        return;
    }
    if (layer.spec->form != Form::attend && layer.spec->form != Form::mask) return;
    const std::size_t lists = layer.value->size();
    if (lists > std::size_t(max_n))
        ctx.fail(layer.body, "has " + units(layer, lists) + ", more than the " + std::to_string(max_n) +
                                 " tokens supported");
    if (found.layer == nullptr) {
        found = {&layer, lists};
    } else if (lists != found.lists) {
        ctx.fail(layer.body, "has " + units(layer, lists) + " but " + found.layer->body + " has " +
                                 units(*found.layer, found.lists) + " (all layers share one n: one " +
                                 (layer.spec->form == Form::mask ? "row" : "list") + " per token)");
    }
}

token_t resolve_n(const Context& ctx, const std::vector<LayerSpec>& layers,
                  std::optional<token_t> file_n, std::optional<std::uint64_t> n_override) {
    if (n_override && (*n_override == 0 || *n_override > std::uint64_t(max_n)))
        ctx.fail("", "--n " + std::to_string(*n_override) + " is not a valid number of tokens (1.." +
                         std::to_string(max_n) + ")");
    ExplicitSize found;
    for (const auto& layer : layers) find_explicit(ctx, layer, found);
    if (found.layer != nullptr) {
        const auto lists = token_t(found.lists);
        const std::string one = found.layer->spec->form == Form::mask ? "row" : "list";
        if (file_n && *file_n != lists)
            ctx.fail(found.layer->body, "has " + units(*found.layer, lists) + ", expected n = " +
                                            std::to_string(*file_n) + " (one " + one + " per token)");
        if (n_override && *n_override != lists)
            ctx.fail(found.layer->body, "--n " + std::to_string(*n_override) +
                                            " disagrees with this explicit layer, which has " +
                                            units(*found.layer, lists) + " and so fixes n");
        return lists;
    }
    if (n_override) return token_t(*n_override);
    if (file_n) return *file_n;
    ctx.fail("", "n is missing and no layer fixes it; pass --n");
}

// ---------------------------------------------------------------------------------------------
// Step 3: parameters at n, and the layers.

// Reads the parameters of one generator at a known n, each checked at its own path.
class Params {
public:
    Params(const Context& ctx, const LayerSpec& layer, token_t n)
        : ctx_(ctx), params_(*layer.value), body_(layer.body), n_(n) {}

    bool has(std::string_view name) const { return params_.contains(name); }
    std::string place(std::string_view name) const { return key_path(body_, name); }
    const std::string& body() const { return body_; }
    const json& raw(std::string_view name) const { return params_.at(std::string(name)); }

    // An integer or an expression over n, in lo..hi; `fallback` (an expression) when absent.
    std::int64_t integer(std::string_view name, std::int64_t lo, std::int64_t hi,
                         std::string_view fallback = {}) const {
        if (!has(name)) return evaluate_default(name, fallback, lo, hi);
        return integer_at(params_.at(std::string(name)), place(name), name, lo, hi);
    }
    token_t count(std::string_view name, std::int64_t lo, std::string_view fallback = {}) const {
        return token_t(integer(name, lo, max_n, fallback));
    }
    token_t token(std::string_view name, std::string_view fallback = {}) const {
        return token_t(integer(name, 0, std::int64_t(n_) - 1, fallback));
    }

    // A list of tokens (integers or expressions), duplicates allowed.
    std::vector<token_t> tokens(std::string_view name) const {
        const json& list = params_.at(std::string(name));
        const std::string at = place(name);
        if (!list.is_array())
            ctx_.fail(at, std::string(name) + " must be a list of tokens, got " + describe(list));
        std::vector<token_t> out;
        out.reserve(list.size());
        for (std::size_t i = 0; i < list.size(); ++i)
            out.push_back(token_t(integer_at(list[i], index_path(at, i), "token", 0,
                                             std::int64_t(n_) - 1)));
        return out;
    }

    bool flag(std::string_view name, bool fallback) const {
        if (!has(name)) return fallback;
        const json& v = params_.at(std::string(name));
        if (!v.is_boolean())
            ctx_.fail(place(name), std::string(name) + " must be true or false, got " + describe(v));
        return v.get<bool>();
    }

    // Seeds span all of uint64 and are never expressions (they do not scale with n).
    std::uint64_t seed(std::string_view name) const {
        if (!has(name)) return 0;
        const json& v = params_.at(std::string(name));
        if (v.is_number_unsigned()) return v.get<std::uint64_t>();
        if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return std::uint64_t(v.get<std::int64_t>());
        ctx_.fail(place(name), std::string(name) + " must be an integer in 0..18446744073709551615, got " +
                                   describe(v));
    }

    std::string choice(std::string_view name, const std::vector<std::string_view>& options,
                       std::string_view fallback) const {
        if (!has(name)) return std::string(fallback);
        const json& v = params_.at(std::string(name));
        if (v.is_string()) {
            const auto& s = v.get_ref<const std::string&>();
            if (std::find(options.begin(), options.end(), s) != options.end()) return s;
        }
        std::string list;
        for (auto o : options) list += (list.empty() ? "\"" : ", \"") + std::string(o) + "\"";
        ctx_.fail(place(name), std::string(name) + " must be one of " + list + ", got " + describe(v));
    }

    std::int64_t integer_at(const json& v, const std::string& at, std::string_view what,
                            std::int64_t lo, std::int64_t hi) const {
        std::int64_t value = 0;
        std::string shown;
        if (v.is_string()) {
            const auto& text = v.get_ref<const std::string&>();
            try {
                value = evaluate_size_expression(text, n_);
            } catch (const ExpressionError& e) {
                ctx_.fail(at, "invalid expression " + describe(v) + ": " + e.what());
            }
            shown = describe(v) + " = " + std::to_string(value);
        } else if (v.is_number_integer()) {
            const auto parsed = json_int64(v);
            if (!parsed)
                ctx_.fail(at, std::string(what) + " = " + describe(v) + " is too large (at most " +
                                  std::to_string(hi) + ")");
            value = *parsed;
            shown = std::to_string(value);
        } else {
            ctx_.fail(at, std::string(what) + " must be an integer or an expression over n (a string), got " +
                              describe(v));
        }
        check_range(at, what, shown, value, lo, hi);
        return value;
    }

private:
    std::int64_t evaluate_default(std::string_view name, std::string_view fallback, std::int64_t lo,
                                  std::int64_t hi) const {
        if (fallback.empty()) ctx_.fail(body_, "missing parameter \"" + std::string(name) + "\"");
        const std::int64_t value = evaluate_size_expression(fallback, n_);
        check_range(body_, name, "its default \"" + std::string(fallback) + "\" = " + std::to_string(value),
                    value, lo, hi);
        return value;
    }

    void check_range(const std::string& at, std::string_view what, const std::string& shown,
                     std::int64_t value, std::int64_t lo, std::int64_t hi) const {
        if (value >= lo && value <= hi) return;
        const bool token_range = lo == 0 && hi == std::int64_t(n_) - 1;
        std::string problem = std::string(what) + " = " + shown + " is out of range: ";
        if (token_range)
            problem += "tokens are 0.." + std::to_string(hi) + " (n = " + std::to_string(n_) + ")";
        else if (value < lo)
            problem += "it must be at least " + std::to_string(lo);
        else
            problem += "it must be at most " + std::to_string(hi);
        ctx_.fail(at, problem);
    }

    const Context& ctx_;
    const json& params_;
    const std::string& body_;
    token_t n_;
};

// A CSR layer written one row at a time: `append_row(k, targets)` appends A_k in increasing order.
template <typename AppendRow>
Layer csr_by_rows(token_t n, AppendRow&& append_row) {
    std::vector<std::uint64_t> offsets;
    offsets.reserve(std::size_t(n) + 1);
    offsets.push_back(0);
    std::vector<token_t> targets;
    for (std::size_t k = 0; k < n; ++k) {
        append_row(k, targets);
        offsets.push_back(targets.size());
    }
    return Layer(std::move(offsets), std::move(targets));
}

// The explicit form: rows of tokens and [lo, hi] ranges, normalized one row at a time straight into
// CSR, so memory follows the connections (and the document), never n^2. Places are only spelled out
// when something is wrong: building a path string per entry would dominate the load time.
class ExplicitReader {
    struct Range {
        token_t lo, hi;
        std::size_t entry;  // its index in the row
        friend auto operator<=>(const Range&, const Range&) = default;
    };

public:
    ExplicitReader(const Context& ctx, const LayerSpec& layer, token_t n)
        : ctx_(ctx), body_(layer.body), rows_(*layer.value), n_(n) {}

    Layer read() {
        if (ctx_.planned(connection_bound(), body_, "the explicit form " + at_n(n_))) return {};
        return csr_by_rows(n_, [&](std::size_t k, std::vector<token_t>& targets) {
            read_row(k);
            append_row(k, targets);
        });
    }

private:
    // At most what the rows list, ranges expanded, each row capped at n. Entries that are not valid
    // tokens count one: the build reports them.
    std::uint64_t connection_bound() const {
        std::uint64_t total = 0;
        for (std::size_t k = 0; k < n_ && k < rows_.size(); ++k) {
            if (!rows_[k].is_array()) continue;
            std::uint64_t row = 0;
            for (const json& item : rows_[k]) {
                const auto lo = item.is_array() && item.size() == 2 ? json_int64(item[0]) : std::nullopt;
                const auto hi = item.is_array() && item.size() == 2 ? json_int64(item[1]) : std::nullopt;
                const bool range = lo && hi && *lo >= 0 && *lo <= *hi && *hi < std::int64_t(n_);
                row += range ? std::uint64_t(*hi - *lo) + 1 : 1;
                if (row >= n_) break;
            }
            total += std::min<std::uint64_t>(row, n_);
        }
        return total;
    }

    std::string place(std::size_t k) const { return index_path(body_, k); }
    std::string place(std::size_t k, std::size_t i) const { return index_path(place(k), i); }
    std::string place(std::size_t k, std::size_t i, std::size_t end) const {
        return index_path(place(k, i), end);
    }

    // Collects A_k as ranges, checking every entry.
    void read_row(std::size_t k) {
        const json& row = rows_[k];
        if (!row.is_array())
            ctx_.fail(place(k), "the attended set of token " + std::to_string(k) +
                                    " must be a list of tokens and [lo, hi] ranges, got " + describe(row));
        ranges_.clear();
        for (std::size_t i = 0; i < row.size(); ++i) {
            const json& item = row[i];
            if (!item.is_array()) {
                const token_t t = token(item, [&] { return place(k, i); }, "an entry");
                ranges_.push_back({t, t, i});
                continue;
            }
            if (item.size() != 2)
                ctx_.fail(place(k, i), "a range must be [lo, hi] (two tokens), got a list of " +
                                           std::to_string(item.size()));
            const token_t lo = token(item[0], [&] { return place(k, i, 0); }, "lo");
            const token_t hi = token(item[1], [&] { return place(k, i, 1); }, "hi");
            if (lo > hi)
                ctx_.fail(place(k, i), "range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                           "] has lo > hi");
            ranges_.push_back({lo, hi, i});
        }
    }

    // Writes A_k in increasing order. A token listed twice (repeated, or inside two ranges) is bad
    // input: a 0/1 mask row pasted here reads as the tokens 0 and 1, each many times, and would
    // silently give a different pattern (docs/pattern-format.md, "Explicit form").
    void append_row(std::size_t k, std::vector<token_t>& targets) {
        std::sort(ranges_.begin(), ranges_.end());
        // Sorted by lo: a range overlaps an earlier one iff it starts at or below their largest hi.
        std::size_t reach = 0;  // the earlier range with the largest hi
        for (std::size_t r = 1; r < ranges_.size(); ++r) {
            if (ranges_[r].lo <= ranges_[reach].hi) duplicate(k, ranges_[r].lo, ranges_[reach], ranges_[r]);
            if (ranges_[r].hi > ranges_[reach].hi) reach = r;
        }
        for (const Range& range : ranges_)
            for (std::uint64_t j = range.lo; j <= range.hi; ++j) targets.push_back(token_t(j));
    }

    [[noreturn]] void duplicate(std::size_t k, token_t j, const Range& a, const Range& b) const {
        const std::size_t first = std::min(a.entry, b.entry), second = std::max(a.entry, b.entry);
        // Every entry a plain 0 or 1: this row is most likely a row of a 0/1 matrix.
        const json& row = rows_[k];
        const bool zero_one = std::all_of(row.begin(), row.end(), [](const json& v) {
            return v.is_number_integer() && (v == json(0) || v == json(1));
        });
        ctx_.fail(place(k, second),
                  "token " + std::to_string(j) + " appears twice in " + place(k) + " (entries " +
                      std::to_string(first) + " and " + std::to_string(second) + "); " +
                      (zero_one ? "for a 0/1 matrix use {\"mask\": ...}"
                                : "list each attended token once (ranges must not overlap)"));
    }

    template <typename Place>
    token_t token(const json& v, Place where, std::string_view what) const {
        if (!v.is_number_integer())
            ctx_.fail(where(), std::string(what) + " must be a token (an integer), got " + describe(v));
        const auto value = json_int64(v);
        if (!value || *value < 0 || *value >= std::int64_t(n_))
            ctx_.fail(where(), "token " + describe(v) + " is out of range: tokens are 0.." +
                                   std::to_string(n_ - 1) + " (n = " + std::to_string(n_) + ")");
        return token_t(*value);
    }

    const Context& ctx_;
    const std::string& body_;
    const json& rows_;
    token_t n_;
    std::vector<Range> ranges_;
};

// The 0/1 matrix form: row k is the mask row of query k, a string of '0'/'1' or a list of 0/1 (or
// false/true); column j = 1 means k attends to j. Read straight into CSR, one row at a time.
class MaskReader {
public:
    MaskReader(const Context& ctx, const LayerSpec& layer, token_t n)
        : ctx_(ctx), body_(layer.body), rows_(*layer.value), n_(n) {}

    Layer read() {
        if (ctx_.planned(ones(), body_, "the mask form " + at_n(n_))) return {};
        return csr_by_rows(n_, [&](std::size_t k, std::vector<token_t>& targets) {
            const json& row = rows_[k];
            if (row.is_string()) {
                const auto& text = row.get_ref<const std::string&>();
                check_length(k, text.size(), "characters");
                for (std::size_t j = 0; j < text.size(); ++j) {
                    if (text[j] == '1') targets.push_back(token_t(j));
                    else if (text[j] != '0') bad_character(k, j, text[j]);
                }
            } else if (row.is_array()) {
                check_length(k, row.size(), "entries");
                for (std::size_t j = 0; j < row.size(); ++j) {
                    const json& v = row[j];
                    const bool one = v == json(1) || v == json(true);
                    if (!(v.is_boolean() || v.is_number_integer()) || !(one || v == json(0) || v == json(false)))
                        ctx_.fail(index_path(place(k), j), "a mask entry must be 0 or 1 (or false/true), got " +
                                                               describe(v));
                    if (one) targets.push_back(token_t(j));
                }
            } else {
                ctx_.fail(place(k), "a mask row must be a string of '0'/'1' or a list of 0/1, got " + describe(row));
            }
        });
    }

private:
    std::string place(std::size_t k) const { return index_path(body_, k); }

    // The connections: the 1 entries (each row counted up to n; bad rows are reported by the build).
    std::uint64_t ones() const {
        std::uint64_t total = 0;
        for (std::size_t k = 0; k < n_ && k < rows_.size(); ++k) {
            const json& row = rows_[k];
            std::uint64_t count = 0;
            if (row.is_string()) {
                const auto& text = row.get_ref<const std::string&>();
                count = std::uint64_t(std::count(text.begin(), text.end(), '1'));
            } else if (row.is_array()) {
                for (const json& v : row) count += v == json(1) || v == json(true);
            }
            total += std::min<std::uint64_t>(count, n_);
        }
        return total;
    }

    void check_length(std::size_t k, std::size_t length, const char* what) const {
        if (length != n_)
            ctx_.fail(place(k), "row " + std::to_string(k) + " has " + std::to_string(length) + " " + what +
                                    ", expected " + std::to_string(n_) +
                                    " (the mask is square: one row and one column per token)");
    }

    [[noreturn]] void bad_character(std::size_t k, std::size_t j, char c) const {
        const std::string shown = c >= 0x20 && c < 0x7f ? std::string("'") + c + "'"
                                                        : "byte " + std::to_string(int(static_cast<unsigned char>(c)));
        ctx_.fail(place(k), "character " + std::to_string(j) + " (column " + std::to_string(j) + ") is " + shown +
                                ": a mask row string holds only '0' and '1'");
    }

    const Context& ctx_;
    const std::string& body_;
    const json& rows_;
    token_t n_;
};

std::vector<Layer> build_layer(const Context& ctx, const LayerSpec& layer, token_t n);

// A one-layer result, moved (an initializer list would copy the layer: two copies at the peak).
std::vector<Layer> one(Layer&& layer) {
    std::vector<Layer> layers;
    layers.push_back(std::move(layer));
    return layers;
}

Layer build_union(const Context& ctx, const LayerSpec& layer, token_t n) {
    std::vector<Layer> parts;
    for (const auto& child : layer.children)
        for (auto& built : build_layer(ctx, child, n)) parts.push_back(std::move(built));
    // The parts were charged: they bound the union, which is built from them.
    if (ctx.budget != nullptr) return {};
    if (parts.size() == 1) return std::move(parts.front());
    return union_of(parts);
}

// {"causal": {}}: the causal mask itself.
bool bare_causal(const LayerSpec& layer) { return layer.spec->form == Form::causal && layer.children.empty(); }

Layer causal_mask(const Context& ctx, const LayerSpec& layer, token_t n) {
    if (ctx.planned(predict::sliding_window(n, n - 1, 0), layer.body, "the causal mask " + at_n(n))) return {};
    return families::sliding_window(n, n - 1, 0);
}

// {"causal": LAYER}: the causal part of every layer LAYER gives (two for strided and fixed at the
// top level). Restricting each row to {0..k} builds no causal mask, so only LAYER is charged.
std::vector<Layer> build_causal(const Context& ctx, const LayerSpec& layer, token_t n) {
    if (bare_causal(layer)) return one(causal_mask(ctx, layer, n));
    auto layers = build_layer(ctx, layer.children.front(), n);
    if (ctx.budget != nullptr) return {};
    for (Layer& l : layers) l = causal_part(l);
    return layers;
}

// {"intersect": [...]}: a member {"causal": {}} is applied as the causal part (not built); the
// other members are built (and charged, as in a union) and intersected.
Layer build_intersection(const Context& ctx, const LayerSpec& layer, token_t n) {
    std::vector<Layer> parts;
    bool causal = false;
    for (const auto& child : layer.children) {
        if (bare_causal(child)) {
            causal = true;
            continue;
        }
        for (auto& built : build_layer(ctx, child, n)) parts.push_back(std::move(built));
    }
    if (parts.empty()) return causal_mask(ctx, layer, n);
    if (ctx.budget != nullptr) return {};
    Layer result = parts.size() == 1 ? std::move(parts.front()) : intersection_of(parts);
    return causal ? causal_part(result) : result;
}

// A block index inside a layout of nb blocks (an integer or an expression over n).
token_t block_index(const Params& p, const json& v, const std::string& at, token_t nb) {
    return token_t(p.integer_at(v, at, "block index", 0, std::int64_t(nb) - 1));
}

// The 0/1 matrix form: layout[qb][kb], nb x nb; entries 0/1 or false/true.
Layer build_block_matrix(const Context& ctx, const Params& p, const json& layout, token_t n, token_t b) {
    const std::string at = p.place("layout");
    const std::size_t nb = layout.size();
    // Rows are allocated only once checked, so memory never exceeds what the document holds.
    std::vector<std::vector<std::uint8_t>> matrix(nb);
    for (std::size_t qb = 0; qb < nb; ++qb) {
        const json& row = layout[qb];
        const std::string row_at = index_path(at, qb);
        if (!row.is_array())
            ctx.fail(row_at, "a layout row must be a list of 0/1 entries, got " + describe(row) +
                                 " (for [qb, kb] pairs give \"blocks\" too)");
        if (row.size() != nb)
            ctx.fail(row_at, "has " + std::to_string(row.size()) + " entries, expected " +
                                 std::to_string(nb) + " (the layout must be square, nb x nb)");
        matrix[qb].resize(nb);
        for (std::size_t kb = 0; kb < nb; ++kb) {
            const json& v = row[kb];
            const bool zero = v == json(0) || v == json(false);
            const bool one = v == json(1) || v == json(true);
            if (!(v.is_boolean() || v.is_number_integer()) || !(zero || one))
                ctx.fail(index_path(row_at, kb), "a layout entry must be 0 or 1, got " + describe(v));
            matrix[qb][kb] = one ? 1 : 0;
        }
    }
    if (std::uint64_t(n) > std::uint64_t(nb) * b)
        ctx.fail(at, "the layout has " + std::to_string(nb) + " blocks of " + std::to_string(b) +
                         " = " + std::to_string(std::uint64_t(nb) * b) +
                         " tokens, fewer than n = " + std::to_string(n));
    if (ctx.planned(predict::block_sparse(n, b, matrix), p.body(),
                    "a " + std::to_string(nb) + " x " + std::to_string(nb) + " layout of block " +
                        std::to_string(b) + " " + at_n(n)))
        return {};
    return families::block_sparse(n, b, matrix);
}

// The pairs form: "blocks": nb and "layout": [[qb, kb], ...]; memory follows the pairs.
Layer build_block_pairs(const Context& ctx, const Params& p, const json& layout, token_t n, token_t b) {
    const std::string at = p.place("layout");
    const token_t nb = p.count("blocks", 1);
    std::vector<families::BlockPair> pairs;
    pairs.reserve(layout.size());
    for (std::size_t i = 0; i < layout.size(); ++i) {
        const json& pair = layout[i];
        const std::string pair_at = index_path(at, i);
        if (!pair.is_array() || pair.size() != 2)
            ctx.fail(pair_at, "with \"blocks\", layout entries must be [query block, key block] pairs, got " +
                                  (pair.is_array() ? "a list of " + std::to_string(pair.size())
                                                   : describe(pair)));
        pairs.push_back({block_index(p, pair[0], index_path(pair_at, 0), nb),
                         block_index(p, pair[1], index_path(pair_at, 1), nb)});
    }
    if (std::uint64_t(n) > std::uint64_t(nb) * b)
        ctx.fail(p.place("blocks"), "the layout has " + std::to_string(nb) + " blocks of " +
                                        std::to_string(b) + " = " + std::to_string(std::uint64_t(nb) * b) +
                                        " tokens, fewer than n = " + std::to_string(n));
    if (ctx.planned(predict::block_sparse(n, b, nb, pairs), p.body(),
                    std::to_string(pairs.size()) + " block pairs of block " + std::to_string(b) + " " + at_n(n)))
        return {};
    return families::block_sparse(n, b, nb, pairs);
}

Layer build_block_sparse(const Context& ctx, const Params& p, token_t n) {
    // 16 is the block size of DeepSpeed's SparsityConfig and xformers' BlockSparseAttention.
    const token_t b = p.count("block", 1, "16");
    const json& layout = p.raw("layout");
    if (!layout.is_array() || layout.empty())
        ctx.fail(p.place("layout"), "layout must be a non-empty list (rows of 0/1, or [qb, kb] pairs "
                                    "with \"blocks\"), got " +
                                        (layout.is_array() ? std::string("an empty list") : describe(layout)));
    if (p.has("blocks")) return build_block_pairs(ctx, p, layout, n, b);
    return build_block_matrix(ctx, p, layout, n, b);
}

Layer build_bigbird(const Context& ctx, const Params& p, token_t n) {
    // Defaults of google-research/bigbird and Hugging Face: block 64, 3 random blocks.
    const token_t b = p.count("block", 1, "64");
    const std::uint64_t nb = (std::uint64_t(n) + b - 1) / b;
    if (nb < 5)
        ctx.fail(p.has("block") ? p.place("block") : p.body(),
                 "BigBird needs at least 5 blocks (ITC: 2 global blocks and a 3-block band), but n = " +
                     std::to_string(n) + " with block " + std::to_string(b) + " gives " + std::to_string(nb) +
                     "; use block <= " + std::to_string(std::max<std::uint64_t>(1, (n - 1) / 4)) +
                     " or n >= " + std::to_string(4 * std::uint64_t(b) + 1));
    const token_t r = p.count("random_blocks", 0, "3");
    const std::uint64_t seed = p.seed("seed");
    if (ctx.planned(predict::bigbird(n, b, r), p.body(),
                    "block " + std::to_string(b) + ", random_blocks " + std::to_string(r) + " " + at_n(n)))
        return {};
    return families::bigbird(n, b, r, seed);
}

Layer build_longformer(const Context& ctx, const Params& p, token_t n) {
    token_t left = 0, right = 0;
    if (p.has("window")) {
        left = right = p.count("window", 0);
    } else {
        left = p.count("left", 0);
        right = p.count("right", 0);
    }
    const std::vector<token_t> global = p.tokens("global");
    if (ctx.planned(predict::longformer(n, left, right, global), p.body(),
                    "left " + std::to_string(left) + ", right " + std::to_string(right) + " and " +
                        std::to_string(global.size()) + " global tokens " + at_n(n)))
        return {};
    return families::longformer(n, left, right, global);
}

std::vector<Layer> build_strided(const Context& ctx, const Params& p, token_t n) {
    const token_t c = p.count("stride", 1);
    const bool part = p.has("part");
    const bool local = part && p.choice("part", {"local", "strided"}, "") == "local";
    const auto predicted = predict::strided(n, c);
    if (ctx.planned(part ? predicted[local ? 0 : 1] : predicted[0] + predicted[1], p.body(),
                    "stride " + std::to_string(c) + " " + at_n(n)))
        return {};
    auto layers = families::strided(n, c);
    if (!part) return layers;
    return one(std::move(layers[local ? 0 : 1]));
}

std::vector<Layer> build_fixed(const Context& ctx, const Params& p, token_t n) {
    const token_t l = p.count("block", 1);
    const token_t c = p.count("summary", 1);
    if (c > l)
        ctx.fail(p.place("summary"), "summary = " + std::to_string(c) +
                                         " is out of range: it must be at most block = " + std::to_string(l));
    const auto predicted = predict::fixed(n, l, c);
    const std::string what = "block " + std::to_string(l) + ", summary " + std::to_string(c) + " " + at_n(n);
    if (p.has("part")) {
        const bool block = p.choice("part", {"block", "summary"}, "") == "block";
        if (ctx.planned(predicted[block ? 0 : 1], p.body(), what)) return {};
        auto layers = families::fixed(n, l, c, families::FixedOrder::block_first);
        return one(std::move(layers[block ? 0 : 1]));
    }
    const bool block_first = p.choice("order", {"block-first", "summary-first"}, "block-first") == "block-first";
    if (ctx.planned(predicted[0] + predicted[1], p.body(), what)) return {};
    return families::fixed(n, l, c,
                           block_first ? families::FixedOrder::block_first : families::FixedOrder::summary_first);
}

std::vector<Layer> build_generator(const Context& ctx, const LayerSpec& layer, token_t n) {
    const Params p(ctx, layer, n);
    const std::string& at = layer.body;
    switch (layer.spec->form) {
        case Form::dense:
            if (ctx.planned(predict::dense(n), at, at_n(n))) return {};
            return one(families::dense(n));
        case Form::sliding_window: {
            const token_t left = p.count("left", 0), right = p.count("right", 0);
            if (ctx.planned(predict::sliding_window(n, left, right), at,
                            "left " + std::to_string(left) + ", right " + std::to_string(right) + " " + at_n(n)))
                return {};
            return one(families::sliding_window(n, left, right));
        }
        case Form::dilated_window: {
            const token_t left = p.count("left", 0), right = p.count("right", 0), dilation = p.count("dilation", 1);
            if (ctx.planned(predict::dilated_window(n, left, right, dilation), at,
                            "left " + std::to_string(left) + ", right " + std::to_string(right) + ", dilation " +
                                std::to_string(dilation) + " " + at_n(n)))
                return {};
            return one(families::dilated_window(n, left, right, dilation));
        }
        case Form::strided: return build_strided(ctx, p, n);
        case Form::fixed: return build_fixed(ctx, p, n);
        case Form::star: {
            // Star-Transformer's code (fastNLP) has no ring wrap-around, hence ring = false.
            const token_t relay = p.token("relay", "n-1");
            const bool ring = p.flag("ring", false);
            if (ctx.planned(predict::star(n, relay, ring), at, at_n(n))) return {};
            return one(families::star(n, relay, ring));
        }
        case Form::global_tokens: {
            const std::vector<token_t> tokens = p.tokens("tokens");
            const bool self = p.flag("self", true);
            if (ctx.planned(predict::global_tokens(n, tokens, self), at,
                            std::to_string(tokens.size()) + " global tokens " + at_n(n)))
                return {};
            return one(families::global_tokens(n, tokens, self));
        }
        case Form::longformer: return one(build_longformer(ctx, p, n));
        case Form::bigbird: return one(build_bigbird(ctx, p, n));
        case Form::random: {
            const token_t edges = p.count("edges", 0);
            const std::uint64_t seed = p.seed("seed");
            const bool self = p.flag("self", true);
            if (ctx.planned(predict::random(n, edges, self), at, "edges " + std::to_string(edges) + " " + at_n(n)))
                return {};
            return one(families::random(n, edges, seed, self));
        }
        case Form::block_sparse: return one(build_block_sparse(ctx, p, n));
        default: break;
    }
    ctx.fail(layer.body, "internal error: no generator for this form");
}

std::vector<Layer> build_layer(const Context& ctx, const LayerSpec& layer, token_t n) {
    switch (layer.spec->form) {
        case Form::attend: return one(ExplicitReader(ctx, layer, n).read());
        case Form::mask: return one(MaskReader(ctx, layer, n).read());
        case Form::union_of: return one(build_union(ctx, layer, n));
        case Form::intersect: return one(build_intersection(ctx, layer, n));
        case Form::causal: return build_causal(ctx, layer, n);
        default: return build_generator(ctx, layer, n);
    }
}

// The top-level "extra_tokens": tokens (integers or expressions over n) that are not part of the
// input sequence. Read like a generator's token list, at the places extra_tokens[i].
std::vector<token_t> parse_extra_tokens(const Context& ctx, const json& doc, token_t n) {
    LayerSpec top;
    top.value = &doc;
    auto extra = Params(ctx, top, n).tokens("extra_tokens");
    std::sort(extra.begin(), extra.end());
    extra.erase(std::unique(extra.begin(), extra.end()), extra.end());
    if (extra.size() >= n)
        ctx.fail("extra_tokens", "all " + std::to_string(n) + " tokens are extra: at least one token must be "
                                 "an input token");
    return extra;
}

// ---------------------------------------------------------------------------------------------
// JSON text: a SAX builder that also refuses duplicate keys (nlohmann would silently keep the last
// one) and absurd nesting, reporting both at their JSON path.

// "line L, column C" of the byte nlohmann reports (1-based index of the last character it read).
std::string line_column(const std::string& text, std::size_t byte) {
    const std::size_t index = std::min(byte == 0 ? 0 : byte - 1, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + std::ptrdiff_t(index), '\n');
    const std::size_t newline = index == 0 ? std::string::npos : text.rfind('\n', index - 1);
    const std::size_t column = newline == std::string::npos ? index + 1 : index - newline;
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// nlohmann's message without its "[json.exception.parse_error.101] parse error at ...: " prefix,
// since the place already says where.
std::string parse_problem(const std::string& what) {
    const auto start = what.find("parse error");
    const auto colon = start == std::string::npos ? start : what.find(": ", start);
    if (colon == std::string::npos) return what;
    return what.substr(colon + 2);
}

class DomBuilder {
public:
    DomBuilder(const std::string& text, const std::string& file) : text_(text), ctx_{file} {}

    json take() { return std::move(root_); }

    bool null() { return add(json(nullptr)); }
    bool boolean(bool v) { return add(json(v)); }
    bool number_integer(json::number_integer_t v) { return add(json(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return add(json(v)); }
    bool number_float(json::number_float_t v, const json::string_t&) { return add(json(v)); }
    bool string(json::string_t& v) { return add(json(std::move(v))); }
    bool binary(json::binary_t& v) { return add(json::binary(std::move(v))); }
    bool start_object(std::size_t) { return open(json::object()); }
    bool start_array(std::size_t) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(json::string_t& k) {
        const json& object = *open_.back().value;
        if (object.contains(k))
            ctx_.fail(key_path(path(), k), "duplicate key " + quote(k) + " (a JSON object must not repeat a key)");
        key_ = std::move(k);
        return true;
    }

    bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception& ex) {
        ctx_.fail(line_column(text_, position), parse_problem(ex.what()));
    }

private:
    struct Open {
        json* value;
        std::string key;  // its key in the parent, when the parent is an object
    };

    json* insert(json&& v) {
        if (open_.empty()) {
            root_ = std::move(v);
            return &root_;
        }
        json& parent = *open_.back().value;
        if (parent.is_array()) {
            parent.get_ref<json::array_t&>().push_back(std::move(v));
            return &parent.get_ref<json::array_t&>().back();
        }
        return &parent.get_ref<json::object_t&>().emplace(key_, std::move(v)).first->second;
    }
    bool add(json&& v) {
        insert(std::move(v));
        return true;
    }
    bool open(json&& v) {
        if (open_.size() >= max_json_depth)
            ctx_.fail(path(), "JSON nested deeper than " + std::to_string(max_json_depth) + " levels");
        const bool in_object = !open_.empty() && open_.back().value->is_object();
        std::string key = in_object ? key_ : std::string();
        open_.push_back({insert(std::move(v)), std::move(key)});
        return true;
    }
    bool close() {
        open_.pop_back();
        return true;
    }

    // The JSON path of the innermost open container (an array's open child is its last element).
    std::string path() const {
        std::string at;
        for (std::size_t i = 1; i < open_.size(); ++i) {
            const json& parent = *open_[i - 1].value;
            at = parent.is_array() ? index_path(at, parent.size() - 1) : key_path(at, open_[i].key);
        }
        return at;
    }

    const std::string& text_;
    Context ctx_;
    json root_;
    std::vector<Open> open_;
    std::string key_;
};

}  // namespace

json parse_json_text(const std::string& text, const std::string& file) {
    DomBuilder builder(text, file);
    json::sax_parse(text, &builder, json::input_format_t::json, /*strict=*/true, /*ignore_comments=*/false);
    return builder.take();
}

Pattern parse_pattern(const json& doc, const std::string& file, std::optional<std::uint64_t> n_override,
                      const LoadLimits& limits) {
    const Context ctx{file};
    if (!doc.is_object())
        ctx.fail("", "the top level must be an object with \"name\" and \"layers\", got " + describe(doc));
    static const std::vector<std::string_view> top_keys = {"name", "description", "n", "extra_tokens", "layers"};
    for (const auto& [key, value] : doc.items())
        if (std::find(top_keys.begin(), top_keys.end(), key) == top_keys.end())
            ctx.fail(key, "unknown key " + quote(key) + " (allowed: " + join(top_keys) + ")");

    Pattern pattern;
    if (!doc.contains("name")) ctx.fail("", "missing key \"name\"");
    const json& name = doc.at("name");
    if (!name.is_string() || name.get_ref<const std::string&>().empty())
        ctx.fail("name", "name must be a non-empty string, got " + describe(name));
    pattern.name = name.get<std::string>();
    if (doc.contains("description")) {
        const json& description = doc.at("description");
        if (!description.is_string())
            ctx.fail("description", "description must be a string, got " + describe(description));
        pattern.description = description.get<std::string>();
    }
    std::optional<token_t> file_n;
    if (doc.contains("n")) file_n = parse_n(ctx, doc.at("n"));

    if (!doc.contains("layers")) ctx.fail("", "missing key \"layers\"");
    const json& layers = doc.at("layers");
    if (!layers.is_array())
        ctx.fail("layers", "layers must be a list of layer patterns, got " + describe(layers));
    if (layers.empty()) ctx.fail("layers", "layers is empty: a pattern needs at least one layer");
    std::vector<LayerSpec> specs;
    for (std::size_t i = 0; i < layers.size(); ++i)
        specs.push_back(parse_layer_spec(ctx, layers[i], index_path("layers", i), 0, nullptr));

    pattern.n = resolve_n(ctx, specs, file_n, n_override);
    if (doc.contains("extra_tokens")) pattern.extra_tokens = parse_extra_tokens(ctx, doc, pattern.n);
    // Predict before building: every layer is sized from its parameters, and the pattern refused
    // with one line when it would exceed the limit, before any layer is materialized.
    ConnectionBudget budget(file, limits.max_connections);
    const Context planning{file, &budget};
    for (const auto& spec : specs) build_layer(planning, spec, pattern.n);
    for (const auto& spec : specs)
        for (auto& layer : build_layer(ctx, spec, pattern.n)) pattern.layers.push_back(std::move(layer));
    validate(pattern);
    return pattern;
}

Pattern load_pattern_file(const std::string& path, std::optional<std::uint64_t> n_override,
                          const LoadLimits& limits) {
    const std::string name = path == "-" ? stdin_name : path;
    const InputFileLimits file_limits{default_max_input_bytes(), "the most that fits in memory once parsed"};
    return parse_pattern(parse_json_text(read_input_file(path, name, file_limits), name), name, n_override, limits);
}

void write_explicit_json(const Pattern& pattern, std::ostream& out) {
    // The bytes of nlohmann's dump() of the same document (keys in sorted order), written row by
    // row so that no second copy of the pattern is built.
    out << "{";
    if (!pattern.description.empty()) out << "\"description\":" << json(pattern.description).dump() << ",";
    if (!pattern.extra_tokens.empty()) out << "\"extra_tokens\":" << json(pattern.extra_tokens).dump() << ",";
    out << "\"layers\":[";
    for (std::size_t l = 0; l < pattern.layers.size(); ++l) {
        const Layer& layer = pattern.layers[l];
        out << (l ? "," : "") << "{\"attend\":[";
        for (token_t k = 0; k < layer.size(); ++k) {
            const auto row = layer.attended(k);
            out << (k ? ",[" : "[");
            // Single tokens and [lo, hi] runs of two or more.
            for (std::size_t i = 0; i < row.size();) {
                std::size_t j = i;
                while (j + 1 < row.size() && row[j + 1] == row[j] + 1) ++j;
                out << (i ? "," : "");
                if (j == i)
                    out << row[i];
                else
                    out << "[" << row[i] << "," << row[j] << "]";
                i = j + 1;
            }
            out << "]";
        }
        out << "]}";
    }
    out << "],\"n\":" << pattern.n << ",\"name\":" << json(pattern.name).dump() << "}";
}

json to_explicit_json(const Pattern& pattern) {
    std::ostringstream text;
    write_explicit_json(pattern, text);
    return json::parse(text.str());
}

}  // namespace sparsecert
