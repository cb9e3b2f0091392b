#include "openai_scenarios.hpp"

#include "openai_format.hpp"

#include <boost/json.hpp>

#include <array>
#include <utility>

namespace mock_upstream::openai {

namespace json = boost::json;

namespace {

constexpr std::string_view kDefaultSentence = "This is a scripted reply from mock-upstream, sent in small pieces.";
constexpr std::size_t kMaxChunks = 1'000'000;
constexpr std::uint64_t kMaxMillis = 24ull * 3600 * 1000;

constexpr std::array<std::pair<std::string_view, Scenario>, 13> kScenarios{{
    {"text", Scenario::text},
    {"tool_call", Scenario::tool_call},
    {"tool_calls_parallel", Scenario::tool_calls_parallel},
    {"error", Scenario::error},
    {"drop", Scenario::drop},
    {"stall", Scenario::stall},
    {"replay", Scenario::replay},
    {"no_done", Scenario::no_done},
    {"changing_id", Scenario::changing_id},
    {"no_role", Scenario::no_role},
    {"bad_json", Scenario::bad_json},
    {"no_finish", Scenario::no_finish},
    {"text_after_finish", Scenario::text_after_finish},
}};

std::optional<std::uint64_t> as_count(const json::value& value, std::uint64_t max) {
  std::uint64_t n = 0;
  if (value.is_uint64()) {
    n = value.get_uint64();
  } else if (value.is_int64() && value.get_int64() >= 0) {
    n = static_cast<std::uint64_t>(value.get_int64());
  } else if (value.is_double() && value.get_double() >= 0 && value.get_double() <= double(max) &&
             value.get_double() == static_cast<double>(static_cast<std::uint64_t>(value.get_double()))) {
    n = static_cast<std::uint64_t>(value.get_double());
  } else {
    return std::nullopt;
  }
  if (n > max) return std::nullopt;
  return n;
}

std::string key_error(std::string_view key, std::string_view expected) {
  return "mock." + std::string(key) + " must be " + std::string(expected);
}

std::size_t estimate_prompt_tokens(const json::object& body) {
  std::size_t chars = 0;
  std::size_t messages = 0;
  if (const auto* list = body.if_contains("messages"); list && list->is_array()) {
    for (const auto& message : list->get_array()) {
      ++messages;
      const auto* content = message.is_object() ? message.get_object().if_contains("content") : nullptr;
      if (content == nullptr) continue;
      if (content->is_string()) {
        chars += content->get_string().size();
      } else if (content->is_array()) {
        for (const auto& part : content->get_array()) {
          const auto* text = part.is_object() ? part.get_object().if_contains("text") : nullptr;
          if (text && text->is_string()) chars += text->get_string().size();
        }
      }
    }
  }
  return chars / 4 + 3 * messages + 1;
}

std::string reply_text(const MockOptions& options) {
  if (options.text) return *options.text;
  // Repeat the default sentence until it has at least `chunks` words, so any chunk count works.
  constexpr std::size_t kWords = 11;
  std::string text(kDefaultSentence);
  for (std::size_t words = kWords; words < options.chunks; words += kWords) {
    text.push_back(' ');
    text.append(kDefaultSentence);
  }
  return text;
}

// `data: <first half of the JSON>\n\n`: an event whose data is not JSON.
std::string truncate_event(const std::string& event) {
  const std::string_view data(event.data(), event.size() - 2);  // without "\n\n"
  std::size_t cut = 6 + (data.size() - 6) / 2;
  while (cut > 6 && (static_cast<unsigned char>(data[cut]) & 0xC0) == 0x80) --cut;
  return std::string(data.substr(0, cut)) + "\n\n";
}

std::vector<std::string> text_events(const ChatRequest& request, const MockOptions& options, std::string_view id,
                                     std::int64_t created) {
  const auto scenario = options.scenario;
  const auto pieces = split_text(reply_text(options), options.chunks);
  const ChunkBuilder first(id, created, request.model, request.include_usage);
  std::optional<ChunkBuilder> second;
  if (scenario == Scenario::changing_id) {
    second.emplace(new_completion_id(), created, request.model, request.include_usage);
  }
  // The id changes halfway through the content (before the finish chunk for tiny replies).
  const std::size_t switch_at = pieces.size() >= 2 ? pieces.size() / 2 : pieces.size();
  const ChunkBuilder* builder = &first;

  std::vector<std::string> events;
  events.reserve(pieces.size() + 5);
  if (scenario != Scenario::no_role) events.push_back(first.role(false, true));
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (second && i == switch_at) builder = &*second;
    events.push_back(builder->content(pieces[i]));
    if (scenario == Scenario::bad_json && i == pieces.size() / 2) {
      events.back() = truncate_event(events.back());
    }
  }
  if (second) builder = &*second;
  if (scenario != Scenario::no_finish) {
    events.push_back(builder->finish("stop"));
    if (scenario == Scenario::bad_json && pieces.empty()) {
      events.back() = truncate_event(events.back());
    }
  }
  if (scenario == Scenario::text_after_finish) {
    events.push_back(builder->content(" Text after the finish chunk."));
  }
  if (request.include_usage) {
    events.push_back(builder->usage({request.prompt_tokens, std::max<std::size_t>(1, pieces.size())}));
  }
  if (scenario != Scenario::no_done) events.emplace_back(kDone);
  return events;
}

std::vector<ToolCall> tool_calls_for(const ChatRequest& request, const MockOptions& options, std::size_t count) {
  static constexpr std::array<std::string_view, 2> kArguments{R"({"location":"Paris, France","unit":"celsius"})",
                                                              R"({"location":"London, UK","unit":"celsius"})"};
  std::vector<ToolCall> calls;
  for (std::size_t i = 0; i < count; ++i) {
    std::string name = options.tool_name               ? *options.tool_name
                       : i < request.tool_names.size() ? request.tool_names[i]
                       : !request.tool_names.empty()   ? request.tool_names.front()
                                                       : std::string("get_weather");
    std::string arguments = options.arguments ? *options.arguments : std::string(kArguments[i % 2]);
    calls.push_back({new_call_id(), std::move(name), std::move(arguments)});
  }
  return calls;
}

std::vector<std::string> tool_events(const ChatRequest& request, const MockOptions& options,
                                     const std::vector<ToolCall>& calls, std::string_view id, std::int64_t created,
                                     std::size_t& fragments_sent) {
  const ChunkBuilder builder(id, created, request.model, request.include_usage);
  std::vector<std::vector<std::string>> fragments;
  for (const auto& call : calls) fragments.push_back(split_text(call.arguments, options.chunks));
  std::vector<std::string> events;
  fragments_sent = 0;
  if (calls.size() == 1) {  // as tools/stream-tool-calls-single.sse: role and call header together
    events.push_back(builder.role_with_tool_call(calls[0]));
    for (const auto& f : fragments[0]) events.push_back(builder.tool_call_arguments(0, f));
    fragments_sent = fragments[0].size();
  } else {  // as tools/stream-tool-calls-parallel.sse: role chunk, then each call by index
    events.push_back(builder.role(true, false));
    if (options.interleave) {
      for (std::size_t i = 0; i < calls.size(); ++i) events.push_back(builder.tool_call_header(i, calls[i]));
      for (std::size_t k = 0;; ++k) {
        bool any = false;
        for (std::size_t i = 0; i < calls.size(); ++i) {
          if (k >= fragments[i].size()) continue;
          events.push_back(builder.tool_call_arguments(i, fragments[i][k]));
          any = true;
        }
        if (!any) break;
      }
    } else {
      for (std::size_t i = 0; i < calls.size(); ++i) {
        events.push_back(builder.tool_call_header(i, calls[i]));
        for (const auto& f : fragments[i]) events.push_back(builder.tool_call_arguments(i, f));
      }
    }
    for (const auto& list : fragments) fragments_sent += list.size();
  }
  events.push_back(builder.finish("tool_calls"));
  if (request.include_usage) {
    events.push_back(builder.usage({request.prompt_tokens, fragments_sent + 2 * calls.size()}));
  }
  events.emplace_back(kDone);
  return events;
}

}  // namespace

