// switchboard-check: the pure part. Validates one chat-completions SSE stream against the OpenAI chunk
// schema and SPEC §3, event by event, and reports named violations, the stream's structure (its "shape")
// and timing statistics. No sockets here: the caller feeds events with their arrival times.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace sb::check {

struct Violation {
  std::string code;     // stable name, e.g. "missing-done", "id-changed"
  std::string message;  // text of the first occurrence, e.g. "id changed mid-stream (event 5)"
  int event = 0;        // 1-based number of the SSE data event where it was first seen; 0 = end of stream
  int count = 1;        // occurrences folded into this one (same code and subject)
  std::string subject;  // what it is about (choice, tool call); part of the folding key
};

// "message", or "message (+N more)" when the same fault repeated.
std::string describe(const Violation& v);

struct ToolCallShape {
  int index = 0;
  std::string id;
  std::string name;
  std::string arguments;  // all fragments concatenated
};

struct ChoiceShape {
  int index = 0;
  std::string role;                       // from the first delta
  std::string finish_reason;              // empty when the stream never finished this choice
  std::string text;                       // all content fragments concatenated
  std::string refusal;                    // all refusal fragments concatenated
  std::vector<ToolCallShape> tool_calls;  // in order of first appearance
};

// The structure of a stream, which proxy and reference must share (text may differ).
struct StreamShape {
  std::vector<ChoiceShape> choices;  // sorted by index
  bool done = false;                 // ended with [DONE]
  bool has_usage = false;            // a usage chunk arrived
  std::int64_t prompt_tokens = 0, completion_tokens = 0, total_tokens = 0;
  bool error_event = false;
  std::string error_message;
  std::string id, model;
  std::set<std::string> chunk_fields;   // top-level keys seen in any chunk
  std::set<std::string> choice_fields;  // keys seen in any choices[] entry
};

struct StreamStats {
  std::size_t events = 0;          // SSE events carrying data, [DONE] included
  std::size_t chunks = 0;          // JSON events
  std::size_t content_chunks = 0;  // chunks carrying text, refusal or tool-call pieces
  std::size_t keepalives = 0;      // comment-only events (": keep-alive")
  std::size_t content_chars = 0;   // code points of text, refusal and tool-call arguments
  std::optional<double> ttft_ms;   // arrival of the first content-bearing chunk
  std::optional<double> last_content_ms;
  double end_ms = 0;            // end of the body
  std::vector<double> gaps_ms;  // between consecutive content-bearing chunks
  // Content characters per second between the first and the last content chunk; nullopt when that span is 0.
  [[nodiscard]] std::optional<double> chars_per_second() const;
};

struct ValidationResult {
  std::vector<Violation> violations;
  StreamShape shape;
  StreamStats stats;
  [[nodiscard]] bool ok() const { return violations.empty(); }
  [[nodiscard]] bool has(std::string_view code) const;
};

struct ValidatorOptions {
  bool include_usage = true;  // the request had stream_options.include_usage:true
};

class StreamValidator {
 public:
  explicit StreamValidator(ValidatorOptions options = {});

  // One SSE event as split by sb::http::SseParser; `t_ms` is its arrival time since the request was sent.
  void on_event(std::string_view event_name, std::string_view data, bool has_data, double t_ms = 0);
  // The body ended at `end_ms`; `truncated` when bytes of an unfinished event were left over.
  ValidationResult finish(double end_ms = 0, bool truncated = false);

 private:
  struct ToolCallState {
    std::string id, name, arguments;
  };
  struct ChoiceState {
    std::string role, finish_reason, text, refusal;
    bool finished = false;
    std::map<int, ToolCallState> tools;
    std::vector<int> tool_order;
  };

  void add(std::string code, std::string subject, std::string message);
  void on_chunk(const boost::json::object& chunk, double t_ms);
  void check_constant(const boost::json::object& chunk);
  void on_usage_chunk(const boost::json::value& usage);
  bool on_choice(const boost::json::value& choice);  // true when it carried content
  void on_tool_fragment(int choice, ChoiceState& state, const boost::json::value& fragment);
  void end_checks();

  ValidatorOptions options_;
  std::vector<Violation> violations_;
  std::map<int, ChoiceState> choices_;
  StreamShape shape_;
  StreamStats stats_;
  int event_ = 0;  // current data event number
  bool usage_seen_ = false;
  std::optional<std::string> id_, model_;
  std::optional<std::int64_t> created_;
};

// Splits a whole SSE body with sb::http::SseParser and validates it (no timings).
ValidationResult validate_sse_body(std::string_view body, ValidatorOptions options = {});

// Checks a response's Content-Type header: text/event-stream, parameters allowed.
std::optional<Violation> check_content_type(std::string_view content_type);

// Number of UTF-8 code points in `s`.
std::size_t utf8_length(std::string_view s);

}  // namespace sb::check
