// Sits between a provider attempt and the client's sink. Until the first byte goes out, failures are kept (so the
// executor can retry or fall back) and relayed events are held back until the first content token (so a
// first-token deadline can still switch providers cleanly).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/sink.hpp"

namespace sb::core {

class GuardedSink final : public ResponseSink {
 public:
  GuardedSink(ResponseSink& inner, bool hold_relay_until_token) : inner_(inner), hold_(hold_relay_until_token) {}

  net::awaitable<void> text(std::string_view delta) override;
  net::awaitable<void> tool_call(const ToolCallDelta& delta) override;
  net::awaitable<void> finish(std::string_view reason) override;
  net::awaitable<void> usage(const Usage& usage) override;
  net::awaitable<void> fail(const ApiError& error) override;
  net::awaitable<void> relay_event(std::string_view raw_event, const BodyFacts& facts) override;
  net::awaitable<void> relay_done() override;
  net::awaitable<void> relay_body(int status, std::string& body, const BodyFacts& facts) override;
  [[nodiscard]] bool committed() const override { return inner_.committed() || forwarded_; }
  [[nodiscard]] bool streaming() const override { return inner_.streaming(); }

  // Sends what was held back (the attempt completed without a content token, e.g. an empty answer).
  net::awaitable<void> flush();
  [[nodiscard]] bool saw_first_token() const { return first_token_; }
  [[nodiscard]] const std::optional<ApiError>& held_error() const { return error_; }

 private:
  net::awaitable<void> forward_held();
  ResponseSink& inner_;
  bool hold_;
  bool first_token_ = false;
  bool forwarded_ = false;
  std::vector<std::pair<std::string, BodyFacts>> held_;
  std::optional<ApiError> error_;
};

// True if a raw OpenAI SSE event carries content text or a tool call (cheap scan, no JSON parse).
bool event_has_token(std::string_view raw_event);

}  // namespace sb::core
