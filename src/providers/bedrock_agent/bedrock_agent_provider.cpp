#include "providers/bedrock_agent/bedrock_agent_provider.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "aws/eventstream.hpp"
#include "http/request_id.hpp"
#include "providers/bedrock_agent/error_mapping.hpp"
#include "providers/bedrock_agent/request_mapping.hpp"
#include "providers/bedrock_agent/stream_mapping.hpp"
#include "providers/openai/errors.hpp"

namespace sb::providers {
namespace bhttp = boost::beast::http;
namespace json = boost::json;
namespace net = boost::asio;
using core::ApiError;

namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;

ApiError no_credentials(const std::string& provider) {
  return {502,
          "The upstream provider '" + provider + "' could not be called: the proxy has no usable AWS credentials.",
          "upstream_error",
          std::nullopt,
          "upstream_auth_failed",
          std::nullopt};
}

ApiError stream_broke(http::UpstreamFailure failure, const std::string& provider) {
  if (failure == http::UpstreamFailure::timeout)
    return ApiError::upstream_timeout("The upstream provider '" + provider + "' stalled mid-stream.");
  return ApiError::upstream_error("The stream from the upstream provider '" + provider + "' broke off.");
}

}  // namespace

BedrockAgentProvider::BedrockAgentProvider(BedrockAgentConfig cfg, std::shared_ptr<aws::CredentialsProvider> chain,
                                           bool chain_ready)
    : cfg_(std::move(cfg)), chain_(std::move(chain)), chain_ready_(chain_ready) {
  endpoint_ =
      cfg_.endpoint_url.empty() ? "https://bedrock-agent-runtime." + cfg_.region + ".amazonaws.com" : cfg_.endpoint_url;
  if (auto o = http::parse_origin(endpoint_)) origin_ = *o;
}

bool BedrockAgentProvider::has_static_credentials() const {
  return !cfg_.static_credentials.access_key_id.empty() && !cfg_.static_credentials.secret_access_key.empty();
}

bool BedrockAgentProvider::available() const {
  return !cfg_.agent_id.empty() && !cfg_.agent_alias_id.empty() && origin_.has_value() &&
         (has_static_credentials() || (chain_ && chain_ready_));
}

std::string BedrockAgentProvider::missing_settings() const {
  std::string missing;
  auto add = [&](const std::string& what) { missing += (missing.empty() ? "" : ", ") + what; };
  if (cfg_.agent_id.empty()) add("AGENT_ID");
  if (cfg_.agent_alias_id.empty()) add("AGENT_ALIAS_ID");
  if (!has_static_credentials() && !(chain_ && chain_ready_))
    add("AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, web identity, container or "
        "instance credentials)");
  if (!origin_) add("a valid AWS_ENDPOINT_URL");
  return missing;
}

core::net::awaitable<core::Expected<aws::Credentials, std::string>> BedrockAgentProvider::credentials() {
  if (has_static_credentials()) co_return cfg_.static_credentials;
  if (!chain_) co_return std::string("no AWS credentials configured");
  auto r = co_await chain_->get();
  if (!r) co_return r.error();
  co_return r->credentials;
}

