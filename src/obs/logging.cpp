#include "obs/logging.hpp"

#include <spdlog/details/console_globals.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <climits>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>

#include "openai/json_text.hpp"

namespace sb::obs {
namespace {

bool g_json = false;

// The registered secrets; swapped as a whole so a reader never sees a half-updated list. Each thread keeps the
// list it last saw and takes the lock only when the generation says the list changed (secrets change rarely,
// lines are written on every request).
std::mutex g_secrets_mu;
std::shared_ptr<const std::vector<std::string>> g_secrets = std::make_shared<const std::vector<std::string>>();
std::atomic<std::uint64_t> g_secrets_generation{1};

// This thread's copy of the list, with a Boyer-Moore-Horspool searcher per secret (a line is searched in strides
// of the secret's length; glibc's memmem cost ~4 instructions per byte of every request line).
struct SecretSearch {
  using Searcher = std::boyer_moore_horspool_searcher<std::string::const_iterator>;
  std::uint64_t seen = 0;
  std::shared_ptr<const std::vector<std::string>> list;  // owns the bytes the searchers point into
  std::vector<Searcher> searchers;
};

const SecretSearch& current_secrets() {
  thread_local SecretSearch cached;
  const auto generation = g_secrets_generation.load(std::memory_order_acquire);
  if (generation != cached.seen) {
    {
      std::lock_guard lock(g_secrets_mu);
      cached.list = g_secrets;
      cached.seen = g_secrets_generation.load(std::memory_order_relaxed);
    }
    cached.searchers.clear();
    for (const auto& s : *cached.list) cached.searchers.emplace_back(s.begin(), s.end());
  }
  return cached;
}

void publish_secrets(std::shared_ptr<const std::vector<std::string>> list) {  // g_secrets_mu held
  g_secrets = std::move(list);
  g_secrets_generation.fetch_add(1, std::memory_order_release);
}

// The start of a line as the logger writes it: text `2026-01-31T12:00:00.123 info  ` (local time and the level
// padded to five, as the pattern `%Y-%m-%dT%H:%M:%S.%e %-5l `), JSON `{"ts":"2026-01-31T12:00:00.123Z","level":"info",`
// (UTC). The date and time to the second are formatted once a second per thread.
void append_line_start(std::string& out, std::chrono::system_clock::time_point t, spdlog::string_view_t level,
                       bool json) {
  const auto since = t.time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since).count();
  const auto ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(since).count() % 1000);
  thread_local long long cached_secs = -1;
  thread_local bool cached_json = false;
  thread_local char cached[64];  // YYYY-mm-ddTHH:MM:SS
  if (secs != cached_secs || json != cached_json) {
    const auto tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    if (json) {
      gmtime_r(&tt, &tm);
    } else {
      localtime_r(&tt, &tm);
    }
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
    cached_json = json;
  }
  const char millis[4] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                          static_cast<char>('0' + ms % 10)};
  if (json) out += "{\"ts\":\"";
  out += cached;
  out.append(millis, sizeof millis);
  if (json) {
    out += "Z\",\"level\":\"";
    out.append(level.data(), level.size());
    out += "\",";
  } else {
    out += ' ';
    out.append(level.data(), level.size());
    out.append(level.size() < 5 ? 5 - level.size() : 0, ' ');
    out += ' ';
  }
}

// JSON lines: {"ts":…,"level":…,"msg":…}; a message that is itself a JSON object is merged in.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    append_line_start(line, msg.time, spdlog::level::to_string_view(msg.level), true);
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
constexpr std::array<bool, 256> kNeedsQuotes = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c <= ' '; ++c) t[c] = true;
  t['"'] = t['='] = t['\\'] = t[0x7f] = true;
  return t;
}();
// Sixteen bytes at a time where the value has them (the last sixteen overlapping the ones before), else byte by
// byte with the table.
bool needs_quotes(std::string_view v) {
#if defined(__SSE2__)
  if (v.size() >= 16) {
    const auto special = [](const char* p) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(' ')), x);  // x <= ' '
      const __m128i hit = _mm_or_si128(
          _mm_or_si128(low, _mm_cmpeq_epi8(x, _mm_set1_epi8('"'))),
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('=')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                       _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))));
      return _mm_movemask_epi8(hit) != 0;
    };
    for (std::size_t i = 0; i + 16 < v.size(); i += 16)
      if (special(v.data() + i)) return true;
    return special(v.data() + v.size() - 16);
  }
#endif
  for (const unsigned char c : v)
    if (kNeedsQuotes[c]) return true;
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

