#include "openai/json_text.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <cstdint>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "openai/json_handler.hpp"

namespace sb::openai {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

namespace {

// A basic_parser handler that accepts everything (the parser itself checks the grammar, UTF-8 and depth) and,
// when given `facts`, notes the values of the few keys logs and metrics want.
struct ValidateOnly : detail::HandlerBase<ValidateOnly> {
  enum class Want { nothing, finish_reason, usage, prompt, completion, total };
  core::BodyFacts* facts = nullptr;
  std::size_t depth = 0;        // open objects and arrays; the document's object is depth 1
  std::size_t usage_depth = 0;  // depth of the open top-level `usage` object, 0 when none is open
  Want want = Want::nothing;    // what the value after the last key is, when it matters

  void open() {
    ++depth;
    want = Want::nothing;
  }
  void close() {
    if (depth == usage_depth) usage_depth = 0;
    --depth;
  }
  void key(std::string_view k) {
    want = Want::nothing;
    if (k == "finish_reason") {
      if (facts->finish_reason.empty()) want = Want::finish_reason;
    } else if (depth == 1 && k == "usage") {
      want = Want::usage;
    } else if (usage_depth != 0 && depth == usage_depth) {
      if (k == "prompt_tokens") want = Want::prompt;
      if (k == "completion_tokens") want = Want::completion;
      if (k == "total_tokens") want = Want::total;
    }
  }
  void count(double v) {  // a fraction is truncated; out of range is clamped; NaN (Boost.JSON reads 0e400 so) is 0
    constexpr double kMax = 9.2e18;
    count(v != v ? std::int64_t{0} : static_cast<std::int64_t>(v > kMax ? kMax : v < -kMax ? -kMax : v));
  }
  void count(std::int64_t v) {
    switch (want) {
      case Want::prompt: facts->usage->prompt_tokens = v; break;
      case Want::completion: facts->usage->completion_tokens = v; break;
      case Want::total: facts->usage->total_tokens = v; break;
      default: break;
    }
    want = Want::nothing;
  }

  bool on_key_part(std::string_view part, std::size_t n, ec_t& ec) {
    return facts == nullptr || HandlerBase::on_key_part(part, n, ec);
  }
  bool on_key(std::string_view k, std::size_t n, ec_t& ec) {
    return facts == nullptr || HandlerBase::on_key(k, n, ec);  // without facts, keys do not matter
  }
  bool on_object_begin(ec_t&) {
    if (!facts) return true;
    const bool is_usage = want == Want::usage;
    open();
    if (is_usage) {
      usage_depth = depth;
      facts->usage.emplace();
    }
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    if (facts) close();
    return true;
  }
  bool on_array_begin(ec_t&) {
    if (facts) open();
    return true;
  }
  bool on_array_end(std::size_t, ec_t&) {
    if (facts) close();
    return true;
  }
  bool on_string_part(std::string_view part, std::size_t, ec_t&) {
    if (facts && want == Want::finish_reason) facts->finish_reason.append(part);
    return true;
  }
  bool on_string(std::string_view s, std::size_t, ec_t&) {
    if (facts && want == Want::finish_reason) facts->finish_reason.append(s);
    want = Want::nothing;
    return true;
  }
  bool on_int64(std::int64_t v, std::string_view, ec_t&) {
    if (facts) count(v);
    return true;
  }
  bool on_uint64(std::uint64_t v, std::string_view, ec_t&) {
    if (facts) count(static_cast<double>(v));
    return true;
  }
  bool on_double(double v, std::string_view, ec_t&) {
    if (facts) count(v);
    return true;
  }
  bool on_bool(bool, ec_t&) {
    want = Want::nothing;
    return true;
  }
  bool on_null(ec_t&) {
    want = Want::nothing;
    return true;
  }
};

// Whether `text` starts, after JSON whitespace, with '{' (basic_parser would take any JSON value).
bool opens_object(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  return i < text.size() && text[i] == '{';
}

// How many bytes a and b share from their start (sixteen compared at a time).
std::size_t common_prefix(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.data() + i));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.data() + i));
    const auto same = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)));
    if (same != 0xFFFF) return i + static_cast<std::size_t>(__builtin_ctz(~same));
  }
#endif
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

bool EventChecker::check(std::string_view text, core::BodyFacts& facts) {
  // The longest start shared with the last event, and the last top-level key of that event starting within it.
  const std::size_t same = common_prefix(text, last_);
  std::size_t resume = 0;
  std::size_t kept = 0;  // keys_ entries before `resume`
  for (std::size_t i = 0; i < keys_.size() && keys_[i] < same; ++i) {
    resume = keys_[i];
    kept = i;
  }
  resumed_at_ = resume;
  // From a resume point, "{" + the rest is checked: text[0, resume) is the last event's own, proven to be `{` and
  // whole members each followed by a comma, so what follows is a JSON object's members exactly when that is an
  // object. The fast check starts there in the text itself. Where it is unsure, the reference checks the whole
  // event (the same answer) and no place to resume from is noted: the next event starts from its beginning.
  keys_.resize(kept);
  const detail::Scan scan = detail::scan_json_object(text, max_depth_, &facts, &keys_, resume);
  bool ok = scan == detail::Scan::ok;
  if (scan == detail::Scan::unsure) {
    keys_.clear();
    resumed_at_ = 0;
    ok = detail::reference_is_json_object(text, max_depth_, &facts);
  }
  if (ok && text.size() <= kMaxKept) {
    last_.assign(text);
  } else {  // refused, or too large to keep a copy of for the rest of the stream: the next one starts afresh
    last_.clear();
    keys_.clear();
    if (last_.capacity() > kMaxKept) last_.shrink_to_fit();
  }
  return ok;
}

bool is_json_object(std::string_view text, std::size_t max_depth, core::BodyFacts* facts) {
  const detail::Scan scan = detail::scan_json_object(text, max_depth, facts);
  return scan == detail::Scan::unsure ? detail::reference_is_json_object(text, max_depth, facts)
                                      : scan == detail::Scan::ok;
}

namespace detail {

bool reference_is_json_object(std::string_view text, std::size_t max_depth, core::BodyFacts* facts) {
  if (!opens_object(text)) return false;  // basic_parser would take any JSON value
  boost::json::parse_options opt;
  opt.max_depth = max_depth;
  boost::json::basic_parser<ValidateOnly> p(opt);
  p.handler().facts = facts;
  boost::json::error_code ec;
  const auto used = p.write_some(false, text.data(), text.size(), ec);
  return !ec && used == text.size() && p.done();
}

}  // namespace detail

}  // namespace sb::openai
