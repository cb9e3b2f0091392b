#include "loadgen_http.hpp"

#include <charconv>

namespace sb::bench {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool ResponseReader::parse_head(std::string_view h) {
  // Status line: HTTP/1.x SP 3DIGIT SP reason
  const std::size_t eol = h.find("\r\n");
  const std::string_view status_line = h.substr(0, eol);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) return false;
  const bool http10 = status_line[7] == '0';
  int status = 0;
  const auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (ec != std::errc() || p != status_line.data() + 12) return false;
  head_ = {};
  head_.status = status;
  head_.close = http10;
  std::size_t pos = eol == std::string_view::npos ? h.size() : eol + 2;
  while (pos < h.size()) {
    std::size_t end = h.find("\r\n", pos);
    if (end == std::string_view::npos) end = h.size();
    const std::string_view line = h.substr(pos, end - pos);
    pos = end + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::uint64_t n = 0;
      const auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (e != std::errc() || q != value.data() + value.size()) return false;
      head_.has_length = true;
      head_.content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      head_.chunked = icontains(value, "chunked");
    } else if (iequals(name, "content-type")) {
      head_.event_stream = icontains(value, "text/event-stream");
    } else if (iequals(name, "connection")) {
      if (icontains(value, "close")) head_.close = true;
      if (icontains(value, "keep-alive")) head_.close = false;
    }
  }
  return true;
}

void ResponseReader::end_line() {
  std::string_view line = line_;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  switch (state_) {
    case State::chunk_size: {
      const std::size_t semi = line.find(';');  // chunk extensions are ignored
      const std::string_view hex = trim(line.substr(0, semi));
      std::uint64_t n = 0;
      const auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), n, 16);
      if (hex.empty() || ec != std::errc() || p != hex.data() + hex.size()) {
        state_ = State::error;
        return;
      }
      remaining_ = n;
      if (n) ++chunks_;
      state_ = n ? State::chunk_data : State::trailers;
      return;
    }
    case State::chunk_crlf:
      state_ = line.empty() ? State::chunk_size : State::error;
      return;
    case State::trailers:
      if (line.empty()) state_ = State::done;  // else: a trailer field, ignored
      return;
    default:
      state_ = State::error;
  }
}

EventKind classify_event(std::string_view ev) {
  // Skip leading comment lines; an event made only of comments is a comment (e.g. `: keep-alive`).
  std::size_t pos = 0;
  bool any_field = false;
  std::string_view data;
  while (pos < ev.size()) {
    std::size_t eol = ev.find('\n', pos);
    if (eol == std::string_view::npos) eol = ev.size();
    std::string_view line = ev.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == ':') continue;
    any_field = true;
    if (line.starts_with("data:") && data.empty()) {
      data = line.substr(5);
      if (!data.empty() && data.front() == ' ') data.remove_prefix(1);
    }
  }
  if (!any_field) return EventKind::comment;
  if (data == "[DONE]") return EventKind::done;
  // Same cheap test the proxy uses for its time-to-first-token: a non-empty content string, or tool calls.
  const std::size_t c = data.find("\"content\":\"");
  if ((c != std::string_view::npos && c + 11 < data.size() && data[c + 11] != '"') ||
      data.find("\"tool_calls\"") != std::string_view::npos)
    return EventKind::content;
  return EventKind::data;
}

}  // namespace sb::bench
