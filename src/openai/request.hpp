// The OpenAI chat-completions request as the proxy sees it: parsed once, validated, extension fields split off.
#pragma once
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace sb::openai {

struct ChatRequest {
  std::string_view raw;  // the bytes as received (owned by the HTTP request; valid while it is handled)
  bool extensions_removed = false;  // `provider` or `session_id` was present (they are not forwarded)
  std::optional<std::string> model;
  bool stream = false;
  bool include_usage = false;
  std::optional<std::string> provider;    // extension field
  std::optional<std::string> session_id;  // extension field

  // The request as a JSON tree, minus the extension fields. Built from `raw` on first use (parse_chat_request
  // validates without one: a provider that forwards the bytes never needs it), in a per-request monotonic arena:
  // one block or two, nothing freed node by node. Everything copied from it shares that arena: keep such copies
  // local. Not thread-safe (a request is handled on one thread).
  ChatRequest() = default;
  ChatRequest(ChatRequest&&) = default;
  // No assignment: the arena would be released before the tree it holds (Boost.JSON's move assignment between
  // different resources copies through the old one).
  ChatRequest& operator=(ChatRequest&&) = delete;

  [[nodiscard]] const boost::json::object& body() const;
  [[nodiscard]] const boost::json::array& messages() const;
  [[nodiscard]] bool has_tools() const;

 private:
  mutable std::unique_ptr<boost::json::monotonic_resource> arena_;  // declared first: outlives body_
  mutable std::optional<boost::json::object> body_;
};

struct ParseLimits {
  std::size_t max_depth = 64;
  std::size_t max_messages = 10'000;
};

// Parses and validates a request body. Errors are OpenAI-format 400s naming the offending parameter.
core::Expected<ChatRequest> parse_chat_request(std::string_view body, const ParseLimits& limits = {});

// The body to send to an OpenAI-compatible upstream: every field intact, `model` set to `model`. A changed body is
// `req.raw`'s top-level members copied as written (the extension fields and, where the model changes, every
// `model` left out; the new `model` first): `req` must be what parse_chat_request returned (a validated `raw`).
std::string forward_body(const ChatRequest& req, std::string_view model);
// The same, or nothing when that is `req.raw` unchanged (byte for byte: sent without a copy).
std::optional<std::string> changed_body(const ChatRequest& req, std::string_view model);

// True when every number in `v` is finite. Boost.JSON 1.81 reads 1e999 as infinity and 0e999 as NaN, and writes
// them back as `Infinity` and `NaN`, which are not JSON.
[[nodiscard]] bool numbers_finite(const boost::json::value& v);

// True when the JSON number `literal` (as written) is, exactly, 1e308 or more in magnitude, or is a zero with an
// exponent above 308. Requests with such a number are refused (400 `invalid_json`, kNumberOutOfRange): whatever
// the body's layout, every number of an accepted request is then a finite double in its JSON tree. (Boost.JSON's
// own reading is inexact and depends on how many bytes follow the number, so it cannot draw the line itself.)
[[nodiscard]] bool number_beyond_range(std::string_view literal);

inline constexpr const char* kNumberOutOfRange =
    "The request body has a number of 1e308 or more in magnitude (or a zero with an exponent above 308): numbers "
    "must be within the range of a double-precision value.";

// Text of a message's `content`: a string, or the concatenated `text` parts of a content array.
std::string content_text(const boost::json::value& content);

// The text of the last `role:"user"` message, if any.
std::optional<std::string> last_user_text(const ChatRequest& req);

}  // namespace sb::openai
