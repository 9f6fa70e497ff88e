// The exact stage of the Hamiltonian-path pipeline (docs/algorithms.md sections 1.5 and 4.1).
//
// Encoding: successor + ordering, never the position encoding (n^2 variables, which scales far
// worse; docs/algorithms.md section 1.5).
// Strictly increasing positions along selected edges rule out every sub-cycle, so "exactly one in,
// exactly one out, one begin, one end" already means one path through all tokens.
//
// The text is printed by hand, not by Z3's to_smt2(), so that it stays portable SMT-LIB 2.6
// (QF_LIA, plain declare-fun / assert / check-sat) for cvc5 to re-check (section 4.1), and the very
// same text is what Z3 parses and answers: the certificate is the thing that was checked.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <z3++.h>

#include "conditions/hamiltonian_internal.hpp"
#include "support/z3_watchdog.hpp"
#include "sparsecert/conditions/hamiltonian.hpp"

namespace sparsecert {

namespace {

// Appends decimal x without allocating (the text can reach tens of megabytes).
void put_number(std::string& out, std::uint64_t x) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
    (void)ec;
    out.append(buf, end);
}

// Variable names: s_u_v (edge u -> v selected), p_v (position), b_v / e_v (v begins / ends the
// path), and <prefix>_<owner>_<i> for the auxiliaries of one at-most-one constraint.
struct Literal {
    char kind;             // 's', 'b' or 'e'
    token_t u = 0, v = 0;  // s: the edge u -> v; b/e: the token in u
};

void put_literal(std::string& out, const Literal& lit) {
    out += lit.kind;
    out += '_';
    put_number(out, lit.u);
    if (lit.kind == 's') {
        out += '_';
        put_number(out, lit.v);
    }
}

void put_aux(std::string& out, const char* prefix, std::uint64_t owner, std::uint64_t i) {
    out += prefix;
    out += '_';
    put_number(out, owner);
    out += '_';
    put_number(out, i);
}

// Exactly one of `lits`: one clause for "at least one", and for "at most one" pairwise clauses
// when there are few literals, else Sinz's sequential counter (3d clauses, d - 1 auxiliaries
// r_i = "some of x_1..x_i is true"), which propagates as well as pairwise in a SAT core and stays
// linear for the high-degree global tokens.
void put_exactly_one(std::string& out, const std::vector<Literal>& lits, const char* prefix,
                     std::uint64_t owner) {
    const std::size_t d = lits.size();
    out += "(assert ";
    if (d == 1) {
        put_literal(out, lits[0]);
    } else {
        out += "(or";
        for (const auto& lit : lits) {
            out += ' ';
            put_literal(out, lit);
        }
        out += ')';
    }
    out += ")\n";
    if (d <= 1) return;
    auto clause_not_not = [&](auto&& first, auto&& second) {
        out += "(assert (or (not ";
        first();
        out += ") (not ";
        second();
        out += ")))\n";
    };
    if (d <= 4) {
        for (std::size_t i = 0; i < d; ++i)
            for (std::size_t j = i + 1; j < d; ++j)
                clause_not_not([&] { put_literal(out, lits[i]); },
                               [&] { put_literal(out, lits[j]); });
        return;
    }
    for (std::size_t i = 1; i < d; ++i) {  // declare r_1 .. r_{d-1}
        out += "(declare-fun ";
        put_aux(out, prefix, owner, i);
        out += " () Bool)\n";
    }
    // x_i -> r_i (i < d); r_{i-1} -> r_i; x_i -> not r_{i-1} (i > 1).
    for (std::size_t i = 1; i <= d; ++i) {
        if (i < d) {
            out += "(assert (or (not ";
            put_literal(out, lits[i - 1]);
            out += ") ";
            put_aux(out, prefix, owner, i);
            out += "))\n";
        }
        if (i > 1 && i < d) {
            out += "(assert (or (not ";
            put_aux(out, prefix, owner, i - 1);
            out += ") ";
            put_aux(out, prefix, owner, i);
            out += "))\n";
        }
        if (i > 1)
            clause_not_not([&] { put_literal(out, lits[i - 1]); },
                           [&] { put_aux(out, prefix, owner, i - 1); });
    }
}

}  // namespace

