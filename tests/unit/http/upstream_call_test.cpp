// UpstreamCall against a scripted upstream on 127.0.0.1: each connection gets the scripted answers (raw bytes)
// one per request, in order; how the call frames them, what it reuses, what it refuses.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

#include "http/client.hpp"

namespace sb::http {
namespace {

struct Answer {
  std::string bytes;
  bool close_after = false;  // close the connection once written
  bool stall = false;        // read the request and never answer (until the caller closes)
};

class ScriptedUpstream {
 public:
  explicit ScriptedUpstream(std::deque<Answer> script)
      : script_(std::move(script)), acceptor_(io_, {net::ip::make_address("127.0.0.1"), 0}) {
    net::co_spawn(io_, accept_loop(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedUpstream() {
    net::post(io_, [this] { io_.stop(); });
    thread_.join();
  }
  [[nodiscard]] Origin origin() const {
    return Origin{false, "127.0.0.1", std::to_string(acceptor_.local_endpoint().port()), ""};
  }
  [[nodiscard]] int connections() const { return connections_.load(); }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(net::as_tuple(net::use_awaitable));
      if (ec) co_return;
      ++connections_;
      net::co_spawn(io_, serve(std::move(socket)), net::detached);
    }
  }
  // Reads one request (head and Content-Length body), writes the next answer; again until told to close.
  net::awaitable<void> serve(net::ip::tcp::socket socket) {
    std::string in;
    for (;;) {
      std::size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos || in.size() < head_end + 4 + body_size(in)) {
        char buf[4096];
        auto [ec, n] = co_await socket.async_read_some(net::buffer(buf), net::as_tuple(net::use_awaitable));
        if (ec) co_return;
        in.append(buf, n);
      }
      const std::size_t whole = head_end + 4 + body_size(in);
      Answer a;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(in.substr(0, whole));
        in.erase(0, whole);
        if (script_.empty()) co_return;
        a = std::move(script_.front());
        script_.pop_front();
      }
      if (a.stall) {
        char c;
        const auto waited = co_await socket.async_read_some(net::buffer(&c, 1), net::as_tuple(net::use_awaitable));
        (void)waited;
        co_return;
      }
      auto [ec, n] = co_await net::async_write(socket, net::buffer(a.bytes), net::as_tuple(net::use_awaitable));
      if (ec || a.close_after) co_return;
    }
  }
  static std::size_t body_size(const std::string& in) {
    const auto p = in.find("Content-Length: ");
    return p == std::string::npos ? 0 : std::stoul(in.substr(p + 16));
  }

  std::mutex mu_;
  std::deque<Answer> script_;
  std::vector<std::string> requests_;
  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> connections_{0};
};

struct Result {
  bool started = false, read = false;
  int status = 0;
  std::string body, error, retry_after;
  UpstreamFailure failure = UpstreamFailure::none;
};

// Makes `calls` calls one after the other on one io_context (so they share its thread's connection pool), `gap`
// apart; call i has timeouts[i] (the last one for the rest) as every timeout of its own; each call's duration goes
// to `took` when given. Bounded: a call that hangs leaves fewer results, never a hung test.
std::vector<Result> call(const Origin& origin, int calls,
                         std::vector<std::chrono::milliseconds> timeouts = {std::chrono::milliseconds(2000)},
                         std::chrono::milliseconds gap = {}, std::vector<std::chrono::milliseconds>* took = nullptr) {
  net::io_context io;
  std::vector<Result> results;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        for (int i = 0; i < calls; ++i) {
          if (i > 0 && gap.count() > 0) {
            net::steady_timer pause(io, gap);
            co_await pause.async_wait(net::use_awaitable);
          }
          Result r;
          const auto start = std::chrono::steady_clock::now();
          {
            const auto timeout = timeouts.at(std::min<std::size_t>(static_cast<std::size_t>(i), timeouts.size() - 1));
            UpstreamCall c(origin, UpstreamTimeouts{timeout, timeout, timeout});
            UpstreamRequest req("POST", "/v1/x");
            req.add("Content-Type", "application/json");
            req.body() = "{}";
            r.started = co_await c.start(req);
            if (r.started) r.read = co_await c.read_all(r.body, 1 << 20);
            r.status = c.status();
            r.retry_after = std::string(c.header("retry-after"));
            r.error = c.error_message();
            r.failure = c.failure();
          }
          if (took != nullptr)
            took->push_back(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start));
          results.push_back(std::move(r));
        }
        clear_connection_pool();  // its connections' armed timers would keep run() busy until they expire
      },
      net::detached);
  io.run_for(std::chrono::seconds(20));
  clear_connection_pool();
  return results;
}

