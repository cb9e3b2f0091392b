#include "openai_format.hpp"

#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <random>

namespace mock_upstream::openai {

namespace json = boost::json;

void append_json_string(std::string& out, std::string_view text) {
  static constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7',
                                             '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  out.push_back('"');
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        if (c < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

namespace {

void pretty(std::string& out, const json::value& value, int indent, int depth) {
  const auto pad = [&](int level) { out.append(static_cast<std::size_t>(indent * level), ' '); };
  switch (value.kind()) {
    case json::kind::object: {
      const auto& object = value.get_object();
      if (object.empty()) {
        out.append("{}");
        return;
      }
      out.append("{\n");
      bool first = true;
      for (const auto& member : object) {
        if (!first) out.append(",\n");
        first = false;
        pad(depth + 1);
        append_json_string(out, member.key());
        out.append(": ");
        pretty(out, member.value(), indent, depth + 1);
      }
      out.push_back('\n');
      pad(depth);
      out.push_back('}');
      return;
    }
    case json::kind::array: {
      const auto& array = value.get_array();
      if (array.empty()) {
        out.append("[]");
        return;
      }
      out.append("[\n");
      bool first = true;
      for (const auto& element : array) {
        if (!first) out.append(",\n");
        first = false;
        pad(depth + 1);
        pretty(out, element, indent, depth + 1);
      }
      out.push_back('\n');
      pad(depth);
      out.push_back(']');
      return;
    }
    case json::kind::string: {
      const auto& s = value.get_string();
      append_json_string(out, std::string_view(s.data(), s.size()));
      return;
    }
    default:
      out.append(json::serialize(value));
  }
}

std::mt19937_64& rng() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

std::string random_from(std::string_view alphabet, std::size_t length) {
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string out(length, '\0');
  for (auto& c : out) c = alphabet[pick(rng())];
  return out;
}

}  // namespace

std::string pretty_json(const json::value& value, int indent) {
  std::string out;
  pretty(out, value, indent, 0);
  out.push_back('\n');
  return out;
}

std::string random_alnum(std::size_t length) {
  return random_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);
}
std::string new_completion_id() {
  return "chatcmpl-" + random_alnum(29);
}
std::string new_call_id() {
  return "call_" + random_alnum(24);
}
std::string new_request_id() {
  return "req_" + random_from("0123456789abcdef", 32);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string usage_json(const Usage& usage) {
  std::string out;
  out.reserve(256);
  out.append("{\"prompt_tokens\":").append(std::to_string(usage.prompt_tokens));
  out.append(",\"completion_tokens\":").append(std::to_string(usage.completion_tokens));
  out.append(",\"total_tokens\":").append(std::to_string(usage.prompt_tokens + usage.completion_tokens));
  out.append(
      ",\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
      "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}");
  return out;
}

ChunkBuilder::ChunkBuilder(std::string_view id, std::int64_t created, std::string_view model, bool include_usage)
    : include_usage_(include_usage) {
  prefix_.reserve(192 + model.size());
  prefix_.append("data: {\"id\":");
  append_json_string(prefix_, id);
  prefix_.append(",\"object\":\"chat.completion.chunk\",\"created\":");
  prefix_.append(std::to_string(created));
  prefix_.append(",\"model\":");
  append_json_string(prefix_, model);
  prefix_.append(",\"service_tier\":\"default\",\"system_fingerprint\":");
  append_json_string(prefix_, kSystemFingerprint);
  prefix_.append(",\"choices\":[");
}

std::string ChunkBuilder::choice_event(std::string_view delta, std::string_view finish_reason) const {
  std::string out;
  out.reserve(prefix_.size() + delta.size() + 96);
  out.append(prefix_);
  out.append("{\"index\":0,\"delta\":").append(delta);
  out.append(",\"logprobs\":null,\"finish_reason\":");
  if (finish_reason.empty()) {
    out.append("null");
  } else {
    append_json_string(out, finish_reason);
  }
  out.append(include_usage_ ? "}],\"usage\":null}\n\n" : "}]}\n\n");
  return out;
}

std::string ChunkBuilder::role(bool content_null, bool with_refusal) const {
  std::string delta = R"({"role":"assistant","content":)";
  delta.append(content_null ? "null" : "\"\"");
  if (with_refusal) delta.append(",\"refusal\":null");
  delta.push_back('}');
  return choice_event(delta, {});
}

std::string ChunkBuilder::role_with_tool_call(const ToolCall& call) const {
  std::string delta = R"({"role":"assistant","content":null,"tool_calls":[{"index":0,"id":)";
  append_json_string(delta, call.id);
  delta.append(R"(,"type":"function","function":{"name":)");
  append_json_string(delta, call.name);
  delta.append(R"(,"arguments":""}}],"refusal":null})");
  return choice_event(delta, {});
}

std::string ChunkBuilder::content(std::string_view text) const {
  std::string delta = R"({"content":)";
  append_json_string(delta, text);
  delta.push_back('}');
  return choice_event(delta, {});
}

std::string ChunkBuilder::tool_call_header(std::size_t index, const ToolCall& call) const {
  std::string delta = R"({"tool_calls":[{"index":)" + std::to_string(index) + R"(,"id":)";
  append_json_string(delta, call.id);
  delta.append(R"(,"type":"function","function":{"name":)");
  append_json_string(delta, call.name);
  delta.append(R"(,"arguments":""}}]})");
  return choice_event(delta, {});
}

std::string ChunkBuilder::tool_call_arguments(std::size_t index, std::string_view fragment) const {
  std::string delta = R"({"tool_calls":[{"index":)" + std::to_string(index) + R"(,"function":{"arguments":)";
  append_json_string(delta, fragment);
  delta.append("}}]}");
  return choice_event(delta, {});
}

std::string ChunkBuilder::finish(std::string_view reason) const {
  return choice_event("{}", reason);
}

std::string ChunkBuilder::usage(const Usage& usage) const {
  std::string out = prefix_;
  out.append("],\"usage\":").append(usage_json(usage)).append("}\n\n");
  return out;
}

std::vector<std::string> split_text(std::string_view text, std::size_t pieces) {
  std::vector<std::string> out;
  if (pieces == 0 || text.empty()) return out;
  // Word tokens: a new token starts at every space that follows a non-space.
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] == ' ' && text[i - 1] != ' ') starts.push_back(i);
  }
  if (starts.size() < pieces) {  // not enough words: cut between UTF-8 code points instead
    starts.clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
    }
  }
  const std::size_t count = std::min(pieces, starts.size());
  out.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t from = starts[k * starts.size() / count];
    const std::size_t next = (k + 1) * starts.size() / count;
    const std::size_t to = next < starts.size() ? starts[next] : text.size();
    out.emplace_back(text.substr(from, to - from));
  }
  return out;
}

