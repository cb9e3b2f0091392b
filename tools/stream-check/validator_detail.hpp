// Internal helpers shared by validator.cpp and validator_choice.cpp.
#pragma once
#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::check::detail {

namespace json = boost::json;

inline constexpr std::array<std::string_view, 5> kFinishReasons{"stop", "length", "tool_calls", "content_filter",
                                                                "function_call"};

inline std::string at(int event) {
  return " (event " + std::to_string(event) + ")";
}

// " (choice N)" for any choice but the first, so the common n=1 case reads plainly.
inline std::string choice_label(int index) {
  return index == 0 ? std::string() : " (choice " + std::to_string(index) + ")";
}

inline std::string shown(const json::value& v) {
  std::string s = json::serialize(v);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

inline const json::string* string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_string() : nullptr;
}

inline bool is_present(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && !v->is_null();
}

inline std::optional<std::int64_t> integer(const json::value* v) {
  if (!v) return std::nullopt;
  if (const auto* i = v->if_int64()) return *i;
  if (const auto* u = v->if_uint64(); u && *u <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(*u);
  return std::nullopt;
}

}  // namespace sb::check::detail
