#include "sparsecert/proofs/prove.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sparsecert {

bool ProveReport::proved() const {
    for (const auto& r : results) {
        if (r.z3.status != SmtStatus::unsat) return false;
        if (r.cvc5.status != SmtStatus::unsat && r.cvc5.status != SmtStatus::absent) return false;
    }
    return true;
}

std::vector<std::string> ProveReport::disagreements() const {
    std::vector<std::string> names;
    auto decided = [](SmtStatus s) { return s == SmtStatus::sat || s == SmtStatus::unsat; };
    for (const auto& r : results)
        if (decided(r.z3.status) && decided(r.cvc5.status) && r.z3.status != r.cvc5.status)
            names.push_back(r.obligation.name);
    return names;
}

ProveReport prove(std::vector<Obligation> obligations, const ProveOptions& options) {
    namespace fs = std::filesystem;
    ProveReport rep;
    rep.z3_version = z3_version();
    if (options.cvc5) rep.cvc5_version = cvc5_version(*options.cvc5);
    std::error_code ec;
    fs::create_directories(options.out_dir, ec);
    if (ec) throw std::runtime_error(fmt::format("{}: cannot create the directory: {}", options.out_dir, ec.message()));
    const std::size_t width = std::max<std::size_t>(2, std::to_string(obligations.size()).size());
    for (std::size_t i = 0; i < obligations.size(); ++i) {
        ObligationResult r;
        r.obligation = std::move(obligations[i]);
        r.file = (fs::path(options.out_dir) /
                  fmt::format("{:0{}}-{}.smt2", i + 1, width, obligation_file_stem(r.obligation.name)))
                     .string();
        {
            std::ofstream out(r.file, std::ios::binary);
            out << r.obligation.smt2;
            if (!out) throw std::runtime_error(fmt::format("{}: cannot write the obligation", r.file));
        }
        const std::string label = fmt::format("{}/{} {}", i + 1, obligations.size(), r.obligation.name);
        report(options.progress, label + ": z3", 0.0);
        r.z3 = run_z3(r.obligation.smt2, options.timeout_seconds, options.progress, label + ": z3");
        if (r.z3.status == SmtStatus::sat) r.z3_model_problem = smt_model_problem(r.obligation.smt2, r.z3.model);
        if (options.cvc5) {
            report(options.progress, label + ": cvc5");
            r.cvc5 = run_cvc5(*options.cvc5, r.file, options.timeout_seconds);
            if (r.cvc5.status == SmtStatus::sat) r.cvc5_model_problem = smt_model_problem(r.obligation.smt2, r.cvc5.model);
        }
        rep.results.push_back(std::move(r));
    }
    return rep;
}

std::vector<std::pair<std::string, Rational>> counterexample(const ObligationResult& result) {
    const SolverRun* run = result.z3.status == SmtStatus::sat     ? &result.z3
                           : result.cvc5.status == SmtStatus::sat ? &result.cvc5
                                                                  : nullptr;
    std::vector<std::pair<std::string, Rational>> values;
    if (!run) return values;
    for (const auto& shown : result.obligation.shown)
        for (const auto& v : run->model)
            if (v.name == shown.variable) {
                values.emplace_back(shown.label, v.value * shown.scale);
                break;
            }
    return values;
}

namespace {

std::string cell(const SolverRun& run, bool times) {
    std::string s = smt_status_name(run.status);
    if (times && run.status != SmtStatus::absent) s += fmt::format(" {:7.3f} s", run.seconds);
    return s;
}

const char* const legend[] = {
    "quantization/layer-L    layer L sends every real entry of its cell to the cell's grid value (the sentinel layer:",
    "                        every real entry outside [1, n+1) to S) and keeps every other entry and row",
    "quantization/token-k    the embedding and all quantization layers on token k, for every real entry",
    "shift/layer-L           on every state the sweep reaches for a valid input (integer grid codes), only the column",
    "                        whose id is the layer's value v changes: row 0 gains delta^-d (max - min) of its attended ids",
    "shift/layer-L/monotone  on every real state, no column's id decreases",
    "sweep/injective         the final id of the path (the path code) determines the grid input",
    "all-max/...             codes distinct within an input and across inputs, in [t_l, t_r]; inputs carrying the",
    "                        sentinel get codes above t_r",
    "relu/phi-i              the four-ReLU form g runs (relu_form) equals phi outside its ramps",
};

}  // namespace

