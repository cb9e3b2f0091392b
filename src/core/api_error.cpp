#include "core/api_error.hpp"

#include <boost/json.hpp>

namespace sb::core {
namespace json = boost::json;

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;  // overlong, surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;  // overlong, > U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (const auto n = utf8_sequence(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD for each byte that is not part of a valid sequence
      ++i;
    }
  }
  return out;
}

std::string ApiError::body() const {
  // Messages may quote what the caller sent (a route, a model name): the JSON must stay valid UTF-8.
  json::object err;
  err["message"] = valid_utf8(message);
  err["type"] = type;
  err["param"] = param ? json::value(valid_utf8(*param)) : json::value(nullptr);
  err["code"] = code ? json::value(*code) : json::value(nullptr);
  json::object root;
  root["error"] = std::move(err);
  return json::serialize(root);
}

ApiError ApiError::invalid_json(std::string message) {
  return {400, std::move(message), "invalid_request_error", std::nullopt, "invalid_json", {}};
}
ApiError ApiError::invalid_type(std::string param, std::string message) {
  return {400, std::move(message), "invalid_request_error", std::move(param), "invalid_type", {}};
}
ApiError ApiError::missing_parameter(std::string param) {
  std::string msg = "Missing required parameter: '" + param + "'.";
  return {400, std::move(msg), "invalid_request_error", std::move(param), "missing_required_parameter", {}};
}
ApiError ApiError::unknown_provider(const std::string& name) {
  return {400,
          "Unknown provider '" + name + "'. GET /v1/providers lists the known ones.",
          "invalid_request_error",
          "provider",
          "unknown_provider",
          {}};
}
ApiError ApiError::provider_unavailable(const std::string& name, const std::string& missing) {
  return {503,
          "Provider '" + name + "' is not configured: set " + missing + ".",
          "server_error",
          "provider",
          "provider_unavailable",
          {}};
}
ApiError ApiError::request_too_large(std::size_t limit) {
  return {413,
          "Request body is larger than the limit of " + std::to_string(limit) + " bytes.",
          "invalid_request_error",
          std::nullopt,
          "request_too_large",
          {}};
}
ApiError ApiError::headers_too_large(std::size_t limit) {
  return {431,
          "Request headers are larger than the limit of " + std::to_string(limit) + " bytes.",
          "invalid_request_error",
          std::nullopt,
          "request_header_fields_too_large",
          {}};
}
ApiError ApiError::superseded() {
  return {409,
          "A newer request of the same session (session_id / X-Session-Id) replaced this one (BARGE_IN).",
          "invalid_request_error",
          std::nullopt,
          "superseded",
          {}};
}
ApiError ApiError::not_found(const std::string& target) {
  return {404, "Unknown route: " + target, "invalid_request_error", std::nullopt, "not_found", {}};
}
ApiError ApiError::method_not_allowed(const std::string& method, const std::string& target) {
  return {405,
          "Method " + method + " is not allowed on " + target,
          "invalid_request_error",
          std::nullopt,
          "method_not_allowed",
          {}};
}
ApiError ApiError::invalid_api_key() {
  return {401,
          "Missing or invalid API key. Send it as 'Authorization: Bearer <key>'.",
          "invalid_request_error",
          std::nullopt,
          "invalid_api_key",
          {}};
}
ApiError ApiError::upstream_error(std::string message) {
  return {502, std::move(message), "upstream_error", std::nullopt, "upstream_error", {}};
}
ApiError ApiError::upstream_timeout(std::string message) {
  return {504, std::move(message), "upstream_error", std::nullopt, "upstream_timeout", {}};
}
ApiError ApiError::upstream_auth_failed(const std::string& provider) {
  return {502,
          "The upstream provider '" + provider + "' rejected the proxy's credentials.",
          "upstream_error",
          std::nullopt,
          "upstream_auth_failed",
          {}};
}
ApiError ApiError::internal(std::string message) {
  return {500, std::move(message), "server_error", std::nullopt, "internal_error", {}};
}

}  // namespace sb::core
