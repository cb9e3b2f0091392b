// The HTTP/1.1 server: one io_context per thread, one acceptor handing connections out
// round-robin, one coroutine per connection, routes looked up in a Router.
#pragma once

#include "fixtures.hpp"
#include "router.hpp"
#include "stats.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mock_upstream {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::size_t threads = 1;
  std::string fixtures;  // root for the replay scenario; empty: replay disabled
};

class Server {
 public:
  // Binds and listens at once (throws boost::system::system_error when it cannot).
  explicit Server(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::string url() const;  // http://host:port

  // Serves until SIGINT/SIGTERM or stop(); returns once every io thread has stopped.
  void run();
  void stop();  // thread-safe

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket, std::size_t shard);

  Stats stats_;
  LastRequestStore last_request_;
  FixtureStore fixtures_;
  AppContext app_;
  Router router_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace mock_upstream
