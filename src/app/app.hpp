// Routes (SPEC §2) and the chat-completions handler: parse, route, run the provider into a sink, log.
#pragma once
#include <ctime>

#include "core/rate_limit.hpp"
#include "core/registry.hpp"
#include "core/sessions.hpp"
#include "core/settings.hpp"
#include "http/server.hpp"

namespace sb::app {

class App {
 public:
  App(core::Settings settings, core::Registry registry);
  boost::asio::awaitable<void> handle(http::Request& req, http::Responder& res);
  [[nodiscard]] const core::Registry& registry() const { return registry_; }
  [[nodiscard]] const core::Settings& settings() const { return settings_; }
  // True when the request carries a valid proxy key (or none are configured); sets req.key_name. Any route may
  // call it; handle() calls it for every path where requires_key() holds.
  [[nodiscard]] bool authorized(http::Request& req) const;
  // /v1/*, /chat/completions, and /metrics when SWITCHBOARD_METRICS_AUTH=true.
  [[nodiscard]] bool requires_key(std::string_view path) const;

 private:
  boost::asio::awaitable<void> chat(http::Request& req, http::Responder& res);
  [[nodiscard]] std::string providers_json() const;
  [[nodiscard]] std::string models_json() const;

  core::Settings settings_;
  core::Registry registry_;
  std::time_t started_ = std::time(nullptr);
  core::RateLimiter limiter_;  // per proxy key, else per client address
  core::ActiveSessions sessions_;  // barge-in (BARGE_IN): the running request of each session
};

}  // namespace sb::app
