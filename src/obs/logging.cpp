#include "obs/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <mutex>

#include "openai/json_text.hpp"

namespace sb::obs {
namespace {

bool g_json = false;

// The registered secrets; swapped as a whole so a reader never sees a half-updated list.
std::mutex g_secrets_mu;
std::shared_ptr<const std::vector<std::string>> g_secrets = std::make_shared<const std::vector<std::string>>();

std::shared_ptr<const std::vector<std::string>> current_secrets() {
  std::lock_guard lock(g_secrets_mu);
  return g_secrets;
}

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

// Formats with `inner`, then removes every registered secret from the finished line.
class ScrubbingFormatter final : public spdlog::formatter {
 public:
  explicit ScrubbingFormatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    spdlog::memory_buf_t line;
    inner_->format(msg, line);
    std::string text(line.data(), line.size());
    scrub_log_secrets(text);
    dest.append(text.data(), text.data() + text.size());
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<ScrubbingFormatter>(inner_->clone());
  }

 private:
  std::unique_ptr<spdlog::formatter> inner_;
};

spdlog::level::level_enum to_level(std::string_view l) {
  if (l == "debug") return spdlog::level::debug;
  if (l == "warning") return spdlog::level::warn;
  if (l == "error") return spdlog::level::err;
  if (l == "critical") return spdlog::level::critical;
  return spdlog::level::info;
}

// A text value needs quoting when it is empty of meaning as a bare word: spaces, quotes, '=', control bytes.
bool needs_quotes(std::string_view v) {
  for (const unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  return false;
}

void append_text_value(std::string& out, std::string_view value) {
  if (value.empty()) {
    out += '-';
  } else if (!needs_quotes(value)) {
    out += value;
  } else {
    openai::append_json_string(out, value);  // "…" with \n, \", \\ and \u00XX escapes: stays on one line
  }
}

class LineBuilder {
 public:
  explicit LineBuilder(bool json) : json_(json), out_(json ? "{" : "request") {}
  void str(std::string_view key, std::string_view value) {
    key_(key);
    if (json_) {
      openai::append_json_string(out_, value);
    } else {
      append_text_value(out_, value);
    }
  }
  void raw(std::string_view key, std::string_view value) {  // numbers, booleans, null
    key_(key);
    out_ += !json_ && value == "null" ? std::string_view("-") : value;
  }
  std::string finish() {
    if (json_) out_ += '}';
    return std::move(out_);
  }

 private:
  void key_(std::string_view key) {
    if (json_) {
      out_ += out_.size() > 1 ? ",\"" : "\"";
      out_ += key;
      out_ += "\":";
    } else {
      out_ += ' ';
      out_ += key;
      out_ += '=';
    }
  }
  bool json_;
  std::string out_;
};

std::string fmt_ms(double ms) {
  char b[32];
  const auto r = std::to_chars(b, b + sizeof b, ms, std::chars_format::fixed, 1);
  return {b, r.ptr};
}

std::string format_request(const RequestLog& r, bool json) {
  LineBuilder b(json);
  b.str("request_id", r.request_id);
  b.str("method", r.method);
  b.str("path", r.path);
  b.str("provider", r.provider);
  b.str("model", r.model);
  if (!r.session_id.empty()) b.str("session_id", r.session_id);
  if (!r.key_name.empty()) b.str("key", r.key_name);
  b.raw("stream", r.stream ? "true" : "false");
  b.raw("status", std::to_string(r.status));
  b.raw("ttft_ms", r.ttft_ms ? fmt_ms(*r.ttft_ms) : "null");
  b.raw("duration_ms", fmt_ms(r.duration_ms));
  b.raw("prompt_tokens", r.prompt_tokens ? std::to_string(*r.prompt_tokens) : "null");
  b.raw("completion_tokens", r.completion_tokens ? std::to_string(*r.completion_tokens) : "null");
  if (!r.finish_reason.empty()) b.str("finish_reason", r.finish_reason);
  if (!r.error_code.empty()) b.str("error", r.error_code);
  if (r.client_disconnected) b.raw("client_disconnected", "true");
  b.raw("retries", std::to_string(r.retries));
  return b.finish();
}

}  // namespace

bool json_logs() {
  return g_json;
}

void set_log_secrets(std::vector<std::string> secrets) {
  std::erase_if(secrets, [](const std::string& s) { return s.size() < 4; });
  auto list = std::make_shared<const std::vector<std::string>>(std::move(secrets));
  std::lock_guard lock(g_secrets_mu);
  g_secrets = std::move(list);
}

void add_log_secret(std::string secret) {
  if (secret.size() < 4) return;
  std::lock_guard lock(g_secrets_mu);
  auto list = std::make_shared<std::vector<std::string>>(*g_secrets);
  if (std::find(list->begin(), list->end(), secret) == list->end()) list->push_back(std::move(secret));
  g_secrets = std::move(list);
}

bool scrub_log_secrets(std::string& text) {
  const auto secrets = current_secrets();
  bool replaced = false;
  for (const auto& s : *secrets) {
    for (auto pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 3)) {
      text.replace(pos, s.size(), "***");
      replaced = true;
    }
  }
  return replaced;
}

void setup_logging(std::string_view level, std::string_view format) {
  g_json = format == "json";
  auto logger = std::make_shared<spdlog::logger>("switchboard", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  std::unique_ptr<spdlog::formatter> inner;
  if (g_json) {
    inner = std::make_unique<JsonFormatter>();
  } else {
    inner = std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_formatter(std::make_unique<ScrubbingFormatter>(std::move(inner)));
  logger->set_level(to_level(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::string format_request_text(const RequestLog& r) {
  return format_request(r, false);
}

std::string format_request_json(const RequestLog& r) {
  return format_request(r, true);
}

void log_request(const RequestLog& r) {
  if (!spdlog::should_log(spdlog::level::info)) return;
  spdlog::info("{}", format_request(r, g_json));
}

}  // namespace sb::obs
