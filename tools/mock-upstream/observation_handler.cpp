// Test hooks under /__: counters and the last chat request, so tests can see what reached the
// upstream and whether the proxy hung up on it.
#include "openai_format.hpp"
#include "router.hpp"

namespace mock_upstream {

using boost::asio::awaitable;

namespace {

awaitable<void> stats(Exchange& exchange) {
  const auto body = exchange.app.stats.to_json();
  co_await exchange.connection.send(200, "application/json", body);
}

awaitable<void> last_request(Exchange& exchange) {
  const auto body = exchange.app.last_request.to_json();
  if (body.empty()) {
    const openai::ErrorSpec error{"No chat request has been received yet.", "invalid_request_error", std::nullopt,
                                  std::nullopt};
    const auto error_json = openai::error_body(error);
    co_await exchange.connection.send(404, "application/json", error_json);
    co_return;
  }
  co_await exchange.connection.send(200, "application/json", body);
}

awaitable<void> reset(Exchange& exchange) {
  exchange.app.stats.reset_counters();
  exchange.app.last_request.clear();
  co_await exchange.connection.send(200, "application/json", R"({"ok":true})");
}

}  // namespace

void add_observation_routes(Router& router) {
  router.add({"GET", exact_path("/__stats"), stats, true});
  router.add({"GET", exact_path("/__last_request"), last_request, true});
  router.add({"POST", exact_path("/__reset"), reset, true});
}

}  // namespace mock_upstream
