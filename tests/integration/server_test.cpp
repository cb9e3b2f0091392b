// The server itself, on the mock provider: routes, limits, ids, lifecycle.
#include <poll.h>

#include <chrono>
#include <thread>
#include <utility>

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

// A client's connection between two chat requests: serve() is parked on the last request's hang-up watch, a wait
// for the socket to be readable. Whatever comes next has to end that wait: the next request, the client's close,
// the idle timeout, the server's stop.
class ChatConn {
 public:
  explicit ChatConn(unsigned short port) : s_(io_) {
    s_.connect({net::ip::make_address("127.0.0.1"), port});
    s_.set_option(net::ip::tcp::no_delay(true));
  }
  void send_chats(int n = 1) {
    const std::string body = chat_body();
    const std::string one = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    std::string all;
    for (int i = 0; i < n; ++i) all += one;
    net::write(s_, net::buffer(all));
  }
  // The next answer, head and Content-Length body; what came so far if the connection closed or 5 s passed.
  std::string answer() {
    for (;;) {
      if (const auto end = in_.find("\r\n\r\n"); end != std::string::npos) {
        const auto at = in_.find("Content-Length: ");
        if (at != std::string::npos && at < end) {
          const std::size_t size = end + 4 + std::stoul(in_.substr(at + 16));
          if (in_.size() >= size) {
            std::string out = in_.substr(0, size);
            in_.erase(0, size);
            return out;
          }
        }
      }
      if (!read_some(std::chrono::milliseconds(5000))) return std::exchange(in_, {});
    }
  }
  // Whether the server closes the connection within `timeout` (sending nothing more).
  bool closed_within(std::chrono::milliseconds timeout) {
    while (read_some(timeout)) {
    }
    return eof_ && in_.empty();
  }
  void shutdown_send() { s_.shutdown(net::ip::tcp::socket::shutdown_send); }

 private:
  bool read_some(std::chrono::milliseconds timeout) {
    pollfd pfd{s_.native_handle(), POLLIN, 0};
    if (eof_ || ::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return false;
    char tmp[4096];
    boost::system::error_code ec;
    const std::size_t n = s_.read_some(net::buffer(tmp), ec);
    in_.append(tmp, n);
    eof_ = static_cast<bool>(ec);
    return !eof_;
  }
  net::io_context io_;
  net::ip::tcp::socket s_;
  std::string in_;
  bool eof_ = false;
};

bool is_chat_answer(const std::string& a) {
  return a.starts_with("HTTP/1.1 200") && a.find("\"chat.completion\"") != std::string::npos;
}

TEST(KeptAlive, ChatRequestsAfterPausesAndPipelinedOnesAreAnsweredAndTheClientsCloseEndsIt) {
  auto proxy = start_switchboard({{"MOCK_INTERVAL_MS", "0"}, {"IDLE_TIMEOUT_MS", "30000"}});
  ChatConn c(proxy->port());
  for (int i = 0; i < 5; ++i) {
    c.send_chats();
    EXPECT_TRUE(is_chat_answer(c.answer())) << "request " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the server waits for the next request
  }
  c.send_chats(3);  // the second and third are in the socket while the first is answered
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(is_chat_answer(c.answer())) << "pipelined request " << i;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c.send_chats();
  EXPECT_TRUE(is_chat_answer(c.answer()));
  const auto start = std::chrono::steady_clock::now();
  c.shutdown_send();
  EXPECT_TRUE(c.closed_within(std::chrono::milliseconds(5000)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << "closed at the FIN, not later";
}

TEST(KeptAlive, TheIdleTimeoutClosesAConnectionWaitingAfterAChatAnswer) {
  auto proxy = start_switchboard({{"MOCK_INTERVAL_MS", "0"}, {"IDLE_TIMEOUT_MS", "300"}});
  ChatConn c(proxy->port());
  c.send_chats();
  EXPECT_TRUE(is_chat_answer(c.answer()));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(std::chrono::milliseconds(5000)));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3));
}

// The waiting connection's coroutine is held by the connection it holds: a stop must still free it (under ASan a
// leak makes the exit code non-zero).
TEST(KeptAlive, AStopWithAConnectionWaitingAfterAChatAnswerExitsZero) {
  auto proxy = start_switchboard({{"MOCK_INTERVAL_MS", "0"}, {"IDLE_TIMEOUT_MS", "30000"}});
  ChatConn c(proxy->port());
  c.send_chats();
  EXPECT_TRUE(is_chat_answer(c.answer()));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(proxy->stop(SIGTERM), 0);
  EXPECT_TRUE(c.closed_within(std::chrono::milliseconds(5000)));
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