// A field's name as it is written: ` name=` in text lines, `,"name":` in JSON (one append either way).
struct Key {
  std::string_view text, json;
};
#define SB_LOG_KEY(name) \
  Key { " " name "=", ",\"" name "\":" }

// Appends a request's fields to `out`: ` key=value` pairs after "request", or a JSON object.
class LineBuilder {
 public:
  LineBuilder(std::string& out, bool json) : json_(json), out_(out), start_(out.size()) {
    out_ += json ? "{" : "request";
  }
  void str(Key key, std::string_view value) {
    key_(key);
    if (json_) {
      openai::append_json_string(out_, value);
    } else {
      append_text_value(out_, value);
    }
  }
  void raw(Key key, std::string_view value) {  // numbers, booleans, null
    key_(key);
    out_ += !json_ && value == "null" ? std::string_view("-") : value;
  }
  void finish() {
    if (json_) out_ += '}';
  }

 private:
  void key_(Key key) {
    if (!json_) {
      out_ += key.text;
    } else {
      out_ += out_.size() > start_ + 1 ? key.json : key.json.substr(1);  // no comma before the first member
    }
  }
  bool json_;
  std::string& out_;
  std::size_t start_;
};

// Numbers formatted in place (no std::string per field). Copyable: the view is made from the object's own buffer.
struct Num {
  char buf[32];
  std::size_t len = 0;
  explicit Num(long long v) : len(static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf)) {}
  static Num ms(double v) {  // one decimal, rounded half away from zero (as printf's %.1f, ties aside)
    Num n(0);
    char* p = n.buf;
    if (!(std::fabs(v) < 1e15)) {
      p = std::to_chars(n.buf, n.buf + sizeof n.buf, v, std::chars_format::fixed, 1).ptr;
    } else {
      const long long tenths = std::llround(v * 10);
      const unsigned long long mag = tenths < 0 ? 0ULL - static_cast<unsigned long long>(tenths) : tenths;
      if (tenths < 0) *p++ = '-';
      p = std::to_chars(p, n.buf + sizeof n.buf - 2, mag / 10).ptr;
      *p++ = '.';
      *p++ = static_cast<char>('0' + mag % 10);
    }
    n.len = static_cast<std::size_t>(p - n.buf);
    return n;
  }
  [[nodiscard]] std::string_view text() const { return {buf, len}; }
};

void format_request(std::string& out, const RequestLog& r, bool json) {
  LineBuilder b(out, json);
  b.str(SB_LOG_KEY("request_id"), r.request_id);
  b.str(SB_LOG_KEY("method"), r.method);
  b.str(SB_LOG_KEY("path"), r.path);
  b.str(SB_LOG_KEY("provider"), r.provider);
  b.str(SB_LOG_KEY("model"), r.model);
  if (!r.session_id.empty()) b.str(SB_LOG_KEY("session_id"), r.session_id);
  if (!r.key_name.empty()) b.str(SB_LOG_KEY("key"), r.key_name);
  b.raw(SB_LOG_KEY("stream"), r.stream ? "true" : "false");
  b.raw(SB_LOG_KEY("status"), Num(r.status).text());
  b.raw(SB_LOG_KEY("ttft_ms"), r.ttft_ms ? Num::ms(*r.ttft_ms).text() : "null");
  b.raw(SB_LOG_KEY("duration_ms"), Num::ms(r.duration_ms).text());
  b.raw(SB_LOG_KEY("prompt_tokens"), r.prompt_tokens ? Num(*r.prompt_tokens).text() : "null");
  b.raw(SB_LOG_KEY("completion_tokens"), r.completion_tokens ? Num(*r.completion_tokens).text() : "null");
  if (!r.finish_reason.empty()) b.str(SB_LOG_KEY("finish_reason"), r.finish_reason);
  if (!r.error_code.empty()) b.str(SB_LOG_KEY("error"), r.error_code);
  if (r.client_disconnected) b.raw(SB_LOG_KEY("client_disconnected"), "true");
  b.raw(SB_LOG_KEY("retries"), Num(r.retries).text());
  b.finish();
}

#undef SB_LOG_KEY

std::string format_request(const RequestLog& r, bool json) {
  std::string out;
  format_request(out, r, json);
  return out;
}

