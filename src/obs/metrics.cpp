#include "obs/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/api_error.hpp"

namespace sb::obs {

namespace detail {
std::size_t shard_index() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return index;
}
}  // namespace detail

std::uint64_t Counter::value() const {
  std::uint64_t total = 0;
  for (const auto& c : cells_) total += c.v.load(std::memory_order_relaxed);
  return total;
}

Histogram::Histogram(std::span<const double> bounds)
    : size_(std::min(bounds.size(), kMaxBuckets - 1)), shards_(std::make_unique<Shard[]>(detail::kShards)) {
  std::copy_n(bounds.begin(), size_, bounds_.begin());
}

void Histogram::observe(double value) {
  std::size_t i = 0;
  while (i < size_ && value > bounds_[i]) ++i;  // `le` buckets: value <= bound
  auto& shard = shards_[detail::shard_index()];
  shard.buckets[i].fetch_add(1, std::memory_order_relaxed);
  shard.sum.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  std::array<std::uint64_t, kMaxBuckets> counts{};
  for (std::size_t sh = 0; sh < detail::kShards; ++sh) {
    for (std::size_t i = 0; i <= size_; ++i) counts[i] += shards_[sh].buckets[i].load(std::memory_order_relaxed);
    s.sum += shards_[sh].sum.load(std::memory_order_relaxed);
  }
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= size_; ++i) {
    running += counts[i];
    s.cumulative.push_back(running);
  }
  s.count = running;
  return s;
}

namespace {
std::atomic<std::uint64_t> g_family_ids{1};
}  // namespace

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::span<const double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(bounds.begin(), bounds.end()),
      id_(g_family_ids.fetch_add(1, std::memory_order_relaxed)) {
  if (label_names_.empty()) with({});  // the single series exists (and shows 0) from the start
}

template <class Metric>
Metric& Family<Metric>::with(Labels values) {
  thread_local std::string key;  // kept: no allocation per lookup
  key.clear();
  for (const auto v : values) {
    key.append(v);
    key.push_back('\x1f');
  }
  // Each thread remembers its last few series (a request records the same handful again and again): no lock, no
  // map walk. Families are told apart by an id, never reused, so a memo can never point into a dead family.
  struct Memo {
    std::uint64_t family = 0;
    std::string key;
    Metric* metric = nullptr;
  };
  thread_local std::array<Memo, 8> memo;
  thread_local std::size_t next = 0;
  for (const auto& m : memo)
    if (m.family == id_ && m.key == key) return *m.metric;
  Metric* found = nullptr;
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(key); it != series_.end()) found = it->second.metric.get();
  }
  if (found) {
    auto& slot = memo[next++ % memo.size()];
    slot.family = id_;
    slot.key = key;
    slot.metric = found;
    return *found;
  }
  std::unique_lock lock(mu_);
  auto [it, inserted] = series_.try_emplace(key);
  if (inserted) {
    it->second.values.assign(values.begin(), values.end());
    it->second.values.resize(label_names_.size());
    if constexpr (std::is_same_v<Metric, Histogram>) {
      it->second.metric = std::make_unique<Histogram>(bounds_);
    } else {
      it->second.metric = std::make_unique<Metric>();
    }
  }
  return *it->second.metric;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

