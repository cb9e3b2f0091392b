// Runs a request along its route: retries with backoff, fallbacks, first-token and total deadlines and circuit
// breakers — every recovery happens before the first byte reaches the client; after it, failures are error events.
#pragma once
#include <boost/asio/awaitable.hpp>

#include "core/registry.hpp"

namespace sb::core {

struct ExecutionReport {
  int retries = 0;    // extra attempts on the same provider
  int fallbacks = 0;  // providers tried after the primary
  std::string provider;  // the provider that answered (or failed last)
  std::string model;
};

net::awaitable<void> execute(const Route& route, const RequestContext& ctx, const openai::ChatRequest& req,
                             ResponseSink& sink, ExecutionReport& report);

// Whether an error (before the first byte) is worth another try on the same provider / on the next provider.
bool retriable(const ApiError& e);
bool fallback_worthy(const ApiError& e);

// Backoff before retry `attempt` (1 = first retry): exponential with jitter in [50%, 100%], capped.
std::chrono::milliseconds backoff_delay(const RetryPolicy& p, int attempt, double jitter01);

}  // namespace sb::core
