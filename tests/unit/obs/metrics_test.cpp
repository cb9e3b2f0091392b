// Metrics: sharded counters, histograms, label caps and the Prometheus text rendering.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "core/api_error.hpp"
#include "obs/metrics.hpp"

namespace sb::obs {
namespace {

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_with(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
    start = end + 1;
  }
  return out;
}

TEST(Metrics, CounterSumsEveryThreadsShard) {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) c.inc();
    });
  for (auto& t : threads) t.join();
  c.inc(5);
  EXPECT_EQ(c.value(), 80'005u);
}

TEST(Metrics, HistogramBucketsAreCumulativeAndInclusive) {
  const std::array<double, 3> bounds{0.1, 1, 10};
  Histogram h(bounds);
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 50.0}) h.observe(v);
  const auto s = h.snapshot();
  ASSERT_EQ(s.cumulative.size(), 4u);
  EXPECT_EQ(s.cumulative[0], 2u);  // 0.05, 0.1 (le is inclusive)
  EXPECT_EQ(s.cumulative[1], 4u);
  EXPECT_EQ(s.cumulative[2], 5u);
  EXPECT_EQ(s.cumulative[3], 6u);  // +Inf
  EXPECT_EQ(s.count, 6u);
  EXPECT_DOUBLE_EQ(s.sum, 56.65);
}

TEST(Metrics, LabelCapLetsTheFirstNThroughThenSaysOther) {
  LabelCap cap(2);
  EXPECT_EQ(cap.admit("a"), "a");
  EXPECT_EQ(cap.admit("b"), "b");
  EXPECT_EQ(cap.admit("c"), "other");
  EXPECT_EQ(cap.admit("a"), "a");
  const std::string longname(500, 'x');
  LabelCap wide(10);
  EXPECT_EQ(wide.admit(longname).size(), 128u) << "label values are bounded in length too";
}

TEST(Metrics, LabelCapNeverSplitsAUtf8Character) {
  std::string name(127, 'x');
  name += "\xC3\xA9\xC3\xA9";  // é at byte 127..128
  LabelCap cap(10);
  EXPECT_EQ(cap.admit(name), std::string(127, 'x'));
}

TEST(Metrics, RendersTheTextExpositionFormat) {
  Metrics m;
  RequestMetrics r;
  r.provider = "mock";
  r.model = "gpt \"4\"\\x\ny";
  r.status = 200;
  r.duration_s = 0.3;
  r.ttft_s = 0.02;
  r.prompt_tokens = 7;
  r.completion_tokens = 11;
  m.record_request(r);
  m.bedrock_trace_events.inc(3);
  m.active_streams.inc();
  const std::string text = m.render();

  EXPECT_EQ(lines_with(text, "# TYPE switchboard_requests_total counter").size(), 1u);
  EXPECT_EQ(lines_with(text, "# HELP switchboard_requests_total ").size(), 1u);
  const auto req = lines_with(text, "switchboard_requests_total{");
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0], R"(switchboard_requests_total{provider="mock",model="gpt \"4\"\\x\ny",status="200"} 1)");

  EXPECT_EQ(lines_with(text, "# TYPE switchboard_request_duration_seconds histogram").size(), 1u);
  const auto buckets = lines_with(text, "switchboard_request_duration_seconds_bucket{provider=\"mock\"");
  ASSERT_EQ(buckets.size(), buckets::kRequestDuration.size() + 1);
  EXPECT_EQ(buckets.front(), R"(switchboard_request_duration_seconds_bucket{provider="mock",le="0.005"} 0)");
  EXPECT_EQ(buckets.back(), R"(switchboard_request_duration_seconds_bucket{provider="mock",le="+Inf"} 1)");
  EXPECT_EQ(lines_with(text, "switchboard_request_duration_seconds_sum{provider=\"mock\"} 0.3").size(), 1u);
  EXPECT_EQ(lines_with(text, "switchboard_request_duration_seconds_count{provider=\"mock\"} 1").size(), 1u);
  EXPECT_EQ(lines_with(text, "switchboard_time_to_first_token_seconds_count{provider=\"mock\"} 1").size(), 1u);

  EXPECT_EQ(lines_with(text, R"(switchboard_tokens_total{provider="mock",type="prompt"} 7)").size(), 1u);
  EXPECT_EQ(lines_with(text, R"(switchboard_tokens_total{provider="mock",type="completion"} 11)").size(), 1u);
  EXPECT_EQ(lines_with(text, "switchboard_bedrock_trace_events_total 3").size(), 1u);
  EXPECT_EQ(lines_with(text, "switchboard_active_streams 1").size(), 1u);
  EXPECT_EQ(lines_with(text, "# TYPE switchboard_active_streams gauge").size(), 1u);
  EXPECT_EQ(lines_with(text, "switchboard_message_log_dropped_total 0").size(), 1u);
  // Unlabelled histograms have no braces on _sum/_count, and only `le` on buckets.
  EXPECT_EQ(lines_with(text, "switchboard_inter_chunk_gap_seconds_count 0").size(), 1u);
  EXPECT_EQ(lines_with(text, "switchboard_inter_chunk_gap_seconds_bucket{le=\"+Inf\"} 0").size(), 1u);
  EXPECT_EQ(text.back(), '\n');
}

