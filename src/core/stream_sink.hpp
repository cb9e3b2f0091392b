#pragma once
#include <boost/asio/steady_timer.hpp>

#include "core/sink.hpp"
#include "http/server.hpp"
#include "obs/metrics.hpp"
#include "openai/chunk.hpp"

namespace sb::core {

class StreamSink final : public ResponseSink {
 public:
  StreamSink(http::Responder& out, openai::ChunkEncoder encoder, bool include_usage,
             std::chrono::milliseconds keepalive);
  ~StreamSink() override;
  StreamSink(const StreamSink&) = delete;
  StreamSink& operator=(const StreamSink&) = delete;

  net::awaitable<void> text(std::string_view delta) override;
  net::awaitable<void> tool_call(const ToolCallDelta& delta) override;
  net::awaitable<void> finish(std::string_view reason) override;
  net::awaitable<void> usage(const Usage& usage) override;
  net::awaitable<void> fail(const ApiError& error) override;
  net::awaitable<void> relay_event(std::string_view raw_event, const BodyFacts& facts) override;
  net::awaitable<void> relay_done() override;
  net::awaitable<void> relay_body(int status, std::string& body, const BodyFacts& facts) override;
  [[nodiscard]] bool committed() const override { return out_.head_sent(); }
  [[nodiscard]] bool streaming() const override { return true; }

  // From now until stop_keepalive(): sends `: keep-alive` whenever the open stream has been silent for the
  // keep-alive interval (a plain timer on `ex`, no coroutine; nothing when the interval is 0).
  void start_keepalive(const net::any_io_executor& ex);
  void stop_keepalive();
  // After the provider returned: ends the stream, or reports the failure (an HTTP error before any byte).
  net::awaitable<void> complete();

 private:
  net::awaitable<void> write(std::string_view bytes);
  net::awaitable<void> begin_content();
  void note_chunk();  // inter-chunk gap metric
  struct KeepAlive;
  static void arm_keepalive(const std::shared_ptr<KeepAlive>& ka);
  static void keepalive_due(const std::shared_ptr<KeepAlive>& ka);

  http::Responder& out_;
  openai::ChunkEncoder enc_;
  bool include_usage_;
  std::chrono::milliseconds keepalive_;
  std::optional<net::steady_timer> write_done_;  // wakes a writer waiting behind a keep-alive write
  std::shared_ptr<KeepAlive> keepalive_state_;  // shared with its handlers, which may outlive the sink
  Clock::time_point last_write_ = Clock::now();
  std::optional<Clock::time_point> last_chunk_;
  obs::GaugeGuard active_{obs::metrics().active_streams};
  bool writing_ = false;
  bool role_sent_ = false;
  bool finished_ = false;
  bool done_ = false;   // [DONE] written
  bool ended_ = false;  // stream closed (done or failed)
};

}  // namespace sb::core
