#include "bedrock_agent_scenarios.hpp"

#include "aws/eventstream.hpp"
#include "http/request_id.hpp"
#include "providers/bedrock_agent/base64.hpp"

#include <boost/json.hpp>

#include <charconv>

namespace mock_upstream::bedrock {

namespace json = boost::json;
namespace es = sb::aws::eventstream;

namespace {

constexpr std::string_view kContentType = "application/vnd.amazon.eventstream";
constexpr std::string_view kErrorSuffix = ":http://internal.amazon.com/coral/com.amazon.bedrock/";

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      unsigned v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string event_frame(std::string_view type, std::string payload) {
  es::Message m;
  m.headers.push_back({":event-type", std::string(type)});
  m.headers.push_back({":content-type", std::string("application/json")});
  m.headers.push_back({":message-type", std::string("event")});
  m.payload = std::move(payload);
  return es::encode(m);
}

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

std::size_t utf8_char_length(unsigned char c) {
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

unsigned default_status(std::string_view type) {
  static const std::map<std::string_view, unsigned> kStatus = {
      {"ThrottlingException", 429},       {"ServiceQuotaExceededException", 429}, {"ValidationException", 400},
      {"AccessDeniedException", 403},     {"ResourceNotFoundException", 404},     {"ConflictException", 409},
      {"DependencyFailedException", 424}, {"BadGatewayException", 502},           {"InternalServerException", 500},
      {"ModelNotReadyException", 424},    {"UnrecognizedClientException", 403}};
  const auto it = kStatus.find(type);
  return it == kStatus.end() ? 500 : it->second;
}

std::string camel(std::string type) {
  if (!type.empty()) type[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(type[0])));
  return type;
}

std::string pascal(std::string type) {
  if (!type.empty()) type[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(type[0])));
  return type;
}

ResponsePlan stream_plan(const InvokeRequest& request, const Script& script, std::vector<std::string> frames) {
  ResponsePlan plan;
  plan.status = 200;
  plan.content_type = std::string(kContentType);
  plan.chunked = true;
  plan.headers = stream_headers(request.path);
  plan.pieces = std::move(frames);
  plan.first_byte_delay = std::chrono::milliseconds(script.number("first_byte_ms", 0));
  plan.interval = std::chrono::milliseconds(script.number("interval_ms", 0));
  return plan;
}

// Traces (if asked for) then the answer in chunks.
std::vector<std::string> answer_frames(const InvokeRequest& request, const Script& script, std::string_view text,
                                       std::size_t pieces) {
  std::vector<std::string> frames;
  const long traces = script.number("traces", 1);
  for (long i = 0; i < traces; ++i)
    frames.push_back(
        trace_frame(request.path, "orchestrationTrace", "Step " + std::to_string(i + 1) + " of the plan."));
  for (const auto& piece : split_text(text, pieces)) frames.push_back(chunk_frame(piece));
  return frames;
}

}  // namespace

std::string Script::get(const std::string& key, std::string fallback) const {
  const auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

long Script::number(const std::string& key, long fallback) const {
  const auto it = options.find(key);
  if (it == options.end()) return fallback;
  long v = 0;
  const auto& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && v >= 0 ? v : fallback;
}

std::optional<InvokePath> parse_invoke_path(std::string_view path) {
  // "", "agents", A, "agentAliases", B, "sessions", S, "text"
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 8 || !parts[0].empty() || parts[1] != "agents" || parts[3] != "agentAliases" ||
      parts[5] != "sessions" || parts[7] != "text" || parts[2].empty() || parts[4].empty() || parts[6].empty())
    return std::nullopt;
  return InvokePath{percent_decode(parts[2]), percent_decode(parts[4]), percent_decode(parts[6])};
}

