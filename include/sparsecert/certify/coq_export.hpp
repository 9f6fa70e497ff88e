// The Coq form of a certificate (docs/trust.md, "The Coq check"): the pattern and the evidence of a
// verify-pattern certificate written as a Coq file whose final theorem states the hypotheses of the
// verdict for that pattern, proven by computation with the verified checkers of theorems/coq/.
// Running coqc on the file is the check; nothing here is trusted except that the file states the
// pattern that was loaded (its rows are written out in full).
#pragma once

#include <string>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert {

struct CoqCertificate {
    std::string text;                    // the .v file (deterministic bytes)
    std::string statement;               // the final theorem's statement, e.g. "Yun2020 P"
    std::vector<std::string> unchecked;  // claims of the certificate the file does not check, and why
};

// The certificate document certificate_text (named certificate_file in errors) as a Coq file for
// `pattern`. A certificate whose structure is wrong (a missing field, a token that is not a
// non-negative integer) throws InputError naming the place; a wrong claim is written as claimed,
// so that coqc rejects it.
CoqCertificate coq_certificate(const Pattern& pattern, const std::string& certificate_text,
                               const std::string& certificate_file);

// The pattern alone as Coq definitions: A0 .. A{p-1} (the rows as intervals) and P (theorems/coq/
// Theory.v, `pattern`), for files that state something else about a pattern.
std::string coq_pattern(const Pattern& pattern);

}  // namespace sparsecert
