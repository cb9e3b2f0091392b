#include "openai/request.hpp"

#include <algorithm>
#include <boost/json.hpp>

namespace sb::openai {
namespace json = boost::json;
using core::ApiError;

const json::array& ChatRequest::messages() const {
  return body.at("messages").get_array();
}

bool ChatRequest::has_tools() const {
  const auto* tools = body.if_contains("tools");
  return tools != nullptr && tools->is_array() && !tools->get_array().empty();
}

namespace {

const char* kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "unknown";
}

ApiError wrong_type(const std::string& param, const char* expected, const json::value& got) {
  return ApiError::invalid_type(
      param, "Invalid type for '" + param + "': expected " + expected + ", but got " + kind_of(got) + ".");
}

// Takes an optional string field out of the body (extension fields are not forwarded).
std::optional<ApiError> take_string(json::object& body, std::string_view key, std::optional<std::string>& out,
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

std::optional<ApiError> validate_messages(const json::object& body, const ParseLimits& limits) {
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

}  // namespace

core::Expected<ChatRequest> parse_chat_request(std::string_view body, const ParseLimits& limits) {
  json::parse_options opts;
  opts.max_depth = limits.max_depth;
  std::error_code ec;
  // Room for the tree of a typical request in the first block (strings are copied out of the body).
  auto arena = std::make_unique<json::monotonic_resource>(std::max<std::size_t>(1024, body.size() + body.size() / 2));
  json::value root = json::parse(body, ec, json::storage_ptr(arena.get()), opts);
  if (ec) {
    if (ec == json::error::too_deep)
      return ApiError::invalid_json("The request body nests JSON deeper than " + std::to_string(limits.max_depth) +
                                    " levels.");
    return ApiError::invalid_json(
        "We could not parse the JSON body of your request. (HINT: This likely means you "
        "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)");
  }
  if (!root.is_object()) return ApiError::invalid_json("The request body must be a JSON object.");

  // Move-constructed (a JSON container keeps the memory resource it was made with: assigning would copy it out).
  ChatRequest req{.arena = std::move(arena),
                  .body = json::object(std::move(root.get_object())),
                  .raw = body,
                  .extensions_removed = false,
                  .model = std::nullopt,
                  .stream = false,
                  .include_usage = false,
                  .provider = std::nullopt,
                  .session_id = std::nullopt};
  auto& b = req.body;
  const std::size_t fields = b.size();
  if (auto err = take_string(b, "provider", req.provider, true)) return *err;
  if (auto err = take_string(b, "session_id", req.session_id, true)) return *err;
  req.extensions_removed = b.size() != fields;
  if (auto err = take_string(b, "model", req.model, false)) return *err;
  if (auto err = validate_messages(b, limits)) return *err;

  if (const auto* s = b.if_contains("stream"); s != nullptr && !s->is_null()) {
    if (!s->is_bool()) return wrong_type("stream", "a boolean", *s);
    req.stream = s->get_bool();
  }
  if (const auto* so = b.if_contains("stream_options"); so != nullptr && !so->is_null()) {
    if (!so->is_object()) return wrong_type("stream_options", "an object", *so);
    if (const auto* iu = so->get_object().if_contains("include_usage"); iu != nullptr && !iu->is_null()) {
      if (!iu->is_bool()) return wrong_type("stream_options.include_usage", "a boolean", *iu);
      req.include_usage = iu->get_bool();
    }
  }
  if (const auto* tools = b.if_contains("tools"); tools != nullptr && !tools->is_null() && !tools->is_array())
    return wrong_type("tools", "an array", *tools);
  return req;
}

std::string forward_body(const ChatRequest& req, std::string_view model) {
  // Unchanged requests go upstream byte for byte: numbers and formatting exactly as the client wrote them.
  if (req.model && *req.model == model)
    return req.extensions_removed ? json::serialize(req.body) : std::string(req.raw);
  json::object copy = req.body;
  copy["model"] = model;
  return json::serialize(copy);
}

std::string content_text(const json::value& content) {
  if (content.is_string()) return std::string(content.get_string());
  std::string out;
  if (!content.is_array()) return out;
  for (const auto& part : content.get_array()) {
    if (!part.is_object()) continue;
    const auto* text = part.get_object().if_contains("text");
    if (text != nullptr && text->is_string()) out += text->get_string();
  }
  return out;
}

std::optional<std::string> last_user_text(const ChatRequest& req) {
  const auto& msgs = req.messages();
  for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
    const auto& m = it->get_object();
    if (m.at("role").get_string() != "user") continue;
    const auto* c = m.if_contains("content");
    return c ? content_text(*c) : std::string();
  }
  return std::nullopt;
}

}  // namespace sb::openai
