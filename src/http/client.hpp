// Upstream HTTP/1.1 client: http and https (system CAs, SNI, host-name verification), keep-alive pool per
// worker thread, per-phase timeouts, incremental body reads for streaming. Cancellation (e.g. the client hung
// up) aborts the pending operation and closes the connection instead of returning it to the pool.
#pragma once
#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "core/expected.hpp"
#include "http/framing.hpp"

namespace sb::http {

namespace net = boost::asio;

struct Origin {
  bool tls = false;
  std::string host;
  std::string port;
  std::string base_path;  // e.g. "/v1" (no trailing slash)
  [[nodiscard]] std::string key() const { return (tls ? "https://" : "http://") + host + ":" + port; }
  [[nodiscard]] std::string host_header() const;
};

// Parses an http(s) base URL such as `https://api.openai.com/v1`.
core::Expected<Origin, std::string> parse_origin(std::string_view url);

struct UpstreamTimeouts {
  std::chrono::milliseconds connect{5'000};
  std::chrono::milliseconds first_byte{60'000};  // request sent → response headers
  std::chrono::milliseconds idle{60'000};        // between body reads
};

enum class UpstreamFailure { none, connect, timeout, io };

// A request to an upstream. Its head is kept as the text it is sent as: no field objects to allocate and walk.
// Host and Content-Length are written by UpstreamCall::start (from the origin and the body); fields of those
// names, and Transfer-Encoding and Connection, are not taken here.
class UpstreamRequest {
 public:
  UpstreamRequest(std::string_view method, std::string target) : method_(method), target_(std::move(target)) {}

  // Adds a header field. CR, LF and NUL in the name or the value become spaces: a value can never end its line
  // early and start a field of its own.
  void add(std::string_view name, std::string_view value);
  // The same, replacing any field of that name (ASCII case-insensitive) given before.
  void set(std::string_view name, std::string_view value);
  // The value of the field named `name`; empty when there is none.
  [[nodiscard]] std::string_view header(std::string_view name) const;
  void target(std::string t) { target_ = std::move(t); }
  [[nodiscard]] const std::string& target() const { return target_; }
  [[nodiscard]] const std::string& method() const { return method_; }
  [[nodiscard]] const std::string& fields() const { return fields_; }  // "Name: value\r\n" for each field
  std::string& body() {  // the body, owned
    borrowed_.reset();
    return body_;
  }
  // A body owned by the caller, sent as it is (no copy): it must outlive every send of this request.
  void borrow_body(std::string_view bytes) { borrowed_ = bytes; }
  [[nodiscard]] std::string_view payload() const { return borrowed_ ? *borrowed_ : std::string_view(body_); }

 private:
  // Where the line of field `name` starts in fields_ and how long it is (npos when there is none).
  [[nodiscard]] std::pair<std::size_t, std::size_t> find(std::string_view name) const;

  std::string method_, target_, fields_, body_;
  std::optional<std::string_view> borrowed_;
};

class UpstreamConnection;

class UpstreamCall {
 public:
  UpstreamCall(Origin origin, UpstreamTimeouts timeouts);
  ~UpstreamCall();
  UpstreamCall(const UpstreamCall&) = delete;
  UpstreamCall& operator=(const UpstreamCall&) = delete;

  // Connects (or reuses a pooled connection), sends the request and reads the response headers.
  net::awaitable<bool> start(const UpstreamRequest& req);
  // Appends the next piece of body (dechunked) to `out`; false on error. `done()` once the body is complete.
  net::awaitable<bool> read_some(std::string& out);
  // Reads the whole remaining body into `out` (at most `limit` bytes).
  net::awaitable<bool> read_all(std::string& out, std::size_t limit);

  // Reads what is left of a finished response (e.g. the last chunk after `[DONE]`) so the connection can
  // go back to the pool; gives up, closing it, after `patience` of silence.
  net::awaitable<void> drain(std::chrono::milliseconds patience);

  [[nodiscard]] bool done() const;
  [[nodiscard]] int status() const;
  [[nodiscard]] std::string_view header(std::string_view name) const;
  [[nodiscard]] UpstreamFailure failure() const { return failure_; }
  [[nodiscard]] const std::string& error_message() const { return error_; }

 private:
  net::awaitable<bool> attempt(const UpstreamRequest& req, bool& reused);
  // One read from the connection into its buffer, as much as it has room for (the caller gives what came to took()).
  net::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_into_buffer();
  void took(std::size_t n);  // the read gave n bytes
  void mark_if_emptied();
  bool fail(UpstreamFailure kind, const boost::system::error_code& ec, std::string_view phase);
  // The first-byte or idle deadline of this call: the connection's watch closes it when the deadline passes.
  void set_deadline(std::chrono::steady_clock::time_point t);

  Origin origin_;
  UpstreamTimeouts timeouts_;
  std::unique_ptr<UpstreamConnection> conn_;
  std::optional<ResponseHead> head_;
  std::optional<ResponseBody> body_;
  // Socket reads go into the connection's buffer, as much as it has room for (at least 2 KiB): that takes a
  // typical non-stream answer (head and body) in one read, and any SSE event.
  static constexpr std::size_t kConnectionBuffer = 2 * 1024;
  UpstreamFailure failure_ = UpstreamFailure::none;
  std::string error_;
};

// Drops this thread's idle pooled connections (call on the worker thread before its io_context dies). A pooled
// connection keeps its timeout timer armed until the last call's deadline: an io_context run until it runs out of
// work returns only then, unless the pool is cleared while it runs.
void clear_connection_pool();

}  // namespace sb::http
