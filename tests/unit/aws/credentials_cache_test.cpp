// The chain's cache: reuse, refresh before expiry, one shared refresh for concurrent callers (on one thread
// and across threads), cancellation of one waiter, failure handling.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <thread>

#include "aws/credentials.hpp"

namespace sb::aws {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using Gate = net::experimental::concurrent_channel<void(boost::system::error_code)>;

// A scripted source: each fetch answers with a new key ("K1", "K2", …) valid for `lifetime`, optionally after
// waiting for the test to open a gate; fails while `failing` is set.
class FakeSource final : public CredentialsSource {
 public:
  FakeSource(std::function<SystemClock::time_point()> now, std::chrono::seconds lifetime)
      : now_(std::move(now)), lifetime_(lifetime) {}
  [[nodiscard]] const std::string& name() const override { return name_; }
  net::awaitable<CredentialsResult> fetch() override {
    ++started;
    if (gate) co_await gate->async_receive(net::as_tuple(net::use_awaitable));
    if (failing) co_return std::string("scripted failure");
    const int n = ++served;
    co_return TimedCredentials{{"K" + std::to_string(n), "S", "T"}, now_() + lifetime_, name_};
  }

  std::shared_ptr<Gate> gate;
  std::atomic<int> started{0}, served{0};
  std::atomic<bool> failing{false};

 private:
  std::function<SystemClock::time_point()> now_;
  std::chrono::seconds lifetime_;
  std::string name_ = "fake";
};

struct Fixture {
  SystemClock::time_point now = SystemClock::from_time_t(1'700'000'000);
  FakeSource* source = nullptr;
  std::shared_ptr<CredentialsProvider> chain;

  explicit Fixture(std::chrono::seconds lifetime = 3600s) {
    auto s = std::make_unique<FakeSource>([this] { return now; }, lifetime);
    source = s.get();
    std::vector<std::unique_ptr<CredentialsSource>> sources;
    sources.push_back(std::move(s));
    ChainOptions options;
    options.now = [this] { return now; };
    chain = std::make_shared<CredentialsProvider>(std::move(sources), options);
  }

  // get() on a fresh io_context, run until everything (including background refreshes) is done.
  CredentialsResult get() {
    net::io_context io;
    std::optional<CredentialsResult> out;
    net::co_spawn(
        io, [&]() -> net::awaitable<void> { out.emplace(co_await chain->get()); }, net::detached);
    io.run();
    return std::move(*out);
  }
};

TEST(CredentialsCache, FreshCredentialsAreReused) {
  Fixture f;
  EXPECT_EQ(f.get()->credentials.access_key_id, "K1");
  f.now += 30min;
  EXPECT_EQ(f.get()->credentials.access_key_id, "K1");
  EXPECT_EQ(f.source->started, 1);
}

TEST(CredentialsCache, RefreshedInTheBackgroundBeforeExpiry) {
  Fixture f;
  EXPECT_EQ(f.get()->credentials.access_key_id, "K1");
  f.now += 56min;  // 4 minutes left: inside the 5-minute refresh window, still usable
  EXPECT_EQ(f.get()->credentials.access_key_id, "K1") << "the caller is not kept waiting";
  EXPECT_EQ(f.source->started, 2) << "a refresh was started";
  EXPECT_EQ(f.get()->credentials.access_key_id, "K2");
}

TEST(CredentialsCache, ExpiredCredentialsAreNeverHandedOut) {
  Fixture f;
  EXPECT_EQ(f.get()->credentials.access_key_id, "K1");
  f.now += 60min - 5s;  // inside the expiry margin: unusable
  EXPECT_EQ(f.get()->credentials.access_key_id, "K2");
}

TEST(CredentialsCache, LongTermKeysNeverExpire) {
  std::vector<std::unique_ptr<CredentialsSource>> sources;
  sources.push_back(make_static_source("static", {"AKID", "S", ""}));
  auto chain = std::make_shared<CredentialsProvider>(std::move(sources), ChainOptions{});
  net::io_context io;
  int ok = 0;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        for (int i = 0; i < 3; ++i) ok += (co_await chain->get()).has_value();
      },
      net::detached);
  io.run();
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(chain->fetches(), 1u);
}

TEST(CredentialsCache, ConcurrentCallersShareOneRefresh) {
  net::io_context io;  // outlives the fixture: its gate channel holds an executor of this context
  Fixture f;
  f.source->gate = std::make_shared<Gate>(io.get_executor(), 1);
  std::vector<std::string> keys;
  for (int i = 0; i < 8; ++i)
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
          auto r = co_await f.chain->get();
          keys.push_back(r ? r->credentials.access_key_id : r.error());
        },
        net::detached);
  f.source->gate->try_send(boost::system::error_code{});
  io.run();
  EXPECT_EQ(keys, std::vector<std::string>(8, "K1"));
  EXPECT_EQ(f.source->started, 1);
}

