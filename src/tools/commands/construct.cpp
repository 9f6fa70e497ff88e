// sparsecert construct: build the constructive network of Yun et al. 2020 exactly for a pattern and
// check it on the grid (docs/construction.md). A thin driver over sparsecert/construction/construction.hpp and
// sparsecert/construction/contextual_mapping.hpp.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/construction/contextual_mapping.hpp"
#include "sparsecert/support/input_error.hpp"
#include "sparsecert/construction/network.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/construction/targets.hpp"
#include "common/terminal.hpp"
#include "common/usage.hpp"

namespace sparsecert::cli {

namespace {

constexpr const char* prog = "sparsecert construct";

int bad_usage(const std::string& option, const std::string& problem) { return usage_error(prog, option, problem); }

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

}  // namespace

int construct_command(int argc, char** argv) {
    CLI::App app{"sparsecert construct: build the constructive network of Yun et al. (NeurIPS 2020) exactly for "
                 "a sparsity pattern and check, in exact rational arithmetic, the selective-shift invariants, the "
                 "contextual-mapping properties and that the network equals f_bar on the grid "
                 "(docs/construction.md).",
                 prog};
    std::string file, delta_text, target_name = "mean", evaluator_text = "indexed", start_text = "actual";
    std::string network_out, shift_text, allmax_text, sentinel_text;
    std::optional<std::int64_t> n, d;
    bool json = false;
    std::uint64_t seed = 1, sample = 10'000, exhaustive_limit = 1'000'000, max_layers = 2'000'000, compare = 0;
    std::int64_t start_phase = 0;
    app.add_option("PATTERN", file, "pattern file (JSON, docs/pattern-format.md)")->required();
    app.add_option("--d", d, "rows of the input (features per token)")->required();
    app.add_option("--delta", delta_text, "grid step 1/M (M >= 2): the grid has M^(d n) inputs")->required();
    app.add_option("--target", target_name, "target function: token, mean, max, next, sin (default mean)");
    app.add_option("--n", n, "number of tokens for size-generic pattern files");
    app.add_flag("--json", json, "print one JSON object");
    app.add_option("--seed", seed, "seed of the input sample when the grid is too large to check exhaustively (default 1)");
    app.add_option("--sample", sample, "size of that sample (default 10000)");
    app.add_option("--exhaustive-limit", exhaustive_limit, "check every grid input up to this many (default 1000000)");
    app.add_option("--max-layers", max_layers, "refuse when the value mapping, or the quantization and contextual mapping together, would exceed this many layers (default 2000000)");
    app.add_option("--evaluator", evaluator_text, "how the whole network is evaluated: indexed (default), plain, rational");
    app.add_option("--all-max-start", start_text,
                   "actual (default: the all-max stage starts where the sweep ends, s for that pattern) or pad "
                   "(identity layers back to pattern 0, the paper's s)");
    app.add_option("--start-phase", start_phase, "the pattern used by layer 0 (default 0)");
    app.add_option("--shift-multiplier", shift_text, "override the sweep's multiplier delta^-d (an experiment)");
    app.add_option("--all-max-multiplier", allmax_text, "override the all-max multiplier C (an experiment)");
    app.add_option("--sentinel", sentinel_text, "override the sentinel S (an experiment)");
    app.add_option("--network-out", network_out, "write the network as JSON to this file");
    app.add_option("--compare-evaluators", compare,
                   "also evaluate the first K grid inputs with the rational, plain and indexed evaluators, "
                   "and report their agreement and times");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError& e) {
        return bad_usage("", e.what());
    }

