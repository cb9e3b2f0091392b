// Incremental Server-Sent Events parser: bytes in (split anywhere), whole events out, without copying the bytes
// of complete events (only an incomplete tail is kept between reads).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace sb::http {

struct SseEvent {
  std::string_view raw;    // the event's bytes exactly as received, including its terminating blank line
  std::string_view event;  // the `event:` field, empty if none
  std::string_view data;   // the `data:` lines joined by '\n' (one leading space stripped from each)
  bool has_data = false;   // false for comment-only events (e.g. `: keep-alive`)
};

class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes = 8 * 1024 * 1024) : max_event_(max_event_bytes) {}

  // Hands over the next bytes of the stream. They are borrowed: keep them unchanged until next() has returned
  // false (it copies an incomplete tail then). Call push() only after next() returned false.
  void push(std::string_view bytes);
  // Takes the next complete event. Its views stay valid until the next call to next() or push(). Returns false
  // when no complete event is left.
  bool next(SseEvent& ev);
  // After next() returned false: the incomplete event left over is past the size limit (a broken stream).
  [[nodiscard]] bool oversized() const { return pending() > max_event_; }
  // Bytes of an incomplete event still buffered (non-zero at end of stream means a truncated event).
  [[nodiscard]] std::size_t pending() const { return view_.size() - pos_; }

  // push() + next() until none is left: calls `on_event(const SseEvent&)` for each complete event. Returns false
  // when an event grows past the size limit.
  template <class F>
  bool feed(std::string_view bytes, F&& on_event) {
    push(bytes);
    SseEvent ev;
    while (next(ev)) on_event(static_cast<const SseEvent&>(ev));
    return !oversized();
  }

 private:
  std::size_t find_event_end();
  void keep_tail();
  void parse_event(std::string_view raw, SseEvent& ev);

  std::string tail_;        // an incomplete event carried over from earlier bytes (new bytes are appended to it)
  std::string data_;        // the joined value of a multi-line `data:` field
  std::string_view view_;   // the bytes being parsed: the pushed bytes themselves, or tail_
  std::size_t pos_ = 0;     // start of the first event not yet taken
  std::size_t scan_ = 0;    // where the search for the end of the event at pos_ resumes
  bool borrowed_ = false;   // view_ is the caller's bytes, not tail_
  std::size_t max_event_;
};

}  // namespace sb::http