std::string describe(const ProveReport& report, bool times) {
    std::size_t name_width = 10;
    for (const auto& r : report.results) name_width = std::max(name_width, r.obligation.name.size());
    const std::size_t col = times ? 17 : 8;
    std::string out = fmt::format("  {:<{}}  {:<{}}  {}\n", "obligation", name_width, "z3", col, "cvc5");
    std::size_t z3_unsat = 0, cvc5_unsat = 0, cvc5_ran = 0;
    for (const auto& r : report.results) {
        out += fmt::format("  {:<{}}  {:<{}}  {}\n", r.obligation.name, name_width, cell(r.z3, times), col, cell(r.cvc5, times));
        z3_unsat += r.z3.status == SmtStatus::unsat;
        cvc5_unsat += r.cvc5.status == SmtStatus::unsat;
        cvc5_ran += r.cvc5.status != SmtStatus::absent;
    }
    out += "\n  legend (docs/prove.md; each file states its claim):\n";
    for (const char* line : legend) out += fmt::format("    {}\n", line);

    std::string failures;
    for (const auto& r : report.results) {
        const bool z3_ok = r.z3.status == SmtStatus::unsat;
        const bool cvc5_ok = r.cvc5.status == SmtStatus::unsat || r.cvc5.status == SmtStatus::absent;
        if (z3_ok && cvc5_ok) continue;
        failures += fmt::format("    {} ({})\n      claim: {}\n", r.obligation.name, r.file, r.obligation.claim);
        for (const auto& [solver, run] : {std::pair{"z3", &r.z3}, std::pair{"cvc5", &r.cvc5}})
            if (run->status == SmtStatus::unknown)
                failures += fmt::format("      {}: unknown ({})\n", solver, run->message);
        const auto values = counterexample(r);
        if (!values.empty()) {
            failures += fmt::format("      breaks the claim ({} model):", r.z3.status == SmtStatus::sat ? "z3" : "cvc5");
            for (std::size_t i = 0; i < values.size(); ++i)
                failures += fmt::format("{}{} = {}", i ? ", " : " ", values[i].first, values[i].second.str());
            failures += "\n";
        }
        for (const auto& [solver, problem] : {std::pair{"z3", &r.z3_model_problem}, std::pair{"cvc5", &r.cvc5_model_problem}})
            if (*problem)
                failures += (*problem)->empty()
                                ? fmt::format("      the {} model satisfies the file (checked in exact rational arithmetic)\n", solver)
                                : fmt::format("      the {} model FAILS the exact check: {}\n", solver, **problem);
    }
    if (!failures.empty()) out += "\n  not proved:\n" + failures;
    const auto disagree = report.disagreements();
    if (!disagree.empty()) {
        out += "\n  the solvers disagree on:";
        for (const auto& name : disagree) out += " " + name;
        out += "\n";
    }
    const std::size_t total = report.results.size();
    out += "\n  verdict: ";
    if (report.proved())
        out += cvc5_ran ? fmt::format("every obligation proved by Z3 and cvc5 ({} unsat each)\n", total)
                        : fmt::format("every obligation proved by Z3 ({} unsat; cvc5 not run)\n", total);
    else
        out += fmt::format("NOT PROVED: Z3 unsat on {} of {}{}\n", z3_unsat, total,
                           cvc5_ran ? fmt::format(", cvc5 unsat on {} of {}", cvc5_unsat, total) : std::string());
    return out;
}

nlohmann::json to_json(const ProveReport& report, bool times) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : report.results) {
        nlohmann::json o = {{"name", r.obligation.name},
                            {"file", r.file},
                            {"z3", smt_status_name(r.z3.status)},
                            {"cvc5", smt_status_name(r.cvc5.status)},
                            {"claim", r.obligation.claim}};
        if (r.z3.status == SmtStatus::unknown) o["z3_message"] = r.z3.message;
        if (r.cvc5.status == SmtStatus::unknown) o["cvc5_message"] = r.cvc5.message;
        const auto values = counterexample(r);
        if (!values.empty()) {
            nlohmann::json cex = nlohmann::json::array();
            for (const auto& [label, value] : values) cex.push_back({{"name", label}, {"value", value.str()}});
            o["counterexample"] = cex;
        }
        const auto& problem = r.z3.status == SmtStatus::sat ? r.z3_model_problem : r.cvc5_model_problem;
        if (problem) o["model_checked"] = problem->empty();
        if (times) {
            o["z3_seconds"] = r.z3.seconds;
            if (r.cvc5.status != SmtStatus::absent) o["cvc5_seconds"] = r.cvc5.seconds;
        }
        list.push_back(std::move(o));
    }
    return {{"obligations", list}};
}

}  // namespace sparsecert
