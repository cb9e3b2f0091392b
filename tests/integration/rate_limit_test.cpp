// Rate limits per proxy key (or client address): requests per minute and concurrent chat completions.
#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>

#include "harness.hpp"

namespace sb::test {
namespace {

const Headers kAlice{{"Authorization", "Bearer sk-rl-alice-0001"}};
const Headers kBob{{"Authorization", "Bearer sk-rl-bob-0002"}};

void expect_429(const HttpResponse& r, const std::string& what) {
  EXPECT_EQ(r.status, 429) << what << ": " << r.body;
  const auto err = parse_obj(r.body).at("error").as_object();
  EXPECT_EQ(err.at("code").as_string(), "rate_limit_exceeded");
  EXPECT_EQ(err.at("type").as_string(), "rate_limit_error");
  EXPECT_TRUE(err.at("param").is_null());
  EXPECT_TRUE(r.headers.count("retry-after")) << what;
}

TEST(RateLimit, RequestsPerMinutePerKey) {
  auto proxy = start_switchboard({{"SWITCHBOARD_API_KEYS", "alice:sk-rl-alice-0001,bob:sk-rl-bob-0002"},
                                  {"RATE_LIMIT_RPM", "3"},
                                  {"MOCK_INTERVAL_MS", "0"}});
  const auto p = proxy->port();
  for (int i = 0; i < 3; ++i) {
    const auto r = http_request(p, "POST", "/v1/chat/completions", chat_body(), kAlice);
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_EQ(r.headers.at("x-ratelimit-limit-requests"), "3");
    EXPECT_EQ(r.headers.at("x-ratelimit-remaining-requests"), std::to_string(2 - i));
    EXPECT_FALSE(r.headers.at("x-ratelimit-reset-requests").empty());
  }
  const auto refused = http_request(p, "POST", "/v1/chat/completions", chat_body(), kAlice);
  expect_429(refused, "4th request");
  EXPECT_EQ(refused.headers.at("retry-after"), "20");  // 3/min: one token every 20 s
  EXPECT_EQ(refused.headers.at("x-ratelimit-remaining-requests"), "0");
  const auto stream = http_stream(p, "/v1/chat/completions", chat_body({}, true), kAlice);
  EXPECT_EQ(stream.status, 429) << "streams count too";
  // Another key has its own bucket; health checks are never limited.
  EXPECT_EQ(http_request(p, "POST", "/v1/chat/completions", chat_body(), kBob).status, 200);
  EXPECT_EQ(http_request(p, "GET", "/healthz").status, 200);
  EXPECT_EQ(http_request(p, "GET", "/v1/models", {}, kAlice).status, 200) << "only chat completions are limited";
}

// A POST from a chosen loopback source address (127.0.0.x), to play several clients without keys.
int status_from(const std::string& source, unsigned short port) {
  namespace net = boost::asio;
  namespace bhttp = boost::beast::http;
  net::io_context io;
  net::ip::tcp::socket s(io);
  s.open(net::ip::tcp::v4());
  s.bind({net::ip::make_address(source), 0});
  s.connect({net::ip::make_address("127.0.0.1"), port});
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/v1/chat/completions", 11};
  req.set(bhttp::field::host, "x");
  req.set(bhttp::field::content_type, "application/json");
  req.body() = chat_body();
  req.prepare_payload();
  bhttp::write(s, req);
  boost::beast::flat_buffer buf;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(s, buf, res);
  return res.result_int();
}

TEST(RateLimit, WithoutKeysPerClientAddress) {
  auto proxy = start_switchboard({{"RATE_LIMIT_RPM", "2"}, {"MOCK_INTERVAL_MS", "0"}});
  const auto p = proxy->port();
  EXPECT_EQ(status_from("127.0.0.2", p), 200);
  EXPECT_EQ(status_from("127.0.0.2", p), 200);
  EXPECT_EQ(status_from("127.0.0.2", p), 429);
  EXPECT_EQ(status_from("127.0.0.3", p), 200) << "another address has its own bucket";
}

TEST(RateLimit, ConcurrentCompletionsPerKey) {
  auto proxy = start_switchboard({{"SWITCHBOARD_API_KEYS", "alice:sk-rl-alice-0001,bob:sk-rl-bob-0002"},
                                  {"RATE_LIMIT_CONCURRENT", "1"},
                                  {"MOCK_INTERVAL_MS", "100"}});
  const auto p = proxy->port();
  std::promise<void> started;
  std::promise<void> release;
  auto release_f = release.get_future().share();
  std::thread first([&] {
    bool signalled = false;
    const auto r = http_stream(p, "/v1/chat/completions", chat_body({}, true), kAlice, [&](const TimedEvent&) {
      if (!signalled) {
        signalled = true;
        started.set_value();
        release_f.wait();
      }
      return true;
    });
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.events.back().data, "[DONE]");
  });
  started.get_future().wait();
  const auto refused = http_request(p, "POST", "/v1/chat/completions", chat_body(), kAlice);
  expect_429(refused, "second concurrent request");
  EXPECT_EQ(refused.headers.at("retry-after"), "1");
  EXPECT_EQ(http_request(p, "POST", "/v1/chat/completions", chat_body(), kBob).status, 200) << "other keys unaffected";
  release.set_value();
  first.join();
  // The slot is released as the handler returns, just after the last byte: allow that moment to pass.
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = http_request(p, "POST", "/v1/chat/completions", chat_body(), kAlice).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 200) << "slot released";
}

}  // namespace
}  // namespace sb::test
