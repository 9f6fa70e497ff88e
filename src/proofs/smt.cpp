#include "sparsecert/proofs/smt.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <z3++.h>

#include "sparsecert/support/deadline.hpp"
#include "support/z3_watchdog.hpp"

extern char** environ;

namespace sparsecert {

const char* smt_status_name(SmtStatus status) {
    switch (status) {
        case SmtStatus::unsat: return "unsat";
        case SmtStatus::sat: return "sat";
        case SmtStatus::unknown: return "unknown";
        case SmtStatus::absent: return "absent";
    }
    return "unknown";
}

namespace {

// Mantissa "a.0" for an integer a >= 0 in decimal (GMP).
std::string decimal_of(mpz_srcptr z) {
    char* s = mpz_get_str(nullptr, 10, z);
    std::string out(s);
    void (*freefunc)(void*, size_t);
    mp_get_memory_functions(nullptr, nullptr, &freefunc);
    freefunc(s, std::strlen(s) + 1);
    return out;
}

double since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The top-level commands of SMT-LIB text, as (head, text) pairs; comments, string literals and
// |quoted symbols| are skipped correctly. Throws std::invalid_argument on unbalanced parentheses.
std::vector<std::pair<std::string, std::string_view>> top_level_commands(std::string_view text) {
    std::vector<std::pair<std::string, std::string_view>> commands;
    std::size_t i = 0, start = 0;
    int depth = 0;
    while (i < text.size()) {
        const char ch = text[i];
        if (ch == ';') {
            while (i < text.size() && text[i] != '\n') ++i;
            continue;
        }
        if (ch == '"') {
            for (++i; i < text.size(); ++i)
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') ++i;  // "" escapes a quote
                    else break;
                }
            ++i;
            continue;
        }
        if (ch == '|') {
            for (++i; i < text.size() && text[i] != '|'; ++i) {}
            ++i;
            continue;
        }
        if (ch == '(') {
            if (depth == 0) start = i;
            ++depth;
        } else if (ch == ')') {
            if (--depth < 0) throw std::invalid_argument("unbalanced ')' in SMT-LIB text");
            if (depth == 0) {
                const std::string_view cmd = text.substr(start, i + 1 - start);
                std::size_t h = 1;
                while (h < cmd.size() && std::isspace(static_cast<unsigned char>(cmd[h]))) ++h;
                std::size_t e = h;
                while (e < cmd.size() && !std::isspace(static_cast<unsigned char>(cmd[e])) && cmd[e] != '(' &&
                       cmd[e] != ')')
                    ++e;
                commands.emplace_back(std::string(cmd.substr(h, e - h)), cmd);
            }
        }
        ++i;
    }
    if (depth != 0) throw std::invalid_argument("unbalanced '(' in SMT-LIB text");
    return commands;
}

// S-expressions for the model parser: an atom or a list.
struct Sexp {
    std::string atom;
    std::vector<Sexp> list;
    bool is_list = false;
};

class SexpReader {
public:
    explicit SexpReader(std::string_view text) : text_(text) {}
    bool at_end() {
        skip();
        return pos_ >= text_.size();
    }
    Sexp read() {
        skip();
        if (pos_ >= text_.size()) throw std::invalid_argument("unexpected end of SMT-LIB text");
        Sexp s;
        if (text_[pos_] == '(') {
            s.is_list = true;
            ++pos_;
            while (true) {
                skip();
                if (pos_ >= text_.size()) throw std::invalid_argument("unbalanced '(' in SMT-LIB text");
                if (text_[pos_] == ')') {
                    ++pos_;
                    break;
                }
                s.list.push_back(read());
            }
            return s;
        }
        if (text_[pos_] == ')') throw std::invalid_argument("unbalanced ')' in SMT-LIB text");
        const std::size_t start = pos_;
        if (text_[pos_] == '|' || text_[pos_] == '"') {
            const char close = text_[pos_];
            for (++pos_; pos_ < text_.size() && text_[pos_] != close; ++pos_) {}
            ++pos_;
        } else {
            while (pos_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[pos_])) &&
                   text_[pos_] != '(' && text_[pos_] != ')')
                ++pos_;
        }
        s.atom = std::string(text_.substr(start, pos_ - start));
        return s;
    }

