#include "core/executor.hpp"

#include <gtest/gtest.h>

#include "core/circuit_breaker.hpp"
#include "core/guarded_sink.hpp"

namespace sb::core {
namespace {

TEST(Backoff, ExponentialWithJitterAndCap) {
  RetryPolicy p{5, std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
  EXPECT_EQ(backoff_delay(p, 1, 1.0).count(), 100);
  EXPECT_EQ(backoff_delay(p, 1, 0.0).count(), 50);
  EXPECT_EQ(backoff_delay(p, 3, 1.0).count(), 400);
  EXPECT_EQ(backoff_delay(p, 10, 1.0).count(), 1000) << "capped at max_wait";
}

TEST(ErrorClasses, RetryAndFallback) {
  EXPECT_TRUE(retriable(ApiError::upstream_error("x")));
  EXPECT_TRUE(retriable(ApiError::upstream_timeout("x")));
  EXPECT_TRUE(retriable({429, "slow", "rate_limit_error", std::nullopt, "rate_limit_exceeded", 1}));
  EXPECT_FALSE(retriable(ApiError::invalid_json("x")));
  EXPECT_TRUE(fallback_worthy(ApiError::upstream_auth_failed("p")));
  EXPECT_FALSE(fallback_worthy(ApiError::invalid_type("messages", "x")));
}

TEST(CircuitBreaker, OpensAfterFailuresThenLetsOneTrialThrough) {
  CircuitBreaker b({3, std::chrono::milliseconds(1000)});
  const auto t0 = CircuitBreaker::Clock::now();
  for (int i = 0; i < 2; ++i) b.record_failure(t0);
  EXPECT_TRUE(b.allow(t0));
  b.record_failure(t0);
  EXPECT_EQ(b.state(t0), CircuitBreaker::State::open);
  EXPECT_FALSE(b.allow(t0 + std::chrono::milliseconds(500)));
  const auto later = t0 + std::chrono::milliseconds(1500);
  EXPECT_EQ(b.state(later), CircuitBreaker::State::half_open);
  EXPECT_TRUE(b.allow(later));
  EXPECT_FALSE(b.allow(later)) << "only one trial while half-open";
  b.record_success();
  EXPECT_EQ(b.state(later), CircuitBreaker::State::closed);
  EXPECT_TRUE(b.allow(later));
}

TEST(CircuitBreaker, FailedTrialReopens) {
  CircuitBreaker b({1, std::chrono::milliseconds(100)});
  const auto t0 = CircuitBreaker::Clock::now();
  b.record_failure(t0);
  EXPECT_TRUE(b.allow(t0 + std::chrono::milliseconds(200)));
  b.record_failure(t0 + std::chrono::milliseconds(200));
  EXPECT_EQ(b.state(t0 + std::chrono::milliseconds(250)), CircuitBreaker::State::open);
}

TEST(CircuitBreaker, ASuccessResetsTheCountAndTheLockFreePathSeesAnOpenBreaker) {
  CircuitBreaker b({3, std::chrono::seconds(60)});
  b.record_success();  // clean already: nothing to reset
  for (int round = 0; round < 3; ++round) {
    b.record_failure();
    b.record_failure();
    b.record_success();  // two in a row, then a success: the count starts again
    EXPECT_EQ(b.state(), CircuitBreaker::State::closed) << round;
    EXPECT_TRUE(b.allow());
  }
  for (int i = 0; i < 3; ++i) b.record_failure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::open);
  EXPECT_FALSE(b.allow()) << "the no-argument allow() must not take the clean path once failures were seen";
}

TEST(CircuitBreaker, DisabledByDefault) {
  CircuitBreaker b;
  for (int i = 0; i < 100; ++i) b.record_failure();
  EXPECT_TRUE(b.allow());
  EXPECT_EQ(b.state(), CircuitBreaker::State::closed);
}

TEST(EventHasToken, ContentOrToolCalls) {
  EXPECT_FALSE(event_has_token(R"(data: {"choices":[{"delta":{"role":"assistant","content":""}}]})"));
  EXPECT_TRUE(event_has_token(R"(data: {"choices":[{"delta":{"content":"Hi"}}]})"));
  EXPECT_TRUE(event_has_token(R"(data: {"choices":[{"delta":{"tool_calls":[]}}]})"));
  EXPECT_FALSE(event_has_token(R"(data: {"choices":[{"delta":{},"finish_reason":"stop"}]})"));
}

}  // namespace
}  // namespace sb::core
