// libFuzzer harness: the pattern file reader (JSON text to a Pattern, docs/pattern-format.md).
// Every input must give a Pattern or an InputError (the one-line error of the tools); a crash, a
// hang, a sanitizer report, another exception or an allocation beyond libFuzzer's -rss_limit_mb is
// a finding. Loaded patterns are validated again, so that a reader bug that builds an inconsistent
// Layer is caught too. The connection limit is small so that every input is fast; the predictions
// behind it are what keeps memory bounded, and they are exercised at every size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sparsecert/pattern/pattern_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const auto doc = sparsecert::parse_json_text(text, "fuzz.json");
        const sparsecert::Pattern pattern =
            sparsecert::parse_pattern(doc, "fuzz.json", std::nullopt, sparsecert::LoadLimits{1u << 20});
        sparsecert::validate(pattern);
        for (const auto& layer : pattern.layers)
            if (layer.size() != pattern.n) std::abort();
    } catch (const sparsecert::InputError&) {
    }
    return 0;
}
