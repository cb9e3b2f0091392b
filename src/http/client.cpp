#include "http/client.hpp"
#include "http/empty_mark.hpp"
#include "http/framing.hpp"
#include "http/send_now.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <algorithm>
#include <tuple>
#include <cstring>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <unordered_map>
#include <vector>

namespace sb::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using net::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto as_tuple = net::as_tuple(net::use_awaitable);

std::string Origin::host_header() const {
  const bool default_port = (tls && port == "443") || (!tls && port == "80");
  return default_port ? host : host + ":" + port;
}

core::Expected<Origin, std::string> parse_origin(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return std::string("not an absolute URL");
  const auto& u = *parsed;
  Origin o;
  if (u.scheme() == "https") {
    o.tls = true;
  } else if (u.scheme() != "http") {
    return std::string("scheme must be http or https");
  }
  o.host = u.encoded_host();
  if (o.host.empty()) return std::string("no host");
  if (o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
  o.port = u.has_port() ? std::string(u.port()) : (o.tls ? "443" : "80");
  o.base_path = u.encoded_path();
  while (!o.base_path.empty() && o.base_path.back() == '/') o.base_path.pop_back();
  return o;
}

// ---- connections and the per-thread pool ------------------------------------------------------

// The first-byte and idle timeouts of the calls made on one connection: one timer, kept with the connection for
// its whole life and re-armed lazily. A call moves the deadline (an assignment); the timer is armed only when the
// new deadline is earlier than the one it waits for, and a call that ends leaves it waiting — when it wakes, it
// finds the deadline moved on (or no call at all) and sleeps again or stops. So a connection in steady use costs a
// timer wake-up per timeout period, not a timer operation (arm, cancel, completion) per request.
// Shared with the timer's handler, which may run after the connection is gone (it then finds `conn` null).
struct UpstreamWatch {
  explicit UpstreamWatch(const net::any_io_executor& ex) : timer(ex) {}
  net::steady_timer timer;
  Clock::time_point deadline = Clock::time_point::max();
  UpstreamConnection* conn = nullptr;  // the connection while a call uses it, else null
  bool armed = false;
  bool fired = false;

  static void arm(const std::shared_ptr<UpstreamWatch>& w) {
    w->armed = true;
    w->timer.expires_at(w->deadline);
    w->timer.async_wait([w](const boost::system::error_code& ec) {
      if (ec) return;  // re-armed or the connection is gone: whoever cancelled has the state in hand
      w->armed = false;
      if (w->conn == nullptr) return;  // no call on the connection now: the next one arms again
      if (Clock::now() < w->deadline) return arm(w);  // the deadline moved on meanwhile: sleep until the new one
      w->fired = true;
      w->close_connection();  // the pending operation fails; fail() reports a timeout
    });
  }
  // A call starts (or moves its deadline) on `c`.
  void set(UpstreamConnection* c, Clock::time_point t, const std::shared_ptr<UpstreamWatch>& self) {
    conn = c;
    deadline = t;
    if (!armed || t < timer.expiry()) arm(self);
  }
  void end_call() {
    conn = nullptr;
    deadline = Clock::time_point::max();
  }
  inline void close_connection();
};

class UpstreamConnection {
 public:
  UpstreamConnection(net::any_io_executor ex, const Origin& o)
      : key(o.key()), watch(std::make_shared<UpstreamWatch>(ex)),
        empty_marker(net::query(ex, net::execution::context)) {
    if (o.tls) {
      tls.emplace(ex, tls_context());
    } else {
      plain.emplace(ex);
    }
  }

  static ssl::context& tls_context() {
    thread_local ssl::context ctx = [] {
      ssl::context c(ssl::context::tls_client);
      c.set_default_verify_paths();
      c.set_verify_mode(ssl::verify_peer);
      c.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                    ssl::context::no_tlsv1_1);
      return c;
    }();
    return ctx;
  }

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  template <class F>
  auto with_stream(F&& f) {
    return tls ? f(*tls) : f(*plain);
  }

  // A pooled connection the peer has closed (or that has unexpected bytes waiting) must not be reused.
  bool looks_alive() {
    auto& s = tcp().socket();
    if (!s.is_open()) return false;
    char c;
    const ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  ~UpstreamConnection() {
    watch->end_call();
    watch->timer.cancel();
  }
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  std::string key;
  std::shared_ptr<UpstreamWatch> watch;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;
  ReceiveEmptyMarker empty_marker;
  std::size_t asked = 0;  // the room the last read had
  bool emptied = false;   // the last read took less than that: the kernel had nothing more
};

namespace {

constexpr std::size_t kMaxIdlePerOrigin = 256;
constexpr auto kMaxIdleAge = std::chrono::seconds(50);
constexpr auto kTrustedIdle = std::chrono::seconds(1);

struct Pool {
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle;
};

Pool& pool() {
  thread_local Pool p;
  return p;
}

std::unique_ptr<UpstreamConnection> take_idle(const std::string& key) {
  auto it = pool().idle.find(key);
  if (it == pool().idle.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    auto c = std::move(list.back());
    list.pop_back();
    const auto idle = Clock::now() - c->idle_since;
    // Checked only after a while: a syscall per request otherwise, and servers keep idle connections for seconds
    // at least (if one did close it meanwhile, start() retries once on a fresh connection).
    if (idle < kMaxIdleAge && (idle < kTrustedIdle || c->looks_alive())) return c;
  }
  return nullptr;
}

void give_back(std::unique_ptr<UpstreamConnection> c) {
  // Only into the pool of the thread running the connection's io_context: after a drain timeout the calls still
  // suspended end while the server is destroyed, on the main thread, whose pool would outlive that io_context.
  // (A thread-local look-up; asking the context whether it stopped takes its lock.)
  const auto ex = c->plain ? c->plain->get_executor() : c->tls->get_executor();
  if (const auto* io = ex.target<net::io_context::executor_type>(); io != nullptr && !io->running_in_this_thread())
    return;
  auto& list = pool().idle[c->key];
  if (list.size() >= kMaxIdlePerOrigin) return;
  c->idle_since = Clock::now();
  list.push_back(std::move(c));
}

// "METHOD target HTTP/1.1", Host, the fields, Content-Length when there is a body (or the method carries one),
// a blank line.
std::string serialize_head(const UpstreamRequest& req, std::string_view host) {
  const auto& m = req.method();
  const bool length = !req.payload().empty() || m == "POST" || m == "PUT" || m == "PATCH";
  const Decimal size(req.payload().size());
  std::string head;
  head.reserve(m.size() + req.target().size() + host.size() + req.fields().size() + 64);
  using namespace std::string_view_literals;
  append_pieces(head, {m, " "sv, req.target(), " HTTP/1.1\r\nHost: "sv, host, "\r\n"sv, req.fields(),
                       length ? "Content-Length: "sv : std::string_view(),
                       length ? size.view() : std::string_view(),
                       length ? "\r\n\r\n"sv : "\r\n"sv});
  return head;
}

// CR, LF or NUL: what could end a header line early.
bool breaks_line(char c) { return c == '\r' || c == '\n' || c == '\0'; }

// None of breaks_line's bytes in `s`. Eight bytes at a time: a word with no byte below 0x0e cannot hold one.
bool line_safe(std::string_view s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    if (((x - kOnes * 0x0e) & ~x & kHigh) != 0) break;
  }
  for (; i < s.size(); ++i)
    if (breaks_line(s[i])) return false;
  return true;
}

constexpr std::size_t kMaxResponseHead = 64 * 1024;
constexpr std::size_t kMaxResponseFields = 256;

// How much to read at once: what the connection's buffer has room for, at least its usual size.
std::size_t read_room(const beast::flat_buffer& b) {
  return std::clamp<std::size_t>(b.capacity() - b.size(), 2 * 1024, 64 * 1024);
}

boost::system::error_code bad_message() {
  return make_error_code(boost::system::errc::bad_message);
}

}  // namespace

