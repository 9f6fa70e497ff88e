#include "sparsecert/construction/network.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "construction/network_engine.hpp"

namespace sparsecert {

// ---------------------------------------------------------------------------------------------
// Phi

std::size_t Phi::piece_at(const Rational& t) const {
    std::size_t i = 0;
    while (i < breakpoints.size() && breakpoints[i] <= t) ++i;
    return i;
}

Rational Phi::operator()(const Rational& t) const {
    const LinearPiece& piece = pieces.at(piece_at(t));
    return piece.slope * t + piece.intercept;
}

std::string phi_problem(const Phi& phi) {
    if (phi.breakpoints.size() > 2) return fmt::format("{} breakpoints (at most 2: three pieces)", phi.breakpoints.size());
    if (phi.pieces.size() != phi.breakpoints.size() + 1)
        return fmt::format("{} pieces for {} breakpoints", phi.pieces.size(), phi.breakpoints.size());
    for (std::size_t i = 1; i < phi.breakpoints.size(); ++i)
        if (!(phi.breakpoints[i - 1] < phi.breakpoints[i])) return "breakpoints not strictly increasing";
    for (const auto& piece : phi.pieces)
        if (piece.slope.is_zero()) return {};
    return "no constant piece (the class Phi needs one)";
}

const char* stage_name(Stage stage) {
    switch (stage) {
        case Stage::quantization: return "quantization";
        case Stage::selective_shift: return "selective_shift";
        case Stage::padding: return "padding";
        case Stage::all_max_shift: return "all_max_shift";
        case Stage::value_mapping_preparation: return "value_mapping_preparation";
        case Stage::value_mapping: return "value_mapping";
        case Stage::other: return "other";
    }
    return "other";
}

const char* evaluator_name(Evaluator e) {
    switch (e) {
        case Evaluator::plain: return "plain";
        case Evaluator::indexed: return "indexed";
        case Evaluator::rational: return "rational";
    }
    return "?";
}

// ---------------------------------------------------------------------------------------------
// Validation

void validate(const Network& net, const Pattern* pattern) {
    auto fail = [](const std::string& what) { throw std::invalid_argument("network: " + what); };
    if (net.d == 0 || net.n == 0) fail("d and n must be positive");
    if (net.p == 0) fail("p must be positive");
    if (net.embedding.rows != net.d || net.embedding.cols != net.n ||
        net.embedding.entries.size() != std::size_t(net.d) * net.n)
        fail(fmt::format("the embedding is {} x {}, expected {} x {}", net.embedding.rows, net.embedding.cols,
                         net.d, net.n));
    if (pattern) {
        if (pattern->p() != net.p) fail(fmt::format("p = {} but the pattern has {} layers", net.p, pattern->p()));
        if (pattern->n != net.n) fail(fmt::format("n = {} but the pattern has n = {}", net.n, pattern->n));
    }
    auto vec = [&](const std::vector<Rational>& v, std::size_t t, const char* what) {
        if (v.size() != net.d) fail(fmt::format("layer {}: {} has {} entries, expected d = {}", t, what, v.size(), net.d));
    };
    for (std::size_t t = 0; t < net.layers.size(); ++t) {
        const auto& op = net.layers[t].op;
        if (const auto* ff = std::get_if<FeedForward>(&op)) {
            vec(ff->w1, t, "w1");
            vec(ff->w2, t, "w2");
            if (auto why = phi_problem(ff->phi); !why.empty()) fail(fmt::format("layer {}: phi: {}", t, why));
            continue;
        }
        const std::uint32_t pat = std::holds_alternative<AttentionLayer>(op) ? std::get<AttentionLayer>(op).pattern
                                                                            : std::get<IdentityLayer>(op).pattern;
        if (pat != net.pattern_at(t))
            fail(fmt::format("layer {} records pattern {} but the cycle assigns pattern {}", t, pat, net.pattern_at(t)));
        if (const auto* att = std::get_if<AttentionLayer>(&op))
            for (const auto& head : att->heads) {
                vec(head.query, t, "query");
                vec(head.key, t, "key");
                vec(head.value, t, "value");
                vec(head.out, t, "out");
            }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

namespace {

using nlohmann::json;

json strings(const std::vector<Rational>& v) {
    json a = json::array();
    for (const auto& r : v) a.push_back(r.str());
    return a;
}

std::string path_of(const std::string& base, const std::string& key) { return base.empty() ? key : base + "." + key; }

[[noreturn]] void bad(const std::string& where, const std::string& what) {
    throw std::invalid_argument(where + ": " + what);
}

const json& field(const json& obj, const std::string& key, const std::string& where) {
    if (!obj.is_object()) bad(where, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) bad(path_of(where, key), "missing");
    return *it;
}

Rational rational(const json& v, const std::string& where) {
    if (v.is_number_integer()) return Rational(v.get<long long>());
    if (!v.is_string()) bad(where, "expected an exact number as a string \"a/b\"");
    try {
        return Rational::parse(v.get<std::string>());
    } catch (const std::invalid_argument& e) {
        bad(where, e.what());
    }
}

std::vector<Rational> rationals(const json& v, const std::string& where) {
    if (!v.is_array()) bad(where, "expected an array");
    std::vector<Rational> out;
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(rational(v[i], fmt::format("{}[{}]", where, i)));
    return out;
}

std::uint64_t count(const json& v, const std::string& where) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<long long>() >= 0))
        bad(where, "expected a non-negative integer");
    return v.get<std::uint64_t>();
}

Stage stage_from(const std::string& s, const std::string& where) {
    for (Stage st : {Stage::quantization, Stage::selective_shift, Stage::padding, Stage::all_max_shift,
                     Stage::value_mapping_preparation, Stage::value_mapping, Stage::other})
        if (s == stage_name(st)) return st;
    bad(where, "unknown stage '" + s + "'");
}

}  // namespace

