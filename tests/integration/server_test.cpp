// The server itself, on the mock provider: routes, limits, ids, lifecycle.
#include <poll.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "harness.hpp"

namespace sb::test {
namespace {
namespace json = boost::json;
namespace net = boost::asio;

class MockProviderServer : public ::testing::Test {
 protected:
  void SetUp() override { proxy_ = start_switchboard({{"MOCK_INTERVAL_MS", "5"}, {"MAX_BODY_BYTES", "65536"}}); }
  unsigned short port() const { return proxy_->port(); }
  std::unique_ptr<Process> proxy_;
};

TEST_F(MockProviderServer, StartsOnTheMockWithNoKeys) {
  const auto out = proxy_->output();
  EXPECT_NE(out.find("default provider: mock"), std::string::npos) << out;
  EXPECT_NE(out.find("mock (available)"), std::string::npos);
  EXPECT_EQ(http_request(port(), "GET", "/healthz").body, R"({"status":"ok"})");
  EXPECT_EQ(http_request(port(), "GET", "/readyz").status, 200);
  const auto providers = parse_obj(http_request(port(), "GET", "/v1/providers").body);
  EXPECT_EQ(providers.at("default").as_string(), "mock");
  const auto models = parse_obj(http_request(port(), "GET", "/v1/models").body);
  EXPECT_EQ(models.at("object").as_string(), "list");
  EXPECT_EQ(models.at("data").at(0).at("object").as_string(), "model");
}

TEST_F(MockProviderServer, StreamsTheMockReplyWordByWord) {
  const auto r =
      http_stream(port(), "/chat/completions", chat_body(R"("stream_options":{"include_usage":true})", true));
  ASSERT_EQ(r.status, 200);
  std::string text;
  for (const auto& c : chunks(r))
    for (const auto& ch : c.at("choices").as_array())
      if (const auto* t = ch.at("delta").as_object().if_contains("content")) text += t->as_string();
  EXPECT_EQ(text, "You said: \"Say hello\". This is the switchboard mock provider.");
  EXPECT_EQ(r.events.back().data, "[DONE]");
  EXPECT_TRUE(chunks(r).back().at("usage").is_object());
}

TEST_F(MockProviderServer, RequestIdIsEchoedOrMinted) {
  EXPECT_EQ(http_request(port(), "GET", "/healthz", {}, {{"X-Request-Id", "abc-123"}}).headers.at("x-request-id"),
            "abc-123");
  const auto minted = http_request(port(), "GET", "/healthz", {}, {{"X-Request-Id", "bad id\x01"}});
  EXPECT_NE(minted.headers.at("x-request-id"), "bad id\x01");
  EXPECT_FALSE(minted.headers.at("x-request-id").empty());
}

TEST_F(MockProviderServer, RoutingErrors) {
  auto r = http_request(port(), "GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(parse_obj(r.body).contains("error"));
  r = http_request(port(), "GET", "/v1/chat/completions");
  EXPECT_EQ(r.status, 405);
  r = http_request(port(), "POST", "/v1/chat/completions", chat_body(R"("provider":"nope")"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse_obj(r.body).at("error").at("code").as_string(), "unknown_provider");
  r = http_request(port(), "POST", "/v1/chat/completions", chat_body(R"("provider":"openai")"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(parse_obj(r.body).at("error").at("code").as_string(), "provider_unavailable");
  r = http_request(port(), "POST", "/v1/chat/completions", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse_obj(r.body).at("error").at("code").as_string(), "invalid_json");
}

TEST_F(MockProviderServer, OversizedBodyIs413AndOthersAreUnaffected) {
  const std::string big = chat_body(R"("pad":")" + std::string(70000, 'x') + "\"");
  const auto r = http_request(port(), "POST", "/v1/chat/completions", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(parse_obj(r.body).at("error").at("code").as_string(), "request_too_large");
  EXPECT_EQ(http_request(port(), "POST", "/v1/chat/completions", chat_body()).status, 200);
}

TEST_F(MockProviderServer, OversizedHeadersAre431) {
  const auto r = http_request(port(), "GET", "/healthz", {}, {{"X-Big", std::string(20000, 'a')}});
  EXPECT_EQ(r.status, 431);
}

TEST_F(MockProviderServer, GarbageIs400AndTheServerStaysUp) {
  const auto out = raw_exchange(port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_NE(out.find(" 400 "), std::string::npos) << out;
  EXPECT_EQ(http_request(port(), "GET", "/healthz").status, 200);
}

TEST_F(MockProviderServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto out = raw_exchange(port(), req + req + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::size_t n = 0;
  for (std::size_t p = out.find("HTTP/1.1 200"); p != std::string::npos; p = out.find("HTTP/1.1 200", p + 1)) ++n;
  EXPECT_EQ(n, 3u) << out;
}

// Found by fuzz_http_server: a client that sends its request and closes its side at once (half-close). The
// server saw the EOF while the request ran, the request won the race, and the EOF was lost: the connection then
// sat until the idle timeout. Now it closes as soon as everything sent has been answered.
TEST(HalfClose, ConnectionClosesRightAfterTheLastAnswer) {
  auto proxy = start_switchboard({{"MOCK_INTERVAL_MS", "0"}, {"IDLE_TIMEOUT_MS", "30000"}});
  const std::string body = chat_body();
  const std::string chat = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  for (int i = 0; i < 20; ++i) {
    net::io_context io;
    net::ip::tcp::socket s(io);
    s.connect({net::ip::make_address("127.0.0.1"), proxy->port()});
    net::write(s, net::buffer(chat));
    s.shutdown(net::ip::tcp::socket::shutdown_send);
    const auto start = std::chrono::steady_clock::now();
    std::string out;
    char tmp[4096];
    boost::system::error_code ec;
    bool closed = false;
    while (!closed) {
      pollfd pfd{s.native_handle(), POLLIN, 0};
      if (::poll(&pfd, 1, 5000) != 1) break;  // still open 5 s on: the bug (the idle timeout is 30 s)
      const std::size_t n = s.read_some(net::buffer(tmp), ec);
      out.append(tmp, n);
      closed = static_cast<bool>(ec);
    }
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(closed) << "round " << i << ": the connection stayed open after " << out;
    EXPECT_LT(took, std::chrono::seconds(5));
    // Either answered (the request won) or cut as a hang-up (the EOF won): both end the connection at once.
    if (!out.empty()) {
      EXPECT_TRUE(out.starts_with("HTTP/1.1 200")) << out;
    }
  }
}

TEST_F(MockProviderServer, SigtermDrainsAnInFlightStreamThenExitsZero) {
  std::thread client([&] {
    const auto r = http_stream(port(), "/v1/chat/completions", chat_body({}, true));
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.events.back().data, "[DONE]");
  });
  // Wait until the stream is under way, then ask the server to stop.
  for (int i = 0; i < 200 && proxy_->output().find("request_id") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (i == 20) break;
  }
  EXPECT_EQ(proxy_->stop(SIGTERM), 0);
  client.join();
}

TEST(Cli, HelpAndBadFlags) {
  auto [rc, out] = run_command({SWITCHBOARD_BIN, "--help"});
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("OPENAI_BASE_URL"), std::string::npos);
  EXPECT_NE(out.find("--port"), std::string::npos);
  std::tie(rc, out) = run_command({SWITCHBOARD_BIN, "--bogus"});
  EXPECT_EQ(rc, 2);
  std::tie(rc, out) = run_command({SWITCHBOARD_BIN, "--env-file", "/dev/null"}, {{"PORT", "x"}});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("PORT"), std::string::npos);
  std::tie(rc, out) = run_command({SWITCHBOARD_BIN, "--env-file", "/dev/null"}, {{"PROVIDER_NAME", "nope"}});
  EXPECT_EQ(rc, 2);
}

TEST(Readyz, UnavailableDefaultProviderIs503) {
  auto proxy = start_switchboard({{"PROVIDER_NAME", "openai"}});
  EXPECT_EQ(http_request(proxy->port(), "GET", "/readyz").status, 503);
}

TEST(ProxyKeys, RequiredOnV1RoutesOnly) {
  auto proxy = start_switchboard({{"SWITCHBOARD_API_KEYS", "key-one,key-two"}});
  EXPECT_EQ(http_request(proxy->port(), "GET", "/v1/models").status, 401);
  EXPECT_EQ(http_request(proxy->port(), "GET", "/v1/models", {}, {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(http_request(proxy->port(), "GET", "/v1/models", {}, {{"Authorization", "bearer key-two"}}).status, 200);
  EXPECT_EQ(http_request(proxy->port(), "GET", "/healthz").status, 200);
  const auto r = http_request(proxy->port(), "POST", "/v1/chat/completions", chat_body());
  EXPECT_EQ(parse_obj(r.body).at("error").at("code").as_string(), "invalid_api_key");
}

}  // namespace
}  // namespace sb::test
