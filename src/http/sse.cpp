#include "http/sse.hpp"

#include <algorithm>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sb::http {
namespace {

// The first CR or LF in [p, end), or end: sixteen bytes at a time where SSE2 is there (every x86-64), which is
// what an event's bytes mostly are (one data line of a few hundred bytes).
const char* find_eol(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int hits = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
    if (hits != 0) return p + __builtin_ctz(static_cast<unsigned>(hits));
    p += 16;
  }
#endif
  while (p < end && *p != '\n' && *p != '\r') ++p;
  return p;
}

}  // namespace

void SseParser::push(std::string_view bytes) {
  if (pos_ != 0 || borrowed_) keep_tail();  // next() has not returned false since the last push: keep what is left
  if (tail_.empty()) {
    view_ = bytes;  // the common case: events start at a read boundary, nothing is copied
    borrowed_ = true;
    scan_ = 0;
    return;
  }
  tail_.append(bytes);  // scan_ stays: where the search in tail_ resumes
  view_ = tail_;
}

bool SseParser::next(SseEvent& ev) {
  const std::size_t end = find_event_end();
  if (end == std::string_view::npos) {
    keep_tail();
    return false;
  }
  parse_event(view_.substr(pos_, end - pos_), ev);
  pos_ = end;
  scan_ = end;
  return true;
}

// Moves the bytes not taken yet into tail_ (owned), so that view_ is tail_ from its start.
void SseParser::keep_tail() {
  if (borrowed_) {
    tail_.assign(view_.data() + pos_, view_.size() - pos_);
  } else {
    tail_.erase(0, pos_);
  }
  scan_ = scan_ > pos_ ? scan_ - pos_ : 0;
  pos_ = 0;
  borrowed_ = false;
  view_ = tail_;
}

// Position just past the blank line that ends the event starting at pos_, or npos (then scan_ is where to resume:
// a few bytes back, as a line ending may be split across reads).
std::size_t SseParser::find_event_end() {
  const std::size_t n = view_.size();
  const char* s = view_.data();
  std::size_t i = std::max(pos_, scan_);
  while (i < n) {
    i = static_cast<std::size_t>(find_eol(s + i, s + n) - s);
    if (i >= n) break;
    const char c = s[i];
    // A line ends at i; the event ends if the next line is empty.
    std::size_t next = i + 1;
    if (c == '\r') {
      if (next >= n) break;  // need to see whether '\n' follows
      if (s[next] == '\n') ++next;
    }
    if (next >= n) break;
    if (s[next] == '\n') return next + 1;
    if (s[next] == '\r') {
      if (next + 1 >= n) break;
      return s[next + 1] == '\n' ? next + 2 : next + 1;
    }
    i = next;
  }
  scan_ = std::max(pos_, n >= 3 ? n - 3 : 0);
  return std::string_view::npos;
}

void SseParser::parse_event(std::string_view raw, SseEvent& ev) {
  ev.raw = raw;
  ev.event = {};
  ev.data = {};
  ev.has_data = false;
  bool joined = false;  // more than one data line: the value lives in data_
  std::size_t pos = 0;
  const std::size_t n = raw.size();
  while (pos < n) {
    const auto eol = static_cast<std::size_t>(find_eol(raw.data() + pos, raw.data() + n) - raw.data());
    const std::string_view line = raw.substr(pos, eol - pos);
    pos = eol + ((eol + 1 < n && raw[eol] == '\r' && raw[eol + 1] == '\n') ? 2 : 1);
    if (line.empty() || line.front() == ':') continue;
    const std::size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (!ev.has_data) {
        ev.data = value;
      } else {
        if (!joined) data_.assign(ev.data);
        joined = true;
        data_.push_back('\n');
        data_.append(value);
        ev.data = data_;
      }
      ev.has_data = true;
    } else if (field == "event") {
      ev.event = value;
    }
  }
}

}  // namespace sb::http
