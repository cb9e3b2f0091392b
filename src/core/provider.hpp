// The provider interface: an OpenAI request in, events out to a sink.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "core/circuit_breaker.hpp"
#include "core/provider_config.hpp"
#include "core/sink.hpp"
#include "openai/request.hpp"

namespace sb::core {

// What a provider knows of the client's request besides its body. The views point into the server's request,
// which outlives the provider's call.
struct RequestContext {
  std::string_view request_id;
  std::string_view session_header;  // X-Session-Id, if the client sent one
  Clock::time_point received{};     // when the whole request had arrived
};

class Provider {
 public:
  virtual ~Provider() = default;
  [[nodiscard]] virtual const std::string& name() const = 0;
  [[nodiscard]] virtual bool available() const = 0;
  // The settings a user must provide to make an unavailable provider available (for 503 messages).
  [[nodiscard]] virtual std::string missing_settings() const = 0;
  [[nodiscard]] virtual std::string default_model() const = 0;
  // Answers `req` (addressed to `model`) into `sink`. Errors are reported through `sink.fail`.
  virtual net::awaitable<void> chat(const RequestContext& ctx, const openai::ChatRequest& req, const std::string& model,
                                    ResponseSink& sink) = 0;

  // How the router treats this provider: retries, deadlines, breaker (from the YAML config; defaults otherwise).
  RetryPolicy retry;
  ProviderTimeouts timeouts;
  CircuitBreaker breaker;
};

}  // namespace sb::core