ChatRequest read_chat_request(const json::object& body) {
  ChatRequest request;
  if (const auto* model = body.if_contains("model"); model && model->is_string()) {
    request.model = std::string(model->get_string());
  }
  if (const auto* stream = body.if_contains("stream"); stream && stream->is_bool()) {
    request.stream = stream->get_bool();
  }
  if (const auto* so = body.if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->get_object().if_contains("include_usage"); iu && iu->is_bool()) {
      request.include_usage = iu->get_bool();
    }
  }
  if (const auto* tools = body.if_contains("tools"); tools && tools->is_array()) {
    for (const auto& tool : tools->get_array()) {
      const auto* fn = tool.is_object() ? tool.get_object().if_contains("function") : nullptr;
      const auto* name = fn && fn->is_object() ? fn->get_object().if_contains("name") : nullptr;
      if (name && name->is_string()) request.tool_names.emplace_back(name->get_string());
    }
  }
  request.prompt_tokens = estimate_prompt_tokens(body);
  return request;
}

std::optional<std::string> parse_mock_options(const json::object& body, MockOptions& out) {
  const auto* mock = body.if_contains("mock");
  if (mock == nullptr || mock->is_null()) return std::nullopt;
  if (!mock->is_object()) return "mock must be a JSON object";
  for (const auto& member : mock->get_object()) {
    const std::string_view key(member.key().data(), member.key().size());
    const auto& value = member.value();
    const auto string_value = [&]() -> std::optional<std::string> {
      if (!value.is_string()) return std::nullopt;
      return std::string(value.get_string());
    };
    const auto millis = [&](std::chrono::milliseconds& target) -> std::optional<std::string> {
      const auto n = as_count(value, kMaxMillis);
      if (!n) return key_error(key, "a number of milliseconds (0 to 86400000)");
      target = std::chrono::milliseconds(*n);
      return std::nullopt;
    };
    if (key == "scenario") {
      const auto name = string_value();
      auto it = std::find_if(kScenarios.begin(), kScenarios.end(),
                             [&](const auto& entry) { return name && entry.first == *name; });
      if (it == kScenarios.end()) return "mock.scenario: unknown scenario " + json::serialize(value);
      out.scenario = it->second;
    } else if (key == "chunks") {
      const auto n = as_count(value, kMaxChunks);
      if (!n) return key_error(key, "an integer from 0 to 1000000");
      out.chunks = static_cast<std::size_t>(*n);
    } else if (key == "text") {
      if (!(out.text = string_value())) return key_error(key, "a string");
    } else if (key == "first_byte_ms") {
      if (auto error = millis(out.first_byte)) return error;
    } else if (key == "interval_ms") {
      if (auto error = millis(out.interval)) return error;
    } else if (key == "drop_after") {
      const auto n = as_count(value, kMaxChunks);
      if (!n) return key_error(key, "a non-negative integer");
      out.drop_after = static_cast<std::size_t>(*n);
    } else if (key == "status") {
      const auto n = as_count(value, 599);
      if (!n || *n < 100) return key_error(key, "an HTTP status from 100 to 599");
      out.status = static_cast<unsigned>(*n);
    } else if (key == "retry_after") {
      const auto n = as_count(value, 86400);
      if (!n) return key_error(key, "a number of seconds (0 to 86400)");
      out.retry_after = static_cast<unsigned>(*n);
    } else if (key == "stall_at") {
      const auto where = string_value();
      if (where == "headers") {
        out.stall_at = StallAt::headers;
      } else if (where == "first_byte") {
        out.stall_at = StallAt::first_byte;
      } else if (where == "mid_stream") {
        out.stall_mid_stream = true;
      } else {
        return key_error(key, "\"headers\", \"first_byte\" or \"mid_stream\"");
      }
    } else if (key == "drop_mode") {
      const auto mode = string_value();
      if (mode != "close" && mode != "reset") return key_error(key, "\"close\" or \"reset\"");
      out.drop_reset = mode == "reset";
    } else if (key == "file") {
      const auto file = string_value();
      if (!file) return key_error(key, "a string");
      out.file = *file;
    } else if (key == "tool_name") {
      if (!(out.tool_name = string_value())) return key_error(key, "a string");
    } else if (key == "arguments") {
      if (!(out.arguments = string_value())) return key_error(key, "a string");
    } else if (key == "interleave") {
      if (!value.is_bool()) return key_error(key, "a boolean");
      out.interleave = value.get_bool();
    } else if (key == "message") {
      if (!(out.message = string_value())) return key_error(key, "a string");
    } else {
      return "mock: unknown key \"" + std::string(key) + "\"";
    }
  }
  if (out.scenario == Scenario::replay && out.file.empty()) {
    return "mock.file is required by the replay scenario";
  }
  return std::nullopt;
}

