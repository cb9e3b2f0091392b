#include "request.hpp"

#include <boost/json/array.hpp>

namespace sb::check {

namespace json = boost::json;

namespace {

json::object message(std::string_view role, std::string_view content) {
  return json::object{{"role", role}, {"content", content}};
}

// Modelled on what a Deepgram Voice Agent sends its `think` endpoint (provider type open_ai): the
// agent's prompt as the system message, its greeting as the first assistant turn, the transcribed user
// turn, stream:true and the configured temperature. No stream_options: usage is then not expected.
json::object deepgram_body(const RequestSpec& spec) {
  json::array messages;
  messages.push_back(message("system",
                             "You are a friendly voice assistant. Your answers are spoken aloud: keep them short, "
                             "conversational and free of markdown, lists and emoji."));
  messages.push_back(message("assistant", "Hello! How can I help you today?"));
  messages.push_back(message("user", spec.prompt));
  return json::object{{"model", spec.model}, {"messages", std::move(messages)}, {"stream", true}, {"temperature", 0.7}};
}

}  // namespace

void merge_patch(json::value& target, const json::value& patch) {
  const auto* p = patch.if_object();
  if (!p) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object{};
  auto& t = target.get_object();
  for (const auto& kv : *p) {
    if (kv.value().is_null()) {
      t.erase(kv.key());
    } else {
      merge_patch(t[kv.key()], kv.value());
    }
  }
}

json::object reference_body(const RequestSpec& spec) {
  json::value body;
  if (spec.deepgram) {
    body = deepgram_body(spec);
  } else {
    json::array messages;
    messages.push_back(message("user", spec.prompt));
    body = json::object{{"model", spec.model},
                        {"messages", std::move(messages)},
                        {"stream", true},
                        {"stream_options", json::object{{"include_usage", true}}}};
  }
  if (!spec.extra.is_null()) merge_patch(body, spec.extra);
  return body.is_object() ? body.get_object() : json::object{};
}

json::object proxy_body(const RequestSpec& spec, const std::string& provider) {
  json::object body = reference_body(spec);
  if (!provider.empty()) body["provider"] = provider;
  return body;
}

bool include_usage_requested(const json::object& body) {
  const json::value* so = body.if_contains("stream_options");
  const json::value* iu = so && so->is_object() ? so->get_object().if_contains("include_usage") : nullptr;
  return iu && iu->is_bool() && iu->get_bool();
}

std::string chat_completions_path(std::string_view base_path) {
  std::string path(base_path);
  while (!path.empty() && path.back() == '/') path.pop_back();
  constexpr std::string_view kTail = "/chat/completions";
  if (path.size() >= kTail.size() && path.compare(path.size() - kTail.size(), kTail.size(), kTail) == 0) return path;
  if (path.empty()) return "/v1/chat/completions";
  return path + std::string(kTail);
}

}  // namespace sb::check
