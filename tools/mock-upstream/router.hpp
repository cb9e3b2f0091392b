// Route table: each API family (OpenAI, observation, later Bedrock Agents) adds its routes
// from its own file; the server only dispatches.
#pragma once

#include "connection.hpp"
#include "fixtures.hpp"
#include "stats.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mock_upstream {

// Process-wide state shared by all io threads (each member is thread-safe).
struct AppContext {
  Stats& stats;
  LastRequestStore& last_request;
  FixtureStore& fixtures;
};

struct Exchange {
  const Request& request;
  std::string_view path;  // target without the query string
  Connection& connection;
  AppContext& app;
};

using Handler = std::function<boost::asio::awaitable<void>(Exchange&)>;

struct Route {
  std::string method;                             // empty: any method
  std::function<bool(std::string_view)> matches;  // on the path
  Handler handler;
  bool observation = false;  // /__* test hooks: not counted in `requests`
};

class Router {
 public:
  void add(Route route) { routes_.push_back(std::move(route)); }
  const Route* find(std::string_view method, std::string_view path) const {
    for (const auto& route : routes_) {
      if ((route.method.empty() || route.method == method) && route.matches(path)) return &route;
    }
    return nullptr;
  }

 private:
  std::vector<Route> routes_;
};

inline std::function<bool(std::string_view)> exact_path(std::string path) {
  return [p = std::move(path)](std::string_view candidate) { return candidate == p; };
}

// One line per API family; server.cpp calls them in order.
void add_openai_routes(Router& router);       // openai_handler.cpp
void add_observation_routes(Router& router);  // observation_handler.cpp
void add_bedrock_agent_routes(Router& router);  // bedrock_agent_handler.cpp

}  // namespace mock_upstream
