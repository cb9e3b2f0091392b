// Base64 (RFC 4648): the standard alphabet for event-stream `bytes` fields, the URL-safe one for tool-call ids.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sb::providers::bedrock {

std::string base64_encode(std::string_view bytes, bool url_safe = false, bool pad = true);
// Accepts either alphabet, with or without padding; nullopt on any other character or a bad length.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace sb::providers::bedrock
