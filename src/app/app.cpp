#include "app/app.hpp"

#include <boost/json.hpp>

#include "core/collect_sink.hpp"
#include "core/executor.hpp"
#include "core/stream_sink.hpp"
#include "obs/exchange.hpp"
#include "obs/logging.hpp"
#include "obs/metrics.hpp"
#include "openai/chunk.hpp"

namespace sb::app {

namespace net = boost::asio;
namespace json = boost::json;
using core::ApiError;

namespace {
bool is_system_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

App::App(core::Settings settings, core::Registry registry)
    : settings_(std::move(settings)),
      registry_(std::move(registry)),
      limiter_(core::RateLimits{settings_.rate_limit_rpm, settings_.rate_limit_concurrent}) {}

bool App::authorized(http::Request& req) const {
  if (settings_.api_keys.empty()) return true;
  const auto token = core::bearer_token(req.header("authorization"));
  if (!token) return false;
  auto name = settings_.api_keys.match(*token);
  if (!name) return false;
  req.key_name = std::move(*name);
  return true;
}

bool App::requires_key(std::string_view path) const {
  return path.starts_with("/v1/") || path == "/chat/completions" || (path == "/metrics" && settings_.metrics_auth);
}

std::string App::providers_json() const {
  json::array list;
  for (const auto& p : registry_.all()) {
    const auto state = p->breaker.state();
    list.push_back(json::object{{"name", p->name()},
                                {"available", p->available() && state != core::CircuitBreaker::State::open},
                                {"default_model", p->default_model()},
                                {"state", json::string(core::CircuitBreaker::name(state))}});
  }
  return json::serialize(json::object{{"providers", std::move(list)}, {"default", registry_.default_name()}});
}

std::string App::models_json() const {
  json::array data;
  auto add = [&](const std::string& id, const std::string& owner) {
    for (const auto& m : data)
      if (m.at("id").as_string() == id) return;
    data.push_back(json::object{{"id", id}, {"object", "model"}, {"created", started_}, {"owned_by", owner}});
  };
  for (const auto& m : registry_.models()) add(m.name, m.target.provider);  // the config's public names first
  for (const auto& p : registry_.all())
    if (p->available()) add(p->default_model(), p->name());
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

net::awaitable<void> App::handle(http::Request& req, http::Responder& res) {
  std::string_view path = req.target();
  if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  const auto method = req.method();
  const bool is_chat = path == "/v1/chat/completions" || path == "/chat/completions";
  auto only = [&](std::string_view m) { return method == m; };
  auto not_allowed = [&] { return ApiError::method_not_allowed(std::string(method), std::string(path)); };

  // Every branch only decides; the one co_await comes after. GCC 12 miscompiles coroutines that keep a
  // branch-scoped object with a destructor (an ApiError, a string, a rate-limit permit) alive across a co_await:
  // in release builds that corrupted connections under load.
  std::optional<ApiError> error;
  int status = 200;
  std::string_view content_type = "application/json";
  std::string body;
  std::optional<core::RateLimiter::Result> limit;  // held while the chat completion runs
  bool run_chat = false;

  const bool known = is_chat || path == "/v1/providers" || path == "/v1/models";
  if (path == "/healthz") {
    if (only("GET"))
      body = R"({"status":"ok"})";
    else
      error = not_allowed();
  } else if (path == "/readyz") {
    const auto* p = registry_.find(registry_.default_name());
    const bool ready = p && p->available();
    status = ready ? 200 : 503;
    body = ready ? R"({"status":"ready"})" : R"({"status":"unavailable"})";
  } else if (requires_key(path) && !authorized(req)) {  // routes below are behind the proxy key when required
    error = ApiError::invalid_api_key();
  } else if (path == "/metrics") {  // Prometheus text format; open unless SWITCHBOARD_METRICS_AUTH=true
    if (only("GET")) {
      content_type = obs::kMetricsContentType;
      body = obs::metrics().render();
    } else {
      error = not_allowed();
    }
  } else if (!known) {
    error = ApiError::not_found(std::string(path));
  } else if (is_chat) {
    if (!only("POST")) {
      error = not_allowed();
    } else {
      // Rate limits count chat completions only: they are what costs money and holds upstream connections.
      std::string client;  // only when limits are set: formatting an address costs ~2k instructions
      if (limiter_.enabled()) client = req.key_name.empty() ? core::client_network(req.remote) : "key:" + req.key_name;
      limit.emplace(limiter_.acquire(client));
      for (auto& [name, value] : core::RateLimiter::headers(limit->decision)) res.add_header(name, value);
      if (limit->decision.allowed)
        run_chat = true;
      else
        error = core::RateLimiter::error(limit->decision);
    }
  } else if (!only("GET")) {
    error = not_allowed();
  } else {
    body = path == "/v1/providers" ? providers_json() : models_json();
  }

  if (run_chat) {
    co_await chat(req, res);
  } else if (error) {
    co_await res.send_error(*error);
  } else {
    co_await res.send(status, content_type, body);
  }
}

net::awaitable<void> App::chat(http::Request& req, http::Responder& res) {
  obs::RequestLog log;
  log.request_id = res.request_id();
  log.method = req.method();
  log.path = req.target().substr(0, req.target().find('?'));  // a query string may carry a key: not logged
  log.key_name = req.key_name;
  core::ReplyCapture reply;  // filled by the sink only when the message log is on
  core::ExecutionReport* executed = nullptr;
  auto finish_log = [&](const core::Outcome& o) {
    if (executed) {
      log.provider = executed->provider;
      log.model = executed->model;
      log.retries = executed->retries + executed->fallbacks;
    }
    log.status = o.status ? o.status : res.status();
    log.duration_ms = std::chrono::duration<double, std::milli>(http::Clock::now() - req.received).count();
    if (o.first_token) log.ttft_ms = std::chrono::duration<double, std::milli>(*o.first_token - req.received).count();
    if (o.usage) {
      log.prompt_tokens = o.usage->prompt_tokens;
      log.completion_tokens = o.usage->completion_tokens;
    }
    log.finish_reason = o.finish_reason;
    if (o.error && o.error->code) log.error_code = *o.error->code;
    log.client_disconnected = o.client_disconnected;
    obs::log_request(log);
    obs::record_exchange(log, o, req.body, reply);  // metrics, message log
  };

  // An error answered before any provider runs. Function-scoped on purpose: GCC 12 miscompiles coroutines
  // that keep a branch-scoped object with a destructor alive across a co_await (see DESIGN notes).
  core::Outcome early;
  const openai::ParseLimits parse_limits{settings_.max_json_depth, settings_.max_messages};
  auto parsed = openai::parse_chat_request(req.body, parse_limits);
  if (!parsed) early.error = parsed.error();
  if (early.error) {
    co_await res.send_error(*early.error);
    co_return finish_log(early);
  }
  const openai::ChatRequest& chat = *parsed;
  log.stream = chat.stream;
  log.session_id = chat.session_id ? std::string_view(*chat.session_id) : std::string_view(req.header("x-session-id"));
  auto route = core::route_request(registry_, chat);
  if (!route) early.error = route.error();
  if (early.error) {
    co_await res.send_error(*early.error);
    co_return finish_log(early);
  }
  log.provider = route->provider->name();
  log.model = route->model;

  core::RequestContext ctx;
  ctx.request_id = res.request_id();
  ctx.session_header = req.header("x-session-id");
  ctx.received = req.received;
  const std::int64_t created = std::time(nullptr);
  core::ExecutionReport report;
  executed = &report;

  // Barge-in: this request supersedes the same session's older one still running (same proxy key only).
  std::shared_ptr<core::ActiveSessions::Entry> turn;
  if (settings_.barge_in && !log.session_id.empty()) {
    std::string key = req.key_name + '\n' + std::string(log.session_id);
    turn = sessions_.claim(std::move(key), co_await net::this_coro::executor);
  }
  struct ReleaseTurn {
    core::ActiveSessions& sessions;
    const std::shared_ptr<core::ActiveSessions::Entry>& turn;
    ~ReleaseTurn() {
      if (turn) turn->on_superseded(nullptr);
      sessions.release(turn);
    }
  } release_turn{sessions_, turn};
  static const core::ApiError superseded = core::ApiError::superseded();  // static: not in every request's frame

  // The sinks and the answer live at function scope (GCC 12: no branch-scoped object with a destructor across a
  // co_await). Only the one in use is allocated: this frame lives as long as the request (minutes for a stream).
  std::unique_ptr<core::StreamSink> stream_sink;
  std::unique_ptr<core::CollectSink> collect_sink;
  core::ResponseSink* sink = nullptr;
  std::pair<int, std::string> answer;
  if (chat.stream) {
    stream_sink = std::make_unique<core::StreamSink>(
        res, openai::ChunkEncoder({}, created, route->model, chat.include_usage), chat.include_usage,
        settings_.sse_keepalive);
    stream_sink->capture = obs::reply_capture(reply);
    stream_sink->start_keepalive(co_await net::this_coro::executor);
    sink = &*stream_sink;
  } else {
    collect_sink = std::make_unique<core::CollectSink>(created, route->model);
    collect_sink->capture = obs::reply_capture(reply);
    sink = &*collect_sink;
  }

  // The provider runs guarded: a hang-up or a newer turn of the session cancels it where it waits (no coroutine
  // races it: see Responder::begin_guard).
  res.begin_guard();
  if (turn) turn->on_superseded([&res] { res.interrupt(); });
  std::exception_ptr failure;
  try {
    co_await core::execute(*route, ctx, chat, *sink, report);
  } catch (...) {
    failure = std::current_exception();
  }
  const http::Responder::Cut cut = res.end_guard();
  if (cut != http::Responder::Cut::none) co_await net::this_coro::reset_cancellation_state();
  if (stream_sink) stream_sink->stop_keepalive();
  // A cut explains any failure (an operation it cancelled threw); a stream's failure is a write to a client that is
  // gone; anything else is a bug, reported as such by the connection.
  const bool uncut_failure = failure && cut == http::Responder::Cut::none;
  if (uncut_failure && !(stream_sink && is_system_error(failure))) std::rethrow_exception(failure);
  const bool hung_up = cut == http::Responder::Cut::hangup || uncut_failure;
  core::Outcome& outcome = sink->outcome;
  if (hung_up) {
    outcome.client_disconnected = true;
    if (!outcome.status) outcome.status = 499;
    res.close_after();
    co_return finish_log(outcome);
  }

  if (stream_sink) {
    try {
      if (cut == http::Responder::Cut::interrupted) {  // superseded: an HTTP 409 before the first byte, an error event after
        co_await stream_sink->fail(superseded);
      }
      co_await stream_sink->complete();
    } catch (const boost::system::system_error&) {  // the client went away while we wrote to it
      outcome.client_disconnected = true;
      res.close_after();
    }
    if (outcome.client_disconnected && !outcome.status) outcome.status = 499;
    co_return finish_log(outcome);
  }

  if (cut == http::Responder::Cut::interrupted) outcome.error = superseded;
  if (outcome.error) {
    outcome.status = outcome.error->status;
    co_await res.send_error(*outcome.error);
  } else {
    answer = collect_sink->take_response();
    outcome.status = answer.first;
    co_await res.send(answer.first, "application/json", answer.second);
  }
  finish_log(outcome);
}

}  // namespace sb::app
