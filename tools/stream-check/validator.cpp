#include "validator.hpp"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "http/sse.hpp"
#include "validator_detail.hpp"

namespace sb::check {

namespace json = boost::json;

using namespace detail;  // NOLINT(google-build-using-namespace): this file's own helpers

std::string describe(const Violation& v) {
  return v.count > 1 ? v.message + " (+" + std::to_string(v.count - 1) + " more)" : v.message;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::optional<double> StreamStats::chars_per_second() const {
  if (!ttft_ms || !last_content_ms || *last_content_ms <= *ttft_ms) return std::nullopt;
  return static_cast<double>(content_chars) * 1000.0 / (*last_content_ms - *ttft_ms);
}

bool ValidationResult::has(std::string_view code) const {
  for (const auto& v : violations)
    if (v.code == code) return true;
  return false;
}

StreamValidator::StreamValidator(ValidatorOptions options) : options_(options) {}

void StreamValidator::add(std::string code, std::string subject, std::string message) {
  for (auto& v : violations_) {
    if (v.code == code && v.subject == subject) {
      ++v.count;
      return;
    }
  }
  violations_.push_back(Violation{std::move(code), std::move(message), event_, 1, std::move(subject)});
}

void StreamValidator::on_event(std::string_view event_name, std::string_view data, bool has_data, double t_ms) {
  if (!has_data) {
    if (event_name.empty()) {
      ++stats_.keepalives;  // a comment such as ": keep-alive" — allowed by SPEC §3
    } else {
      add("named-event", "", "an event has an `event: " + std::string(event_name) + "` line and no data");
    }
    return;
  }
  ++event_;
  ++stats_.events;
  if (!event_name.empty())
    add("named-event", "",
        "event " + std::to_string(event_) + " has an `event: " + std::string(event_name) +
            "` line (OpenAI sends none)");
  if (shape_.done) {
    add("data-after-done", "", "data after [DONE]" + at(event_));
    return;
  }
  if (shape_.error_event) {
    add("data-after-error", "", "data after the error event" + at(event_));
    return;
  }
  if (data == "[DONE]") {
    shape_.done = true;
    return;
  }
  boost::system::error_code ec;
  json::value v = json::parse(data, ec);
  if (ec) {
    add("invalid-json", "", "event " + std::to_string(event_) + " is not valid JSON: " + ec.message());
    return;
  }
  const auto* obj = v.if_object();
  if (!obj) {
    add("not-an-object", "", "event " + std::to_string(event_) + " is not a JSON object");
    return;
  }
  if (const json::value* err = obj->if_contains("error")) {
    shape_.error_event = true;
    const json::string* msg = err->is_object() ? string_field(err->get_object(), "message") : nullptr;
    shape_.error_message = msg ? std::string(*msg) : shown(*err);
    add("error-event", "", "stream ended with an error event: " + shape_.error_message + at(event_));
    return;
  }
  on_chunk(*obj, t_ms);
}

void StreamValidator::check_constant(const json::object& chunk) {
  const json::string* id = string_field(chunk, "id");
  if (!id || id->empty()) {
    add("missing-id", "", "chunk has no id" + at(event_));
  } else if (!id_) {
    id_ = std::string(*id);
  } else if (*id_ != *id) {
    add("id-changed", "", "id changed mid-stream: \"" + *id_ + "\" then \"" + std::string(*id) + "\"" + at(event_));
  }
  const auto created = integer(chunk.if_contains("created"));
  if (!created) {
    add("missing-created", "", "chunk has no integer created" + at(event_));
  } else if (!created_) {
    created_ = created;
  } else if (*created_ != *created) {
    add("created-changed", "", "created changed mid-stream" + at(event_));
  }
  const json::string* model = string_field(chunk, "model");
  if (!model || model->empty()) {
    add("missing-model", "", "chunk has no model" + at(event_));
  } else if (!model_) {
    model_ = std::string(*model);
  } else if (*model_ != *model) {
    add("model-changed", "",
        "model changed mid-stream: \"" + *model_ + "\" then \"" + std::string(*model) + "\"" + at(event_));
  }
}

void StreamValidator::on_chunk(const json::object& chunk, double t_ms) {
  ++stats_.chunks;
  for (const auto& kv : chunk) shape_.chunk_fields.emplace(kv.key());
  const json::string* object = string_field(chunk, "object");
  if (!object || *object != "chat.completion.chunk") {
    const json::value* o = chunk.if_contains("object");
    add("wrong-object", "",
        "object is " + (o ? shown(*o) : std::string("missing")) + ", expected \"chat.completion.chunk\"" + at(event_));
  }
  check_constant(chunk);

  if (usage_seen_) add("chunk-after-usage", "", "chunk after the usage chunk" + at(event_));
  const json::value* usage = chunk.if_contains("usage");
  const json::value* choices_v = chunk.if_contains("choices");
  const json::array* choices = choices_v ? choices_v->if_array() : nullptr;
  if (!choices) {
    add("missing-choices", "", "chunk has no choices array" + at(event_));
    return;
  }
  if (choices->empty()) {
    if (usage && usage->is_object()) {
      on_usage_chunk(*usage);
    } else {
      add("empty-choices", "", "chunk has empty choices and no usage" + at(event_));
    }
    return;
  }
  if (usage && !usage->is_null()) {
    add("usage-not-null", "", "usage is not null on a chunk with choices" + at(event_));
  } else if (!usage && options_.include_usage) {
    add("usage-null-missing", "", "chunk lacks \"usage\":null though include_usage was requested" + at(event_));
  }
  bool content = false;
  for (const auto& c : *choices) content = on_choice(c) || content;
  if (content) {
    ++stats_.content_chunks;
    if (!stats_.ttft_ms) {
      stats_.ttft_ms = t_ms;
    } else {
      stats_.gaps_ms.push_back(t_ms - *stats_.last_content_ms);
    }
    stats_.last_content_ms = t_ms;
  }
}

void StreamValidator::on_usage_chunk(const json::value& usage_v) {
  if (!options_.include_usage)
    add("usage-unrequested", "", "usage chunk although include_usage was not requested" + at(event_));
  if (usage_seen_) {
    add("duplicate-usage", "", "more than one usage chunk" + at(event_));
    return;
  }
  usage_seen_ = true;
  shape_.has_usage = true;
  for (const auto& [index, c] : choices_) {
    if (!c.finished) {
      add("usage-before-finish", "", "usage chunk before the finish chunk" + choice_label(index) + at(event_));
      break;
    }
  }
  const auto& usage = usage_v.get_object();
  std::int64_t* targets[] = {&shape_.prompt_tokens, &shape_.completion_tokens, &shape_.total_tokens};
  const char* names[] = {"prompt_tokens", "completion_tokens", "total_tokens"};
  for (int i = 0; i < 3; ++i) {
    const auto n = integer(usage.if_contains(names[i]));
    if (n) {
      *targets[i] = *n;
    } else {
      add("usage-fields", names[i], std::string("usage has no integer ") + names[i] + at(event_));
    }
  }
}

void StreamValidator::end_checks() {
  if (stats_.events == 0) {
    add("empty-stream", "", "stream has no data events");
  } else if (choices_.empty()) {
    add("no-choices", "", "no chunk carried a choice");
  }
  for (const auto& [index, c] : choices_) {
    if (!c.finished) add("no-finish", std::to_string(index), "no finish_reason chunk" + choice_label(index));
    if (c.finish_reason == "tool_calls" && c.tools.empty())
      add("tool-calls-finish-mismatch", std::to_string(index),
          "finish_reason tool_calls but no tool calls" + choice_label(index));
    for (const auto& [ti, t] : c.tools) {
      boost::system::error_code ec;
      (void)json::parse(t.arguments, ec);
      if (ec)
        add("tool-call-arguments-json", std::to_string(index) + "/" + std::to_string(ti),
            "arguments of tool call " + std::to_string(ti) + choice_label(index) +
                " are not valid JSON: " + (t.arguments.size() > 60 ? t.arguments.substr(0, 57) + "..." : t.arguments));
    }
  }
  if (options_.include_usage && !usage_seen_ && stats_.events > 0)
    add("no-usage-chunk", "", "no usage chunk (stream_options.include_usage was requested)");
  if (!shape_.done) add("missing-done", "", "missing [DONE]");
}

ValidationResult StreamValidator::finish(double end_ms, bool truncated) {
  event_ = 0;  // end-of-stream faults belong to no event
  if (truncated) add("truncated-event", "", "stream ended in the middle of an event");
  // After an error event the stream is over by design: the missing finish, usage and [DONE] are its consequence.
  if (!shape_.error_event) end_checks();

  ValidationResult r;
  r.violations = violations_;
  r.stats = stats_;
  r.stats.end_ms = end_ms;
  r.shape = shape_;
  r.shape.id = id_.value_or("");
  r.shape.model = model_.value_or("");
  for (const auto& [index, c] : choices_) {
    ChoiceShape cs;
    cs.index = index;
    cs.role = c.role;
    cs.finish_reason = c.finish_reason;
    cs.text = c.text;
    cs.refusal = c.refusal;
    for (int ti : c.tool_order) {
      const auto& t = c.tools.at(ti);
      cs.tool_calls.push_back(ToolCallShape{ti, t.id, t.name, t.arguments});
    }
    r.shape.choices.push_back(std::move(cs));
  }
  return r;
}

ValidationResult validate_sse_body(std::string_view body, ValidatorOptions options) {
  StreamValidator validator(options);
  http::SseParser parser;
  parser.feed(body, [&](const http::SseEvent& ev) { validator.on_event(ev.event, ev.data, ev.has_data); });
  return validator.finish(0, parser.pending() > 0);
}

std::optional<Violation> check_content_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower(media);
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "text/event-stream") return std::nullopt;
  return Violation{"content-type", "Content-Type is \"" + std::string(content_type) + "\", expected text/event-stream",
                   0, 1, ""};
}

}  // namespace sb::check
