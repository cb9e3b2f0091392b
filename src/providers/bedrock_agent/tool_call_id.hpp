// The `tool_call.id` of a returnControl tool call carries everything needed to hand the result back to the
// right Bedrock session, so the follow-up request can be served by any replica (the proxy keeps no state).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace sb::providers::bedrock {

struct ReturnControlRef {
  std::string session_id;
  std::string invocation_id;
  std::string action_group;
  std::string function;     // function-schema action groups
  std::string api_path;     // OpenAPI-schema action groups (function empty)
  std::string http_method;  // OpenAPI-schema action groups
  friend bool operator==(const ReturnControlRef&, const ReturnControlRef&) = default;
};

inline constexpr std::string_view kToolCallIdPrefix = "call_bra1_";

// "call_bra1_" + base64url(fields joined by '\n'); none of the fields can contain a line break.
std::string encode_tool_call_id(const ReturnControlRef& ref);
// nullopt for ids this provider did not issue (or that were tampered with into nonsense).
std::optional<ReturnControlRef> decode_tool_call_id(std::string_view id);

}  // namespace sb::providers::bedrock
