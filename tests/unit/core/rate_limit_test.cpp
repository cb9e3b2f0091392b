#include "core/rate_limit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sb::core {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

TEST(RateLimiter, OffByDefault) {
  RateLimiter rl({});
  EXPECT_FALSE(rl.enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(rl.acquire("a").decision.allowed);
  EXPECT_EQ(rl.tracked_clients(), 0u);
}

TEST(RateLimiter, TokenBucketBurstsThenRefillsAtTheRate) {
  RateLimiter rl({.requests_per_minute = 60});
  const auto t0 = Clock::now();
  for (int i = 0; i < 60; ++i) {
    const auto r = rl.acquire("a", t0);
    ASSERT_TRUE(r.decision.allowed) << i;
    EXPECT_EQ(r.decision.remaining, 59u - i);
    EXPECT_EQ(r.decision.limit, 60u);
  }
  auto refused = rl.acquire("a", t0);
  EXPECT_FALSE(refused.decision.allowed);
  EXPECT_FALSE(refused.decision.over_concurrency);
  EXPECT_EQ(refused.decision.retry_after, 1s);
  EXPECT_EQ(refused.decision.reset, 60s);
  EXPECT_TRUE(rl.acquire("b", t0).decision.allowed) << "clients are independent";
  EXPECT_FALSE(rl.acquire("a", t0 + 500ms).decision.allowed);
  EXPECT_TRUE(rl.acquire("a", t0 + 1000ms).decision.allowed) << "one token per second";
  EXPECT_FALSE(rl.acquire("a", t0 + 1500ms).decision.allowed);
  const auto later = rl.acquire("a", t0 + 10min);
  EXPECT_TRUE(later.decision.allowed);
  EXPECT_EQ(later.decision.remaining, 59u) << "the bucket never holds more than its capacity";
}

TEST(RateLimiter, ConcurrencySlotsAreHeldByPermits) {
  RateLimiter rl({.concurrent = 2});
  auto a = rl.acquire("k");
  auto b = rl.acquire("k");
  ASSERT_TRUE(a.decision.allowed && b.decision.allowed);
  auto c = rl.acquire("k");
  EXPECT_FALSE(c.decision.allowed);
  EXPECT_TRUE(c.decision.over_concurrency);
  EXPECT_EQ(c.decision.retry_after, 1s);
  EXPECT_TRUE(rl.acquire("other").decision.allowed);
  a.permit.release();
  auto d = rl.acquire("k");
  EXPECT_TRUE(d.decision.allowed);
  { RateLimiter::Permit moved = std::move(b.permit); }  // released by the destructor of the moved-to permit
  EXPECT_TRUE(rl.acquire("k").decision.allowed);
  EXPECT_TRUE(RateLimiter::headers(c.decision).empty()) << "no request-rate headers when only concurrency is on";
}

TEST(RateLimiter, RefusedConcurrencyDoesNotSpendATokens) {
  RateLimiter rl({.requests_per_minute = 2, .concurrent = 1});
  const auto t0 = Clock::now();
  auto held = rl.acquire("k", t0);
  ASSERT_TRUE(held.decision.allowed);
  EXPECT_FALSE(rl.acquire("k", t0).decision.allowed);
  EXPECT_FALSE(rl.acquire("k", t0).decision.allowed);
  held.permit.release();
  EXPECT_TRUE(rl.acquire("k", t0).decision.allowed) << "the refused attempts took no token";
}

TEST(RateLimiter, HeadersAndErrorInOpenAIFormat) {
  RateLimiter rl({.requests_per_minute = 3});
  const auto t0 = Clock::now();
  rl.acquire("k", t0);
  rl.acquire("k", t0);
  rl.acquire("k", t0);
  const auto d = rl.acquire("k", t0).decision;
  ASSERT_FALSE(d.allowed);
  const auto h = RateLimiter::headers(d);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0], (std::pair<std::string, std::string>{"x-ratelimit-limit-requests", "3"}));
  EXPECT_EQ(h[1], (std::pair<std::string, std::string>{"x-ratelimit-remaining-requests", "0"}));
  EXPECT_EQ(h[2], (std::pair<std::string, std::string>{"x-ratelimit-reset-requests", "1m0s"}));
  const auto err = RateLimiter::error(d);
  EXPECT_EQ(err.status, 429);
  EXPECT_EQ(err.code, "rate_limit_exceeded");
  EXPECT_EQ(err.retry_after_seconds, 20);
  EXPECT_NE(err.body().find("3 per minute"), std::string::npos);
}

TEST(RateLimiter, DurationsLikeOpenAI) {
  EXPECT_EQ(RateLimiter::format_duration(0ms), "0ms");
  EXPECT_EQ(RateLimiter::format_duration(250ms), "250ms");
  EXPECT_EQ(RateLimiter::format_duration(1000ms), "1s");
  EXPECT_EQ(RateLimiter::format_duration(1500ms), "1.5s");
  EXPECT_EQ(RateLimiter::format_duration(61'250ms), "1m1.25s");
  EXPECT_EQ(RateLimiter::format_duration(360'000ms), "6m0s");
}

TEST(RateLimiter, ThreadSafeExactCounts) {
  RateLimiter rl({.requests_per_minute = 1000, .concurrent = 0});
  const auto t0 = Clock::now();
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (rl.acquire("shared", t0).decision.allowed) ++allowed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(RateLimiter, ConcurrencyUnderThreadsNeverExceedsTheLimit) {
  RateLimiter rl({.concurrent = 3});
  std::atomic<int> in_flight{0}, worst{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto r = rl.acquire("k");
        if (!r.decision.allowed) continue;
        const int now = ++in_flight;
        int w = worst.load();
        while (now > w && !worst.compare_exchange_weak(w, now)) {
        }
        --in_flight;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_LE(worst.load(), 3);
  EXPECT_TRUE(rl.acquire("k").decision.allowed);
}

TEST(RateLimiter, MemoryIsBounded) {
  RateLimiter rl({.requests_per_minute = 10}, /*max_clients=*/1600);
  const auto t0 = Clock::now();
  for (int i = 0; i < 20'000; ++i) rl.acquire("client-" + std::to_string(i), t0);
  EXPECT_LE(rl.tracked_clients(), 1600u + 16u);
}

TEST(RateLimiter, ClientNetworks) {
  namespace ip = boost::asio::ip;
  EXPECT_EQ(client_network(ip::make_address("203.0.113.7")), "ip:203.0.113.7");
  EXPECT_EQ(client_network(ip::make_address("::ffff:203.0.113.7")), "ip:203.0.113.7");
  EXPECT_EQ(client_network(ip::make_address("2001:db8:1:2:3:4:5:6")), "ip:2001:db8:1:2::/64");
  EXPECT_EQ(client_network(ip::make_address("2001:db8:1:2:ffff::1")), "ip:2001:db8:1:2::/64");
}

}  // namespace
}  // namespace sb::core
