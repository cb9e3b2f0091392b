#include "http/framing.hpp"

#include <gtest/gtest.h>


#include "support/request_wire.hpp"
#include "support/mutate.hpp"

namespace sb::http {
namespace {

using namespace std::string_literals;

using test::parse_whole_request;

TEST(RequestHead, ParsesATypicalRequest) {
  const std::string head =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"
      "Authorization:   Bearer sk-1  \r\nX-Session-Id:\t abc\r\nContent-Length: 12\r\nX-Empty:\r\n\r\n";
  std::size_t scanned = 0;
  ASSERT_EQ(find_head_end(head + "{\"a\":1}     ", scanned), head.size());
  RequestHead h;
  ASSERT_EQ(parse_request_head(head, {}, h), HeadError::none);
  EXPECT_EQ(h.view(h.method), "POST");
  EXPECT_EQ(h.view(h.target), "/v1/chat/completions?x=1");
  EXPECT_EQ(h.version, 11u);
  EXPECT_EQ(h.fields.size(), 6u);
  EXPECT_EQ(h.header("authorization"), "Bearer sk-1") << "optional whitespace around a value is not part of it";
  EXPECT_EQ(h.header("X-SESSION-ID"), "abc");
  EXPECT_EQ(h.header("x-empty"), "");
  EXPECT_EQ(h.header("x-missing"), "");
  EXPECT_EQ(h.content_length, 12u);
  EXPECT_FALSE(h.chunked);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.expect_continue);
  RequestHead copy = h;  // positions, not pointers: a copy reads its own bytes
  h.bytes.assign(h.bytes.size(), '#');
  EXPECT_EQ(copy.header("host"), "127.0.0.1:8080");
}

TEST(RequestHead, TheEndIsFoundWhateverPiecesTheHeadArrivesIn) {
  const std::string wire = "GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\nGET /next";
  const std::size_t head = wire.find("GET /next");
  for (std::size_t step = 1; step <= 7; ++step) {
    std::size_t scanned = 0, found = 0;
    for (std::size_t have = 0; have <= wire.size() && found == 0; have += step)
      found = find_head_end(std::string_view(wire).substr(0, std::min(have, wire.size())), scanned);
    EXPECT_EQ(found, head) << "step " << step;
  }
  std::size_t scanned = 0;
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: x\r\n\r\n", scanned), std::string_view::npos) << "bare LF";
  scanned = 0;
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n\r", scanned), 0u);
}

TEST(RequestHead, ConnectionAndVersion) {
  auto head = [](const std::string& version, const std::string& fields) {
    RequestHead h;
    EXPECT_EQ(parse_request_head("GET / " + version + "\r\n" + fields + "\r\n", {}, h), HeadError::none);
    return h;
  };
  EXPECT_TRUE(head("HTTP/1.1", "").keep_alive);
  EXPECT_FALSE(head("HTTP/1.1", "Connection: close\r\n").keep_alive);
  EXPECT_FALSE(head("HTTP/1.1", "Connection: Upgrade, CLOSE\r\n").keep_alive);
  EXPECT_FALSE(head("HTTP/1.0", "").keep_alive);
  EXPECT_TRUE(head("HTTP/1.0", "Connection: keep-alive\r\n").keep_alive);
  EXPECT_EQ(head("HTTP/1.0", "").version, 10u);
  EXPECT_TRUE(head("HTTP/1.1", "Expect: 100-Continue\r\n").expect_continue);
  EXPECT_TRUE(head("HTTP/1.1", "Transfer-Encoding: Chunked\r\n").chunked);
  EXPECT_TRUE(head("HTTP/1.1", "Transfer-Encoding: ,chunked\r\n").chunked) << "empty list elements are skipped";
  EXPECT_EQ(head("HTTP/1.1", "Content-Length: 5\r\ncontent-length: 5\r\n").content_length, 5u)
      << "repeated with the same value";
  // The framing names in any case (compared eight bytes at a time), and names that only look like them.
  EXPECT_EQ(head("HTTP/1.1", "CONTENT-LENGTH: 7\r\n").content_length, 7u);
  EXPECT_EQ(head("HTTP/1.1", "cOnTeNt-LeNgTh: 8\r\n").content_length, 8u);
  EXPECT_TRUE(head("HTTP/1.1", "TRANSFER-ENCODING: chunked\r\n").chunked);
  EXPECT_FALSE(head("HTTP/1.1", "CONNECTION: close\r\n").keep_alive);
  EXPECT_TRUE(head("HTTP/1.1", "EXPECT: 100-continue\r\n").expect_continue);
  EXPECT_FALSE(head("HTTP/1.1", "Content-Lengtx: 5\r\n").content_length);
  EXPECT_FALSE(head("HTTP/1.1", "Xontent-Length: 5\r\n").content_length);
  EXPECT_FALSE(head("HTTP/1.1", "Content_Length: 5\r\n").content_length);
  EXPECT_FALSE(head("HTTP/1.1", "Transfer-Encodinh: chunked\r\n").chunked);
  EXPECT_FALSE(head("HTTP/1.1", "Expecx: 100-continue\r\n").expect_continue);
  EXPECT_TRUE(head("HTTP/1.1", "Connectio_: close\r\n").keep_alive);
  // Long names with every kind of token byte (the sixteen-byte scan hands over to the table at the first one
  // that is not a letter, digit or '-').
  const auto h = head("HTTP/1.1", "X-A-Very-Long-Field-Name-0123456789: 1\r\nX.Odd_Name!#$%&'*+^`|~tail: 2\r\n");
  ASSERT_EQ(h.fields.size(), 2u);
  EXPECT_EQ(h.header("x-a-very-long-field-name-0123456789"), "1");
  EXPECT_EQ(h.header("X.Odd_Name!#$%&'*+^`|~tail"), "2");
  RequestHead bad;
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nX-A-Very-Long-Name-With\x01-Control: 1\r\n\r\n", {}, bad),
            HeadError::malformed);
}

