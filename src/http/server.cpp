#include "http/server.hpp"

#include <vector>
#include <spdlog/spdlog.h>
#include <array>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/status.hpp>
#include <cerrno>
#include <charconv>
#include <type_traits>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "http/hangup_watch.hpp"
#include "http/request_id.hpp"
#include "http/send_now.hpp"

namespace sb::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using net::ip::tcp;
using namespace net::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)
constexpr auto as_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kMaxRejecting = 256;  // connections being turned away with a 503 at any one time

// What the Responder needs of a connection, whatever its transport: writes, the watchdog's deadline, the guard.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  ConnectionBase(const ConnectionBase&) = delete;
  ConnectionBase& operator=(const ConnectionBase&) = delete;

  // Never cancelled half-way: a cut request must not leave a torn chunk behind (the watchdog bounds a stuck write).
  virtual net::awaitable<boost::system::error_code> write(const std::array<net::const_buffer, 3>& bufs) = 0;
  // The same as a plain completion handler; `bytes` must stay valid until `done` runs.
  virtual void write_detached(std::string_view bytes, std::function<void(boost::system::error_code)> done) = 0;

  // Moves the deadline. The watchdog timer is kept armed no later than `tick()` from now, so a deadline at least
  // that far away (every timeout we set) never has to cancel it: it wakes, finds the deadline not passed, re-arms.
  // Only an earlier deadline (the short lingering close) wakes it at once.
  void set_deadline(Clock::time_point t) {
    deadline_ = t;
    if (t < timer_.expiry()) timer_.cancel();
  }
  Clock::time_point deadline() const { return deadline_; }
  const ServerLimits& limits() const { return server_.limits_; }

  // ---- the request guard (see Responder::begin_guard) ----
  void begin_guard() {
    // A stream may hold its connection for minutes: hand back the request's read space (4 KiB or more); the next
    // request on this connection allocates it again.
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
    guarding_ = true;
    cut_ = Responder::Cut::none;
    ++guard_generation_;
    watch_hangup();
  }
  void cut(Responder::Cut why) {
    if (!guarding_ || cut_ != Responder::Cut::none) return;
    cut_ = why;
    if (why == Responder::Cut::hangup) peer_closed_ = true;
    cancel_.emit(net::cancellation_type::terminal);
  }
  // Ends the guard and returns the cut, if any (after one, the caller must reset its coroutine's cancellation state).
  Responder::Cut end_guard() {
    guarding_ = false;
    // The watch's wait is left pending: it is also how serve() waits for the next request (see watch_hangup).
    forget_hangup_watch();
    return cut_;
  }
  // From the worker's HangupWatch: the client closed its end behind the bytes it pipelined.
  void on_watched_hangup(std::uint64_t generation) {
    watched_fd_ = -1;
    peer_closed_ = true;
    if (generation == guard_generation_ && guarding_) cut(Responder::Cut::hangup);
  }

 protected:
  ConnectionBase(Server& server, const net::any_io_executor& ex, std::weak_ptr<HangupWatch> hangups)
      : server_(server), timer_(ex), hangups_(std::move(hangups)) {}

  // The longest the watchdog timer sleeps before it looks at the deadline again.
  Clock::duration tick() const {
    const auto& l = server_.limits_;
    return std::max(std::min({l.idle_timeout, l.request_timeout, l.write_timeout}), std::chrono::milliseconds(10));
  }
  // Watches the client's socket for its FIN without reading from it (see Connection::watch_hangup).
  virtual void watch_hangup() = 0;
  // Whether the client has closed its end (FIN or error), however many unread bytes are queued before it.
  virtual bool peer_hung_up() = 0;
  virtual int native_fd() = 0;
  // Before the socket closes (its number could then be another socket's): every path that closes it calls this.
  void forget_hangup_watch() {
    if (watched_fd_ < 0) return;
    if (const auto w = hangups_.lock()) w->forget(watched_fd_, *this);
    watched_fd_ = -1;
  }
  // The watch's wait completed: the socket has something to read, or the wait was cancelled (the socket closing).
  void on_readable(boost::system::error_code ec) {
    waiting_ = false;
    if (parked_) {  // serve(), between requests, waits for this wait (see Connection::serve)
      auto resume = std::move(parked_);
      resume(ec);
      return;
    }
    // Between requests (the guard over) with serve() not parked: a TLS connection's read, queued behind this wait,
    // was performed in the same pass and has what came; a plain one's serve() reads at once when it gets there.
    if (ec == net::error::operation_aborted || !guarding_) return;
    // During a request: EOF or an error is the client gone. Bytes: a pipelined next request (left queued for
    // serve()); a FIN behind them is seen now, or later by the worker's HangupWatch — waiting again would complete
    // at once, again and again.
    if (ec || peer_hung_up()) {
      cut(Responder::Cut::hangup);
    } else if (const auto w = hangups_.lock()) {
      if (w->watch(native_fd(), *this, guard_generation_)) watched_fd_ = native_fd();
    }
  }

  Server& server_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  net::ip::address remote_;
  net::cancellation_signal cancel_;        // bound to the connection's coroutine: cancels what it awaits
  std::uint64_t guard_generation_ = 0;
  Responder::Cut cut_ = Responder::Cut::none;
  bool guarding_ = false;
  bool waiting_ = false;      // the watch's wait is pending on the socket
  // serve() between requests, parked on the watch's pending wait: resumed by on_readable.
  net::any_completion_handler<void(boost::system::error_code)> parked_;
  bool peer_closed_ = false;  // the client's end is closed: once everything it sent is answered, close
  std::weak_ptr<HangupWatch> hangups_;  // the worker's (it goes before the connections when the server ends)
  int watched_fd_ = -1;                 // the socket's descriptor while it is in it
};

