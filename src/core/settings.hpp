// Every setting of SPEC §1, after defaults, .env, environment and flags have been applied.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/provider_config.hpp"

namespace sb::core {

using std::chrono::milliseconds;

struct Settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 5000;
  unsigned threads = 0;  // 0 = one per core
  std::string config_path;
  std::string env_file = ".env";
  std::string log_level = "info";
  std::string log_format = "text";

  std::string provider_name;  // PROVIDER_NAME
  std::string openai_api_key;
  std::string openai_model = "gpt-4o-mini";
  std::string openai_base_url = "https://api.openai.com/v1";

  std::string agent_id, agent_alias_id;
  std::string aws_access_key_id, aws_secret_access_key, aws_session_token;
  std::string aws_region = "us-east-1";
  std::string aws_endpoint_url;  // AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME or AWS_ENDPOINT_URL

  int mock_interval_ms = 20;
  std::vector<std::string> api_keys;
  std::string message_log;

  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  milliseconds idle_timeout{60'000};
  milliseconds request_timeout{30'000};
  milliseconds connect_timeout{5'000};
  milliseconds first_byte_timeout{60'000};
  milliseconds upstream_idle_timeout{60'000};
  milliseconds sse_keepalive{10'000};
  milliseconds drain_timeout{10'000};

  FileConfig file_config;                    // from --config / SWITCHBOARD_CONFIG (empty without one)
  std::vector<std::string> config_warnings;  // unknown keys in the config file

  // Every secret value, so logs and errors can be scrubbed of them.
  [[nodiscard]] std::vector<std::string> secrets() const;
};

}  // namespace sb::core
