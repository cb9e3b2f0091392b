#include "stream_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <exception>
#include <memory>

#include "http/sse.hpp"

namespace sb::check {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kErrorBodyLimit = 64 * 1024;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

Violation transport(std::string code, std::string message) {
  return Violation{std::move(code), std::move(message), 0, 1, ""};
}

// "HTTP 401: Incorrect API key provided" from an OpenAI-style error body, else a snippet of the body.
std::string http_error(int status, const std::string& body) {
  std::string detail;
  boost::system::error_code ec;
  const auto v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto* err = v.get_object().if_contains("error");
    const auto* msg = err && err->is_object() ? err->get_object().if_contains("message") : nullptr;
    if (msg && msg->is_string()) detail = std::string(msg->get_string());
  }
  if (detail.empty()) detail = body.substr(0, 200);
  for (auto& c : detail)
    if (c == '\n' || c == '\r') c = ' ';
  return "HTTP status " + std::to_string(status) + " (expected 200)" + (detail.empty() ? "" : ": " + detail);
}

net::awaitable<RunResult> run_once(const Endpoint& endpoint, const RunPlan& plan) {
  RunResult result;
  http::UpstreamTimeouts timeouts;
  timeouts.connect = std::min(plan.timeout, timeouts.connect);
  timeouts.first_byte = plan.timeout;
  timeouts.idle = plan.timeout;
  http::UpstreamCall call(endpoint.origin, timeouts);

  http::UpstreamRequest req("POST", endpoint.path);
  req.add("Content-Type", "application/json");
  req.add("Accept", "text/event-stream");
  req.add("User-Agent", "switchboard-check");
  if (!endpoint.api_key.empty()) req.add("Authorization", "Bearer " + endpoint.api_key);
  req.body() = plan.body;

  const auto t0 = Clock::now();
  StreamValidator validator(ValidatorOptions{plan.include_usage});
  // start() takes the request by reference (GCC 12: no class-type coroutine parameters by value).
  const bool started = co_await call.start(req);
  if (!started) {
    result.total_ms = ms_since(t0);
    result.validation = validator.finish(result.total_ms);
    result.validation.violations = {
        transport(call.failure() == http::UpstreamFailure::timeout ? "timeout" : "connection",
                  "request failed: " + call.error_message())};
    co_return result;
  }
  result.headers_ms = ms_since(t0);
  result.status = call.status();
  result.content_type = std::string(call.header("Content-Type"));

  if (result.status != 200) {
    // The error body, for its message (at most kErrorBodyLimit).
    std::string body;
    while (!call.done() && body.size() < kErrorBodyLimit) {
      const bool ok = co_await call.read_some(body);
      if (!ok) break;
    }
    result.total_ms = ms_since(t0);
    result.validation = validator.finish(result.total_ms);
    result.validation.violations = {transport("http-status", http_error(result.status, body))};
    co_return result;
  }

  std::vector<Violation> extra;
  if (auto v = check_content_type(result.content_type)) extra.push_back(*v);
  http::SseParser parser;
  std::string piece;
  bool broken = false;
  while (!call.done()) {
    piece.clear();
    const bool ok = co_await call.read_some(piece);
    const double t = ms_since(t0);
    const bool fits =
        parser.feed(piece, [&](const http::SseEvent& ev) { validator.on_event(ev.event, ev.data, ev.has_data, t); });
    if (!fits) {
      extra.push_back(transport("oversized-event", "an SSE event grew past 8 MiB"));
      broken = true;
      break;
    }
    if (!ok) {
      extra.push_back(transport(call.failure() == http::UpstreamFailure::timeout ? "timeout" : "connection",
                                "stream broke off: " + call.error_message()));
      broken = true;
      break;
    }
    if (t > static_cast<double>(plan.timeout.count())) {
      extra.push_back(
          transport("timeout", "no complete response within " + std::to_string(plan.timeout.count()) + " ms"));
      broken = true;
      break;
    }
  }
  result.total_ms = ms_since(t0);
  result.validation = validator.finish(result.total_ms, !broken && parser.pending() > 0);
  result.validation.violations.insert(result.validation.violations.begin(), extra.begin(), extra.end());
  co_return result;
}

}  // namespace

std::vector<RunResult> run_side(net::io_context& io, const Endpoint& endpoint, const RunPlan& plan) {
  const auto runs = static_cast<std::size_t>(std::max(plan.runs, 1));
  auto results = std::make_shared<std::vector<RunResult>>(runs);
  auto next = std::make_shared<std::size_t>(0);
  // C workers each take the next run number until none is left: C requests in flight.
  auto worker = [&endpoint, &plan, results, next]() -> net::awaitable<void> {
    while (*next < results->size()) {
      const std::size_t i = (*next)++;
      RunResult result = co_await run_once(endpoint, plan);  // named first: GCC 12 and co_await temporaries
      (*results)[i] = std::move(result);
    }
  };
  const int workers = std::clamp(plan.concurrency, 1, static_cast<int>(runs));
  for (int w = 0; w < workers; ++w)
    net::co_spawn(io, worker(), [](const std::exception_ptr& e) {
      if (e) std::rethrow_exception(e);
    });
  io.restart();
  io.run();
  return std::move(*results);
}

}  // namespace sb::check
