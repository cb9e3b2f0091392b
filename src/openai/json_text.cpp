#include "openai/json_text.hpp"

#include <boost/json/basic_parser_impl.hpp>

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
struct ValidateOnly {
  enum class Want { nothing, finish_reason, usage, prompt, completion, total };
  core::BodyFacts* facts = nullptr;
  std::size_t depth = 0;        // open objects and arrays; the document's object is depth 1
  std::size_t usage_depth = 0;  // depth of the open top-level `usage` object, 0 when none is open
  Want want = Want::nothing;    // what the value after the last key is, when it matters
  std::string key_parts;        // a key split by escapes arrives in parts

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
  void count(double v) {  // a fraction is truncated; out of range is clamped
    constexpr double kMax = 9.2e18;
    count(static_cast<std::int64_t>(v > kMax ? kMax : v < -kMax ? -kMax : v));
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

  using ec_t = boost::json::error_code;
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
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
  bool on_key_part(std::string_view part, std::size_t, ec_t&) {
    if (facts) key_parts.append(part);
    return true;
  }
  bool on_key(std::string_view k, std::size_t, ec_t&) {
    if (!facts) return true;
    if (key_parts.empty()) {
      key(k);
    } else {
      key_parts.append(k);
      key(key_parts);
      key_parts.clear();
    }
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
  bool on_number_part(std::string_view, ec_t&) { return true; }
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
  bool on_comment_part(std::string_view, ec_t&) { return true; }
  bool on_comment(std::string_view, ec_t&) { return true; }
};

}  // namespace

bool is_json_object(std::string_view text, std::size_t max_depth, core::BodyFacts* facts) {
  std::size_t start = 0;
  while (start < text.size() && (text[start] == ' ' || text[start] == '\t' || text[start] == '\n' || text[start] == '\r'))
    ++start;
  if (start == text.size() || text[start] != '{') return false;
  boost::json::parse_options opt;
  opt.max_depth = max_depth;
  boost::json::basic_parser<ValidateOnly> p(opt);
  p.handler().facts = facts;
  boost::json::error_code ec;
  const auto used = p.write_some(false, text.data(), text.size(), ec);
  return !ec && used == text.size() && p.done();
}

}  // namespace sb::openai
