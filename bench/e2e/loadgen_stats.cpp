#include "loadgen_stats.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace sb::bench {
namespace json = boost::json;

Summary summarize(std::vector<std::int64_t>& ns) {
  Summary s;
  s.count = ns.size();
  if (ns.empty()) return s;
  std::sort(ns.begin(), ns.end());
  // Nearest-rank percentile.
  auto at = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ns.size())));
    return static_cast<double>(ns[std::clamp<std::size_t>(rank, 1, ns.size()) - 1]) / 1000.0;
  };
  s.min_us = static_cast<double>(ns.front()) / 1000.0;
  s.max_us = static_cast<double>(ns.back()) / 1000.0;
  s.p50_us = at(0.50);
  s.p90_us = at(0.90);
  s.p99_us = at(0.99);
  const long double sum = std::accumulate(ns.begin(), ns.end(), 0.0L);
  s.mean_us = static_cast<double>(sum / static_cast<long double>(ns.size()) / 1000.0L);
  return s;
}

void Stats::merge(Stats&& o) {
  auto cat = [](Samples& a, Samples& b) { a.ns.insert(a.ns.end(), b.ns.begin(), b.ns.end()); };
  cat(latency, o.latency);
  cat(ttft, o.ttft);
  cat(ttfc, o.ttfc);
  cat(gap, o.gap);
  ok += o.ok;
  http_errors += o.http_errors;
  io_errors += o.io_errors;
  timeouts += o.timeouts;
  connects += o.connects;
  streams += o.streams;
  streams_done += o.streams_done;
  events += o.events;
  comments += o.comments;
  event_reads += o.event_reads;
  coalesced_reads += o.coalesced_reads;
  coalesced_events += o.coalesced_events;
  max_events_per_read = std::max(max_events_per_read, o.max_events_per_read);
  chunk_shared_events += o.chunk_shared_events;
  body_bytes += o.body_bytes;
  first_start_ns = std::min(first_start_ns, o.first_start_ns);
  last_end_ns = std::max(last_end_ns, o.last_end_ns);
  for (const auto& [k, v] : o.status_counts) status_counts[k] += v;
  if (!o.last_error.empty()) last_error = std::move(o.last_error);
}

namespace {

double wall_seconds(const Stats& s) {
  if (s.last_end_ns <= s.first_start_ns) return 0;
  return static_cast<double>(s.last_end_ns - s.first_start_ns) / 1e9;
}

json::object summary_json(const Summary& m) {
  return {{"count", m.count}, {"min", m.min_us}, {"mean", m.mean_us}, {"p50", m.p50_us},
          {"p90", m.p90_us},  {"p99", m.p99_us}, {"max", m.max_us}};
}

std::string summary_line(const char* name, const Summary& m) {
  char b[256];
  std::snprintf(b, sizeof b, "  %-10s n=%-8zu p50=%9.1f p90=%9.1f p99=%9.1f max=%9.1f mean=%9.1f us\n", name, m.count,
                m.p50_us, m.p90_us, m.p99_us, m.max_us, m.mean_us);
  return b;
}

}  // namespace

std::string report_json(const RunInfo& info, Stats& s) {
  const double secs = wall_seconds(s);
  const std::uint64_t done = s.ok + s.http_errors;
  json::object status;
  for (const auto& [k, v] : s.status_counts) status[std::to_string(k)] = v;
  json::object o{
      {"label", info.label},
      {"url", info.url},
      {"concurrency", info.concurrency},
      {"threads", info.threads},
      {"aborted", info.aborted},
      {"requests", done},
      {"ok", s.ok},
      {"http_errors", s.http_errors},
      {"io_errors", s.io_errors},
      {"timeouts", s.timeouts},
      {"connects", s.connects},
      {"status", std::move(status)},
      {"wall_s", secs},
      {"rps", secs > 0 ? static_cast<double>(done) / secs : 0.0},
      {"body_bytes", s.body_bytes},
      {"latency_us", summary_json(summarize(s.latency.ns))},
      {"streams", s.streams},
      {"streams_done", s.streams_done},
      {"events", s.events},
      {"comments", s.comments},
      {"event_reads", s.event_reads},
      {"coalesced_reads", s.coalesced_reads},
      {"coalesced_events", s.coalesced_events},
      {"max_events_per_read", s.max_events_per_read},
      {"chunk_shared_events", s.chunk_shared_events},
      {"ttft_us", summary_json(summarize(s.ttft.ns))},
      {"ttfc_us", summary_json(summarize(s.ttfc.ns))},
      {"gap_us", summary_json(summarize(s.gap.ns))},
      {"last_error", s.last_error},
  };
  return json::serialize(o);
}

std::string report_text(const RunInfo& info, Stats& s) {
  const double secs = wall_seconds(s);
  const std::uint64_t done = s.ok + s.http_errors;
  std::string out;
  char b[512];
  std::snprintf(b, sizeof b, "%s%s%s c=%u threads=%u%s\n", info.label.c_str(), info.label.empty() ? "" : " ",
                info.url.c_str(), info.concurrency, info.threads, info.aborted ? " (ABORTED by time cap)" : "");
  out += b;
  std::snprintf(b, sizeof b,
                "  requests=%llu ok=%llu http_errors=%llu io_errors=%llu timeouts=%llu connects=%llu "
                "wall=%.3fs rps=%.1f\n",
                static_cast<unsigned long long>(done), static_cast<unsigned long long>(s.ok),
                static_cast<unsigned long long>(s.http_errors), static_cast<unsigned long long>(s.io_errors),
                static_cast<unsigned long long>(s.timeouts), static_cast<unsigned long long>(s.connects), secs,
                secs > 0 ? static_cast<double>(done) / secs : 0.0);
  out += b;
  out += summary_line("latency", summarize(s.latency.ns));
  if (s.streams) {
    std::snprintf(b, sizeof b,
                  "  streams=%llu ended_with_done=%llu events=%llu comments=%llu event_reads=%llu "
                  "coalesced_reads=%llu coalesced_events=%llu max_events_per_read=%llu chunk_shared_events=%llu\n",
                  static_cast<unsigned long long>(s.streams), static_cast<unsigned long long>(s.streams_done),
                  static_cast<unsigned long long>(s.events), static_cast<unsigned long long>(s.comments),
                  static_cast<unsigned long long>(s.event_reads), static_cast<unsigned long long>(s.coalesced_reads),
                  static_cast<unsigned long long>(s.coalesced_events),
                  static_cast<unsigned long long>(s.max_events_per_read),
                  static_cast<unsigned long long>(s.chunk_shared_events));
    out += b;
    out += summary_line("ttft", summarize(s.ttft.ns));
    out += summary_line("ttfc", summarize(s.ttfc.ns));
    out += summary_line("gap", summarize(s.gap.ns));
  }
  if (!s.last_error.empty()) out += "  last error: " + s.last_error + "\n";
  return out;
}

}  // namespace sb::bench
