#include "core/api_error.hpp"

#include <boost/json.hpp>

namespace sb::core {
namespace json = boost::json;

std::string ApiError::body() const {
  json::object err;
  err["message"] = message;
  err["type"] = type;
  err["param"] = param ? json::value(*param) : json::value(nullptr);
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
