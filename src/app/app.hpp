// Routes (SPEC §2) and the chat-completions handler: parse, route, run the provider into a sink, log.
#pragma once
#include <ctime>

#include "core/registry.hpp"
#include "core/settings.hpp"
#include "http/server.hpp"

namespace sb::app {

class App {
 public:
  App(core::Settings settings, core::Registry registry);
  boost::asio::awaitable<void> handle(http::Request& req, http::Responder& res);
  [[nodiscard]] const core::Registry& registry() const { return registry_; }
  [[nodiscard]] const core::Settings& settings() const { return settings_; }

 private:
  boost::asio::awaitable<void> chat(http::Request& req, http::Responder& res);
  [[nodiscard]] bool authorized(const http::Request& req) const;
  [[nodiscard]] std::string providers_json() const;
  [[nodiscard]] std::string models_json() const;

  core::Settings settings_;
  core::Registry registry_;
  std::time_t started_ = std::time(nullptr);
};

}  // namespace sb::app
