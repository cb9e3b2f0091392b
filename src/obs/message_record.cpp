// Building one message-log line: request messages and tools, assembled reply, redaction.
#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <map>

#include "http/sse.hpp"
#include "obs/message_log.hpp"

namespace sb::obs {
namespace json = boost::json;
namespace {

std::size_t utf8_chars(std::string_view s) {
  std::size_t n = 0;
  for (const unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string iso_time(SystemClock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

double round1(double v) {
  return static_cast<double>(static_cast<long long>(v * 10 + (v >= 0 ? 0.5 : -0.5))) / 10;
}

// Keys whose string values are structure, not text: kept as they are when redacting.
bool structural_key(std::string_view k) {
  return k == "role" || k == "type" || k == "name" || k == "id" || k == "tool_call_id" || k == "detail" ||
         k == "format";
}

json::value redact(const json::value& v);

json::object redact_object(const json::object& o) {
  json::object out;
  for (const auto& [k, val] : o) {
    if (val.is_string() && structural_key(k)) {
      out[k] = val;
    } else if (val.is_string()) {
      out[std::string(k) + "_chars"] = utf8_chars(val.get_string());
    } else {
      out[k] = redact(val);
    }
  }
  return out;
}

// Strings become their lengths (a string under a text key becomes `<key>_chars`); everything else keeps its shape.
json::value redact(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return redact_object(v.get_object());
    case json::kind::array: {
      json::array out;
      for (const auto& x : v.get_array()) out.push_back(redact(x));
      return out;
    }
    case json::kind::string:
      return utf8_chars(v.get_string());
    default:
      return v;
  }
}

std::string str_of(const json::value* v) {
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<core::Usage> usage_of(const json::value* v) {
  if (!v || !v->is_object()) return std::nullopt;
  const auto& o = v->get_object();
  auto num = [&](std::string_view k) -> std::int64_t {
    const auto* x = o.if_contains(k);
    if (!x) return 0;
    if (x->is_int64()) return x->get_int64();
    if (x->is_uint64()) return static_cast<std::int64_t>(x->get_uint64());
    if (x->is_double()) return static_cast<std::int64_t>(x->get_double());
    return 0;
  };
  return core::Usage{num("prompt_tokens"), num("completion_tokens"), num("total_tokens")};
}

// Appends the pieces of one relayed chunk (choice 0) to the reply.
void apply_chunk(const json::object& chunk, AssembledReply& r, std::map<std::int64_t, AssembledReply::ToolCall>& calls) {
  if (auto u = usage_of(chunk.if_contains("usage"))) r.usage = u;
  const auto* choices = chunk.if_contains("choices");
  if (!choices || !choices->is_array()) return;
  for (const auto& c : choices->get_array()) {
    if (!c.is_object()) continue;
    const auto& choice = c.get_object();
    const auto* index = choice.if_contains("index");
    if (index && index->is_int64() && index->get_int64() != 0) continue;  // n > 1: choice 0 only
    if (const auto* f = choice.if_contains("finish_reason"); f && f->is_string()) r.finish_reason = f->get_string();
    const auto* delta = choice.if_contains("delta");
    if (!delta || !delta->is_object()) continue;
    const auto& d = delta->get_object();
    if (const auto* text = d.if_contains("content"); text && text->is_string()) r.content.append(text->get_string());
    const auto* tcs = d.if_contains("tool_calls");
    if (!tcs || !tcs->is_array()) continue;
    for (const auto& t : tcs->get_array()) {
      if (!t.is_object()) continue;
      const auto& tc = t.get_object();
      const auto* i = tc.if_contains("index");
      auto& call = calls[i && i->is_int64() ? i->get_int64() : 0];
      if (const auto* id = tc.if_contains("id"); id && id->is_string()) call.id = id->get_string();
      if (const auto* fn = tc.if_contains("function"); fn && fn->is_object()) {
        if (const auto* n = fn->get_object().if_contains("name"); n && n->is_string()) call.name = n->get_string();
        if (const auto* a = fn->get_object().if_contains("arguments"); a && a->is_string())
          call.arguments.append(a->get_string());
      }
    }
  }
}

void assemble_relayed_events(const std::string& events, AssembledReply& r) {
  std::map<std::int64_t, AssembledReply::ToolCall> calls;
  http::SseParser parser(events.size() + 1);
  parser.feed(events, [&](const http::SseEvent& ev) {
    if (!ev.has_data || ev.data.empty() || ev.data.front() != '{') return;
    std::error_code ec;
    const auto v = json::parse(ev.data, ec);
    if (!ec && v.is_object()) apply_chunk(v.get_object(), r, calls);
  });
  for (auto& [index, call] : calls) r.tool_calls.push_back(std::move(call));
}

void assemble_relayed_body(const std::string& body, AssembledReply& r) {
  std::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return;
  const auto& o = v.get_object();
  r.usage = usage_of(o.if_contains("usage"));
  const auto* choices = o.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty() || !choices->get_array()[0].is_object()) return;
  const auto& choice = choices->get_array()[0].get_object();
  r.finish_reason = str_of(choice.if_contains("finish_reason"));
  const auto* msg = choice.if_contains("message");
  if (!msg || !msg->is_object()) return;
  r.content = str_of(msg->get_object().if_contains("content"));
  const auto* tcs = msg->get_object().if_contains("tool_calls");
  if (!tcs || !tcs->is_array()) return;
  for (const auto& t : tcs->get_array()) {
    if (!t.is_object()) continue;
    AssembledReply::ToolCall call;
    call.id = str_of(t.get_object().if_contains("id"));
    if (const auto* fn = t.get_object().if_contains("function"); fn && fn->is_object()) {
      call.name = str_of(fn->get_object().if_contains("name"));
      call.arguments = str_of(fn->get_object().if_contains("arguments"));
    }
    r.tool_calls.push_back(std::move(call));
  }
}

json::value error_json(const core::ApiError& e) {
  return json::object{{"status", e.status},
                      {"type", e.type},
                      {"code", e.code ? json::value(*e.code) : json::value(nullptr)},
                      {"message", e.message}};
}

}  // namespace

std::size_t Exchange::approx_bytes() const {
  std::size_t n = 512 + request_body.size() + reply.text.size() + reply.relayed_events.size() + reply.relayed_body.size();
  for (const auto& [i, c] : reply.tool_calls) n += 64 + c.arguments.size();
  return n;
}

AssembledReply assemble_reply(const core::ReplyCapture& capture) {
  AssembledReply r;
  if (!capture.relayed_events.empty()) {
    assemble_relayed_events(capture.relayed_events, r);
  } else if (!capture.relayed_body.empty()) {
    assemble_relayed_body(capture.relayed_body, r);
  } else {
    r.content = capture.text;
    for (const auto& [index, call] : capture.tool_calls) r.tool_calls.push_back({call.id, call.name, call.arguments});
  }
  return r;
}

std::string build_record(const Exchange& e, const RecordOptions& options) {
  const bool redact_text = options.redact_content;
  json::object rec;
  rec["request_id"] = e.request_id;
  rec["started_at"] = iso_time(e.started);
  rec["ended_at"] = iso_time(e.ended);
  rec["provider"] = e.provider.empty() ? json::value(nullptr) : json::value(e.provider);
  rec["model"] = e.model.empty() ? json::value(nullptr) : json::value(e.model);
  rec["session_id"] = e.session_id.empty() ? json::value(nullptr) : json::value(e.session_id);
  if (!e.key_name.empty()) rec["key"] = e.key_name;
  rec["stream"] = e.stream;
  rec["status"] = e.status;
  rec["ttft_ms"] = e.ttft_ms ? json::value(round1(*e.ttft_ms)) : json::value(nullptr);
  rec["duration_ms"] = round1(e.duration_ms);
  rec["retries"] = e.retries;
  rec["client_disconnected"] = e.client_disconnected;

  // The request: its messages and tools (tool definitions are the caller's schema, not message text).
  std::error_code ec;
  const json::value body = json::parse(e.request_body, ec);
  if (!ec && body.is_object()) {
    json::object req;
    const auto& b = body.get_object();
    if (const auto* m = b.if_contains("messages")) {
      req["message_count"] = m->is_array() ? m->get_array().size() : 0;
      req["messages"] = redact_text ? redact(*m) : *m;
    }
    if (const auto* t = b.if_contains("tools")) req["tools"] = *t;
    if (const auto* tc = b.if_contains("tool_choice")) req["tool_choice"] = *tc;
    rec["request"] = std::move(req);
  } else {
    rec["request"] = json::object{{"unparsable_bytes", e.request_body.size()}};
  }

  // The reply, as the client received it (or as far as it got).
  const AssembledReply reply = assemble_reply(e.reply);
  json::object resp;
  if (redact_text) {
    resp["content_chars"] = utf8_chars(reply.content);
  } else {
    resp["content"] = reply.content;
  }
  if (!reply.tool_calls.empty()) {
    json::array calls;
    for (const auto& c : reply.tool_calls) {
      json::object fn{{"name", c.name}};
      if (redact_text) {
        fn["arguments_chars"] = utf8_chars(c.arguments);
      } else {
        fn["arguments"] = c.arguments;
      }
      calls.push_back(json::object{{"id", c.id}, {"type", "function"}, {"function", std::move(fn)}});
    }
    resp["tool_calls"] = std::move(calls);
  }
  const std::string& finish = e.finish_reason.empty() ? reply.finish_reason : e.finish_reason;
  resp["finish_reason"] = finish.empty() ? json::value(nullptr) : json::value(finish);
  if (e.reply.truncated) resp["truncated"] = true;
  rec["response"] = std::move(resp);

  const auto usage = e.usage ? e.usage : reply.usage;
  rec["usage"] = usage ? json::value(json::object{{"prompt_tokens", usage->prompt_tokens},
                                                  {"completion_tokens", usage->completion_tokens},
                                                  {"total_tokens", usage->total_tokens}})
                       : json::value(nullptr);
  rec["error"] = e.error ? error_json(*e.error) : json::value(nullptr);
  std::string line = json::serialize(rec);
  line += '\n';
  return line;
}

}  // namespace sb::obs
