// InvokeAgent event stream → the proxy's events, pure: decoded event-stream messages in, text deltas, tool
// calls, finish and failures out. No I/O, no clock: the transport feeds it and forwards what it returns.
//
// - `chunk`: base64 UTF-8 bytes, one text delta per chunk, never altered. A multi-byte character cut between
//   two chunks is held back until it is complete. When the client streams, the first chunk goes out as
//   word-sized deltas (see AgentStreamMapper): an answer that arrives in one piece still streams word by word.
// - `trace`: reported as TraceEvent (kind only, never content) for logging and counting.
// - `returnControl`: one tool call per invocation input, arguments typed by the parameters' `type`;
//   the stream then finishes with "tool_calls".
// - exception / error messages: one FailEvent (SPEC §5), after which the mapper ignores everything.
#pragma once
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "aws/eventstream.hpp"
#include "core/api_error.hpp"
#include "core/events.hpp"

namespace sb::providers::bedrock {

struct TextEvent {
  std::string text;
};
struct ToolCallEvent {
  core::ToolCallDelta delta;
};
struct FinishEvent {
  std::string reason;
};
struct FailEvent {
  core::ApiError error;
};
struct TraceEvent {
  std::string kind;  // e.g. "orchestrationTrace", "guardrailTrace"
};
using AgentEvent = std::variant<TextEvent, ToolCallEvent, FinishEvent, FailEvent, TraceEvent>;

struct StreamMapperOptions {
  std::string session_id;          // goes into the tool-call ids
  bool split_first_chunk = false;  // the client streams: the first chunk goes out word by word
  std::string provider = "bedrock";
  std::vector<std::string> secrets;
};

class AgentStreamMapper {
 public:
  explicit AgentStreamMapper(StreamMapperOptions options);

  // One decoded message; appends what it means to `out`.
  void on_message(const aws::eventstream::Message& message, std::vector<AgentEvent>& out);
  // The body ended cleanly: flushes held bytes and finishes ("tool_calls" or "stop").
  void on_end(std::vector<AgentEvent>& out);

  [[nodiscard]] bool failed() const { return failed_; }
  [[nodiscard]] std::size_t chunks() const { return chunks_; }
  [[nodiscard]] std::size_t traces() const { return traces_; }
  [[nodiscard]] std::size_t tool_calls() const { return tool_calls_; }

 private:
  void on_chunk(std::string_view payload, std::vector<AgentEvent>& out);
  void on_return_control(std::string_view payload, std::vector<AgentEvent>& out);
  void fail(core::ApiError error, std::vector<AgentEvent>& out);

  StreamMapperOptions options_;
  std::string pending_;  // the start of a UTF-8 character cut by a chunk boundary
  bool failed_ = false;
  bool finished_ = false;
  std::size_t chunks_ = 0, traces_ = 0, tool_calls_ = 0;
};

// Word-sized pieces whose concatenation is exactly `text`: leading whitespace belongs to the word after it.
std::vector<std::string_view> split_words(std::string_view text);

// Length of the longest prefix of `bytes` that does not end inside a multi-byte UTF-8 sequence. Invalid bytes
// count as complete (they are passed on, never dropped).
std::size_t complete_utf8_prefix(std::string_view bytes);

// returnControl `parameters` ([{name,type,value}], values always strings) → JSON object typed by `type`
// (number, integer, boolean, array; anything else, or a value that does not parse, stays a string).
boost::json::object typed_arguments(const boost::json::array& parameters);

}  // namespace sb::providers::bedrock