TEST(Metrics, EveryFamilyHasHelpAndTypeOnce) {
  Metrics m;
  const std::string text = m.render();
  for (const char* name :
       {"switchboard_requests_total", "switchboard_request_duration_seconds", "switchboard_time_to_first_token_seconds",
        "switchboard_inter_chunk_gap_seconds", "switchboard_upstream_latency_seconds", "switchboard_active_streams",
        "switchboard_upstream_errors_total", "switchboard_retries_total", "switchboard_client_disconnects_total",
        "switchboard_bedrock_trace_events_total", "switchboard_tokens_total", "switchboard_message_log_dropped_total"}) {
    EXPECT_EQ(lines_with(text, std::string("# HELP ") + name + " ").size(), 1u) << name;
    EXPECT_EQ(lines_with(text, std::string("# TYPE ") + name + " ").size(), 1u) << name;
  }
}

TEST(Metrics, UpstreamErrorsAreCountedByKind) {
  Metrics m;
  auto err = core::ApiError::upstream_timeout("slow");
  RequestMetrics r;
  r.provider = "openai";
  r.model = "m";
  r.status = 504;
  r.upstream_error = &err;
  m.record_request(r);
  const auto rl = core::ApiError{429, "slow down", "rate_limit_error", std::nullopt, "rate_limit_exceeded", 3};
  m.record_upstream_error("openai", rl);
  const auto broken = core::ApiError::upstream_error("broke");
  m.record_upstream_error("openai", broken, true);
  const auto disconnected_err = core::ApiError::upstream_error("x");
  RequestMetrics gone = r;
  gone.upstream_error = &disconnected_err;
  gone.client_disconnected = true;  // the client left: not the upstream's failure
  m.record_request(gone);

  const std::string text = m.render();
  EXPECT_EQ(lines_with(text, R"(switchboard_upstream_errors_total{provider="openai",kind="timeout"} 1)").size(), 1u);
  EXPECT_EQ(lines_with(text, R"(switchboard_upstream_errors_total{provider="openai",kind="rate_limit"} 1)").size(), 1u);
  EXPECT_EQ(lines_with(text, R"(switchboard_upstream_errors_total{provider="openai",kind="stream"} 1)").size(), 1u);
  EXPECT_EQ(lines_with(text, R"(switchboard_upstream_errors_total{provider="openai",kind="server"})").size(), 0u);
  EXPECT_EQ(lines_with(text, R"(switchboard_client_disconnects_total{provider="openai"} 1)").size(), 1u);
}

TEST(Metrics, ErrorKinds) {
  EXPECT_EQ(upstream_error_kind(core::ApiError::upstream_auth_failed("x"), false), "auth");
  EXPECT_EQ(upstream_error_kind(core::ApiError::upstream_error("x"), false), "server");
  EXPECT_EQ(upstream_error_kind(core::ApiError::upstream_timeout("x"), false), "timeout");
  EXPECT_EQ(upstream_error_kind(core::ApiError::invalid_type("p", "bad"), false), "rejected");
  EXPECT_EQ(upstream_error_kind(core::ApiError::upstream_timeout("x"), true), "stream");
}

