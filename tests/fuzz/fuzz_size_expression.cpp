// libFuzzer harness: size expressions over n (docs/pattern-format.md, "Expressions").
// Every input must give a value or an ExpressionError; a crash, a sanitizer report or another
// exception is a finding. Besides not crashing, it checks two properties the grammar implies:
// parenthesizing an expression never changes its value, and the value does not depend on anything
// but the text and n (evaluating twice gives the same result).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "sparsecert/pattern/size_expression.hpp"

namespace {

std::optional<std::int64_t> evaluate(const std::string& text, std::int64_t n) {
    try {
        return sparsecert::evaluate_size_expression(text, n);
    } catch (const sparsecert::ExpressionError&) {
        return std::nullopt;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    // n = 1, a catalogue size, and the largest n a pattern may have.
    for (const std::int64_t n : {std::int64_t{1}, std::int64_t{1024}, std::int64_t{2147483647}}) {
        const auto value = evaluate(text, n);
        if (evaluate(text, n) != value) std::abort();
        // One more level of nesting may exceed the depth bound, but never changes a value.
        const auto nested = evaluate("(" + text + ")", n);
        if (value && nested && *nested != *value) std::abort();
    }
    return 0;
}