private:
    void skip() {
        while (pos_ < text_.size()) {
            if (std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
            else if (text_[pos_] == ';')
                while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
            else break;
        }
    }
    std::string_view text_;
    std::size_t pos_ = 0;
};

// A numeral, a decimal, (- V), (/ V V), or (to_real V); nullopt for anything else.
std::optional<Rational> value_of(const Sexp& s) {
    if (!s.is_list) {
        if (s.atom.empty() || !(std::isdigit(static_cast<unsigned char>(s.atom[0])))) return std::nullopt;
        try {
            return Rational::parse(s.atom);
        } catch (const std::invalid_argument&) {
            return std::nullopt;
        }
    }
    if (s.list.empty() || s.list[0].is_list) return std::nullopt;
    const std::string& op = s.list[0].atom;
    if (op == "-" && s.list.size() == 2) {
        auto v = value_of(s.list[1]);
        if (v) return -*v;
    } else if (op == "/" && s.list.size() == 3) {
        auto a = value_of(s.list[1]), b = value_of(s.list[2]);
        if (a && b && !b->is_zero()) return *a / *b;
    } else if (op == "to_real" && s.list.size() == 2) {
        return value_of(s.list[1]);
    }
    return std::nullopt;
}

struct ProcessResult {
    int exit_status = -1;  // -1: killed or did not exit normally
    bool killed = false;   // we killed it at the deadline
    std::string output;    // stdout and stderr, interleaved
    std::string error;     // could not start it
};

// Runs argv[0] with the arguments, collecting stdout+stderr; kills the process (by its id) when it
// outlives `deadline_seconds`.
ProcessResult run_process(const std::vector<std::string>& args, double deadline_seconds) {
    ProcessResult r;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        r.error = std::string("pipe: ") + std::strerror(errno);
        return r;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        r.error = fmt::format("cannot run {}: {}", args[0], std::strerror(rc));
        return r;
    }
    const auto start = std::chrono::steady_clock::now();
    char buf[4096];
    while (true) {
        const double left = deadline_seconds - since(start);
        if (left <= 0) {
            kill(pid, SIGKILL);  // only the process started here, by its id
            r.killed = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        const int ready = poll(&p, 1, int(std::min(left, 1.0) * 1000) + 1);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        const ssize_t got = read(fds[0], buf, sizeof buf);
        if (got > 0) r.output.append(buf, std::size_t(got));
        else if (got == 0) break;  // end of output: the process closed it (exited)
        else if (errno != EINTR && errno != EAGAIN) break;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status)) r.exit_status = WEXITSTATUS(status);
    return r;
}

}  // namespace

std::string smt_real(const Rational& value) {
    const Rational a = abs(value);
    std::string body;
    if (a.is_integer()) body = decimal_of(a.numerator()) + ".0";
    else body = "(/ " + decimal_of(a.numerator()) + ".0 " + decimal_of(a.denominator()) + ".0)";
    return value.sign() < 0 ? "(- " + body + ")" : body;
}

std::string smt_int(const Rational& value) {
    if (!value.is_integer()) throw std::invalid_argument("smt_int: " + value.str() + " is not an integer");
    const std::string body = decimal_of(abs(value).numerator());
    return value.sign() < 0 ? "(- " + body + ")" : body;
}