nlohmann::json to_json(const Network& net) {
    json emb = json::array();
    for (std::uint32_t i = 0; i < net.d; ++i) {
        json row = json::array();
        for (std::uint32_t k = 0; k < net.n; ++k) row.push_back(net.embedding.at(i, k).str());
        emb.push_back(row);
    }
    json layers = json::array();
    for (const auto& layer : net.layers) {
        json l = {{"stage", stage_name(layer.stage)}};
        if (const auto* ff = std::get_if<FeedForward>(&layer.op)) {
            json pieces = json::array();
            for (const auto& p : ff->phi.pieces) pieces.push_back({{"slope", p.slope.str()}, {"intercept", p.intercept.str()}});
            l["type"] = "feed_forward";
            l["w1"] = strings(ff->w1);
            l["b1"] = ff->b1.str();
            l["phi"] = {{"breakpoints", strings(ff->phi.breakpoints)}, {"pieces", pieces}};
            l["w2"] = strings(ff->w2);
        } else if (const auto* att = std::get_if<AttentionLayer>(&layer.op)) {
            json heads = json::array();
            for (const auto& h : att->heads)
                heads.push_back({{"query", strings(h.query)},
                                 {"query_bias", h.query_bias.str()},
                                 {"key", strings(h.key)},
                                 {"value", strings(h.value)},
                                 {"out", strings(h.out)}});
            l["type"] = "attention";
            l["pattern"] = att->pattern;
            l["heads"] = heads;
        } else {
            l["type"] = "identity";
            l["pattern"] = std::get<IdentityLayer>(layer.op).pattern;
        }
        layers.push_back(std::move(l));
    }
    return json{{"format", "sparsecert-network"},
                {"version", 1},
                {"pattern", net.pattern_name},
                {"d", net.d},
                {"n", net.n},
                {"p", net.p},
                {"start_phase", net.start_phase},
                {"embedding", emb},
                {"layers", layers}};
}

