// Consecutive-failure circuit breaker: open for a cooldown after N failures in a row, then one trial (half-open).
#pragma once
#include <atomic>
#include <chrono>
#include <mutex>
#include <string_view>

#include "core/provider_config.hpp"

namespace sb::core {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { closed, open, half_open };

  explicit CircuitBreaker(BreakerPolicy policy = {}) : policy_(policy) {}
  void set_policy(BreakerPolicy p) {
    std::lock_guard lock(mu_);
    policy_ = p;
  }

  // Whether a request may go to this provider now (an open breaker lets one trial through after the cooldown).
  bool allow() { return clean_.load(std::memory_order_acquire) || allow(Clock::now()); }
  bool allow(Clock::time_point now);
  void record_success();
  void record_failure(Clock::time_point now = Clock::now());
  State state(Clock::time_point now) const;
  State state() const { return clean_.load(std::memory_order_acquire) ? State::closed : state(Clock::now()); }
  static std::string_view name(State s);

 private:
  mutable std::mutex mu_;
  BreakerPolicy policy_;
  int consecutive_failures_ = 0;
  Clock::time_point open_until_{};
  bool open_ = false;
  bool trial_in_flight_ = false;
  // Closed with no failure since the last success: allow(), state() and record_success() have nothing to look at
  // or reset, so they return without the lock or a clock read (the common case, on every request).
  std::atomic<bool> clean_{true};
};

}  // namespace sb::core
