#include "http/request_parser.hpp"

#include <array>
#include <cstring>
#include <limits>

namespace sb::http {

namespace {

enum : unsigned char { kToken = 1, kTarget = 2, kValue = 4 };

// Byte classes: tchar (RFC 9110 5.6.2), request-target bytes (visible, no space), field-value bytes (visible,
// space, tab, obs-text).
constexpr std::array<unsigned char, 256> kClass = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0x21; c < 0x7f; ++c) t[c] = kTarget | kValue;
  for (int c = 0x80; c < 0x100; ++c) t[c] = kTarget | kValue;
  t[' '] = t['\t'] = kValue;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kToken;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kToken;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kToken;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] |= kToken;
  return t;
}();

bool is(char c, unsigned char cls) { return (kClass[static_cast<unsigned char>(c)] & cls) != 0; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool iequals(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower_b[i]) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each element of a comma-separated list, skipping empty elements (RFC 9110 5.6.1).
template <class F>
void for_each_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto item = trim(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char l = lower(c);
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

}  // namespace

std::string_view RequestHead::header(std::string_view name) const {
  for (const auto& f : fields) {
    const auto n = view(f.name);
    if (n.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < n.size() && same; ++i) same = lower(n[i]) == lower(name[i]);
    if (same) return view(f.value);
  }
  return {};
}

std::size_t find_head_end(std::string_view data, std::size_t& scanned) {
  std::size_t i = scanned;
  while (i < data.size()) {
    const void* hit = std::memchr(data.data() + i, '\n', data.size() - i);
    if (hit == nullptr) break;
    const auto lf = static_cast<std::size_t>(static_cast<const char*>(hit) - data.data());
    if (lf == 0 || data[lf - 1] != '\r') return std::string_view::npos;
    i = lf + 1;
    // "\r\n\r\n": the LF two bytes back was checked for its CR when it was found.
    if (lf >= 3 && data[lf - 2] == '\n') {
      scanned = i;
      return i;
    }
  }
  scanned = data.size();
  return 0;
}

HeadError parse_request_head(std::string_view head, const HeadLimits& limits, RequestHead& out) {
  out.bytes.assign(head);
  const char* const base = out.bytes.data();
  const char* const end = base + out.bytes.size();
  const char* p = base;
  auto span = [base](const char* from, const char* to) {
    return RequestHead::Span{static_cast<std::uint32_t>(from - base), static_cast<std::uint32_t>(to - from)};
  };

  // request-line = method SP request-target SP HTTP-version CRLF
  const char* const m = p;
  while (p < end && is(*p, kToken)) ++p;
  if (p == m || p == end || *p != ' ') return HeadError::malformed;
  out.method = span(m, p);
  const char* const t = ++p;
  while (p < end && is(*p, kTarget)) ++p;
  if (p == t || p == end || *p != ' ') return HeadError::malformed;
  out.target = span(t, p);
  ++p;
  if (end - p < 10 || std::memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != '\r' ||
      p[9] != '\n')
    return HeadError::malformed;
  out.version = p[7] == '1' ? 11 : 10;
  p += 10;
  if (out.target.len > limits.max_url_bytes) return HeadError::url_too_long;

  bool close = false, keep_alive = false, other_coding = false;
  unsigned chunked = 0;
  for (;;) {
    if (end - p < 2) return HeadError::malformed;
    if (*p == '\r') {  // the blank line
      if (p[1] != '\n' || p + 2 != end) return HeadError::malformed;
      break;
    }
    // field-line = field-name ":" OWS field-value OWS CRLF; no space before the colon, no obs-fold
    const char* const n = p;
    while (p < end && is(*p, kToken)) ++p;
    if (p == n || p == end || *p != ':') return HeadError::malformed;
    const auto name = span(n, p);
    ++p;
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    const char* const v = p;
    while (p < end && is(*p, kValue)) ++p;
    if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return HeadError::malformed;
    const char* ve = p;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) --ve;
    p += 2;
    if (out.fields.size() >= limits.max_header_count) return HeadError::too_many_fields;
    out.fields.push_back({name, span(v, ve)});

    const std::string_view nm = out.view(name), value(v, static_cast<std::size_t>(ve - v));
    if (iequals(nm, "content-length")) {
      if (value.empty() || value.size() > 18) return HeadError::malformed;
      std::uint64_t len = 0;
      for (const char c : value) {
        if (c < '0' || c > '9') return HeadError::malformed;
        len = len * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (out.content_length && *out.content_length != len) return HeadError::malformed;
      out.content_length = len;
    } else if (iequals(nm, "transfer-encoding")) {
      for_each_element(value, [&](std::string_view coding) {
        if (iequals(coding, "chunked"))
          ++chunked;
        else
          other_coding = true;
      });
      if (!other_coding && chunked == 0) other_coding = true;  // a Transfer-Encoding that names no coding
    } else if (iequals(nm, "connection")) {
      bool tokens = true;
      for_each_element(value, [&](std::string_view option) {
        for (const char c : option) tokens = tokens && is(c, kToken);
        if (iequals(option, "close")) close = true;
        if (iequals(option, "keep-alive")) keep_alive = true;
      });
      if (!tokens) return HeadError::malformed;
    } else if (iequals(nm, "expect")) {
      out.expect_continue = iequals(value, "100-continue");
    }
  }
  if (chunked > 0 || other_coding) {
    if (out.content_length) return HeadError::malformed;  // which one frames the body is ambiguous: refused
    if (other_coding || chunked > 1 || out.version == 10) return HeadError::bad_coding;
    out.chunked = true;
  }
  out.keep_alive = out.version == 11 ? !close : keep_alive && !close;
  return HeadError::none;
}

bool ChunkedDecoder::extension(char c) {
  const bool ws = c == ' ' || c == '\t';
  switch (state_) {
    case State::ext_size_ws:
      if (ws) return true;
      state_ = State::ext_pre_name;
      return c == ';';
    case State::ext_pre_name:
      if (ws) return true;
      state_ = State::ext_name;
      return is(c, kToken);
    case State::ext_name:
      if (is(c, kToken)) return true;
      state_ = State::ext_post_name;
      return extension(c);
    case State::ext_post_name:
      if (ws) return true;
      if (c == '=') {
        state_ = State::ext_pre_value;
        return true;
      }
      state_ = State::ext_post_value;
      return extension(c);
    case State::ext_pre_value:
      if (ws) return true;
      state_ = c == '"' ? State::ext_quoted : State::ext_token_value;
      return c == '"' || is(c, kToken);
    case State::ext_token_value:
      if (is(c, kToken)) return true;
      state_ = State::ext_post_value;
      return extension(c);
    case State::ext_quoted:
      if (c == '"') state_ = State::ext_post_value;
      if (c == '\\') state_ = State::ext_quoted_escape;
      return is(c, kValue);
    case State::ext_quoted_escape:
      state_ = State::ext_quoted;
      return is(c, kValue);
    case State::ext_post_value:
      if (ws) return true;
      if (c == ';') {
        state_ = State::ext_pre_name;
        return true;
      }
      if (c == '\r') {
        state_ = State::size_lf;
        return true;
      }
      return false;
    default:
      return false;
  }
}

std::size_t ChunkedDecoder::feed(std::string_view in, std::string& body, Status& status) {
  std::size_t i = 0;
  const std::size_t n = in.size();
  auto stop = [&](Status s) {
    status = s;
    return i;
  };
  while (i < n) {
    const char c = in[i];
    switch (state_) {
      case State::size: {
        if (const int h = hex_value(c); h >= 0) {
          if (size_ > (std::numeric_limits<std::uint64_t>::max() >> 4)) return stop(Status::malformed);
          size_ = size_ * 16 + static_cast<std::uint64_t>(h);
          ++digits_;
          if (size_ > max_body_ - body.size()) return stop(Status::too_large);
        } else if (digits_ == 0) {
          return stop(Status::malformed);
        } else if (c == ';') {
          state_ = State::ext_pre_name;
        } else if (c == ' ' || c == '\t') {
          state_ = State::ext_size_ws;  // only whitespace, then ';'

        } else if (c == '\r') {
          state_ = State::size_lf;
        } else {
          return stop(Status::malformed);
        }
        ++i;
        break;
      }
      // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ): checked, then dropped
      case State::ext_size_ws:
      case State::ext_pre_name:
      case State::ext_name:
      case State::ext_post_name:
      case State::ext_pre_value:
      case State::ext_token_value:
      case State::ext_quoted:
      case State::ext_quoted_escape:
      case State::ext_post_value:
        if (++side_bytes_ > max_trailer_ || !extension(c)) return stop(Status::malformed);
        ++i;
        break;
      case State::size_lf:
        if (c != '\n') return stop(Status::malformed);
        ++i;
        digits_ = 0;
        state_ = size_ == 0 ? State::trailer_start : State::data;
        break;
      case State::data: {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(size_, n - i));
        body.append(in.data() + i, take);
        i += take;
        size_ -= take;
        if (size_ == 0) state_ = State::data_cr;
        break;
      }
      case State::data_cr:
        if (c != '\r') return stop(Status::malformed);
        state_ = State::data_lf;
        ++i;
        break;
      case State::data_lf:
        if (c != '\n') return stop(Status::malformed);
        state_ = State::size;
        ++i;
        break;
      case State::trailer_start:  // trailer fields (name ":" value): checked like header fields, then dropped
        if (c == '\r') {
          state_ = State::end_lf;
        } else if (is(c, kToken)) {
          state_ = State::trailer_name;
        } else {
          return stop(Status::malformed);
        }
        ++i;
        break;
      case State::trailer_name:
        if (c == ':') {
          state_ = State::trailer;
        } else if (!is(c, kToken)) {
          return stop(Status::malformed);
        }
        if (++side_bytes_ > max_trailer_) return stop(Status::malformed);
        ++i;
        break;
      case State::trailer:
        if (c == '\r') {
          state_ = State::trailer_lf;
        } else if (!is(c, kValue) || ++side_bytes_ > max_trailer_) {
          return stop(Status::malformed);
        }
        ++i;
        break;
      case State::trailer_lf:
        if (c != '\n') return stop(Status::malformed);
        state_ = State::trailer_start;
        ++i;
        break;
      case State::end_lf:
        if (c != '\n') return stop(Status::malformed);
        state_ = State::done;
        ++i;
        return stop(Status::done);
      case State::done:
        return stop(Status::done);
    }
  }
  status = state_ == State::done ? Status::done : Status::more;
  return i;
}

}  // namespace sb::http
