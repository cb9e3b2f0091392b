// Where a provider's events go. StreamSink writes SSE chunks as events arrive; CollectSink assembles one
// chat.completion. Providers never know which one they feed.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/api_error.hpp"
#include "core/events.hpp"
#include "core/reply_capture.hpp"

namespace sb::core {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

// What happened, for logs and metrics.
struct Outcome {
  int status = 0;
  std::optional<Clock::time_point> first_token;  // first content token or tool call
  std::string finish_reason;
  std::optional<Usage> usage;
  std::optional<ApiError> error;
  bool client_disconnected = false;
};

class ResponseSink {
 public:
  virtual ~ResponseSink() = default;

  // Events built by the provider (the role chunk is implied before the first content).
  virtual net::awaitable<void> text(std::string_view delta) = 0;
  virtual net::awaitable<void> tool_call(const ToolCallDelta& delta) = 0;
  virtual net::awaitable<void> finish(std::string_view reason) = 0;
  virtual net::awaitable<void> usage(const Usage& usage) = 0;
  // A failure: an HTTP error if nothing was sent yet, else an `error` event that ends the stream.
  virtual net::awaitable<void> fail(const ApiError& error) = 0;

  // OpenAI-compatible upstreams: their SSE events and bodies pass through untouched.
  // `facts` were read from the event's data when the provider checked it.
  virtual net::awaitable<void> relay_event(std::string_view raw_event, const BodyFacts& facts) = 0;
  virtual net::awaitable<void> relay_done() = 0;
  // `facts` were read from `body` when the provider checked it.
  virtual net::awaitable<void> relay_body(int status, std::string& body, const BodyFacts& facts) = 0;

  // True once bytes of the response have gone to the client: from then on no retry or fallback is possible.
  [[nodiscard]] virtual bool committed() const = 0;
  [[nodiscard]] virtual bool streaming() const = 0;

  Outcome outcome;
  // When set (the message log is on), the sink also records the reply here.
  ReplyCapture* capture = nullptr;
};

}  // namespace sb::core
