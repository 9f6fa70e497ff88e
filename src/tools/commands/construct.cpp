// sparsecert construct: build the constructive network of Yun et al. 2020 exactly for a pattern and
// check it on the grid (docs/construction.md). A thin driver over sparsecert/construction/construction.hpp and
// sparsecert/construction/contextual_mapping.hpp.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "common/construction_args.hpp"
#include "common/json_output.hpp"
#include "common/output_file.hpp"
#include "common/budget_args.hpp"
#include "common/pattern_args.hpp"
#include "common/terminal.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/contextual_mapping.hpp"
#include "sparsecert/construction/network.hpp"
#include "sparsecert/construction/targets.hpp"
#include "sparsecert/support/input_error.hpp"

namespace sparsecert::cli {

namespace {

// The first `count` grid inputs in counting order (entry (r, k) is digit k*d + r, the first fastest).
Matrix grid_input(std::uint64_t index, std::uint32_t d, std::uint32_t n, std::uint32_t m) {
    Matrix x(d, n);
    for (std::uint32_t k = 0; k < n; ++k)
        for (std::uint32_t r = 0; r < d; ++r) {
            x.at(r, k) = Rational(static_cast<long long>(index % m), m);
            index /= m;
        }
    return x;
}

struct EvaluatorComparison {
    std::uint64_t inputs = 0;
    bool agree = true;
    double seconds[3] = {0, 0, 0};  // rational, plain, indexed
};

EvaluatorComparison compare_evaluators(const Construction& c, const Pattern& pattern, std::uint64_t count) {
    EvaluatorComparison cmp;
    std::uint64_t total = 1;
    for (std::uint32_t e = 0; e < c.d * c.n && total <= count; ++e) total *= c.m;
    cmp.inputs = std::min(count, total);
    const Evaluator kinds[3] = {Evaluator::rational, Evaluator::plain, Evaluator::indexed};
    std::vector<std::vector<Matrix>> outputs(3);
    for (int e = 0; e < 3; ++e) {
        const NetworkEvaluator ev(c.network, pattern, kinds[e]);
        const auto start = std::chrono::steady_clock::now();
        for (std::uint64_t i = 0; i < cmp.inputs; ++i) outputs[e].push_back(ev(grid_input(i, c.d, c.n, c.m)));
        cmp.seconds[e] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    cmp.agree = outputs[0] == outputs[1] && outputs[1] == outputs[2];
    return cmp;
}

struct ConstructArgs {
    std::string file;
    tools::ConstructionArgs grid;
    std::optional<std::uint64_t> n, max_connections;
    std::string target = "mean", evaluator = "indexed", network_out;
    tools::JsonOutput json;
    std::uint64_t seed = 1, sample = 10'000, exhaustive_limit = 1'000'000, max_layers = 2'000'000, compare = 0;
};

int run_construct(tools::Context& context, const ConstructArgs& a) {
    ConstructionOptions options;
    tools::fill_construction_options(a.grid, 64, options);
    CheckOptions check;
    check.seed = a.seed;
    check.sample_size = a.sample;
    check.exhaustive_limit = a.exhaustive_limit;
    check.max_value_layers = a.max_layers;
    options.max_layers = a.max_layers;
    if (a.sample < 1) throw tools::UsageError{"--sample", "must be positive"};
    if (a.evaluator == "indexed") check.evaluator = Evaluator::indexed;
    else if (a.evaluator == "plain") check.evaluator = Evaluator::plain;
    else if (a.evaluator == "rational") check.evaluator = Evaluator::rational;
    else throw tools::UsageError{"--evaluator", fmt::format("expected indexed, plain or rational, got '{}'", a.evaluator)};

    const std::string name = tools::display_name(a.file);
    tools::StatusLine status(context.quiet(), name + ": ");
    check.progress = status.callback();
    const Pattern pattern = tools::load_pattern(a.file, a.n, check.progress, a.max_connections);
    Target target;
    try {
        target = make_target(a.target, options.d, pattern.n);
    } catch (const std::invalid_argument& e) {
        throw tools::UsageError{"--target", e.what()};
    }

    ConstructReport rep;
    try {
        const Applicability applicability = check_applicability(pattern, options, check.progress);
        report(check.progress, "building");
        Construction c = build_contextual_mapping(pattern, applicability.path, applicability.s, options);
        rep = check_construction(std::move(c), pattern, target, check);
        rep.paper_s = applicability.paper_s;
        rep.path_method = applicability.path_method;
    } catch (const NotApplicable& e) {
        throw InputError(name, "", std::string("the construction does not apply: ") + e.what());
    } catch (const std::bad_alloc&) {
        throw InputError(name, "", "not enough memory for this construction (lower m, d or n)");
    }

    std::optional<EvaluatorComparison> cmp;
    if (a.compare > 0) {
        report(check.progress, "comparing evaluators");
        cmp = compare_evaluators(rep.construction, pattern, a.compare);
    }
    status.clear();

    if (!a.network_out.empty()) tools::write_output_file(a.network_out, to_json(rep.construction.network).dump() + "\n");

    if (a.json.json) {
        nlohmann::json j = to_json(rep);
        if (cmp)
            j["evaluators"] = {{"inputs", cmp->inputs},
                               {"agree", cmp->agree},
                               {"seconds", {{"rational", cmp->seconds[0]}, {"plain", cmp->seconds[1]}, {"indexed", cmp->seconds[2]}}}};
        context.out() << tools::json_text(std::move(j), a.json);
    } else {
        context.out() << describe(rep, name);
        if (cmp)
            context.out() << fmt::format("\n  evaluators on the first {} grid inputs: {}; rational {:.3f} s, plain {:.3f} s, "
                                         "indexed {:.3f} s\n",
                                         cmp->inputs, cmp->agree ? "identical outputs" : "OUTPUTS DIFFER", cmp->seconds[0],
                                         cmp->seconds[1], cmp->seconds[2]);
    }
    return rep.holds() && (!cmp || cmp->agree) ? 0 : 1;
}

}  // namespace

tools::Action construct_command(CLI::App& app, tools::Context& context) {
    auto a = std::make_shared<ConstructArgs>();
    app.description("Build the constructive network of Yun et al. (NeurIPS 2020) exactly for a sparsity pattern and "
                    "check, in exact rational arithmetic, the selective-shift invariants, the contextual-mapping "
                    "properties and that the network equals f_bar on the grid (docs/construction.md).");
    app.add_option("PATTERN", a->file, tools::pattern_file_help)->required();
    tools::add_grid_options(app, a->grid, "grid step 1/M (M >= 2): the grid has M^(d n) inputs");
    app.add_option("--target", a->target, "target function: token, mean, max, next, sin (default mean)");
    tools::add_n_option(app, a->n);
    tools::add_max_connections_option(app, a->max_connections);
    tools::add_json_options(app, a->json, "print one JSON object");
    app.add_option("--seed", a->seed, "seed of the input sample when the grid is too large to check exhaustively (default 1)");
    app.add_option("--sample", a->sample, "size of that sample (default 10000)");
    app.add_option("--exhaustive-limit", a->exhaustive_limit, "check every grid input up to this many (default 1000000)");
    app.add_option("--max-layers", a->max_layers,
                   "refuse when the value mapping, or the quantization and contextual mapping together, would exceed "
                   "this many layers (default 2000000)");
    app.add_option("--evaluator", a->evaluator, "how the whole network is evaluated: indexed (default), plain, rational");
    tools::add_layout_options(app, a->grid);
    app.add_option("--network-out", a->network_out, "write the network as JSON to this file");
    app.add_option("--compare-evaluators", a->compare,
                   "also evaluate the first K grid inputs with the rational, plain and indexed evaluators, "
                   "and report their agreement and times");
    tools::standard_options(app, context,
                            {{0, "every check of the construction holds"},
                             {1, "some check fails (the output says which), or the evaluators disagree"}});
    return [&context, a] { return run_construct(context, *a); };
}

}  // namespace sparsecert::cli
