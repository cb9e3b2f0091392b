// The assembled reply of one exchange, for the message log. A sink fills it only when one is attached
// (the message log is on). Events the provider builds are appended as they come; bytes relayed from an
// OpenAI-compatible upstream are kept raw and parsed later, on the message-log writer thread, so the io
// thread pays one copy and no JSON parsing.
#pragma once
#include <map>
#include <string>
#include <string_view>

#include "core/events.hpp"

namespace sb::core {

struct CapturedToolCall {
  std::string id, name, arguments;
};

struct ReplyCapture {
  static constexpr std::size_t kMaxBytes = 8 * 1024 * 1024;  // past this the capture is marked truncated

  std::string text;
  std::map<int, CapturedToolCall> tool_calls;  // by index
  std::string relayed_events;                  // raw SSE events of a relayed stream, concatenated
  std::string relayed_body;                    // a relayed non-stream response body
  bool truncated = false;

  void add_text(std::string_view delta) {
    if (fits(delta.size())) text.append(delta);
  }
  void add_tool_call(const ToolCallDelta& d) {
    if (!fits(d.arguments.size() + 64)) return;
    auto& call = tool_calls[d.index];
    if (d.id) call.id = *d.id;
    if (d.name) call.name = *d.name;
    call.arguments += d.arguments;
  }
  void add_relayed_event(std::string_view raw) {
    if (fits(raw.size())) relayed_events.append(raw);
  }
  void set_relayed_body(std::string_view body) {
    if (fits(body.size())) relayed_body.assign(body);
  }
  // Forgets everything (e.g. before a retry whose attempt replaces the previous one).
  void clear() { *this = ReplyCapture{}; }

 private:
  bool fits(std::size_t more) {
    if (bytes_ + more > kMaxBytes) {
      truncated = true;
      return false;
    }
    bytes_ += more;
    return true;
  }
  std::size_t bytes_ = 0;
};

}  // namespace sb::core
