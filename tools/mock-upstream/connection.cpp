#include "connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>

#include <array>
#include <cctype>
#include <cstdio>
#include <tuple>

namespace mock_upstream {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::awaitable;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kHeaderLimit = 64 * 1024;
constexpr std::uint64_t kBodyLimit = 64ull * 1024 * 1024;
constexpr std::size_t kWatchReadSize = 4096;
constexpr std::size_t kWatchBufferLimit = 1024 * 1024;

bool is_parse_error(const boost::system::error_code& ec) {
  static const auto& http_category = http::make_error_code(http::error::bad_target).category();
  return ec.category() == http_category && ec != http::error::end_of_stream && ec != http::error::partial_message;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto ca = static_cast<unsigned char>(a[i]);
    const auto cb = static_cast<unsigned char>(b[i]);
    if (std::tolower(ca) != std::tolower(cb)) return false;
  }
  return true;
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, StatsShard& stats) : socket_(std::move(socket)), stats_(stats) {
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);  // best effort: a failure only costs latency
  StatsShard::bump(stats_.connections_total);
  StatsShard::bump(stats_.active_connections);
}

Connection::~Connection() {
  close();
  StatsShard::bump(stats_.active_connections, -1);
}

void Connection::close(bool by_peer) noexcept {
  if (!open_) return;
  open_ = false;
  if (by_peer) StatsShard::bump(stats_.connections_closed_by_peer);
  boost::system::error_code ec;
  socket_.close(ec);  // nothing useful to do if closing fails
}

awaitable<ReadResult> Connection::read_request(Request& request) {
  if (!open_) co_return ReadResult::closed;
  http::request_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kBodyLimit);

  auto [ec, bytes] = co_await http::async_read_header(socket_, buffer_, parser, use_nothrow);
  (void)bytes;
  if (!ec && !parser.is_done()) {
    const auto expect = parser.get()[http::field::expect];
    if (iequals(expect, "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      const std::array buffers{asio::buffer(kContinue)};
      const bool ok = co_await write_buffers(buffers);
      if (!ok) co_return ReadResult::closed;
    }
    std::tie(ec, bytes) = co_await http::async_read(socket_, buffer_, parser, use_nothrow);
  }
  if (ec) {
    if (is_parse_error(ec)) co_return ReadResult::bad_request;
    if (ec != asio::error::operation_aborted) close(/*by_peer=*/true);
    co_return ReadResult::closed;
  }
  request = parser.release();
  co_return ReadResult::ok;
}

void Connection::begin_exchange(const Request& request) {
  http10_ = request.version() < 11;
  keep_alive_ = request.keep_alive();
}

std::string Connection::response_head(unsigned status, std::string_view content_type, std::span<const Header> headers,
                                      bool chunked, std::size_t content_length) const {
  std::string head;
  head.reserve(192);
  head.append("HTTP/1.1 ");
  head.append(std::to_string(status));
  head.push_back(' ');
  const auto reason = http::obsolete_reason(http::int_to_status(status));
  head.append(reason.data(), reason.size());
  head.append("\r\nContent-Type: ");
  head.append(content_type);
  if (chunked) {
    head.append("\r\nTransfer-Encoding: chunked");
  } else if (content_length != std::string::npos) {
    head.append("\r\nContent-Length: ");
    head.append(std::to_string(content_length));
  }
  for (const auto& header : headers) {
    head.append("\r\n").append(header.name).append(": ").append(header.value);
  }
  if (!keep_alive_) {
    head.append("\r\nConnection: close");
  } else if (http10_) {
    head.append("\r\nConnection: keep-alive");
  }
  head.append("\r\n\r\n");
  return head;
}

awaitable<bool> Connection::write_buffers(std::span<const asio::const_buffer> buffers) {
  if (!open_) co_return false;
  auto [ec, written] = co_await asio::async_write(socket_, buffers, use_nothrow);
  (void)written;
  if (ec) {
    // Cancelled: whoever cancelled us decides what happens to the socket.
    if (ec != asio::error::operation_aborted) close(/*by_peer=*/true);
    co_return false;
  }
  co_return true;
}

awaitable<bool> Connection::write_piece(std::string_view piece, bool chunked) {
  if (!chunked) {
    const std::array buffers{asio::buffer(piece)};
    co_return co_await write_buffers(buffers);
  }
  if (piece.empty()) co_return true;  // an empty chunk would end the body
  std::array<char, 24> size_line{};
  const int len = std::snprintf(size_line.data(), size_line.size(), "%zx\r\n", piece.size());
  const std::array buffers{asio::const_buffer(size_line.data(), static_cast<std::size_t>(len)), asio::buffer(piece),
                           asio::buffer("\r\n", 2)};
  co_return co_await write_buffers(buffers);
}

awaitable<Outcome> Connection::send(unsigned status, std::string_view content_type, std::string_view body,
                                    std::span<const Header> headers) {
  const auto head = response_head(status, content_type, headers, false, body.size());
  const std::array buffers{asio::buffer(head), asio::buffer(body)};
  co_return co_await write_buffers(buffers) ? Outcome::completed : Outcome::peer_closed;
}