TEST(CredentialsCache, CallersOnTwoThreadsShareOneRefresh) {
  net::io_context io_a, io_b;  // outlive the fixture (its gate channel)
  Fixture f;
  f.source->gate = std::make_shared<Gate>(io_a.get_executor(), 1);
  std::string key_a, key_b;
  auto getter = [&](std::string& out) {
    return [&]() -> net::awaitable<void> {
      auto r = co_await f.chain->get();
      out = r ? r->credentials.access_key_id : r.error();
    };
  };
  net::co_spawn(io_a, getter(key_a), net::detached);
  net::co_spawn(io_b, getter(key_b), net::detached);
  std::thread a([&] { io_a.run(); });
  std::thread b([&] { io_b.run(); });
  // Open the gate once both callers wait for the one refresh (a condition, not a timed sleep).
  while (f.chain->waiting() < 2) std::this_thread::yield();
  f.source->gate->try_send(boost::system::error_code{});
  a.join();
  b.join();
  EXPECT_EQ(key_a, "K1");
  EXPECT_EQ(key_b, "K1");
  EXPECT_EQ(f.source->started, 1);
}

TEST(CredentialsCache, ACancelledWaiterLeavesTheOthersServed) {
  using namespace net::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)
  net::io_context io;  // outlives the fixture: its gate channel holds an executor of this context
  Fixture f;
  f.source->gate = std::make_shared<Gate>(io.get_executor(), 1);
  std::string patient;
  bool cancelled_side_won = false;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        net::steady_timer immediately(io, 0ms);
        auto which = co_await (f.chain->get() || immediately.async_wait(net::use_awaitable));
        cancelled_side_won = which.index() == 1;
        f.source->gate->try_send(boost::system::error_code{});  // only now let the refresh finish
      },
      net::detached);
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        auto r = co_await f.chain->get();
        patient = r ? r->credentials.access_key_id : r.error();
      },
      net::detached);
  io.run();
  EXPECT_TRUE(cancelled_side_won);
  EXPECT_EQ(patient, "K1");
  EXPECT_EQ(f.chain->waiting(), 0u);
  EXPECT_EQ(f.source->started, 1);
}

TEST(CredentialsCache, FailureIsReportedThenRetriedOnTheNextCall) {
  Fixture f;
  f.source->failing = true;
  const auto r = f.get();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("fake: scripted failure"), std::string::npos) << r.error();
  f.source->failing = false;
  EXPECT_EQ(f.get()->credentials.access_key_id, "K1");
}

TEST(CredentialsCache, FailedBackgroundRefreshKeepsTheOldKeysAndBacksOff) {
  Fixture f;
  EXPECT_EQ(f.get()->credentials.access_key_id, "K1");
  f.now += 56min;
  f.source->failing = true;
  EXPECT_EQ(f.get()->credentials.access_key_id, "K1");
  EXPECT_EQ(f.source->started, 2);
  EXPECT_EQ(f.get()->credentials.access_key_id, "K1");
  EXPECT_EQ(f.source->started, 2) << "no new attempt within the back-off";
  f.now += 11s;
  f.source->failing = false;
  EXPECT_EQ(f.get()->credentials.access_key_id, "K1");
  EXPECT_EQ(f.source->started, 3);
  EXPECT_EQ(f.get()->credentials.access_key_id, "K2");
}

TEST(CredentialsCache, FirstSourceThatAnswersWins) {
  std::vector<std::unique_ptr<CredentialsSource>> sources;
  auto failing = std::make_unique<FakeSource>([] { return SystemClock::now(); }, 3600s);
  failing->failing = true;
  sources.push_back(std::move(failing));
  sources.push_back(make_static_source("static", {"AKIDSTATIC", "S", ""}));
  auto chain = std::make_shared<CredentialsProvider>(std::move(sources), ChainOptions{});
  net::io_context io;
  std::optional<CredentialsResult> r;
  net::co_spawn(
      io, [&]() -> net::awaitable<void> { r.emplace(co_await chain->get()); }, net::detached);
  io.run();
  ASSERT_TRUE(*r);
  EXPECT_EQ((*r)->credentials.access_key_id, "AKIDSTATIC");
  EXPECT_EQ((*r)->source, "static");
}

}  // namespace
}  // namespace sb::aws
