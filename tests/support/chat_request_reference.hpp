// The chat-request checks as they were written over a Boost.JSON tree (the body parsed into a DOM, then each field
// looked up), kept as the reference for parse_chat_request's one-pass scan: the unit tests and the fuzzer check that
// both accept the same requests with the same fields and refuse the same requests with the same error.
#pragma once
#include <algorithm>
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/api_error.hpp"
#include "openai/request.hpp"

namespace sb::test {

struct ReferenceRequest {
  std::optional<core::ApiError> error;
  boost::json::object body;  // without the extension fields
  bool extensions_removed = false;
  std::optional<std::string> model, provider, session_id;
  bool stream = false, include_usage = false;
};

namespace reference_detail {
namespace json = boost::json;
using core::ApiError;

inline const char* kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "unknown";
}

inline ApiError wrong_type(const std::string& param, const char* expected, const json::value& got) {
  return ApiError::invalid_type(
      param, "Invalid type for '" + param + "': expected " + expected + ", but got " + kind_of(got) + ".");
}

inline std::optional<ApiError> take_string(json::object& body, std::string_view key, std::optional<std::string>& out,
                                           bool remove) {
  auto it = body.find(key);
  if (it == body.end()) return std::nullopt;
  if (it->value().is_null()) {
    if (remove) body.erase(it);
    return std::nullopt;
  }
  if (!it->value().is_string()) return wrong_type(std::string(key), "a string", it->value());
  out = std::string(it->value().get_string());
  if (remove) body.erase(it);
  return std::nullopt;
}

inline std::optional<ApiError> validate_messages(const json::object& body, const openai::ParseLimits& limits) {
  const auto* messages = body.if_contains("messages");
  if (messages == nullptr || messages->is_null()) return ApiError::missing_parameter("messages");
  if (!messages->is_array()) return wrong_type("messages", "an array", *messages);
  const auto& arr = messages->get_array();
  if (arr.empty())
    return ApiError::invalid_type("messages", "Invalid 'messages': empty array. Expected at least one message.");
  if (arr.size() > limits.max_messages)
    return ApiError::invalid_type(
        "messages", "Too many messages: at most " + std::to_string(limits.max_messages) + " are accepted.");
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!arr[i].is_object()) return wrong_type(where, "an object", arr[i]);
    const auto& msg = arr[i].get_object();
    const auto* role = msg.if_contains("role");
    if (role == nullptr) return ApiError::missing_parameter(where + ".role");
    if (!role->is_string()) return wrong_type(where + ".role", "a string", *role);
    if (const auto* content = msg.if_contains("content");
        content != nullptr && !content->is_string() && !content->is_array() && !content->is_null())
      return wrong_type(where + ".content", "a string or an array", *content);
  }
  return std::nullopt;
}

// Whether any number literal in `text` (valid JSON) is openai::number_beyond_range, found in the text rather than
// the tree: with a key repeated, the tree keeps only the last value, but every value is checked.
inline bool has_number_beyond_range(std::string_view text) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) continue;
    const std::size_t end = std::min(text.find_first_not_of("-+.0123456789eE", i), text.size());
    if (openai::number_beyond_range(text.substr(i, end - i))) return true;
    i = end - 1;
  }
  return false;
}

}  // namespace reference_detail

inline ReferenceRequest reference_parse(std::string_view body, const openai::ParseLimits& limits = {}) {
  using namespace reference_detail;
  ReferenceRequest out;
  json::parse_options opts;
  opts.max_depth = limits.max_depth;
  std::error_code ec;
  json::value root = json::parse(body, ec, {}, opts);
  if (ec) {
    if (ec == json::error::too_deep)
      out.error = ApiError::invalid_json("The request body nests JSON deeper than " +
                                         std::to_string(limits.max_depth) + " levels.");
    else
      out.error = ApiError::invalid_json(
          "We could not parse the JSON body of your request. (HINT: This likely means you "
          "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)");
    return out;
  }
  if (!root.is_object()) {
    out.error = ApiError::invalid_json("The request body must be a JSON object.");
    return out;
  }
  if (has_number_beyond_range(body)) {
    out.error = ApiError::invalid_json(openai::kNumberOutOfRange);
    return out;
  }
  auto& b = out.body = std::move(root.get_object());
  const std::size_t fields = b.size();
  auto run = [&]() -> std::optional<ApiError> {
    if (auto err = take_string(b, "provider", out.provider, true)) return err;
    if (auto err = take_string(b, "session_id", out.session_id, true)) return err;
    out.extensions_removed = b.size() != fields;
    if (auto err = take_string(b, "model", out.model, false)) return err;
    if (auto err = validate_messages(b, limits)) return err;
    if (const auto* s = b.if_contains("stream"); s != nullptr && !s->is_null()) {
      if (!s->is_bool()) return wrong_type("stream", "a boolean", *s);
      out.stream = s->get_bool();
    }
    if (const auto* so = b.if_contains("stream_options"); so != nullptr && !so->is_null()) {
      if (!so->is_object()) return wrong_type("stream_options", "an object", *so);
      if (const auto* iu = so->get_object().if_contains("include_usage"); iu != nullptr && !iu->is_null()) {
        if (!iu->is_bool()) return wrong_type("stream_options.include_usage", "a boolean", *iu);
        out.include_usage = iu->get_bool();
      }
    }
    if (const auto* tools = b.if_contains("tools"); tools != nullptr && !tools->is_null() && !tools->is_array())
      return wrong_type("tools", "an array", *tools);
    return std::nullopt;
  };
  out.error = run();
  return out;
}

// Empty when parse_chat_request and the reference agree on `body`; else what differs.
inline std::string reference_disagrees(std::string_view body, const openai::ParseLimits& limits = {}) {
  const auto ref = reference_parse(body, limits);
  auto got = openai::parse_chat_request(body, limits);
  if (ref.error) {
    if (got) return "accepted; the reference refuses: " + ref.error->message;
    if (got.error().message != ref.error->message || got.error().param != ref.error->param ||
        got.error().code != ref.error->code)
      return "refused with \"" + got.error().message + "\"; the reference: \"" + ref.error->message + "\"";
    return {};
  }
  if (!got) return "refused (\"" + got.error().message + "\"); the reference accepts";
  if (got->model != ref.model) return "model differs";
  if (got->provider != ref.provider) return "provider differs";
  if (got->session_id != ref.session_id) return "session_id differs";
  if (got->stream != ref.stream) return "stream differs";
  if (got->include_usage != ref.include_usage) return "include_usage differs";
  if (got->extensions_removed != ref.extensions_removed) return "extensions_removed differs";
  if (got->body() != ref.body) return "the tree differs";
  return {};
}

}  // namespace sb::test