// One client connection over `Stream`: tcp::socket (plain HTTP) or ssl::stream<tcp::socket> (HTTPS). The session
// logic is the same for both; only the handshake and the TLS close differ.
template <class Stream>
class Connection final : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

 public:
  Connection(Server& server, Stream&& stream, std::weak_ptr<HangupWatch> hangups)
      : ConnectionBase(server, stream.get_executor(), std::move(hangups)), stream_(std::move(stream)) {
    boost::system::error_code ec;
    remote_ = socket().remote_endpoint(ec).address();
  }
  ~Connection() override { forget_hangup_watch(); }  // while the socket is still open
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Spawned with its cancellation slot bound to cancel_ (see accept_loop): the request guard cancels through it.
  net::awaitable<void> run() {
    auto self = this->shared_from_this();  // active_connections_ was counted by the accept loop
    arm_watchdog();
    try {
      co_await session();
    } catch (const std::exception& e) {
      spdlog::debug("connection ended: {}", e.what());
    }
    // Bytes the client sent that we never read (after a `Connection: close` answer, say) would make close() send a
    // reset, and a reset can destroy our answer before the client has read it: close gracefully instead.
    if (unread_bytes()) co_await linger();
    ended_ = true;
    timer_.cancel();
    forget_hangup_watch();
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    --server_.active_connections_;
  }
  net::cancellation_slot cancel_slot() { return cancel_.slot(); }

  net::awaitable<boost::system::error_code> write(const std::array<net::const_buffer, 3>& bufs) override {
    boost::system::error_code ec;
    std::size_t sent = 0;
    if constexpr (!kTls) sent = send_now(socket().native_handle(), bufs, ec);
    if (ec || sent == total_size(bufs)) co_return ec;
    const auto rest = drop_front(bufs, sent);
    auto [wec, n] =
        co_await net::async_write(stream_, rest, net::bind_cancellation_slot(net::cancellation_slot(), as_tuple));
    co_return wec;
  }
  void write_detached(std::string_view bytes, std::function<void(boost::system::error_code)> done) override {
    net::async_write(stream_, net::buffer(bytes),
                     [self = this->shared_from_this(), done = std::move(done)](boost::system::error_code ec,
                                                                              std::size_t) { done(ec); });
  }

 private:
  bool unread_bytes() {
    if constexpr (kTls) return false;  // TLS ends with close_notify (session())
    int n = 0;
    return socket().is_open() && ::ioctl(socket().native_handle(), FIONREAD, &n) == 0 && n > 0;
  }
  int native_fd() override { return socket().native_handle(); }
  bool peer_hung_up() override {
    pollfd p{socket().native_handle(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
  }
  // A wait for readability on the raw socket (no read, nothing consumed), left pending when the request ends: the
  // client's next request completes it, and serve() (plain sockets) is parked on it and reads at once; a TLS
  // connection's read is queued behind it and performed in the same pass of the reactor. Asio tries a read at once
  // when no other read is queued on the socket (a recv that finds nothing, `EAGAIN`, after every response); a wait
  // starts by re-arming the socket's readiness (one epoll_ctl, which also reports a FIN that came with the request)
  // and tries nothing. A wait left by an earlier request (whose next request was already buffered) goes on serving.
  void watch_hangup() override {
    if (waiting_) return;
    socket().async_wait(tcp::socket::wait_read, Readable{this->shared_from_this()});
    waiting_ = true;  // once the wait is started: serve() parks on it
  }
  // The watch's wait's handler. Destroyed without being called (its io_context going away with the wait pending),
  // it lets go of the serve() parked on the wait: a coroutine that holds the connection, held by the connection.
  struct Readable {
    std::shared_ptr<Connection> self;
    void operator()(boost::system::error_code ec) {
      const auto conn = std::move(self);
      conn->on_readable(ec);
    }
    explicit Readable(std::shared_ptr<Connection> c) : self(std::move(c)) {}
    Readable(Readable&&) noexcept = default;
    Readable& operator=(Readable&&) noexcept = default;
    Readable(const Readable&) = delete;
    Readable& operator=(const Readable&) = delete;
    ~Readable() {
      if (self) self->parked_ = nullptr;
    }
  };
  // Parks the coroutine until the watch's pending wait completes (on_readable).
  auto park_on_watch() {
    return net::async_initiate<decltype(as_tuple), void(boost::system::error_code)>(
        [this](auto handler) {
          // Swapped in: Boost 1.81's move assignment of an any_completion_handler recurses without end.
          net::any_completion_handler<void(boost::system::error_code)> h(std::move(handler));
          parked_.swap(h);
        },
        as_tuple);
  }
  // A read that does not wait: what is there, 0 with `ec` set at the end of the stream or on an error (would_block
  // when nothing is there).
  std::size_t receive_now(net::mutable_buffer space, boost::system::error_code& ec) {
    for (;;) {
      const ssize_t n = ::recv(socket().native_handle(), space.data(), space.size(), MSG_DONTWAIT);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) {
        ec = net::error::eof;
      } else if (errno == EINTR) {
        continue;
      } else {
        ec = errno == EAGAIN || errno == EWOULDBLOCK ? net::error::would_block
                                                      : boost::system::error_code(errno, boost::system::system_category());
      }
      return 0;
    }
  }

  // The watchdog: closes the socket once the current deadline has passed (bounds idle keep-alive, slow requests,
  // stuck writes). A plain timer handler, woken at least every tick() to look at the deadline.
  void arm_watchdog() {
    timer_.expires_at(std::min(deadline_, Clock::now() + tick()));
    timer_.async_wait([self = this->shared_from_this()](boost::system::error_code) { self->on_watchdog(); });
  }
  void on_watchdog() {
    if (ended_ || !socket().is_open()) return;
    if (Clock::now() >= deadline_) {
      forget_hangup_watch();
      boost::system::error_code ignored;
      socket().close(ignored);
      return;
    }
    arm_watchdog();
  }

 private:
  tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

  net::awaitable<void> session() {
    if constexpr (kTls) {
      set_deadline(Clock::now() + server_.limits_.request_timeout);  // the handshake counts as part of a request
      auto [ec] = co_await stream_.async_handshake(net::ssl::stream_base::server, as_tuple);
      if (ec) {
        spdlog::debug("TLS handshake failed: {}", ec.message());
        co_return;
      }
    }
    co_await serve();
    if constexpr (kTls) {
      if (socket().is_open()) {  // send close_notify; a peer that does not answer gets a short while
        set_deadline(Clock::now() + std::chrono::seconds(2));
        auto [ec] = co_await stream_.async_shutdown(as_tuple);
        (void)ec;
      }
    }
  }

  // How reading a request ended.
  enum class Read {
    ok, closed, malformed, bad_coding, url_too_long, too_many_fields, headers_too_large, body_too_large
  };

  // The answer to a request refused before it was handled (none for ok and closed).
  static std::optional<core::ApiError> refusal_for(Read r, const ServerLimits& lim) {
    auto bad_request = [](std::string message) {
      return core::ApiError{400, std::move(message), "invalid_request_error", std::nullopt, "bad_request", {}};
    };
    switch (r) {
      case Read::malformed:
        return bad_request("Malformed HTTP request.");
      case Read::bad_coding:
        return bad_request("A request body must be sent with Content-Length or the chunked transfer coding alone.");
      case Read::url_too_long:
        return core::ApiError{414,
                              "The request URL is longer than the limit of " + std::to_string(lim.max_url_bytes) +
                                  " bytes.",
                              "invalid_request_error",
                              std::nullopt,
                              "uri_too_long",
                              {}};
      case Read::too_many_fields:
        return core::ApiError{431,
                              "The request has more than " + std::to_string(lim.max_header_count) + " header fields.",
                              "invalid_request_error",
                              std::nullopt,
                              "request_header_fields_too_large",
                              {}};
      case Read::headers_too_large:
        return core::ApiError::headers_too_large(lim.max_header_bytes);
      case Read::body_too_large:
        return core::ApiError::request_too_large(lim.max_body_bytes);
      case Read::ok:
      case Read::closed:
        break;
    }
    return std::nullopt;
  }

  net::awaitable<void> reply_and_close(const core::ApiError& err) {
    Request req;
    req.request_id = make_request_id({});
    Responder r(*this, req);
    r.close_after();
    co_await r.send_error(err);
    co_await linger();
  }

  // Before closing on a request we refused unread (too large, malformed): closing with the client's bytes still
  // unread makes the kernel send a reset, and a reset can destroy our answer before the client reads it. So stop
  // sending, then read and discard what is still coming for a short while (nginx's "lingering close").
  net::awaitable<void> linger() {
    if constexpr (!kTls) {  // TLS ends with close_notify instead (session())
      boost::system::error_code ignored;
      socket().shutdown(tcp::socket::shutdown_send, ignored);
      set_deadline(Clock::now() + std::chrono::seconds(2));  // the watchdog closes the socket then
      std::vector<char> discard(16 * 1024);
      std::size_t total = 0;
      while (total < 4 * 1024 * 1024) {
        auto [ec, n] = co_await socket().async_read_some(net::buffer(discard), as_tuple);
        if (ec) break;
        total += n;
      }
    }
  }

  std::string_view buffered() const { return http::buffered(buffer_); }

  // Reads more of the request into buffer_; false when the client closed, on an error, or when the watchdog
  // closed the socket.
  net::awaitable<bool> fill() {
    const std::size_t room = std::clamp<std::size_t>(buffer_.capacity() - buffer_.size(), 4096, 64 * 1024);
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(room), as_tuple);
    if (ec) co_return false;
    buffer_.commit(n);
    co_return true;
  }

  // Reads until buffer_ holds a whole head, then parses and consumes it. What is already buffered is parsed
  // first: the socket is read only when more bytes are needed.
  net::awaitable<Read> read_head(RequestHead& head) {
    const auto& lim = server_.limits_;
    std::size_t scanned = 0;
    for (;;) {
      while (buffered().starts_with("\r\n")) {  // empty lines before a request line are ignored (RFC 9112 2.2)
        buffer_.consume(2);
        scanned = scanned >= 2 ? scanned - 2 : 0;
      }
      const std::string_view data = buffered();
      const std::size_t end = find_head_end(data, scanned);
      if (end == std::string_view::npos) co_return Read::malformed;
      if (end > lim.max_header_bytes || (end == 0 && data.size() >= lim.max_header_bytes))
        co_return Read::headers_too_large;
      if (end != 0) {
        const HeadError e =
            parse_request_head(data.substr(0, end), HeadLimits{lim.max_header_count, lim.max_url_bytes}, head);
        buffer_.consume(end);
        switch (e) {
          case HeadError::none:
            co_return Read::ok;
          case HeadError::malformed:
            co_return Read::malformed;
          case HeadError::bad_coding:
            co_return Read::bad_coding;
          case HeadError::url_too_long:
            co_return Read::url_too_long;
          case HeadError::too_many_fields:
            co_return Read::too_many_fields;
        }
      }
      const bool more = co_await fill();
      if (!more) co_return Read::closed;
    }
  }

  // Reads a body of Content-Length bytes (at most the body limit: checked before) into req.body.
  net::awaitable<Read> read_sized_body(Request& req) {
    const std::uint64_t length = req.head.content_length.value_or(0);
    req.body.reserve(static_cast<std::size_t>(length));
    while (req.body.size() < length) {
      if (buffer_.size() == 0) {
        const bool more = co_await fill();
        if (!more) co_return Read::closed;
      }
      const std::string_view data = buffered();
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(length - req.body.size(), data.size()));
      req.body.append(data.data(), take);
      buffer_.consume(take);
    }
    co_return Read::ok;
  }

  // Reads a chunked body into req.body; trailer fields count against the header limit.
  net::awaitable<Read> read_chunked_body(Request& req) {
    const auto& lim = server_.limits_;
    ChunkedDecoder decoder(lim.max_body_bytes, lim.max_header_bytes);
    for (;;) {
      auto status = ChunkedDecoder::Status::more;
      buffer_.consume(decoder.feed(buffered(), req.body, status));
      if (status == ChunkedDecoder::Status::done) co_return Read::ok;
      if (status == ChunkedDecoder::Status::malformed) co_return Read::malformed;
      if (status == ChunkedDecoder::Status::too_large) co_return Read::body_too_large;
      const bool more = co_await fill();
      if (!more) co_return Read::closed;
    }
  }

  // One request: the idle timeout runs until its first byte arrives, then REQUEST_TIMEOUT_MS bounds the whole
  // request (headers and body together), so a client trickling bytes cannot extend it.
  net::awaitable<void> serve() {
    const auto& lim = server_.limits_;
    for (;;) {
      if (server_.draining_) co_return;
      if (buffer_.size() == 0) {
        if (peer_closed_) co_return;  // answered everything the client sent before it closed its side
        set_deadline(Clock::now() + lim.idle_timeout);
        const auto space = buffer_.prepare(4096);
        // The watch's wait, left pending by the request before, completes on the next one's first bytes: parked on
        // it, serve() reads them at once. A read queued behind the wait would complete on the same event, but
        // posted: after another turn of the reactor (an epoll_wait) on the request's path.
        boost::system::error_code ec = net::error::would_block;
        std::size_t n = 0;
        if constexpr (!kTls) {
          if (waiting_) {
            auto [wec] = co_await park_on_watch();
            ec = wec;
            if (!ec) n = receive_now(space, ec);
          }
        }
        if (ec == net::error::would_block) {
          auto [rec, got] = co_await stream_.async_read_some(space, as_tuple);
          ec = rec;
          n = got;
        }
        if (ec) co_return;  // hang-up or idle timeout: nothing to answer
        buffer_.commit(n);
      }
      set_deadline(Clock::now() + lim.request_timeout);
      Request req;
      Read read = co_await read_head(req.head);
      if (read == Read::ok && req.head.content_length.value_or(0) > lim.max_body_bytes) read = Read::body_too_large;
      // A client that asked to wait for it, and waits (nothing of the body sent yet), gets a 100 Continue.
      if (read == Read::ok && req.head.expect_continue && buffer_.size() == 0 &&
          (req.head.chunked || req.head.content_length.value_or(0) > 0)) {
        const auto continue_line = net::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n"));
        co_await net::async_write(stream_, continue_line, net::use_awaitable);
      }
      if (read == Read::ok && req.head.chunked) {
        const Read body = co_await read_chunked_body(req);
        read = body;
      } else if (read == Read::ok) {
        const Read body = co_await read_sized_body(req);
        read = body;
      }
      // A refusal is decided first and answered by one co_await at loop scope: GCC 12 miscompiles coroutines that
      // keep a branch-scoped object with a destructor alive across a co_await.
      const std::optional<core::ApiError> refusal = refusal_for(read, lim);
      if (refusal) {
        co_await reply_and_close(*refusal);
        co_return;
      }
      if (read != Read::ok || !socket().is_open()) co_return;  // closed before the request was complete

      req.received = Clock::now();
      req.request_id = make_request_id(req.header(kRequestIdHeader));
      req.remote = remote_;
      Responder responder(*this, req);
      set_deadline(Clock::time_point::max());
      ++server_.busy_connections_;
      server_.requests_started_.fetch_add(1, std::memory_order_relaxed);
      struct Busy {
        std::atomic<std::size_t>& n;
        ~Busy() { --n; }
      } busy{server_.busy_connections_};
      co_await server_.handler_(req, responder);
      if (!req.keep_alive() || responder.must_close() || !responder.head_sent()) co_return;
    }
  }

  Stream stream_;
  bool ended_ = false;
};

