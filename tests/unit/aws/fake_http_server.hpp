// A tiny HTTP/1.1 server on 127.0.0.1 (port 0) for the credential sources' tests: answers each request with
// the handler's response and records what it received. Runs its own io_context on its own thread.
#pragma once
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/client.hpp"

namespace sb::test {

class FakeHttpServer {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  using Handler = std::function<Response(const Request&)>;

  explicit FakeHttpServer(Handler handler)
      : handler_(std::move(handler)),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        guard_(io_.get_executor()) {
    boost::asio::co_spawn(io_, accept_loop(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeHttpServer() {
    boost::asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      io_.stop();
    });
    thread_.join();
  }

  [[nodiscard]] unsigned short port() const { return acceptor_.local_endpoint().port(); }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::vector<Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

  static Response reply(int status, std::string body, std::string content_type = "application/json") {
    Response r{static_cast<boost::beast::http::status>(status), 11};
    r.set(boost::beast::http::field::content_type, content_type);
    r.body() = std::move(body);
    r.prepare_payload();
    return r;
  }

 private:
  boost::asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      boost::asio::co_spawn(io_, serve(std::move(socket)), boost::asio::detached);
    }
  }

  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket) {
    namespace http = boost::beast::http;
    constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    boost::beast::flat_buffer buffer;
    for (;;) {
      Request req;
      auto [rec, rn] = co_await http::async_read(socket, buffer, req, tuple);
      if (rec) co_return;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(req);
      }
      Response res = handler_(req);
      res.keep_alive(req.keep_alive());
      auto [wec, wn] = co_await http::async_write(socket, res, tuple);
      if (wec || !req.keep_alive()) co_return;
    }
  }

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Request> requests_;
};

// Runs `coro` to completion on a fresh io_context and returns its result; clears this thread's upstream
// connection pool at the end (its sockets belong to the io_context that dies here, and their armed timeout timers
// would keep run() busy until they expire).
template <class T>
T run_awaitable(std::function<boost::asio::awaitable<T>()> coro) {
  boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        out.emplace(co_await coro());
        sb::http::clear_connection_pool();
      },
      [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  sb::http::clear_connection_pool();
  return std::move(*out);
}

}  // namespace sb::test
