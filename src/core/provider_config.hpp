// Provider definitions and model routes: from the environment (SPEC §1) and the YAML config (SPEC §9).
#pragma once
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace sb::core {

using std::chrono::milliseconds;

struct RetryPolicy {
  int attempts = 1;  // includes the first try
  milliseconds backoff{100};
  milliseconds max_wait{5000};  // longest backoff or retry-after worth waiting for
};

struct BreakerPolicy {
  int failures = 0;  // consecutive failures that open the breaker; 0 = no breaker
  milliseconds cooldown{30'000};
};

struct ProviderTimeouts {
  milliseconds connect{5'000};
  milliseconds first_byte{60'000};
  milliseconds first_token{0};  // 0 = none
  milliseconds idle{60'000};
  milliseconds total{0};  // 0 = none
};

struct ProviderSpec {
  std::string name;
  std::string type;  // openai | azure | bedrock | mock
  std::string base_url, api_key, default_model, api_version;
  std::vector<std::pair<std::string, std::string>> headers;
  ProviderTimeouts timeouts;
  RetryPolicy retry;
  BreakerPolicy breaker;
  std::string agent_id, agent_alias_id, region, endpoint_url;
  std::string access_key_id, secret_access_key, session_token;
  int interval_ms = -1;  // mock pace; -1 = MOCK_INTERVAL_MS
  int line = 0;          // where it was defined (config errors name it)
};

struct ModelTarget {
  std::string provider, model;
};

struct ModelRoute {
  std::string name;  // public model name (alias)
  ModelTarget target;
  std::vector<ModelTarget> fallbacks;
};

struct FileConfig {
  std::string path;
  std::string default_provider;
  std::vector<ProviderSpec> providers;
  std::vector<ModelRoute> models;
};

}  // namespace sb::core
