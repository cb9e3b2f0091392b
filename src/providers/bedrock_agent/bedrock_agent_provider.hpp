// `bedrock`: Amazon Bedrock Agents (InvokeAgent). The transport: credentials, SigV4, the upstream call and the
// event-stream read loop; the format work is in request_mapping, stream_mapping and error_mapping.
#pragma once
#include <atomic>
#include <memory>

#include "aws/credentials.hpp"
#include "core/provider.hpp"
#include "core/settings.hpp"
#include "http/client.hpp"

namespace sb::providers {

struct BedrockAgentConfig {
  std::string name = "bedrock";
  std::string agent_id;
  std::string agent_alias_id;
  std::string region = "us-east-1";
  std::string endpoint_url;             // empty: https://bedrock-agent-runtime.{region}.amazonaws.com
  aws::Credentials static_credentials;  // win over the chain when key and secret are set
  std::string default_model = "bedrock-agent";
  http::UpstreamTimeouts timeouts;
  std::vector<std::string> secrets;  // scrubbed from anything passed on
};

class BedrockAgentProvider final : public core::Provider {
 public:
  // `chain`: the credentials chain, used when the config has no static keys (may be null: then unavailable).
  // `chain_ready`: whether the chain is known to have a source (checked at startup).
  BedrockAgentProvider(BedrockAgentConfig cfg, std::shared_ptr<aws::CredentialsProvider> chain, bool chain_ready);

  [[nodiscard]] const std::string& name() const override { return cfg_.name; }
  [[nodiscard]] bool available() const override;
  [[nodiscard]] std::string missing_settings() const override;
  [[nodiscard]] std::string default_model() const override { return cfg_.default_model; }
  core::net::awaitable<void> chat(const core::RequestContext& ctx, const openai::ChatRequest& req,
                                  const std::string& model, core::ResponseSink& sink) override;

  [[nodiscard]] const std::string& endpoint() const { return endpoint_; }
  [[nodiscard]] std::uint64_t traces_seen() const { return traces_.load(std::memory_order_relaxed); }

 private:
  [[nodiscard]] bool has_static_credentials() const;
  core::net::awaitable<core::Expected<aws::Credentials, std::string>> credentials();

  BedrockAgentConfig cfg_;
  std::shared_ptr<aws::CredentialsProvider> chain_;
  bool chain_ready_ = false;
  std::string endpoint_;
  std::optional<http::Origin> origin_;
  std::atomic<std::uint64_t> traces_{0};
};

// From the settings (SPEC §1): static keys when set, else the AWS chain from the process environment, checked
// once now (startup; may take a second when only EC2 instance metadata could answer).
std::unique_ptr<core::Provider> make_bedrock_agent_provider(const core::Settings& s, std::string name = "bedrock");

}  // namespace sb::providers