void clear_connection_pool() {
  pool().idle.clear();
}

// ---- UpstreamRequest --------------------------------------------------------------------------

std::pair<std::size_t, std::size_t> UpstreamRequest::find(std::string_view name) const {
  const std::string_view all(fields_);
  for (std::size_t pos = 0; pos < all.size();) {
    const std::size_t eol = all.find('\n', pos);  // every line ends in "\r\n" (set() makes them)
    if (eol - pos > name.size() && all[pos + name.size()] == ':' &&
        ascii_iequals(all.substr(pos, name.size()), name))
      return {pos, eol + 1 - pos};
    pos = eol + 1;
  }
  return {std::string::npos, 0};
}

void UpstreamRequest::add(std::string_view name, std::string_view value) {
  if (ascii_iequals(name, "host") || ascii_iequals(name, "content-length") ||
      ascii_iequals(name, "transfer-encoding") || ascii_iequals(name, "connection"))
    return;  // framing: start() writes these
  if (fields_.capacity() < 256) fields_.reserve(256);  // a typical request's fields in one allocation
  const std::size_t start = fields_.size();
  fields_.resize(start + name.size() + value.size() + 4);
  char* const line = fields_.data() + start;
  char* p = line;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  if (!line_safe(std::string_view(line, static_cast<std::size_t>(p - line)))) {
    for (char* q = line; q != p; ++q)
      if (breaks_line(*q)) *q = ' ';
  }
  p[0] = '\r';
  p[1] = '\n';
}

void UpstreamRequest::set(std::string_view name, std::string_view value) {
  for (auto [pos, len] = find(name); pos != std::string::npos; std::tie(pos, len) = find(name)) fields_.erase(pos, len);
  add(name, value);
}