Network network_from_json(const nlohmann::json& doc) {
    Network net;
    if (field(doc, "format", "") != "sparsecert-network") bad("format", "expected \"sparsecert-network\"");
    if (count(field(doc, "version", ""), "version") != 1) bad("version", "only version 1 is known");
    const json& name = field(doc, "pattern", "");
    if (!name.is_string()) bad("pattern", "expected a string");
    net.pattern_name = name.get<std::string>();
    net.d = std::uint32_t(count(field(doc, "d", ""), "d"));
    net.n = std::uint32_t(count(field(doc, "n", ""), "n"));
    net.p = count(field(doc, "p", ""), "p");
    net.start_phase = count(field(doc, "start_phase", ""), "start_phase");
    const json& emb = field(doc, "embedding", "");
    if (!emb.is_array() || emb.size() != net.d) bad("embedding", fmt::format("expected {} rows", net.d));
    net.embedding = Matrix(net.d, net.n);
    for (std::uint32_t i = 0; i < net.d; ++i) {
        auto row = rationals(emb[i], fmt::format("embedding[{}]", i));
        if (row.size() != net.n) bad(fmt::format("embedding[{}]", i), fmt::format("expected {} entries", net.n));
        for (std::uint32_t k = 0; k < net.n; ++k) net.embedding.at(i, k) = row[k];
    }
    const json& layers = field(doc, "layers", "");
    if (!layers.is_array()) bad("layers", "expected an array");
    for (std::size_t t = 0; t < layers.size(); ++t) {
        const std::string w = fmt::format("layers[{}]", t);
        const json& l = layers[t];
        NetworkLayer layer;
        const json& st = field(l, "stage", w);
        if (!st.is_string()) bad(w + ".stage", "expected a string");
        layer.stage = stage_from(st.get<std::string>(), w + ".stage");
        const json& type = field(l, "type", w);
        if (type == "feed_forward") {
            FeedForward ff;
            ff.w1 = rationals(field(l, "w1", w), w + ".w1");
            ff.b1 = rational(field(l, "b1", w), w + ".b1");
            const json& phi = field(l, "phi", w);
            ff.phi.breakpoints = rationals(field(phi, "breakpoints", w + ".phi"), w + ".phi.breakpoints");
            const json& pieces = field(phi, "pieces", w + ".phi");
            if (!pieces.is_array()) bad(w + ".phi.pieces", "expected an array");
            for (std::size_t i = 0; i < pieces.size(); ++i) {
                const std::string pw = fmt::format("{}.phi.pieces[{}]", w, i);
                ff.phi.pieces.push_back({rational(field(pieces[i], "slope", pw), pw + ".slope"),
                                         rational(field(pieces[i], "intercept", pw), pw + ".intercept")});
            }
            ff.w2 = rationals(field(l, "w2", w), w + ".w2");
            layer.op = std::move(ff);
        } else if (type == "attention") {
            AttentionLayer att;
            att.pattern = std::uint32_t(count(field(l, "pattern", w), w + ".pattern"));
            const json& heads = field(l, "heads", w);
            if (!heads.is_array() || heads.size() != 2) bad(w + ".heads", "expected two heads");
            for (std::size_t h = 0; h < 2; ++h) {
                const std::string hw = fmt::format("{}.heads[{}]", w, h);
                auto& head = att.heads[h];
                head.query = rationals(field(heads[h], "query", hw), hw + ".query");
                head.query_bias = rational(field(heads[h], "query_bias", hw), hw + ".query_bias");
                head.key = rationals(field(heads[h], "key", hw), hw + ".key");
                head.value = rationals(field(heads[h], "value", hw), hw + ".value");
                head.out = rationals(field(heads[h], "out", hw), hw + ".out");
            }
            layer.op = std::move(att);
        } else if (type == "identity") {
            layer.op = IdentityLayer{std::uint32_t(count(field(l, "pattern", w), w + ".pattern"))};
        } else {
            bad(w + ".type", "expected feed_forward, attention or identity");
        }
        net.layers.push_back(std::move(layer));
    }
    validate(net);
    return net;
}

// ---------------------------------------------------------------------------------------------
// The rational reference evaluator: the definitions, one layer at a time, with canonical rationals.

