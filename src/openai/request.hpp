// The OpenAI chat-completions request as the proxy sees it: parsed once, validated, extension fields split off.
#pragma once
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace sb::openai {

struct ChatRequest {
  // Holds every node of `body` (declared first, so it outlives it): one block or two per request instead of an
  // allocation per node, and nothing to free node by node (a monotonic resource's deallocation is a no-op, so
  // Boost.JSON skips walking the tree). Everything made from `body` by copy shares it: keep such copies local.
  std::unique_ptr<boost::json::monotonic_resource> arena;
  boost::json::object body;  // the request, minus the extension fields
  std::string_view raw;      // the bytes as received (owned by the HTTP request; valid while it is handled)
  bool extensions_removed = false;
  std::optional<std::string> model;
  bool stream = false;
  bool include_usage = false;
  std::optional<std::string> provider;    // extension field
  std::optional<std::string> session_id;  // extension field

  [[nodiscard]] const boost::json::array& messages() const;
  [[nodiscard]] bool has_tools() const;
};

struct ParseLimits {
  std::size_t max_depth = 64;
  std::size_t max_messages = 10'000;
};

// Parses and validates a request body. Errors are OpenAI-format 400s naming the offending parameter.
core::Expected<ChatRequest> parse_chat_request(std::string_view body, const ParseLimits& limits = {});

// The body to send to an OpenAI-compatible upstream: every field intact, `model` set to `model`.
std::string forward_body(const ChatRequest& req, std::string_view model);

// Text of a message's `content`: a string, or the concatenated `text` parts of a content array.
std::string content_text(const boost::json::value& content);

// The text of the last `role:"user"` message, if any.
std::optional<std::string> last_user_text(const ChatRequest& req);

}  // namespace sb::openai
