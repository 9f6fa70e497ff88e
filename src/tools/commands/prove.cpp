// sparsecert prove: SMT proof obligations for the construction of Yun et al. 2020, one SMT-LIB 2
// file each, discharged by Z3 (C++ API) and re-checked by cvc5 on the same file (docs/prove.md).
// A thin driver over sparsecert/construction/construction.hpp, obligations.hpp and prove.hpp.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <tuple>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands/commands.hpp"
#include "sparsecert/construction/construction.hpp"
#include "sparsecert/support/input_error.hpp"
#include "sparsecert/proofs/obligations.hpp"
#include "sparsecert/pattern/pattern_io.hpp"
#include "sparsecert/proofs/prove.hpp"
#include "sparsecert/proofs/smt.hpp"
#include "common/terminal.hpp"
#include "common/usage.hpp"

namespace sparsecert::cli {

namespace {

constexpr const char* prog = "sparsecert prove";

int bad_usage(const std::string& option, const std::string& problem) { return usage_error(prog, option, problem); }

std::string one_line(std::string text) {
    for (char& ch : text)
        if (ch == '\n' || ch == '\r') ch = ' ';
    return text;
}

}  // namespace

int prove_command(int argc, char** argv) {
    CLI::App app{"sparsecert prove: write the proof obligations of the constructive network of Yun et al. (NeurIPS "
                 "2020) as SMT-LIB 2 files (each asserts the negation of a claim, so unsat proves it), discharge them "
                 "with Z3 and re-check them with cvc5 when installed (docs/prove.md).",
                 prog};
    std::string file, delta_text, out_dir, cvc5_name = "cvc5", start_text = "actual";
    std::string shift_text, allmax_text, sentinel_text, epsilon_text;
    std::optional<std::int64_t> n, d;
    bool json = false, times = false, no_cvc5 = false;
    double timeout = 60;
    std::int64_t start_phase = 0;
    std::uint64_t max_obligations = 500;
    app.add_option("PATTERN", file, "pattern file (JSON, docs/pattern-format.md)")->required();
    app.add_option("--d", d, "rows of the input (features per token)")->required();
    app.add_option("--delta", delta_text, "grid step 1/M (M >= 2)")->required();
    app.add_option("--n", n, "number of tokens for size-generic pattern files");
    app.add_option("--out", out_dir,
                   "directory for the .smt2 files (default obligations-PATTERN-nN-dD-delta1_M in the current directory)");
    app.add_flag("--json", json, "print {\"obligations\": [...]} instead of the table");
    app.add_flag("--times", times, "with --json: add z3_seconds and cvc5_seconds (the output is then not deterministic)");
    app.add_option("--timeout", timeout, "seconds per obligation and solver (default 60)");
    app.add_option("--cvc5", cvc5_name, "the cvc5 program (default: cvc5 on PATH; absent if not found)");
    app.add_flag("--no-cvc5", no_cvc5, "do not run cvc5 (its column says absent)");
    app.add_option("--start-phase", start_phase, "the pattern used by layer 0 (default 0)");
    app.add_option("--all-max-start", start_text, "actual (default) or pad, as in construct");
    app.add_option("--shift-multiplier", shift_text, "override the sweep's multiplier delta^-d (an experiment)");
    app.add_option("--all-max-multiplier", allmax_text, "override the all-max multiplier C (an experiment)");
    app.add_option("--sentinel", sentinel_text, "override the sentinel S (an experiment)");
    app.add_option("--relu-epsilon", epsilon_text, "width of the four-ReLU form's small intervals (default delta/4)");
    app.add_option("--max-obligations", max_obligations, "refuse configurations with more obligations (default 500)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError& e) {
        return bad_usage("", e.what());
    }

    ConstructionOptions options;
    if (*d < 1 || *d > 8) return bad_usage("--d", fmt::format("must be an integer in 1..8, got {}", *d));
    options.d = std::uint32_t(*d);
    if (const auto m = parse_delta_denominator(delta_text)) options.m = *m;
    else return bad_usage("--delta", fmt::format("expected 1/M with an integer M >= 2, got '{}'", delta_text));
    if (n && *n <= 0) return bad_usage("--n", fmt::format("must be a positive integer, got {}", *n));
    if (!(timeout > 0) || timeout > 1e6) return bad_usage("--timeout", "must be a positive number of seconds");
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
    ObligationOptions obligation_options;
    if (!epsilon_text.empty()) {
        const auto e = parse_rational(epsilon_text);
        if (!e || e->sign() <= 0) return bad_usage("--relu-epsilon", fmt::format("expected a positive rational, got '{}'", epsilon_text));
        obligation_options.relu_epsilon = *e;
    }
    std::optional<std::string> cvc5;
    if (!no_cvc5) cvc5 = find_executable(cvc5_name);
    if (!no_cvc5 && !cvc5 && cvc5_name != "cvc5")
        return bad_usage("--cvc5", fmt::format("'{}' is not an executable program", cvc5_name));

    tools::StatusLine status;
    status.set_prefix(file + ": ");
    const Progress progress = status.callback();
    Pattern pattern;
    try {
        std::optional<std::uint64_t> n_override;
        if (n) n_override = std::uint64_t(*n);
        report(progress, "loading");
        pattern = load_pattern_file(file, n_override);
    } catch (const InputError& e) {
        status.clear();
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }

    Construction construction;
    std::vector<Obligation> obligations;
    try {
        const Applicability a = check_applicability(pattern, options, progress);
        report(progress, "building");
        construction = build_contextual_mapping(pattern, a.path, a.s, options);
        const std::size_t count = obligation_count(construction);
        if (count > max_obligations) {
            status.clear();
            return bad_usage("", fmt::format("{}: {} obligations exceed --max-obligations {} (lower n, d or M)", file,
                                             count, max_obligations));
        }
        report(progress, "writing the obligations");
        obligations = generate_obligations(construction, pattern, obligation_options);
    } catch (const NotApplicable& e) {
        status.clear();
        std::fprintf(stderr, "%s: the construction does not apply: %s\n", file.c_str(), one_line(e.what()).c_str());
        return 2;
    } catch (const std::invalid_argument& e) {
        status.clear();
        return bad_usage("", fmt::format("{}: {}", file, e.what()));
    }
    if (out_dir.empty())
        out_dir = fmt::format("obligations-{}-n{}-d{}-delta1_{}", obligation_file_stem(pattern.name), pattern.n,
                              options.d, options.m);

    ProveOptions prove_options;
    prove_options.out_dir = out_dir;
    prove_options.timeout_seconds = timeout;
    prove_options.cvc5 = cvc5;
    prove_options.progress = progress;
    ProveReport rep;
    try {
        rep = prove(std::move(obligations), prove_options);
    } catch (const std::runtime_error& e) {
        status.clear();
        std::fprintf(stderr, "%s\n", one_line(e.what()).c_str());
        return 2;
    }
    status.clear();

    if (json) {
        std::cout << to_json(rep, times).dump(2) << "\n";
    } else {
        std::string path;
        for (std::size_t i = 0; i < construction.path.size(); ++i)
            path += (i ? " -> " : "") + std::to_string(construction.path[i]);
        std::cout << fmt::format("{}: {} (n = {}, p = {}), d = {}, delta = 1/{}: {} proof obligations for the construction "
                                 "of Yun et al. 2020 (theorems/yun2020.json)\n",
                                 file, pattern.name, pattern.n, pattern.p(), options.d, options.m, rep.results.size());
        std::cout << fmt::format("  path {}, s = {}; shift multiplier {}, all-max multiplier C = {}, sentinel S = {}, "
                                 "[t_l, t_r] = [{}, {}]\n",
                                 path, construction.s, construction.shift_multiplier.str(),
                                 construction.all_max_multiplier.str(), construction.sentinel.str(),
                                 construction.t_l.str(), construction.t_r.str());
        std::cout << fmt::format("  files: {}/; solvers: Z3 {} (C++ API), {}; timeout {} s per obligation and solver\n\n",
                                 out_dir, rep.z3_version,
                                 cvc5 ? fmt::format("cvc5 {} ({})", rep.cvc5_version, *cvc5)
                                      : std::string(no_cvc5 ? "cvc5 not run (--no-cvc5)" : "cvc5 not installed"),
                                 timeout);
        std::cout << describe(rep, true);
    }
    return rep.proved() ? 0 : 1;
}

}  // namespace sparsecert::cli
