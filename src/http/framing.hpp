// HTTP/1.1 message framing (RFC 9112): requests for the server, responses for the upstream client. A head is
// parsed in one pass once its blank line is in, a body by an incremental decoder. Strict wherever leniency lets
// two parsers disagree about where a message ends (request smuggling, response splitting): a bare LF, obs-fold,
// whitespace before a colon, Content-Length together with Transfer-Encoding, conflicting Content-Lengths and
// transfer codings we cannot undo are all refused.
#pragma once
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace sb::http {

// ASCII case-insensitive equality (header names, tokens): no locale.
bool ascii_iequals(std::string_view a, std::string_view b);

// Appends the pieces to `out` with one growth (no strlen, no capacity check per piece): heads are built from a
// dozen or more short pieces.
inline void append_pieces(std::string& out, std::initializer_list<std::string_view> pieces) {
  std::size_t n = 0;
  for (const auto p : pieces) n += p.size();
  const std::size_t at = out.size();
  out.resize(at + n);
  char* d = out.data() + at;
  for (const auto p : pieces) d = std::char_traits<char>::copy(d, p.data(), p.size()) + p.size();
}

// An integer in decimal, formatted in place (a piece for append_pieces).
class Decimal {
 public:
  template <class Int>
  explicit Decimal(Int v)
      : size_(static_cast<std::size_t>(std::to_chars(digits_, digits_ + sizeof digits_, v).ptr - digits_)) {}
  [[nodiscard]] std::string_view view() const { return {digits_, size_}; }

 private:
  char digits_[24];  // any 64-bit integer, sign included
  std::size_t size_;
};

// The readable bytes of an Asio/Beast buffer (e.g. beast::flat_buffer) as text.
template <class Buffer>
std::string_view buffered(const Buffer& b) {
  const auto d = b.data();
  return {static_cast<const char*>(d.data()), d.size()};
}

struct HeadLimits {
  std::size_t max_header_count = 100;
  std::size_t max_url_bytes = 8 * 1024;
};

enum class HeadError { none, malformed, bad_coding, url_too_long, too_many_fields };

// What a request head and a response head share. Positions point into `bytes`, so copies stay valid.
struct MessageHead {
  struct Span {
    std::uint32_t pos = 0, len = 0;
  };
  struct Field {
    Span name, value;
  };
  std::string bytes;  // the head as received, blank line included
  unsigned version = 11;  // 10 or 11
  boost::container::small_vector<Field, 12> fields;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;

  [[nodiscard]] std::string_view view(Span s) const { return {bytes.data() + s.pos, s.len}; }
  // The value of the first field named `name` (ASCII case-insensitive); empty when there is none.
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

struct RequestHead : MessageHead {
  Span method, target;
  bool expect_continue = false;
};

struct ResponseHead : MessageHead {
  int status = 0;
  bool until_close = false;  // no length given: the body ends when the server closes the connection
  // Whether a body follows at all (none after 1xx, 204 and 304).
  [[nodiscard]] bool has_body() const { return status >= 200 && status != 204 && status != 304; }
};

// Looks for the blank line that ends a head in `data`, from `scanned` on (the bytes before were looked at by an
// earlier call; it is advanced). Returns the size of the head (blank line included), 0 when it is not all there
// yet, or npos when a line ends in a bare LF.
std::size_t find_head_end(std::string_view data, std::size_t& scanned);

// Parses a whole head (as found by find_head_end) into `out`.
HeadError parse_request_head(std::string_view head, const HeadLimits& limits, RequestHead& out);
HeadError parse_response_head(std::string_view head, std::size_t max_fields, ResponseHead& out);

// Decodes a chunked body as its bytes arrive, appending the data to `body`; chunk extensions and trailer fields
// are checked and dropped.
class ChunkedDecoder {
 public:
  enum class Status { more, done, malformed, too_large };
  ChunkedDecoder(std::size_t max_body, std::size_t max_trailer) : max_body_(max_body), max_trailer_(max_trailer) {}
  // Uses what it can of `in` (never past the end of the body) and returns how many bytes it used.
  std::size_t feed(std::string_view in, std::string& body, Status& status);

 private:
  enum class State {
    size,
    ext_size_ws, ext_pre_name, ext_name, ext_post_name, ext_pre_value, ext_token_value, ext_quoted, ext_quoted_escape,
    ext_post_value,
    size_lf, data, data_cr, data_lf, trailer_start, trailer_name, trailer, trailer_lf, end_lf, done
  };
  bool extension(char c);  // one byte of a chunk extension (or of the whitespace after the size): well-formed?

  State state_ = State::size;
  std::uint64_t size_ = 0;  // of the current chunk; while in `data`, what is left of it
  unsigned digits_ = 0;
  std::size_t max_body_, max_trailer_;
  std::size_t side_bytes_ = 0;  // chunk extensions and trailers seen so far (bounded by max_trailer)
};

// A response body as its bytes arrive, whatever frames it (Content-Length, chunked, the connection's end).
class ResponseBody {
 public:
  enum class Status { more, done, malformed };
  explicit ResponseBody(const ResponseHead& head);
  // Uses what belongs to the body of `in` (never past its end), appending the body's bytes to `out`.
  std::size_t feed(std::string_view in, std::string& out, Status& status);
  // The server closed the connection: the end of the body for `until_close`, else a truncated one.
  [[nodiscard]] Status end_of_input();
  [[nodiscard]] bool done() const { return done_; }

 private:
  enum class Kind { none, sized, chunked, until_close };
  Kind kind_;
  std::uint64_t remaining_ = 0;
  ChunkedDecoder chunked_;
  bool done_ = false;
};

}  // namespace sb::http
