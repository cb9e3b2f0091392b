// OpenAI-format API errors: the one error type that reaches clients.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sb::core {

struct ApiError {
  int status = 500;
  std::string message;
  std::string type = "invalid_request_error";
  std::optional<std::string> param;
  std::optional<std::string> code;
  std::optional<long> retry_after_seconds;  // sent as `retry-after` when known

  // `{"error":{"message":…,"type":…,"param":…,"code":…}}`
  [[nodiscard]] std::string body() const;

  static ApiError invalid_json(std::string message);
  static ApiError invalid_type(std::string param, std::string message);
  static ApiError missing_parameter(std::string param);
  static ApiError unknown_provider(const std::string& name);
  static ApiError provider_unavailable(const std::string& name, const std::string& missing);
  static ApiError request_too_large(std::size_t limit);
  static ApiError headers_too_large(std::size_t limit);
  static ApiError not_found(const std::string& target);
  static ApiError method_not_allowed(const std::string& method, const std::string& target);
  static ApiError invalid_api_key();
  static ApiError upstream_error(std::string message);
  static ApiError upstream_timeout(std::string message);
  static ApiError upstream_auth_failed(const std::string& provider);
  static ApiError internal(std::string message);
  static ApiError superseded();
};

// `s` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

}  // namespace sb::core
