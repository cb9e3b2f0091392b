// OpenAI-compatible routes: POST /v1/chat/completions (and /chat/completions, and Azure OpenAI's
// /openai/deployments/{deployment}/chat/completions), GET /v1/models.
#include "openai_format.hpp"
#include "openai_scenarios.hpp"
#include "router.hpp"

#include <boost/json.hpp>

#include <cctype>

namespace mock_upstream {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;

namespace {

constexpr std::string_view kInvalidJson =
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
    "us through our help center at help.openai.com.)";

awaitable<void> send_error(Exchange& exchange, unsigned status, const openai::ErrorSpec& error) {
  const auto body = openai::error_body(error);
  co_await exchange.connection.send(status, "application/json", body);
}

std::string api_key_of(const Request& request) {
  const auto auth = request[boost::beast::http::field::authorization];
  constexpr std::string_view kBearer = "bearer ";
  if (auth.size() > kBearer.size()) {
    bool is_bearer = true;
    for (std::size_t i = 0; i < kBearer.size(); ++i) {
      is_bearer = is_bearer && std::tolower(static_cast<unsigned char>(auth[i])) == kBearer[i];
    }
    if (is_bearer) return std::string(auth.substr(kBearer.size()));
  }
  return std::string(request["api-key"]);  // Azure style
}

// replay: the recorded body, event by event, at the requested pace.
std::variant<ResponsePlan, FixtureError> replay_plan(FixtureStore& fixtures, const openai::MockOptions& options) {
  auto loaded = fixtures.load(options.file);
  if (auto* error = std::get_if<FixtureError>(&loaded)) return *error;
  const auto& fixture = *std::get<std::shared_ptr<const Fixture>>(loaded);
  ResponsePlan plan;
  plan.status = options.status.value_or(fixture.status);
  plan.content_type = fixture.content_type;
  plan.chunked = fixture.streaming;
  plan.pieces = fixture.pieces;
  plan.first_byte_delay = options.first_byte;
  plan.interval = options.interval;
  if (options.drop_after) {
    plan.end = options.drop_reset ? PlanEnd::reset : PlanEnd::close;
    plan.cut_after = *options.drop_after;
  }
  return plan;
}

awaitable<void> chat_completions(Exchange& exchange) {
  StatsShard::bump(exchange.connection.stats().chat_requests);
  exchange.app.last_request.record(exchange.request);

  boost::system::error_code ec;
  const auto body = json::parse(exchange.request.body(), ec);
  if (ec || !body.is_object()) {
    const openai::ErrorSpec error{std::string(kInvalidJson), "invalid_request_error", std::nullopt, std::nullopt};
    co_await send_error(exchange, 400, error);
    co_return;
  }
  openai::MockOptions options;
  if (auto problem = openai::parse_mock_options(body.get_object(), options)) {
    const openai::ErrorSpec error{*problem, "invalid_request_error", "mock", "invalid_mock"};
    co_await send_error(exchange, 400, error);
    co_return;
  }
  if (options.scenario == openai::Scenario::replay) {
    const auto plan = replay_plan(exchange.app.fixtures, options);
    if (const auto* problem = std::get_if<FixtureError>(&plan)) {
      const openai::ErrorSpec error{problem->message, "invalid_request_error", "mock.file", std::nullopt};
      co_await send_error(exchange, problem->status, error);
      co_return;
    }
    co_await exchange.connection.run(std::get<ResponsePlan>(plan));
    co_return;
  }
  auto request = openai::read_chat_request(body.get_object());
  request.api_key = api_key_of(exchange.request);
  const auto plan = openai::build_plan(request, options);
  co_await exchange.connection.run(plan);
}

awaitable<void> list_models(Exchange& exchange) {
  static const std::string kBody = openai::models_body();
  co_await exchange.connection.send(200, "application/json", kBody);
}

bool is_chat_path(std::string_view path) {
  if (path == "/v1/chat/completions" || path == "/chat/completions") return true;
  // Azure OpenAI: /openai/deployments/{deployment}/chat/completions (the query carries api-version).
  constexpr std::string_view azure_prefix = "/openai/deployments/", azure_suffix = "/chat/completions";
  return path.size() > azure_prefix.size() + azure_suffix.size() && path.starts_with(azure_prefix) &&
         path.ends_with(azure_suffix) &&
         path.substr(azure_prefix.size(), path.size() - azure_prefix.size() - azure_suffix.size()).find('/') ==
             std::string_view::npos;
}

bool is_models_path(std::string_view path) {
  return path == "/v1/models" || path == "/models";
}

}  // namespace

void add_openai_routes(Router& router) {
  router.add({"POST", is_chat_path, chat_completions});
  router.add({"GET", is_models_path, list_models});
}

}  // namespace mock_upstream
