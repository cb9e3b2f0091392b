// switchboard-check: the chat request both sides receive, built from the command line. Pure logic.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace sb::check {

struct RequestSpec {
  std::string model = "gpt-4o-mini";
  std::string prompt;
  bool deepgram = false;     // the body a Deepgram Voice Agent's think stage sends
  boost::json::value extra;  // --extra-body, merged into the body (RFC 7396 merge patch); null = none
};

inline constexpr std::string_view kDefaultPrompt =
    "Write three short sentences about the sea, then say which one you like best.";

// The body sent to the reference: stream:true and, unless --deepgram, stream_options.include_usage:true.
boost::json::object reference_body(const RequestSpec& spec);

// The proxy's body: the reference body plus the extension field `provider` when given.
boost::json::object proxy_body(const RequestSpec& spec, const std::string& provider);

// RFC 7396 JSON merge patch: objects merge recursively, null removes a key, anything else replaces.
void merge_patch(boost::json::value& target, const boost::json::value& patch);

// Whether the body asks for the usage chunk (stream_options.include_usage == true).
bool include_usage_requested(const boost::json::object& body);

// The request path for a base URL path: "" → /v1/chat/completions, "/v1" → /v1/chat/completions, a path
// already ending in /chat/completions is used as is.
std::string chat_completions_path(std::string_view base_path);

}  // namespace sb::check
