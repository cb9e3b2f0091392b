#include "http/sse.hpp"

namespace sb::http {

// Position just past the blank line that ends the event starting at `from`, or npos.
std::size_t SseParser::find_event_end(std::size_t from) {
  std::size_t i = std::max(from, from == 0 ? scan_from_ : from);
  scan_from_ = 0;
  const std::size_t n = buf_.size();
  for (; i < n; ++i) {
    const char c = buf_[i];
    if (c != '\n' && c != '\r') continue;
    // A line ends at i; the event ends if the next line is empty.
    std::size_t next = i + 1;
    if (c == '\r') {
      if (next >= n) return std::string::npos;  // need to see whether '\n' follows
      if (buf_[next] == '\n') ++next;
    }
    if (next >= n) return std::string::npos;
    if (buf_[next] == '\n') return next + 1;
    if (buf_[next] == '\r') {
      if (next + 1 >= n) return std::string::npos;
      return buf_[next + 1] == '\n' ? next + 2 : next + 1;
    }
    i = next - 1;
  }
  return std::string::npos;
}

SseEvent SseParser::parse_event(std::string_view raw) {
  SseEvent ev;
  ev.raw = raw;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t eol = raw.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) eol = raw.size();
    const std::string_view line = raw.substr(pos, eol - pos);
    pos = eol + ((eol + 1 < raw.size() && raw[eol] == '\r' && raw[eol + 1] == '\n') ? 2 : 1);
    if (line.empty() || line.front() == ':') continue;
    const std::size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (ev.has_data) ev.data.push_back('\n');
      ev.data.append(value);
      ev.has_data = true;
    } else if (field == "event") {
      ev.event = value;
    }
  }
  return ev;
}

}  // namespace sb::http
