// The fast JSON object check behind is_json_object and EventChecker (see json_text.hpp, detail::scan_json_object).
//
// One forward pass over the bytes with an explicit stack of container kinds (no recursion, no allocation):
// strings are scanned sixteen bytes at a time for the bytes that need a look (quote, backslash, control, non-ASCII),
// non-ASCII is checked as well-formed UTF-8 (Unicode Table 3-7), escapes as RFC 8259 with surrogate pairs. Its
// answers are Boost.JSON basic_parser's (the reference, detail::reference_is_json_object); where matching them
// would need the parser's own arithmetic (exponents of nine digits or more, numbers it would convert to doubles for
// a token count) or unescaping (an escaped key, or finish_reason value, while reading facts), it says `unsure` and
// the caller asks the reference.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "openai/json_text.hpp"

namespace sb::openai::detail {
namespace {

constexpr std::size_t kMaxStack = 256;  // deepest nesting scanned here; a larger max_depth goes to the reference

// ' ', '\t', '\n', '\r': one shift of a 33-bit mask.
bool is_ws(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' && ((std::uint64_t{0x100002600} >> u) & 1) != 0;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
// Inside a string: '"', '\\', a control or a non-ASCII byte.
bool needs_look(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == '"' || u == '\\' || u < 0x20 || u >= 0x80;
}
int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
// The value of four hex digits at p (end - p >= 4), or -1.
int hex4(const char* p) {
  const int a = hex(p[0]), b = hex(p[1]), c = hex(p[2]), d = hex(p[3]);
  return (a | b | c | d) < 0 ? -1 : (a << 12) | (b << 8) | (c << 4) | d;
}
// The `n` bytes at `a` are those at `b` (n a constant, 4 or more): compared a word at a time, the last word
// overlapping the one before (a library call for a few bytes costs more than the compare).
template <std::size_t n>
bool same_bytes(const char* a, const char* b) {
  static_assert(n >= 4);
  using Word = std::conditional_t<(n >= 8), std::uint64_t, std::uint32_t>;
  constexpr std::size_t w = sizeof(Word);
  Word x, y, diff = 0;
  for (std::size_t i = 0; i + w < n; i += w) {
    std::memcpy(&x, a + i, w);
    std::memcpy(&y, b + i, w);
    diff |= x ^ y;
  }
  std::memcpy(&x, a + n - w, w);
  std::memcpy(&y, b + n - w, w);
  return (diff | (x ^ y)) == 0;
}
// `s` is the word `w` (a literal).
template <std::size_t N>
bool is(std::string_view s, const char (&w)[N]) {
  return s.size() == N - 1 && same_bytes<N - 1>(s.data(), w);
}
bool cont(const char* p, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
  const auto c = static_cast<unsigned char>(*p);
  return c >= lo && c <= hi;
}
// The length of the well-formed UTF-8 sequence at p (its first byte >= 0x80), or 0.
std::size_t utf8_length(const char* p, const char* end) {
  const auto c = static_cast<unsigned char>(*p);
  const auto left = end - p;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(p + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return cont(p + 1, lo, hi) && cont(p + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(p + 1, lo, hi) && cont(p + 2) && cont(p + 3) ? 4 : 0;
  }
  return 0;
}

class Scanner {
 public:
  Scanner(std::string_view text, std::size_t max_depth, core::BodyFacts* facts, std::vector<std::uint32_t>* keys,
          std::size_t from)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth),
        facts_(facts), keys_(keys), from_(from) {}

  Scan run();

 private:
  enum class Want : std::uint8_t { nothing, finish_reason, usage, prompt, completion, total };
  struct Str {
    const char* data;
    std::size_t size;
    bool escaped;
  };

  void skip_ws() {
    // Most often there is nothing to skip: compact JSON, or a value after `": "` (see member:).
    if (p_ == end_ || !is_ws(*p_)) return;
    ++p_;
#if defined(__SSE2__)
    // Indented JSON: a newline and a run of spaces. Sixteen bytes at a time to the first byte that is not a space;
    // a tab, CR or another newline there goes on with the run.
    while (end_ - p_ >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      const auto other = ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')))) & 0xFFFFu;
      if (other == 0) {
        p_ += 16;
        continue;
      }
      p_ += __builtin_ctz(other);
      if (!is_ws(*p_)) return;
      ++p_;
    }
#endif
    while (p_ < end_ && is_ws(*p_)) ++p_;
  }
  // At the opening quote: scans to after the closing one. False when the string is malformed.
  [[gnu::always_inline]] inline bool string(Str& s);
  bool escape();  // at a backslash
  // At '-' or a digit. The value is given to the facts when one is wanted.
  Scan number();
  template <std::size_t N>
  bool literal(const char (&word)[N]) {
    if (static_cast<std::size_t>(end_ - p_) < N - 1 || !same_bytes<N - 1>(p_, word)) return false;
    p_ += N - 1;
    return true;
  }

  // ---- facts (only with facts_): the same reading as the reference's handler, kept here until the end ----
  Scan key(const Str& k, const char* quote);
  void open(bool array) {
    const bool is_usage = !array && want_ == Want::usage;
    want_ = Want::nothing;
    if (is_usage) {
      usage_depth_ = depth_;
      usage_ = {};
      usage_set_ = true;
    }
  }
  void close() {
    if (depth_ == usage_depth_) usage_depth_ = 0;
  }
  bool finish_empty() const { return facts_->finish_reason.empty() && finish_.empty(); }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::size_t max_depth_;
  core::BodyFacts* facts_;
  std::vector<std::uint32_t>* keys_;
  std::size_t from_;  // 0, or where to start: a top-level key's opening quote
  std::size_t depth_ = 0;
  std::uint64_t arrays_[kMaxStack / 64] = {};  // bit d: the container at depth d + 1 is an array
  bool in_array_ = false;                       // the innermost open container is an array
  Want want_ = Want::nothing;
  std::size_t usage_depth_ = 0;
  std::string_view finish_;
  core::Usage usage_;
  bool usage_set_ = false;
};

bool Scanner::escape() {
  if (end_ - p_ < 2) return false;
  switch (p_[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      p_ += 2;
      return true;
    case 'u': break;
    default: return false;
  }
  if (end_ - p_ < 6) return false;
  const int u1 = hex4(p_ + 2);
  if (u1 < 0) return false;
  if (u1 < 0xD800 || u1 > 0xDFFF) {
    p_ += 6;
    return true;
  }
  if (u1 > 0xDBFF || end_ - p_ < 12 || p_[6] != '\\' || p_[7] != 'u') return false;  // a lone or trailing surrogate
  const int u2 = hex4(p_ + 8);
  if (u2 < 0xDC00 || u2 > 0xDFFF) return false;
  p_ += 12;
  return true;
}

bool Scanner::string(Str& s) {
  ++p_;
  s.data = p_;
  s.escaped = false;
  for (;;) {
    // To the next byte that needs a look: '"', '\\', a control or a non-ASCII byte.
#if defined(__SSE2__)
    if (end_ - p_ >= 16) {
      // Sixteen at a time: '"', '\\', or (signed) below 0x20 — a control or a non-ASCII byte.
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      const __m128i hit = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
          _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
      if (mask == 0) {
        p_ += 16;
        continue;
      }
      p_ += __builtin_ctz(mask);
    } else
#endif
    {
      while (p_ < end_ && !needs_look(*p_)) ++p_;
      if (p_ == end_) return false;
    }
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      s.size = static_cast<std::size_t>(p_ - s.data);
      ++p_;
      return true;
    }
    if (c == '\\') {
      s.escaped = true;
      if (!escape()) return false;
      continue;
    }
    if (c < 0x20) return false;
    const std::size_t n = utf8_length(p_, end_);
    if (n == 0) return false;
    p_ += n;
  }
}

Scan Scanner::number() {
  const char* start = p_;
  const bool negative = *p_ == '-';
  if (negative) ++p_;
  if (p_ == end_) return Scan::bad;
  if (*p_ == '0') {
    ++p_;
  } else if (is_digit(*p_)) {
    while (p_ < end_ && is_digit(*p_)) ++p_;
  } else {
    return Scan::bad;
  }
  const auto int_digits = static_cast<std::size_t>(p_ - start) - (negative ? 1 : 0);
  bool integer = true;
  if (p_ < end_ && *p_ == '.') {
    ++p_;
    if (p_ == end_ || !is_digit(*p_)) return Scan::bad;
    while (p_ < end_ && is_digit(*p_)) ++p_;
    integer = false;
  }
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    ++p_;
    if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (p_ == end_ || !is_digit(*p_)) return Scan::bad;
    std::uint32_t e = 0;
    while (p_ < end_ && is_digit(*p_)) {
      e = e * 10 + static_cast<std::uint32_t>(*p_ - '0');
      if (e >= 100'000'000) return Scan::unsure;  // near the parser's exponent overflow: its arithmetic decides
      ++p_;
    }
    integer = false;
  }
  if (facts_ == nullptr) return Scan::ok;
  const Want w = want_;
  want_ = Want::nothing;
  if (w != Want::prompt && w != Want::completion && w != Want::total) return Scan::ok;
  if (!integer || int_digits > 18) return Scan::unsure;  // the parser's conversion to double decides the count
  std::int64_t v = 0;
  for (const char* d = p_ - int_digits; d < p_; ++d) v = v * 10 + (*d - '0');
  if (negative) v = -v;
  (w == Want::prompt ? usage_.prompt_tokens : w == Want::completion ? usage_.completion_tokens : usage_.total_tokens) = v;
  return Scan::ok;
}

Scan Scanner::key(const Str& k, const char* quote) {
  want_ = Want::nothing;
  if (k.escaped) return Scan::unsure;  // its unescaped name decides
  const std::string_view name(k.data, k.size);
  if (keys_ != nullptr && depth_ == 1) keys_->push_back(static_cast<std::uint32_t>(quote - begin_));
  // Told apart by length first (is()): most keys are none of these.
  const bool finish = is(name, "finish_reason");
  const bool usage = depth_ == 1 && is(name, "usage");
  if (finish || usage) keys_ = nullptr;  // no place to start from after a key that gives a fact
  if (finish) {
    if (finish_empty()) want_ = Want::finish_reason;
  } else if (usage) {
    want_ = Want::usage;
  } else if (usage_depth_ != 0 && depth_ == usage_depth_) {
    if (is(name, "prompt_tokens")) want_ = Want::prompt;
    if (is(name, "completion_tokens")) want_ = Want::completion;
    if (is(name, "total_tokens")) want_ = Want::total;
  }
  return Scan::ok;
}

Scan Scanner::run() {
  if (max_depth_ > kMaxStack || end_ - begin_ >= (std::ptrdiff_t{1} << 30)) return Scan::unsure;
  Str s{};
  if (from_ > 0) {  // inside the top-level object (arrays_ bit 0 clear), at a member: the start is proven
    if (max_depth_ == 0 || from_ >= static_cast<std::size_t>(end_ - begin_)) return Scan::bad;
    depth_ = 1;
    p_ = begin_ + from_;
    goto member;
  }
  skip_ws();
  if (p_ == end_ || *p_ != '{') return Scan::bad;  // an object, not any JSON value
value:
  if (p_ == end_) return Scan::bad;
  switch (*p_) {
    case '{':
    case '[': {
      const bool array = *p_ == '[';
      if (depth_ == max_depth_) return Scan::bad;
      if (array)
        arrays_[depth_ / 64] |= std::uint64_t{1} << (depth_ % 64);
      else
        arrays_[depth_ / 64] &= ~(std::uint64_t{1} << (depth_ % 64));
      ++depth_;
      in_array_ = array;
      ++p_;
      if (facts_ != nullptr) open(array);
      skip_ws();
      if (p_ < end_ && *p_ == (array ? ']' : '}')) {
        ++p_;
        goto closed;
      }
      if (array) goto value;
      goto member;
    }
    case '"':
      if (!string(s)) return Scan::bad;
      if (facts_ != nullptr) {
        if (want_ == Want::finish_reason) {
          if (s.escaped) return Scan::unsure;  // its unescaped value is the fact
          finish_ = std::string_view(s.data, s.size);
        }
        want_ = Want::nothing;
      }
      goto after;
    case 't':
      if (!literal("true")) return Scan::bad;
      want_ = Want::nothing;
      goto after;
    case 'f':
      if (!literal("false")) return Scan::bad;
      want_ = Want::nothing;
      goto after;
    case 'n':
      if (!literal("null")) return Scan::bad;
      want_ = Want::nothing;
      goto after;
    default:
      if (*p_ != '-' && !is_digit(*p_)) return Scan::bad;
      if (const Scan n = number(); n != Scan::ok) return n;
      goto after;
  }
member:  // at what must be a key
  if (p_ == end_ || *p_ != '"') return Scan::bad;
  {
    const char* quote = p_;
    if (!string(s)) return Scan::bad;
    if (facts_ != nullptr && key(s, quote) == Scan::unsure) return Scan::unsure;
  }
  if (p_ == end_ || *p_ != ':') {  // `"key":` with nothing between is the common case
    skip_ws();
    if (p_ == end_ || *p_ != ':') return Scan::bad;
  }
  ++p_;
  if (p_ < end_ && *p_ == ' ') ++p_;  // `": "`, as indented JSON has it
  skip_ws();
  goto value;
closed:  // a container just closed
  if (facts_ != nullptr) close();
  --depth_;
  in_array_ = depth_ > 0 && ((arrays_[(depth_ - 1) / 64] >> ((depth_ - 1) % 64)) & 1) != 0;
after:  // a value just ended
  skip_ws();
  if (depth_ == 0) {
    if (p_ != end_) return Scan::bad;
    if (facts_ != nullptr) {
      facts_->finish_reason.append(finish_);
      if (usage_set_) facts_->usage = usage_;
    }
    return Scan::ok;
  }
  if (p_ == end_) return Scan::bad;
  {
    const bool array = in_array_;
    if (*p_ == ',') {
      ++p_;
      skip_ws();
      if (array) goto value;
      goto member;
    }
    if (*p_ == (array ? ']' : '}')) {
      ++p_;
      goto closed;
    }
  }
  return Scan::bad;
}

}  // namespace

Scan scan_json_object(std::string_view text, std::size_t max_depth, core::BodyFacts* facts,
                      std::vector<std::uint32_t>* keys, std::size_t from) {
  return Scanner(text, max_depth, facts, keys, from).run();
}

}  // namespace sb::openai::detail
