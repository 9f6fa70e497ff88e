// libFuzzer harness: the certificate checker (check-certificate, docs/trust.md). The input is a
// certificate; it is checked against the pattern it names ("pattern": patterns/NAME.json or
// tests/data/NAME.json) at its "n" when that is at most 1024 (else at n = 8; files that fix n at
// theirs). Every input must end as valid, invalid,
// unconfirmed or malformed (the checker's four outcomes); a crash, a sanitizer report, another
// exception, an allocation beyond -rss_limit_mb or a hang beyond -timeout is a finding.
//
// The checker is a driver of its own (it shares no code with the search on purpose), so its source
// is compiled into this harness, its main renamed.
#define main check_certificate_main
#include "check-certificate.cpp"
#undef main

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace {

// Catalogue patterns by (name, n), loaded once; nothing when the name or the size gives none.
const Pattern* pattern_for(const json& cert) {
    static std::map<std::pair<std::string, std::uint64_t>, std::optional<Pattern>> loaded;
    std::string name = "star";
    if (cert.is_object() && cert.contains("pattern") && cert["pattern"].is_string()) name = cert["pattern"];
    if (name.empty() || name.size() > 40 || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string::npos)
        return nullptr;
    std::uint64_t n = 8;
    if (cert.is_object() && cert.contains("n") && cert["n"].is_number_unsigned() && cert["n"] >= 1 && cert["n"] <= 1024)
        n = cert["n"];
    const auto key = std::make_pair(name, n);
    if (!loaded.count(key)) {
        loaded[key] = std::nullopt;
        for (const char* dir : {"/patterns/", "/tests/data/"})
            for (const std::optional<std::uint64_t> at : {std::optional<std::uint64_t>(n), std::optional<std::uint64_t>()}) {
                if (loaded[key]) break;
                try {
                    loaded[key] = sparsecert::load_pattern_file(std::string(SPARSECERT_SOURCE_DIR) + dir + name + ".json", at);
                } catch (const sparsecert::InputError&) {
                }
            }
    }
    return loaded[key] ? &*loaded[key] : nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    json cert;
    try {
        cert = sparsecert::parse_json_text(text, "fuzz.cert.json");
    } catch (const sparsecert::InputError&) {
        return 0;
    }
    const Pattern* p = pattern_for(cert);
    if (p == nullptr) return 0;
    try {
        // A short solver budget: solver refutations are re-checked by cvc5 in a child process.
        Checker checker(*p, ".", 2.0);
        checker.run(cert);
    } catch (const Invalid&) {
    } catch (const Unconfirmed&) {
    } catch (const Malformed&) {
    }
    return 0;
}