ResponsePlan build_plan(const ChatRequest& request, const MockOptions& options) {
  ResponsePlan plan;
  plan.first_byte_delay = options.first_byte;
  plan.interval = options.interval;
  plan.headers.push_back({"x-request-id", new_request_id()});

  if (options.scenario == Scenario::error) {
    plan.status = options.status.value_or(500);
    auto error = error_for_status(plan.status, request.model, request.api_key, options.retry_after);
    if (options.message) error.message = *options.message;
    plan.pieces.push_back(error_body(error, plan.status == 401 ? 4 : 2));  // as the recordings
    if (options.retry_after) plan.headers.push_back({"retry-after", std::to_string(*options.retry_after)});
    return plan;
  }

  const auto id = new_completion_id();
  const auto created = unix_now();
  const bool tools = options.scenario == Scenario::tool_call || options.scenario == Scenario::tool_calls_parallel;
  const auto calls = tools ? tool_calls_for(request, options, options.scenario == Scenario::tool_call ? 1 : 2)
                           : std::vector<ToolCall>{};
  if (request.stream) {
    plan.chunked = true;
    plan.content_type = "text/event-stream; charset=utf-8";
    std::size_t fragments = 0;
    plan.pieces = tools ? tool_events(request, options, calls, id, created, fragments)
                        : text_events(request, options, id, created);
  } else {
    std::string body;
    if (tools) {
      std::size_t fragments = 0;
      for (const auto& call : calls) fragments += split_text(call.arguments, options.chunks).size();
      body = completion_body(id, created, request.model, std::nullopt, calls, "tool_calls",
                             {request.prompt_tokens, fragments + 2 * calls.size()});
    } else {
      const auto pieces = split_text(reply_text(options), options.chunks);
      std::string content;
      for (const auto& piece : pieces) content += piece;
      body = completion_body(id, created, request.model, content, {}, "stop",
                             {request.prompt_tokens, std::max<std::size_t>(1, pieces.size())});
    }
    // bad_json: a complete HTTP response whose JSON body is cut in the middle.
    if (options.scenario == Scenario::bad_json) body.resize(body.size() / 2);
    // A cut or stalled JSON body stops halfway through.
    if (options.scenario == Scenario::drop || (options.scenario == Scenario::stall && options.stall_mid_stream)) {
      const auto half = body.size() / 2;
      plan.pieces = {body.substr(0, half), body.substr(half)};
    } else {
      plan.pieces = {std::move(body)};
    }
  }

  const std::size_t cut = request.stream ? options.drop_after.value_or(kDefaultDropAfter) : 1;
  if (options.scenario == Scenario::drop) {
    plan.end = options.drop_reset ? PlanEnd::reset : PlanEnd::close;
    plan.cut_after = cut;
  } else if (options.scenario == Scenario::stall) {
    if (options.stall_mid_stream) {
      plan.end = PlanEnd::stall;
      plan.cut_after = cut;
    } else {
      plan.stall_at = options.stall_at;
    }
  }
  return plan;
}

}  // namespace mock_upstream::openai
