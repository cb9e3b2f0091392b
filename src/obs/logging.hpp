// Single-line logs, text or JSON, filtered by LOG_LEVEL.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sb::obs {

void setup_logging(std::string_view level, std::string_view format);
bool json_logs();

struct RequestLog {
  std::string_view request_id, method, path, provider, model;
  bool stream = false;
  int status = 0;
  std::optional<double> ttft_ms;
  double duration_ms = 0;
  std::optional<long long> prompt_tokens, completion_tokens;
  std::string_view finish_reason;
  std::string_view error_code;
  bool client_disconnected = false;
  int retries = 0;
};

// One INFO line per request.
void log_request(const RequestLog& r);

}  // namespace sb::obs