std::vector<ModelValue> parse_smt_model(const std::string& text) {
    std::vector<ModelValue> model;
    SexpReader reader(text);
    while (!reader.at_end()) {
        const Sexp top = reader.read();
        if (!top.is_list) continue;
        // cvc5 prints ( (define-fun ...) ... ); accept a bare define-fun as well.
        std::vector<const Sexp*> entries;
        if (!top.list.empty() && !top.list[0].is_list && top.list[0].atom == "define-fun") entries.push_back(&top);
        else
            for (const auto& e : top.list) entries.push_back(&e);
        for (const Sexp* e : entries) {
            if (!e->is_list || e->list.size() != 5 || e->list[0].is_list || e->list[0].atom != "define-fun") continue;
            if (!e->list[2].is_list || !e->list[2].list.empty()) continue;  // constants only
            if (auto v = value_of(e->list[4])) model.push_back({e->list[1].atom, *v});
        }
    }
    return model;
}

namespace {

struct SmtValue {
    bool is_bool = false;
    bool b = false;
    Rational r;
};

class ModelEvaluator {
public:
    explicit ModelEvaluator(const std::vector<ModelValue>& model) {
        for (const auto& v : model) env_[v.name] = SmtValue{false, false, v.value};
    }
    bool known(const std::string& name) const { return env_.count(name) != 0; }
    void set(const std::string& name, SmtValue v) { env_[name] = std::move(v); }

    // nullopt: the expression mentions a constant without a value.
    std::optional<SmtValue> eval(const Sexp& e) const {
        if (!e.is_list) {
            if (e.atom == "true" || e.atom == "false") return SmtValue{true, e.atom == "true", {}};
            if (auto it = env_.find(e.atom); it != env_.end()) return it->second;
            if (!e.atom.empty() && std::isdigit(static_cast<unsigned char>(e.atom[0])))
                return SmtValue{false, false, Rational::parse(e.atom)};
            return std::nullopt;
        }
        if (e.list.empty() || e.list[0].is_list) throw std::invalid_argument("unsupported expression");
        const std::string& op = e.list[0].atom;
        std::vector<SmtValue> args;
        for (std::size_t i = 1; i < e.list.size(); ++i) {
            if (op == "ite" && i == 2) {  // evaluate only the branch taken
                if (!args[0].is_bool) throw std::invalid_argument("ite on a number");
                return eval(e.list[args[0].b ? 2 : 3]);
            }
            auto v = eval(e.list[i]);
            if (!v) return std::nullopt;
            args.push_back(std::move(*v));
        }
        auto num = [&](std::size_t i) -> const Rational& {
            if (args.at(i).is_bool) throw std::invalid_argument("'" + op + "' on a Boolean");
            return args[i].r;
        };
        auto boolean = [&](std::size_t i) {
            if (!args.at(i).is_bool) throw std::invalid_argument("'" + op + "' on a number");
            return args[i].b;
        };
        auto result_bool = [](bool b) { return SmtValue{true, b, {}}; };
        auto result_num = [](Rational r) { return SmtValue{false, false, std::move(r)}; };
        if (op == "and" || op == "or") {
            bool acc = op == "and";
            for (std::size_t i = 0; i < args.size(); ++i) acc = op == "and" ? (acc && boolean(i)) : (acc || boolean(i));
            return result_bool(acc);
        }
        if (op == "not") return result_bool(!boolean(0));
        if (op == "=>") return result_bool(!boolean(0) || boolean(1));
        if (op == "=" || op == "distinct") {
            bool all_equal = true, pairwise_distinct = true;
            for (std::size_t i = 0; i < args.size(); ++i)
                for (std::size_t j = i + 1; j < args.size(); ++j) {
                    const bool eq = args[i].is_bool ? (args[i].b == boolean(j)) : (args[i].r == num(j));
                    all_equal = all_equal && eq;
                    pairwise_distinct = pairwise_distinct && !eq;
                }
            return result_bool(op == "=" ? all_equal : pairwise_distinct);
        }
        if (op == "<" || op == "<=" || op == ">" || op == ">=") {
            bool holds = true;
            for (std::size_t i = 0; i + 1 < args.size(); ++i) {
                const Rational &a = num(i), &b = num(i + 1);
                holds = holds && (op == "<" ? a < b : op == "<=" ? a <= b : op == ">" ? a > b : a >= b);
            }
            return result_bool(holds);
        }
        if (op == "+" || op == "*") {
            Rational acc = op == "+" ? Rational(0) : Rational(1);
            for (std::size_t i = 0; i < args.size(); ++i) acc = op == "+" ? acc + num(i) : acc * num(i);
            return result_num(acc);
        }
        if (op == "-") {
            if (args.size() == 1) return result_num(-num(0));
            Rational acc = num(0);
            for (std::size_t i = 1; i < args.size(); ++i) acc -= num(i);
            return result_num(acc);
        }
        if (op == "/") {
            Rational acc = num(0);
            for (std::size_t i = 1; i < args.size(); ++i) {
                if (num(i).is_zero()) throw std::invalid_argument("division by zero");
                acc /= num(i);
            }
            return result_num(acc);
        }
        if (op == "to_real") return result_num(num(0));
        throw std::invalid_argument("unsupported operator '" + op + "'");
    }

private:
    std::map<std::string, SmtValue> env_;
};

}  // namespace

