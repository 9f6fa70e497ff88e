// Pattern files (JSON, docs/pattern-format.md, schema in docs/pattern.schema.json).
//
// Every problem in a file is reported as an InputError naming the file, the JSON path of the
// offending value (e.g. "layers[1].attend[17]") and what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "sparsecert/support/input_error.hpp"
#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/pattern/size_prediction.hpp"

namespace sparsecert {

// How errors name standard input.
inline constexpr const char* stdin_name = "<stdin>";

// Loads a pattern file; the path "-" reads standard input (to the end; errors name it stdin_name;
// a file called "-" is "./-"). n_override (verify-pattern --n) sets n for size-generic files; when
// the file fixes n through explicit "attend" lists, n_override must agree with it. Every layer's
// connections are predicted first, and a pattern over limits.max_connections is refused (an
// InputError at the layer that crosses it) before any layer is built.
Pattern load_pattern_file(const std::string& path, std::optional<std::uint64_t> n_override = {},
                          const LoadLimits& limits = {});

// The same from an already-parsed document; `file` is only used in error messages.
Pattern parse_pattern(const nlohmann::json& doc, const std::string& file,
                      std::optional<std::uint64_t> n_override = {}, const LoadLimits& limits = {});

// Parses JSON text, reporting syntax errors as InputError with line and column.
nlohmann::json parse_json_text(const std::string& text, const std::string& file);

// Writes a pattern in the explicit form ({"attend": ...}, tokens compressed into [lo, hi] runs).
nlohmann::json to_explicit_json(const Pattern& pattern);
// The same as one line of JSON text (to_explicit_json(pattern).dump()), streamed row by row: memory
// stays that of the pattern, whatever its size.
void write_explicit_json(const Pattern& pattern, std::ostream& out);

}  // namespace sparsecert
