// The message log (MESSAGE_LOG=path): one JSON object per line for every chat exchange — the request's
// messages and tools, the assembled reply or tool calls, finish reason, usage, status and timings.
//
// io threads only queue an Exchange (the raw request body and the captured reply, no JSON work); a dedicated
// writer thread builds each line, scrubs secrets and appends it to the file, rotating by size. The queue is
// bounded (records and bytes): when it is full the exchange is dropped, counted in
// switchboard_message_log_dropped_total and reported by a rate-limited warning — an io thread never waits.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/api_error.hpp"
#include "core/events.hpp"
#include "core/expected.hpp"
#include "core/reply_capture.hpp"

namespace sb::obs {

using SystemClock = std::chrono::system_clock;

// One finished exchange, as handed over by the io thread.
struct Exchange {
  std::string request_id;
  SystemClock::time_point started, ended;
  std::string provider, model, session_id;
  std::string key_name;  // the proxy key's name, never the key
  bool stream = false;
  std::string request_body;  // the raw request; messages and tools are read from it on the writer thread
  core::ReplyCapture reply;
  std::string finish_reason;
  std::optional<core::Usage> usage;
  int status = 0;
  std::optional<double> ttft_ms;
  double duration_ms = 0;
  int retries = 0;
  bool client_disconnected = false;
  std::optional<core::ApiError> error;

  // Rough memory held, for the queue's byte bound.
  [[nodiscard]] std::size_t approx_bytes() const;
};

struct RecordOptions {
  // MESSAGE_LOG_REDACT=content: message text, reply text and tool arguments are replaced by their lengths
  // (`"content":"hi"` becomes `"content_chars":2`); roles, names, ids, counts and order are kept.
  bool redact_content = false;
};

// The JSON line (ending in '\n') of an exchange. Secrets are not scrubbed here (the writer does it).
std::string build_record(const Exchange& e, const RecordOptions& options);

// The reply of an exchange, assembled from whatever the sink captured (native events, relayed SSE events or
// a relayed body).
struct AssembledReply {
  std::string content;
  struct ToolCall {
    std::string id, name, arguments;
  };
  std::vector<ToolCall> tool_calls;
  std::string finish_reason;
  std::optional<core::Usage> usage;
};
AssembledReply assemble_reply(const core::ReplyCapture& capture);

// An append-only file that rotates by size: path → path.1 → path.2 … path.<keep> (the oldest is removed).
class RotatingFile {
 public:
  // max_bytes 0: never rotate. keep 0: rotating truncates (no old files kept).
  static core::Expected<std::unique_ptr<RotatingFile>, std::string> open(std::string path, std::uint64_t max_bytes,
                                                                         unsigned keep);
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  // Appends whole records: rotates first when `data` would take the file past max_bytes (a single record
  // larger than max_bytes gets a file of its own). Returns false on a write error.
  bool write(std::string_view data);
  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  RotatingFile(std::string path, std::uint64_t max_bytes, unsigned keep)
      : path_(std::move(path)), max_(max_bytes), keep_(keep) {}
  bool reopen(bool truncate);
  bool rotate();
  std::string path_;
  std::uint64_t max_;
  unsigned keep_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string error_;
};

struct MessageLogOptions {
  std::string path;
  std::uint64_t max_bytes = 100ull * 1024 * 1024;  // MESSAGE_LOG_MAX_BYTES; 0 = never rotate
  unsigned keep = 5;                               // MESSAGE_LOG_KEEP
  RecordOptions record;                            // MESSAGE_LOG_REDACT
  std::size_t queue_records = 10'000;
  std::size_t queue_bytes = 256ull * 1024 * 1024;
  // Secrets known only by digest (proxy keys): whole tokens of 16+ characters for which this returns true are
  // replaced by "***". Known secrets are scrubbed anyway (scrub_log_secrets).
  std::function<bool(std::string_view)> is_secret_token;
};

// Replaces with "***" every token of `text` (a run of characters other than whitespace, quotes, backslash and
// JSON/text punctuation; also the part after a ':' or '=' inside one) of at least `min_length` characters for which
// `is_secret` holds.
void scrub_secret_tokens(std::string& text, const std::function<bool(std::string_view)>& is_secret,
                         std::size_t min_length = 16);

class MessageLog {
 public:
  // Opens (creates, mode 0600) the file and starts the writer thread.
  static core::Expected<std::unique_ptr<MessageLog>, std::string> open(MessageLogOptions options);
  ~MessageLog();
  MessageLog(const MessageLog&) = delete;
  MessageLog& operator=(const MessageLog&) = delete;

  // Queues the exchange; never blocks on I/O. False when it was dropped because the queue is full.
  bool submit(Exchange&& e);
  // Waits until everything queued so far is written (tests, shutdown).
  void flush();
  // Writes everything queued, then stops the writer thread. Idempotent.
  void stop();

  [[nodiscard]] const MessageLogOptions& options() const { return options_; }

 private:
  MessageLog(MessageLogOptions options, std::unique_ptr<RotatingFile> file);
  void run();
  void note_drop();

  MessageLogOptions options_;
  std::unique_ptr<RotatingFile> file_;
  std::mutex mu_;
  std::condition_variable wake_;     // writer: work or stop
  std::condition_variable written_;  // flush(): a batch is done
  std::deque<Exchange> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t submitted_ = 0, completed_ = 0;
  bool stopping_ = false;
  bool writer_done_ = false;
  std::atomic<std::int64_t> last_drop_warning_ms_{0};
  std::atomic<std::uint64_t> drops_since_warning_{0};
  std::thread writer_;
};

// The process's message log, or null when MESSAGE_LOG is unset. Installed once by main before serving.
MessageLog* message_log();
void install_message_log(std::unique_ptr<MessageLog> log);
// Stops and removes the installed log (after the server has drained).
void shutdown_message_log();

}  // namespace sb::obs