std::string smt_model_problem(const std::string& smt2, const std::vector<ModelValue>& model) {
    try {
        ModelEvaluator ev(model);
        for (const auto& [head, cmd] : top_level_commands(smt2)) {
            if (head != "assert") continue;
            SexpReader reader(cmd);
            const Sexp command = reader.read();
            if (command.list.size() != 2) return "malformed assertion";
            const Sexp& f = command.list[1];
            // A definition (= NAME EXPR) of a constant the model leaves out gives it its value.
            if (f.is_list && f.list.size() == 3 && !f.list[0].is_list && f.list[0].atom == "=" && !f.list[1].is_list &&
                !ev.known(f.list[1].atom) &&
                !(std::isdigit(static_cast<unsigned char>(f.list[1].atom[0])) || f.list[1].atom == "true" ||
                  f.list[1].atom == "false")) {
                if (auto v = ev.eval(f.list[2])) {
                    ev.set(f.list[1].atom, std::move(*v));
                    continue;
                }
            }
            const auto v = ev.eval(f);
            if (!v) return "the model leaves out a constant of " + std::string(cmd.substr(0, 120));
            if (!v->is_bool) return "an assertion that is not Boolean";
            if (!v->b) return "the model violates " + std::string(cmd.substr(0, 120));
        }
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

SolverRun run_z3(const std::string& smt2, double timeout_seconds, const Progress& progress,
                 const std::string& progress_label) {
    SolverRun run;
    const auto start = std::chrono::steady_clock::now();
    std::string body;
    try {
        for (const auto& [head, cmd] : top_level_commands(smt2))
            if (head == "declare-fun" || head == "declare-const" || head == "define-fun" || head == "assert" ||
                head == "declare-sort" || head == "define-sort") {
                body.append(cmd);
                body += '\n';
            }
    } catch (const std::invalid_argument& e) {
        run.status = SmtStatus::unknown;
        run.message = e.what();
        return run;
    }
    try {
        z3::context ctx;
        z3::solver solver(ctx);
        solver.from_string(body.c_str());
        const double left = timeout_seconds - since(start);
        if (left <= 0) {
            run.status = SmtStatus::unknown;
            run.message = "timeout while parsing";
            run.seconds = since(start);
            return run;
        }
        z3::check_result answer;
        bool out_of_time = false;
        {
            detail::Z3Watchdog watchdog(ctx, progress, left, progress_label);
            answer = solver.check();
            out_of_time = watchdog.fired();
        }
        if (answer == z3::unsat) {
            run.status = SmtStatus::unsat;
        } else if (answer == z3::sat) {
            run.status = SmtStatus::sat;
            const z3::model model = solver.get_model();
            for (unsigned i = 0; i < model.size(); ++i) {
                const z3::func_decl decl = model[i];
                if (decl.arity() != 0) continue;
                const z3::expr value = model.get_const_interp(decl);
                if (!value.is_numeral()) continue;
                try {
                    run.model.push_back({decl.name().str(), Rational::parse(Z3_get_numeral_string(ctx, value))});
                } catch (const std::invalid_argument&) {
                    // not a rational numeral (cannot happen in the linear logics used here)
                }
            }
        } else {
            run.status = SmtStatus::unknown;
            run.message = out_of_time ? "timeout" : solver.reason_unknown();
        }
    } catch (const z3::exception& e) {
        run.status = SmtStatus::unknown;
        run.message = std::string("Z3 error: ") + e.msg();
    }
    run.seconds = since(start);
    return run;
}

std::string z3_version() {
    unsigned major = 0, minor = 0, build = 0, revision = 0;
    Z3_get_version(&major, &minor, &build, &revision);
    return fmt::format("{}.{}.{}", major, minor, build);
}

std::string cvc5_version(const std::string& cvc5_path) {
    const ProcessResult p = run_process({cvc5_path, "--version"}, 10.0);
    const std::string first = p.output.substr(0, p.output.find('\n'));
    const std::string marker = "version ";
    const std::size_t at = first.find(marker);
    if (at == std::string::npos) return "";
    std::string v = first.substr(at + marker.size());
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    return v;
}

std::optional<std::string> find_executable(const std::string& name) {
    auto executable = [](const std::string& path) {
        struct stat st{};
        return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
    };
    if (name.empty()) return std::nullopt;
    if (name.find('/') != std::string::npos) return executable(name) ? std::optional(name) : std::nullopt;
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        const std::size_t colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        if (dir.empty()) dir = ".";
        const std::string candidate = dir + "/" + name;
        if (executable(candidate)) return candidate;
        if (colon == std::string_view::npos) break;
        dirs.remove_prefix(colon + 1);
    }
    return std::nullopt;
}

SolverRun run_cvc5(const std::string& cvc5_path, const std::string& smt2_file, double timeout_seconds) {
    SolverRun run;
    const auto start = std::chrono::steady_clock::now();
    const long ms = std::max(1L, long(std::min(timeout_seconds, Deadline::max_budget_seconds) * 1000));
    const ProcessResult p = run_process({cvc5_path, "--lang=smt2", "--produce-models", "--dump-models",
                                         fmt::format("--tlimit={}", ms), smt2_file},
                                        timeout_seconds + 5.0);
    run.seconds = since(start);
    run.status = SmtStatus::unknown;
    if (!p.error.empty()) {
        run.message = p.error;
        return run;
    }
    if (p.killed) {
        run.message = "timeout (killed)";
        return run;
    }
    std::string_view out = p.output;
    const std::size_t eol = out.find('\n');
    std::string first(out.substr(0, eol));
    while (!first.empty() && std::isspace(static_cast<unsigned char>(first.back()))) first.pop_back();
    if (first == "unsat") {
        run.status = SmtStatus::unsat;
    } else if (first == "sat") {
        run.status = SmtStatus::sat;
        try {
            run.model = parse_smt_model(eol == std::string_view::npos ? std::string() : std::string(out.substr(eol + 1)));
        } catch (const std::invalid_argument& e) {
            run.message = std::string("unreadable model: ") + e.what();
        }
    } else {
        std::string text(out);
        for (char& ch : text)
            if (ch == '\n' || ch == '\r') ch = ' ';
        if (text.size() > 200) text.resize(200);
        const bool timeout = text.find("timeout") != std::string::npos || text.find("time limit") != std::string::npos;
        run.message = timeout ? "timeout" : (text.empty() ? fmt::format("no answer (exit status {})", p.exit_status) : text);
    }
    return run;
}

}  // namespace sparsecert
