// Counters and the last chat request, shared by every io thread and read by /__stats.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mock_upstream {

using Request = boost::beast::http::request<boost::beast::http::string_body>;

// One shard per io thread: a single writer per shard keeps the hot path free of shared cache
// lines; readers sum the shards. Gauges are signed because they are summed across shards.
struct alignas(64) StatsShard {
  std::atomic<std::int64_t> requests{0};  // every request except the /__* observation routes
  std::atomic<std::int64_t> chat_requests{0};
  std::atomic<std::int64_t> connections_total{0};
  std::atomic<std::int64_t> active_connections{0};
  std::atomic<std::int64_t> connections_closed_by_peer{0};
  std::atomic<std::int64_t> streams_started{0};
  std::atomic<std::int64_t> active_streams{0};
  std::atomic<std::int64_t> streams_completed{0};
  std::atomic<std::int64_t> streams_cancelled{0};
  std::atomic<std::int64_t> streams_dropped{0};

  static void bump(std::atomic<std::int64_t>& counter, std::int64_t delta = 1) noexcept {
    counter.fetch_add(delta, std::memory_order_relaxed);
  }
};

class Stats {
 public:
  explicit Stats(std::size_t shards);

  StatsShard& shard(std::size_t index) noexcept { return *shards_[index]; }

  // {"requests":N,"active_connections":N,...} summed over all shards.
  std::string to_json() const;
  // Zeroes the monotonic counters; gauges (active_*) keep describing the present.
  void reset_counters() noexcept;

 private:
  std::vector<std::unique_ptr<StatsShard>> shards_;
};

// The most recent chat-completions request, kept whole so tests can inspect what the proxy sent.
class LastRequestStore {
 public:
  void record(const Request& request);
  void clear();
  // {"method","target","headers":{lowercased name: value},"body":"<raw>"}; empty if none yet.
  std::string to_json() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Request> last_;
};

}  // namespace mock_upstream
