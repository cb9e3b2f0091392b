// Hand-rolled JSON text building for the hot path (chunk encoding) without a DOM.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.hpp"

namespace sb::openai {

// Appends `s` as a quoted JSON string (RFC 8259 escaping; bytes >= 0x80 pass through as UTF-8).
void append_json_string(std::string& out, std::string_view s);

// True when `text` is one well-formed JSON object (RFC 8259, valid UTF-8, nesting within `max_depth`). A
// validating pass without a DOM and without allocating: used on every relayed upstream event. With `facts`, the
// same pass also reads the first non-null string `finish_reason` (at any depth) and the integer token counts of
// the top-level `usage` object (members of objects nested in it are not taken).
[[nodiscard]] bool is_json_object(std::string_view text, std::size_t max_depth = 64,
                                  core::BodyFacts* facts = nullptr);

// is_json_object(text, max_depth, &facts) for the events of one stream, in order, reusing what the last event
// proved: a stream's events repeat their first members (id, object, created, model, system_fingerprint), so where
// an event starts with the same bytes as the last one up to the opening quote of one of that event's top-level
// keys, only the rest is parsed: "{" + the rest is a JSON object exactly when the whole event is, its start being
// proven already. Only keys before the first that gives a fact (`finish_reason`, a top-level `usage`) are places to
// start from, so the facts are read as is_json_object reads them. Same answers as is_json_object, event by event.
class EventChecker {
 public:
  explicit EventChecker(std::size_t max_depth = 64) : max_depth_(max_depth) {}
  [[nodiscard]] bool check(std::string_view text, core::BodyFacts& facts);
  // Where the last check started parsing (0: from the start; else the top-level key it resumed at).
  [[nodiscard]] std::size_t resumed_at() const { return resumed_at_; }

  // Events larger than this are checked whole and not kept: a stream holds at most this much for the next event.
  static constexpr std::size_t kMaxKept = 16 * 1024;

 private:
  std::size_t max_depth_;
  std::size_t resumed_at_ = 0;
  std::string last_;                 // the last event that passed
  std::string scratch_;              // "{" + the part of an event parsed
  std::vector<std::uint32_t> keys_;  // where its top-level keys start, in order (see above)
};

}  // namespace sb::openai