// Over MAX_CONNECTIONS: answers 503 without reading the request, then closes. The client's request bytes are
// drained briefly first, so that closing does not reset the connection before the client has read the answer.
class Rejection : public std::enable_shared_from_this<Rejection> {
 public:
  Rejection(Server& server, tcp::socket socket) : server_(server), socket_(std::move(socket)) {}

  net::awaitable<void> run() {
    auto self = shared_from_this();
    net::steady_timer deadline(socket_.get_executor(), std::chrono::seconds(1));
    try {
      co_await (answer() || deadline.async_wait(net::use_awaitable));
    } catch (const std::exception&) {  // timer cancellation races: nothing to do, the socket is closed below
    }
    boost::system::error_code ignored;
    socket_.close(ignored);
    --server_.rejecting_connections_;
  }

 private:
  net::awaitable<void> answer() {
    static constexpr std::string_view kBody =
        R"({"error":{"message":"The server is at its connection limit. Please retry shortly.","type":"server_error","param":null,"code":"server_overloaded"}})";
    const std::string head =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
        std::to_string(kBody.size()) + "\r\nretry-after: 1\r\nx-request-id: " + make_request_id({}) +
        "\r\nConnection: close\r\n\r\n";
    const std::array<net::const_buffer, 2> bufs{net::buffer(head), net::buffer(kBody)};
    auto [ec, n] = co_await net::async_write(socket_, bufs, as_tuple);
    if (ec) co_return;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    std::array<char, 4096> sink{};
    for (std::size_t total = 0; total < 64 * 1024;) {
      auto [rec, got] = co_await socket_.async_read_some(net::buffer(sink), as_tuple);
      if (rec) co_return;
      total += got;
    }
  }

