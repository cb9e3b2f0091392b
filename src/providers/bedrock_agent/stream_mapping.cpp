#include "providers/bedrock_agent/stream_mapping.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "openai/request.hpp"
#include "providers/bedrock_agent/base64.hpp"
#include "providers/bedrock_agent/error_mapping.hpp"
#include "providers/bedrock_agent/tool_call_id.hpp"

namespace sb::providers::bedrock {
namespace json = boost::json;
using core::ApiError;

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

json::value typed_value(std::string_view type, const std::string& value) {
  const std::string t = lower(type);
  if (t == "integer") {
    std::int64_t n = 0;
    const auto v = trim(value);
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc() && p == v.data() + v.size() && !v.empty()) return n;
    return json::string(value);
  }
  if (t == "number") {
    std::error_code ec;
    json::value parsed = json::parse(trim(value), ec);
    if (!ec && parsed.is_number() && openai::numbers_finite(parsed)) return parsed;  // 1e999 stays a string
    return json::string(value);
  }
  if (t == "boolean") {
    const std::string l = lower(trim(value));
    if (l == "true") return true;
    if (l == "false") return false;
    return json::string(value);
  }
  if (t == "array") {
    std::error_code ec;
    json::value parsed = json::parse(trim(value), ec);
    if (!ec && parsed.is_array() && openai::numbers_finite(parsed)) return parsed;
    // Agents often write arrays as "[a, b]": split the bracketed list into strings.
    std::string_view inner = trim(value);
    if (inner.size() >= 2 && inner.front() == '[' && inner.back() == ']') {
      inner = inner.substr(1, inner.size() - 2);
      json::array items;
      while (!trim(inner).empty()) {
        const auto comma = inner.find(',');
        items.emplace_back(json::string(trim(inner.substr(0, comma))));
        if (comma == std::string_view::npos) break;
        inner.remove_prefix(comma + 1);
      }
      return items;
    }
    return json::string(value);
  }
  return json::string(value);
}

// "GET" + "/weather/{city}" → "get_weather_city": a name clients accept as a function name.
std::string api_tool_name(std::string_view method, std::string_view path) {
  std::string out = lower(method);
  for (char c : path) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    if (ok) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "api_call" : out.substr(0, 64);
}

}  // namespace

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && is_space(text[j])) ++j;
    while (j < text.size() && !is_space(text[j])) ++j;
    out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::size_t complete_utf8_prefix(std::string_view bytes) {
  const std::size_t n = bytes.size();
  // Look back at most 3 bytes for the lead byte of the last sequence.
  for (std::size_t back = 1; back <= 4 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    std::size_t need = 1;
    if ((c & 0xE0) == 0xC0) {
      need = 2;
    } else if ((c & 0xF0) == 0xE0) {
      need = 3;
    } else if ((c & 0xF8) == 0xF0) {
      need = 4;
    }
    return back < need ? n - back : n;
  }
  return n;  // only continuation bytes: invalid, pass on as is
}

json::object typed_arguments(const json::array& parameters) {
  json::object args;
  for (const auto& p : parameters) {
    if (!p.is_object()) continue;
    const auto& o = p.get_object();
    const std::string name = string_field(o, "name");
    if (name.empty()) continue;
    args[name] = typed_value(string_field(o, "type"), string_field(o, "value"));
  }
  return args;
}

AgentStreamMapper::AgentStreamMapper(StreamMapperOptions options) : options_(std::move(options)) {}

void AgentStreamMapper::fail(ApiError error, std::vector<AgentEvent>& out) {
  failed_ = true;
  out.emplace_back(FailEvent{std::move(error)});
}

void AgentStreamMapper::on_message(const aws::eventstream::Message& m, std::vector<AgentEvent>& out) {
  if (failed_ || finished_) return;
  const ErrorContext ectx{options_.provider, options_.secrets};
  if (m.is_exception()) {
    fail(map_exception(m.exception_type().value_or(""), m.payload, ectx), out);
    return;
  }
  if (m.is_error()) {
    std::string what = std::string(m.error_code().value_or("unknown error"));
    fail(ApiError::upstream_error("The upstream provider '" + options_.provider + "' reported a stream error (" + what +
                                  ")."),
         out);
    return;
  }
  const auto type = m.event_type().value_or("");
  if (type == "chunk") {
    on_chunk(m.payload, out);
  } else if (type == "trace") {
    ++traces_;
    std::string kind = "trace";
    std::error_code ec;
    const json::value v = json::parse(m.payload, ec);
    if (!ec && v.is_object())
      if (const auto* t = v.get_object().if_contains("trace"); t && t->is_object() && !t->get_object().empty())
        kind = t->get_object().begin()->key();
    out.emplace_back(TraceEvent{std::move(kind)});
  } else if (type == "returnControl") {
    on_return_control(m.payload, out);
  }
  // Anything else (e.g. `files`) is not part of a chat completion: ignored.
}

