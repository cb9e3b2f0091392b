#include "http/framing.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Advances p while the bytes are above `floor - 1` and not DEL (request-target bytes: floor 0x21; field-value
// bytes: floor 0x20, and HTAB, which the byte loop after it takes): eight bytes at a time while a whole word
// qualifies (bytes >= 0x80, obs-text, always do), then byte by byte with the table.
template <unsigned char Floor>
const char* scan(const char* p, const char* end, unsigned char cls) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  while (end - p >= 8) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    const std::uint64_t below = (x - kOnes * Floor) & ~x & kHigh;  // some byte < Floor
    const std::uint64_t y = x ^ (kOnes * 0x7f);
    const std::uint64_t del = (y - kOnes) & ~y & kHigh;  // some byte == 0x7f
    if ((below | del) != 0) break;
    p += 8;
  }
  while (p < end && is(*p, cls)) ++p;
  return p;
}

// Advances p over token bytes (a field name): sixteen at a time while they are letters, digits and '-' (what
// names are made of), then byte by byte with the table (the other token bytes, and the name's end).
const char* scan_token(const char* p, const char* end) {
#if defined(__SSE2__)
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Letters: (x | 0x20) in 'a'..'z'; digits: x in '0'..'9'. Signed compares, each range shifted to start at -128.
    const __m128i folded = _mm_add_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8(static_cast<char>(-128 - 'a')));
    const __m128i letter = _mm_cmplt_epi8(folded, _mm_set1_epi8(static_cast<char>(-128 + 26)));
    const __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(-128 - '0'))),
                                         _mm_set1_epi8(static_cast<char>(-128 + 10)));
    const __m128i dash = _mm_cmpeq_epi8(x, _mm_set1_epi8('-'));
    const auto ok = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), dash)));
    if (ok != 0xFFFF) {
      p += __builtin_ctz(~ok);
      break;
    }
    p += 16;
  }
#endif
  while (p < end && is(*p, kToken)) ++p;
  return p;
}

// ASCII case-insensitive equality of a field name (token bytes only) and a lower-case name made of letters,
// digits and '-', eight bytes at a time: setting bit 0x20 lower-cases a letter and leaves those bytes as they are,
// and the only other bytes it would turn into one of them (control bytes) are not token bytes.
bool name_is(std::string_view name, std::string_view lower_name) {
  const std::size_t n = name.size();
  if (n != lower_name.size()) return false;
  constexpr std::uint64_t kCase = 0x2020202020202020ULL;
  auto word = [](const char* p) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    return x;
  };
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if ((name[i] | 0x20) != lower_name[i]) return false;
    return true;
  }
  for (std::size_t i = 0; i + 8 <= n; i += 8)
    if ((word(name.data() + i) | kCase) != word(lower_name.data() + i)) return false;
  return (word(name.data() + n - 8) | kCase) == word(lower_name.data() + n - 8);  // the last bytes (overlapping)
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

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

bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view MessageHead::header(std::string_view name) const {
  for (const auto& f : fields)
    if (ascii_iequals(view(f.name), name)) return view(f.value);
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

namespace {

using Span = MessageHead::Span;

// What the framing fields of a head said.
struct Framing {
  bool close = false, keep_alive = false;
  unsigned chunked = 0;        // `chunked` codings named
  bool other_coding = false;   // any other coding (or a Transfer-Encoding naming none)
  bool last_chunked = false;   // the final coding is `chunked`
  bool expect_continue = false;
};

Span span_of(const char* base, const char* from, const char* to) {
  return Span{static_cast<std::uint32_t>(from - base), static_cast<std::uint32_t>(to - from)};
}

// Parses "HTTP/1.0" or "HTTP/1.1" at p.
bool http_version(const char*& p, const char* end, unsigned& version) {
  if (end - p < 8 || std::memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1')) return false;
  version = p[7] == '1' ? 11 : 10;
  p += 8;
  return true;
}

// The field lines from p to the blank line that ends the head (which must be the last two bytes).
HeadError parse_fields(const char* p, const char* end, std::size_t max_fields, MessageHead& out, Framing& f) {
  const char* const base = out.bytes.data();
  for (;;) {
    if (end - p < 2) return HeadError::malformed;
    if (*p == '\r') {  // the blank line
      if (p[1] != '\n' || p + 2 != end) return HeadError::malformed;
      return HeadError::none;
    }
    // field-line = field-name ":" OWS field-value OWS CRLF; no space before the colon, no obs-fold
    const char* const n = p;
    p = scan_token(p, end);
    if (p == n || p == end || *p != ':') return HeadError::malformed;
    const auto name = span_of(base, n, p);
    ++p;
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    const char* const v = p;
    p = scan<0x20>(p, end, kValue);
    if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return HeadError::malformed;
    const char* ve = p;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) --ve;
    p += 2;
    if (out.fields.size() >= max_fields) return HeadError::too_many_fields;
    out.fields.push_back({name, span_of(base, v, ve)});

    const std::string_view nm = out.view(name), value(v, static_cast<std::size_t>(ve - v));
    // The four names that frame the message, told apart by length first (most fields are none of them).
    switch (nm.size()) {
      case 14:
        if (!name_is(nm, "content-length")) break;
        if (value.empty() || value.size() > 18) return HeadError::malformed;
        {
          std::uint64_t len = 0;
          for (const char c : value) {
            if (c < '0' || c > '9') return HeadError::malformed;
            len = len * 10 + static_cast<std::uint64_t>(c - '0');
          }
          if (out.content_length && *out.content_length != len) return HeadError::malformed;
          out.content_length = len;
        }
        break;
      case 17:
        if (!name_is(nm, "transfer-encoding")) break;
        {
          bool any = false;
          for_each_element(value, [&](std::string_view coding) {
            any = true;
            f.last_chunked = ascii_iequals(coding, "chunked");
            if (f.last_chunked)
              ++f.chunked;
            else
              f.other_coding = true;
          });
          if (!any) f.other_coding = true;  // a Transfer-Encoding that names no coding
        }
        break;
      case 10:
        if (!name_is(nm, "connection")) break;
        {
          bool tokens = true;
          for_each_element(value, [&](std::string_view option) {
            for (const char c : option) tokens = tokens && is(c, kToken);
            if (ascii_iequals(option, "close")) f.close = true;
            if (ascii_iequals(option, "keep-alive")) f.keep_alive = true;
          });
          if (!tokens) return HeadError::malformed;
        }
        break;
      case 6:
        if (name_is(nm, "expect")) f.expect_continue = ascii_iequals(value, "100-continue");
        break;
      default:
        break;
    }
  }
}

bool keeps_alive(unsigned version, const Framing& f) {
  return version == 11 ? !f.close : f.keep_alive && !f.close;
}

}  // namespace

HeadError parse_request_head(std::string_view head, const HeadLimits& limits, RequestHead& out) {
  out = RequestHead{};  // nothing of an earlier head is kept
  out.bytes.assign(head);
  const char* const base = out.bytes.data();
  const char* const end = base + out.bytes.size();
  const char* p = base;

  // request-line = method SP request-target SP HTTP-version CRLF
  const char* const m = p;
  while (p < end && is(*p, kToken)) ++p;
  if (p == m || p == end || *p != ' ') return HeadError::malformed;
  out.method = span_of(base, m, p);
  const char* const t = ++p;
  p = scan<0x21>(p, end, kTarget);
  if (p == t || p == end || *p != ' ') return HeadError::malformed;
  out.target = span_of(base, t, p);
  ++p;
  if (!http_version(p, end, out.version) || end - p < 2 || p[0] != '\r' || p[1] != '\n') return HeadError::malformed;
  p += 2;
  if (out.target.len > limits.max_url_bytes) return HeadError::url_too_long;

  Framing f;
  if (const auto e = parse_fields(p, end, limits.max_header_count, out, f); e != HeadError::none) return e;
  out.expect_continue = f.expect_continue;
  if (f.chunked > 0 || f.other_coding) {
    if (out.content_length) return HeadError::malformed;  // which one frames the body is ambiguous: refused
    if (f.other_coding || f.chunked > 1 || out.version == 10) return HeadError::bad_coding;
    out.chunked = true;
  }
  out.keep_alive = keeps_alive(out.version, f);
  return HeadError::none;
}

HeadError parse_response_head(std::string_view head, std::size_t max_fields, ResponseHead& out) {
  out = ResponseHead{};  // nothing of an earlier head (an interim 1xx answer) is kept
  out.bytes.assign(head);
  const char* const base = out.bytes.data();
  const char* const end = base + out.bytes.size();
  const char* p = base;

  // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF (the SP before an empty reason is often
  // left out: accepted)
  if (!http_version(p, end, out.version) || end - p < 6 || p[0] != ' ') return HeadError::malformed;
  ++p;
  for (int i = 0; i < 3; ++i, ++p) {
    if (*p < '0' || *p > '9') return HeadError::malformed;
    out.status = out.status * 10 + (*p - '0');
  }
  if (out.status < 100) return HeadError::malformed;
  if (*p == ' ') {
    ++p;
    while (p < end && is(*p, kValue)) ++p;
  }
  if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return HeadError::malformed;
  p += 2;

  Framing f;
  if (const auto e = parse_fields(p, end, max_fields, out, f); e != HeadError::none) return e;
  if (f.chunked > 0 || f.other_coding) {
    if (out.content_length) return HeadError::malformed;  // ought to be handled as an error (RFC 9112 6.3)
    if (f.last_chunked) {
      if (f.other_coding || f.chunked > 1) return HeadError::bad_coding;  // a coding we would have to undo
      out.chunked = true;
    } else {
      out.until_close = true;  // not chunked at the end: the body runs to the connection's end (RFC 9112 6.3)
    }
  } else if (!out.content_length) {
    out.until_close = out.has_body();
  }
  out.keep_alive = keeps_alive(out.version, f) && !out.until_close;
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
    // The byte a line end needs here (its CR or LF), then `next`.
    auto expect = [&](char want, State next) {
      if (c != want) return false;
      state_ = next;
      ++i;
      return true;
    };
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
        if (!expect('\n', size_ == 0 ? State::trailer_start : State::data)) return stop(Status::malformed);
        digits_ = 0;
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
        if (!expect('\r', State::data_lf)) return stop(Status::malformed);
        break;
      case State::data_lf:
        if (!expect('\n', State::size)) return stop(Status::malformed);
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
        if (!expect('\n', State::trailer_start)) return stop(Status::malformed);
        break;
      case State::end_lf:
        return stop(expect('\n', State::done) ? Status::done : Status::malformed);
      case State::done:
        return stop(Status::done);
    }
  }
  status = state_ == State::done ? Status::done : Status::more;
  return i;
}

