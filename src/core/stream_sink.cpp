#include "core/stream_sink.hpp"

#include <boost/asio/this_coro.hpp>

namespace sb::core {

constexpr auto as_tuple = net::as_tuple(net::use_awaitable);

StreamSink::StreamSink(http::Responder& out, openai::ChunkEncoder encoder, bool include_usage,
                       std::chrono::milliseconds keepalive)
    : out_(out), enc_(std::move(encoder)), include_usage_(include_usage), keepalive_(keepalive) {}

net::awaitable<void> StreamSink::write(std::string_view bytes) {
  while (writing_) {  // only the keep-alive writer can be in flight here
    if (!write_done_) write_done_.emplace(co_await net::this_coro::executor);
    write_done_->expires_at(Clock::time_point::max());
    co_await write_done_->async_wait(as_tuple);
  }
  writing_ = true;
  struct Reset {
    StreamSink& s;
    ~Reset() {
      s.writing_ = false;
      if (s.write_done_) s.write_done_->cancel();
    }
  } reset{*this};
  if (!out_.head_sent()) co_await out_.begin_stream();
  last_write_ = Clock::now();
  co_await out_.write_event(bytes);
}

net::awaitable<void> StreamSink::begin_content() {
  if (!outcome.first_token) outcome.first_token = Clock::now();
  if (role_sent_) co_return;
  role_sent_ = true;
  const std::string role = enc_.role();
  co_await write(role);
}

void StreamSink::note_chunk() {
  const auto now = Clock::now();
  if (last_chunk_) obs::metrics().inter_chunk_gap.observe(std::chrono::duration<double>(now - *last_chunk_).count());
  last_chunk_ = now;
}

net::awaitable<void> StreamSink::text(std::string_view delta) {
  note_chunk();
  if (capture) capture->add_text(delta);
  co_await begin_content();
  const std::string event = enc_.text(delta);
  co_await write(event);
}

net::awaitable<void> StreamSink::tool_call(const ToolCallDelta& delta) {
  note_chunk();
  if (capture) capture->add_tool_call(delta);
  co_await begin_content();
  const std::string event = enc_.tool_call(delta);
  co_await write(event);
}

net::awaitable<void> StreamSink::finish(std::string_view reason) {
  if (!role_sent_) {
    role_sent_ = true;
    const std::string role = enc_.role();
    co_await write(role);
  }
  outcome.finish_reason = reason;
  finished_ = true;
  const std::string event = enc_.finish(reason);
  co_await write(event);
}

net::awaitable<void> StreamSink::usage(const Usage& u) {
  outcome.usage = u;
  if (!include_usage_) co_return;
  const std::string event = enc_.usage(u);
  co_await write(event);
}

net::awaitable<void> StreamSink::fail(const ApiError& error) {
  if (ended_) co_return;
  outcome.error = error;
  if (!out_.head_sent()) co_return;  // complete() answers with the HTTP status
  ended_ = true;
  const std::string event = "data: " + error.body() + "\n\n";
  co_await write(event);
  co_await out_.end_stream();
}

net::awaitable<void> StreamSink::relay_event(std::string_view raw_event, const BodyFacts& facts) {
  note_chunk();
  if (capture) capture->add_relayed_event(raw_event);
  if (!facts.finish_reason.empty()) outcome.finish_reason = facts.finish_reason;
  if (facts.usage) outcome.usage = facts.usage;
  if (!outcome.first_token) {
    // The first event carrying content or a tool call marks the first token (cheap scan, no JSON parse).
    const auto c = raw_event.find("\"content\":\"");
    if ((c != std::string_view::npos && c + 11 < raw_event.size() && raw_event[c + 11] != '"') ||
        raw_event.find("\"tool_calls\"") != std::string_view::npos)
      outcome.first_token = Clock::now();
  }
  co_await write(raw_event);
}

net::awaitable<void> StreamSink::relay_done() {
  done_ = true;
  co_await write(openai::ChunkEncoder::kDone);
}

net::awaitable<void> StreamSink::relay_body(int status, std::string& /*body*/, const BodyFacts& /*facts*/) {
  const auto err = ApiError::upstream_error(
      "The upstream answered a streaming request with a non-stream response (HTTP " + std::to_string(status) + ").");
  co_await fail(err);
}

// The keep-alive timer and its write complete through plain handlers that hold this state; `sink` is cleared
// when the sink is destroyed, so a handler that runs later does nothing.
struct StreamSink::KeepAlive {
  KeepAlive(const net::any_io_executor& ex, StreamSink* s) : timer(ex), sink(s) {}
  net::steady_timer timer;
  StreamSink* sink;
  bool stopped = false;
};

void StreamSink::start_keepalive(const net::any_io_executor& ex) {
  if (keepalive_.count() <= 0) return;
  keepalive_state_ = std::make_shared<KeepAlive>(ex, this);
  arm_keepalive(keepalive_state_);
}

void StreamSink::stop_keepalive() {
  if (!keepalive_state_) return;
  keepalive_state_->stopped = true;  // a keep-alive write in flight still wakes the writer waiting behind it
  keepalive_state_->timer.cancel();
}

StreamSink::~StreamSink() {
  if (!keepalive_state_) return;
  keepalive_state_->sink = nullptr;
  keepalive_state_->timer.cancel();
}

void StreamSink::arm_keepalive(const std::shared_ptr<KeepAlive>& ka) {
  const StreamSink& s = *ka->sink;
  const auto now = Clock::now();
  // Only an open stream gets keep-alives: before the first byte the executor may still retry or fall back, and
  // committing to a 200 would take that away. While a write is in flight, look again an interval later.
  auto next = s.out_.head_sent() ? s.last_write_ + s.keepalive_ : now + s.keepalive_;
  if (next <= now) next = now + s.keepalive_;
  ka->timer.expires_at(next);
  ka->timer.async_wait([ka](boost::system::error_code) { keepalive_due(ka); });
}

void StreamSink::keepalive_due(const std::shared_ptr<KeepAlive>& ka) {
  if (ka->sink == nullptr || ka->stopped) return;
  StreamSink& s = *ka->sink;
  if (s.ended_ || s.writing_ || !s.out_.head_sent() || Clock::now() - s.last_write_ < s.keepalive_) {
    arm_keepalive(ka);
    return;
  }
  s.writing_ = true;
  s.out_.write_keepalive([ka](bool ok) {
    if (ka->sink == nullptr) return;
    StreamSink& w = *ka->sink;
    w.writing_ = false;
    if (w.write_done_) w.write_done_->cancel();
    w.last_write_ = Clock::now();
    if (ok && !ka->stopped) arm_keepalive(ka);  // a failed write: the stream's next write finds the client gone
  });
}

net::awaitable<void> StreamSink::complete() {
  if (outcome.error) {
    if (!out_.head_sent()) {
      outcome.status = outcome.error->status;
      co_await out_.send_error(*outcome.error);
    }
    co_return;
  }
  if (!done_ && !finished_) {
    // A static, not a branch-scoped local: GCC 12 miscompiles those across a co_await.
    static const ApiError incomplete = ApiError::upstream_error("The upstream ended the stream before it was complete.");
    co_await fail(incomplete);
    co_await complete();
    co_return;
  }
  if (!done_) co_await write(openai::ChunkEncoder::kDone);
  ended_ = true;
  outcome.status = 200;
  co_await out_.end_stream();
}

}  // namespace sb::core