  Server& server_;
  tcp::socket socket_;
};

// ---- Responder ------------------------------------------------------------------------------

std::string Responder::head(int status, std::string_view content_type, std::span<const Header> extra, bool chunked,
                            std::size_t length) const {
  using namespace std::string_view_literals;
  const Decimal status_text(status), length_text(length);
  std::string h;
  h.reserve(256);
  append_pieces(h, {"HTTP/1.1 "sv, status_text.view(), " "sv,
                    bhttp::obsolete_reason(static_cast<bhttp::status>(status)), "\r\nContent-Type: "sv, content_type,
                    chunked ? "\r\nTransfer-Encoding: chunked"sv : "\r\nContent-Length: "sv,
                    chunked ? std::string_view() : length_text.view(), "\r\nx-request-id: "sv, req_.request_id});
  for (const auto& [name, value] : extra) append_pieces(h, {"\r\n"sv, name, ": "sv, value});
  for (const auto& [name, value] : headers_) append_pieces(h, {"\r\n"sv, name, ": "sv, value});
  append_pieces(h, {close_ || !req_.keep_alive() ? "\r\nConnection: close\r\n\r\n"sv : "\r\n\r\n"sv});
  return h;
}

net::awaitable<void> Responder::write_all(std::string_view a, std::string_view b, std::string_view c) {
  const std::array<net::const_buffer, 3> bufs{net::buffer(a), net::buffer(b), net::buffer(c)};
  conn_.set_deadline(Clock::now() + conn_.limits().write_timeout);
  const boost::system::error_code ec = co_await conn_.write(bufs);
  conn_.set_deadline(Clock::time_point::max());
  if (ec) throw boost::system::system_error(ec);
}