TEST(UpstreamRequest, FieldsAreAddedReplacedAndKeptOnTheirLine) {
  UpstreamRequest r("POST", "/v1/chat/completions");
  r.add("Authorization", "Bearer a");
  r.add("X-Custom", "1");
  r.set("authorization", "Bearer b");  // replaces, whatever the case (the field moves to the end)
  r.add("X-Evil", "v\r\nInjected: yes\n");
  r.add("Host", "elsewhere");            // framing fields are the call's to write
  r.set("content-length", "1");
  r.add("Transfer-Encoding", "chunked");
  EXPECT_EQ(r.fields(), "X-Custom: 1\r\nauthorization: Bearer b\r\nX-Evil: v  Injected: yes \r\n");
  EXPECT_EQ(r.header("AUTHORIZATION"), "Bearer b");
  EXPECT_EQ(r.header("x-custom"), "1");
  EXPECT_EQ(r.header("x-cust"), "");
}

TEST(UpstreamCall, SendsTheHeadItWasGiven) {
  ScriptedUpstream up({{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}});
  ASSERT_EQ(call(up.origin(), 1).at(0).body, "ok");
  const auto port = up.origin().port;
  EXPECT_EQ(up.requests().at(0), "POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:" + port +
                                     "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
}

TEST(UpstreamCall, InterimAnswersAreSkipped) {
  ScriptedUpstream up({{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\nRetry-After: 1\r\n\r\n"
                        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nRetry-After: 7\r\n\r\nhello"}});
  const auto r = call(up.origin(), 1).at(0);
  EXPECT_TRUE(r.started && r.read) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.retry_after, "7");
}

TEST(UpstreamCall, KeptAliveConnectionsAreReused) {
  ScriptedUpstream up({{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"},
                       {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=\"y\"\r\ntwo\r\n0\r\nT: v\r\n\r\n"},
                       {"HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nthree"}});
  const auto rs = call(up.origin(), 3);
  EXPECT_EQ(rs.at(0).body, "one");
  EXPECT_EQ(rs.at(1).body, "two");
  EXPECT_EQ(rs.at(2).body, "three");
  EXPECT_EQ(rs.at(2).status, 404);
  EXPECT_EQ(up.connections(), 1);
}

// The timeout timer lives with the connection and is left armed when a call ends: a pooled connection at rest is
// not closed by it, and the next call on that connection times out at its own deadline, not at the earlier one the
// timer was still waiting for.
TEST(UpstreamCall, ARestingPooledConnectionOutlivesItsTimeoutAndIsReused) {
  ScriptedUpstream up({{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"},
                       {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"}});
  std::vector<std::chrono::milliseconds> took;
  const auto rs = call(up.origin(), 2, {std::chrono::milliseconds(150)}, std::chrono::milliseconds(400), &took);
  EXPECT_EQ(rs.at(0).body, "one") << rs.at(0).error;
  EXPECT_EQ(rs.at(1).body, "two") << rs.at(1).error;
  EXPECT_EQ(up.connections(), 1) << "the idle connection was closed by the last call's timeout";
}

// One answered call, then a second on the same (pooled) connection that the upstream never answers: how long
// the second call took to time out (-1 ms if a call hung).
std::chrono::milliseconds stalled_second_call(std::vector<std::chrono::milliseconds> timeouts,
                                              std::chrono::milliseconds gap) {
  Answer stall;
  stall.stall = true;
  ScriptedUpstream up({{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"}, stall});
  std::vector<std::chrono::milliseconds> took;
  const auto rs = call(up.origin(), 2, std::move(timeouts), gap, &took);
  EXPECT_EQ(rs.size(), 2u) << "a call hung";
  if (rs.size() < 2) return std::chrono::milliseconds(-1);
  EXPECT_EQ(rs.at(0).body, "one") << rs.at(0).error;
  EXPECT_FALSE(rs.at(1).started);
  EXPECT_EQ(rs.at(1).failure, UpstreamFailure::timeout) << rs.at(1).error;
  EXPECT_EQ(up.connections(), 1) << "the second call was meant to reuse the first one's connection";
  return took.at(1);
}

TEST(UpstreamCall, ACallOnAReusedConnectionTimesOutAtItsOwnDeadline) {
  // The first call's deadline passes 250 ms after it started, while the second call (started 200 ms later) waits.
  const auto took = stalled_second_call({std::chrono::milliseconds(250)}, std::chrono::milliseconds(200));
  EXPECT_GE(took.count(), 240) << "timed out at the earlier call's deadline";
  EXPECT_LT(took.count(), 1500);
}

// The other way round: the second call's deadline is earlier than the one the timer waits for (the first call's
// long timeout), so the timer is re-armed for it.
TEST(UpstreamCall, AShorterTimeoutOnAReusedConnectionIsKept) {
  const auto took = stalled_second_call({std::chrono::milliseconds(5000), std::chrono::milliseconds(200)}, {});
  EXPECT_GE(took.count(), 190);
  EXPECT_LT(took.count(), 2000) << "waited for the first call's deadline";
}

// A call that ends after its io_context stopped (a server destroyed after a drain timeout, on another thread) does
// not put its connection into this thread's pool: a later call here must not be handed a socket of a dead context.
TEST(UpstreamCall, ACallEndingAfterItsContextStoppedIsNotPooled) {
  ScriptedUpstream up({{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"},
                       {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"}});
  {
    auto io = std::make_unique<net::io_context>();
    std::unique_ptr<UpstreamCall> kept;
    std::string body;
    bool done = false;
    net::co_spawn(
        *io,
        [&]() -> net::awaitable<void> {
          kept = std::make_unique<UpstreamCall>(up.origin(), UpstreamTimeouts{std::chrono::milliseconds(2000),
                                                                                std::chrono::milliseconds(2000),
                                                                                std::chrono::milliseconds(2000)});
          UpstreamRequest req("POST", "/v1/x");
          req.body() = "{}";
          const bool started = co_await kept->start(req);
          if (started) (void)co_await kept->read_all(body, 1 << 20);
          done = true;
        },
        net::detached);
    while (!done && io->run_one() > 0) {
    }
    ASSERT_EQ(body, "one");
    io->stop();
    kept.reset();  // a whole keep-alive answer, but its context is stopped: closed, not pooled
    io.reset();
  }
  const auto rs = call(up.origin(), 1);  // would be handed the dead context's socket if it had been pooled
  EXPECT_EQ(rs.at(0).body, "two") << rs.at(0).error;
  EXPECT_EQ(up.connections(), 2);
}

TEST(UpstreamCall, ABodyThatRunsToTheEndIsReadWholeAndItsConnectionNotReused) {
  ScriptedUpstream up({{"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it, to the end", true},
                       {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
                       {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}});
  const auto rs = call(up.origin(), 3);
  EXPECT_TRUE(rs.at(0).read) << rs.at(0).error;
  EXPECT_EQ(rs.at(0).body, "all of it, to the end");
  EXPECT_EQ(rs.at(1).body, "ok");
  EXPECT_EQ(rs.at(2).body, "ok");
  EXPECT_EQ(up.connections(), 3) << "neither the close-delimited nor the HTTP/1.0 answer's connection is reused";
}

TEST(UpstreamCall, BytesBehindAnAnswerMeanItsConnectionIsNotReused) {
  ScriptedUpstream up({{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE"},
                       {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}});
  const auto rs = call(up.origin(), 2);
  EXPECT_EQ(rs.at(0).body, "ok");
  EXPECT_EQ(rs.at(1).body, "ok");
  EXPECT_EQ(up.connections(), 2);
}

// The upstream closes a connection right after a keep-alive answer (its FIN may come with the answer's last bytes,
// or later, while the connection rests in the pool): the next call finds it dead and retries at once on a fresh
// one, without waiting for a timeout.
TEST(UpstreamCall, AKeptAliveConnectionTheUpstreamClosedIsRetriedAtOnce) {
  for (const auto gap : {std::chrono::milliseconds(0), std::chrono::milliseconds(50)}) {
    ScriptedUpstream up({{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none", true},
                         {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"}});
    std::vector<std::chrono::milliseconds> took;
    const auto rs = call(up.origin(), 2, {std::chrono::milliseconds(5000)}, gap, &took);
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs.at(0).body, "one");
    EXPECT_EQ(rs.at(1).body, "two") << rs.at(1).error;
    EXPECT_EQ(up.connections(), 2);
    EXPECT_LT(took.at(1), std::chrono::milliseconds(2000)) << "gap " << gap.count() << " ms: waited for a timeout";
  }
}

TEST(UpstreamCall, TruncatedAndMalformedAnswersFail) {
  {
    ScriptedUpstream up({{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", true}});
    const auto r = call(up.origin(), 1).at(0);
    EXPECT_TRUE(r.started);
    EXPECT_FALSE(r.read);
    EXPECT_EQ(r.failure, UpstreamFailure::io);
    EXPECT_NE(r.error.find("read response body"), std::string::npos) << r.error;
  }
  {
    ScriptedUpstream up({{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", true}});
    const auto r = call(up.origin(), 1).at(0);
    EXPECT_FALSE(r.read);
    EXPECT_EQ(r.failure, UpstreamFailure::io);
  }
  for (const char* bad : {"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                          "SMTP ready\r\n\r\n"}) {
    ScriptedUpstream up({{bad, true}});
    const auto r = call(up.origin(), 1).at(0);
    EXPECT_FALSE(r.started) << bad;
    EXPECT_EQ(r.failure, UpstreamFailure::io) << bad;
    EXPECT_NE(r.error.find("read response headers"), std::string::npos) << r.error;
  }
}

}  // namespace
}  // namespace sb::http
