// Hand-rolled JSON text building for the hot path (chunk encoding) without a DOM.
#pragma once
#include <string>
#include <string_view>

namespace sb::openai {

// Appends `s` as a quoted JSON string (RFC 8259 escaping; bytes >= 0x80 pass through as UTF-8).
void append_json_string(std::string& out, std::string_view s);

// True when `text` is one well-formed JSON object (RFC 8259, valid UTF-8, nesting within `max_depth`). A
// validating pass without a DOM and without allocating: used on every relayed upstream event.
[[nodiscard]] bool is_json_object(std::string_view text, std::size_t max_depth = 64);

}  // namespace sb::openai
