#include "http/server.hpp"

#include <spdlog/spdlog.h>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <charconv>

#include "http/request_id.hpp"

namespace sb::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using net::ip::tcp;
using namespace net::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)
constexpr auto as_tuple = net::as_tuple(net::use_awaitable);

// The answer to a request that could not be read, if it deserves one (a vanished client does not).
std::optional<core::ApiError> error_reply(const boost::system::error_code& ec, const ServerLimits& lim) {
  if (ec == bhttp::error::body_limit) return core::ApiError::request_too_large(lim.max_body_bytes);
  if (ec == bhttp::error::header_limit)
    return core::ApiError{431,
                          "Request headers are larger than the limit of " + std::to_string(lim.max_header_bytes) +
                              " bytes.",
                          "invalid_request_error",
                          std::nullopt,
                          "request_header_fields_too_large",
                          {}};
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category())
    return core::ApiError{400, "Malformed HTTP request.", "invalid_request_error", std::nullopt, "bad_request", {}};
  return std::nullopt;
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  net::awaitable<void> run() {
    auto self = shared_from_this();
    ++server_.active_connections_;
    try {
      co_await (serve() || watchdog());
    } catch (const std::exception& e) {
      spdlog::debug("connection ended: {}", e.what());
    }
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    --server_.active_connections_;
  }

  tcp::socket& socket() { return socket_; }
  beast::flat_buffer& buffer() { return buffer_; }
  void set_deadline(Clock::time_point t) { deadline_ = t; }
  const ServerLimits& limits() const { return server_.limits_; }

 private:
  // Closes the socket when the current deadline passes: bounds idle keep-alive, slow requests, stuck writes.
  net::awaitable<void> watchdog() {
    for (;;) {
      timer_.expires_at(deadline_);
      auto [ec] = co_await timer_.async_wait(as_tuple);
      if (ec == net::error::operation_aborted && !socket_.is_open()) co_return;
      if (Clock::now() >= deadline_) {
        boost::system::error_code ignored;
        socket_.close(ignored);
        co_return;
      }
    }
  }

  net::awaitable<void> reply_and_close(const core::ApiError& err) {
    Request req;
    req.request_id = make_request_id({});
    Responder r(*this, req);
    r.close_after();
    co_await r.send_error(err);
  }

  net::awaitable<void> serve() {
    const auto& lim = server_.limits_;
    for (;;) {
      if (server_.draining_) co_return;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(lim.max_header_bytes));
      parser.body_limit(lim.max_body_bytes);
      deadline_ = Clock::now() + (buffer_.size() ? lim.request_timeout : lim.idle_timeout);
      timer_.cancel();
      auto [ec, n] = co_await bhttp::async_read_header(socket_, buffer_, parser, as_tuple);
      if (!ec && !parser.is_done()) {
        if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
          co_await net::async_write(socket_, net::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")),
                                    net::use_awaitable);
        }
        deadline_ = Clock::now() + lim.request_timeout;
        std::tie(ec, n) = co_await bhttp::async_read(socket_, buffer_, parser, as_tuple);
      }
      if (ec) {
        if (ec == bhttp::error::end_of_stream || ec == net::error::eof || !socket_.is_open()) co_return;
        // One local, no branch-scoped objects across the co_await: GCC 12 double-destroys those in coroutines.
        const std::optional<core::ApiError> reply = error_reply(ec, lim);
        if (reply) co_await reply_and_close(*reply);
        co_return;
      }

      Request req;
      req.msg = parser.release();
      req.received = Clock::now();
      req.request_id = make_request_id(req.msg[kRequestIdHeader]);
      Responder responder(*this, req);
      deadline_ = Clock::time_point::max();
      timer_.cancel();
      ++server_.busy_connections_;
      struct Busy {
        std::atomic<std::size_t>& n;
        ~Busy() { --n; }
      } busy{server_.busy_connections_};
      co_await server_.handler_(req, responder);
      if (!req.msg.keep_alive() || responder.must_close() || !responder.head_sent()) co_return;
    }
  }

  Server& server_;
  tcp::socket socket_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  Clock::time_point deadline_ = Clock::time_point::max();
};

// ---- Responder ------------------------------------------------------------------------------

std::string Responder::head(int status, std::string_view content_type, std::span<const Header> extra, bool chunked,
                            std::size_t length) const {
  std::string h;
  h.reserve(256);
  h += "HTTP/1.1 ";
  h += std::to_string(status);
  h += ' ';
  h += bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  h += "\r\nContent-Type: ";
  h += content_type;
  if (chunked) {
    h += "\r\nTransfer-Encoding: chunked";
  } else {
    h += "\r\nContent-Length: ";
    h += std::to_string(length);
  }
  h += "\r\nx-request-id: ";
  h += req_.request_id;
  for (const auto& [name, value] : extra) {
    h += "\r\n";
    h += name;
    h += ": ";
    h += value;
  }
  if (close_ || !req_.msg.keep_alive()) h += "\r\nConnection: close";
  h += "\r\n\r\n";
  return h;
}

net::awaitable<void> Responder::write_all(std::string_view a, std::string_view b, std::string_view c) {
  const std::array<net::const_buffer, 3> bufs{net::buffer(a), net::buffer(b), net::buffer(c)};
  conn_.set_deadline(Clock::now() + conn_.limits().write_timeout);
  auto [ec, n] = co_await net::async_write(conn_.socket(), bufs, as_tuple);
  conn_.set_deadline(Clock::time_point::max());
  if (ec) throw boost::system::system_error(ec);
  bytes_sent_ += n;
}

net::awaitable<void> Responder::send(int status, std::string_view content_type, std::string_view body,
                                     std::span<const Header> extra) {
  status_ = status;
  head_sent_ = true;
  const std::string h = head(status, content_type, extra, false, body.size());
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

net::awaitable<void> Responder::wait_disconnect() {
  auto& buf = conn_.buffer();
  for (;;) {
    if (buf.size() > 64 * 1024) {  // a client pipelining this much is not waiting for us: stop reading
      net::steady_timer forever(conn_.socket().get_executor(), Clock::time_point::max());
      co_await forever.async_wait(as_tuple);
      co_return;
    }
    auto [ec, n] = co_await conn_.socket().async_read_some(buf.prepare(4096), as_tuple);
    if (ec) co_return;
    buf.commit(n);
  }
}

// ---- Server ---------------------------------------------------------------------------------

Server::Server(ServerLimits limits, Handler handler, unsigned threads) : limits_(limits), handler_(std::move(handler)) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) workers_.push_back(std::make_unique<Worker>());
}

Server::~Server() {
  for (auto& w : workers_) w->io.stop();
  join();
}

unsigned short Server::listen(const std::string& host, unsigned short port) {
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
    auto conn = std::make_shared<Connection>(*this, std::move(socket));
    net::co_spawn(w.io, conn->run(), net::detached);
  }
}

void Server::start(std::function<void()> on_thread_exit) {
  for (auto& w : workers_) {
    net::co_spawn(w->io, accept_loop(*w), net::detached);
    w->thread = std::thread([&io = w->io, on_thread_exit] {
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

}  // namespace sb::http
