// `mock`: deterministic, no network. Quotes the last user message back, word by word at a set pace.
#pragma once
#include <chrono>

#include "core/provider.hpp"

namespace sb::providers {

struct MockReply {
  std::vector<std::string> words;           // text deltas, spaces kept ("Hello", " world")
  std::optional<core::ToolCallDelta> tool;  // set when the mock calls a tool instead
  core::Usage usage;
};

// Pure: what the mock answers to `req`.
MockReply mock_reply(const openai::ChatRequest& req);

class MockProvider final : public core::Provider {
 public:
  MockProvider(std::string name, std::chrono::milliseconds interval) : name_(std::move(name)), interval_(interval) {}
  [[nodiscard]] const std::string& name() const override { return name_; }
  [[nodiscard]] bool available() const override { return true; }
  [[nodiscard]] std::string missing_settings() const override { return {}; }
  [[nodiscard]] std::string default_model() const override { return "mock-1"; }
  core::net::awaitable<void> chat(const core::RequestContext& ctx, const openai::ChatRequest& req,
                                  const std::string& model, core::ResponseSink& sink) override;

 private:
  std::string name_;
  std::chrono::milliseconds interval_;
};

}  // namespace sb::providers
