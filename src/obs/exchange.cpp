#include "obs/exchange.hpp"

#include "obs/message_log.hpp"
#include "obs/metrics.hpp"

namespace sb::obs {

core::ReplyCapture* reply_capture(core::ReplyCapture& reply) {
  return message_log() ? &reply : nullptr;
}

void record_exchange(const RequestLog& log, const core::Outcome& o, std::string_view request_body,
                     core::ReplyCapture& reply) {
  RequestMetrics m;
  m.provider = log.provider;
  m.model = log.model;
  m.status = log.status;
  m.duration_s = log.duration_ms / 1000;
  if (log.ttft_ms) m.ttft_s = *log.ttft_ms / 1000;
  m.prompt_tokens = log.prompt_tokens;
  m.completion_tokens = log.completion_tokens;
  m.retries = log.retries;
  m.client_disconnected = log.client_disconnected;
  // An error once a provider was chosen came from the upstream call (validation and routing errors come before).
  const bool upstream_failure =
      o.error && !log.provider.empty() && o.error->code.value_or("") != "provider_unavailable";
  if (upstream_failure) {
    m.upstream_error = &*o.error;
    m.mid_stream = log.stream && log.status == 200;  // the head was already sent: the stream broke
  }
  metrics().record_request(m);

  auto* ml = message_log();
  if (ml == nullptr) return;
  Exchange e;
  e.request_id = log.request_id;
  e.ended = SystemClock::now();
  e.started = e.ended - std::chrono::duration_cast<SystemClock::duration>(
                            std::chrono::duration<double, std::milli>(log.duration_ms));
  e.provider = log.provider;
  e.model = log.model;
  e.session_id = log.session_id;
  e.key_name = log.key_name;
  e.stream = log.stream;
  e.request_body.assign(request_body);
  e.reply = std::move(reply);
  e.finish_reason = o.finish_reason;
  e.usage = o.usage;
  e.status = log.status;
  e.ttft_ms = log.ttft_ms;
  e.duration_ms = log.duration_ms;
  e.retries = log.retries;
  e.client_disconnected = log.client_disconnected;
  e.error = o.error;
  ml->submit(std::move(e));
}

}  // namespace sb::obs
