#include "aws/eventstream.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace sb::aws::eventstream {
namespace {

std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) {
  return static_cast<std::uint32_t>(::crc32_z(0L, bytes.data(), bytes.size()));
}

std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

DecodeError make_error(DecodeErrorCode code, std::string text) {
  return {code, std::move(text)};
}

// Bounds-checked big-endian reader over the header block.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool done() const { return pos_ == bytes_.size(); }

  std::optional<std::span<const std::uint8_t>> take(std::size_t count) {
    if (bytes_.size() - pos_ < count) return std::nullopt;
    const auto out = bytes_.subspan(pos_, count);
    pos_ += count;
    return out;
  }

  template <typename Unsigned>
  std::optional<Unsigned> read_be() {
    const auto raw = take(sizeof(Unsigned));
    if (!raw) return std::nullopt;
    Unsigned value = 0;
    for (std::uint8_t b : *raw) value = static_cast<Unsigned>((value << 8) | b);
    return value;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

std::string as_string(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

template <typename Target, typename Unsigned>
bool read_number(Reader& in, HeaderValue& out) {
  const auto raw = in.read_be<Unsigned>();
  if (!raw) return false;
  out.emplace<Target>(Target{static_cast<std::make_signed_t<Unsigned>>(*raw)});
  return true;
}

// Reads one typed value straight into `out`; false when it runs past the header block.
bool read_value(Reader& in, HeaderType type, HeaderValue& out) {
  switch (type) {
    case HeaderType::bool_true:
    case HeaderType::bool_false:
      out.emplace<bool>(type == HeaderType::bool_true);
      return true;
    case HeaderType::byte:
      return read_number<std::int8_t, std::uint8_t>(in, out);
    case HeaderType::int16:
      return read_number<std::int16_t, std::uint16_t>(in, out);
    case HeaderType::int32:
      return read_number<std::int32_t, std::uint32_t>(in, out);
    case HeaderType::int64:
      return read_number<std::int64_t, std::uint64_t>(in, out);
    case HeaderType::timestamp:
      return read_number<Timestamp, std::uint64_t>(in, out);
    case HeaderType::bytes:
    case HeaderType::string: {
      const auto length = in.read_be<std::uint16_t>();
      const auto raw = length ? in.take(*length) : std::nullopt;
      if (!raw) return false;
      if (type == HeaderType::string) {
        out.emplace<std::string>(reinterpret_cast<const char*>(raw->data()), raw->size());
      } else {
        out.emplace<ByteBuffer>(raw->begin(), raw->end());
      }
      return true;
    }
    case HeaderType::uuid: {
      const auto raw = in.take(16);
      if (!raw) return false;
      auto& uuid = out.emplace<Uuid>();
      std::copy(raw->begin(), raw->end(), uuid.bytes.begin());
      return true;
    }
  }
  return false;  // unreachable: the caller checked the type code
}

std::optional<DecodeError> parse_headers(std::span<const std::uint8_t> block, std::vector<Header>& headers) {
  Reader in(block);
  headers.reserve(4);  // AWS services send three or four per message
  while (!in.done()) {
    const auto name_length = in.read_be<std::uint8_t>();
    if (!name_length || *name_length == 0) {
      return make_error(DecodeErrorCode::empty_header_name, "header name is empty");
    }
    const auto name = in.take(*name_length);
    const auto type_code = in.read_be<std::uint8_t>();
    if (!name || !type_code) {
      return make_error(DecodeErrorCode::header_truncated, "header runs past the header block");
    }
    if (*type_code > static_cast<std::uint8_t>(HeaderType::uuid)) {
      return make_error(DecodeErrorCode::unknown_header_type,
                        "unknown header value type " + std::to_string(*type_code) + " for '" + as_string(*name) + "'");
    }
    Header& header = headers.emplace_back();
    header.name = as_string(*name);
    if (!read_value(in, static_cast<HeaderType>(*type_code), header.value)) {
      return make_error(DecodeErrorCode::header_truncated,
                        "value of header '" + header.name + "' runs past the header block");
    }
  }
  return std::nullopt;
}

void append_be(std::string& out, std::uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void append_sized(std::string& out, const void* data, std::size_t size, const std::string& name) {
  if (size > std::numeric_limits<std::uint16_t>::max()) {
    throw std::length_error("event-stream header '" + name + "' value exceeds 65535 bytes");
  }
  append_be(out, size, 2);
  out.append(static_cast<const char*>(data), size);
}

void append_header(std::string& out, const Header& header) {
  if (header.name.empty() || header.name.size() > 255) {
    throw std::length_error("event-stream header name must be 1..255 bytes: '" + header.name + "'");
  }
  out.push_back(static_cast<char>(header.name.size()));
  out += header.name;
  const HeaderType type = header_type(header.value);
  out.push_back(static_cast<char>(type));
  switch (type) {
    case HeaderType::bool_true:
    case HeaderType::bool_false:
      break;
    case HeaderType::byte:
      append_be(out, static_cast<std::uint8_t>(std::get<std::int8_t>(header.value)), 1);
      break;
    case HeaderType::int16:
      append_be(out, static_cast<std::uint16_t>(std::get<std::int16_t>(header.value)), 2);
      break;
    case HeaderType::int32:
      append_be(out, static_cast<std::uint32_t>(std::get<std::int32_t>(header.value)), 4);
      break;
    case HeaderType::int64:
      append_be(out, static_cast<std::uint64_t>(std::get<std::int64_t>(header.value)), 8);
      break;
    case HeaderType::timestamp:
      append_be(out, static_cast<std::uint64_t>(std::get<Timestamp>(header.value).millis), 8);
      break;
    case HeaderType::bytes: {
      const auto& bytes = std::get<ByteBuffer>(header.value);
      append_sized(out, bytes.data(), bytes.size(), header.name);
      break;
    }
    case HeaderType::string: {
      const auto& text = std::get<std::string>(header.value);
      append_sized(out, text.data(), text.size(), header.name);
      break;
    }
    case HeaderType::uuid: {
      const auto& uuid = std::get<Uuid>(header.value).bytes;
      out.append(reinterpret_cast<const char*>(uuid.data()), uuid.size());
      break;
    }
  }
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

HeaderType header_type(const HeaderValue& value) {
  if (const bool* flag = std::get_if<bool>(&value)) {
    return *flag ? HeaderType::bool_true : HeaderType::bool_false;
  }
  // Every other alternative sits one place before its wire code.
  return static_cast<HeaderType>(value.index() + 1);
}

const HeaderValue* Message::find_header(std::string_view name) const {
  for (const auto& header : headers) {
    if (header.name == name) return &header.value;
  }
  return nullptr;
}

std::optional<std::string_view> Message::header_string(std::string_view name) const {
  const HeaderValue* value = find_header(name);
  if (const auto* text = value ? std::get_if<std::string>(value) : nullptr) return std::string_view(*text);
  return std::nullopt;
}

DecodeResult decode_one(std::span<const std::uint8_t> bytes, const DecoderLimits& limits) {
  if (bytes.size() < kPreludeSize) return NeedMore{};
  const std::uint32_t total = load_be32(bytes.data());
  const std::uint32_t headers_length = load_be32(bytes.data() + 4);
  const std::uint32_t prelude_crc = load_be32(bytes.data() + 8);
  if (crc32_of(bytes.first(8)) != prelude_crc) {
    return make_error(DecodeErrorCode::prelude_checksum, "Prelude checksum mismatch");
  }
  if (total < kMinMessageSize) {
    return make_error(DecodeErrorCode::message_too_short,
                      "message length " + std::to_string(total) + " is below the 16-byte minimum");
  }
  if (total > limits.max_message_size) {
    return make_error(DecodeErrorCode::message_too_long, "message length " + std::to_string(total) +
                                                             " exceeds the maximum of " +
                                                             std::to_string(limits.max_message_size));
  }
  if (headers_length > total - kMinMessageSize) {
    return make_error(DecodeErrorCode::headers_too_long, "header length exceeds message (" +
                                                             std::to_string(headers_length) + " header bytes in a " +
                                                             std::to_string(total) + "-byte message)");
  }
  if (bytes.size() < total) return NeedMore{total};

  const std::uint32_t message_crc = load_be32(bytes.data() + total - 4);
  if (crc32_of(bytes.first(total - 4)) != message_crc) {
    return make_error(DecodeErrorCode::message_checksum, "Message checksum mismatch");
  }
  Decoded out;
  out.consumed = total;
  out.frame.total_length = total;
  out.frame.headers_length = headers_length;
  out.frame.prelude_crc = prelude_crc;
  out.frame.message_crc = message_crc;
  if (auto error = parse_headers(bytes.subspan(kPreludeSize, headers_length), out.frame.message.headers)) {
    return std::move(*error);
  }
  const auto payload = bytes.subspan(kPreludeSize + headers_length, total - kMinMessageSize - headers_length);
  out.frame.message.payload = as_string(payload);
  return out;
}

DecodeResult decode_one(std::string_view bytes, const DecoderLimits& limits) {
  return decode_one(as_bytes(bytes), limits);
}

FeedResult Decoder::feed(std::span<const std::uint8_t> bytes) {
  FeedResult out;
  if (error_) {
    out.error = error_;
    return out;
  }
  // Decode straight from the caller's bytes when nothing is pending; copy only leftovers.
  const bool from_buffer = !buffer_.empty();
  if (from_buffer) buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  const std::span<const std::uint8_t> data = from_buffer ? std::span<const std::uint8_t>(buffer_) : bytes;

  std::size_t offset = 0;
  while (offset < data.size()) {
    DecodeResult result = decode_one(data.subspan(offset), limits_);
    if (auto* decoded = std::get_if<Decoded>(&result)) {
      out.messages.push_back(std::move(decoded->frame.message));
      offset += decoded->consumed;
    } else if (auto* error = std::get_if<DecodeError>(&result)) {
      error_ = std::move(*error);
      out.error = error_;
      buffer_.clear();
      return out;
    } else {
      break;  // NeedMore
    }
  }
  if (from_buffer) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset));
  } else {
    buffer_.assign(data.begin() + static_cast<std::ptrdiff_t>(offset), data.end());
  }
  return out;
}

FeedResult Decoder::feed(std::string_view bytes) {
  return feed(as_bytes(bytes));
}

std::string encode(const Message& message) {
  std::string headers;
  for (const auto& header : message.headers) append_header(headers, header);
  const std::uint64_t total = kMinMessageSize + headers.size() + message.payload.size();
  if (total > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("event-stream message exceeds 4 GiB");
  }
  std::string out;
  out.reserve(total);
  append_be(out, total, 4);
  append_be(out, headers.size(), 4);
  append_be(out, crc32_of(as_bytes(out)), 4);
  out += headers;
  out += message.payload;
  append_be(out, crc32_of(as_bytes(out)), 4);
  return out;
}

}  // namespace sb::aws::eventstream
