// Hand-rolled JSON text building for the hot path (chunk encoding) without a DOM.
#pragma once
#include <string>
#include <string_view>

#include "core/events.hpp"

namespace sb::openai {

// Appends `s` as a quoted JSON string (RFC 8259 escaping; bytes >= 0x80 pass through as UTF-8).
void append_json_string(std::string& out, std::string_view s);

// True when `text` is one well-formed JSON object (RFC 8259, valid UTF-8, nesting within `max_depth`). A
// validating pass without a DOM and without allocating: used on every relayed upstream event. With `facts`, the
// same pass also reads the first non-null string `finish_reason` (at any depth) and the integer token counts of
// the top-level `usage` object (members of objects nested in it are not taken).
[[nodiscard]] bool is_json_object(std::string_view text, std::size_t max_depth = 64,
                                  core::BodyFacts* facts = nullptr);

}  // namespace sb::openai
