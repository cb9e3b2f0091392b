#include "core/collect_sink.hpp"

namespace sb::core {

CollectSink::CollectSink(std::int64_t created, std::string model) {
  completion_.created = created;
  completion_.model = std::move(model);
}

net::awaitable<void> CollectSink::text(std::string_view delta) {
  if (!outcome.first_token) outcome.first_token = Clock::now();
  completion_.content.append(delta);
  if (capture) capture->add_text(delta);
  co_return;
}

net::awaitable<void> CollectSink::tool_call(const ToolCallDelta& d) {
  if (!outcome.first_token) outcome.first_token = Clock::now();
  auto& call = tool_calls_[d.index];
  if (d.id) call.id = *d.id;
  if (d.name) call.name = *d.name;
  call.arguments += d.arguments;
  if (capture) capture->add_tool_call(d);
  co_return;
}

net::awaitable<void> CollectSink::finish(std::string_view reason) {
  finished_ = true;
  completion_.finish_reason = reason;
  outcome.finish_reason = reason;
  co_return;
}

net::awaitable<void> CollectSink::usage(const Usage& u) {
  completion_.usage = u;
  outcome.usage = u;
  co_return;
}

net::awaitable<void> CollectSink::fail(const ApiError& error) {
  if (!outcome.error) outcome.error = error;
  co_return;
}

net::awaitable<void> CollectSink::relay_event(std::string_view /*raw_event*/, const BodyFacts& /*facts*/) {
  const auto err = ApiError::upstream_error("The upstream answered a non-streaming request with a stream.");
  co_await fail(err);
}

net::awaitable<void> CollectSink::relay_done() {
  co_return;
}

net::awaitable<void> CollectSink::relay_body(int status, std::string& body, const BodyFacts& facts) {
  if (!outcome.first_token) outcome.first_token = Clock::now();
  if (!facts.finish_reason.empty()) outcome.finish_reason = facts.finish_reason;
  if (facts.usage) outcome.usage = facts.usage;
  if (capture) capture->set_relayed_body(body);
  relayed_.emplace(status, std::move(body));
  co_return;
}

std::pair<int, std::string> CollectSink::take_response() {
  if (outcome.error) return {outcome.error->status, outcome.error->body()};
  if (relayed_) return std::move(*relayed_);
  if (!finished_)
    return {502, ApiError::upstream_error("The upstream ended the response before it was complete.").body()};
  for (auto& [index, call] : tool_calls_) completion_.tool_calls.push_back(std::move(call));
  tool_calls_.clear();
  return {200, openai::encode_completion(completion_)};
}

}  // namespace sb::core
