#include "providers/registry.hpp"

#include <spdlog/spdlog.h>

#include "providers/bedrock_agent/bedrock_agent_provider.hpp"
#include "providers/mock/mock_provider.hpp"
#include "providers/openai/openai_provider.hpp"

namespace sb::providers {

namespace {

http::UpstreamTimeouts timeouts(const core::ProviderTimeouts& t) { return {t.connect, t.first_byte, t.idle}; }

core::ProviderTimeouts env_timeouts(const core::Settings& s) {
  core::ProviderTimeouts t;
  t.connect = s.connect_timeout;
  t.first_byte = s.first_byte_timeout;
  t.idle = s.upstream_idle_timeout;
  return t;
}

// A provider of the YAML config (SPEC §9), by its type.
std::unique_ptr<core::Provider> from_spec(const core::ProviderSpec& p, const core::Settings& s) {
  if (p.type == "openai" || p.type == "azure") {
    OpenAIConfig c;
    c.name = p.name;
    if (!p.base_url.empty()) c.base_url = p.base_url;
    c.api_key = p.api_key;
    if (!p.default_model.empty()) c.default_model = p.default_model;
    c.timeouts = timeouts(p.timeouts);
    c.secrets = s.secrets();
    c.headers = p.headers;
    c.azure = p.type == "azure";
    c.api_version = p.api_version;
    return std::make_unique<OpenAIProvider>(std::move(c));
  }
  if (p.type == "bedrock") {
    core::Settings b = s;  // the environment's AWS settings, overridden by the entry's
    b.agent_id = p.agent_id;
    b.agent_alias_id = p.agent_alias_id;
    if (!p.region.empty()) b.aws_region = p.region;
    if (!p.endpoint_url.empty()) b.aws_endpoint_url = p.endpoint_url;
    if (!p.access_key_id.empty()) {
      b.aws_access_key_id = p.access_key_id;
      b.aws_secret_access_key = p.secret_access_key;
      b.aws_session_token = p.session_token;
    }
    b.connect_timeout = p.timeouts.connect;
    b.first_byte_timeout = p.timeouts.first_byte;
    b.upstream_idle_timeout = p.timeouts.idle;
    return make_bedrock_agent_provider(b, p.name);
  }
  return std::make_unique<MockProvider>(
      p.name, std::chrono::milliseconds(p.interval_ms >= 0 ? p.interval_ms : s.mock_interval_ms));
}

}  // namespace

core::Expected<core::Registry, std::string> build_registry(const core::Settings& s) {
  core::Registry r;
  // The environment's providers, one line each (SPEC §1)...
  r.add(std::make_unique<OpenAIProvider>(OpenAIConfig{"openai", s.openai_base_url, s.openai_api_key, s.openai_model,
                                                      timeouts(env_timeouts(s)), s.secrets(), {}, false, {}}));
  r.add(make_bedrock_agent_provider(s));
  r.add(std::make_unique<MockProvider>("mock", std::chrono::milliseconds(s.mock_interval_ms)));
  for (auto& p : r.all()) p->timeouts = env_timeouts(s);

  // ...then the config file's, which replace an environment provider of the same name (SPEC §9).
  for (const auto& spec : s.file_config.providers) {
    auto p = from_spec(spec, s);
    p->retry = spec.retry;
    p->timeouts = spec.timeouts;
    p->breaker.set_policy(spec.breaker);
    r.add(std::move(p));
  }
  r.set_models(s.file_config.models);

  const std::string configured_default =
      !s.provider_name.empty() ? s.provider_name : s.file_config.default_provider;
  if (!configured_default.empty()) {
    if (!r.find(configured_default)) {
      const char* from = s.provider_name.empty() ? "default_provider" : "PROVIDER_NAME";
      return std::string(from) + "=" + configured_default + " names no known provider";
    }
    r.set_default(configured_default);
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
