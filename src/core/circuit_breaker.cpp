#include "core/circuit_breaker.hpp"

namespace sb::core {

bool CircuitBreaker::allow(Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (policy_.failures <= 0 || !open_) return true;
  if (now < open_until_ || trial_in_flight_) return false;
  trial_in_flight_ = true;  // half-open: exactly one trial request
  return true;
}

void CircuitBreaker::record_success() {
  if (clean_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(mu_);
  consecutive_failures_ = 0;
  open_ = false;
  trial_in_flight_ = false;
  clean_.store(true, std::memory_order_release);
}

void CircuitBreaker::record_failure(Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (policy_.failures <= 0) return;
  clean_.store(false, std::memory_order_release);
  ++consecutive_failures_;
  if (trial_in_flight_ || consecutive_failures_ >= policy_.failures) {
    open_ = true;
    open_until_ = now + policy_.cooldown;
  }
  trial_in_flight_ = false;
}

CircuitBreaker::State CircuitBreaker::state(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  if (!open_) return State::closed;
  return now < open_until_ ? State::open : State::half_open;
}

std::string_view CircuitBreaker::name(State s) {
  switch (s) {
    case State::open: return "open";
    case State::half_open: return "half_open";
    default: return "closed";
  }
}

}  // namespace sb::core
