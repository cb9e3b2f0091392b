// Prometheus metrics (text exposition format 0.0.4) for GET /metrics.
//
// Hot-path updates are relaxed atomic adds on per-thread shards (no locks, no shared cache line between io
// threads); the shards are summed only when /metrics is rendered. A labelled series is looked up once per
// request (a shared lock on a small map) and its pointer may be kept. Label cardinality is bounded: providers
// come from the registry, statuses are HTTP codes, and model names are capped (first N distinct, then "other").
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace sb::core {
struct ApiError;
}

namespace sb::obs {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

namespace detail {
inline constexpr std::size_t kShards = 8;
// The shard of the calling thread (threads are spread over the shards round-robin).
std::size_t shard_index();
}  // namespace detail

class Counter {
 public:
  void inc(std::uint64_t n = 1) { cells_[detail::shard_index()].v.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const;

 private:
  struct alignas(64) Cell {
    std::atomic<std::uint64_t> v{0};
  };
  std::array<Cell, detail::kShards> cells_{};
};

class Gauge {
 public:
  void inc(std::int64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  void dec(std::int64_t n = 1) { v_.fetch_sub(n, std::memory_order_relaxed); }
  void set(std::int64_t n) { v_.store(n, std::memory_order_relaxed); }
  [[nodiscard]] std::int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

// Increments a gauge for as long as it lives (e.g. one open stream).
class GaugeGuard {
 public:
  explicit GaugeGuard(Gauge& g) : g_(g) { g_.inc(); }
  ~GaugeGuard() { g_.dec(); }
  GaugeGuard(const GaugeGuard&) = delete;
  GaugeGuard& operator=(const GaugeGuard&) = delete;

 private:
  Gauge& g_;
};

class Histogram {
 public:
  static constexpr std::size_t kMaxBuckets = 24;
  // `bounds`: ascending upper bounds (the +Inf bucket is implied), at most kMaxBuckets - 1.
  explicit Histogram(std::span<const double> bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  [[nodiscard]] Snapshot snapshot() const;
  [[nodiscard]] std::span<const double> bounds() const { return {bounds_.data(), size_}; }

 private:
  struct alignas(64) Shard {
    std::array<std::atomic<std::uint64_t>, kMaxBuckets> buckets{};
    std::atomic<double> sum{0};
  };
  std::array<double, kMaxBuckets> bounds_{};
  std::size_t size_ = 0;
  std::unique_ptr<Shard[]> shards_;
};

// Standard bucket sets, in seconds.
namespace buckets {
inline constexpr std::array<double, 15> kRequestDuration{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                         2.5,   5,    10,    20,   30,  60,   120};
inline constexpr std::array<double, 16> kFirstToken{0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75,
                                                    1,    1.5,   2,    3,   5,   10,  20,  60};
inline constexpr std::array<double, 14> kChunkGap{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1,     2.5,  5,     10};
}  // namespace buckets

// A metric family: one name, one set of label names, one series per distinct label values.
template <class Metric>
class Family {
 public:
  using Labels = std::initializer_list<std::string_view>;
  // `bounds`: the buckets of every series (histograms only).
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::span<const double> bounds = {});

  // The series for these label values (created on first use). The reference stays valid for the process.
  Metric& with(Labels values);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& help() const { return help_; }
  [[nodiscard]] std::uint64_t id() const { return id_; }  // unique for the process, never reused
  [[nodiscard]] const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls f(label values, metric) for each series, in label order.
  template <class F>
  void for_each(F&& f) const {
    std::shared_lock lock(mu_);
    for (const auto& [key, entry] : series_) f(entry.values, *entry.metric);
  }

 private:
  struct Entry {
    std::vector<std::string> values;
    std::unique_ptr<Metric> metric;
  };
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Entry, std::less<>> series_;
  std::uint64_t id_;  // unique for the process (see with())
};

// Caps the distinct values of one label: the first `cap` values pass, later ones become "other".
class LabelCap {
 public:
  explicit LabelCap(std::size_t cap) : cap_(cap) {}
  void set_cap(std::size_t cap);
  // The label value to use for `value` (valid for the process).
  [[nodiscard]] std::string_view admit(std::string_view value);
  // Changes whenever set_cap() is called: what admit() answered before may differ after.
  [[nodiscard]] std::uint64_t generation() const { return generation_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> generation_{0};
  std::size_t cap_;
  std::shared_mutex mu_;
  std::unordered_set<std::string> seen_;
};

// What one finished chat request contributes (filled from the request log).
struct RequestMetrics {
  std::string_view provider, model;
  int status = 0;
  double duration_s = 0;
  std::optional<double> ttft_s;
  std::optional<long long> prompt_tokens, completion_tokens;
  int retries = 0;
  bool client_disconnected = false;
  const core::ApiError* upstream_error = nullptr;  // the request's final upstream failure, if any
  bool mid_stream = false;                         // the failure came after the first byte
};

class Metrics {
 public:
  Metrics();

  Family<Counter> requests{"switchboard_requests_total",
                           "Chat completion requests by provider, model and HTTP status",
                           {"provider", "model", "status"}};
  Family<Histogram> request_duration{"switchboard_request_duration_seconds",
                                     "Chat completion request duration, received to last byte",
                                     {"provider"},
                                     buckets::kRequestDuration};
  Family<Histogram> time_to_first_token{"switchboard_time_to_first_token_seconds",
                                        "Time from request received to the first content token or tool call",
                                        {"provider"},
                                        buckets::kFirstToken};
  Family<Histogram> inter_chunk_gap_family{"switchboard_inter_chunk_gap_seconds",
                                           "Gap between consecutive chunks written to a streaming client",
                                           {},
                                           buckets::kChunkGap};
  Family<Histogram> upstream_latency{"switchboard_upstream_latency_seconds",
                                     "Upstream request sent to response headers received",
                                     {"provider"},
                                     buckets::kFirstToken};
  Family<Gauge> active_streams_family{"switchboard_active_streams", "Streaming responses in progress", {}};
  Family<Counter> upstream_errors{"switchboard_upstream_errors_total",
                                  "Failed upstream calls by provider and kind "
                                  "(timeout, auth, rate_limit, rejected, server, stream)",
                                  {"provider", "kind"}};
  Family<Counter> retries{"switchboard_retries_total", "Upstream attempts retried", {"provider"}};
  Family<Counter> client_disconnects{"switchboard_client_disconnects_total",
                                     "Requests whose client hung up before the response was complete",
                                     {"provider"}};
  Family<Counter> bedrock_trace_events_family{"switchboard_bedrock_trace_events_total",
                                              "Bedrock Agents trace events received (never sent as content)",
                                              {}};
  Family<Counter> tokens{"switchboard_tokens_total", "Tokens reported by the upstream", {"provider", "type"}};
  Family<Counter> message_log_dropped_family{"switchboard_message_log_dropped_total",
                                             "Message log records dropped because the writer queue was full",
                                             {}};
  Family<Counter> message_log_written_family{"switchboard_message_log_written_total",
                                             "Message log records written", {}};

  // Unlabelled series, for direct use: e.g. `obs::metrics().bedrock_trace_events.inc()`.
  Histogram& inter_chunk_gap;
  Gauge& active_streams;
  Counter& bedrock_trace_events;
  Counter& message_log_dropped;
  Counter& message_log_written;

  LabelCap model_labels{100};

  // Everything a finished chat request contributes: counts, latencies, tokens, errors, disconnects.
  void record_request(const RequestMetrics& r);
  // One failed upstream call (call it for failed attempts that were retried; the final failure of a request
  // is recorded by record_request).
  void record_upstream_error(std::string_view provider, const core::ApiError& error, bool mid_stream = false);
  void record_upstream_latency(std::string_view provider, double seconds);

  // The whole exposition, text format 0.0.4.
  [[nodiscard]] std::string render() const;
};

// The process-wide metrics.
Metrics& metrics();

// Kind label of an upstream failure: timeout, auth, rate_limit, rejected (other 4xx), server, stream.
std::string_view upstream_error_kind(const core::ApiError& error, bool mid_stream);

// Text-format helpers (exposed for tests).
void append_label_value(std::string& out, std::string_view value);  // escapes \ " and newline
std::string format_sample_value(double v);                           // Go-compatible float text, +Inf/-Inf/NaN

}  // namespace sb::obs
