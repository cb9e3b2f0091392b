// Upstream response framing (http/framing.hpp), as the upstream client uses it: a head found and parsed, then the
// body decoded. Any bytes, cut anywhere (first input byte: how), must give the same answer as the whole input; a
// body never takes bytes past its end; and when a response is taken whole with a length or chunks, Beast's (more
// lenient) parser must read the same status and body from the same bytes (unless a status line leaves out the space
// before an empty reason, which only we accept).
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/framing.hpp"

namespace {

struct Read {
  bool head = false, complete = false, malformed = false;
  int status = 0;
  bool chunked = false, until_close = false;
  std::string body;
  std::size_t used = 0;  // bytes of the input that belong to the response
  bool operator==(const Read&) const = default;
};

Read read(std::string_view in, std::size_t cut_seed) {
  using sb::http::ResponseBody;
  Read r;
  sb::http::ResponseHead head;
  std::size_t scanned = 0, have = 0, step = 0, end = 0;
  auto next_piece = [&] {
    const std::size_t n = cut_seed == 0 ? in.size() : 1 + (cut_seed * (step + 3) + step * step) % 17;
    have = std::min(in.size(), have + n);
    ++step;
  };
  // The head, as the bytes arrive (interim 1xx answers skipped, as the client does).
  for (;;) {
    next_piece();
    for (;;) {
      end = sb::http::find_head_end(in.substr(r.used, have - r.used), scanned);
      if (end == std::string_view::npos) {
        r.malformed = true;
        return r;
      }
      if (end == 0) break;
      if (sb::http::parse_response_head(in.substr(r.used, end), 256, head) != sb::http::HeadError::none) {
        r.malformed = true;
        return r;
      }
      r.used += end;
      scanned = 0;
      if (head.status >= 200) break;
    }
    if ((end != 0 && head.status >= 200) || have == in.size()) break;
  }
  if (end == 0 || head.status < 200) return r;  // the input ended inside a head
  r.head = true;
  r.status = head.status;
  r.chunked = head.chunked;
  r.until_close = head.until_close;
  ResponseBody body(head);
  auto st = body.done() ? ResponseBody::Status::done : ResponseBody::Status::more;
  while (st == ResponseBody::Status::more) {
    if (r.used < have) r.used += body.feed(in.substr(r.used, have - r.used), r.body, st);
    if (st != ResponseBody::Status::more) break;
    if (have == in.size()) {
      st = body.end_of_input();
      break;
    }
    next_piece();
  }
  r.complete = st == ResponseBody::Status::done;
  r.malformed = st == ResponseBody::Status::malformed;
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Read whole = read(in, 0);
  const Read split = read(in, data[0] | 1u);
  if (!(whole == split)) std::abort();
  if (whole.used > in.size()) std::abort();
  if (!whole.complete || whole.until_close || whole.malformed) return 0;
  // Beast, on the same bytes up to the end of this response (the interim answers it would report first are cut).
  namespace bhttp = boost::beast::http;
  std::string_view rest = in;
  for (;;) {
    // "HTTP/1.1 204\r\n", no space before an empty reason, is taken here (servers send it) and refused by Beast.
    if (rest.size() < 13 || rest[12] != ' ') return 0;
    bhttp::response_parser<bhttp::string_body> beast;
    beast.eager(true);
    beast.body_limit(1 << 24);
    beast.header_limit(1 << 20);
    boost::beast::error_code ec;
    const std::size_t used = beast.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec || !beast.is_header_done()) std::abort();  // we took a response Beast refuses
    if (beast.get().result_int() < 200) {
      rest.remove_prefix(used);
      continue;
    }
    if (!beast.is_done() || beast.get().result_int() != whole.status || beast.get().body() != whole.body) std::abort();
    return 0;
  }
}
