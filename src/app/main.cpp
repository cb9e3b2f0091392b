// switchboard: an OpenAI-compatible chat-completions proxy.
#include <malloc.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "app/app.hpp"
#include "app/config.hpp"
#include "http/client.hpp"
#include "http/tls.hpp"
#include "obs/logging.hpp"
#include "obs/message_log.hpp"
#include "obs/metrics.hpp"
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
  sb::obs::set_log_secrets(settings.secrets());  // scrubbed from every log and message-log line
  sb::obs::metrics().model_labels.set_cap(settings.metrics_max_models);
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

  // The message log's writer thread starts after the signal mask is set, so it never takes SIGTERM itself.
  std::string message_log_note;
  if (!settings.message_log.empty()) {
    sb::obs::MessageLogOptions opts;
    opts.path = settings.message_log;
    opts.max_bytes = settings.message_log_max_bytes;
    opts.keep = settings.message_log_keep;
    opts.record.redact_content = settings.message_log_redact_content;
    if (!settings.api_keys.empty())  // proxy keys are held only as digests: found as whole tokens
      opts.is_secret_token = [keys = settings.api_keys](std::string_view t) { return keys.match(t).has_value(); };
    auto log = sb::obs::MessageLog::open(std::move(opts));
    if (!log) {
      std::fprintf(stderr, "switchboard: %s\n", log.error().c_str());
      return 2;
    }
    sb::obs::install_message_log(std::move(*log));
    message_log_note = "; message log: " + settings.message_log +
                       (settings.message_log_redact_content ? " (content redacted)" : "");
  }

  const unsigned threads = settings.threads ? settings.threads : std::max(1u, std::thread::hardware_concurrency());
  auto app = std::make_shared<sb::app::App>(settings, std::move(*registry));
  sb::http::ServerLimits limits;
  limits.max_body_bytes = settings.max_body_bytes;
  limits.max_header_bytes = settings.max_header_bytes;
  limits.max_header_count = settings.max_header_count;
  limits.max_url_bytes = settings.max_url_bytes;
  limits.max_connections = settings.max_connections;
  limits.idle_timeout = settings.idle_timeout;
  limits.request_timeout = settings.request_timeout;
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (!settings.tls_cert_file.empty()) {
    auto ctx = sb::http::make_server_tls_context(settings.tls_cert_file, settings.tls_key_file);
    if (!ctx) {
      std::fprintf(stderr, "switchboard: %s\n", ctx.error().c_str());
      return 2;
    }
    tls = std::move(*ctx);
  }
  sb::http::Server server(
      limits, [app](sb::http::Request& req, sb::http::Responder& res) { return app->handle(req, res); }, threads,
      tls);

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
  // The startup line is printed at any LOG_LEVEL (SPEC §1): scripts wait for it. No io thread runs yet.
  const auto level = spdlog::get_level();
  if (level > spdlog::level::info) spdlog::set_level(spdlog::level::info);
  spdlog::info("switchboard listening on {}://{}:{} threads={} providers: {}; default provider: {}{}",
               tls ? "https" : "http", settings.host,
               port, threads, describe_providers(reg), reg.default_name(), message_log_note);
  spdlog::set_level(level);

  // A worker's request lines of one event-loop turn are written together: the turn's first line posts the flush
  // behind the handlers already queued. (A write of a line to a file costs ~1.3 µs, some 3% of the proxy's CPU per
  // request at 64 connections; batched, a busy turn's lines cost one.)
  server.start(
      [](boost::asio::io_context& io) {
        sb::obs::hold_request_lines(
            [](void* context) {
              auto& worker = *static_cast<boost::asio::io_context*>(context);
              boost::asio::post(worker, [] { sb::obs::flush_request_lines(); });
            },
            &io);
      },
      [] {
        sb::obs::hold_request_lines(nullptr, nullptr);  // writes what the last turn held
        sb::http::clear_connection_pool();
      });

  int sig = 0;
#ifdef SWITCHBOARD_WITH_MIMALLOC
  sigwait(&signals, &sig);  // mimalloc hands freed memory back to the system by itself
#else
  // glibc keeps freed heap (a burst of 1,000 streams leaves ~45 MB resident): while waiting for SIGTERM/SIGINT, the
  // main thread trims it once the server is quiet — no request started during a whole 2-second tick, none running.
  std::uint64_t trimmed_at = server.requests_started();
  std::uint64_t last_seen = trimmed_at;
  for (;;) {
    const timespec tick{2, 0};
    sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) break;
    const auto started = server.requests_started();
    if (started == last_seen && started != trimmed_at && server.busy_requests() == 0) {
      malloc_trim(0);
      trimmed_at = started;
    }
    last_seen = started;
  }
#endif
  spdlog::info("received {}, draining in-flight requests (up to {} ms)", sig == SIGINT ? "SIGINT" : "SIGTERM",
               settings.drain_timeout.count());
  server.shutdown(settings.drain_timeout);
  server.join();
  sb::obs::shutdown_message_log();  // writes what is still queued
  spdlog::info("stopped");
  return 0;
}
