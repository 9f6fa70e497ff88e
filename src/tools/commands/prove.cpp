// sparsecert prove: SMT proof obligations for the construction of Yun et al. 2020, one SMT-LIB 2
// file each, discharged by Z3 (C++ API) and re-checked by cvc5 on the same file (docs/prove.md).
// A thin driver over sparsecert/construction/construction.hpp, obligations.hpp and prove.hpp.
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "common/construction_args.hpp"
#include "common/json_output.hpp"
#include "common/budget_args.hpp"
#include "common/pattern_args.hpp"
#include "common/terminal.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/numerics/approximation.hpp"
#include "sparsecert/proofs/obligations.hpp"
#include "sparsecert/proofs/prove.hpp"
#include "sparsecert/proofs/smt.hpp"
#include "sparsecert/support/input_error.hpp"

namespace sparsecert::cli {

namespace {

struct ProveArgs {
    std::string file, out_dir, cvc5 = "cvc5", relu_epsilon, target = "mean";
    tools::ConstructionArgs grid;
    std::optional<std::uint64_t> n, max_connections;
    tools::JsonOutput json;
    bool times = false, no_cvc5 = false;
    double timeout = 60;
    std::uint64_t max_obligations = 500;
};

int run_prove(tools::Context& context, const ProveArgs& a) {
    ConstructionOptions options;
    tools::fill_construction_options(a.grid, 8, options);
    ObligationOptions obligation_options;
    if (!a.relu_epsilon.empty()) {
        const auto e = tools::parse_rational(a.relu_epsilon);
        if (!e || e->sign() <= 0)
            throw tools::UsageError{"--relu-epsilon", fmt::format("expected a positive rational, got '{}'", a.relu_epsilon)};
        obligation_options.relu_epsilon = *e;
    }
    std::optional<std::string> cvc5;
    if (!a.no_cvc5) cvc5 = find_executable(a.cvc5);
    if (!a.no_cvc5 && !cvc5 && a.cvc5 != "cvc5")
        throw tools::UsageError{"--cvc5", fmt::format("'{}' is not an executable program", a.cvc5)};

    const std::string name = tools::display_name(a.file);
    tools::StatusLine status(context.quiet(), name + ": ");
    const Progress progress = status.callback();
    const Pattern pattern = tools::load_pattern(a.file, a.n, progress, a.max_connections);

    Construction construction;
    std::vector<Obligation> obligations;
    try {
        const Applicability applicability = check_applicability(pattern, options, progress);
        report(progress, "building");
        construction = build_contextual_mapping(pattern, applicability.path, applicability.s, options);
        const std::size_t count = obligation_count(construction);
        if (count > a.max_obligations)
            throw tools::UsageError{"", fmt::format("{}: {} obligations exceed --max-obligations {} (lower n, d or M)",
                                                    name, count, a.max_obligations)};
        if (!obligation_options.relu_epsilon) {
            // The ramp width g gets from the error budget (sparsecert approximate with the same
            // pattern, d, delta and target, q = 2), so that relu/... is about the form g runs.
            report(progress, "planning g's ReLU ramp width");
            ApproximateOptions plan;
            plan.d = options.d;
            plan.m = options.m;
            plan.target = a.target;
            plan.progress = progress;
            try {
                obligation_options.relu_epsilon = planned_relu_width(pattern, plan);
            } catch (const NotApplicable& e) {
                throw tools::UsageError{"--relu-epsilon", fmt::format("{}: g's ramp width cannot be planned here ({}); "
                                                                      "give the width", name, e.what())};
            }
        }
        report(progress, "writing the obligations");
        obligations = generate_obligations(construction, pattern, obligation_options);
    } catch (const NotApplicable& e) {
        throw InputError(name, "", std::string("the construction does not apply: ") + e.what());
    } catch (const std::invalid_argument& e) {
        throw tools::UsageError{"", fmt::format("{}: {}", name, e.what())};
    }
    const std::string out_dir =
        !a.out_dir.empty() ? a.out_dir
                           : fmt::format("obligations-{}-n{}-d{}-delta1_{}", obligation_file_stem(pattern.name),
                                         pattern.n, options.d, options.m);

    ProveOptions prove_options;
    prove_options.out_dir = out_dir;
    prove_options.timeout_seconds = a.timeout;
    prove_options.cvc5 = cvc5;
    prove_options.progress = progress;
    ProveReport rep;
    try {
        rep = prove(std::move(obligations), prove_options);
    } catch (const std::runtime_error& e) {
        throw tools::UsageError{"", e.what()};
    }
    status.clear();

    std::ostream& out = context.out();
    if (a.json.json) {
        out << tools::json_text(to_json(rep, a.times), a.json);
    } else {
        std::string path;
        for (std::size_t i = 0; i < construction.path.size(); ++i)
            path += (i ? " -> " : "") + std::to_string(construction.path[i]);
        out << fmt::format("{}: {} (n = {}, p = {}), d = {}, delta = 1/{}: {} proof obligations for the construction "
                           "of Yun et al. 2020 (theorems/yun2020.json)\n",
                           name, pattern.name, pattern.n, pattern.p(), options.d, options.m, rep.results.size());
        out << fmt::format("  path {}, s = {}; shift multiplier {}, all-max multiplier C = {}, sentinel S = {}, "
                           "[t_l, t_r] = [{}, {}]\n",
                           path, construction.s, construction.shift_multiplier.str(),
                           construction.all_max_multiplier.str(), construction.sentinel.str(),
                           construction.t_l.str(), construction.t_r.str());
        out << fmt::format("  files: {}/; solvers: Z3 {} (C++ API), {}; timeout {} s per obligation and solver\n\n",
                           out_dir, rep.z3_version,
                           cvc5 ? fmt::format("cvc5 {} ({})", rep.cvc5_version, *cvc5)
                                : std::string(a.no_cvc5 ? "cvc5 not run (--no-cvc5)" : "cvc5 not installed"),
                           a.timeout);
        out << describe(rep, true);
    }
    return rep.proved() ? 0 : 1;
}

}  // namespace

tools::Action prove_command(CLI::App& app, tools::Context& context) {
    auto a = std::make_shared<ProveArgs>();
    app.description("Write the proof obligations of the constructive network of Yun et al. (NeurIPS 2020) as SMT-LIB 2 "
                    "files (each asserts the negation of a claim, so unsat proves it), discharge them with Z3 and "
                    "re-check them with cvc5 when installed (docs/prove.md).");
    app.add_option("PATTERN", a->file, tools::pattern_file_help)->required();
    tools::add_grid_options(app, a->grid, "grid step 1/M (M >= 2)");
    tools::add_n_option(app, a->n);
    tools::add_max_connections_option(app, a->max_connections);
    app.add_option("--out", a->out_dir,
                   "directory for the .smt2 files (default obligations-PATTERN-nN-dD-delta1_M in the current directory)");
    tools::add_json_options(app, a->json, "print {\"obligations\": [...]} instead of the table");
    app.add_flag("--times", a->times, "with --json: add z3_seconds and cvc5_seconds (the output is then not deterministic)");
    tools::add_timeout_option(app, a->timeout, "seconds per obligation and solver (default 60)");
    app.add_option("--cvc5", a->cvc5, "the cvc5 program (default: cvc5 on PATH; absent if not found)");
    app.add_flag("--no-cvc5", a->no_cvc5, "do not run cvc5 (its column says absent)");
    tools::add_layout_options(app, a->grid);
    app.add_option("--relu-epsilon", a->relu_epsilon,
                   "ramp width of the four-ReLU form in the relu/... obligations (default: the width the error budget "
                   "gives g, as sparsecert approximate with the same pattern, d, delta, --target and q = 2)");
    app.add_option("--target", a->target, "the target whose error budget sets that default width (default mean)");
    app.add_option("--max-obligations", a->max_obligations, "refuse configurations with more obligations (default 500)");
    tools::standard_options(app, context,
                            {{0, "every obligation is unsat for every solver that ran"},
                             {1, "otherwise: some sat or unknown answer, or a disagreement between the solvers"}});
    return [&context, a] { return run_prove(context, *a); };
}

}  // namespace sparsecert::cli
