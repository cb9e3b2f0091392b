// The message log's writer thread, its bounded queue and the rotating file.
#include "obs/message_log.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "obs/logging.hpp"
#include "obs/metrics.hpp"

namespace sb::obs {

// ---- RotatingFile ------------------------------------------------------------------------------------------

core::Expected<std::unique_ptr<RotatingFile>, std::string> RotatingFile::open(std::string path,
                                                                             std::uint64_t max_bytes, unsigned keep) {
  std::unique_ptr<RotatingFile> f(new RotatingFile(std::move(path), max_bytes, keep));
  if (!f->reopen(false)) return f->error_;
  return f;
}

RotatingFile::~RotatingFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool RotatingFile::reopen(bool truncate) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0600);
  if (fd_ < 0) {
    error_ = path_ + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  return true;
}

bool RotatingFile::rotate() {
  if (keep_ == 0) return reopen(true);
  for (unsigned i = keep_; i > 1; --i) {  // path.(i-1) → path.i; the old path.keep is replaced
    const std::string from = path_ + "." + std::to_string(i - 1);
    const std::string to = path_ + "." + std::to_string(i);
    ::rename(from.c_str(), to.c_str());  // a missing older file is fine
  }
  const std::string first = path_ + ".1";
  if (::rename(path_.c_str(), first.c_str()) != 0 && errno != ENOENT) {
    error_ = path_ + ": cannot rotate: " + std::strerror(errno);
    return reopen(false);  // keep appending to the current file rather than lose records
  }
  return reopen(false);
}

bool RotatingFile::write(std::string_view data) {
  if (fd_ < 0 && !reopen(false)) return false;
  if (max_ > 0 && size_ > 0 && size_ + data.size() > max_ && !rotate()) return false;
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = path_ + ": " + std::strerror(errno);
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    size_ += static_cast<std::uint64_t>(n);
  }
  return true;
}

// ---- secret tokens ----------------------------------------------------------------------------------------

namespace {
bool token_char(unsigned char c) {
  if (c <= ' ' || c == 0x7f) return false;
  switch (c) {
    case '"':
    case '\\':
    case '\'':
    case '`':
    case ',':
    case ';':
    case '{':
    case '}':
    case '[':
    case ']':
    case '(':
    case ')':
    case '<':
    case '>':
      return false;
    default:
      return true;
  }
}
}  // namespace

void scrub_secret_tokens(std::string& text, const std::function<bool(std::string_view)>& is_secret,
                         std::size_t min_length) {
  if (!is_secret) return;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!token_char(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && token_char(static_cast<unsigned char>(text[end]))) ++end;
    std::size_t start = i;
    bool found = end - start >= min_length && is_secret(std::string_view(text).substr(start, end - start));
    if (!found) {  // `key=<secret>` or `token:<secret>`
      const auto sep = std::string_view(text).substr(i, end - i).find_first_of(":=");
      if (sep != std::string_view::npos) {
        start = i + sep + 1;
        found = end - start >= min_length && is_secret(std::string_view(text).substr(start, end - start));
      }
    }
    if (found) {
      text.replace(start, end - start, "***");
      end = start + 3;
    }
    i = end;
  }
}

// ---- MessageLog --------------------------------------------------------------------------------------------

core::Expected<std::unique_ptr<MessageLog>, std::string> MessageLog::open(MessageLogOptions options) {
  auto file = RotatingFile::open(options.path, options.max_bytes, options.keep);
  if (!file) return "MESSAGE_LOG=" + file.error();
  return std::unique_ptr<MessageLog>(new MessageLog(std::move(options), std::move(*file)));
}

MessageLog::MessageLog(MessageLogOptions options, std::unique_ptr<RotatingFile> file)
    : options_(std::move(options)), file_(std::move(file)) {
  writer_ = std::thread([this] { run(); });
}

MessageLog::~MessageLog() {
  stop();
}

bool MessageLog::submit(Exchange&& e) {
  const std::size_t bytes = e.approx_bytes();
  {
    std::lock_guard lock(mu_);
    const bool full = queue_.size() >= options_.queue_records ||
                      (!queue_.empty() && queued_bytes_ + bytes > options_.queue_bytes);
    if (!stopping_ && !full) {
      const bool was_empty = queue_.empty();
      queue_.push_back(std::move(e));
      queued_bytes_ += bytes;
      ++submitted_;
      if (was_empty) wake_.notify_one();  // the writer takes everything it finds, so one wake per batch
      return true;
    }
  }
  note_drop();  // outside the lock
  return false;
}

void MessageLog::note_drop() {
  metrics().message_log_dropped.inc();
  drops_since_warning_.fetch_add(1, std::memory_order_relaxed);
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  auto last = last_drop_warning_ms_.load(std::memory_order_relaxed);
  if (last != 0 && now_ms - last < 10'000) return;  // at most one warning per 10 s
  if (!last_drop_warning_ms_.compare_exchange_strong(last, now_ms)) return;
  const auto n = drops_since_warning_.exchange(0);
  spdlog::warn("message log: queue full, {} record(s) dropped (writer too slow for {}); see "
               "switchboard_message_log_dropped_total",
               n, options_.path);
}

void MessageLog::run() {
  std::deque<Exchange> batch;
  std::string out;        // whole records waiting to be written
  std::size_t in_out = 0;  // how many
  std::uint64_t written = 0, failed = 0;
  auto last_error = std::chrono::steady_clock::time_point{};
  auto write_out = [&] {
    if (out.empty()) return;
    if (file_->write(out)) {
      written += in_out;
    } else {
      failed += in_out;
    }
    out.clear();
    in_out = 0;
  };
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) {
        writer_done_ = true;
        break;
      }
      batch.swap(queue_);
      queued_bytes_ = 0;
    }
    const std::size_t n = batch.size();
    written = failed = 0;
    for (auto& e : batch) {
      std::string line = build_record(e, options_.record);
      scrub_log_secrets(line);
      scrub_secret_tokens(line, options_.is_secret_token);
      // Flush before a record that would take the file past the rotation size, so rotation falls between records.
      if (out.size() >= 256 * 1024 ||
          (options_.max_bytes > 0 && file_->size() + out.size() + line.size() > options_.max_bytes))
        write_out();
      out += line;
      ++in_out;
    }
    write_out();
    batch.clear();
    if (written > 0) metrics().message_log_written.inc(written);
    if (failed > 0) {
      metrics().message_log_dropped.inc(failed);
      const auto now = std::chrono::steady_clock::now();
      if (now - last_error > std::chrono::seconds(10)) {
        last_error = now;
        spdlog::error("message log: {} record(s) lost: {}", failed, file_->error());
      }
    }
    {
      std::lock_guard lock(mu_);
      completed_ += n;
    }
    written_.notify_all();
  }
  written_.notify_all();
}

void MessageLog::flush() {
  std::unique_lock lock(mu_);
  const auto target = submitted_;
  written_.wait(lock, [&] { return completed_ >= target || writer_done_; });
}

void MessageLog::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) writer_.join();
}

namespace {
std::unique_ptr<MessageLog> g_log;
}

MessageLog* message_log() {
  return g_log.get();
}

void install_message_log(std::unique_ptr<MessageLog> log) {
  g_log = std::move(log);
}

void shutdown_message_log() {
  if (g_log) g_log->stop();
  g_log.reset();
}

}  // namespace sb::obs
