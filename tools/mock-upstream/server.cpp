#include "server.hpp"

#include "connection.hpp"
#include "openai_format.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <exception>
#include <iostream>
#include <thread>

namespace mock_upstream {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

void report_exception(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::cerr << "mock-upstream: connection error: " << e.what() << '\n';
  }
}

}  // namespace

Server::Server(const ServerOptions& options)
    : stats_(options.threads == 0 ? 1 : options.threads),
      fixtures_(options.fixtures),
      app_{stats_, last_request_, fixtures_},
      contexts_([&] {
        std::vector<std::unique_ptr<asio::io_context>> contexts;
        for (std::size_t i = 0; i < (options.threads == 0 ? 1 : options.threads); ++i) {
          contexts.push_back(std::make_unique<asio::io_context>(1));  // one thread each
        }
        return contexts;
      }()),
      acceptor_(*contexts_.front()) {
  add_openai_routes(router_);
  add_observation_routes(router_);
  add_bedrock_agent_routes(router_);

  const auto host = options.host == "localhost" ? std::string("127.0.0.1") : options.host;
  const tcp::endpoint endpoint(asio::ip::make_address(host), options.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

Server::~Server() = default;

std::uint16_t Server::port() const {
  return acceptor_.local_endpoint().port();
}

std::string Server::url() const {
  const auto endpoint = acceptor_.local_endpoint();
  const auto address = endpoint.address();
  const auto host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(endpoint.port());
}

void Server::stop() {
  for (auto& context : contexts_) context->stop();
}

void Server::run() {
  auto& main_context = *contexts_.front();
  asio::signal_set signals(main_context, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  asio::co_spawn(main_context, accept_loop(), report_exception);

  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    guards.push_back(asio::make_work_guard(*contexts_[i]));
    threads.emplace_back([context = contexts_[i].get()] { context->run(); });
  }
  main_context.run();
  stop();
  for (auto& thread : threads) thread.join();
}

awaitable<void> Server::accept_loop() {
  std::size_t next = 0;
  for (;;) {
    auto& context = *contexts_[next];
    const asio::any_io_executor target = context.get_executor();
    auto [ec, socket] = co_await acceptor_.async_accept(target, use_nothrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      // Out of descriptors or a transient failure: back off briefly instead of spinning.
      std::cerr << "mock-upstream: accept failed: " << ec.message() << '\n';
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    asio::co_spawn(context, session(std::move(socket), next), report_exception);
    next = (next + 1) % contexts_.size();
  }
}

awaitable<void> Server::session(tcp::socket socket, std::size_t shard) {
  Connection connection(std::move(socket), stats_.shard(shard));
  for (;;) {
    Request request;
    const auto read = co_await connection.read_request(request);
    if (read == ReadResult::closed) break;
    if (read == ReadResult::bad_request) {
      connection.disable_keep_alive();
      const auto body =
          openai::error_body({"Malformed HTTP request.", "invalid_request_error", std::nullopt, std::nullopt});
      co_await connection.send(400, "application/json", body);
      break;
    }
    connection.begin_exchange(request);
    const auto target = request.target();
    const auto path = target.substr(0, target.find('?'));
    const auto method = request.method_string();
    const Route* route = router_.find(method, path);
    if (route == nullptr || !route->observation) StatsShard::bump(connection.stats().requests);
    if (route != nullptr) {
      Exchange exchange{request, path, connection, app_};
      co_await route->handler(exchange);
    } else {
      const auto body = openai::error_body({"Invalid URL (" + std::string(method) + " " + std::string(path) + ")",
                                            "invalid_request_error", std::nullopt, std::nullopt});
      co_await connection.send(404, "application/json", body);
    }
    if (connection.wants_close()) break;
  }
}

}  // namespace mock_upstream
