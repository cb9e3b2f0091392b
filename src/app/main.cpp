// switchboard: an OpenAI-compatible chat-completions proxy.
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "app/app.hpp"
#include "app/config.hpp"
#include "http/client.hpp"
#include "obs/logging.hpp"
#include "providers/registry.hpp"

namespace {

std::string describe_providers(const sb::core::Registry& registry) {
  std::string out;
  for (const auto& p : registry.all()) {
    if (!out.empty()) out += ", ";
    out += p->name();
    out += p->available() ? " (available)" : " (unavailable: set " + p->missing_settings() + ")";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  auto loaded = sb::app::load_settings(argc, argv);
  if (!loaded) {
    std::fprintf(stderr, "switchboard: %s\n", loaded.error().message.c_str());
    return 2;
  }
  if (loaded->help_shown) {
    std::cout << loaded->help_text;
    return 0;
  }
  sb::core::Settings settings = loaded->settings;
  sb::obs::setup_logging(settings.log_level, settings.log_format);
  for (const auto& w : settings.config_warnings) spdlog::warn("{}", w);

  auto registry = sb::providers::build_registry(settings);
  if (!registry) {
    std::fprintf(stderr, "switchboard: %s\n", registry.error().c_str());
    return 2;
  }

  // Signals are taken by sigwait on the main thread only: block them before any worker thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const unsigned threads = settings.threads ? settings.threads : std::max(1u, std::thread::hardware_concurrency());
  auto app = std::make_shared<sb::app::App>(settings, std::move(*registry));
  sb::http::ServerLimits limits;
  limits.max_body_bytes = settings.max_body_bytes;
  limits.max_header_bytes = settings.max_header_bytes;
  limits.idle_timeout = settings.idle_timeout;
  limits.request_timeout = settings.request_timeout;
  sb::http::Server server(
      limits, [app](sb::http::Request& req, sb::http::Responder& res) { return app->handle(req, res); }, threads);

  std::uint16_t port = 0;
  try {
    port = server.listen(settings.host, settings.port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "switchboard: cannot listen on %s:%u: %s\n", settings.host.c_str(), settings.port, e.what());
    return 2;
  }
  const auto& reg = app->registry();
  if (reg.default_name() == "mock" && settings.provider_name.empty())
    spdlog::warn("no provider keys configured (OPENAI_API_KEY, AGENT_ID): serving the built-in mock provider");
  spdlog::info("switchboard listening on http://{}:{} threads={} providers: {}; default provider: {}", settings.host,
               port, threads, describe_providers(reg), reg.default_name());

  server.start([] { sb::http::clear_connection_pool(); });

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, draining in-flight requests (up to {} ms)", sig == SIGINT ? "SIGINT" : "SIGTERM",
               settings.drain_timeout.count());
  server.shutdown(settings.drain_timeout);
  server.join();
  spdlog::info("stopped");
  return 0;
}
