// Reports of `sparsecert construct`: the stage table next to the reconstructed formulas of the
// paper's layer counts, JSON, text.
#include <algorithm>
#include <string_view>

#include <fmt/format.h>
#include <gmpxx.h>
#include <nlohmann/json.hpp>

#include "sparsecert/construction/contextual_mapping.hpp"

namespace sparsecert {

namespace {

mpz_class ipow(std::uint64_t b, std::uint64_t e) {
    mpz_class r;
    mpz_ui_pow_ui(r.get_mpz_t(), b, e);
    return r;
}

// What was checked, and on which inputs: a sampled check covers the sampled inputs only (the value
// mapping is built for them), never the whole grid.
std::string verdict_text(const ConstructReport& rep) {
    const auto& cm = rep.contextual_mapping;
    if (!rep.holds())
        return fmt::format("a check FAILED ({} failure{}; the first are listed above)", rep.failure_count,
                           rep.failure_count == 1 ? "" : "s");
    if (cm.exhaustive && rep.matches_target.exhaustive && cm.sentinel_exhaustive)
        return fmt::format("every property verified on all {} grid inputs (exhaustive)", cm.grid_inputs);
    return fmt::format("every property verified on a seeded sample only: {} of the {} grid inputs{} (not exhaustive; the "
                       "value mapping is built for the sampled inputs, so the network is shown to equal f_bar on those "
                       "inputs alone, not on the grid)",
                       cm.inputs_checked, cm.grid_inputs,
                       cm.sentinel_exhaustive ? "" : fmt::format(", {} sentinel inputs", cm.sentinel_inputs_checked));
}

}  // namespace

std::uint64_t formula_layers(const ConstructReport& rep) {
    const Construction& c = rep.construction;
    const std::uint64_t grid_k = ipow(c.m, c.d).get_ui();
    return std::uint64_t(c.p) * (c.n - 1) * grid_k + rep.paper_s.value_or(c.s);
}

std::vector<StageRow> stage_table(const ConstructReport& rep) {
    const Construction& c = rep.construction;
    const std::uint64_t grid_k = ipow(c.m, c.d).get_ui();
    const std::uint64_t shifts = c.sweep_steps.size();
    const std::uint64_t paper_s = rep.paper_s.value_or(c.s);
    std::vector<StageRow> rows;
    rows.push_back({"quantization", c.quantization.size(), fmt::format("d/delta + d = {}", c.d * (c.m + 1)),
                    fmt::format("the positional offsets come first, so each row spans the n unit intervals of [1, n+1): "
                                "d n/delta = {} rounding layers, plus d = {} sentinel layers",
                                std::uint64_t(c.d) * c.n * c.m, c.d)});
    rows.push_back({"selective shift", c.sweep.size(), fmt::format("p(n-1)delta^-d = {}", c.p * (c.n - 1) * grid_k),
                    fmt::format("{} = (n-1)delta^-d shift layers and {} identity layers where the cycle's pattern lacks "
                                "the path edge; the paper budgets p slots per value",
                                shifts, c.identity_layers)});
    if (c.padding.size() > 0)
        rows.push_back({"padding", c.padding.size(), "-", "identity layers back to pattern 0 (pad mode)"});
    std::string s_note;
    if (c.s != paper_s)
        s_note = fmt::format("s for the patterns from {} on (the sweep ends there); the paper's s is {} (from pattern 0)",
                             c.all_max_phase, paper_s);
    else if (c.all_max_phase != 0)
        s_note = fmt::format("the all-max stage starts at pattern {}; s is the same as from pattern 0", c.all_max_phase);
    rows.push_back({"all-max shift", c.all_max.size(), fmt::format("s = {}", paper_s), s_note});
    const std::uint64_t cm = c.sweep.size() + c.padding.size() + c.all_max.size();
    std::string cm_note;
    if (cm != formula_layers(rep)) {
        cm_note = fmt::format("{} sweep layers (the formula budgets {})", c.sweep.size(), c.p * (c.n - 1) * grid_k);
        if (c.padding.size() > 0) cm_note += fmt::format(", {} padding", c.padding.size());
        cm_note += fmt::format(", s = {} all-max layers (the formula's s is {})", c.all_max.size(), paper_s);
    }
    rows.push_back({"contextual mapping", cm, fmt::format("p(n-1)delta^-d + s = {}", formula_layers(rep)), cm_note});
    rows.push_back({"value-mapping preparation", c.preparation.size(), "-",
                    c.d >= 2 ? "the code into row 0, rows 1..d-1 zeroed, codes outside [t_l, t_r] zeroed"
                             : "codes outside [t_l, t_r] zeroed"});
    const std::string full = mpz_class(mpz_class(c.n) * ipow(c.m, std::uint64_t(c.d) * c.n)).get_str();
    rows.push_back({"value mapping", c.value_mapping.size(), "n delta^-dn = " + full,
                    rep.contextual_mapping.exhaustive
                        ? "one layer per code"
                        : fmt::format("built for the {} sampled inputs only (the full stage has {} layers)",
                                      c.value_mapping_inputs, full)});
    rows.push_back({"total", c.network.layers.size(), "", ""});
    return rows;
}

nlohmann::json to_json(const ConstructReport& rep) {
    using nlohmann::json;
    const Construction& c = rep.construction;
    json stages = {{"quantization", c.quantization.size()},
                   {"selective_shift", c.sweep.size()},
                   {"selective_shift_attention", c.sweep_steps.size()},
                   {"selective_shift_identity", c.identity_layers},
                   {"padding", c.padding.size()},
                   {"all_max_shift", c.all_max.size()},
                   {"contextual_mapping", c.sweep.size() + c.padding.size() + c.all_max.size()},
                   {"value_mapping_preparation", c.preparation.size()},
                   {"value_mapping", c.value_mapping.size()},
                   {"total", c.network.layers.size()}};
    json u = json::array();
    for (const auto& x : c.u) u.push_back(x.str());
    json failures = json::array();
    for (const auto& f : rep.failures) {
        json j = {{"check", f.check}, {"input", f.input}, {"quantity", f.quantity}};
        j["layer"] = f.layer ? json(*f.layer) : json(nullptr);
        failures.push_back(j);
    }
    const auto& cm = rep.contextual_mapping;
    return json{
        {"pattern", c.pattern_name},
        {"n", c.n},
        {"p", c.p},
        {"d", c.d},
        {"delta", Rational(1, c.m).str()},
        {"target",
         {{"name", rep.target_name},
          {"formula", rep.target_formula},
          {"lipschitz", rep.lipschitz.str()},
          {"exact", rep.target_exact},
          {"tolerance", rep.target_tolerance.str()},
          {"approximation_bound", rep.approximation_bound.str()}}},
        {"path", c.path},
        {"path_method", rep.path_method},
        {"offsets", c.offset},
        {"s",
         {{"all_max", c.s},
          {"paper", rep.paper_s ? json(*rep.paper_s) : json(nullptr)},
          {"sweep_phase", c.sweep_phase},
          {"all_max_phase", c.all_max_phase},
          {"all_max_start", c.all_max_start == AllMaxStart::actual_phase ? "actual-phase" : "pad-to-pattern-0"}}},
        {"constants",
         {{"u", u},
          {"bucket_width", c.bucket_width.str()},
          {"shift_multiplier", c.shift_multiplier.str()},
          {"all_max_multiplier", c.all_max_multiplier.str()},
          {"sentinel", c.sentinel.str()},
          {"id_low", c.id_low.str()},
          {"id_high", c.id_high.str()},
          {"t_l", c.t_l.str()},
          {"t_r", c.t_r.str()}}},
        {"stages", stages},
        {"formula_layers", formula_layers(rep)},
        {"checks",
         {{"quantization", {{"holds", rep.quantization.holds}, {"cells_checked", rep.quantization.cells_checked}}},
          {"selective_shift",
           {{"holds", rep.selective_shift.holds},
            {"shift_layers", rep.selective_shift.shift_layers},
            {"inputs_checked", rep.selective_shift.inputs_checked}}},
          {"contextual_mapping",
           {{"holds", cm.holds},
            {"inputs_checked", cm.inputs_checked},
            {"exhaustive", cm.exhaustive},
            {"grid_inputs", cm.grid_inputs},
            {"codes", cm.codes},
            {"min_gap", cm.min_gap.str()},
            {"min_code", cm.min_code.str()},
            {"max_code", cm.max_code.str()},
            {"reaches_all", cm.reaches_all},
            {"sentinel_inputs_checked", cm.sentinel_inputs_checked},
            {"sentinel_exhaustive", cm.sentinel_exhaustive},
            {"min_sentinel_code", cm.min_sentinel_code.str()}}},
          {"matches_target",
           {{"holds", rep.matches_target.holds},
            {"inputs_checked", rep.matches_target.inputs_checked},
            {"exhaustive", rep.matches_target.exhaustive},
            {"evaluator", evaluator_name(rep.matches_target.evaluator)}}}}},
        {"failure_count", rep.failure_count},
        {"failures", failures},
        {"holds", rep.holds()},
        {"exhaustive", cm.exhaustive && rep.matches_target.exhaustive && cm.sentinel_exhaustive},
        {"verdict", verdict_text(rep)},
        {"formulas", "reconstructions of the paper's layer counts (docs/construction.md), not quoted from it"}};
}

std::string describe(const ConstructReport& rep, const std::string& file) {
    const Construction& c = rep.construction;
    const auto& cm = rep.contextual_mapping;
    std::string out;
    out += fmt::format("{}: {} (n = {}, p = {}), d = {}, delta = 1/{}, target {}\n", file, c.pattern_name, c.n, c.p, c.d,
                       c.m, rep.target_name);
    out += fmt::format("  target: {}; Lipschitz {}, so |f - f_bar| <= {} per entry{}\n", rep.target_formula,
                       rep.lipschitz.str(), rep.approximation_bound.str(),
                       rep.target_exact ? "" : fmt::format(" (values rounded to within {})", rep.target_tolerance.str()));
    std::string path;
    for (std::size_t i = 0; i < c.path.size(); ++i) path += (i ? " -> " : "") + std::to_string(c.path[i]);
    out += fmt::format("  Hamiltonian path (tokens from 0{}): {}\n",
                       rep.path_method.empty() ? "" : ", found by " + rep.path_method, path);
    out += fmt::format("  positional offsets along the path: gamma(0) = {} gets {}, gamma(i) gets i\n", c.path[0], c.n);
    out += fmt::format("  sweep starts at pattern {}, all-max stage at pattern {} ({}); s = {}{}\n", c.sweep_phase,
                       c.all_max_phase,
                       c.all_max_start == AllMaxStart::actual_phase ? "where the sweep ends" : "padded back to pattern 0",
                       c.s, rep.paper_s ? fmt::format(" (paper's s, from pattern 0: {})", *rep.paper_s) : "");
    out += fmt::format("  constants: shift multiplier delta^-d = {}; all-max multiplier C = {}; sentinel S = {};\n",
                       c.shift_multiplier.str(), c.all_max_multiplier.str(), c.sentinel.str());
    out += fmt::format("             largest id after the sweep in [{}, {}]; [t_l, t_r] = [{}, {}]\n", c.id_low.str(),
                       c.id_high.str(), c.t_l.str(), c.t_r.str());
    out += "\n";
    const auto rows = stage_table(rep);
    std::size_t w0 = 5, w1 = 6, w2 = 5;
    for (const auto& r : rows) {
        w0 = std::max(w0, r.stage.size());
        w1 = std::max(w1, std::to_string(r.layers).size());
        w2 = std::max(w2, r.formula.size());
    }
    out += fmt::format("  {:<{}}  {:>{}}  {:<{}}  {}\n", "stage", w0, "layers", w1, "formula", w2, "difference");
    for (const auto& r : rows) {
        std::string line = fmt::format("  {:<{}}  {:>{}}  {:<{}}  {}", r.stage, w0, r.layers, w1, r.formula, w2, r.note);
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    out += "  (formula: our reconstruction of the paper's layer counts, docs/construction.md; not quoted from the paper)\n\n";
    const std::string over_what =
        cm.exhaustive ? fmt::format("all {} grid inputs", cm.inputs_checked)
                      : fmt::format("a seeded sample of {} of the {} grid inputs (not exhaustive)", cm.inputs_checked,
                                    cm.grid_inputs);
    // A failing check prints its first failure (the failing input, or pair of inputs), never the
    // sentence that says it holds.
    auto failed = [&](std::initializer_list<std::string_view> checks) {
        for (const auto& f : rep.failures)
            for (auto name : checks)
                if (f.check == name)
                    return fmt::format("FAILS: {}{}{}", f.quantity, f.input.empty() ? "" : " (input " + f.input + ")",
                                       f.layer ? fmt::format(", at layer {}", *f.layer) : "");
        return std::string("FAILS (its failures are not among the first listed below)");
    };
    out += fmt::format("  checks (exact rational arithmetic, {}):\n", over_what);
    out += rep.quantization.holds
               ? fmt::format("    quantization: holds ({} pieces of the composed entry-wise maps)\n",
                             rep.quantization.cells_checked)
               : fmt::format("    quantization: {}\n", failed({"quantization"}));
    out += rep.selective_shift.holds
               ? fmt::format("    selective-shift invariants: holds at {} shift layers on every checked input\n",
                             rep.selective_shift.shift_layers)
               : fmt::format("    selective-shift invariants: {}\n", failed({"selective_shift"}));
    const bool sentinel_holds =
        std::none_of(rep.failures.begin(), rep.failures.end(), [](const Failure& f) { return f.check == "sentinel"; });
    if (cm.holds)
        out += fmt::format("    contextual mapping: holds: {} codes distinct within and across inputs, in [t_l, t_r]; "
                           "smallest gap {}\n",
                           cm.codes, cm.min_gap.str());
    else
        out += fmt::format("    contextual mapping: {}\n", failed({"contextual_mapping", "sentinel"}));
    out += fmt::format("      all-max layers reach every token: {}; {} inputs carrying the sentinel{}: {}\n",
                       cm.reaches_all ? "yes" : "NO", cm.sentinel_inputs_checked,
                       cm.sentinel_exhaustive ? " (all)" : " (seeded sample)",
                       sentinel_holds ? fmt::format("every code outside [t_l, t_r] (smallest {})", cm.min_sentinel_code.str())
                                      : failed({"sentinel"}));
    out += rep.matches_target.holds
               ? fmt::format("    matches target: holds: the network equals f_bar at {} grid points ({} evaluator)\n",
                             rep.matches_target.inputs_checked, evaluator_name(rep.matches_target.evaluator))
               : fmt::format("    matches target: {}\n", failed({"matches_target"}));
    if (rep.failure_count) {
        out += fmt::format("\n  {} failure{}{}:\n", rep.failure_count, rep.failure_count == 1 ? "" : "s",
                           rep.failures.size() < rep.failure_count ? fmt::format(" (first {})", rep.failures.size()) : "");
        for (const auto& f : rep.failures)
            out += fmt::format("    {}{}{}: {}\n", f.check, f.layer ? fmt::format(" at layer {}", *f.layer) : "",
                               f.input.empty() ? "" : ", input " + f.input, f.quantity);
    }
    out += "\n  verdict: " + verdict_text(rep) + "\n";
    return out;
}

}  // namespace sparsecert
