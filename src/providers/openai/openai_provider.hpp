// `openai`: any OpenAI-compatible upstream. The request goes up with every field intact (minus the proxy's
// extension fields); streams and bodies come back untouched, event by event.
#pragma once
#include "core/provider.hpp"
#include "http/client.hpp"
#include "openai/json_text.hpp"

namespace sb::providers {

struct OpenAIConfig {
  std::string name = "openai";
  std::string base_url = "https://api.openai.com/v1";
  std::string api_key;
  std::string default_model = "gpt-4o-mini";
  http::UpstreamTimeouts timeouts;
  std::vector<std::string> secrets;  // scrubbed from anything sent back
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers sent upstream
  bool azure = false;       // Azure OpenAI: api-key header, deployment URLs, api-version query
  std::string api_version;  // azure only
};

class OpenAIProvider final : public core::Provider {
 public:
  explicit OpenAIProvider(OpenAIConfig cfg);
  [[nodiscard]] const std::string& name() const override { return cfg_.name; }
  [[nodiscard]] bool available() const override { return !cfg_.api_key.empty() && origin_.has_value(); }
  [[nodiscard]] std::string missing_settings() const override;
  [[nodiscard]] std::string default_model() const override { return cfg_.default_model; }
  core::net::awaitable<void> chat(const core::RequestContext& ctx, const openai::ChatRequest& req,
                                  const std::string& model, core::ResponseSink& sink) override;

 private:
  core::net::awaitable<void> relay_stream(http::UpstreamCall& call, core::ResponseSink& sink);
  [[nodiscard]] std::optional<core::ApiError> check_event(std::string_view data, core::BodyFacts& facts,
                                                        openai::EventChecker& checker) const;

  OpenAIConfig cfg_;
  std::optional<http::Origin> origin_;
  std::string authorization_;
  std::string target_;
};

}  // namespace sb::providers
