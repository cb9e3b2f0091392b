#include "core/guarded_sink.hpp"

namespace sb::core {

bool event_has_token(std::string_view raw) {
  const auto c = raw.find("\"content\":\"");
  if (c != std::string_view::npos && c + 11 < raw.size() && raw[c + 11] != '"') return true;
  return raw.find("\"tool_calls\"") != std::string_view::npos;
}

net::awaitable<void> GuardedSink::text(std::string_view delta) {
  first_token_ = true;
  forwarded_ = true;
  co_await inner_.text(delta);
}

net::awaitable<void> GuardedSink::tool_call(const ToolCallDelta& delta) {
  first_token_ = true;
  forwarded_ = true;
  co_await inner_.tool_call(delta);
}

net::awaitable<void> GuardedSink::finish(std::string_view reason) {
  co_await forward_held();
  forwarded_ = true;
  co_await inner_.finish(reason);
}

net::awaitable<void> GuardedSink::usage(const Usage& u) {
  forwarded_ = true;
  co_await inner_.usage(u);
}

net::awaitable<void> GuardedSink::fail(const ApiError& error) {
  if (!committed()) {
    error_ = error;  // the executor decides: retry, fall back, or report it
    co_return;
  }
  co_await inner_.fail(error);
}

net::awaitable<void> GuardedSink::relay_event(std::string_view raw_event, const BodyFacts& facts) {
  if (!first_token_ && event_has_token(raw_event)) first_token_ = true;
  if (hold_ && !first_token_) {
    held_.emplace_back(raw_event, facts);
    co_return;
  }
  co_await forward_held();
  forwarded_ = true;
  co_await inner_.relay_event(raw_event, facts);
}

net::awaitable<void> GuardedSink::relay_done() {
  co_await forward_held();
  forwarded_ = true;
  co_await inner_.relay_done();
}

net::awaitable<void> GuardedSink::relay_body(int status, std::string& body, const BodyFacts& facts) {
  first_token_ = true;
  forwarded_ = true;
  co_await inner_.relay_body(status, body, facts);
}

net::awaitable<void> GuardedSink::forward_held() {
  if (held_.empty()) co_return;
  std::vector<std::pair<std::string, BodyFacts>> events;
  events.swap(held_);
  forwarded_ = true;
  for (const auto& [raw, facts] : events) co_await inner_.relay_event(raw, facts);
}

net::awaitable<void> GuardedSink::flush() { co_await forward_held(); }

}  // namespace sb::core
