// Every setting of SPEC §1, after defaults, .env, environment and flags have been applied.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/api_keys.hpp"
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
  ApiKeySet api_keys;         // SWITCHBOARD_API_KEYS, as digests
  bool barge_in = false;      // BARGE_IN: a newer request of a session cancels the older one still running
  bool metrics_auth = false;  // SWITCHBOARD_METRICS_AUTH: /metrics needs a proxy key too
  unsigned rate_limit_rpm = 0;         // RATE_LIMIT_RPM, per key (or client address); 0 = off
  unsigned rate_limit_concurrent = 0;  // RATE_LIMIT_CONCURRENT, in-flight chat completions per key; 0 = off
  std::string message_log;
  std::uint64_t message_log_max_bytes = 100ull * 1024 * 1024;  // MESSAGE_LOG_MAX_BYTES, 0 = never rotate
  unsigned message_log_keep = 5;                               // MESSAGE_LOG_KEEP: rotated files kept
  bool message_log_redact_content = false;                     // MESSAGE_LOG_REDACT=content
  std::size_t metrics_max_models = 100;                        // METRICS_MAX_MODELS: distinct model labels

  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_header_count = 100;   // MAX_HEADER_COUNT
  std::size_t max_url_bytes = 8 * 1024;  // MAX_URL_BYTES
  std::size_t max_connections = 4096;    // MAX_CONNECTIONS
  std::size_t max_json_depth = 64;       // MAX_JSON_DEPTH
  std::size_t max_messages = 10'000;     // MAX_MESSAGES
  std::string tls_cert_file, tls_key_file;  // --tls-cert / TLS_CERT_FILE, --tls-key / TLS_KEY_FILE: HTTPS listener
  milliseconds idle_timeout{60'000};
  milliseconds request_timeout{30'000};
  milliseconds connect_timeout{5'000};
  milliseconds first_byte_timeout{60'000};
  milliseconds upstream_idle_timeout{60'000};
  milliseconds sse_keepalive{10'000};
  milliseconds drain_timeout{10'000};

  FileConfig file_config;                 // from --config / SWITCHBOARD_CONFIG (empty without one)
  std::vector<std::string> config_warnings;  // unknown keys in the config file

  // Every secret value, so logs and errors can be scrubbed of them.
  [[nodiscard]] std::vector<std::string> secrets() const;
};

}  // namespace sb::core
