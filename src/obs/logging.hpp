// Single-line logs, text or JSON, filtered by LOG_LEVEL. Every line passes through a scrubber that replaces
// each registered secret (API keys, AWS secrets) with "***", whoever logged it.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::obs {

void setup_logging(std::string_view level, std::string_view format);
bool json_logs();

// Secrets that must never appear in a log line (values shorter than 4 characters are ignored).
void set_log_secrets(std::vector<std::string> secrets);
// Adds one (e.g. credentials found at run time by the AWS chain). Thread-safe.
void add_log_secret(std::string secret);
// Replaces every registered secret in `text` with "***"; returns whether anything was replaced.
bool scrub_log_secrets(std::string& text);

struct RequestLog {
  std::string_view request_id, method, path, provider, model, session_id;
  std::string_view key_name;  // the proxy key's name (never the key itself); empty without proxy keys
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

// The request lines of one event-loop turn written together. From now on this thread's log_request holds its line, and
// for the first line of a turn calls `schedule(context)`, which must make flush_request_lines() run on this thread
// once the handlers already queued have run (post it to the thread's io_context). Lines keep their order: a line
// written through the logger on this thread first writes the held ones, as does the thread's exit.
void hold_request_lines(void (*schedule)(void* context), void* context);
// Writes the request lines this thread holds, in as few writes as PIPE_BUF-sized pieces of whole lines allow.
void flush_request_lines();

// The text-format line of a request (without timestamp and level): `request request_id=… provider=… …`.
// Values with spaces, quotes, '=' or control characters are quoted and escaped, so a line is always one line.
std::string format_request_text(const RequestLog& r);
// The JSON-format object of a request: `{"request_id":…,…}`.
std::string format_request_json(const RequestLog& r);

}  // namespace sb::obs
