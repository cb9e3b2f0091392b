// One client connection: reads requests, writes responses and plays ResponsePlans. Lives on a
// single io_context thread, so it needs no locking.
#pragma once

#include "response_plan.hpp"
#include "stats.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace mock_upstream {

enum class ReadResult { ok, closed, bad_request };

enum class Outcome {
  completed,    // the whole response went out
  dropped,      // we cut the connection on purpose (drop scenarios)
  peer_closed,  // the client went away before the response was complete
};

class Connection {
 public:
  Connection(boost::asio::ip::tcp::socket socket, StatsShard& stats);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Reads one request (answers `Expect: 100-continue`). `closed` = peer hung up cleanly or
  // the socket failed; `bad_request` = unparsable HTTP (caller answers 400 and closes).
  boost::asio::awaitable<ReadResult> read_request(Request& request);

  // Keep-alive and HTTP version of the request being answered.
  void begin_exchange(const Request& request);

  // A complete response with a fixed body, written at once.
  boost::asio::awaitable<Outcome> send(unsigned status, std::string_view content_type, std::string_view body,
                                       std::span<const Header> headers = {});

  // Plays a plan; when it waits, a read on the socket runs alongside so a client hang-up
  // is noticed at once (even while stalled) and reported as `peer_closed`.
  boost::asio::awaitable<Outcome> run(const ResponsePlan& plan);

  bool is_open() const noexcept { return open_; }
  bool wants_close() const noexcept { return !keep_alive_ || !open_; }
  void disable_keep_alive() noexcept { keep_alive_ = false; }
  void close(bool by_peer = false) noexcept;
  StatsShard& stats() noexcept { return stats_; }

 private:
  boost::asio::awaitable<Outcome> play(const ResponsePlan& plan);
  boost::asio::awaitable<void> watch_peer();
  boost::asio::awaitable<bool> sleep_for(std::chrono::milliseconds delay);
  boost::asio::awaitable<void> wait_forever();
  boost::asio::awaitable<bool> write_buffers(std::span<const boost::asio::const_buffer> buffers);
  boost::asio::awaitable<bool> write_piece(std::string_view piece, bool chunked);
  std::string response_head(unsigned status, std::string_view content_type, std::span<const Header> headers,
                            bool chunked, std::size_t content_length) const;

  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  StatsShard& stats_;
  bool open_ = true;
  bool keep_alive_ = true;
  bool http10_ = false;
};

}  // namespace mock_upstream
