#include "providers/openai/errors.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <regex>

namespace sb::providers {
namespace json = boost::json;
using core::ApiError;

std::string scrub_secrets(std::string text, std::span<const std::string> secrets) {
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    for (std::size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3))
      text.replace(pos, s.size(), "***");
  }
  static const std::regex key_like(R"((sk|pk|rk|gsk|xai|AKIA|ASIA)[-_A-Za-z0-9*]{6,})");
  return std::regex_replace(text, key_like, "***");
}

std::optional<long> parse_retry_after(std::string_view value) {
  long seconds = 0;
  const auto* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, seconds);
  if (ec != std::errc() || seconds < 0) return std::nullopt;
  if (p != end && *p == '.') seconds += 1;  // fractional seconds: round up
  return seconds;
}

namespace {

struct UpstreamErrorFields {
  std::string message, type;
  std::optional<std::string> param, code;
};

UpstreamErrorFields read_error_body(std::string_view body) {
  UpstreamErrorFields f;
  std::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec) return f;
  const json::object* err = nullptr;
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (const auto* e = o.if_contains("error"); e && e->is_object()) {
      err = &e->get_object();
    } else {
      err = &o;  // e.g. {"message": "..."} (Bedrock) or {"detail": ...}
    }
  }
  if (!err) return f;
  auto str = [&](std::string_view k) -> std::optional<std::string> {
    const auto* x = err->if_contains(k);
    if (x && x->is_string()) return std::string(x->get_string());
    if (x && (x->is_int64() || x->is_uint64())) return json::serialize(*x);
    return std::nullopt;
  };
  f.message = str("message").value_or("");
  f.type = str("type").value_or("");
  f.param = str("param");
  f.code = str("code");
  return f;
}

}  // namespace

ApiError map_upstream_status(int status, std::string_view body, std::string_view retry_after,
                             const std::string& provider, std::span<const std::string> secrets) {
  const UpstreamErrorFields f = read_error_body(body);
  const std::string message = scrub_secrets(f.message, secrets);
  if (status == 401 || status == 403) return ApiError::upstream_auth_failed(provider);
  if (status == 429) {
    ApiError e{429,
               message.empty() ? "The upstream provider '" + provider + "' is rate limiting requests." : message,
               "rate_limit_error",
               std::nullopt,
               "rate_limit_exceeded",
               parse_retry_after(retry_after)};
    return e;
  }
  if (status == 408 || status == 504)
    return ApiError::upstream_timeout("The upstream provider '" + provider + "' timed out.");
  if (status >= 500 || status < 400) {
    std::string m = "The upstream provider '" + provider + "' failed with HTTP " + std::to_string(status) + ".";
    if (!message.empty()) m += " " + message;
    return ApiError::upstream_error(std::move(m));
  }
  // Other 4xx: the caller's request was refused; pass the upstream's explanation on.
  ApiError e{
      status,
      message.empty() ? "The upstream provider rejected the request (HTTP " + std::to_string(status) + ")." : message,
      f.type.empty() ? "invalid_request_error" : f.type,
      f.param,
      f.code,
      std::nullopt};
  return e;
}

ApiError map_transport_failure(http::UpstreamFailure failure, const std::string& provider) {
  switch (failure) {
    case http::UpstreamFailure::timeout:
      return ApiError::upstream_timeout("The upstream provider '" + provider + "' did not answer in time.");
    case http::UpstreamFailure::connect:
      return ApiError::upstream_error("Could not connect to the upstream provider '" + provider + "'.");
    default:
      return ApiError::upstream_error("The connection to the upstream provider '" + provider + "' failed.");
  }
}

}  // namespace sb::providers
