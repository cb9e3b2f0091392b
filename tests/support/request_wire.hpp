// Test helpers for the server's request framing (http/framing.hpp): one whole request parsed the way the
// server does, and the differential check against Beast's request parser used by the unit tests and the fuzzer.
#pragma once
#include <algorithm>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/framing.hpp"

namespace sb::test {

struct WholeRequest {
  http::HeadError head_error = http::HeadError::none;
  bool complete = false;  // head and body all there and well-formed
  http::RequestHead head;
  std::string body;
  std::size_t head_bytes = 0;  // the head's size, blank line included
  std::size_t used = 0;        // bytes of the input the request takes (leading empty lines, head, body)
};

// Parses the first request in `wire`: leading empty lines skipped, the head, then the body it announces.
inline WholeRequest parse_whole_request(std::string_view wire, http::HeadLimits limits = {},
                                        std::size_t max_body = 1 << 20) {
  WholeRequest out;
  const std::size_t total = wire.size();
  while (wire.starts_with("\r\n")) wire.remove_prefix(2);
  std::size_t scanned = 0;
  const std::size_t end = http::find_head_end(wire, scanned);
  if (end == std::string_view::npos || end == 0) {
    out.head_error = end == 0 ? http::HeadError::none : http::HeadError::malformed;
    return out;
  }
  out.head_error = http::parse_request_head(wire.substr(0, end), limits, out.head);
  if (out.head_error != http::HeadError::none) return out;
  out.head_bytes = end;
  const auto rest = wire.substr(end);
  const std::size_t before_body = total - rest.size();
  if (out.head.chunked) {
    http::ChunkedDecoder d(max_body, 16 * 1024);
    auto st = http::ChunkedDecoder::Status::more;
    out.used = before_body + d.feed(rest, out.body, st);
    out.complete = st == http::ChunkedDecoder::Status::done;
  } else {
    const auto len = out.head.content_length.value_or(0);
    out.complete = rest.size() >= len;
    if (out.complete) out.body = std::string(rest.substr(0, len));
    out.used = before_body + static_cast<std::size_t>(len);
  }
  return out;
}

// For a request parse_whole_request took whole: does Beast's (more lenient) parser read the same request from
// `wire`? Empty when it does, else what differs.
inline std::string beast_disagrees(std::string_view wire, const WholeRequest& ours) {
  namespace bhttp = boost::beast::http;
  while (wire.starts_with("\r\n")) wire.remove_prefix(2);
  // Beast reads trailer fields like header fields and refuses framing ones there; they frame nothing (RFC 9110
  // 6.5.1) and are dropped by our decoder: not a disagreement about the request.
  if (const auto last = wire.rfind("\r\n0"); ours.head.chunked && last != std::string_view::npos &&
      (wire.find("Transfer-Encoding", last) != std::string_view::npos ||
       wire.find("Content-Length", last) != std::string_view::npos))
    return {};
  bhttp::request_parser<bhttp::string_body> beast;
  beast.eager(true);
  beast.header_limit(1 << 20);
  beast.body_limit(1 << 20);
  boost::beast::error_code ec;
  beast.put(boost::asio::buffer(wire.data(), wire.size()), ec);
  if (ec || !beast.is_done()) return "Beast refuses it: " + (ec ? ec.message() : std::string("incomplete"));
  const auto& msg = beast.get();
  if (msg.method_string() != ours.head.view(ours.head.method)) return "method";
  if (msg.target() != ours.head.view(ours.head.target)) return "target";
  if (msg.version() != ours.head.version) return "version";
  if (msg.body() != ours.body) return "body";
  if (msg.keep_alive() != ours.head.keep_alive) return "keep-alive";
  // The same fields (Beast keeps fields of one name together, and appends trailer fields, which are dropped
  // here): compared as sorted lists.
  std::vector<std::pair<std::string, std::string>> theirs, mine;
  for (const auto& f : msg) theirs.emplace_back(f.name_string(), f.value());
  for (const auto& f : ours.head.fields) mine.emplace_back(ours.head.view(f.name), ours.head.view(f.value));
  std::sort(theirs.begin(), theirs.end());
  std::sort(mine.begin(), mine.end());
  const bool same = ours.head.chunked ? std::includes(theirs.begin(), theirs.end(), mine.begin(), mine.end())
                                      : theirs == mine;
  return same ? std::string() : "fields";
}

}  // namespace sb::test
