// Certificates (docs/theory.md sections 2 and 5): the evidence behind every answer of verify, written
// so that check-certificate, a small program sharing no code with the searches, can re-check it.
// docs/trust.md documents the format and what a user must trust for each kind of verdict.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/certify/verify.hpp"

namespace sparsecert {

// The format tag every certificate starts with; check-certificate refuses any other.
inline constexpr const char* certificate_format = "sparsecert-certificate/2";

struct Certificate {
    std::string json;  // the certificate document (deterministic bytes, ends in a newline)
    // Files that go beside the certificate: name (relative to its directory) and contents. A
    // Hamiltonian-path refutation that only a solver could give leaves its SMT-LIB 2 encoding here.
    std::vector<std::pair<std::string, std::string>> side_files;
};

// The certificate of `result`, which verify(pattern) returned. `stem` names the side files
// (`<stem>.path.smt2`). Recomputes only what the result keeps abbreviated (the full list of
// missing self-attention pairs, the SMT-LIB text of an exhausted search).
Certificate make_certificate(CheckedPattern pattern, const VerifyResult& result, const std::string& stem);

// Writes the certificate to `file` and its side files into the same directory.
// Throws std::runtime_error naming the file when it cannot be written.
void write_certificate(const Certificate& certificate, const std::filesystem::path& file);

}  // namespace sparsecert
