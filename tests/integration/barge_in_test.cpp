// Voice barge-in (BARGE_IN=true): a newer request with the same session id cancels the older one still running —
// an `error` event after the first byte, a 409 before it — and the older upstream call is closed. Sessions are
// per proxy key, and without BARGE_IN nothing is cancelled.
#include <future>
#include <thread>

#include "harness.hpp"

namespace sb::test {
namespace {
namespace json = boost::json;

constexpr const char* kAlice = "sk-test-alice-0001";
constexpr const char* kBob = "sk-test-bob-0002";

// A slow stream: 40 chunks 50 ms apart (2 s).
std::string slow_stream_body() { return chat_body(R"("mock":{"scenario":"text","chunks":40,"interval_ms":50})", true); }

Headers as(const char* key, const std::string& session) {
  return {{"Authorization", std::string("Bearer ") + key}, {"X-Session-Id", session}};
}

class BargeIn : public ProxyToMockUpstream {
 protected:
  std::map<std::string, std::string> proxy_env() override {
    auto env = ProxyToMockUpstream::proxy_env();
    env["BARGE_IN"] = "true";
    env["SWITCHBOARD_API_KEYS"] = std::string("alice:") + kAlice + ",bob:" + kBob;
    return env;
  }

  // Starts a slow stream as `key`/`session` in the background; `started` is set at its first event.
  std::future<StreamResponse> slow_stream(const char* key, const std::string& session, std::promise<void>& started) {
    return std::async(std::launch::async, [this, key, session, &started] {
      bool first = true;
      return http_stream(port(), "/v1/chat/completions", slow_stream_body(), as(key, session),
                         [&](const TimedEvent&) {
                           if (first) started.set_value();
                           first = false;
                           return true;
                         });
    });
  }
};

TEST_F(BargeIn, NewerRequestOfTheSessionEndsTheOlderStreamWithAnErrorEvent) {
  std::promise<void> started;
  auto older = slow_stream(kAlice, "call-1", started);
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);

  const auto t0 = std::chrono::steady_clock::now();
  const auto newer = http_request(port(), "POST", "/v1/chat/completions", chat_body(), as(kAlice, "call-1"));
  EXPECT_EQ(newer.status, 200) << newer.body;

  ASSERT_EQ(older.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const auto r = older.get();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1500)) << "the old stream ended at once";
  ASSERT_EQ(r.status, 200);
  ASSERT_FALSE(r.events.empty());
  const auto& last = r.events.back().data;
  ASSERT_EQ(last.rfind("{\"error\"", 0), 0u) << last;
  EXPECT_EQ(error_of(last).at("code").as_string(), "superseded");
  for (const auto& e : r.events) EXPECT_NE(e.data, "[DONE]");
  EXPECT_LT(chunks(r).size(), 30u) << "the stream did not run to its end";
  EXPECT_TRUE(r.complete) << "the HTTP response itself ends cleanly";
  EXPECT_TRUE(wait_for_upstream([](const json::object& s) { return s.at("streams_cancelled").as_int64() >= 1; }))
      << "the older upstream call was not closed";
}

TEST_F(BargeIn, BeforeTheFirstByteTheOlderRequestGets409) {
  auto older = std::async(std::launch::async, [this] {
    return http_request(port(), "POST", "/v1/chat/completions",
                        chat_body(R"("mock":{"scenario":"stall","stall_at":"headers"})"), as(kAlice, "call-2"));
  });
  ASSERT_TRUE(wait_for_upstream([](const json::object& s) { return s.at("chat_requests").as_int64() >= 1; }));
  const auto newer =
      http_request(port(), "POST", "/v1/chat/completions", chat_body({}, true), as(kAlice, "call-2"));
  EXPECT_EQ(newer.status, 200);
  ASSERT_EQ(older.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const auto r = older.get();
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(error_of(r.body).at("code").as_string(), "superseded");
  EXPECT_TRUE(wait_for_upstream([](const json::object& s) { return s.at("connections_closed_by_peer").as_int64() >= 1; }))
      << "the stalled upstream call was not closed";
}

TEST_F(BargeIn, OtherSessionsAndOtherKeysAreLeftAlone) {
  std::promise<void> started;
  auto older = slow_stream(kAlice, "call-3", started);
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  // Another session of the same key, the same session id under another key, and no session id at all.
  EXPECT_EQ(http_request(port(), "POST", "/v1/chat/completions", chat_body(), as(kAlice, "call-4")).status, 200);
  EXPECT_EQ(http_request(port(), "POST", "/v1/chat/completions", chat_body(), as(kBob, "call-3")).status, 200);
  EXPECT_EQ(http_request(port(), "POST", "/v1/chat/completions", chat_body(),
                         {{"Authorization", std::string("Bearer ") + kAlice}})
                .status,
            200);
  const auto r = older.get();
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.back().data, "[DONE]");
}

TEST_F(BargeIn, TheSessionIdFieldCountsLikeTheHeader) {
  std::promise<void> started;
  auto older = slow_stream(kAlice, "call-5", started);
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const auto newer = http_request(port(), "POST", "/v1/chat/completions", chat_body(R"("session_id":"call-5")"),
                                  {{"Authorization", std::string("Bearer ") + kAlice}});
  EXPECT_EQ(newer.status, 200);
  const auto r = older.get();
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(error_of(r.events.back().data).at("code").as_string(), "superseded");
}

// Without BARGE_IN the same two requests both run to their end.
TEST_F(ProxyToMockUpstream, WithoutBargeInASessionsRequestsDoNotCancelEachOther) {
  std::promise<void> started;
  auto older = std::async(std::launch::async, [&] {
    bool first = true;
    return http_stream(port(), "/v1/chat/completions",
                       chat_body(R"("mock":{"scenario":"text","chunks":10,"interval_ms":30})", true),
                       {{"X-Session-Id", "call-6"}}, [&](const TimedEvent&) {
                         if (first) started.set_value();
                         first = false;
                         return true;
                       });
  });
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(http_request(port(), "POST", "/v1/chat/completions", chat_body(), {{"X-Session-Id", "call-6"}}).status,
            200);
  const auto r = older.get();
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.back().data, "[DONE]");
}

}  // namespace
}  // namespace sb::test
