// The HTTP request path, end to end: an in-process server (our request framing with its limits, routing, the
// chat handler on the mock provider) gets each input as the bytes of one client connection. Any input must end
// with the server closing the connection within a bounded time, answering only with well-formed HTTP/1.1 and never
// with a 5xx other than 503 (an unconfigured provider). Before that, in-process: when the request framing takes
// the input's first request whole, Beast's (more lenient) parser must read the same request from it.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "app/app.hpp"
#include "http/server.hpp"
#include "obs/logging.hpp"
#include "providers/registry.hpp"
#include "support/request_wire.hpp"

namespace {

struct Fixture {
  std::shared_ptr<sb::app::App> app;
  std::unique_ptr<sb::http::Server> server;
  unsigned short port = 0;
  sb::http::ServerLimits limits;

  Fixture() {
    sb::obs::setup_logging("critical", "text");
    sb::core::Settings s;
    s.mock_interval_ms = 0;
    s.max_body_bytes = 64 * 1024;
    s.max_json_depth = 32;
    s.max_messages = 100;
    auto registry = sb::providers::build_registry(s);
    if (!registry) std::abort();
    app = std::make_shared<sb::app::App>(s, std::move(*registry));
    limits.max_body_bytes = s.max_body_bytes;
    limits.max_header_bytes = 8 * 1024;
    limits.max_header_count = 50;
    limits.max_url_bytes = 2048;
    limits.idle_timeout = std::chrono::milliseconds(2000);
    limits.request_timeout = std::chrono::milliseconds(2000);
    auto* a = app.get();
    server = std::make_unique<sb::http::Server>(
        limits, [a](sb::http::Request& req, sb::http::Responder& res) { return a->handle(req, res); }, 1);
    port = server->listen("127.0.0.1", 0);
    server->start();
  }
};

Fixture& fixture() {
  static auto* f = new Fixture();  // never destroyed: the server threads run until the process exits
  return *f;
}

// Which of the requests in `wire` the server takes whole, in order, are HEAD requests (their answers carry a
// Content-Length but no body). Stops at the first request the server would refuse or not see whole.
std::vector<bool> head_requests(std::string_view wire, const sb::http::ServerLimits& limits) {
  std::vector<bool> heads;
  while (heads.size() < 256) {
    const auto r = sb::test::parse_whole_request(wire, {limits.max_header_count, limits.max_url_bytes},
                                                 limits.max_body_bytes);
    if (!r.complete || r.head_bytes > limits.max_header_bytes) break;
    heads.push_back(r.head.view(r.head.method) == "HEAD");
    wire.remove_prefix(r.used);
  }
  return heads;
}

// Parses the server's answers one after the other: each must be well-formed HTTP/1.1, 5xx only as 503.
void check_responses(std::string_view out, const std::vector<bool>& heads) {
  namespace bhttp = boost::beast::http;
  std::size_t answered = 0;  // final answers seen so far (interim 1xx ones answer no request)
  while (!out.empty()) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(answered < heads.size() && heads[answered]);
    parser.eager(true);
    parser.body_limit(16 * 1024 * 1024);
    boost::beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(out.data(), out.size()), ec);
    // A stream cut short is legitimate here: the harness half-closes its side, which the chat handler takes
    // for a hang-up (maybe right after the head). Anything else must parse completely.
    const bool cut_stream = (ec == bhttp::error::need_more || (!ec && used == out.size())) &&
                            parser.is_header_done() && !parser.is_done() && parser.get().result_int() == 200 &&
                            parser.chunked();
    if (cut_stream) return;
    if (ec || !parser.is_done()) {
      std::fprintf(stderr, "malformed or truncated response (%s)\n", ec.message().c_str());
      std::abort();
    }
    const int status = parser.get().result_int();
    if (status >= 500 && status != 503) {
      std::fprintf(stderr, "server answered %d\n", status);
      std::abort();
    }
    if (status >= 200) ++answered;
    out.remove_prefix(used);
  }
}

// A connection to the in-process server. A connect() that fails for a reason of the moment (interrupted by
// libFuzzer's timer signal, no ephemeral port free yet after thousands of short connections) is retried for a
// while; a refusal, or failing for 10 s, means the server stopped accepting: a finding.
int connect_to_server(unsigned short port) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) std::abort();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
    const int err = errno;
    ::close(fd);
    const bool transient = err == EINTR || err == EAGAIN || err == EADDRNOTAVAIL || err == ETIMEDOUT;
    if (!transient || std::chrono::steady_clock::now() > until) {
      std::fprintf(stderr, "connect to the in-process server: %s\n", std::strerror(err));
      std::abort();
    }
    ::usleep(10'000);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view wire(reinterpret_cast<const char*>(data), size);
  if (const auto ours = sb::test::parse_whole_request(wire); ours.complete) {
    if (const auto diff = sb::test::beast_disagrees(wire, ours); !diff.empty()) {
      std::fprintf(stderr, "request framing disagrees with Beast: %s\n", diff.c_str());
      std::abort();
    }
  }
  auto& f = fixture();
  const int fd = connect_to_server(f.port);
  std::size_t sent = 0;
  while (sent < size) {
    const auto n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (limits): fine
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string out;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      std::fprintf(stderr, "hang: the server did not close the connection within 10 s\n");
      std::abort();
    }
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
    char buf[8192];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  check_responses(out, head_requests(wire, f.limits));
  return 0;
}