std::variant<InvokeRequest, std::string> read_invoke_request(InvokePath path, std::string_view body) {
  boost::system::error_code ec;
  const auto doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return std::string("The request body is not a JSON object.");
  const auto& o = doc.get_object();
  InvokeRequest r;
  r.path = std::move(path);
  if (const auto* t = o.if_contains("inputText")) {
    if (!t->is_string()) return std::string("inputText must be a string.");
    r.input_text = std::string(t->get_string());
  }
  if (const auto* e = o.if_contains("enableTrace"); e && e->is_bool()) r.enable_trace = e->get_bool();
  if (const auto* sc = o.if_contains("streamingConfigurations"); sc && sc->is_object())
    if (const auto* f = sc->get_object().if_contains("streamFinalResponse"); f && f->is_bool())
      r.stream_final_response = f->get_bool();
  if (const auto* st = o.if_contains("sessionState"); st && st->is_object()) {
    const auto& state = st->get_object();
    if (const auto* id = state.if_contains("invocationId"); id && id->is_string())
      r.invocation_id = std::string(id->get_string());
    if (const auto* res = state.if_contains("returnControlInvocationResults"); res && res->is_array())
      r.results = res->get_array();
    if (const auto* h = state.if_contains("conversationHistory"); h && h->is_object()) {
      const auto* msgs = h->get_object().if_contains("messages");
      if (!msgs || !msgs->is_array()) return std::string("conversationHistory.messages must be a list.");
      for (const auto& m : msgs->get_array()) {
        const auto* mo = m.is_object() ? m.get_object().if_contains("role") : nullptr;
        const auto* content = m.is_object() ? m.get_object().if_contains("content") : nullptr;
        if (!mo || !mo->is_string() || (mo->get_string() != "user" && mo->get_string() != "assistant") || !content ||
            !content->is_array() || content->get_array().empty())
          return std::string("The conversation history that you provided is incorrectly formatted.");
        for (const auto& block : content->get_array()) {
          const auto* text = block.is_object() ? block.get_object().if_contains("text") : nullptr;
          if (!text || !text->is_string() || text->get_string().empty())
            return std::string(
                "The conversation history that you provided is incorrectly formatted. The text in "
                "content block cannot be null or empty.");
        }
      }
      r.history_messages = msgs->get_array().size();
    }
  }
  if (!r.input_text && r.results.empty())
    return std::string("Either inputText or sessionState.returnControlInvocationResults is required.");
  if (!r.results.empty() && r.invocation_id.empty())
    return std::string("sessionState.invocationId is required with returnControlInvocationResults.");
  return r;
}

std::variant<Script, std::string> parse_script(std::string_view input_text) {
  Script s;
  constexpr std::string_view kPrefix = "scenario:";
  if (!input_text.starts_with(kPrefix)) return s;
  input_text.remove_prefix(kPrefix.size());
  bool first = true;
  while (!input_text.empty()) {
    while (!input_text.empty() && is_space(input_text.front())) input_text.remove_prefix(1);
    std::size_t end = 0;
    while (end < input_text.size() && !is_space(input_text[end])) ++end;
    const std::string_view token = input_text.substr(0, end);
    input_text.remove_prefix(end);
    if (token.empty()) break;
    if (first) {
      s.name = std::string(token);
      first = false;
      continue;
    }
    const auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0) return "bad scenario option '" + std::string(token) + "'";
    s.options[std::string(token.substr(0, eq))] = std::string(token.substr(eq + 1));
  }
  static const std::vector<std::string> kNames = {"text",      "one_piece", "utf8",  "return_control", "error",
                                                  "exception", "drop",      "stall", "replay",         "corrupt"};
  if (std::find(kNames.begin(), kNames.end(), s.name) == kNames.end()) return "unknown scenario '" + s.name + "'";
  return s;
}

std::vector<std::string> split_text(std::string_view text, std::size_t pieces) {
  std::vector<std::string_view> words;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t j = i;
    while (j < text.size() && is_space(text[j])) ++j;
    while (j < text.size() && !is_space(text[j])) ++j;
    words.push_back(text.substr(i, j - i));
    i = j;
  }
  std::vector<std::string> out;
  if (pieces == 0) pieces = 1;
  if (words.size() >= pieces) {
    for (std::size_t p = 0; p < pieces; ++p) {
      std::string piece;
      for (std::size_t w = p * words.size() / pieces; w < (p + 1) * words.size() / pieces; ++w) piece += words[w];
      out.push_back(std::move(piece));
    }
    return out;
  }
  std::vector<std::string_view> chars;  // fewer words than pieces: split between characters
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = std::min(utf8_char_length(static_cast<unsigned char>(text[i])), text.size() - i);
    chars.push_back(text.substr(i, n));
    i += n;
  }
  pieces = std::min(pieces, std::max<std::size_t>(chars.size(), 1));
  for (std::size_t p = 0; p < pieces; ++p) {
    std::string piece;
    for (std::size_t c = p * chars.size() / pieces; c < (p + 1) * chars.size() / pieces; ++c) piece += chars[c];
    out.push_back(std::move(piece));
  }
  return out;
}

