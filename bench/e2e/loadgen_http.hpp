// Incremental HTTP/1.1 response reader and SSE event scanner for the load generator: bytes in as the socket
// delivers them, body bytes and whole events out. Pure (no sockets), allocation-free once warmed up.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::bench {

struct ResponseHead {
  int status = 0;
  bool chunked = false;
  bool has_length = false;
  std::uint64_t content_length = 0;
  bool event_stream = false;
  bool close = false;  // `Connection: close` or HTTP/1.0
};

class ResponseReader {
 public:
  enum class State { head, length_body, chunk_size, chunk_data, chunk_crlf, trailers, until_close, done, error };

  void reset() {
    state_ = State::head;
    head_ = {};
    line_.clear();
    remaining_ = 0;
    chunks_ = 0;
  }

  // Consumes bytes of the response; calls `on_body(std::string_view)` with de-chunked body bytes. Returns how
  // many bytes it used (less than `in.size()` only once the response is done or broken).
  template <class F>
  std::size_t feed(std::string_view in, F&& on_body) {
    std::size_t i = 0;
    while (i < in.size() && state_ != State::done && state_ != State::error) {
      switch (state_) {
        case State::head: {
          // Accumulate until the blank line; heads are small.
          const std::size_t take = in.size() - i;
          const std::size_t before = line_.size();
          line_.append(in.substr(i, take));
          const std::size_t end = line_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
          if (end == std::string::npos) {
            if (line_.size() > 64 * 1024) state_ = State::error;
            i += take;
            break;
          }
          const std::size_t used = end + 4 - before;
          i += used;
          if (!parse_head(std::string_view(line_).substr(0, end + 2))) {
            state_ = State::error;
            break;
          }
          line_.clear();
          if (head_.status == 204 || head_.status == 304 || (head_.status >= 100 && head_.status < 200)) {
            state_ = head_.status >= 200 ? State::done : State::head;  // 1xx: another head follows
          } else if (head_.chunked) {
            state_ = State::chunk_size;
          } else if (head_.has_length) {
            remaining_ = head_.content_length;
            state_ = remaining_ ? State::length_body : State::done;
          } else {
            state_ = State::until_close;
          }
          break;
        }
        case State::length_body: {
          const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - i));
          on_body(in.substr(i, take));
          i += take;
          remaining_ -= take;
          if (remaining_ == 0) state_ = State::done;
          break;
        }
        case State::until_close:
          on_body(in.substr(i));
          i = in.size();
          break;
        case State::chunk_size:
        case State::chunk_crlf:
        case State::trailers: {
          const std::size_t nl = in.find('\n', i);
          const std::size_t stop = nl == std::string_view::npos ? in.size() : nl + 1;
          line_.append(in.substr(i, stop - i));
          i = stop;
          if (nl == std::string_view::npos) {
            if (line_.size() > 4096) state_ = State::error;
            break;
          }
          end_line();
          line_.clear();
          break;
        }
        case State::chunk_data: {
          const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - i));
          on_body(in.substr(i, take));
          i += take;
          remaining_ -= take;
          if (remaining_ == 0) state_ = State::chunk_crlf;
          break;
        }
        case State::done:
        case State::error:
          break;
      }
    }
    return i;
  }

  // The peer closed the connection: completes a read-until-close body.
  void eof() {
    if (state_ == State::until_close) state_ = State::done;
    if (state_ != State::done) state_ = State::error;
  }

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] bool head_done() const { return state_ != State::head && state_ != State::error; }
  [[nodiscard]] bool done() const { return state_ == State::done; }
  [[nodiscard]] bool failed() const { return state_ == State::error; }
  [[nodiscard]] const ResponseHead& head() const { return head_; }
  // Number of non-empty HTTP chunks started so far (the one being read, while in a chunk's data).
  [[nodiscard]] std::uint64_t chunk_index() const { return chunks_; }

 private:
  bool parse_head(std::string_view h);
  void end_line();

  State state_ = State::head;
  ResponseHead head_;
  std::string line_;
  std::uint64_t remaining_ = 0;
  std::uint64_t chunks_ = 0;
};

// Splits an SSE body into events (blank-line separated, LF or CRLF) across arbitrary cuts.
class SseScanner {
 public:
  void reset() {
    buf_.clear();
    scanned_ = 0;
  }

  // Calls `on_event(std::string_view raw_event)` for each event completed by these bytes.
  template <class F>
  void feed(std::string_view bytes, F&& on_event) {
    buf_.append(bytes);
    std::size_t start = 0;
    std::size_t i = scanned_;
    const std::size_t n = buf_.size();
    while (i < n) {
      if (buf_[i] != '\n') {
        ++i;
        continue;
      }
      // A line ends at i; the event ends if the next line is empty ("\n" or "\r\n").
      std::size_t next = i + 1;
      if (next < n && buf_[next] == '\r') ++next;
      if (next >= n) break;  // need more bytes to decide
      if (buf_[next] == '\n') {
        on_event(std::string_view(buf_).substr(start, next + 1 - start));
        start = next + 1;
        i = start;
      } else {
        i = next;
      }
    }
    buf_.erase(0, start);
    scanned_ = i - start;
  }

  [[nodiscard]] std::size_t pending() const { return buf_.size(); }

 private:
  std::string buf_;
  std::size_t scanned_ = 0;
};

// What one SSE event is, for timing: `[DONE]`, a content (or tool-call) chunk, another data event, a comment.
enum class EventKind { done, content, data, comment };
EventKind classify_event(std::string_view raw_event);

}  // namespace sb::bench