std::string completion_body(std::string_view id, std::int64_t created, std::string_view model,
                            const std::optional<std::string>& content, const std::vector<ToolCall>& tool_calls,
                            std::string_view finish_reason, const Usage& usage) {
  json::object message;
  message["role"] = "assistant";
  message["content"] = content ? json::value(*content) : json::value(nullptr);
  if (!tool_calls.empty()) {
    json::array calls;
    for (const auto& call : tool_calls) {
      calls.push_back(json::object{{"id", call.id},
                                   {"type", "function"},
                                   {"function", json::object{{"name", call.name}, {"arguments", call.arguments}}}});
    }
    message["tool_calls"] = std::move(calls);
  }
  message["refusal"] = nullptr;
  message["annotations"] = json::array();

  json::object choice;
  choice["index"] = 0;
  choice["message"] = std::move(message);
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = json::string_view(finish_reason.data(), finish_reason.size());

  json::object body;
  body["id"] = json::string_view(id.data(), id.size());
  body["object"] = "chat.completion";
  body["created"] = created;
  body["model"] = json::string_view(model.data(), model.size());
  body["choices"] = json::array{std::move(choice)};
  body["usage"] = json::parse(usage_json(usage));
  body["service_tier"] = "default";
  body["system_fingerprint"] = json::string_view(kSystemFingerprint.data(), kSystemFingerprint.size());
  return pretty_json(body, 2);
}

std::string error_body(const ErrorSpec& error, int indent) {
  json::object inner;
  inner["message"] = error.message;
  inner["type"] = error.type;
  inner["param"] = error.param ? json::value(*error.param) : json::value(nullptr);
  inner["code"] = error.code ? json::value(*error.code) : json::value(nullptr);
  return pretty_json(json::object{{"error", std::move(inner)}}, indent);
}

std::string mask_api_key(std::string_view key) {
  if (key.empty()) return "sk-***";
  if (key.size() <= 8)
    return std::string(key.substr(0, 3)) + std::string(key.size() - std::min<std::size_t>(3, key.size()), '*');
  return std::string(key.substr(0, 3)) + std::string(key.size() - 7, '*') + std::string(key.substr(key.size() - 4));
}

ErrorSpec error_for_status(unsigned status, std::string_view model, std::string_view api_key,
                           std::optional<unsigned> retry_after) {
  const std::string m(model);
  switch (status) {
    case 400:
      return {"Invalid value for 'messages': rejected by mock-upstream (scripted 400).", "invalid_request_error",
              "messages", "invalid_value"};
    case 401:
      return {"Incorrect API key provided: " + mask_api_key(api_key) +
                  ". You can find your API key at https://platform.openai.com/account/api-keys.",
              "invalid_request_error", std::nullopt, "invalid_api_key"};
    case 403:
      return {"Project `proj_mock` does not have access to model `" + m + "`", "invalid_request_error", std::nullopt,
              "model_not_found"};
    case 404:
      return {"The model `" + m + "` does not exist or you do not have access to it.", "invalid_request_error",
              std::nullopt, "model_not_found"};
    case 429:
      return {"Rate limit reached for " + m +
                  " in organization org-mock on requests per min (RPM): Limit 3, Used 3, "
                  "Requested 1. Please try again in " +
                  std::to_string(retry_after.value_or(20)) + "s.",
              "requests", std::nullopt, "rate_limit_exceeded"};
    case 500:
      return {"The server had an error while processing your request. Sorry about that!", "server_error", std::nullopt,
              std::nullopt};
    case 503:
      return {"The engine is currently overloaded, please try again later.", "server_error", std::nullopt,
              std::nullopt};
    default:
      if (status >= 500) {
        return {"Upstream error " + std::to_string(status) + " (scripted by mock-upstream).", "server_error",
                std::nullopt, std::nullopt};
      }
      return {"Request failed with status " + std::to_string(status) + " (scripted by mock-upstream).",
              "invalid_request_error", std::nullopt, std::nullopt};
  }
}

std::string models_body() {
  json::array data;
  for (const auto& [id, created] :
       {std::pair{"gpt-4o-mini", 1721172741}, std::pair{"gpt-4o", 1715367049}, std::pair{"gpt-4.1-mini", 1744318173}}) {
    data.push_back(json::object{{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "system"}});
  }
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace mock_upstream::openai