core::net::awaitable<void> BedrockAgentProvider::chat(const core::RequestContext& ctx, const openai::ChatRequest& req,
                                                      const std::string& /*model*/, core::ResponseSink& sink) {
  // Failures are decided into `failure` and answered by one co_await on a named object: GCC 12 miscompiles
  // coroutines that await with temporaries, or keep branch-scoped objects with destructors across a co_await.
  std::optional<ApiError> failure;
  const bool streaming = sink.streaming();
  auto plan = bedrock::plan_invoke_agent(req, ctx.session_header, {streaming, spdlog::should_log(spdlog::level::debug)},
                                         http::uuid4);
  if (!plan) failure = plan.error();
  if (failure) {
    co_await sink.fail(*failure);
    co_return;
  }
  auto creds = co_await credentials();
  if (!creds) {
    spdlog::warn("request {}: {}: no AWS credentials: {}", ctx.request_id, cfg_.name, creds.error());
    failure = no_credentials(cfg_.name);
  }
  if (failure) {
    co_await sink.fail(*failure);
    co_return;
  }

  const std::string body = json::serialize(plan->body);
  const std::string path =
      bedrock::invoke_agent_path(origin_->base_path, cfg_.agent_id, cfg_.agent_alias_id, plan->session_id);
  http::UpstreamRequest up("POST", path);
  up.add("Content-Type", "application/json");
  up.add("Accept", "application/vnd.amazon.eventstream");
  up.add("X-Request-Id", ctx.request_id);
  const auto signed_headers =
      aws::sign_http_call({"POST", origin_->host_header(), path, "", body, {{"content-type", "application/json"}}},
                          *creds, cfg_.region, std::chrono::system_clock::now(), "bedrock");
  for (const auto& [k, v] : signed_headers) up.add(k, v);
  up.body() = body;
  spdlog::debug("request {}: {}: session {} ({}{}), history {} messages", ctx.request_id, cfg_.name, plan->session_id,
                plan->generated_session ? "new" : "client's", plan->returns_control_results ? ", tool results" : "",
                plan->history_messages);

  http::UpstreamCall call(*origin_, cfg_.timeouts);
  const bedrock::ErrorContext ectx{cfg_.name, cfg_.secrets};
  std::string error_body;
  const bool ok = co_await call.start(up);
  if (!ok) failure = map_transport_failure(call.failure(), cfg_.name);
  if (ok && call.status() != 200) {
    co_await call.read_all(error_body, kMaxErrorBody);
    failure = bedrock::map_http_error(call.status(), call.header("x-amzn-ErrorType"), error_body,
                                      call.header("retry-after"), ectx);
  }
  if (failure) {
    co_await sink.fail(*failure);
    co_return;
  }

  bedrock::AgentStreamMapper mapper({plan->session_id, streaming, cfg_.name, cfg_.secrets});
  aws::eventstream::Decoder decoder;
  std::vector<bedrock::AgentEvent> events;
  std::string bytes;
  // Forwards the mapped events in order; false once a failure has been reported.
  auto deliver = [&]() -> net::awaitable<bool> {
    for (auto& ev : events) {
      if (auto* t = std::get_if<bedrock::TextEvent>(&ev)) {
        co_await sink.text(t->text);
      } else if (auto* c = std::get_if<bedrock::ToolCallEvent>(&ev)) {
        co_await sink.tool_call(c->delta);
      } else if (auto* f = std::get_if<bedrock::FinishEvent>(&ev)) {
        co_await sink.finish(f->reason);
      } else if (auto* tr = std::get_if<bedrock::TraceEvent>(&ev)) {
        traces_.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("request {}: {}: trace event {} ({})", ctx.request_id, cfg_.name, mapper.traces(), tr->kind);
      } else if (auto* e = std::get_if<bedrock::FailEvent>(&ev)) {
        spdlog::debug("request {}: {}: upstream failure: {}", ctx.request_id, cfg_.name, e->error.message);
        co_await sink.fail(e->error);
        co_return false;
      }
    }
    events.clear();
    co_return true;
  };

  while (!call.done()) {
    bytes.clear();
    const bool ok2 = co_await call.read_some(bytes);
    if (!ok2) {
      failure = stream_broke(call.failure(), cfg_.name);
      break;
    }
    auto fed = decoder.feed(bytes);
    for (const auto& m : fed.messages) {
      mapper.on_message(m, events);
      if (mapper.failed()) break;
    }
    if (!mapper.failed() && fed.error) {
      events.emplace_back(bedrock::FailEvent{ApiError::upstream_error(
          "The upstream provider '" + cfg_.name + "' sent a corrupt event stream (" + fed.error->message + ").")});
    }
    const bool ok3 = co_await deliver();
    if (!ok3) co_return;
  }
  if (!failure && decoder.buffered() > 0)
    failure = ApiError::upstream_error("The stream from the upstream provider '" + cfg_.name +
                                       "' ended in the middle of an event.");
  if (failure) {
    co_await sink.fail(*failure);
    co_return;
  }
  mapper.on_end(events);
  const bool ok4 = co_await deliver();
  if (!ok4) co_return;
  const core::Usage unknown_usage{-1, -1, -1};  // Bedrock Agents report no token counts
  co_await sink.usage(unknown_usage);
  spdlog::debug("request {}: {}: session {}: {} chunks, {} traces, {} tool calls", ctx.request_id, cfg_.name,
                plan->session_id, mapper.chunks(), mapper.traces(), mapper.tool_calls());
}

// ---- construction from the settings --------------------------------------------------------------------------

namespace {

// Startup only (no io thread runs yet): asks the chain once, so instance-metadata credentials are known to
// work before the provider is advertised as available, and the first request finds them cached.
bool prefetch_at_startup(const std::shared_ptr<aws::CredentialsProvider>& chain) {
  net::io_context io;
  bool ok = false;
  std::string error;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        auto r = co_await chain->get();
        ok = r.has_value();
        if (r) {
          spdlog::info("bedrock: AWS credentials from {}", r->source);
        } else {
          error = r.error();
        }
        // Pooled connections keep their timeout timers armed (pending work): dropped here, run() returns now.
        http::clear_connection_pool();
      },
      net::detached);
  io.run();  // bounded by the sources' own timeouts
  http::clear_connection_pool();
  if (!ok) spdlog::warn("bedrock: {}", error);
  return ok;
}

}  // namespace

std::unique_ptr<core::Provider> make_bedrock_agent_provider(const core::Settings& s, std::string name) {
  BedrockAgentConfig cfg;
  cfg.name = std::move(name);
  cfg.agent_id = s.agent_id;
  cfg.agent_alias_id = s.agent_alias_id;
  cfg.region = s.aws_region;
  cfg.endpoint_url = s.aws_endpoint_url;
  cfg.static_credentials = {s.aws_access_key_id, s.aws_secret_access_key, s.aws_session_token};
  cfg.timeouts = {s.connect_timeout, s.first_byte_timeout, s.upstream_idle_timeout};
  cfg.secrets = s.secrets();
  if (!s.aws_access_key_id.empty()) cfg.secrets.push_back(s.aws_access_key_id);

  std::shared_ptr<aws::CredentialsProvider> chain;
  bool ready = false;
  const bool static_keys = !s.aws_access_key_id.empty() && !s.aws_secret_access_key.empty();
  if (!static_keys && !s.agent_id.empty() && !s.agent_alias_id.empty()) {
    std::vector<std::string> notes;
    aws::ChainOptions options;
    options.region = s.aws_region;
    chain = aws::CredentialsProvider::from_environment(aws::Environment::from_process(), options, &notes);
    for (const auto& n : notes) spdlog::warn("bedrock: {}", n);
    spdlog::info("bedrock: AWS credentials chain: {}", chain->empty() ? "(empty)" : chain->describe());
    // Only instance metadata left: it is there or not, and we can only tell by asking.
    const bool only_imds = chain->describe() == "imds";
    ready = !chain->empty() && (!only_imds || prefetch_at_startup(chain));
  }
  return std::make_unique<BedrockAgentProvider>(std::move(cfg), std::move(chain), ready);
}

}  // namespace sb::providers
