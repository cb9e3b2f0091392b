// Incremental Server-Sent Events parser: bytes in (split anywhere), whole events out.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace sb::http {

struct SseEvent {
  std::string_view raw;    // the event's bytes exactly as received, including its terminating blank line
  std::string_view event;  // the `event:` field, empty if none
  std::string data;        // the `data:` lines joined by '\n' (one leading space stripped from each)
  bool has_data = false;   // false for comment-only events (e.g. `: keep-alive`)
};

class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes = 8 * 1024 * 1024) : max_event_(max_event_bytes) {}

  // Feeds bytes; calls `on_event(const SseEvent&)` for each complete event. Returns false when an event
  // grows past the size limit (the stream should be treated as broken).
  template <class F>
  bool feed(std::string_view bytes, F&& on_event) {
    buf_.append(bytes);
    std::size_t start = 0;
    for (;;) {
      const std::size_t end = find_event_end(start);
      if (end == std::string::npos) break;
      SseEvent ev = parse_event(std::string_view(buf_).substr(start, end - start));
      on_event(static_cast<const SseEvent&>(ev));
      start = end;
    }
    buf_.erase(0, start);
    scan_from_ = buf_.size() > 3 ? buf_.size() - 3 : 0;
    return buf_.size() <= max_event_;
  }

  // Bytes of an incomplete event still buffered (non-zero at end of stream means a truncated event).
  [[nodiscard]] std::size_t pending() const { return buf_.size(); }

 private:
  std::size_t find_event_end(std::size_t from);
  static SseEvent parse_event(std::string_view raw);

  std::string buf_;
  std::size_t scan_from_ = 0;
  std::size_t max_event_;
};

}  // namespace sb::http