awaitable<bool> Connection::sleep_for(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  auto [ec] = co_await timer.async_wait(use_nothrow);
  co_return !ec;
}

awaitable<void> Connection::wait_forever() {
  asio::steady_timer timer(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
  auto [ec] = co_await timer.async_wait(use_nothrow);
  (void)ec;  // only cancellation ends this wait
}

awaitable<void> Connection::watch_peer() {
  // Completes only when the client closes (EOF) or the socket fails. Bytes that arrive
  // meanwhile (a pipelined request) are kept in the read buffer for the next parse.
  for (;;) {
    auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(kWatchReadSize), use_nothrow);
    if (ec) co_return;  // EOF or reset: the client is gone (or we were cancelled)
    buffer_.commit(n);
    if (buffer_.size() > kWatchBufferLimit) {  // a flood, not a request: drop it and the connection
      buffer_.consume(buffer_.size());
      keep_alive_ = false;
    }
  }
}

awaitable<Outcome> Connection::play(const ResponsePlan& plan) {
  if (plan.stall_at == StallAt::headers) {
    co_await wait_forever();
    co_return Outcome::peer_closed;
  }
  if (plan.first_byte_delay.count() > 0 && !co_await sleep_for(plan.first_byte_delay)) {
    co_return Outcome::peer_closed;
  }
  // HTTP/1.0 has no chunked encoding: send the pieces raw and end the body by closing.
  const bool chunking = plan.chunked && !http10_;
  if (plan.chunked && http10_) keep_alive_ = false;
  std::size_t content_length = std::string::npos;
  if (!plan.chunked) {
    content_length = 0;
    for (const auto& piece : plan.pieces) content_length += piece.size();
  }
  const auto head = response_head(plan.status, plan.content_type, plan.headers, chunking, content_length);
  const std::array head_buffer{asio::buffer(head)};
  const bool ok2 = co_await write_buffers(head_buffer);
  if (!ok2) co_return Outcome::peer_closed;
  if (plan.stall_at == StallAt::first_byte) {
    co_await wait_forever();
    co_return Outcome::peer_closed;
  }
  for (std::size_t i = 0; i < plan.pieces.size() && i < plan.cut_after; ++i) {
    if (i > 0 && plan.interval.count() > 0 && !co_await sleep_for(plan.interval)) {
      co_return Outcome::peer_closed;
    }
    const bool ok3 = co_await write_piece(plan.pieces[i], chunking);
    if (!ok3) co_return Outcome::peer_closed;
  }
  switch (plan.end) {
    case PlanEnd::complete:
      if (chunking) {
        static constexpr std::string_view kLastChunk = "0\r\n\r\n";
        const std::array last_chunk{asio::buffer(kLastChunk)};
        const bool ok4 = co_await write_buffers(last_chunk);
        if (!ok4) {
          co_return Outcome::peer_closed;
        }
      }
      co_return Outcome::completed;
    case PlanEnd::stall:
      co_await wait_forever();
      co_return Outcome::peer_closed;
    case PlanEnd::close:
    case PlanEnd::reset:
      break;
  }
  co_return Outcome::dropped;  // run() cuts the connection once the peer watch is over
}

awaitable<Outcome> Connection::run(const ResponsePlan& plan) {
  if (plan.tracked) {
    StatsShard::bump(stats_.streams_started);
    StatsShard::bump(stats_.active_streams);
  }
  Outcome outcome = Outcome::completed;
  if (!plan.waits()) {
    outcome = co_await play(plan);
  } else {
    // Race the response against a read on the socket: whichever finishes first cancels the other.
    // (Built as a named local: GCC 12 mishandles non-trivial temporaries inside co_await.)
    auto executor = co_await asio::this_coro::executor;
    auto race = asio::experimental::make_parallel_group(asio::co_spawn(executor, play(plan), asio::deferred),
                                                        asio::co_spawn(executor, watch_peer(), asio::deferred));
    auto [order, play_error, played, watch_error] =
        co_await race.async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    (void)watch_error;
    if (order[0] == 0) {
      if (play_error) std::rethrow_exception(play_error);
      outcome = played;
    } else {
      outcome = Outcome::peer_closed;
    }
  }
  switch (outcome) {
    case Outcome::completed:
      if (plan.tracked) StatsShard::bump(stats_.streams_completed);
      break;
    case Outcome::dropped:
      if (plan.end == PlanEnd::reset && open_) {
        boost::system::error_code ec;
        socket_.set_option(asio::socket_base::linger(true, 0), ec);  // close() then sends RST
      }
      close();
      if (plan.tracked) StatsShard::bump(stats_.streams_dropped);
      break;
    case Outcome::peer_closed:
      close(/*by_peer=*/true);
      if (plan.tracked) StatsShard::bump(stats_.streams_cancelled);
      break;
  }
  if (plan.tracked) StatsShard::bump(stats_.active_streams, -1);
  co_return outcome;
}

}  // namespace mock_upstream
