// Running SMT solvers on SMT-LIB 2 text: Z3 through its C++ API, cvc5 through its command-line
// program on the same file (docs/algorithms.md section 4.1: one obligation, two solvers).
//
// Why two routes: Debian 12's cvc5 1.0.3 has no public SMT-LIB parser API, so the independent
// re-check runs the `cvc5` binary on the very file Z3 parsed. Both answers are about the same
// text; a "sat" answer comes with the model (the values of the declared constants).
//
// Time budgets: Z3 is stopped by a watchdog thread calling Z3_interrupt (src/support/z3_watchdog.hpp: Z3
// 4.8.12's own timeout timer can deadlock); cvc5 gets --tlimit and, as a backstop, is killed by
// its process id shortly after the budget.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sparsecert/support/progress.hpp"
#include "sparsecert/construction/rational.hpp"

namespace sparsecert {

enum class SmtStatus {
    unsat,    // the asserted formula has no model: the obligation's claim is proved
    sat,      // a model exists: it breaks the claim
    unknown,  // timeout, resource limit, or an error (see SolverRun::message)
    absent,   // the solver was not run (not installed, or disabled)
};
const char* smt_status_name(SmtStatus status);  // "unsat", "sat", "unknown", "absent"

// The value of one declared constant in a model (Int or Real; the linear logics used here have
// rational models).
struct ModelValue {
    std::string name;
    Rational value;
};

struct SolverRun {
    SmtStatus status = SmtStatus::absent;
    double seconds = 0;              // wall time (parse + check, or the whole process)
    std::string message;             // unknown: why (timeout, the solver's error text)
    std::vector<ModelValue> model;   // sat: every declared constant the model assigns, in its order
};

// Runs Z3 (C++ API) on SMT-LIB 2 text. Commands other than declarations, definitions and
// assertions (set-logic, set-option, check-sat, get-*) are dropped before the text reaches the
// API: Z3's parser rejects some options after initialisation (docs/algorithms.md section 4.1) and the
// API drives the check itself.
SolverRun run_z3(const std::string& smt2, double timeout_seconds, const Progress& progress = {},
                 const std::string& progress_label = "z3");

// The first executable named `name` on PATH (or `name` itself when it contains a '/' and is
// executable); nullopt when there is none.
std::optional<std::string> find_executable(const std::string& name);

// Runs `cvc5 --lang=smt2 --produce-models --dump-models --tlimit=MS FILE` and reads its answer
// (the first line) and, on sat, the model it prints. cvc5 needs the file's (set-logic ...) line;
// the file must not contain (get-model) (cvc5 1.0.3 reports an error for it after unsat).
SolverRun run_cvc5(const std::string& cvc5_path, const std::string& smt2_file, double timeout_seconds);

// "4.8.12" (the linked Z3 library), and the first line of `cvc5 --version` ("This is cvc5 version
// 1.0.3" gives "1.0.3"; empty when it cannot be run).
std::string z3_version();
std::string cvc5_version(const std::string& cvc5_path);

// Parses a model printed as ( (define-fun NAME () SORT VALUE) ... ), VALUE being a numeral, a
// decimal, (- V) or (/ V V); entries of other shapes are skipped. Throws std::invalid_argument on
// unbalanced text.
std::vector<ModelValue> parse_smt_model(const std::string& text);

// Checks a model against SMT-LIB text in exact rational arithmetic, independently of the solver
// that produced it: every assertion must evaluate to true. A constant the model leaves out is
// computed from a defining assertion (= NAME EXPR) that precedes its uses. Covers the fragment the
// obligations use (Bool, Int, Real; and, or, not, =>, =, distinct, <, <=, >, >=, +, -, *, /, ite,
// to_real). Returns an empty string when the model satisfies every assertion, else what fails.
std::string smt_model_problem(const std::string& smt2, const std::vector<ModelValue>& model);

// SMT-LIB 2 literals for exact rationals: Real sort as decimals ("3.0", "(/ 7.0 2.0)",
// "(- 5.0)"), which are Real in every logic (a bare numeral is Int in QF_LIRA); Int sort for
// integers ("4", "(- 4)").
std::string smt_real(const Rational& value);
std::string smt_int(const Rational& value);  // value must be an integer

}  // namespace sparsecert