std::string hamiltonian_smt2(const Layer& union_in) {
    const token_t n = union_in.size();
    const Layer union_out = transpose(union_in);
    std::string out;
    out.reserve(std::size_t(300) * union_in.connections() + std::size_t(200) * n + 256);
    out += "; sparsecert: Hamiltonian path in the union graph (docs/theory.md section 2, condition 2),\n"
           "; successor + ordering encoding (docs/algorithms.md section 1.5). n = ";
    put_number(out, n);
    out += ", edges = ";
    put_number(out, union_in.connections());
    out += ". unsat means: no Hamiltonian path.\n(set-logic QF_LIA)\n";
    for (token_t v = 0; v < n; ++v) {
        out += "(declare-fun p_";
        put_number(out, v);
        out += " () Int)\n(declare-fun b_";
        put_number(out, v);
        out += " () Bool)\n(declare-fun e_";
        put_number(out, v);
        out += " () Bool)\n";
    }
    for (token_t v = 0; v < n; ++v)
        for (token_t u : union_in.attended(v)) {
            out += "(declare-fun ";
            put_literal(out, {'s', u, v});
            out += " () Bool)\n";
        }
    for (token_t v = 0; v < n; ++v) {
        out += "(assert (and (<= 0 p_";
        put_number(out, v);
        out += ") (<= p_";
        put_number(out, v);
        out += ' ';
        put_number(out, n - 1);
        out += ")))\n(assert (=> b_";
        put_number(out, v);
        out += " (= p_";
        put_number(out, v);
        out += " 0)))\n(assert (=> e_";
        put_number(out, v);
        out += " (= p_";
        put_number(out, v);
        out += ' ';
        put_number(out, n - 1);
        out += ")))\n";
    }
    for (token_t v = 0; v < n; ++v)
        for (token_t u : union_in.attended(v)) {
            out += "(assert (=> ";
            put_literal(out, {'s', u, v});
            out += " (= p_";
            put_number(out, v);
            out += " (+ p_";
            put_number(out, u);
            out += " 1))))\n";
        }
    std::vector<Literal> lits;
    lits.reserve(n);
    for (token_t v = 0; v < n; ++v) lits.push_back({'b', v, 0});
    put_exactly_one(out, lits, "ab", 0);
    lits.clear();
    for (token_t v = 0; v < n; ++v) lits.push_back({'e', v, 0});
    put_exactly_one(out, lits, "ae", 0);
    for (token_t v = 0; v < n; ++v) {
        lits.clear();  // into v: a selected edge, or v begins the path
        lits.push_back({'b', v, 0});
        for (token_t u : union_in.attended(v)) lits.push_back({'s', u, v});
        put_exactly_one(out, lits, "ai", v);
        lits.clear();  // out of v: a selected edge, or v ends the path
        lits.push_back({'e', v, 0});
        for (token_t w : union_out.attended(v)) lits.push_back({'s', v, w});
        put_exactly_one(out, lits, "ao", v);
    }
    out += "(check-sat)\n";
    return out;
}

namespace detail {

Z3Outcome solve_with_z3(const Layer& union_in, double timeout_seconds, const Progress& progress) {
    Z3Outcome outcome;
    const auto start = std::chrono::steady_clock::now();
    const token_t n = union_in.size();
    outcome.encoding = hamiltonian_smt2(union_in);
    report(progress, "hamiltonian path: z3", 0.0);
    try {
        z3::context ctx;
        z3::solver solver(ctx);
        // Parsing is part of the budget (about 0.2 s per megabyte of text with Z3 4.8.12, and it
        // cannot be interrupted): the check gets what is left.
        solver.from_string(outcome.encoding.c_str());
        const double left = timeout_seconds - std::chrono::duration<double>(
                                                  std::chrono::steady_clock::now() - start).count();
        if (left <= 0) {
            outcome.message = "timeout while parsing the encoding";
            outcome.seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            return outcome;
        }
        z3::check_result answer;
        bool out_of_time = false;
        {
            Z3Watchdog watchdog(ctx, progress, left, "hamiltonian path: z3");
            answer = solver.check();
            out_of_time = watchdog.fired();
        }
        if (answer == z3::sat) {
            outcome.status = Z3Outcome::Status::sat;
            z3::model model = solver.get_model();
            std::vector<std::pair<std::int64_t, token_t>> by_position;
            by_position.reserve(n);
            for (token_t v = 0; v < n; ++v) {
                z3::expr p = ctx.int_const(("p_" + std::to_string(v)).c_str());
                z3::expr value = model.eval(p, true);
                std::int64_t position = 0;
                if (!value.is_numeral_i64(position)) position = -1;
                by_position.emplace_back(position, v);
            }
            std::sort(by_position.begin(), by_position.end());
            for (const auto& [position, v] : by_position) outcome.path.push_back(v);
        } else if (answer == z3::unsat) {
            outcome.status = Z3Outcome::Status::unsat;
        } else {
            outcome.status = Z3Outcome::Status::unknown;
            outcome.message = out_of_time ? "timeout" : solver.reason_unknown();
        }
    } catch (const z3::exception& e) {
        outcome.status = Z3Outcome::Status::unknown;
        outcome.message = std::string("Z3 error: ") + e.msg();
    }
    outcome.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report(progress, "hamiltonian path: z3", 1.0);
    return outcome;
}

}  // namespace detail

}  // namespace sparsecert