TEST(RequestHead, RefusesWhatCouldBeReadTwoWays) {
  const std::vector<std::pair<std::string, HeadError>> cases = {
      {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", HeadError::malformed},                 // obs-fold
      {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", HeadError::malformed},                            // space before colon
      {"GET / HTTP/1.1\r\n Host: x\r\n\r\n", HeadError::malformed},                            // leading space
      {"GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n", HeadError::malformed},                          // CR in a value
      {"GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n"s, HeadError::malformed},                         // NUL in a value
      {"GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HeadError::malformed},
      {"GET / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", HeadError::malformed},
      {"GET / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", HeadError::malformed},
      {"GET / HTTP/1.1\r\nContent-Length: \r\n\r\n", HeadError::malformed},
      {"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", HeadError::malformed},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HeadError::malformed},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", HeadError::bad_coding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", HeadError::bad_coding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", HeadError::bad_coding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n", HeadError::bad_coding},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", HeadError::bad_coding},
      {"GET / HTTP/2.0\r\n\r\n", HeadError::malformed},
      {"GET / http/1.1\r\n\r\n", HeadError::malformed},
      {"GET  / HTTP/1.1\r\n\r\n", HeadError::malformed},
      {"GET /a b HTTP/1.1\r\n\r\n", HeadError::malformed},
      {" GET / HTTP/1.1\r\n\r\n", HeadError::malformed},
      {"G(T / HTTP/1.1\r\n\r\n", HeadError::malformed},
      {"GET / HTTP/1.1 \r\n\r\n", HeadError::malformed},
      {"GET / HTTP/1.1\r\n: x\r\n\r\n", HeadError::malformed},
  };
  for (const auto& [wire, want] : cases) {
    RequestHead h;
    EXPECT_EQ(parse_request_head(wire, {}, h), want) << wire;
  }
}

TEST(RequestHead, EveryByteOfAValueOrTargetIsChecked) {
  // Values and targets are scanned eight bytes at a time: a bad byte at any offset must still be found.
  for (std::size_t at = 0; at < 24; ++at) {
    auto with = [&](char c) { return std::string(at, 'a') + c + std::string(13, 'b'); };
    RequestHead h;
    for (const char bad : {'\x7f', '\x00', '\x01', '\x1f', '\r', '\n'}) {
      EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nX: " + with(bad) + "\r\n\r\n", {}, h), HeadError::malformed)
          << at << " " << int(bad);
      EXPECT_EQ(parse_request_head("GET /" + with(bad) + " HTTP/1.1\r\n\r\n", {}, h), HeadError::malformed)
          << at << " " << int(bad);
    }
    for (const char good : {'\t', ' ', '\x80', '\xff', '~'}) {
      ASSERT_EQ(parse_request_head("GET / HTTP/1.1\r\nX: " + with(good) + "\r\n\r\n", {}, h), HeadError::none);
      const bool ows = at == 0 && (good == ' ' || good == '\t');  // leading whitespace is not part of a value
      EXPECT_EQ(h.header("x"), ows ? with(good).substr(1) : with(good)) << at;
    }
    EXPECT_EQ(parse_request_head("GET /" + with(' ') + " HTTP/1.1\r\n\r\n", {}, h), HeadError::malformed);
    ASSERT_EQ(parse_request_head("GET /" + with('\x80') + " HTTP/1.1\r\n\r\n", {}, h), HeadError::none);
    EXPECT_EQ(h.view(h.target), "/" + with('\x80'));
  }
}

TEST(RequestHead, Limits) {
  RequestHead h;
  EXPECT_EQ(parse_request_head("GET /" + std::string(99, 'a') + " HTTP/1.1\r\n\r\n", {.max_url_bytes = 100}, h),
            HeadError::none);
  EXPECT_EQ(parse_request_head("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n", {.max_url_bytes = 100}, h),
            HeadError::url_too_long);
  std::string fields;
  for (int i = 0; i < 4; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\n" + fields + "\r\n", {.max_header_count = 4}, h), HeadError::none);
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\n" + fields + "X-4: v\r\n\r\n", {.max_header_count = 4}, h),
            HeadError::too_many_fields);
}

TEST(ChunkedBody, DecodesInAnyPiecesAndStopsAtItsEnd) {
  const std::string body = "4\r\nWiki\r\n5;name=value\r\npedia\r\nE ; q = \"a\\\"b\" ;x\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n";
  const std::string after = "GET /next HTTP/1.1\r\n\r\n";
  const std::string wire = body + after;
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    ChunkedDecoder d(1 << 20, 1024);
    std::string out;
    auto st = ChunkedDecoder::Status::more;
    std::size_t used = 0, pending_from = 0;
    // Feeds what has "arrived" so far; bytes not used are offered again with the next piece (as the server does).
    for (std::size_t have = step; st == ChunkedDecoder::Status::more; have = std::min(have + step, wire.size())) {
      used += d.feed(std::string_view(wire).substr(pending_from, have - pending_from), out, st);
      pending_from = used;
      if (have == wire.size()) break;
    }
    ASSERT_EQ(st, ChunkedDecoder::Status::done) << "step " << step;
    EXPECT_EQ(out, "Wikipedia in\r\n\r\nchunks.") << "step " << step;
    EXPECT_EQ(used, body.size()) << "the next request is left for the next parse";
  }
}

