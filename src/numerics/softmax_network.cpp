#include "sparsecert/numerics/softmax_network.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace sparsecert {

SoftmaxNetwork to_softmax_network(const Network& hardmax, const std::vector<Rational>& temperatures,
                                  const Rational& relu_width) {
    validate(hardmax);
    SoftmaxNetwork g;
    g.d = hardmax.d;
    g.n = hardmax.n;
    g.p = hardmax.p;
    g.start_phase = hardmax.start_phase;
    g.pattern_name = hardmax.pattern_name;
    g.embedding = hardmax.embedding;
    g.relu_width = relu_width;
    g.layers.reserve(hardmax.layers.size());
    std::size_t attention = 0;
    for (std::size_t t = 0; t < hardmax.layers.size(); ++t) {
        const NetworkLayer& layer = hardmax.layers[t];
        SoftmaxLayer out;
        out.stage = layer.stage;
        if (const auto* ff = std::get_if<FeedForward>(&layer.op)) {
            try {
                out.op = ReluFeedForward{ff->w1, ff->b1, relu_form(ff->phi, relu_width), ff->w2};
            } catch (const std::invalid_argument& e) {
                throw std::invalid_argument(fmt::format("layer {}: {}", t, e.what()));
            }
        } else if (const auto* att = std::get_if<AttentionLayer>(&layer.op)) {
            if (attention >= temperatures.size())
                throw std::invalid_argument(fmt::format("{} temperatures for more attention layers", temperatures.size()));
            const Rational& temperature = temperatures[attention++];
            if (temperature.sign() <= 0)
                throw std::invalid_argument(fmt::format("layer {}: temperature {} is not positive", t, temperature.str()));
            out.op = SoftmaxAttention{att->pattern, att->heads, temperature};
        } else {
            out.op = std::get<IdentityLayer>(layer.op);
        }
        g.layers.push_back(std::move(out));
    }
    if (attention != temperatures.size())
        throw std::invalid_argument(fmt::format("{} temperatures for {} attention layers", temperatures.size(), attention));
    return g;
}

SoftmaxNetwork scale_temperatures(SoftmaxNetwork network, const Rational& scale) {
    if (scale.sign() <= 0) throw std::invalid_argument("scale_temperatures: the scale must be positive");
    for (auto& layer : network.layers)
        if (auto* att = std::get_if<SoftmaxAttention>(&layer.op)) att->temperature *= scale;
    return network;
}

STClass st_class(const SoftmaxNetwork& g, const Pattern& pattern) {
    STClass c;
    auto problem = [&](std::string what) {
        if (c.problem.empty()) c.problem = std::move(what);
    };
    if (pattern.p() != g.p || pattern.n != g.n) problem("the network's p or n differs from the pattern's");
    if (g.embedding.rows != g.d || g.embedding.cols != g.n) problem("the embedding is not d x n");
    for (std::size_t t = 0; t < g.layers.size(); ++t) {
        const auto& op = g.layers[t].op;
        if (const auto* ff = std::get_if<ReluFeedForward>(&op)) {
            ++c.feed_forward_layers;
            if (ff->w1.size() != g.d || ff->w2.size() != g.d) problem(fmt::format("layer {}: w1 or w2 is not of length d", t));
            c.hidden_width = std::max<std::uint32_t>(c.hidden_width, std::uint32_t(ff->activation.terms.size()));
        } else if (const auto* att = std::get_if<SoftmaxAttention>(&op)) {
            ++c.attention_layers;
            if (att->pattern != g.pattern_at(t))
                problem(fmt::format("layer {} uses pattern {}, the cycle assigns {}", t, att->pattern, g.pattern_at(t)));
            if (att->temperature.sign() <= 0) problem(fmt::format("layer {}: temperature not positive", t));
            std::uint32_t heads = 0;
            for (const auto& h : att->heads) {
                if (h.query.size() != g.d || h.key.size() != g.d || h.value.size() != g.d || h.out.size() != g.d)
                    problem(fmt::format("layer {}: a head's weights are not of length d", t));
                // A head whose output weights are zero is absent (it adds nothing).
                bool active = false;
                for (const auto& w : h.out) active = active || !w.is_zero();
                heads += active ? 1 : 0;
            }
            c.heads = std::max(c.heads, heads);
            // W_Q, W_K, W_V are single rows (vectors of length d): head size 1 by representation.
            c.head_size = std::max(c.head_size, heads ? 1u : 0u);
        } else {
            ++c.identity_layers;
            if (std::get<IdentityLayer>(op).pattern != g.pattern_at(t))
                problem(fmt::format("identity layer {} records pattern {}, the cycle assigns {}", t,
                                    std::get<IdentityLayer>(op).pattern, g.pattern_at(t)));
        }
    }
    return c;
}

ReluBlock st_block(const ReluFeedForward& layer) {
    ReluBlock b;
    const std::size_t d = layer.w1.size();
    b.w2.assign(d, {});
    for (const auto& term : layer.activation.terms) {
        std::vector<Rational> row(d);
        for (std::size_t i = 0; i < d; ++i) row[i] = Rational(term.sign) * layer.w1[i];
        b.w1.push_back(std::move(row));
        b.b1.push_back(Rational(term.sign) * (layer.b1 - term.knot));
        for (std::size_t i = 0; i < d; ++i) b.w2[i].push_back(term.coef * layer.w2[i]);
    }
    for (std::size_t i = 0; i < d; ++i) b.b2.push_back(layer.activation.constant * layer.w2[i]);
    return b;
}

}  // namespace sparsecert