net::awaitable<void> Responder::send(int status, std::string_view content_type, std::string_view body,
                                     std::span<const Header> extra) {
  status_ = status;
  head_sent_ = true;
  const std::string h = head(status, content_type, extra, false, body.size());
  if (req_.method() == "HEAD") {  // the length of the body it would get, but no body
    co_await write_all(h);
    co_return;
  }
  co_await write_all(h, body);
}

net::awaitable<void> Responder::send_error(const core::ApiError& err) {
  std::string retry;
  std::array<Header, 1> extra{};
  std::span<const Header> headers;
  if (err.retry_after_seconds) {
    retry = std::to_string(*err.retry_after_seconds);
    extra[0] = {"retry-after", retry};
    headers = extra;
  }
  const std::string body = err.body();
  co_await send(err.status, "application/json", body, headers);
}

net::awaitable<void> Responder::begin_stream(std::span<const Header> extra) {
  status_ = 200;
  head_sent_ = true;
  std::vector<Header> all{{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  all.insert(all.end(), extra.begin(), extra.end());
  const std::string h = head(200, "text/event-stream; charset=utf-8", all, true, 0);
  co_await write_all(h);
}

net::awaitable<void> Responder::write_event(std::string_view bytes) {
  std::array<char, 20> size{};
  auto [end, ec] = std::to_chars(size.data(), size.data() + size.size() - 2, bytes.size(), 16);
  *end++ = '\r';
  *end++ = '\n';
  const std::string_view prefix(size.data(), static_cast<std::size_t>(end - size.data()));
  co_await write_all(prefix, bytes, "\r\n");
}

net::awaitable<void> Responder::end_stream() {
  co_await write_all("0\r\n\r\n");
}

void Responder::write_keepalive(std::function<void(bool ok)> done) {
  // One chunk of the SSE comment ": keep-alive\n\n" (14 bytes), framed once.
  static constexpr std::string_view kChunk = "e\r\n: keep-alive\n\n\r\n";
  const Clock::time_point until = Clock::now() + conn_.limits().write_timeout;
  conn_.set_deadline(until);
  // May complete after this Responder is gone: touches only the connection (kept alive by the write), and lifts
  // the deadline only if nothing moved it meanwhile.
  conn_.write_detached(kChunk, [&conn = conn_, until, done = std::move(done)](boost::system::error_code ec) {
    if (!ec && conn.deadline() == until) conn.set_deadline(Clock::time_point::max());
    done(!ec);
  });
}

void Responder::begin_guard() { conn_.begin_guard(); }

void Responder::interrupt() { conn_.cut(Cut::interrupted); }

Responder::Cut Responder::end_guard() { return conn_.end_guard(); }

// ---- Server ---------------------------------------------------------------------------------

namespace {
// The connection's coroutine gets its own cancellation slot (the request guard emits on it). The completion
// handler owns the connection until the coroutine is over, so the signal outlives every use of the slot.
template <class Conn>
void spawn_connection(net::io_context& io, const std::shared_ptr<Conn>& conn) {
  net::co_spawn(io, conn->run(), net::bind_cancellation_slot(conn->cancel_slot(), [conn](const std::exception_ptr&) {}));
}
}  // namespace

Server::Server(ServerLimits limits, Handler handler, unsigned threads, std::shared_ptr<net::ssl::context> tls)
    : limits_(limits), handler_(std::move(handler)), tls_(std::move(tls)) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    auto& w = *workers_.emplace_back(std::make_unique<Worker>());
    w.hangups = std::make_shared<HangupWatch>(w.io);
  }
}

