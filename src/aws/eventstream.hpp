// AWS event-stream framing (application/vnd.amazon.eventstream): a pure decoder for one
// message, an incremental decoder over a byte stream, and an encoder.
//
// Wire format, all integers big-endian:
//   total_length u32 | headers_length u32 | prelude_crc u32   (CRC-32 of the first 8 bytes)
//   headers (headers_length bytes) | payload | message_crc u32 (CRC-32 of all bytes before it)
// A header is: name_len u8 | name | type u8 | value (layout depends on the type).
//
// Decoding never trusts the input: every length is bounds-checked and errors are values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sb::aws::eventstream {

inline constexpr std::size_t kPreludeSize = 12;     // two lengths + prelude CRC
inline constexpr std::size_t kMinMessageSize = 16;  // prelude + message CRC
inline constexpr std::size_t kDefaultMaxMessageSize = 16 * 1024 * 1024;

enum class HeaderType : std::uint8_t {
  bool_true = 0,
  bool_false = 1,
  byte = 2,
  int16 = 3,
  int32 = 4,
  int64 = 5,
  bytes = 6,
  string = 7,
  timestamp = 8,
  uuid = 9,
};

struct Timestamp {  // milliseconds since the Unix epoch
  std::int64_t millis = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  friend bool operator==(const Uuid&, const Uuid&) = default;
};
using ByteBuffer = std::vector<std::uint8_t>;

// Alternatives in wire-type order; bool covers types 0 and 1.
using HeaderValue =
    std::variant<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, ByteBuffer, std::string, Timestamp, Uuid>;

HeaderType header_type(const HeaderValue& value);

struct Header {
  std::string name;
  HeaderValue value;
  friend bool operator==(const Header&, const Header&) = default;
};

struct Message {
  std::vector<Header> headers;
  std::string payload;  // raw bytes (JSON for Bedrock)

  // First header with this name, if any.
  const HeaderValue* find_header(std::string_view name) const;
  // Value of a string header (type 7); nullopt when absent or of another type.
  std::optional<std::string_view> header_string(std::string_view name) const;

  std::optional<std::string_view> message_type() const { return header_string(":message-type"); }
  std::optional<std::string_view> event_type() const { return header_string(":event-type"); }
  std::optional<std::string_view> exception_type() const { return header_string(":exception-type"); }
  std::optional<std::string_view> content_type() const { return header_string(":content-type"); }
  std::optional<std::string_view> error_code() const { return header_string(":error-code"); }
  std::optional<std::string_view> error_message() const { return header_string(":error-message"); }
  bool is_event() const { return message_type() == "event"; }
  bool is_exception() const { return message_type() == "exception"; }
  bool is_error() const { return message_type() == "error"; }

  friend bool operator==(const Message&, const Message&) = default;
};

// A decoded message with its framing fields as they were on the wire.
struct Frame {
  Message message;
  std::uint32_t total_length = 0;
  std::uint32_t headers_length = 0;
  std::uint32_t prelude_crc = 0;
  std::uint32_t message_crc = 0;
};

enum class DecodeErrorCode {
  prelude_checksum,
  message_checksum,
  message_too_short,
  message_too_long,
  headers_too_long,
  header_truncated,
  empty_header_name,
  unknown_header_type,
};

struct DecodeError {
  DecodeErrorCode code;
  std::string message;  // e.g. "Prelude checksum mismatch"
};

// Not an error: the buffer holds the start of a message. `total` is the full message size
// once the prelude has been read (0 before that).
struct NeedMore {
  std::size_t total = 0;
};

struct Decoded {
  Frame frame;
  std::size_t consumed = 0;  // == frame.total_length
};

using DecodeResult = std::variant<Decoded, NeedMore, DecodeError>;

struct DecoderLimits {
  std::size_t max_message_size = kDefaultMaxMessageSize;
};

// Decodes the message at the start of `bytes`. The prelude CRC is checked as soon as 12
// bytes are present, so a corrupt length is reported at once instead of waiting for data.
DecodeResult decode_one(std::span<const std::uint8_t> bytes, const DecoderLimits& limits = {});
DecodeResult decode_one(std::string_view bytes, const DecoderLimits& limits = {});

struct FeedResult {
  std::vector<Message> messages;     // complete messages, in order
  std::optional<DecodeError> error;  // set once the stream is corrupt (sticky)
};

// Incremental decoder for a byte stream cut anywhere by reads. After an error the stream
// cannot be resynchronised: every later feed returns the same error and no messages.
class Decoder {
 public:
  explicit Decoder(DecoderLimits limits = {}) : limits_(limits) {}

  FeedResult feed(std::span<const std::uint8_t> bytes);
  FeedResult feed(std::string_view bytes);

  // Bytes of an unfinished message held back; non-zero at end of stream means truncation.
  std::size_t buffered() const { return buffer_.size(); }
  bool failed() const { return error_.has_value(); }

 private:
  DecoderLimits limits_;
  std::vector<std::uint8_t> buffer_;
  std::optional<DecodeError> error_;
};

// Exact wire bytes for a message. Throws std::length_error for a header name over 255
// bytes, an empty header name, a string/bytes value over 65535 bytes, or a message over
// 4 GiB (the encoder is fed by our own code, never by a peer).
std::string encode(const Message& message);

}  // namespace sb::aws::eventstream
