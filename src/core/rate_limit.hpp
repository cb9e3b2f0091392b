// Per-client rate limits: requests per minute (token bucket) and concurrent requests. In-process and thread-safe
// (every io thread shares one limiter); with several replicas each enforces its own limit.
#pragma once
#include <array>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/api_error.hpp"

namespace sb::core {

struct RateLimits {
  unsigned requests_per_minute = 0;  // 0 = no limit; also the bucket's burst capacity
  unsigned concurrent = 0;           // in-flight requests per client; 0 = no limit
};

class RateLimiter {
  struct Shard;
  struct State;

 public:
  using Clock = std::chrono::steady_clock;

  // `max_clients` bounds the memory used for client states (idle clients with full buckets are forgotten first).
  explicit RateLimiter(RateLimits limits, std::size_t max_clients = 100'000);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  struct Decision {
    bool allowed = true;
    bool over_concurrency = false;       // refused by the concurrency limit (else by the request rate)
    unsigned limit = 0;                  // requests per minute, 0 when off
    unsigned remaining = 0;              // whole requests left in the bucket after this one
    std::chrono::milliseconds reset{0};  // until the bucket is full again
    std::chrono::seconds retry_after{0};  // set when refused
  };

  // Holds a concurrency slot until destroyed.
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& o) noexcept : shard_(std::exchange(o.shard_, nullptr)), state_(std::exchange(o.state_, nullptr)) {}
    Permit& operator=(Permit&& o) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { release(); }
    void release();

   private:
    friend class RateLimiter;
    Permit(Shard* shard, State* state) : shard_(shard), state_(state) {}
    Shard* shard_ = nullptr;
    State* state_ = nullptr;
  };

  struct Result {
    Decision decision;
    Permit permit;  // empty when refused
  };

  // Counts one request of `client` at `now`.
  Result acquire(std::string_view client, Clock::time_point now = Clock::now());

  [[nodiscard]] bool enabled() const { return limits_.requests_per_minute > 0 || limits_.concurrent > 0; }
  [[nodiscard]] const RateLimits& limits() const { return limits_; }
  [[nodiscard]] std::size_t tracked_clients() const;

  // The `x-ratelimit-*` headers of a decision (empty when the rate limit is off).
  static std::vector<std::pair<std::string, std::string>> headers(const Decision& d);
  // The 429 answer for a refused decision, OpenAI format.
  static ApiError error(const Decision& d);
  // OpenAI-style durations: "250ms", "1.5s", "6m0s".
  static std::string format_duration(std::chrono::milliseconds d);

 private:
  struct State {
    double tokens = 0;
    Clock::time_point last{};
    unsigned in_flight = 0;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, State> clients;  // node-based: State addresses are stable
    std::size_t sweep_at = 1024;
  };
  void refill(State& s, Clock::time_point now) const;
  void make_room(Shard& shard, Clock::time_point now);

  RateLimits limits_;
  double per_second_ = 0;
  std::size_t max_per_shard_;
  std::array<Shard, 16> shards_;
};

// The rate-limit identity of a client without a proxy key: "ip:" + its IPv4 address, or its IPv6 /64 network
// (one host usually owns a whole /64, so single IPv6 addresses are free to rotate).
std::string client_network(const boost::asio::ip::address& address);

}  // namespace sb::core
