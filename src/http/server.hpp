// HTTP/1.1 server: one io_context per worker thread, SO_REUSEPORT listeners, a coroutine per connection.
#pragma once
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/api_error.hpp"
#include "http/framing.hpp"

namespace sb::http {

namespace net = boost::asio;
using Header = std::pair<std::string_view, std::string_view>;
using Clock = std::chrono::steady_clock;

struct ServerLimits {
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_header_count = 100;     // header fields per request (431 above)
  std::size_t max_url_bytes = 8 * 1024;   // request target (414 above)
  std::size_t max_connections = 4096;     // open client connections; more are answered 503 and closed
  std::chrono::milliseconds idle_timeout{60'000};     // keep-alive wait for the next request
  std::chrono::milliseconds request_timeout{30'000};  // whole request (headers + body) must arrive within this
  std::chrono::milliseconds write_timeout{30'000};    // a client that reads nothing for this long is dropped
};

struct Request {
  RequestHead head;
  std::string body;
  std::string request_id;
  Clock::time_point received;
  net::ip::address remote;  // the client's address (as seen on the socket)
  std::string key_name;     // the name of the proxy key it authenticated with (never the key); empty without keys

  [[nodiscard]] std::string_view method() const { return head.view(head.method); }
  [[nodiscard]] std::string_view target() const { return head.view(head.target); }
  // The first field named `name` (ASCII case-insensitive); empty when there is none.
  [[nodiscard]] std::string_view header(std::string_view name) const { return head.header(name); }
  [[nodiscard]] bool keep_alive() const { return head.keep_alive; }
};

class ConnectionBase;
class Rejection;

// Writes the response of one request. Writes throw boost::system::system_error when the client is gone.
class Responder {
 public:
  explicit Responder(ConnectionBase& conn, const Request& req) : conn_(conn), req_(req) {}

  net::awaitable<void> send(int status, std::string_view content_type, std::string_view body,
                            std::span<const Header> extra = {});
  net::awaitable<void> send_error(const core::ApiError& err);
  net::awaitable<void> begin_stream(std::span<const Header> extra = {});  // 200, text/event-stream, chunked
  net::awaitable<void> write_event(std::string_view bytes);               // one HTTP chunk, written at once
  net::awaitable<void> end_stream();
  // Writes an SSE comment (`: keep-alive`) as one chunk, without a coroutine; `done(ok)` runs on this
  // connection's thread when it is written (ok) or the client is gone. Only while no other write is in flight.
  void write_keepalive(std::function<void(bool ok)> done);

  // Guards the work of a request (the provider call): from begin_guard() to end_guard() the client's socket is
  // watched for a hang-up, and a hang-up or interrupt() cancels whatever the request's coroutine is awaiting
  // (Asio per-operation cancellation of the connection's coroutine; every later co_await of an operation throws
  // operation_aborted until end_guard()). Writes to the client are never cut half-way. No coroutine is spawned:
  // the watch is a wait for readability with a plain handler, so a guarded request costs no scheduler round.
  enum class Cut { none, hangup, interrupted };
  void begin_guard();
  // Cuts the guarded work short (e.g. a newer request of the same session). On this connection's thread only;
  // a no-op outside the guard and after the first cut.
  void interrupt();
  // Ends the guard, right after the guarded work returned or threw. After a cut the caller's coroutine must
  // `co_await net::this_coro::reset_cancellation_state()` before it awaits anything else (awaiting even a
  // coroutine throws until then, so this cannot be done for it in here).
  Cut end_guard();

  [[nodiscard]] bool head_sent() const { return head_sent_; }
  [[nodiscard]] int status() const { return status_; }
  void close_after() { close_ = true; }
  // A header sent with whatever response follows (e.g. x-ratelimit-*); call before the head is sent.
  void add_header(std::string name, std::string value) { headers_.emplace_back(std::move(name), std::move(value)); }
  [[nodiscard]] bool must_close() const { return close_; }
  [[nodiscard]] const std::string& request_id() const { return req_.request_id; }

 private:
  net::awaitable<void> write_all(std::string_view a, std::string_view b = {}, std::string_view c = {});
  std::string head(int status, std::string_view content_type, std::span<const Header> extra, bool chunked,
                   std::size_t length) const;

  ConnectionBase& conn_;
  const Request& req_;
  bool head_sent_ = false;
  bool close_ = false;
  int status_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
};

using Handler = std::function<net::awaitable<void>(Request&, Responder&)>;

class HangupWatch;

class Server {
 public:
  // With `tls`, every connection is HTTPS (the listener speaks nothing else).
  Server(ServerLimits limits, Handler handler, unsigned threads, std::shared_ptr<net::ssl::context> tls = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every worker's listener to host:port (port 0 picks one); returns the bound port.
  unsigned short listen(const std::string& host, unsigned short port);
  // Runs the workers. On each worker thread, `on_thread_start` runs before its io_context does, and `on_thread_exit`
  // after it stops.
  void start(std::function<void(net::io_context&)> on_thread_start = {}, std::function<void()> on_thread_exit = {});
  // Stops accepting, lets in-flight requests finish for at most `drain`, then stops the workers.
  void shutdown(std::chrono::milliseconds drain);
  void join();

  [[nodiscard]] std::size_t active_connections() const { return active_connections_.load(); }
  [[nodiscard]] bool draining() const { return draining_.load(); }
  // Requests being handled right now, and handled since start (for the idle-time memory trim).
  [[nodiscard]] std::size_t busy_requests() const { return busy_connections_.load(); }
  [[nodiscard]] std::uint64_t requests_started() const { return requests_started_.load(std::memory_order_relaxed); }

 private:
  friend class ConnectionBase;
  template <class Stream>
  friend class Connection;
  friend class Rejection;
  struct Worker {
    // One thread runs it, and every socket and timer of a worker is used on that thread alone (other threads only
    // post to it): the reactor's per-descriptor locks are not needed. The scheduler stays locked for those posts.
    net::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    std::unique_ptr<net::ip::tcp::acceptor> acceptor;
    // Destroyed before `io` (its descriptor is io's); connections hold it weakly, as some outlive it in io's end.
    std::shared_ptr<HangupWatch> hangups;
    std::thread thread;
  };
  net::awaitable<void> accept_loop(Worker& w);

  ServerLimits limits_;
  Handler handler_;
  std::shared_ptr<net::ssl::context> tls_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::size_t> active_connections_{0};
  std::atomic<std::size_t> rejecting_connections_{0};
  std::atomic<std::size_t> busy_connections_{0};
  std::atomic<std::uint64_t> requests_started_{0};
  std::atomic<bool> draining_{false};
};

}  // namespace sb::http
