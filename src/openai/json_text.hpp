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
  std::vector<std::uint32_t> keys_;  // where its top-level keys start, in order (see above)
};

namespace detail {

// What the fast check makes of a text: a JSON object or not, or `unsure` (rare constructs whose answer is left to
// the reference: see json_scan.cpp).
enum class Scan { ok, bad, unsure };

// The fast check behind is_json_object and EventChecker: the reference's answer, facts and resume points (with
// `keys`: where the top-level keys start, up to the first key that gives a fact), or `unsure`. With `from` > 0 it
// starts there, at a top-level key's opening quote, taking text[0, from) as a proven object start followed by whole
// members and commas (as EventChecker's "{" + the rest). The facts are given only on `ok`; `keys` may have grown
// when it is not `ok`.
[[nodiscard]] Scan scan_json_object(std::string_view text, std::size_t max_depth, core::BodyFacts* facts,
                                    std::vector<std::uint32_t>* keys = nullptr, std::size_t from = 0);

// The reference: Boost.JSON's basic_parser with a handler reading the facts. Its answers are the ones the fast
// check must give; it decides where the fast check is unsure. Exposed for the differential tests.
[[nodiscard]] bool reference_is_json_object(std::string_view text, std::size_t max_depth, core::BodyFacts* facts);

}  // namespace detail

}  // namespace sb::openai
