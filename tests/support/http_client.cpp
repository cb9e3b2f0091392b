#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <poll.h>

#include "http/sse.hpp"

namespace sb::test {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using net::ip::tcp;

namespace {

bhttp::request<bhttp::string_body> make(const std::string& method, const std::string& target, const std::string& body,
                                        const Headers& headers) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!body.empty() || method == "POST") req.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  return req;
}

template <class Fields>
std::map<std::string, std::string> lower_headers(const Fields& f) {
  std::map<std::string, std::string> out;
  for (const auto& h : f) {
    std::string k(h.name_string());
    for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out[k] = std::string(h.value());
  }
  return out;
}

}  // namespace

HttpResponse http_request(unsigned short port, const std::string& method, const std::string& target,
                          const std::string& body, const Headers& headers) {
  net::io_context io;
  beast::tcp_stream s(io);
  s.expires_after(std::chrono::seconds(30));
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  bhttp::write(s, make(method, target, body, headers));
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code ec;
  bhttp::read(s, buf, parser, ec);
  HttpResponse r;
  r.status = static_cast<int>(parser.get().result_int());
  r.headers = lower_headers(parser.get().base());
  r.body = parser.get().body();
  r.complete = !ec && parser.is_done();
  return r;
}

StreamResponse http_stream(unsigned short port, const std::string& target, const std::string& body,
                           const Headers& headers, const std::function<bool(const TimedEvent&)>& on_event,
                           std::chrono::milliseconds timeout) {
  net::io_context io;
  beast::tcp_stream s(io);
  s.expires_after(timeout);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  s.socket().set_option(tcp::no_delay(true));
  const auto t0 = std::chrono::steady_clock::now();
  bhttp::write(s, make("POST", target, body, headers));
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);
  StreamResponse r;
  beast::error_code ec;
  bhttp::read_header(s, buf, parser, ec);
  if (ec) return r;
  r.status = static_cast<int>(parser.get().result_int());
  r.headers = lower_headers(parser.get().base());
  http::SseParser sse;
  bool hang_up = false;
  while (!parser.is_done() && !hang_up) {
    char tmp[16384];
    parser.get().body().data = tmp;
    parser.get().body().size = sizeof tmp;
    bhttp::read_some(s, buf, parser, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) return r;
    const std::size_t n = sizeof tmp - parser.get().body().size;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    r.body.append(tmp, n);
    sse.feed(std::string_view(tmp, n), [&](const http::SseEvent& e) {
      if (hang_up) return;
      TimedEvent te{std::string(e.has_data ? e.data : e.raw), ms};
      r.events.push_back(te);
      if (on_event && !on_event(te)) hang_up = true;
    });
  }
  if (hang_up) {
    s.socket().shutdown(tcp::socket::shutdown_both, ec);
    s.close();
    return r;
  }
  r.complete = parser.is_done();
  return r;
}

std::string raw_exchange(unsigned short port, const std::string& bytes, std::chrono::milliseconds timeout) {
  // Plain socket and poll(): a sync read on a beast::tcp_stream ignores its expiry, and `timeout` must hold.
  net::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  beast::error_code ec;
  net::write(s, net::buffer(bytes), ec);  // a failed write (the server answered and closed first): read what came
  ec = {};
  const auto until = std::chrono::steady_clock::now() + timeout;
  std::string out;
  char tmp[4096];
  while (!ec) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;  // timed out: hang up
    pollfd p{s.native_handle(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready != 1) break;
    const std::size_t n = s.read_some(net::buffer(tmp), ec);
    out.append(tmp, n);
  }
  return out;
}

}  // namespace sb::test