    // Command-line values.
    ConstructionOptions options;
    if (*d < 1 || *d > 64) return bad_usage("--d", fmt::format("must be an integer in 1..64, got {}", *d));
    options.d = std::uint32_t(*d);
    if (const auto m = parse_delta_denominator(delta_text)) options.m = *m;
    else return bad_usage("--delta", fmt::format("expected 1/M with an integer M >= 2, got '{}'", delta_text));
    if (n && *n <= 0) return bad_usage("--n", fmt::format("must be a positive integer, got {}", *n));
    if (start_phase < 0) return bad_usage("--start-phase", "must be a non-negative integer");
    options.start_phase = std::size_t(start_phase);
    if (start_text == "pad") options.all_max_start = AllMaxStart::pad_to_first_pattern;
    else if (start_text != "actual") return bad_usage("--all-max-start", fmt::format("expected actual or pad, got '{}'", start_text));
    for (auto [text, slot, name] : {std::tuple{&shift_text, &options.shift_multiplier, "--shift-multiplier"},
                                    std::tuple{&allmax_text, &options.all_max_multiplier, "--all-max-multiplier"},
                                    std::tuple{&sentinel_text, &options.sentinel, "--sentinel"}}) {
        if (text->empty()) continue;
        const auto r = parse_rational(*text);
        if (!r || !r->is_integer() || r->sign() < 0)
            return bad_usage(name, fmt::format("expected a non-negative integer, got '{}'", *text));
        *slot = *r;
    }
    CheckOptions check;
    check.seed = seed;
    check.sample_size = sample;
    check.exhaustive_limit = exhaustive_limit;
    check.max_value_layers = max_layers;
    options.max_layers = max_layers;
    if (sample < 1) return bad_usage("--sample", "must be positive");
    if (evaluator_text == "indexed") check.evaluator = Evaluator::indexed;
    else if (evaluator_text == "plain") check.evaluator = Evaluator::plain;
    else if (evaluator_text == "rational") check.evaluator = Evaluator::rational;
    else return bad_usage("--evaluator", fmt::format("expected indexed, plain or rational, got '{}'", evaluator_text));

    tools::StatusLine status;
    status.set_prefix(file + ": ");
    check.progress = status.callback();
    Pattern pattern;
    try {
        std::optional<std::uint64_t> n_override;
        if (n) n_override = std::uint64_t(*n);
        report(check.progress, "loading");
        pattern = load_pattern_file(file, n_override);
    } catch (const InputError& e) {
        status.clear();
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    Target target;
    try {
        target = make_target(target_name, options.d, pattern.n);
    } catch (const std::invalid_argument& e) {
        status.clear();
        return bad_usage("--target", e.what());
    }

    ConstructReport rep;
    try {
        const Applicability a = check_applicability(pattern, options, check.progress);
        report(check.progress, "building");
        Construction c = build_contextual_mapping(pattern, a.path, a.s, options);
        rep = check_construction(std::move(c), pattern, target, check);
        rep.paper_s = a.paper_s;
        rep.path_method = a.path_method;
    } catch (const NotApplicable& e) {
        status.clear();
        std::string reason = e.what();
        for (char& ch : reason)
            if (ch == '\n' || ch == '\r') ch = ' ';
        std::fprintf(stderr, "%s: the construction does not apply: %s\n", file.c_str(), reason.c_str());
        return 2;
    } catch (const std::bad_alloc&) {
        status.clear();
        std::fprintf(stderr, "%s: not enough memory for this construction (lower m, d or n)\n", file.c_str());
        return 2;
    }

    std::optional<EvaluatorComparison> cmp;
    if (compare > 0) {
        report(check.progress, "comparing evaluators");
        cmp = compare_evaluators(rep.construction, pattern, compare);
    }
    status.clear();

    if (!network_out.empty()) {
        std::ofstream out(network_out, std::ios::binary);
        if (!out) {
            std::fprintf(stderr, "%s: cannot write the network file\n", network_out.c_str());
            return 2;
        }
        out << to_json(rep.construction.network).dump() << "\n";
        if (!out) {
            std::fprintf(stderr, "%s: cannot write the network file\n", network_out.c_str());
            return 2;
        }
    }

    if (json) {
        nlohmann::json j = to_json(rep);
        if (cmp)
            j["evaluators"] = {{"inputs", cmp->inputs},
                               {"agree", cmp->agree},
                               {"seconds", {{"rational", cmp->seconds[0]}, {"plain", cmp->seconds[1]}, {"indexed", cmp->seconds[2]}}}};
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << describe(rep, file);
        if (cmp)
            std::cout << fmt::format("\n  evaluators on the first {} grid inputs: {}; rational {:.3f} s, plain {:.3f} s, "
                                     "indexed {:.3f} s\n",
                                     cmp->inputs, cmp->agree ? "identical outputs" : "OUTPUTS DIFFER", cmp->seconds[0],
                                     cmp->seconds[1], cmp->seconds[2]);
    }
    return rep.holds() && (!cmp || cmp->agree) ? 0 : 1;
}

}  // namespace sparsecert::cli