ResponseBody::ResponseBody(const ResponseHead& head)
    : kind_(!head.has_body()    ? Kind::none
            : head.chunked      ? Kind::chunked
            : head.until_close  ? Kind::until_close
                                : Kind::sized),
      remaining_(head.content_length.value_or(0)),
      chunked_(std::numeric_limits<std::size_t>::max(), 64 * 1024),
      done_(kind_ == Kind::none || (kind_ == Kind::sized && remaining_ == 0)) {}

std::size_t ResponseBody::feed(std::string_view in, std::string& out, Status& status) {
  status = done_ ? Status::done : Status::more;
  if (done_ || in.empty()) return 0;
  switch (kind_) {
    case Kind::sized: {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
      out.append(in.data(), take);
      remaining_ -= take;
      done_ = remaining_ == 0;
      status = done_ ? Status::done : Status::more;
      return take;
    }
    case Kind::until_close:
      out.append(in);
      return in.size();
    case Kind::chunked: {
      auto st = ChunkedDecoder::Status::more;
      const std::size_t used = chunked_.feed(in, out, st);
      done_ = st == ChunkedDecoder::Status::done;
      status = done_                                ? Status::done
               : st == ChunkedDecoder::Status::more ? Status::more
                                                    : Status::malformed;
      return used;
    }
    case Kind::none:
      break;
  }
  return 0;
}

ResponseBody::Status ResponseBody::end_of_input() {
  if (done_) return Status::done;
  if (kind_ != Kind::until_close) return Status::malformed;
  done_ = true;
  return Status::done;
}

}  // namespace sb::http