namespace {

constexpr std::size_t kMaxLabelBytes = 128;

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

void LabelCap::set_cap(std::size_t cap) {
  std::unique_lock lock(mu_);
  cap_ = cap;
  generation_.fetch_add(1, std::memory_order_relaxed);
}

std::string_view LabelCap::admit(std::string_view value) {
  value = utf8_prefix(value, kMaxLabelBytes);
  {
    std::shared_lock lock(mu_);
    if (auto it = seen_.find(std::string(value)); it != seen_.end()) return *it;
    if (seen_.size() >= cap_) return "other";
  }
  std::unique_lock lock(mu_);
  if (seen_.size() >= cap_ && !seen_.contains(std::string(value))) return "other";
  return *seen_.emplace(value).first;
}

void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

std::string format_sample_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string_view upstream_error_kind(const core::ApiError& e, bool mid_stream) {
  if (mid_stream) return "stream";
  const std::string_view code = e.code ? std::string_view(*e.code) : std::string_view();
  if (code == "upstream_timeout" || e.status == 504) return "timeout";
  if (code == "upstream_auth_failed") return "auth";
  if (code == "rate_limit_exceeded" || e.status == 429) return "rate_limit";
  if (e.status >= 400 && e.status < 500) return "rejected";
  return "server";
}

Metrics::Metrics()
    : inter_chunk_gap(inter_chunk_gap_family.with({})),
      active_streams(active_streams_family.with({})),
      bedrock_trace_events(bedrock_trace_events_family.with({})),
      message_log_dropped(message_log_dropped_family.with({})),
      message_log_written(message_log_written_family.with({})) {}

void Metrics::record_request(const RequestMetrics& r) {
  // The series a finished request counts in, found once per (provider, model, status) and remembered per thread:
  // a proxy sees the same few combinations again and again, and each lookup through the families costs a key built
  // from the labels, a memo scan per family and the model's label cap. The optional series (time to first token,
  // tokens) are looked up when first needed, so that they appear in the exposition only once they count something.
  struct Memo {
    std::uint64_t owner = 0, cap_generation = 0;  // owner: this Metrics' `requests` family (ids are never reused)
    int status = 0;
    std::string provider, model;
    Counter* requests = nullptr;
    Histogram* duration = nullptr;
    Histogram* ttft = nullptr;
    Counter* prompt_tokens = nullptr;
    Counter* completion_tokens = nullptr;
  };
  thread_local std::array<Memo, 4> memo;
  thread_local std::size_t next = 0;
  const std::uint64_t owner = requests.id(), generation = model_labels.generation();
  const std::string_view provider = r.provider.empty() ? std::string_view("none") : r.provider;
  Memo* m = nullptr;
  for (auto& candidate : memo)
    if (candidate.owner == owner && candidate.cap_generation == generation && candidate.status == r.status &&
        candidate.provider == r.provider && candidate.model == r.model) {
      m = &candidate;
      break;
    }
  if (m == nullptr) {
    const std::string_view model = r.model.empty() ? std::string_view("none") : model_labels.admit(r.model);
    char status[16];
    const auto n = fmt::format_to_n(status, sizeof status, "{}", r.status).size;
    m = &memo[next++ % memo.size()];
    *m = Memo{owner, generation, r.status, std::string(r.provider), std::string(r.model),
              &requests.with({provider, model, std::string_view(status, n)}), &request_duration.with({provider})};
  }
  m->requests->inc();
  m->duration->observe(r.duration_s);
  if (r.ttft_s) {
    if (m->ttft == nullptr) m->ttft = &time_to_first_token.with({provider});
    m->ttft->observe(*r.ttft_s);
  }
  if (r.prompt_tokens && *r.prompt_tokens > 0) {
    if (m->prompt_tokens == nullptr) m->prompt_tokens = &tokens.with({provider, "prompt"});
    m->prompt_tokens->inc(static_cast<std::uint64_t>(*r.prompt_tokens));
  }
  if (r.completion_tokens && *r.completion_tokens > 0) {
    if (m->completion_tokens == nullptr) m->completion_tokens = &tokens.with({provider, "completion"});
    m->completion_tokens->inc(static_cast<std::uint64_t>(*r.completion_tokens));
  }
  if (r.retries > 0) retries.with({provider}).inc(static_cast<std::uint64_t>(r.retries));
  if (r.client_disconnected) client_disconnects.with({provider}).inc();
  if (r.upstream_error && !r.client_disconnected) record_upstream_error(provider, *r.upstream_error, r.mid_stream);
}

void Metrics::record_upstream_error(std::string_view provider, const core::ApiError& error, bool mid_stream) {
  upstream_errors.with({provider, upstream_error_kind(error, mid_stream)}).inc();
}

void Metrics::record_upstream_latency(std::string_view provider, double seconds) {
  upstream_latency.with({provider}).observe(seconds);
}

namespace {

void append_help(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// `{a="x",b="y"` + optional extra label, then `}` (nothing at all when there are no labels).
void append_labels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    append_label_value(out, extra_value);
    out += '"';
  }
  out += '}';
}

template <class Scalar>
void render_scalar(std::string& out, const Family<Scalar>& f, std::string_view type) {
  append_help(out, f.name(), f.help(), type);
  f.for_each([&](const std::vector<std::string>& values, const Scalar& m) {
    out += f.name();
    append_labels(out, f.label_names(), values);
    out += ' ';
    out += std::to_string(m.value());
    out += '\n';
  });
}

void render_histogram(std::string& out, const Family<Histogram>& f) {
  append_help(out, f.name(), f.help(), "histogram");
  f.for_each([&](const std::vector<std::string>& values, const Histogram& h) {
    const auto snap = h.snapshot();
    const auto bounds = h.bounds();
    for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
      out += f.name();
      out += "_bucket";
      const std::string le = i < bounds.size() ? format_sample_value(bounds[i]) : std::string("+Inf");
      append_labels(out, f.label_names(), values, "le", le);
      out += ' ';
      out += std::to_string(snap.cumulative[i]);
      out += '\n';
    }
    out += f.name();
    out += "_sum";
    append_labels(out, f.label_names(), values);
    out += ' ';
    out += format_sample_value(snap.sum);
    out += '\n';
    out += f.name();
    out += "_count";
    append_labels(out, f.label_names(), values);
    out += ' ';
    out += std::to_string(snap.count);
    out += '\n';
  });
}

}  // namespace

std::string Metrics::render() const {
  std::string out;
  out.reserve(16 * 1024);
  render_scalar(out, requests, "counter");
  render_histogram(out, request_duration);
  render_histogram(out, time_to_first_token);
  render_histogram(out, inter_chunk_gap_family);
  render_histogram(out, upstream_latency);
  render_scalar(out, active_streams_family, "gauge");
  render_scalar(out, upstream_errors, "counter");
  render_scalar(out, retries, "counter");
  render_scalar(out, client_disconnects, "counter");
  render_scalar(out, bedrock_trace_events_family, "counter");
  render_scalar(out, tokens, "counter");
  render_scalar(out, message_log_dropped_family, "counter");
  render_scalar(out, message_log_written_family, "counter");
  return out;
}

Metrics& metrics() {
  static Metrics m;
  return m;
}

}  // namespace sb::obs
