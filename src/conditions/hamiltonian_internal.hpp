// Internal interface between the Hamiltonian-path pipeline (hamiltonian.cpp) and its exact stage
// (hamiltonian_z3.cpp). Not installed; plain data only.
#pragma once

#include <string>
#include <vector>

#include "sparsecert/conditions/hamiltonian.hpp"

namespace sparsecert::detail {

struct Z3Outcome {
    enum class Status { sat, unsat, unknown };
    Status status = Status::unknown;
    std::vector<token_t> path;   // sat: the tokens ordered by their p_v (verify before use)
    std::string encoding;        // the SMT-LIB text Z3 checked (hamiltonian_smt2)
    std::string message;         // unknown: Z3's reason_unknown() or the exception text
    double seconds = 0;          // wall time of parse + check
};

// Runs Z3 on hamiltonian_smt2(union_in) within timeout_seconds (parsing included), enforced by
// a watchdog thread that interrupts the context (not Z3's "timeout" parameter, see
// hamiltonian_z3.cpp). Reports "hamiltonian path: z3" progress (elapsed / budget) from that
// thread while the check runs; the caller's thread is blocked meanwhile, so the callback is never
// invoked concurrently.
Z3Outcome solve_with_z3(const Layer& union_in, double timeout_seconds, const Progress& progress);

}  // namespace sparsecert::detail