TEST(ChunkedBody, RefusesBadFramingAndTooMuch) {
  const std::vector<std::pair<std::string, ChunkedDecoder::Status>> cases = {
      {"4\r\nWikiX\r\n0\r\n\r\n", ChunkedDecoder::Status::malformed},  // data longer than its size
      {"4\nWiki\r\n0\r\n\r\n", ChunkedDecoder::Status::malformed},      // bare LF
      {"g\r\n", ChunkedDecoder::Status::malformed},
      {"\r\n", ChunkedDecoder::Status::malformed},
      {"-1\r\n", ChunkedDecoder::Status::malformed},
      {"ffffffffffffffffff\r\n", ChunkedDecoder::Status::too_large},
      {"401\r\n", ChunkedDecoder::Status::too_large},  // 1025 > the 1024 left
      {"0\r\nX: \x01\r\n\r\n", ChunkedDecoder::Status::malformed},
      {"1;" + std::string(300, 'e') + "\r\n", ChunkedDecoder::Status::malformed},  // extensions over their limit
  };
  for (const auto& [wire, want] : cases) {
    ChunkedDecoder d(1024, 256);
    std::string out;
    auto st = ChunkedDecoder::Status::more;
    d.feed(wire, out, st);
    EXPECT_EQ(st, want) << wire;
  }
  ChunkedDecoder d(1024, 256);  // the limit counts the whole body, not one chunk
  std::string out;
  auto st = ChunkedDecoder::Status::more;
  const std::string kb = "200\r\n" + std::string(512, 'x') + "\r\n";
  d.feed(kb + kb + "1\r\n", out, st);
  EXPECT_EQ(st, ChunkedDecoder::Status::too_large);
}

// Differential: every request this parser takes whole, Beast's parser (which is more lenient) takes as the same
// request. Mutations of valid requests with HTTP's delimiters and tokens; fixed seed, so a failure reproduces.
// (fuzz_http_server makes the same check on every input.)
TEST(RequestParser, AgreesWithBeastOnMutatedRequests) {
  const std::vector<std::string> seeds = {
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n"
      "{\"a\":1}",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
      "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\nX-Request-Id: abc\r\n\r\n",
      "GET /v1/models?x=1 HTTP/1.1\r\nAuthorization: Bearer k\r\nConnection: close\r\n\r\n",
  };
  const std::vector<std::string> tokens = {"\r\n", "\n", "\r", " ", "\t", ":", ",", "0", "5", "chunked", "close",
                                           "Content-Length: 3\r\n", "Transfer-Encoding: chunked\r\n",
                                           "Transfer-Encoding: gzip\r\n", "HTTP/1.0", "\x7f", "\xc3\xa9", "\0"s, ";"};
  test::Mutator mutate;
  int accepted = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string w = seeds[mutate.pick(seeds.size())];
    mutate.edit(w, tokens, 3);
    const auto ours = parse_whole_request(w);
    if (!ours.complete) continue;
    ++accepted;
    EXPECT_EQ(test::beast_disagrees(w, ours), "") << w;
  }
  EXPECT_GT(accepted, 1000) << "the mutations must leave enough valid requests to compare";
}

}  // namespace
}  // namespace sb::http