std::string_view UpstreamRequest::header(std::string_view name) const {
  const auto [pos, len] = find(name);
  if (pos == std::string::npos) return {};
  std::string_view line = std::string_view(fields_).substr(pos, len - 2);
  line.remove_prefix(name.size() + 1);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  return line;
}

// ---- UpstreamCall -----------------------------------------------------------------------------

void UpstreamWatch::close_connection() {
  boost::system::error_code ignored;
  conn->tcp().socket().close(ignored);
}

void UpstreamCall::set_deadline(Clock::time_point t) { conn_->watch->set(conn_.get(), t, conn_->watch); }

UpstreamCall::UpstreamCall(Origin origin, UpstreamTimeouts timeouts)
    : origin_(std::move(origin)), timeouts_(timeouts) {}

UpstreamCall::~UpstreamCall() {
  if (!conn_) return;
  conn_->watch->end_call();  // its timer stays armed: the next call on this connection will likely want it
  // Reused only after a whole response that allows it, with nothing unread behind it.
  if (done() && head_->keep_alive && conn_->buffer.size() == 0 && failure_ == UpstreamFailure::none &&
      !conn_->watch->fired) {
    give_back(std::move(conn_));
  }
  // Otherwise the connection closes here: a half-read or cancelled response is never reused.
}

bool UpstreamCall::fail(UpstreamFailure kind, const boost::system::error_code& ec, std::string_view phase) {
  const bool timed_out = ec == beast::error::timeout || (conn_ && conn_->watch->fired);
  failure_ = timed_out ? UpstreamFailure::timeout : kind;
  error_ = std::string(phase) + ": " + (timed_out ? std::string("timed out") : ec.message());
  if (conn_) {
    boost::system::error_code ignored;
    conn_->tcp().socket().close(ignored);
  }
  return false;
}

net::awaitable<bool> UpstreamCall::attempt(const UpstreamRequest& req, bool& reused) {
  auto ex = co_await net::this_coro::executor;
  conn_ = take_idle(origin_.key());
  reused = conn_ != nullptr;
  if (!conn_) {
    conn_ = std::make_unique<UpstreamConnection>(ex, origin_);
    conn_->buffer.reserve(kConnectionBuffer);
    tcp::resolver resolver(ex);
    auto [rec, endpoints] = co_await resolver.async_resolve(origin_.host, origin_.port, as_tuple);
    if (rec) co_return fail(UpstreamFailure::connect, rec, "resolve " + origin_.host);
    conn_->tcp().expires_after(timeouts_.connect);
    auto [cec, ep] = co_await conn_->tcp().async_connect(endpoints, as_tuple);
    if (cec) co_return fail(UpstreamFailure::connect, cec, "connect to " + origin_.key());
    conn_->tcp().socket().set_option(tcp::no_delay(true));
    if (conn_->tls) {
      auto* native = conn_->tls->native_handle();
      if (!SSL_set_tlsext_host_name(native, origin_.host.c_str()))
        co_return fail(UpstreamFailure::connect, {static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()},
                       "TLS SNI");
      conn_->tls->set_verify_callback(ssl::host_name_verification(origin_.host));
      auto [hec] = co_await conn_->tls->async_handshake(ssl::stream_base::client, as_tuple);
      if (hec) co_return fail(UpstreamFailure::connect, hec, "TLS handshake with " + origin_.host);
    }
    conn_->tcp().expires_never();  // the connect timeout covered connect and handshake; the watch takes over
  }
  set_deadline(Clock::now() + timeouts_.first_byte);
  // The head is one string, sent with the body in one gather write.
  const std::string head = serialize_head(req, origin_.host_header());
  const std::array<net::const_buffer, 2> bufs{net::buffer(head), net::buffer(req.payload())};
  boost::system::error_code wec;
  const std::size_t sent = conn_->tls ? 0 : send_now(conn_->tcp().socket().native_handle(), bufs, wec);
  const auto rest = drop_front(bufs, sent);
  if (!wec && sent < total_size(bufs)) {
    auto [ec, n] = co_await conn_->with_stream([&](auto& s) { return net::async_write(s, rest, as_tuple); });
    wec = ec;
  }
  if (wec) co_return fail(UpstreamFailure::io, wec, "send request");
  // The response head: parsed from what is buffered, read for only when more is needed. Interim (1xx) answers
  // are skipped.
  head_.emplace();
  std::size_t scanned = 0;
  for (;;) {
    const std::string_view data = buffered(conn_->buffer);
    const std::size_t end = find_head_end(data, scanned);
    if (end == std::string_view::npos) co_return fail(UpstreamFailure::io, bad_message(), "read response headers");
    if (end != 0) {
      const HeadError e = parse_response_head(data.substr(0, end), kMaxResponseFields, *head_);
      conn_->buffer.consume(end);
      scanned = 0;
      if (e != HeadError::none) co_return fail(UpstreamFailure::io, bad_message(), "read response headers");
      if (head_->status >= 200) break;
      continue;
    }
    if (data.size() > kMaxResponseHead) co_return fail(UpstreamFailure::io, bad_message(), "read response headers");
    auto [hec, hn] = co_await read_into_buffer();
    if (hec) co_return fail(UpstreamFailure::io, hec, "read response headers");
    took(hn);
  }
  body_.emplace(*head_);
  co_return true;
}

