// Request log lines: one line whatever the values hold; secrets scrubbed.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <thread>

#include <boost/json.hpp>

#include "obs/logging.hpp"

namespace sb::obs {
namespace {

RequestLog sample() {
  RequestLog r;
  r.request_id = "req-1";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.provider = "mock";
  r.model = "gpt-4o-mini";
  r.stream = true;
  r.status = 200;
  r.ttft_ms = 12.345;
  r.duration_ms = 250;
  r.prompt_tokens = 3;
  r.completion_tokens = 5;
  r.finish_reason = "stop";
  r.retries = 1;
  return r;
}

TEST(RequestLogLine, TextHasEveryField) {
  EXPECT_EQ(format_request_text(sample()),
            "request request_id=req-1 method=POST path=/v1/chat/completions provider=mock model=gpt-4o-mini "
            "stream=true status=200 ttft_ms=12.3 duration_ms=250.0 prompt_tokens=3 completion_tokens=5 "
            "finish_reason=stop retries=1");
}

TEST(RequestLogLine, DurationsHaveOneDecimalRounded) {
  const std::pair<double, const char*> cases[] = {{0, "0.0"},         {0.04, "0.0"},      {0.06, "0.1"},
                                                  {0.96, "1.0"},      {9.99, "10.0"},     {1234.56, "1234.6"},
                                                  {86400000, "86400000.0"}, {-2.25, "-2.3"}, {1e300, ""}};
  for (const auto& [ms, want] : cases) {
    RequestLog r = sample();
    r.duration_ms = ms;
    const std::string line = format_request_text(r);
    const auto at = line.find("duration_ms=") + 12;
    const std::string got = line.substr(at, line.find(' ', at) - at);
    if (*want == '\0') {
      EXPECT_FALSE(got.empty()) << ms;  // absurd values still print (the long way)
    } else {
      EXPECT_EQ(got, want) << ms;
    }
  }
}

TEST(RequestLogLine, TextQuotesHostileValuesSoALineStaysOneLine) {
  RequestLog r = sample();
  r.model = "evil\nINFO request status=200 \"x\"";
  r.ttft_ms.reset();
  r.prompt_tokens.reset();
  const std::string line = format_request_text(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find(R"(model="evil\nINFO request status=200 \"x\"")"), std::string::npos) << line;
  EXPECT_NE(line.find("ttft_ms=- "), std::string::npos);
  EXPECT_NE(line.find("prompt_tokens=- "), std::string::npos);
}

// A text value is quoted exactly when a byte of it is <= ' ', '"', '=', '\\' or DEL, wherever that byte is (values of
// 16 bytes or more are checked sixteen at a time, the last sixteen overlapping; shorter ones byte by byte); other
// bytes, UTF-8 among them, are written bare.
TEST(RequestLogLine, TextQuotesAValueForAnyOfItsSpecialBytesAnywhere) {
  // 26 bytes (one block, then the last sixteen overlapping it) and 10 bytes (byte by byte); none special.
  for (const std::string& plain : {std::string("gpt-4o-mini:2024-07-18.\xc3\xa9~"), std::string("gpt-4o-min")}) {
    for (int b = 0; b < 256; ++b) {
      const auto c = static_cast<char>(b);
      const bool special = b <= ' ' || c == '"' || c == '=' || c == '\\' || b == 0x7f;
      for (std::size_t at = 0; at < plain.size(); ++at) {
        std::string model = plain;
        model[at] = c;
        RequestLog r = sample();
        r.model = model;
        const std::string line = format_request_text(r);
        const bool quoted = line.find(" model=\"") != std::string::npos;
        const bool bare = line.find(" model=" + model + " ") != std::string::npos;
        if (special) {
          EXPECT_TRUE(quoted) << "byte " << b << " at " << at << ": " << line;
        } else {
          EXPECT_TRUE(bare && !quoted) << "byte " << b << " at " << at << ": " << line;
        }
      }
    }
  }
}

TEST(RequestLogLine, JsonIsOneObject) {
  RequestLog r = sample();
  r.model = "a\"b\nc";
  r.session_id = "sess-9";
  r.key_name = "ci";
  r.client_disconnected = true;
  r.error_code = "upstream_error";
  r.ttft_ms.reset();
  const std::string line = format_request_json(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto o = boost::json::parse(line).as_object();
  EXPECT_EQ(o.at("model"), "a\"b\nc");
  EXPECT_EQ(o.at("stream"), true);
  EXPECT_EQ(o.at("status"), 200);
  EXPECT_TRUE(o.at("ttft_ms").is_null());
  EXPECT_EQ(o.at("session_id"), "sess-9");
  EXPECT_EQ(o.at("key"), "ci");
  EXPECT_EQ(o.at("client_disconnected"), true);
  EXPECT_EQ(o.at("error"), "upstream_error");
  EXPECT_EQ(o.at("retries"), 1);
}

TEST(LogSecrets, EveryOccurrenceIsReplaced) {
  set_log_secrets({"sk-abcdef123456", "AKIAXYZ", "abc"});  // "abc" is too short to scrub safely
  std::string text = "key sk-abcdef123456 and again sk-abcdef123456, AKIAXYZ; abc";
  EXPECT_TRUE(scrub_log_secrets(text));
  EXPECT_EQ(text, "key *** and again ***, ***; abc");
  add_log_secret("late-secret-value");
  std::string later = "found late-secret-value";
  scrub_log_secrets(later);
  EXPECT_EQ(later, "found ***");
  set_log_secrets({});
  std::string none = "sk-abcdef123456";
  EXPECT_FALSE(scrub_log_secrets(none));
}

TEST(LogSecrets, EdgesRunsAndOtherThreadsSeeTheCurrentList) {
  set_log_secrets({"s3cr3t", "xxxx"});
  std::string text = "s3cr3ts3cr3t mid s3cr3t";
  EXPECT_TRUE(scrub_log_secrets(text));
  EXPECT_EQ(text, "****** mid ***");
  std::string run = "xxxxxxxxxx";  // 10: two whole occurrences, then 2 left over
  scrub_log_secrets(run);
  EXPECT_EQ(run, "******xx");
  std::string other_thread;
  std::thread([&] {
    other_thread = "a s3cr3t b";
    scrub_log_secrets(other_thread);
    set_log_secrets({"another-one"});  // replaced from this thread ...
  }).join();
  EXPECT_EQ(other_thread, "a *** b");
  std::string after = "s3cr3t another-one";  // ... and seen by this one
  scrub_log_secrets(after);
  EXPECT_EQ(after, "s3cr3t ***");
  set_log_secrets({});
}

// What this process writes to stderr while it lives (a pipe in place of fd 2; lines here are far below its size).
class StderrCapture {
 public:
  StderrCapture() {
    EXPECT_EQ(::pipe2(fds_, O_NONBLOCK), 0);
    saved_ = ::dup(STDERR_FILENO);
    ::dup2(fds_[1], STDERR_FILENO);
  }
  ~StderrCapture() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  // Everything written since the last call.
  std::string take() {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds_[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

 private:
  int fds_[2] = {-1, -1};
  int saved_ = -1;
};

// Holds this thread's request lines while it lives; stops holding (and writes what is held) when it ends, whatever
// assertion returned early.
class Holding {
 public:
  explicit Holding(int& scheduled) { hold_request_lines([](void* n) { ++*static_cast<int*>(n); }, &scheduled); }
  ~Holding() { hold_request_lines(nullptr, nullptr); }
  Holding(const Holding&) = delete;
  Holding& operator=(const Holding&) = delete;
};

RequestLog with_id(std::string_view id) {
  RequestLog r = sample();
  r.request_id = id;
  return r;
}

TEST(HeldRequestLines, OneTurnsLinesAreWrittenTogetherInOrderWhenTheFlushRuns) {
  setup_logging("info", "text");
  StderrCapture err;
  int scheduled = 0;
  std::optional<Holding> holding(std::in_place, scheduled);
  log_request(with_id("req-a"));
  log_request(with_id("req-b"));
  EXPECT_EQ(scheduled, 1) << "one flush per turn, asked for by its first line";
  EXPECT_EQ(err.take(), "") << "held until the flush";
  flush_request_lines();
  const std::string both = err.take();
  const auto a = both.find("request_id=req-a"), b = both.find("request_id=req-b");
  ASSERT_NE(a, std::string::npos) << both;
  ASSERT_NE(b, std::string::npos) << both;
  EXPECT_LT(a, b);
  EXPECT_EQ(std::count(both.begin(), both.end(), '\n'), 2);
  // The next turn asks again; a line logged through spdlog writes the held one first; stopping writes the rest.
  log_request(with_id("req-c"));
  EXPECT_EQ(scheduled, 2);
  spdlog::warn("after req-c");
  log_request(with_id("req-d"));
  EXPECT_EQ(scheduled, 3);
  holding.reset();
  const std::string rest = err.take();
  const auto c = rest.find("request_id=req-c"), w = rest.find("after req-c"), d = rest.find("request_id=req-d");
  ASSERT_TRUE(c != std::string::npos && w != std::string::npos && d != std::string::npos) << rest;
  EXPECT_LT(c, w);
  EXPECT_LT(w, d);
  // Not holding: written at once.
  log_request(with_id("req-e"));
  EXPECT_NE(err.take().find("request_id=req-e"), std::string::npos);
  EXPECT_EQ(scheduled, 3);
}

TEST(HeldRequestLines, AFullBufferIsWrittenWithoutWaitingForTheTurnToEnd) {
  setup_logging("info", "text");
  StderrCapture err;
  int scheduled = 0;
  const Holding holding(scheduled);
  std::string written;
  int lines = 0;
  while (written.empty() && lines < 1000) {
    log_request(with_id("req-" + std::to_string(lines++)));
    written = err.take();
  }
  EXPECT_GT(written.size(), 8u * 1024) << "written once a few kilobytes were held, not line by line";
  EXPECT_LT(lines, 1000);
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), lines) << "every held line, whole";
  EXPECT_EQ(written.back(), '\n');
}

}  // namespace
}  // namespace sb::obs
