#include "core/relay_scan.hpp"

#include <algorithm>
#include <charconv>
#include <functional>

namespace sb::core {
namespace {

// After `"key"` at `pos`: skips `\s*:\s*` and returns the index of the value, or npos.
std::size_t value_after(std::string_view s, std::size_t pos) {
  auto skip = [&](std::size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
  };
  std::size_t i = skip(pos);
  if (i >= s.size() || s[i] != ':') return std::string_view::npos;
  i = skip(i + 1);
  return i < s.size() ? i : std::string_view::npos;
}

// A JSON number at s[i] as an integer (a fraction or exponent is truncated); 0 when it is not a number.
std::int64_t number_at(std::string_view s, std::size_t i) {
  const char* first = s.data() + i;
  const char* last = s.data() + s.size();
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(first, last, n);
  if (ec != std::errc()) return 0;
  if (end != last && (*end == '.' || *end == 'e' || *end == 'E')) {
    double d = 0;
    if (std::from_chars(first, last, d).ec == std::errc()) return static_cast<std::int64_t>(d);
  }
  return n;
}

// Reads the token counts of the `usage` object that starts at s[v] == '{' (members of nested objects are not
// taken). Returns false when the object does not end in `s` (truncated or broken).
bool read_usage(std::string_view s, std::size_t v, Usage& out) {
  int depth = 0;
  std::size_t i = v;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      std::size_t j = i + 1;
      while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      if (j >= s.size()) return false;
      const std::string_view name = s.substr(i + 1, j - i - 1);
      i = j + 1;
      if (depth != 1) continue;
      const std::size_t value = value_after(s, i);  // npos unless this string is a member name
      if (value == std::string_view::npos) continue;
      if (name == "prompt_tokens") out.prompt_tokens = number_at(s, value);
      if (name == "completion_tokens") out.completion_tokens = number_at(s, value);
      if (name == "total_tokens") out.total_tokens = number_at(s, value);
      i = value;
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) return true;
    ++i;
  }
  return false;
}

// `needle` in `s` from `from`, or npos, by a Boyer-Moore-Horspool searcher made once per needle: it skips up to
// the needle's length at a time (glibc's memmem cost ~3 instructions per byte here; string_view::find stops at
// every '"', i.e. at every key and string of the JSON).
template <const std::string_view& Needle>
std::size_t find(std::string_view s, std::size_t from = 0) {
  static const std::boyer_moore_horspool_searcher searcher(Needle.begin(), Needle.end());
  if (from >= s.size()) return std::string_view::npos;
  const auto it = std::search(s.begin() + static_cast<std::ptrdiff_t>(from), s.end(), searcher);
  return it == s.end() ? std::string_view::npos : static_cast<std::size_t>(it - s.begin());
}

constexpr std::string_view kFinish = "\"finish_reason\"";
constexpr std::string_view kUsage = "\"usage\"";

}  // namespace

void scan_relayed(std::string_view bytes, std::string& finish_reason, std::optional<Usage>& usage) {
  for (auto p = find<kFinish>(bytes); p != std::string_view::npos; p = find<kFinish>(bytes, p + kFinish.size())) {
    const auto v = value_after(bytes, p + kFinish.size());
    if (v == std::string_view::npos || bytes[v] != '"') continue;
    const auto end = bytes.find('"', v + 1);
    if (end == std::string_view::npos) break;
    finish_reason.assign(bytes.substr(v + 1, end - v - 1));
    break;
  }
  for (auto p = find<kUsage>(bytes); p != std::string_view::npos; p = find<kUsage>(bytes, p + kUsage.size())) {
    const auto v = value_after(bytes, p + kUsage.size());
    if (v == std::string_view::npos || bytes[v] != '{') continue;
    Usage out;
    if (!read_usage(bytes, v, out)) break;
    usage = out;
    break;
  }
}

}  // namespace sb::core
