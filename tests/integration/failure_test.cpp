// Upstream failures, client hang-ups and timeouts: every one ends in a clear answer, never a silent truncation.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "harness.hpp"

namespace sb::test {
namespace {
namespace json = boost::json;
namespace net = boost::asio;

TEST_F(ProxyToMockUpstream, Upstream401IsNotTheCallersFaultAndLeaksNoKey) {
  const auto r =
      http_request(port(), "POST", "/v1/chat/completions", chat_body(R"("mock":{"scenario":"error","status":401})"));
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(error_of(r.body).at("code").as_string(), "upstream_auth_failed");
  EXPECT_EQ(r.body.find("sk-"), std::string::npos);
  EXPECT_EQ(proxy_->output().find(kUpstreamKey), std::string::npos) << "the key must never reach the logs";
}

TEST_F(ProxyToMockUpstream, Upstream429KeepsRetryAfter) {
  const auto r = http_request(port(), "POST", "/v1/chat/completions",
                              chat_body(R"("mock":{"scenario":"error","status":429,"retry_after":3})", true));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(error_of(r.body).at("code").as_string(), "rate_limit_exceeded");
  EXPECT_EQ(r.headers.at("retry-after"), "3");
}

TEST_F(ProxyToMockUpstream, Upstream400PassesTheMessageOn) {
  const auto r =
      http_request(port(), "POST", "/v1/chat/completions", chat_body(R"("mock":{"scenario":"error","status":400})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(error_of(r.body).at("message").as_string().empty());
}

TEST_F(ProxyToMockUpstream, Upstream5xxIs502) {
  for (const char* s : {"500", "503"}) {
    const auto r = http_request(port(), "POST", "/v1/chat/completions",
                                chat_body(std::string(R"("mock":{"scenario":"error","status":)") + s + "}", true));
    EXPECT_EQ(r.status, 502) << s;
    EXPECT_EQ(error_of(r.body).at("code").as_string(), "upstream_error");
  }
}

TEST_F(ProxyToMockUpstream, MidStreamDropEndsWithAnErrorEventAndNoFinish) {
  const auto r =
      http_stream(port(), "/v1/chat/completions", chat_body(R"("mock":{"scenario":"drop","drop_after":3})", true));
  ASSERT_EQ(r.status, 200);
  ASSERT_FALSE(r.events.empty());
  const auto& last = r.events.back().data;
  ASSERT_EQ(last.rfind("{\"error\"", 0), 0u) << last;
  EXPECT_EQ(error_of(last).at("code").as_string(), "upstream_error");
  for (const auto& c : chunks(r)) {
    if (!c.contains("choices")) continue;
    for (const auto& ch : c.at("choices").as_array()) EXPECT_TRUE(ch.at("finish_reason").is_null());
  }
  for (const auto& e : r.events) EXPECT_NE(e.data, "[DONE]");
  EXPECT_TRUE(r.complete) << "the HTTP response itself still ends cleanly";
  // The proxy is still healthy.
  EXPECT_EQ(http_request(port(), "GET", "/healthz").status, 200);
}

TEST_F(ProxyToMockUpstream, ClientHangUpCancelsTheUpstreamCall) {
  int seen = 0;
  const auto r = http_stream(port(), "/v1/chat/completions",
                             chat_body(R"("mock":{"scenario":"stall","stall_at":"mid_stream","drop_after":2})", true),
                             {}, [&](const TimedEvent&) { return ++seen < 2; });
  EXPECT_EQ(seen, 2);
  EXPECT_TRUE(wait_for_upstream([](const json::object& s) { return s.at("streams_cancelled").as_int64() >= 1; }))
      << "the upstream never saw the proxy close its connection";
}

TEST_F(ProxyToMockUpstream, ClientHangUpBeforeFirstByteCancelsToo) {
  // The upstream answers 200 then stays silent; the client gives up (its read times out) before any byte.
  const auto r = http_stream(port(), "/v1/chat/completions",
                             chat_body(R"("mock":{"scenario":"stall","stall_at":"first_byte"})", true), {}, {},
                             std::chrono::milliseconds(400));
  EXPECT_TRUE(r.events.empty());
  EXPECT_TRUE(wait_for_upstream([](const json::object& s) { return s.at("streams_cancelled").as_int64() >= 1; }));
}

// A client that pipelines its next request and then hangs up: the FIN sits behind bytes the proxy has not read yet,
// where the connection's own wait for readability cannot see it. The upstream call is still cancelled at once, not
// when the upstream's first-byte timeout (1.5 s here) ends it.
TEST_F(ProxyToMockUpstream, HangUpAfterAPipelinedRequestCancelsTheUpstreamCallAtOnce) {
  for (const bool stream : {false, true}) {
    const auto before = upstream_stats().at("streams_cancelled").as_int64();
    const std::string body = chat_body(R"("mock":{"scenario":"stall","stall_at":"headers"})", stream);
    const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    // The second request once the first is being served (a byte queued unread under the running one), then the
    // connection closed 100 ms later without an answer.
    const auto start = std::chrono::steady_clock::now();
    {
      net::io_context io;
      net::ip::tcp::socket s(io);
      s.connect({net::ip::make_address("127.0.0.1"), port()});
      net::write(s, net::buffer(request));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      net::write(s, net::buffer(request));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      EXPECT_EQ(s.available(), 0u) << "no answer yet";
    }
    EXPECT_TRUE(wait_for_upstream([&](const json::object& s) { return s.at("streams_cancelled").as_int64() > before; },
                                  1000))
        << (stream ? "stream" : "non-stream") << ": the upstream call outlived the client";
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400)) << "not the timeout's doing";
  }
}

TEST_F(ProxyToMockUpstream, SilentStreamGetsKeepAliveComments) {
  const auto r =
      http_stream(port(), "/v1/chat/completions", chat_body(R"("mock":{"chunks":3,"interval_ms":800})", true));
  ASSERT_EQ(r.status, 200);
  int comments = 0;
  for (const auto& e : r.events) comments += e.data.rfind(": keep-alive", 0) == 0 ? 1 : 0;
  EXPECT_GE(comments, 2);
  EXPECT_EQ(r.events.back().data, "[DONE]");
}

TEST_F(ProxyToMockUpstream, UpstreamThatNeverAnswersTimesOutWith504) {
  const auto r = http_request(port(), "POST", "/v1/chat/completions",
                              chat_body(R"("mock":{"scenario":"stall","stall_at":"headers"})"));
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(error_of(r.body).at("code").as_string(), "upstream_timeout");
  EXPECT_TRUE(wait_for_upstream([](const json::object& s) {
    return s.at("active_streams").as_int64() == 0 && s.at("streams_cancelled").as_int64() == 1;
  })) << "the timed-out upstream connection must be closed";
}

TEST_F(ProxyToMockUpstream, UpstreamConnectionsAreReused) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(http_request(port(), "POST", "/v1/chat/completions", chat_body()).status, 200);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(http_stream(port(), "/v1/chat/completions", chat_body({}, true)).complete);
  const auto s = upstream_stats();
  EXPECT_EQ(s.at("requests").as_int64(), 10);
  // One pooled connection per proxy io thread (2) plus this stats query: nothing was opened per request.
  EXPECT_LE(s.at("connections_total").as_int64(), 3) << "upstream connections were not reused";
}

TEST(ProxyWithoutUpstream, ConnectionRefusedIs502) {
  auto proxy = start_switchboard({{"OPENAI_API_KEY", "sk-x-123456789"}, {"OPENAI_BASE_URL", "http://127.0.0.1:1/v1"}});
  const auto r = http_request(proxy->port(), "POST", "/v1/chat/completions", chat_body());
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(error_of(r.body).at("code").as_string(), "upstream_error");
}

}  // namespace
}  // namespace sb::test
