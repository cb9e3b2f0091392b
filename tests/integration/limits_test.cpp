// Hard limits where bytes enter: each test hits one limit, checks the answer, and checks that another client is
// served while the offending connection is still open.
#include <poll.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>

#include "harness.hpp"

namespace sb::test {
namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
using namespace std::chrono_literals;

// A raw client connection for sending partial or malformed requests (blocking socket, poll() for timeouts, so a
// timeout never closes our end).
class RawConn {
 public:
  explicit RawConn(unsigned short port) : s_(io_) {
    s_.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    s_.set_option(net::ip::tcp::no_delay(true));
  }
  bool send(std::string_view bytes) {
    beast::error_code ec;
    net::write(s_, net::buffer(bytes), ec);
    return !ec;
  }
  // Reads until the server closes the connection or `timeout` passes; `closed` says which.
  std::string read_until_close(std::chrono::milliseconds timeout, bool* closed = nullptr) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + timeout;
    bool eof = false;
    while (!eof) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd pfd{s_.native_handle(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
      char tmp[4096];
      beast::error_code ec;
      const auto n = s_.read_some(net::buffer(tmp), ec);
      out.append(tmp, n);
      eof = static_cast<bool>(ec);
    }
    if (closed) *closed = eof;
    return out;
  }
  // Whether the server has closed the connection (EOF or reset) within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout) {
    bool closed = false;
    read_until_close(timeout, &closed);
    return closed;
  }

 private:
  net::io_context io_;
  net::ip::tcp::socket s_;
};

int status_of(const std::string& raw) {
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || raw.size() < 12) return 0;
  return std::stoi(raw.substr(9, 3));
}

std::string error_code_of(const std::string& raw) {
  const auto body = raw.find("\r\n\r\n");
  if (body == std::string::npos) return {};
  return std::string(parse_obj(raw.substr(body + 4)).at("error").at("code").as_string());
}

class Limits : public ::testing::Test {
 protected:
  std::unique_ptr<Process> start(std::map<std::string, std::string> env) {
    env.emplace("MOCK_INTERVAL_MS", "0");
    return start_switchboard(env);
  }
  // Another client gets a full answer while the offending connection is open.
  static void expect_others_served(unsigned short port) {
    EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
    const auto r = http_request(port, "POST", "/v1/chat/completions", chat_body());
    EXPECT_EQ(r.status, 200) << r.body;
  }
};

TEST_F(Limits, BodySize) {
  auto proxy = start({{"MAX_BODY_BYTES", "65536"}});
  const auto p = proxy->port();
  // Declared too large: refused as soon as the head is in.
  RawConn declared(p);
  declared.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 10000000\r\n\r\n{\"messages\":");
  const auto r1 = declared.read_until_close(5s);
  EXPECT_EQ(status_of(r1), 413) << r1;
  EXPECT_EQ(error_code_of(r1), "request_too_large");
  // Chunked, growing past the limit: others are served while it grows, then it gets 413.
  RawConn chunked(p);
  ASSERT_TRUE(chunked.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "400\r\n" + std::string(1024, ' ') + "\r\n";
  for (int i = 0; i < 32; ++i) chunked.send(chunk);
  expect_others_served(p);
  for (int i = 0; i < 40; ++i)
    if (!chunked.send(chunk)) break;
  const auto r2 = chunked.read_until_close(5s);
  EXPECT_EQ(status_of(r2), 413) << r2;
  EXPECT_EQ(error_code_of(r2), "request_too_large");
}

TEST_F(Limits, HeaderBytes) {
  auto proxy = start({{"MAX_HEADER_BYTES", "4096"}});
  const auto p = proxy->port();
  RawConn c(p);
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad-1: " + std::string(3000, 'a') + "\r\n");
  expect_others_served(p);
  c.send("X-Pad-2: " + std::string(3000, 'b') + "\r\n\r\n");
  const auto r = c.read_until_close(5s);
  EXPECT_EQ(status_of(r), 431) << r;
  EXPECT_EQ(error_code_of(r), "request_header_fields_too_large");
}

TEST_F(Limits, HeaderCount) {
  auto proxy = start({{"MAX_HEADER_COUNT", "20"}});
  const auto p = proxy->port();
  Headers ok;
  for (int i = 0; i < 15; ++i) ok.emplace_back("X-H" + std::to_string(i), "v");
  EXPECT_EQ(http_request(p, "GET", "/healthz", {}, ok).status, 200);
  RawConn c(p);
  std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 25; ++i) req += "X-H" + std::to_string(i) + ": v\r\n";
  c.send(req);
  expect_others_served(p);
  c.send("\r\n");
  const auto r = c.read_until_close(5s);
  EXPECT_EQ(status_of(r), 431) << r;
  EXPECT_EQ(error_code_of(r), "request_header_fields_too_large");
  EXPECT_NE(r.find("more than 20 header fields"), std::string::npos);
}

