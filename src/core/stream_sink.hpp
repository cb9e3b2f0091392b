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

  net::awaitable<void> text(std::string_view delta) override;
  net::awaitable<void> tool_call(const ToolCallDelta& delta) override;
  net::awaitable<void> finish(std::string_view reason) override;
  net::awaitable<void> usage(const Usage& usage) override;
  net::awaitable<void> fail(const ApiError& error) override;
  net::awaitable<void> relay_event(std::string_view raw_event) override;
  net::awaitable<void> relay_done() override;
  net::awaitable<void> relay_body(int status, std::string& body) override;
  [[nodiscard]] bool committed() const override { return out_.head_sent(); }
  [[nodiscard]] bool streaming() const override { return true; }

  // Sends `: keep-alive` whenever the stream has been silent for the keep-alive interval. Never returns;
  // run it alongside the provider and let it be cancelled.
  net::awaitable<void> keepalive();
  // After the provider returned: ends the stream, or reports the failure (an HTTP error before any byte).
  net::awaitable<void> complete();

 private:
  net::awaitable<void> write(std::string_view bytes);
  net::awaitable<void> begin_content();
  void note_chunk();  // inter-chunk gap metric

  http::Responder& out_;
  openai::ChunkEncoder enc_;
  bool include_usage_;
  std::chrono::milliseconds keepalive_;
  std::optional<net::steady_timer> write_done_;  // wakes a writer waiting behind a keep-alive write
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