std::string chunk_frame(std::string_view text) {
  return event_frame("chunk", json::serialize(json::object{{"bytes", sb::providers::bedrock::base64_encode(text)}}));
}

std::string trace_frame(const InvokePath& path, std::string_view kind, std::string_view rationale) {
  json::object trace{
      {"agentAliasId", path.alias_id},
      {"agentId", path.agent_id},
      {"agentVersion", "1"},
      {"callerChain", json::array{json::object{{"agentAliasArn", "arn:aws:bedrock:us-east-1:123456789012:agent-alias/" +
                                                                     path.agent_id + "/" + path.alias_id}}}},
      {"eventTime", "2025-04-03T03:13:01.123456789Z"},
      {"sessionId", path.session_id},
      {"trace", json::object{{std::string(kind),
                              json::object{{"rationale", json::object{{"text", rationale},
                                                                      {"traceId", sb::http::uuid4() + "-0"}}}}}}}};
  return event_frame("trace", json::serialize(trace));
}

std::string return_control_frame(std::string_view invocation_id, std::string_view agent_id,
                                 std::string_view action_group, std::string_view function,
                                 const json::array& parameters) {
  json::object input{{"actionGroup", action_group},
                     {"actionInvocationType", "RESULT"},
                     {"agentId", agent_id},
                     {"function", function},
                     {"parameters", parameters}};
  json::object payload{{"invocationId", invocation_id},
                       {"invocationInputs", json::array{json::object{{"functionInvocationInput", std::move(input)}}}}};
  return event_frame("returnControl", json::serialize(payload));
}

std::string exception_frame(std::string_view exception_type, std::string_view message) {
  es::Message m;
  m.headers.push_back({":exception-type", camel(std::string(exception_type))});
  m.headers.push_back({":content-type", std::string("application/json")});
  m.headers.push_back({":message-type", std::string("exception")});
  m.payload = json::serialize(json::object{{"message", message}});
  return es::encode(m);
}

ResponsePlan http_error_plan(unsigned status, std::string_view error_type, std::string_view message,
                             std::optional<long> retry_after) {
  ResponsePlan plan;
  plan.status = status;
  plan.content_type = "application/json";
  plan.headers.push_back({"x-amzn-ErrorType", std::string(error_type) + std::string(kErrorSuffix)});
  plan.headers.push_back({"x-amzn-RequestId", sb::http::uuid4()});
  if (retry_after) plan.headers.push_back({"Retry-After", std::to_string(*retry_after)});
  plan.pieces.push_back(json::serialize(json::object{{"message", message}}));
  return plan;
}

std::vector<Header> stream_headers(const InvokePath& path) {
  return {{"x-amz-bedrock-agent-session-id", path.session_id},
          {"x-amzn-bedrock-agent-content-type", "application/json"},
          {"x-amzn-RequestId", sb::http::uuid4()}};
}

