// Hand-rolled JSON text building for the hot path (chunk encoding) without a DOM.
#pragma once
#include <string>
#include <string_view>

namespace sb::openai {

// Appends `s` as a quoted JSON string (RFC 8259 escaping; bytes >= 0x80 pass through as UTF-8).
void append_json_string(std::string& out, std::string_view s);

}  // namespace sb::openai