void AgentStreamMapper::on_chunk(std::string_view payload, std::vector<AgentEvent>& out) {
  std::error_code ec;
  const json::value v = json::parse(payload, ec);
  const json::object* o = !ec && v.is_object() ? &v.get_object() : nullptr;
  const json::value* b = o ? o->if_contains("bytes") : nullptr;
  std::optional<std::string> bytes;
  if (b && b->is_string()) bytes = base64_decode(b->get_string());
  if (!bytes) {
    fail(ApiError::upstream_error("The upstream provider '" + options_.provider + "' sent a malformed chunk."), out);
    return;
  }
  const bool first = chunks_ == 0;
  ++chunks_;
  std::string text = std::move(pending_);
  text += *bytes;
  const std::size_t complete = complete_utf8_prefix(text);
  pending_ = text.substr(complete);
  text.resize(complete);
  if (text.empty()) return;
  if (first && options_.split_first_chunk) {
    for (auto word : split_words(text)) out.emplace_back(TextEvent{std::string(word)});
  } else {
    out.emplace_back(TextEvent{std::move(text)});
  }
}

void AgentStreamMapper::on_return_control(std::string_view payload, std::vector<AgentEvent>& out) {
  std::error_code ec;
  const json::value v = json::parse(payload, ec);
  const json::object* rc = !ec && v.is_object() ? &v.get_object() : nullptr;
  const json::value* inputs = rc ? rc->if_contains("invocationInputs") : nullptr;
  const std::string invocation_id = rc ? string_field(*rc, "invocationId") : std::string();
  if (!inputs || !inputs->is_array() || invocation_id.empty()) {
    fail(ApiError::upstream_error("The upstream provider '" + options_.provider +
                                  "' sent a malformed returnControl event."),
         out);
    return;
  }
  for (const auto& input : inputs->get_array()) {
    if (!input.is_object()) continue;
    const auto& in = input.get_object();
    ReturnControlRef ref{options_.session_id, invocation_id, {}, {}, {}, {}};
    std::string name;
    json::object args;
    if (const auto* f = in.if_contains("functionInvocationInput"); f && f->is_object()) {
      const auto& fn = f->get_object();
      ref.action_group = string_field(fn, "actionGroup");
      ref.function = string_field(fn, "function");
      name = ref.function;
      if (const auto* params = fn.if_contains("parameters"); params && params->is_array())
        args = typed_arguments(params->get_array());
    } else if (const auto* a = in.if_contains("apiInvocationInput"); a && a->is_object()) {
      const auto& api = a->get_object();
      ref.action_group = string_field(api, "actionGroup");
      ref.api_path = string_field(api, "apiPath");
      ref.http_method = string_field(api, "httpMethod");
      name = api_tool_name(ref.http_method, ref.api_path);
      if (const auto* params = api.if_contains("parameters"); params && params->is_array())
        args = typed_arguments(params->get_array());
      // requestBody.content.<media type>.properties: [{name,type,value}] like the parameters.
      if (const auto* body = api.if_contains("requestBody"); body && body->is_object())
        if (const auto* content = body->get_object().if_contains("content"); content && content->is_object())
          for (const auto& [media, schema] : content->get_object())
            if (const auto* props = schema.is_object() ? schema.get_object().if_contains("properties") : nullptr;
                props && props->is_array())
              for (auto& [k, val] : typed_arguments(props->get_array())) args[k] = val;
    } else {
      continue;
    }
    if (ref.action_group.empty() || name.empty()) continue;
    core::ToolCallDelta delta;
    delta.index = static_cast<int>(tool_calls_++);
    delta.id = encode_tool_call_id(ref);
    delta.name = std::move(name);
    delta.arguments = json::serialize(args);
    out.emplace_back(ToolCallEvent{std::move(delta)});
  }
  if (tool_calls_ == 0)
    fail(ApiError::upstream_error("The upstream provider '" + options_.provider +
                                  "' returned control without any function to call."),
         out);
}

void AgentStreamMapper::on_end(std::vector<AgentEvent>& out) {
  if (failed_ || finished_) return;
  finished_ = true;
  if (!pending_.empty()) out.emplace_back(TextEvent{std::exchange(pending_, {})});  // a cut-off character
  out.emplace_back(FinishEvent{tool_calls_ > 0 ? "tool_calls" : "stop"});
}

}  // namespace sb::providers::bedrock
