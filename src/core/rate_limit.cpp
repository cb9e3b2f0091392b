#include "core/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace sb::core {

RateLimiter::RateLimiter(RateLimits limits, std::size_t max_clients)
    : limits_(limits),
      per_second_(limits.requests_per_minute / 60.0),
      max_per_shard_(std::max<std::size_t>(16, max_clients / 16)) {}

RateLimiter::Permit& RateLimiter::Permit::operator=(Permit&& o) noexcept {
  if (this != &o) {
    release();
    shard_ = std::exchange(o.shard_, nullptr);
    state_ = std::exchange(o.state_, nullptr);
  }
  return *this;
}

void RateLimiter::Permit::release() {
  if (state_ == nullptr) return;
  const std::lock_guard lock(shard_->mutex);
  --state_->in_flight;
  state_ = nullptr;
  shard_ = nullptr;
}

void RateLimiter::refill(State& s, Clock::time_point now) const {
  if (limits_.requests_per_minute == 0) return;
  const double cap = limits_.requests_per_minute;
  if (now > s.last) {
    s.tokens = std::min(cap, s.tokens + std::chrono::duration<double>(now - s.last).count() * per_second_);
    s.last = now;
  }
}

// Keeps a shard's map bounded: forget idle clients whose bucket is full (they are indistinguishable from new
// ones), and when that is not enough, any idle client. Amortised O(1): runs when the map doubles.
void RateLimiter::make_room(Shard& shard, Clock::time_point now) {
  auto& m = shard.clients;
  if (m.size() < shard.sweep_at && m.size() < max_per_shard_) return;
  const double cap = limits_.requests_per_minute;
  for (auto it = m.begin(); it != m.end();) {
    refill(it->second, now);
    const bool idle = it->second.in_flight == 0 && (limits_.requests_per_minute == 0 || it->second.tokens >= cap);
    it = idle ? m.erase(it) : std::next(it);
  }
  for (auto it = m.begin(); m.size() >= max_per_shard_ && it != m.end();)
    it = it->second.in_flight == 0 ? m.erase(it) : std::next(it);
  shard.sweep_at = std::max<std::size_t>(1024, 2 * m.size());
}

RateLimiter::Result RateLimiter::acquire(std::string_view client, Clock::time_point now) {
  Result r;
  Decision& d = r.decision;
  d.limit = limits_.requests_per_minute;
  if (!enabled()) return r;
  Shard& shard = shards_[std::hash<std::string_view>{}(client) % shards_.size()];
  const std::lock_guard lock(shard.mutex);
  std::string key(client);
  auto it = shard.clients.find(key);
  if (it == shard.clients.end()) {
    make_room(shard, now);
    it = shard.clients.emplace(std::move(key), State{static_cast<double>(limits_.requests_per_minute), now, 0}).first;
  }
  State& s = it->second;
  refill(s, now);
  const auto until_full = [&] {
    if (per_second_ <= 0) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(std::ceil((limits_.requests_per_minute - s.tokens) / per_second_ * 1000.0)));
  };
  if (limits_.concurrent > 0 && s.in_flight >= limits_.concurrent) {
    d.allowed = false;
    d.over_concurrency = true;
    d.retry_after = std::chrono::seconds(1);
  } else if (limits_.requests_per_minute > 0 && s.tokens < 1.0) {
    d.allowed = false;
    d.retry_after = std::chrono::seconds(static_cast<std::int64_t>(std::ceil((1.0 - s.tokens) / per_second_)));
  }
  if (d.allowed) {
    if (limits_.requests_per_minute > 0) s.tokens -= 1.0;
    ++s.in_flight;
    r.permit = Permit(&shard, &s);
  }
  d.remaining = limits_.requests_per_minute > 0 ? static_cast<unsigned>(std::max(0.0, std::floor(s.tokens))) : 0;
  d.reset = until_full();
  return r;
}

std::size_t RateLimiter::tracked_clients() const {
  std::size_t n = 0;
  for (const auto& shard : shards_) {
    const std::lock_guard lock(shard.mutex);
    n += shard.clients.size();
  }
  return n;
}

std::string RateLimiter::format_duration(std::chrono::milliseconds d) {
  const auto ms = std::max<std::int64_t>(0, d.count());
  if (ms < 1000) return std::to_string(ms) + "ms";
  const auto minutes = ms / 60'000;
  const auto rest_ms = ms % 60'000;
  char secs[32];
  if (rest_ms % 1000 == 0) {
    std::snprintf(secs, sizeof secs, "%llds", static_cast<long long>(rest_ms / 1000));
  } else {
    std::snprintf(secs, sizeof secs, "%.3f", static_cast<double>(rest_ms) / 1000.0);
    std::string s = secs;  // strip trailing zeros: 1.500 -> 1.5
    while (s.back() == '0') s.pop_back();
    std::snprintf(secs, sizeof secs, "%ss", s.c_str());
  }
  return minutes > 0 ? std::to_string(minutes) + "m" + secs : std::string(secs);
}

std::vector<std::pair<std::string, std::string>> RateLimiter::headers(const Decision& d) {
  if (d.limit == 0) return {};
  return {{"x-ratelimit-limit-requests", std::to_string(d.limit)},
          {"x-ratelimit-remaining-requests", std::to_string(d.remaining)},
          {"x-ratelimit-reset-requests", format_duration(d.reset)}};
}

ApiError RateLimiter::error(const Decision& d) {
  std::string message;
  if (d.over_concurrency) {
    message = "Too many concurrent requests for this client. Wait for one to finish and retry.";
  } else {
    message = "Rate limit reached for requests: " + std::to_string(d.limit) + " per minute. Please try again in " +
              format_duration(d.retry_after) + ".";
  }
  return {429, std::move(message), "rate_limit_error", std::nullopt, "rate_limit_exceeded", d.retry_after.count()};
}

std::string client_network(const boost::asio::ip::address& address) {
  if (address.is_v4()) return "ip:" + address.to_string();
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return "ip:" + boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return "ip:" + boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace sb::core