TEST(Metrics, ModelLabelsAreCapped) {
  Metrics m;
  m.model_labels.set_cap(3);
  for (int i = 0; i < 10; ++i) {
    RequestMetrics r;
    r.provider = "mock";
    const std::string model = "model-" + std::to_string(i);
    r.model = model;
    r.status = 200;
    m.record_request(r);
  }
  const std::string text = m.render();
  EXPECT_EQ(lines_with(text, "switchboard_requests_total{").size(), 4u);
  EXPECT_EQ(lines_with(text, R"(switchboard_requests_total{provider="mock",model="other",status="200"} 7)").size(), 1u);
}

// record_request remembers the series of recent (provider, model, status) combinations per thread: more
// combinations than it remembers, interleaved, each still counts in its own series; a second Metrics does not
// see the first one's series; a changed label cap is taken into account.
TEST(Metrics, RequestSeriesAreRememberedPerCombination) {
  Metrics m;
  const std::vector<std::string> providers = {"openai", "mock", "bedrock-agent"};
  const std::vector<std::string> models = {"a", "b", "c"};
  const std::vector<int> statuses = {200, 502};
  int n = 0;
  for (int round = 0; round < 3; ++round)
    for (const auto& p : providers)
      for (const auto& model : models)
        for (const int st : statuses) {
          RequestMetrics r;
          r.provider = p;
          r.model = model;
          r.status = st;
          r.duration_s = 0.01;
          if (st == 200) r.ttft_s = 0.001;
          r.completion_tokens = ++n % 2;  // tokens every other time
          m.record_request(r);
        }
  const std::string text = m.render();
  for (const auto& p : providers)
    for (const auto& model : models)
      for (const int st : statuses)
        EXPECT_EQ(lines_with(text, "switchboard_requests_total{provider=\"" + p + "\",model=\"" + model +
                                       "\",status=\"" + std::to_string(st) + "\"} 3")
                      .size(),
                  1u)
            << p << " " << model << " " << st;
  for (const auto& p : providers) {
    EXPECT_EQ(lines_with(text, "switchboard_request_duration_seconds_count{provider=\"" + p + "\"} 18").size(), 1u);
    EXPECT_EQ(lines_with(text, "switchboard_time_to_first_token_seconds_count{provider=\"" + p + "\"} 9").size(), 1u);
    EXPECT_EQ(lines_with(text, "switchboard_tokens_total{provider=\"" + p + "\",type=\"completion\"} 9").size(), 1u);
  }
  EXPECT_EQ(lines_with(text, "switchboard_tokens_total{provider=\"openai\",type=\"prompt\"}").size(), 0u)
      << "a series appears once it counts something";

  Metrics other;  // same thread, same combination: its own series
  RequestMetrics r;
  r.provider = "openai";
  r.model = "a";
  r.status = 200;
  other.record_request(r);
  EXPECT_EQ(lines_with(other.render(), R"(switchboard_requests_total{provider="openai",model="a",status="200"} 1)").size(), 1u);

  Metrics capped;
  capped.model_labels.set_cap(0);
  capped.record_request(r);  // "a" over the cap: counted as "other"
  capped.model_labels.set_cap(5);
  capped.record_request(r);  // the cap changed: "a" is admitted now, not remembered as "other"
  const std::string ct = capped.render();
  EXPECT_EQ(lines_with(ct, R"(switchboard_requests_total{provider="openai",model="a",status="200"} 1)").size(), 1u);
  EXPECT_EQ(lines_with(ct, R"(switchboard_requests_total{provider="openai",model="other",status="200"} 1)").size(), 1u);
}

TEST(Metrics, SampleValues) {
  EXPECT_EQ(format_sample_value(0.005), "0.005");
  EXPECT_EQ(format_sample_value(120), "120");
  EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_sample_value(std::nan("")), "NaN");
}

}  // namespace
}  // namespace sb::obs