namespace {

Rational dot(const std::vector<Rational>& w, const Matrix& z, std::uint32_t k) {
    Rational s;
    for (std::uint32_t i = 0; i < z.rows; ++i)
        if (!w[i].is_zero()) s += w[i] * z.at(i, k);
    return s;
}

void apply_rational(const Network& net, const Pattern& pattern, std::size_t t, Matrix& z) {
    const auto& op = net.layers[t].op;
    if (const auto* ff = std::get_if<FeedForward>(&op)) {
        for (std::uint32_t k = 0; k < z.cols; ++k) {
            const Rational y = ff->phi(dot(ff->w1, z, k) + ff->b1);
            if (y.is_zero()) continue;
            for (std::uint32_t i = 0; i < z.rows; ++i)
                if (!ff->w2[i].is_zero()) z.at(i, k) += ff->w2[i] * y;
        }
        return;
    }
    const auto* att = std::get_if<AttentionLayer>(&op);
    if (!att) return;  // identity
    const Layer& layer = pattern.layers[att->pattern];
    Matrix delta(z.rows, z.cols);
    for (const auto& head : att->heads) {
        std::vector<Rational> keys(z.cols), values(z.cols);
        for (std::uint32_t j = 0; j < z.cols; ++j) {
            keys[j] = dot(head.key, z, j);
            values[j] = dot(head.value, z, j);
        }
        for (std::uint32_t k = 0; k < z.cols; ++k) {
            const Rational q = dot(head.query, z, k) + head.query_bias;
            const auto attended = layer.attended(k);
            if (attended.empty()) throw std::invalid_argument(fmt::format("layer {}: token {} attends to no token", t, k));
            // sigma_H: uniform over the largest scores.
            Rational best = keys[attended[0]] * q;
            for (auto j : attended) best = std::max(best, keys[j] * q);
            Rational sum;
            long ties = 0;
            for (auto j : attended)
                if (keys[j] * q == best) {
                    sum += values[j];
                    ++ties;
                }
            const Rational v = sum / Rational(ties);
            for (std::uint32_t i = 0; i < z.rows; ++i)
                if (!head.out[i].is_zero()) delta.at(i, k) += head.out[i] * v;
        }
    }
    for (std::size_t e = 0; e < z.entries.size(); ++e) z.entries[e] += delta.entries[e];
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// NetworkEvaluator

struct NetworkEvaluator::Impl {
    const Network* network = nullptr;
    const Pattern* pattern = nullptr;
    Evaluator how = Evaluator::indexed;
    std::unique_ptr<detail::IntNetwork> engine;

    Matrix rational(Matrix z, std::size_t first, std::size_t last) const {
        for (std::size_t t = first; t < last; ++t) apply_rational(*network, *pattern, t, z);
        return z;
    }

    Matrix integer(const Matrix& z, bool add_embedding, std::size_t first, std::size_t last) const {
        // An input outside (1/Q)Z gets an engine over a common multiple of Q and its denominators.
        const detail::IntNetwork* eng = engine.get();
        std::unique_ptr<detail::IntNetwork> wider;
        mpz_class extra = 1;
        for (const auto& r : z.entries) mpz_lcm(extra.get_mpz_t(), extra.get_mpz_t(), r.denominator());
        if (!mpz_divisible_p(eng->denominator().get_mpz_t(), extra.get_mpz_t())) {
            mpz_lcm(extra.get_mpz_t(), extra.get_mpz_t(), eng->denominator().get_mpz_t());
            wider = detail::IntNetwork::compile(*network, *pattern, extra, nullptr);
            eng = wider.get();
        }
        detail::IntState state;
        detail::Scratch scratch;
        if (add_embedding) eng->load_input(z, state);
        else eng->load_state(z, state);
        eng->run(state, first, last, scratch, how == Evaluator::indexed);
        return eng->unload(state);
    }

    Matrix evaluate(const Matrix& z, bool add_embedding, std::size_t first, std::size_t last) const {
        if (last > network->layers.size()) throw std::out_of_range("evaluate: layer index past the network");
        if (engine) {
            try {
                return integer(z, add_embedding, first, last);
            } catch (const HardmaxTie&) {
                // sigma_H averages distinct values: leave the shared denominator to the rationals.
            }
        }
        Matrix start = z;
        if (add_embedding)
            for (std::size_t e = 0; e < start.entries.size(); ++e) start.entries[e] += network->embedding.entries[e];
        return rational(std::move(start), first, last);
    }
};

NetworkEvaluator::NetworkEvaluator(const Network& network, const Pattern& pattern, Evaluator how)
    : impl_(std::make_unique<Impl>()) {
    validate(network, &pattern);
    impl_->network = &network;
    impl_->pattern = &pattern;
    impl_->how = how;
    if (how != Evaluator::rational) impl_->engine = detail::IntNetwork::compile(network, pattern, 1, nullptr);
}

NetworkEvaluator::~NetworkEvaluator() = default;
NetworkEvaluator::NetworkEvaluator(NetworkEvaluator&&) noexcept = default;
NetworkEvaluator& NetworkEvaluator::operator=(NetworkEvaluator&&) noexcept = default;

Matrix NetworkEvaluator::operator()(const Matrix& input, std::optional<std::size_t> last) const {
    if (input.rows != impl_->network->d || input.cols != impl_->network->n)
        throw std::invalid_argument(fmt::format("input is {} x {}, the network expects {} x {}", input.rows,
                                                input.cols, impl_->network->d, impl_->network->n));
    return impl_->evaluate(input, true, 0, last.value_or(impl_->network->layers.size()));
}

Matrix NetworkEvaluator::apply(const Matrix& state, std::size_t first, std::size_t last) const {
    if (state.rows != impl_->network->d || state.cols != impl_->network->n)
        throw std::invalid_argument("state shape does not match the network");
    return impl_->evaluate(state, false, first, last);
}

Evaluator NetworkEvaluator::evaluator() const { return impl_->engine ? impl_->how : Evaluator::rational; }

}  // namespace sparsecert
