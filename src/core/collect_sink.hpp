#pragma once
#include <map>

#include "core/sink.hpp"
#include "openai/chunk.hpp"

namespace sb::core {

// Assembles one non-streaming chat.completion from the provider's events.
class CollectSink final : public ResponseSink {
 public:
  // The completion id is made only if the answer is assembled here (a relayed body keeps its own).
  CollectSink(std::int64_t created, std::string model);

  net::awaitable<void> text(std::string_view delta) override;
  net::awaitable<void> tool_call(const ToolCallDelta& delta) override;
  net::awaitable<void> finish(std::string_view reason) override;
  net::awaitable<void> usage(const Usage& usage) override;
  net::awaitable<void> fail(const ApiError& error) override;
  net::awaitable<void> relay_event(std::string_view raw_event, const BodyFacts& facts) override;
  net::awaitable<void> relay_done() override;
  net::awaitable<void> relay_body(int status, std::string& body, const BodyFacts& facts) override;
  [[nodiscard]] bool committed() const override { return false; }
  [[nodiscard]] bool streaming() const override { return false; }

  // The response to send: status and JSON body (moved out: call once, at the end).
  [[nodiscard]] std::pair<int, std::string> take_response();

 private:
  openai::Completion completion_;
  std::map<int, openai::ToolCall> tool_calls_;
  bool finished_ = false;
  std::optional<std::pair<int, std::string>> relayed_;
};

}  // namespace sb::core
