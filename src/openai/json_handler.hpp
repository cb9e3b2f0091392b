// What the Boost.JSON basic_parser handlers of the request and response checks share (internal).
#pragma once
#include <boost/json/error.hpp>
#include <cstddef>
#include <string>
#include <string_view>

namespace sb::openai::detail {

// No limits beyond the parser's own (depth), document bounds, comments and number pieces ignored, and a key split
// by escapes put back together: Derived::key(k) gets every key once.
template <class Derived>
struct HandlerBase {
  using ec_t = boost::json::error_code;
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::string key_parts;

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_comment_part(std::string_view, ec_t&) { return true; }
  bool on_comment(std::string_view, ec_t&) { return true; }
  bool on_number_part(std::string_view, ec_t&) { return true; }
  bool on_key_part(std::string_view part, std::size_t, ec_t&) {
    key_parts.append(part);
    return true;
  }
  bool on_key(std::string_view k, std::size_t, ec_t&) {
    auto& self = static_cast<Derived&>(*this);
    if (key_parts.empty()) {
      self.key(k);
    } else {
      key_parts.append(k);
      self.key(key_parts);
      key_parts.clear();
    }
    return true;
  }
};

}  // namespace sb::openai::detail
