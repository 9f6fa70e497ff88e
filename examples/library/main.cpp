// A pattern built in code and verified with the sparsecert library (README.md, "As a library").
#include <iostream>

#include <sparsecert/certify/certificate.hpp>
#include <sparsecert/certify/verify.hpp>
#include <sparsecert/pattern/families.hpp>

int main() {
    sparsecert::Pattern p;
    p.name = "my window + global";
    p.n = 4096;
    p.layers.push_back(sparsecert::families::longformer(p.n, 64, 64, {0}));
    auto result = sparsecert::verify(p);  // the checks with their evidence, every theorem, the verdict
    std::cout << p.name << ": " << result.verdict;
    for (const auto& t : result.theorems)  // the theorems that decide it
        if (t.kind == "sufficient" && t.applies == true) std::cout << " (" << t.id << ")";
    std::cout << "\n";
    auto cert = sparsecert::make_certificate(p, result, "mine");  // for check-certificate
    sparsecert::write_certificate(cert, "mine.cert.json");
    return result.verdict == "universal" ? 0 : 1;
}
