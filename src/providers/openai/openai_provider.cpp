#include "providers/openai/openai_provider.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "http/sse.hpp"
#include "openai/json_text.hpp"
#include "obs/metrics.hpp"
#include "providers/openai/errors.hpp"

namespace sb::providers {
namespace json = boost::json;

OpenAIProvider::OpenAIProvider(OpenAIConfig cfg) : cfg_(std::move(cfg)) {
  if (auto o = http::parse_origin(cfg_.base_url)) origin_ = *o;
  authorization_ = "Bearer " + cfg_.api_key;
  if (origin_) target_ = origin_->base_path + "/chat/completions";
  if (cfg_.azure && cfg_.api_version.empty()) cfg_.api_version = "2024-10-21";
}

std::string OpenAIProvider::missing_settings() const {
  if (cfg_.api_key.empty()) return cfg_.name == "openai" ? "OPENAI_API_KEY" : "api_key of provider '" + cfg_.name + "'";
  return "a valid OPENAI_BASE_URL";
}

core::net::awaitable<void> OpenAIProvider::chat(const core::RequestContext& ctx, const openai::ChatRequest& req,
                                                const std::string& model, core::ResponseSink& sink) {
  http::UpstreamRequest up("POST", target_);
  if (cfg_.azure) {
    // POST {base}/openai/deployments/{deployment}/chat/completions?api-version=…, key in `api-key`.
    up.target(origin_->base_path + "/openai/deployments/" + boost::urls::encode(model, boost::urls::unreserved_chars) +
              "/chat/completions?api-version=" + cfg_.api_version);
    up.add("api-key", cfg_.api_key);
  } else {
    up.add("Authorization", authorization_);
  }
  up.add("Content-Type", "application/json");
  up.add("Accept", sink.streaming() ? "text/event-stream" : "application/json");
  up.add("X-Request-Id", ctx.request_id);
  for (const auto& [name, value] : cfg_.headers) up.set(name, value);  // the configuration's word is last
  if (auto changed = openai::changed_body(req, model)) {
    up.body() = std::move(*changed);
  } else {
    up.borrow_body(req.raw);  // the client's bytes, alive while the request is handled
  }

  // Failures are decided into `failure` and answered by one co_await: GCC 12 miscompiles coroutines that keep a
  // branch-scoped object with a destructor alive across a co_await.
  http::UpstreamCall call(*origin_, cfg_.timeouts);
  std::optional<core::ApiError> failure;
  std::string body;
  const auto sent = std::chrono::steady_clock::now();
  const bool started = co_await call.start(up);
  if (started) {  // time to the upstream's response headers
    const std::chrono::duration<double> waited = std::chrono::steady_clock::now() - sent;
    obs::metrics().record_upstream_latency(cfg_.name, waited.count());
  }
  const int status = started ? call.status() : 0;
  if (!started) failure = map_transport_failure(call.failure(), cfg_.name);
  if (started && status != 200) {
    co_await call.read_all(body, 1024 * 1024);
    failure = map_upstream_status(status, body, call.header("retry-after"), cfg_.name, cfg_.secrets);
  }
  if (failure) {
    co_await sink.fail(*failure);
    co_return;
  }
  if (sink.streaming() && call.header("content-type").starts_with("text/event-stream")) {
    co_await relay_stream(call, sink);
    co_return;
  }
  const bool complete = co_await call.read_all(body, 64 * 1024 * 1024);
  core::BodyFacts facts;
  if (!complete)
    failure = map_transport_failure(call.failure(), cfg_.name);
  else if (!openai::is_json_object(body, 64, &facts))
    failure = core::ApiError::upstream_error("The upstream sent a malformed response body.");
  if (failure) {
    co_await sink.fail(*failure);
    co_return;
  }
  co_await sink.relay_body(status, body, facts);
}

// An event's data that must not be relayed: an in-stream error from the upstream, or bytes that are not a JSON
// object (never pass a broken event on: a client SDK would choke on it).
std::optional<core::ApiError> OpenAIProvider::check_event(std::string_view data, core::BodyFacts& facts,
                                                          openai::EventChecker& checker) const {
  if (data.starts_with("{\"error\"")) {
    std::error_code ec;
    const auto v = json::parse(data, ec);
    if (!ec && v.is_object() && v.get_object().contains("error"))
      return map_upstream_status(500, data, {}, cfg_.name, cfg_.secrets);
  }
  facts = {};
  if (!checker.check(data, facts)) return core::ApiError::upstream_error("The upstream sent a malformed stream event.");
  return std::nullopt;
}

core::net::awaitable<void> OpenAIProvider::relay_stream(http::UpstreamCall& call, core::ResponseSink& sink) {
  http::SseParser parser;
  http::SseEvent ev;
  core::BodyFacts facts;  // the finish reason and usage of the event being relayed, read while it is checked
  openai::EventChecker checker;  // checks each event, starting from where it stops repeating the last one
  std::string bytes;  // one read; the parser borrows it, each event is relayed straight from it
  std::optional<core::ApiError> in_stream_error;
  bool done = false;
  while (!done) {
    bytes.clear();
    const bool got = co_await call.read_some(bytes);
    if (!got) {
      in_stream_error = call.failure() == http::UpstreamFailure::timeout
                            ? core::ApiError::upstream_timeout("The upstream stream stalled.")
                            : core::ApiError::upstream_error("The upstream stream broke off.");
      break;
    }
    parser.push(bytes);
    bool drained = false;
    while (!done && !in_stream_error) {
      if (!parser.next(ev)) {
        drained = true;
        break;
      }
      if (!ev.has_data) continue;
      if (ev.data == "[DONE]") {
        done = true;
        continue;
      }
      in_stream_error = check_event(ev.data, facts, checker);
      if (!in_stream_error) co_await sink.relay_event(ev.raw, facts);
    }
    if (done) co_await sink.relay_done();
    if (drained && parser.oversized() && !in_stream_error)
      in_stream_error = core::ApiError::upstream_error("The upstream sent an oversized stream event.");
    if (in_stream_error || call.done()) break;
  }
  // Every failure is answered here, by one co_await (see chat()).
  if (in_stream_error) {
    co_await sink.fail(*in_stream_error);
    co_return;
  }
  if (done) co_await call.drain(std::chrono::milliseconds(250));
  // Ended without [DONE]: the sink turns this into an error event, never a silent truncation.
}

}  // namespace sb::providers
