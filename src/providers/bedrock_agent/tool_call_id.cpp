#include "providers/bedrock_agent/tool_call_id.hpp"

#include <array>

#include "providers/bedrock_agent/base64.hpp"

namespace sb::providers::bedrock {
namespace {

constexpr std::string_view kFunctionKind = "f";
constexpr std::string_view kApiKind = "a";

std::string without_breaks(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

std::string encode_tool_call_id(const ReturnControlRef& ref) {
  const bool api = ref.function.empty() && !ref.api_path.empty();
  std::string packed(api ? kApiKind : kFunctionKind);
  for (const auto* field : {&ref.session_id, &ref.invocation_id, &ref.action_group, api ? &ref.api_path : &ref.function,
                            &ref.http_method}) {
    packed.push_back('\n');
    packed += without_breaks(*field);
  }
  return std::string(kToolCallIdPrefix) + base64_encode(packed, /*url_safe=*/true, /*pad=*/false);
}

std::optional<ReturnControlRef> decode_tool_call_id(std::string_view id) {
  if (!id.starts_with(kToolCallIdPrefix)) return std::nullopt;
  auto packed = base64_decode(id.substr(kToolCallIdPrefix.size()));
  if (!packed) return std::nullopt;
  std::array<std::string, 6> fields;
  std::size_t n = 0, start = 0;
  for (;;) {
    const auto nl = packed->find('\n', start);
    if (n == fields.size()) return std::nullopt;
    fields[n++] = packed->substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (n != fields.size() || (fields[0] != kFunctionKind && fields[0] != kApiKind)) return std::nullopt;
  ReturnControlRef ref;
  ref.session_id = fields[1];
  ref.invocation_id = fields[2];
  ref.action_group = fields[3];
  if (fields[0] == kApiKind) {
    ref.api_path = fields[4];
  } else {
    ref.function = fields[4];
  }
  ref.http_method = fields[5];
  if (ref.session_id.empty() || ref.invocation_id.empty() || ref.action_group.empty() ||
      (ref.function.empty() && ref.api_path.empty()))
    return std::nullopt;
  return ref;
}

}  // namespace sb::providers::bedrock
