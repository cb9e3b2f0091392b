// Measurements of one load-generator run: per-thread collectors merged at the end, percentile summaries,
// and the human-readable and JSON reports.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sb::bench {

struct Samples {
  std::vector<std::int64_t> ns;
  void add(std::int64_t v) { ns.push_back(v); }
};

struct Summary {
  std::size_t count = 0;
  double min_us = 0, mean_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
};
Summary summarize(std::vector<std::int64_t>& ns);  // sorts in place

struct Stats {
  Samples latency;  // request sent → response complete (whole stream for SSE)
  Samples ttft;     // request sent → first SSE data event
  Samples ttfc;     // request sent → first content (or tool-call) event
  Samples gap;      // between consecutive SSE events of one stream

  std::uint64_t ok = 0;            // complete 2xx responses
  std::uint64_t http_errors = 0;   // complete non-2xx responses
  std::uint64_t io_errors = 0;     // connection failed, reset, or unparsable response
  std::uint64_t timeouts = 0;      // per-request timeout hit
  std::uint64_t connects = 0;      // TCP connections opened
  std::uint64_t streams = 0;       // SSE responses
  std::uint64_t streams_done = 0;  // ... that ended with `data: [DONE]`
  std::uint64_t events = 0;        // SSE data events (comments excluded)
  std::uint64_t comments = 0;      // comment-only events (`: keep-alive`)
  std::uint64_t event_reads = 0;   // read() calls that completed at least one event
  std::uint64_t coalesced_reads = 0;   // read() calls that completed more than one event
  std::uint64_t coalesced_events = 0;  // events beyond the first in such reads
  std::uint64_t max_events_per_read = 0;
  std::uint64_t chunk_shared_events = 0;  // events that ended in the same HTTP chunk as the previous event
  std::uint64_t body_bytes = 0;
  std::int64_t first_start_ns = INT64_MAX;  // first measured request sent (steady clock)
  std::int64_t last_end_ns = 0;             // last measured response complete
  std::map<int, std::uint64_t> status_counts;
  std::string last_error;

  void merge(Stats&& other);
};

struct RunInfo {
  std::string label;
  std::string url;
  unsigned concurrency = 0;
  unsigned threads = 0;
  bool aborted = false;  // the hard time cap stopped the run
};

std::string report_text(const RunInfo& info, Stats& s);
std::string report_json(const RunInfo& info, Stats& s);

}  // namespace sb::bench