TEST_F(Limits, UrlLength) {
  auto proxy = start({{"MAX_URL_BYTES", "256"}});
  const auto p = proxy->port();
  EXPECT_EQ(http_request(p, "GET", "/healthz?x=" + std::string(200, 'a')).status, 200);
  RawConn c(p);
  c.send("GET /v1/models?x=" + std::string(300, 'a') + " HTTP/1.1\r\nHost: x\r\n");
  expect_others_served(p);
  c.send("\r\n");
  const auto r = c.read_until_close(5s);
  EXPECT_EQ(status_of(r), 414) << r;
  EXPECT_EQ(error_code_of(r), "uri_too_long");
}

TEST_F(Limits, JsonDepth) {
  auto proxy = start({{"MAX_JSON_DEPTH", "8"}});
  const auto p = proxy->port();
  EXPECT_EQ(http_request(p, "POST", "/v1/chat/completions", chat_body(R"("x":[[[1]]])")).status, 200);
  const std::string deep = chat_body(R"("x":)" + std::string(50, '[') + std::string(50, ']'));
  const auto r = http_request(p, "POST", "/v1/chat/completions", deep);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(parse_obj(r.body).at("error").at("code").as_string(), "invalid_json");
  EXPECT_NE(r.body.find("deeper than 8"), std::string::npos);
  // A body nested far beyond any limit (a parser-stack attack) is the same cheap 400.
  const auto r2 = http_request(p, "POST", "/v1/chat/completions", std::string(500'000, '['));
  EXPECT_EQ(r2.status, 400);
  expect_others_served(p);
}

TEST_F(Limits, MessageCount) {
  auto proxy = start({{"MAX_MESSAGES", "5"}});
  const auto p = proxy->port();
  std::string msgs;
  for (int i = 0; i < 6; ++i) msgs += std::string(i ? "," : "") + R"({"role":"user","content":"hi"})";
  const auto r = http_request(p, "POST", "/v1/chat/completions", R"({"messages":[)" + msgs + "]}");
  EXPECT_EQ(r.status, 400) << r.body;
  const auto err = parse_obj(r.body).at("error").as_object();
  EXPECT_EQ(err.at("param").as_string(), "messages");
  EXPECT_NE(err.at("message").as_string().find("at most 5"), std::string::npos);
  expect_others_served(p);
}

TEST_F(Limits, ConnectionCount) {
  auto proxy = start({{"MAX_CONNECTIONS", "4"}, {"SWITCHBOARD_THREADS", "2"}});
  const auto p = proxy->port();
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 4; ++i) held.push_back(std::make_unique<RawConn>(p));
  // Make sure all four are accepted before the fifth arrives: each answers a request, staying open.
  for (auto& c : held) {
    c->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  std::this_thread::sleep_for(200ms);  // let the server account for the four connections
  const auto over = raw_exchange(p, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(over), 503) << over;
  EXPECT_EQ(error_code_of(over), "server_overloaded");
  EXPECT_NE(over.find("retry-after: 1"), std::string::npos);
  // The connections already in are still served.
  held[0]->send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto still = held[0]->read_until_close(5s);
  EXPECT_NE(still.find("HTTP/1.1 200"), std::string::npos) << still;
  held.erase(held.begin());  // now three: a new client gets in (the server notices the close asynchronously)
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = http_request(p, "GET", "/healthz").status;
    if (status != 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200);
}

TEST_F(Limits, SlowlorisHeadersAreCutAtTheRequestTimeoutNotPerByte) {
  auto proxy = start({{"REQUEST_TIMEOUT_MS", "1000"}, {"IDLE_TIMEOUT_MS", "20000"}});
  const auto p = proxy->port();
  RawConn slow(p);
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'z') + "\r\n\r\n";
  const auto t0 = std::chrono::steady_clock::now();
  bool cut = false;
  for (char ch : req) {  // one byte every 50 ms: each byte well within any per-read timeout
    if (!slow.send(std::string_view(&ch, 1))) {
      cut = true;
      break;
    }
    if (slow.closed_within(50ms)) {
      cut = true;
      break;
    }
    if (std::chrono::steady_clock::now() - t0 > 1500ms) break;  // the byte after the cut is where we see it
  }
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(cut || slow.closed_within(2s)) << "a trickling client must be cut off";
  EXPECT_LT(elapsed, 5s) << "cut at REQUEST_TIMEOUT_MS after its first byte, not at the 20 s idle timeout";
  expect_others_served(p);
}

TEST_F(Limits, SlowBodyIsCutAtTheRequestTimeoutToo) {
  auto proxy = start({{"REQUEST_TIMEOUT_MS", "1000"}, {"IDLE_TIMEOUT_MS", "20000"}});
  const auto p = proxy->port();
  RawConn slow(p);
  slow.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n{");
  const auto t0 = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 60 && !closed; ++i) {
    slow.send(" ");
    closed = slow.closed_within(50ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  expect_others_served(p);
}

TEST_F(Limits, IdleKeepAliveConnectionsAreClosed) {
  auto proxy = start({{"IDLE_TIMEOUT_MS", "300"}});
  const auto p = proxy->port();
  RawConn idle(p);
  idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  bool closed = false;
  const auto out = idle.read_until_close(5s, &closed);
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_TRUE(closed) << "closed after the idle timeout";
  RawConn silent(p);  // never sends a byte
  EXPECT_TRUE(silent.closed_within(5s));
  expect_others_served(p);
}

}  // namespace
}  // namespace sb::test
