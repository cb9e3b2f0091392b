#include "core/relay_scan.hpp"

#include <boost/json.hpp>

namespace sb::core {
namespace json = boost::json;
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

std::int64_t int_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return 0;
}

}  // namespace

void scan_relayed(std::string_view bytes, std::string& finish_reason, std::optional<Usage>& usage) {
  constexpr std::string_view kFinish = "\"finish_reason\"";
  for (auto p = bytes.find(kFinish); p != std::string_view::npos; p = bytes.find(kFinish, p + kFinish.size())) {
    const auto v = value_after(bytes, p + kFinish.size());
    if (v == std::string_view::npos || bytes[v] != '"') continue;
    const auto end = bytes.find('"', v + 1);
    if (end == std::string_view::npos) break;
    finish_reason.assign(bytes.substr(v + 1, end - v - 1));
    break;
  }
  constexpr std::string_view kUsage = "\"usage\"";
  for (auto p = bytes.find(kUsage); p != std::string_view::npos; p = bytes.find(kUsage, p + kUsage.size())) {
    const auto v = value_after(bytes, p + kUsage.size());
    if (v == std::string_view::npos || bytes[v] != '{') continue;
    json::parser parser;
    std::error_code ec;
    parser.write_some(bytes.substr(v), ec);  // stops after the object
    if (ec) break;
    const json::value u = parser.release();
    if (!u.is_object()) break;
    const auto& o = u.get_object();
    Usage out;
    out.prompt_tokens = int_field(o, "prompt_tokens");
    out.completion_tokens = int_field(o, "completion_tokens");
    out.total_tokens = int_field(o, "total_tokens");
    usage = out;
    break;
  }
}

}  // namespace sb::core
