#include "providers/bedrock_agent/error_mapping.hpp"

#include <boost/json.hpp>

#include "providers/openai/errors.hpp"

namespace sb::providers::bedrock {
namespace json = boost::json;
using core::ApiError;

namespace {

bool is_auth_failure(std::string_view t) {
  return t == "accessdeniedexception" || t == "unrecognizedclientexception" || t == "invalidsignatureexception" ||
         t == "incompletesignatureexception" || t == "expiredtokenexception" ||
         t == "missingauthenticationtokenexception" || t == "invalidclienttokenid" || t == "signaturedoesnotmatch";
}

ApiError rate_limited(const std::string& message, const ErrorContext& ctx, std::string_view retry_after) {
  return {429,
          message.empty() ? "The upstream provider '" + ctx.provider + "' is rate limiting requests." : message,
          "rate_limit_error",
          std::nullopt,
          "rate_limit_exceeded",
          parse_retry_after(retry_after)};
}

ApiError upstream_failed(std::string_view what, const std::string& message, const ErrorContext& ctx) {
  std::string m = "The upstream provider '" + ctx.provider + "' failed (" + std::string(what) + ").";
  if (!message.empty()) m += " " + message;
  return ApiError::upstream_error(std::move(m));
}

// `type` normalised; `status` the HTTP status (0 for an in-stream exception).
ApiError map_type(std::string_view type, int status, const std::string& message, std::string_view retry_after,
                  const ErrorContext& ctx) {
  if (type == "throttlingexception" || type == "servicequotaexceededexception" || type == "toomanyrequestsexception" ||
      status == 429)
    return rate_limited(message, ctx, retry_after);
  if (is_auth_failure(type) || status == 401 || status == 403) return ApiError::upstream_auth_failed(ctx.provider);
  if (type == "validationexception")
    return {400,
            message.empty() ? "The upstream provider rejected the request as invalid." : message,
            "invalid_request_error",
            std::nullopt,
            std::nullopt,
            std::nullopt};
  if (type == "conflictexception")
    return {409,
            message.empty() ? "The agent session is busy with another request." : message,
            "invalid_request_error",
            std::nullopt,
            "conflict",
            std::nullopt};
  if (type == "resourcenotfoundexception") return upstream_failed("agent, alias or session not found", message, ctx);
  if (type == "dependencyfailedexception") return upstream_failed("a dependency of the agent failed", message, ctx);
  if (type == "badgatewayexception") return upstream_failed("bad gateway", message, ctx);
  if (type == "internalserverexception") return upstream_failed("internal error", message, ctx);
  if (type == "modelnotreadyexception") return upstream_failed("model not ready", message, ctx);
  if (type == "serviceunavailableexception") return upstream_failed("service unavailable", message, ctx);
  if (status == 408 || status == 504)
    return ApiError::upstream_timeout("The upstream provider '" + ctx.provider + "' timed out.");
  if (status >= 400 && status < 500)
    return {
        status,
        message.empty() ? "The upstream provider rejected the request (HTTP " + std::to_string(status) + ")." : message,
        "invalid_request_error",
        std::nullopt,
        std::nullopt,
        std::nullopt};
  const std::string what = !type.empty() ? std::string(type)
                           : status != 0 ? "HTTP " + std::to_string(status)
                                         : std::string("stream exception");
  return upstream_failed(what, message, ctx);
}

}  // namespace

std::string normalise_error_type(std::string_view type) {
  type = type.substr(0, type.find(':'));
  if (const auto hash = type.rfind('#'); hash != std::string_view::npos)
    type = type.substr(hash + 1);  // awsJson "ns#Type"
  std::string out;
  out.reserve(type.size());
  for (char c : type)
    if (c != ' ') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

std::string error_message(std::string_view body, std::span<const std::string> secrets) {
  std::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  const auto& o = v.get_object();
  for (const char* key : {"message", "Message", "errorMessage"}) {
    if (const auto* m = o.if_contains(key); m && m->is_string()) {
      std::string text(m->get_string());
      if (text.size() > 1000) text.resize(1000);
      return scrub_secrets(std::move(text), secrets);
    }
  }
  return {};
}

ApiError map_exception(std::string_view exception_type, std::string_view payload, const ErrorContext& ctx) {
  return map_type(normalise_error_type(exception_type), 0, error_message(payload, ctx.secrets), {}, ctx);
}

ApiError map_http_error(int status, std::string_view error_type, std::string_view body, std::string_view retry_after,
                        const ErrorContext& ctx) {
  std::string type = normalise_error_type(error_type);
  if (type.empty()) {  // awsJson bodies may carry the type instead of the header
    std::error_code ec;
    const json::value v = json::parse(body, ec);
    if (!ec && v.is_object())
      if (const auto* t = v.get_object().if_contains("__type"); t && t->is_string())
        type = normalise_error_type(t->get_string());
  }
  return map_type(type, status, error_message(body, ctx.secrets), retry_after, ctx);
}

}  // namespace sb::providers::bedrock
