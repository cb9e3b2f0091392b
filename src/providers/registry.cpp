#include "providers/registry.hpp"

#include "providers/mock/mock_provider.hpp"
#include "providers/openai/openai_provider.hpp"

namespace sb::providers {

namespace {

http::UpstreamTimeouts timeouts(const core::Settings& s) {
  return {s.connect_timeout, s.first_byte_timeout, s.upstream_idle_timeout};
}

}  // namespace

core::Expected<core::Registry, std::string> build_registry(const core::Settings& s) {
  core::Registry r;
  // One line per provider.
  r.add(std::make_unique<OpenAIProvider>(
      OpenAIConfig{"openai", s.openai_base_url, s.openai_api_key, s.openai_model, timeouts(s), s.secrets()}));
  r.add(std::make_unique<MockProvider>("mock", std::chrono::milliseconds(s.mock_interval_ms)));

  if (!s.provider_name.empty()) {
    if (!r.find(s.provider_name)) return "PROVIDER_NAME=" + s.provider_name + " names no known provider";
    r.set_default(s.provider_name);
  } else if (!s.openai_api_key.empty()) {
    r.set_default("openai");
  } else if (!s.agent_id.empty() && r.find("bedrock")) {
    r.set_default("bedrock");
  } else {
    r.set_default("mock");
  }
  return r;
}

}  // namespace sb::providers