Server::~Server() {
  for (auto& w : workers_) w->io.stop();
  join();
}

unsigned short Server::listen(const std::string& host, unsigned short port) {
  // Every client connection may hold an upstream connection too: make sure the descriptors exist.
  if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    const rlim_t want = 2 * static_cast<rlim_t>(limits_.max_connections) + 256;
    if (rl.rlim_cur < want) {
      rl.rlim_cur = std::min(want, rl.rlim_max);
      ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < want)
      spdlog::warn("open-file limit {} is below what MAX_CONNECTIONS={} needs ({}): connections may fail with EMFILE",
                   rl.rlim_cur, limits_.max_connections, want);
  }
  const tcp::endpoint first{net::ip::make_address(host), port};
  unsigned short bound = port;
  for (auto& w : workers_) {
    auto acc = std::make_unique<tcp::acceptor>(w->io);
    acc->open(first.protocol());
    acc->set_option(net::socket_base::reuse_address(true));
    acc->set_option(net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
    acc->bind({first.address(), bound});
    acc->listen(net::socket_base::max_listen_connections);
    bound = acc->local_endpoint().port();
    w->acceptor = std::move(acc);
  }
  return bound;
}

net::awaitable<void> Server::accept_loop(Worker& w) {
  for (;;) {
    auto [ec, socket] = co_await w.acceptor->async_accept(as_tuple);
    if (ec) {
      if (!w.acceptor->is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      net::steady_timer pause(w.io, std::chrono::milliseconds(50));  // e.g. EMFILE: back off, don't spin
      co_await pause.async_wait(as_tuple);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (active_connections_.fetch_add(1) >= limits_.max_connections) {
      --active_connections_;
      // A TLS client could not read a plain 503 (and a handshake costs too much here): close at once.
      if (tls_) {
        socket.close(ignored);
        continue;
      }
      if (rejecting_connections_.fetch_add(1) >= kMaxRejecting) {  // under a flood, not even a 503
        --rejecting_connections_;
        socket.close(ignored);
        continue;
      }
      auto rejection = std::make_shared<Rejection>(*this, std::move(socket));
      net::co_spawn(w.io, rejection->run(), net::detached);
      continue;
    }
    if (tls_) {
      auto conn = std::make_shared<Connection<net::ssl::stream<tcp::socket>>>(
          *this, net::ssl::stream<tcp::socket>(std::move(socket), *tls_), w.hangups);
      spawn_connection(w.io, conn);
    } else {
      spawn_connection(w.io, std::make_shared<Connection<tcp::socket>>(*this, std::move(socket), w.hangups));
    }
  }
}

void Server::start(std::function<void(net::io_context&)> on_thread_start, std::function<void()> on_thread_exit) {
  for (auto& w : workers_) {
    net::co_spawn(w->io, accept_loop(*w), net::detached);
    w->thread = std::thread([&io = w->io, on_thread_start, on_thread_exit] {
      if (on_thread_start) on_thread_start(io);
      io.run();
      if (on_thread_exit) on_thread_exit();
    });
  }
}

void Server::shutdown(std::chrono::milliseconds drain) {
  draining_ = true;
  for (auto& w : workers_) {
    net::post(w->io, [&w] {
      boost::system::error_code ignored;
      w->acceptor->close(ignored);
    });
  }
  const auto until = Clock::now() + drain;
  while (busy_connections_.load() > 0 && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (busy_connections_.load() > 0)
    spdlog::warn("drain timeout: {} requests still in flight are cut off", busy_connections_.load());
  for (auto& w : workers_) w->io.stop();
}

void Server::join() {
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

void notify_watched_hangup(ConnectionBase& conn, std::uint64_t generation) { conn.on_watched_hangup(generation); }

}  // namespace sb::http