namespace sb::http {
namespace {

ResponseHead response(const std::string& head, HeadError want = HeadError::none) {
  ResponseHead h;
  EXPECT_EQ(parse_response_head(head, 100, h), want) << head;
  return h;
}

// Feeds `wire` (the bytes after the head) in pieces of `step`, then the connection's end when `eof`.
std::pair<std::string, ResponseBody::Status> body_of(const ResponseHead& h, const std::string& wire, std::size_t step,
                                                     bool eof, std::size_t* used_total = nullptr) {
  ResponseBody b(h);
  std::string out;
  auto st = b.done() ? ResponseBody::Status::done : ResponseBody::Status::more;
  std::size_t used = 0, have = 0;
  while (st == ResponseBody::Status::more && have < wire.size()) {
    have = std::min(have + step, wire.size());
    used += b.feed(std::string_view(wire).substr(used, have - used), out, st);
  }
  if (st == ResponseBody::Status::more && eof) st = b.end_of_input();
  if (used_total) *used_total = used;
  return {out, st};
}

TEST(ResponseHead, StatusLineAndFraming) {
  auto h = response("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.until_close);
  EXPECT_EQ(h.header("content-type"), "application/json");
  EXPECT_EQ(response("HTTP/1.1 429 \r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n").header("retry-after"), "3");
  EXPECT_EQ(response("HTTP/1.1 204\r\n\r\n").status, 204) << "no reason phrase, no space before it";
  EXPECT_TRUE(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").chunked);
  h = response("HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_TRUE(h.until_close) << "no length: the body runs to the connection's end";
  EXPECT_FALSE(h.keep_alive);
  h = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
  EXPECT_TRUE(h.until_close) << "not chunked at the end: read to the end (RFC 9112 6.3)";
  EXPECT_FALSE(response("HTTP/1.1 304 Not Modified\r\n\r\n").until_close);
  EXPECT_FALSE(response("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n").keep_alive);
  EXPECT_TRUE(response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n").keep_alive);
  EXPECT_FALSE(response("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n").keep_alive);

  response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HeadError::malformed);
  response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", HeadError::bad_coding);
  response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HeadError::malformed);
  response("HTTP/1.1 20 OK\r\n\r\n", HeadError::malformed);
  response("HTTP/1.1 099 OK\r\n\r\n", HeadError::malformed);
  response("HTTP/1.1 2000 OK\r\n\r\n", HeadError::malformed);
  response("HTTP/2 200 OK\r\n\r\n", HeadError::malformed);
  response("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", HeadError::malformed);
  response("HTTP/1.1 200 O\x01K\r\n\r\n", HeadError::malformed);
}

TEST(ResponseBody, EachFramingInAnyPieces) {
  const auto sized = response("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");
  const auto chunked = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  const auto to_end = response("HTTP/1.1 200 OK\r\n\r\n");
  for (std::size_t step : {1u, 2u, 3u, 7u, 100u}) {
    std::size_t used = 0;
    auto [out, st] = body_of(sized, "hello worldHTTP/1.1 200", step, false, &used);
    EXPECT_EQ(st, ResponseBody::Status::done);
    EXPECT_EQ(out, "hello world");
    EXPECT_EQ(used, 11u) << "bytes after the body are not taken";

    std::tie(out, st) = body_of(chunked, "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n", step, false);
    EXPECT_EQ(st, ResponseBody::Status::done);
    EXPECT_EQ(out, "hello world");

    std::tie(out, st) = body_of(to_end, "hello world", step, true);
    EXPECT_EQ(st, ResponseBody::Status::done);
    EXPECT_EQ(out, "hello world");
  }
  EXPECT_EQ(body_of(sized, "hello", 3, true).second, ResponseBody::Status::malformed) << "cut short";
  EXPECT_EQ(body_of(chunked, "6\r\nhello \r\n", 3, true).second, ResponseBody::Status::malformed) << "cut short";
  EXPECT_EQ(body_of(chunked, "6\r\nhello world\r\n", 3, false).second, ResponseBody::Status::malformed);
  EXPECT_TRUE(ResponseBody(response("HTTP/1.1 204 No Content\r\n\r\n")).done());
  EXPECT_TRUE(ResponseBody(response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).done());
}

}  // namespace
}  // namespace sb::http