net::awaitable<bool> UpstreamCall::start(const UpstreamRequest& req) {
  bool reused = false;
  bool ok = co_await attempt(req, reused);
  // A pooled connection can die between requests (the upstream's idle timeout): retry once on a fresh one.
  if (!ok && reused && failure_ == UpstreamFailure::io) {
    failure_ = UpstreamFailure::none;
    error_.clear();
    conn_.reset();
    ok = co_await attempt(req, reused);
  }
  co_return ok;
}

net::awaitable<bool> UpstreamCall::read_some(std::string& out) {
  if (!body_ || body_->done()) co_return true;
  for (;;) {
    // Bytes already buffered (they came with the head, or with the last read) are decoded first.
    if (conn_->buffer.size() > 0) {
      const std::size_t before = out.size();
      auto status = ResponseBody::Status::more;
      conn_->buffer.consume(body_->feed(buffered(conn_->buffer), out, status));
      if (status == ResponseBody::Status::malformed)
        co_return fail(UpstreamFailure::io, bad_message(), "read response body");
      if (status == ResponseBody::Status::done) mark_if_emptied();
      if (out.size() > before || status == ResponseBody::Status::done) co_return true;
    }
    set_deadline(Clock::now() + timeouts_.idle);
    auto [ec, n] = co_await read_into_buffer();
    if (ec == net::error::eof || ec == ssl::error::stream_truncated) {
      // The end of a body that runs to the connection's end; for any other body, a truncated one.
      if (body_->end_of_input() == ResponseBody::Status::done) co_return true;
      co_return fail(UpstreamFailure::io, ec, "read response body");
    }
    if (ec) co_return fail(UpstreamFailure::io, ec, "read response body");
    took(n);
  }
}

net::awaitable<std::tuple<boost::system::error_code, std::size_t>> UpstreamCall::read_into_buffer() {
  conn_->asked = read_room(conn_->buffer);
  const auto space = conn_->buffer.prepare(conn_->asked);
  // A plain connection is read on its socket: past the connect, beast::tcp_stream's timeout is off (the watch's timer
  // is the call's), and its read operation's wrapping cost ~500 instructions a read.
  if (conn_->plain) return conn_->plain->socket().async_read_some(space, as_tuple);
  return conn_->tls->async_read_some(space, as_tuple);
}

// The answer is whole and the read that ended it took less than it had room for: the next read on this connection
// is the next answer's, right after its request is sent, and it waits for readiness at once instead of trying.
// Marked here, as the coroutine resumes from that read, not when the connection goes back to the pool after the
// client's answer is written: a FIN behind the answer that the reactor handled meanwhile would be forgotten. (A FIN
// whose readiness event comes later undoes the mark; a pooled connection found closed, by the peer's RST to the next
// request, is retried.)
void UpstreamCall::mark_if_emptied() {
  if (conn_->plain && conn_->emptied && conn_->buffer.size() == 0 && head_->keep_alive)
    conn_->empty_marker.mark(conn_->plain->socket());
}

void UpstreamCall::took(std::size_t n) {
  conn_->buffer.commit(n);
  conn_->emptied = n < conn_->asked;
}

net::awaitable<bool> UpstreamCall::read_all(std::string& out, std::size_t limit) {
  for (;;) {
    if (done()) co_return true;
    const bool ok = co_await read_some(out);
    if (!ok) co_return false;
    if (out.size() > limit) {
      failure_ = UpstreamFailure::io;
      error_ = "response body larger than " + std::to_string(limit) + " bytes";
      co_return false;
    }
  }
}

net::awaitable<void> UpstreamCall::drain(std::chrono::milliseconds patience) {
  timeouts_.idle = patience;
  std::string discard;
  for (;;) {
    if (done() || failure_ != UpstreamFailure::none) co_return;
    discard.clear();
    const bool ok = co_await read_some(discard);
    if (!ok) co_return;
  }
}

bool UpstreamCall::done() const {
  return body_ && body_->done();
}
int UpstreamCall::status() const {
  return head_ ? head_->status : 0;
}
std::string_view UpstreamCall::header(std::string_view name) const {
  return head_ ? head_->header(name) : std::string_view();
}

}  // namespace sb::http
