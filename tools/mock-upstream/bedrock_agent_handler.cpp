// Bedrock Agents InvokeAgent: POST /agents/{agent}/agentAliases/{alias}/sessions/{session}/text.
// Verifies the SigV4 signature with the mock's test secret, then plays the scenario the input text picks as
// AWS event-stream frames (bedrock_agent_scenarios.cpp). Pending returnControl invocations are kept per
// session, as the service does, so a continuation is checked against them.
#include "bedrock_agent_scenarios.hpp"
#include "bedrock_sigv4_verify.hpp"
#include "router.hpp"

#include "aws/eventstream.hpp"

#include <cstdlib>
#include <mutex>
#include <unordered_map>

namespace mock_upstream {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::string(fallback);
}

const bedrock::SigningSecret& signing_secret() {
  static const bedrock::SigningSecret secret{env_or("MOCK_AWS_ACCESS_KEY_ID", bedrock::kDefaultAccessKeyId),
                                             env_or("MOCK_AWS_SECRET_ACCESS_KEY", bedrock::kDefaultSecretAccessKey),
                                             "bedrock", std::chrono::minutes(15)};
  return secret;
}

// Pending returnControl invocations by session, shared by all io threads.
class PendingStore {
 public:
  void put(const std::string& session, bedrock::PendingInvocation inv) {
    const std::lock_guard lock(mutex_);
    pending_[session] = std::move(inv);
  }
  // Removes and returns what is pending for the session.
  std::optional<bedrock::PendingInvocation> take(const std::string& session) {
    const std::lock_guard lock(mutex_);
    const auto it = pending_.find(session);
    if (it == pending_.end()) return std::nullopt;
    auto inv = std::move(it->second);
    pending_.erase(it);
    return inv;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, bedrock::PendingInvocation> pending_;
};

PendingStore& pending_store() {
  static PendingStore store;
  return store;
}

// The frames of a recorded .eventstream file, one piece each.
std::variant<std::vector<std::string>, FixtureError> replay_frames(FixtureStore& fixtures, const std::string& file) {
  if (!file.ends_with(".eventstream")) return FixtureError{400, "replay needs file=<path>.eventstream"};
  auto loaded = fixtures.load(file);
  if (auto* error = std::get_if<FixtureError>(&loaded)) return *error;
  const auto& fixture = *std::get<std::shared_ptr<const Fixture>>(loaded);
  std::string bytes;
  for (const auto& piece : fixture.pieces) bytes += piece;
  std::vector<std::string> frames;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const auto decoded = sb::aws::eventstream::decode_one(std::string_view(bytes).substr(offset));
    const auto* ok = std::get_if<sb::aws::eventstream::Decoded>(&decoded);
    if (ok == nullptr) return FixtureError{400, "the fixture is not a valid event stream"};
    frames.push_back(bytes.substr(offset, ok->consumed));
    offset += ok->consumed;
  }
  return frames;
}

awaitable<void> play(Exchange& exchange, const ResponsePlan& plan) {
  co_await exchange.connection.run(plan);
}

awaitable<void> invoke_agent(Exchange& exchange) {
  StatsShard::bump(exchange.connection.stats().chat_requests);
  exchange.app.last_request.record(exchange.request);

  const auto check = bedrock::verify_sigv4(exchange.request, signing_secret(), std::chrono::system_clock::now());
  if (!check.ok) {
    const auto plan = bedrock::http_error_plan(check.status, check.error_type, check.message);
    co_await play(exchange, plan);
    co_return;
  }
  auto path = bedrock::parse_invoke_path(exchange.path);
  auto parsed = bedrock::read_invoke_request(std::move(*path), exchange.request.body());
  if (const auto* problem = std::get_if<std::string>(&parsed)) {
    const auto plan = bedrock::http_error_plan(400, "ValidationException", *problem);
    co_await play(exchange, plan);
    co_return;
  }
  const auto& request = std::get<bedrock::InvokeRequest>(parsed);

  if (!request.results.empty()) {  // the answer to a returnControl
    auto pending = pending_store().take(request.path.session_id);
    const auto plan = bedrock::continuation_plan(request, pending);
    if (plan.status != 200 && pending) pending_store().put(request.path.session_id, std::move(*pending));  // kept
    co_await play(exchange, plan);
    co_return;
  }

  auto script = bedrock::parse_script(request.input_text.value_or(""));
  if (const auto* problem = std::get_if<std::string>(&script)) {
    const auto plan = bedrock::http_error_plan(400, "ValidationException", "mock: " + *problem);
    co_await play(exchange, plan);
    co_return;
  }
  const auto& chosen = std::get<bedrock::Script>(script);
  std::vector<std::string> frames;
  if (chosen.name == "replay") {
    auto loaded = replay_frames(exchange.app.fixtures, chosen.get("file"));
    if (const auto* error = std::get_if<FixtureError>(&loaded)) {
      const auto plan = bedrock::http_error_plan(error->status, "ValidationException", "mock: " + error->message);
      co_await play(exchange, plan);
      co_return;
    }
    frames = std::move(std::get<std::vector<std::string>>(loaded));
  }
  std::optional<bedrock::PendingInvocation> pending;
  const auto plan = bedrock::answer_plan(request, chosen, frames, pending);
  if (pending) pending_store().put(request.path.session_id, std::move(*pending));
  co_await play(exchange, plan);
}

bool is_invoke_agent_path(std::string_view path) {
  return bedrock::parse_invoke_path(path).has_value();
}

}  // namespace

void add_bedrock_agent_routes(Router& router) {
  router.add({"POST", is_invoke_agent_path, invoke_agent});
}

}  // namespace mock_upstream