// Writes a finished line to stderr under the console sink's lock, so it never interleaves with the logger's.
void write_stderr_line(std::string_view line) {
  std::lock_guard lock(spdlog::details::console_mutex::mutex());
  while (!line.empty()) {
    const auto n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr gone: a log line is not worth more
    line.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Whole lines, in writes of at most PIPE_BUF bytes that end with a line (a longer line alone): to a pipe each is
// written whole or not at all, never interleaved with another process's, and a full non-blocking pipe drops whole
// lines only.
void write_lines(std::string_view lines) {
  while (!lines.empty()) {
    std::size_t cut = lines.size();
    if (cut > PIPE_BUF) {
      cut = lines.rfind('\n', PIPE_BUF - 1);
      cut = cut == std::string_view::npos ? lines.find('\n') : cut;
      cut = cut == std::string_view::npos ? lines.size() : cut + 1;
    }
    write_stderr_line(lines.substr(0, cut));
    lines.remove_prefix(cut);
  }
}

// The request lines this thread holds until the end of its event-loop turn (hold_request_lines).
struct HeldLines {
  std::string text;
  void (*schedule)(void*) = nullptr;
  void* context = nullptr;
  ~HeldLines() { write_lines(text); }
};
thread_local HeldLines t_held;
constexpr std::size_t kMaxHeld = 16 * 1024;  // more than this is written at once

// The first of the logger's sinks: a line logged through spdlog writes the request lines its thread holds first.
class HeldLinesFirst final : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg&) override { flush_request_lines(); }
  void flush() override { flush_request_lines(); }
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}
};

}  // namespace

void hold_request_lines(void (*schedule)(void* context), void* context) {
  flush_request_lines();
  t_held.schedule = schedule;
  t_held.context = context;
}

void flush_request_lines() {
  auto& held = t_held.text;
  if (held.empty()) return;
  write_lines(held);
  held.clear();
  if (held.capacity() > 4 * kMaxHeld) held = std::string();
}

bool json_logs() {
  return g_json;
}

void set_log_secrets(std::vector<std::string> secrets) {
  std::erase_if(secrets, [](const std::string& s) { return s.size() < 4; });
  auto list = std::make_shared<const std::vector<std::string>>(std::move(secrets));
  std::lock_guard lock(g_secrets_mu);
  publish_secrets(std::move(list));
}

void add_log_secret(std::string secret) {
  if (secret.size() < 4) return;
  std::lock_guard lock(g_secrets_mu);
  auto list = std::make_shared<std::vector<std::string>>(*g_secrets);
  if (std::find(list->begin(), list->end(), secret) != list->end()) return;
  list->push_back(std::move(secret));
  publish_secrets(std::move(list));
}

bool scrub_log_secrets(std::string& text) {
  const SecretSearch& secrets = current_secrets();
  bool replaced = false;
  for (std::size_t i = 0; i < secrets.searchers.size(); ++i) {
    const std::size_t len = (*secrets.list)[i].size();
    for (std::size_t pos = 0; pos < text.size();) {
      const auto hit = secrets.searchers[i](text.cbegin() + static_cast<std::ptrdiff_t>(pos), text.cend()).first;
      if (hit == text.cend()) break;
      pos = static_cast<std::size_t>(hit - text.cbegin());
      text.replace(pos, len, "***");
      pos += 3;
      replaced = true;
    }
  }
  return replaced;
}

void setup_logging(std::string_view level, std::string_view format) {
  g_json = format == "json";
  auto logger = std::make_shared<spdlog::logger>(
      "switchboard", spdlog::sinks_init_list{std::make_shared<HeldLinesFirst>(),
                                             std::make_shared<spdlog::sinks::stderr_sink_mt>()});
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

// The line is built, scrubbed and written here rather than through spdlog (pattern formatter, a copy for the
// scrubber, a locked fwrite and flush): it is written on every request, and the same bytes come out.
void log_request(const RequestLog& r) {
  if (!spdlog::should_log(spdlog::level::info)) return;
  thread_local std::string line;
  line.clear();
  append_line_start(line, std::chrono::system_clock::now(), spdlog::level::to_string_view(spdlog::level::info), g_json);
  if (g_json) {
    const auto start = line.size();
    format_request(line, r, true);
    line.erase(start, 1);  // the object's '{': its members continue the prefix's object
  } else {
    format_request(line, r, false);
  }
  line += '\n';
  scrub_log_secrets(line);
  if (t_held.schedule == nullptr) {
    write_stderr_line(line);
  } else {
    const bool first = t_held.text.empty();
    t_held.text += line;
    if (t_held.text.size() >= kMaxHeld) {
      flush_request_lines();
    } else if (first) {
      t_held.schedule(t_held.context);
    }
  }
  if (line.capacity() > 4096) line = std::string();  // one huge line does not stay pinned to the thread
}

}  // namespace sb::obs
