#include "obs/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "openai/json_text.hpp"

namespace sb::obs {
namespace {

bool g_json = false;

// JSON lines: {"ts":…,"level":…,"msg":…}; a message that is itself a JSON object is merged in.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = "{\"ts\":\"";
    const auto t = std::chrono::system_clock::to_time_t(msg.time);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    line += buf;
    line += "\",\"level\":\"";
    const auto lv = spdlog::level::to_string_view(msg.level);
    line.append(lv.data(), lv.size());
    line += "\",";
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (payload.size() >= 2 && payload.front() == '{' && payload.back() == '}') {
      line.append(payload.substr(1));
    } else {
      line += "\"msg\":";
      openai::append_json_string(line, payload);
      line += "}";
    }
    line += "\n";
    dest.append(line.data(), line.data() + line.size());
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

spdlog::level::level_enum to_level(std::string_view l) {
  if (l == "debug") return spdlog::level::debug;
  if (l == "warning") return spdlog::level::warn;
  if (l == "error") return spdlog::level::err;
  if (l == "critical") return spdlog::level::critical;
  return spdlog::level::info;
}

void field(std::string& out, std::string_view key, std::string_view value, bool quote = true) {
  if (g_json) {
    out += out.size() > 1 ? ",\"" : "\"";
    out += key;
    out += "\":";
    if (quote) {
      openai::append_json_string(out, value);
    } else {
      out += value;
    }
  } else {
    if (!out.empty()) out += ' ';
    out += key;
    out += '=';
    out += value.empty() ? std::string_view("-") : value;
  }
}

std::string fmt_ms(double ms) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", ms);
  return b;
}

}  // namespace

bool json_logs() {
  return g_json;
}

void setup_logging(std::string_view level, std::string_view format) {
  g_json = format == "json";
  auto logger = std::make_shared<spdlog::logger>("switchboard", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (g_json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_level(to_level(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void log_request(const RequestLog& r) {
  if (!spdlog::should_log(spdlog::level::info)) return;
  std::string out = g_json ? "{" : "";
  if (!g_json) out = "request";
  field(out, "request_id", r.request_id);
  field(out, "method", r.method);
  field(out, "path", r.path);
  field(out, "provider", r.provider);
  field(out, "model", r.model);
  field(out, "stream", r.stream ? "true" : "false", false);
  field(out, "status", std::to_string(r.status), false);
  field(out, "ttft_ms", r.ttft_ms ? fmt_ms(*r.ttft_ms) : (g_json ? "null" : "-"), false);
  field(out, "duration_ms", fmt_ms(r.duration_ms), false);
  field(out, "prompt_tokens", r.prompt_tokens ? std::to_string(*r.prompt_tokens) : (g_json ? "null" : "-"), false);
  field(out, "completion_tokens", r.completion_tokens ? std::to_string(*r.completion_tokens) : (g_json ? "null" : "-"),
        false);
  if (!r.finish_reason.empty()) field(out, "finish_reason", r.finish_reason);
  if (!r.error_code.empty()) field(out, "error", r.error_code);
  if (r.client_disconnected) field(out, "client_disconnected", "true", false);
  field(out, "retries", std::to_string(r.retries), false);
  if (g_json) out += "}";
  spdlog::info("{}", out);
}

}  // namespace sb::obs
