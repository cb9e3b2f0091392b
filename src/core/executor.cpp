#include "core/executor.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <random>
#include <spdlog/spdlog.h>

#include "core/guarded_sink.hpp"

namespace sb::core {

using namespace net::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)
using std::chrono::milliseconds;
constexpr auto as_tuple = net::as_tuple(net::use_awaitable);

bool retriable(const ApiError& e) { return e.status == 429 || e.status == 502 || e.status == 504 || e.status == 500; }

bool fallback_worthy(const ApiError& e) { return e.status == 429 || e.status >= 500; }

milliseconds backoff_delay(const RetryPolicy& p, int attempt, double jitter01) {
  const double base = static_cast<double>(p.backoff.count()) * static_cast<double>(1LL << std::min(attempt - 1, 20));
  const double capped = std::min(base, static_cast<double>(p.max_wait.count()));
  return milliseconds(static_cast<long long>(capped * (0.5 + 0.5 * jitter01)));
}

namespace {

enum class Deadline { none, first_token, total };

// Completes when a deadline of the attempt passes (never, if none is set).
net::awaitable<Deadline> watch_deadlines(const GuardedSink& guard, Clock::time_point start, const ProviderTimeouts& t,
                                         Clock::time_point request_deadline) {
  net::steady_timer timer(co_await net::this_coro::executor);
  if (t.first_token.count() > 0) {
    timer.expires_at(std::min(start + t.first_token, request_deadline));
    co_await timer.async_wait(as_tuple);
    if (!guard.saw_first_token() && !guard.committed()) co_return Deadline::first_token;
  }
  timer.expires_at(request_deadline);
  co_await timer.async_wait(as_tuple);
  co_return Deadline::total;
}

double jitter() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// Retries, deadlines, fallbacks, the breaker. A coroutine of its own: its frame (the chain, the errors, the
// guard, the timers) is only allocated for a request that has any of them, not for every open stream.
net::awaitable<void> execute_chain(const Route& route, const RequestContext& ctx, const openai::ChatRequest& req,
                                   ResponseSink& sink, ExecutionReport& report) {
  std::vector<Target> chain{{route.provider, route.model}};
  chain.insert(chain.end(), route.fallbacks.begin(), route.fallbacks.end());
  std::optional<ApiError> last_error;
  bool any_tried = false;
  net::steady_timer pause(co_await net::this_coro::executor);

  for (std::size_t c = 0; c < chain.size(); ++c) {
    Provider& p = *chain[c].provider;
    const std::string& model = chain[c].model;
    if (!p.breaker.allow()) {
      spdlog::debug("request {}: provider {} skipped, circuit open", ctx.request_id, p.name());
      last_error = ApiError::provider_unavailable(p.name(), "nothing (its circuit breaker is open after repeated failures)");
      last_error->message = "Provider '" + p.name() + "' is cooling down after repeated failures.";
      continue;
    }
    if (any_tried) ++report.fallbacks;
    any_tried = true;
    report.provider = p.name();
    report.model = model;
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline =
        p.timeouts.total.count() > 0 ? start + p.timeouts.total : Clock::time_point::max();

    for (int attempt = 1;; ++attempt) {
      GuardedSink guard(sink, p.timeouts.first_token.count() > 0);
      const auto which = co_await (p.chat(ctx, req, model, guard) || watch_deadlines(guard, Clock::now(), p.timeouts, deadline));
      // Decided first, then awaited without branch-scoped objects (GCC 12 coroutine rule).
      std::optional<ApiError> err = guard.held_error();
      const bool timed_out = which.index() == 1;
      if (timed_out) {
        const Deadline d = std::get<1>(which);
        err = ApiError::upstream_timeout(
            d == Deadline::first_token ? "The upstream provider '" + p.name() + "' sent no token in time."
                                       : "The request to the upstream provider '" + p.name() + "' ran out of time.");
      }
      if (timed_out && guard.committed()) {  // too late to switch: end the stream clearly
        co_await sink.fail(*err);
        p.breaker.record_failure();
        co_return;
      }
      if (!timed_out && !err) {
        co_await guard.flush();
        p.breaker.record_success();
        co_return;
      }
      if (guard.committed()) {  // the failure already went out as an error event
        p.breaker.record_failure();
        co_return;
      }
      last_error = err;
      const bool time_left = Clock::now() < deadline;
      if (attempt < p.retry.attempts && retriable(*err) && time_left) {
        milliseconds wait = backoff_delay(p.retry, attempt, jitter());
        if (err->retry_after_seconds) wait = milliseconds(*err->retry_after_seconds * 1000);
        const bool worth_waiting = wait <= p.retry.max_wait && Clock::now() + wait < deadline;
        if (worth_waiting) {
          spdlog::debug("request {}: retrying {} in {} ms after {}", ctx.request_id, p.name(), wait.count(),
                        err->code.value_or(std::to_string(err->status)));
          ++report.retries;
          pause.expires_after(wait);
          co_await pause.async_wait(net::use_awaitable);
          continue;
        }
      }
      break;
    }
    if (last_error && fallback_worthy(*last_error)) {
      p.breaker.record_failure();
      continue;  // next provider in the chain
    }
    break;  // the caller's own error (e.g. 400): no point asking another provider
  }
  const ApiError final_error = last_error.value_or(ApiError::upstream_error("No provider could answer the request."));
  co_await sink.fail(final_error);
}

}  // namespace

net::awaitable<void> execute(const Route& route, const RequestContext& ctx, const openai::ChatRequest& req,
                             ResponseSink& sink, ExecutionReport& report) {
  Provider& primary = *route.provider;
  const bool plain = route.fallbacks.empty() && primary.retry.attempts <= 1 && primary.timeouts.first_token.count() == 0 &&
                     primary.timeouts.total.count() == 0 && primary.breaker.state() == CircuitBreaker::State::closed;
  report.provider = primary.name();
  report.model = route.model;
  if (plain) {  // nothing to recover: no guard, no deadline timer on the hot path
    co_await primary.chat(ctx, req, route.model, sink);
    if (sink.outcome.error && fallback_worthy(*sink.outcome.error)) {
      primary.breaker.record_failure();
    } else {
      primary.breaker.record_success();
    }
    co_return;
  }
  co_await execute_chain(route, ctx, req, sink, report);
}
}  // namespace sb::core
