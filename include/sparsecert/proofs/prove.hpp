// Discharging proof obligations (obligations.hpp): write one SMT-LIB 2 file per obligation, run
// Z3 on it through the C++ API and, when installed, cvc5 on the very same file (docs/algorithms.md
// section 4.1), and report obligation / Z3 / cvc5 with any "sat" model shown as the input that
// breaks the claim (docs/prove.md).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sparsecert/proofs/obligations.hpp"
#include "sparsecert/support/progress.hpp"
#include "sparsecert/proofs/smt.hpp"

namespace sparsecert {

struct ProveOptions {
    std::string out_dir;                 // the files go here (created when missing)
    double timeout_seconds = 60;         // per obligation and solver
    std::optional<std::string> cvc5;     // the cvc5 program; nullopt: cvc5 is not run ("absent")
    Progress progress;
};

struct ObligationResult {
    Obligation obligation;
    std::string file;                    // out_dir/NN-stem.smt2
    SolverRun z3, cvc5;
    // For a sat answer, the model checked against the file in exact rational arithmetic
    // (smt_model_problem): "" when it satisfies every assertion, else the problem; nullopt when
    // the solver did not answer sat.
    std::optional<std::string> z3_model_problem, cvc5_model_problem;
};

struct ProveReport {
    std::vector<ObligationResult> results;
    std::string z3_version, cvc5_version;  // cvc5_version empty when cvc5 was not run

    // Every obligation unsat for every solver that ran.
    bool proved() const;
    // The obligations where both solvers answered sat/unsat and the answers differ.
    std::vector<std::string> disagreements() const;
};

// Writes the files (out_dir/01-quantization-layer-0.smt2, ...: the index keeps the order of the
// obligations) and runs the solvers, one obligation after the other. Throws std::runtime_error
// when a file cannot be written.
ProveReport prove(std::vector<Obligation> obligations, const ProveOptions& options);

// The shown values of a sat answer's model (Z3's when Z3 said sat, else cvc5's): label and value.
std::vector<std::pair<std::string, Rational>> counterexample(const ObligationResult& result);

// The table (obligation, Z3 result and time, cvc5 result and time), a legend of the obligation
// families, the counterexamples and a verdict line. Times appear only when `times` is set.
std::string describe(const ProveReport& report, bool times = true);

// {"obligations": [{"name", "file", "z3", "cvc5", "claim", "z3_message"?, "cvc5_message"?,
// "counterexample"?, "model_checked"?, "z3_seconds"?, "cvc5_seconds"?}]}; the seconds only with
// `times`.
nlohmann::json to_json(const ProveReport& report, bool times = false);

}  // namespace sparsecert