ResponsePlan answer_plan(const InvokeRequest& request, const Script& script,
                         const std::vector<std::string>& replay_frames, std::optional<PendingInvocation>& pending) {
  const std::string input = request.input_text.value_or("");
  const std::string text = script.get("text", "You said: " + input + ". This is the mock Bedrock agent.");
  // Like the service: streamed in pieces only when the caller asked for streamFinalResponse.
  const auto pieces = static_cast<std::size_t>(request.stream_final_response ? script.number("pieces", 4) : 1);
  const std::string& name = script.name;

  if (name == "text") return stream_plan(request, script, answer_frames(request, script, text, pieces));
  if (name == "one_piece") return stream_plan(request, script, answer_frames(request, script, text, 1));
  if (name == "utf8") {
    // Chunk boundaries fall inside multi-byte characters, as they may on the wire.
    const std::string u = script.get("text", "Grüße aus Köln: 12°C → 30°C, 日本語 🙂 done.");
    const auto n = static_cast<std::size_t>(script.number("pieces", 9));
    std::vector<std::string> frames;
    for (std::size_t p = 0; p < n; ++p)
      frames.push_back(
          chunk_frame(std::string_view(u).substr(p * u.size() / n, (p + 1) * u.size() / n - p * u.size() / n)));
    return stream_plan(request, script, std::move(frames));
  }
  if (name == "return_control") {
    PendingInvocation inv{sb::http::uuid4(), std::string(kActionGroup), script.get("function", std::string(kFunction))};
    json::array params{json::object{{"name", "location"}, {"type", "string"}, {"value", "Seattle"}},
                       json::object{{"name", "days"}, {"type", "integer"}, {"value", "3"}},
                       json::object{{"name", "metric"}, {"type", "boolean"}, {"value", "true"}},
                       json::object{{"name", "hours"}, {"type", "array"}, {"value", "[9, 12]"}}};
    std::vector<std::string> frames;
    frames.push_back(trace_frame(request.path, "orchestrationTrace", "I need the weather: calling the function."));
    frames.push_back(
        return_control_frame(inv.invocation_id, request.path.agent_id, inv.action_group, inv.function, params));
    pending = std::move(inv);
    return stream_plan(request, script, std::move(frames));
  }
  if (name == "error") {
    const std::string type = pascal(script.get("type", "ThrottlingException"));
    const auto status = static_cast<unsigned>(script.number("status", default_status(type)));
    std::optional<long> retry_after;
    if (script.options.contains("retry_after")) retry_after = script.number("retry_after", 1);
    return http_error_plan(status, type, script.get("message", "Mock " + type + "."), retry_after);
  }
  if (name == "exception") {
    const auto after = static_cast<std::size_t>(script.number("after", 1));
    auto frames = answer_frames(request, script, text, std::max<std::size_t>(after, 1) + 1);
    frames.resize(std::min(frames.size(), static_cast<std::size_t>(script.number("traces", 1)) + after));
    const std::string type = script.get("type", "throttlingException");
    frames.push_back(exception_frame(type, script.get("message", "Mock " + camel(type) + ".")));
    return stream_plan(request, script, std::move(frames));
  }
  if (name == "drop" || name == "stall") {
    auto plan = stream_plan(request, script, answer_frames(request, script, text, std::max<std::size_t>(pieces, 4)));
    plan.cut_after = static_cast<std::size_t>(script.number("after", 2));
    plan.end = name == "stall" ? PlanEnd::stall : (script.get("mode") == "reset" ? PlanEnd::reset : PlanEnd::close);
    return plan;
  }
  if (name == "replay") return stream_plan(request, script, replay_frames);
  if (name == "corrupt") {
    std::vector<std::string> frames{chunk_frame("Before the damage. ")};
    std::string bad = chunk_frame("damaged");
    bad[bad.size() - 1] = static_cast<char>(bad[bad.size() - 1] ^ 0x5A);  // message CRC no longer matches
    frames.push_back(std::move(bad));
    return stream_plan(request, script, std::move(frames));
  }
  return http_error_plan(400, "ValidationException", "Unknown mock scenario.");
}

ResponsePlan continuation_plan(const InvokeRequest& request, const std::optional<PendingInvocation>& pending) {
  if (!pending || pending->invocation_id != request.invocation_id)
    return http_error_plan(400, "ValidationException",
                           "The invocationId " + request.invocation_id +
                               " does not match a pending returnControl of "
                               "session " +
                               request.path.session_id + ".");
  std::string bodies;
  for (const auto& r : request.results) {
    const auto* fr = r.is_object() ? r.get_object().if_contains("functionResult") : nullptr;
    const json::object* f = fr && fr->is_object() ? &fr->get_object() : nullptr;
    const auto str = [&](std::string_view k) {
      const auto* v = f ? f->if_contains(k) : nullptr;
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    if (!f || str("actionGroup") != pending->action_group || str("function") != pending->function)
      return http_error_plan(
          400, "ValidationException",
          "returnControlInvocationResults must answer " + pending->action_group + "/" + pending->function + ".");
    const json::value* body = f->if_contains("responseBody");
    body = body && body->is_object() ? body->get_object().if_contains("TEXT") : nullptr;
    body = body && body->is_object() ? body->get_object().if_contains("body") : nullptr;
    if (!body || !body->is_string())
      return http_error_plan(400, "ValidationException", "functionResult.responseBody.TEXT.body is required.");
    bodies += (bodies.empty() ? "" : "; ") + std::string(body->get_string());
  }
  const std::string text = "Tool result received: " + bodies;
  Script script;
  std::vector<std::string> frames;
  frames.push_back(trace_frame(request.path, "orchestrationTrace", "The function answered."));
  for (const auto& piece : split_text(text, request.stream_final_response ? 3 : 1))
    frames.push_back(chunk_frame(piece));
  return stream_plan(request, script, std::move(frames));
}

}  // namespace mock_upstream::bedrock
