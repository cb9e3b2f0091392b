// Event-stream codec on hand-built and mutated input: truncation, bad lengths, bad
// headers, every header type, and a deterministic mutation sweep (no crash, no UB).
#include "aws/eventstream.hpp"

#include <gtest/gtest.h>

#include <zlib.h>

#include <limits>
#include <random>

namespace {

namespace es = sb::aws::eventstream;

void put_be32(std::string& out, std::size_t offset, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[offset + static_cast<std::size_t>(i)] = static_cast<char>(value >> (24 - 8 * i));
}

std::uint32_t crc(std::string_view bytes, std::size_t length) {
  return static_cast<std::uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()), length));
}

// A frame with the given header block and payload and valid CRCs; the two length fields
// can be overridden to lie about the contents.
std::string raw_frame(const std::string& headers, const std::string& payload,
                      std::optional<std::uint32_t> total = std::nullopt,
                      std::optional<std::uint32_t> headers_length = std::nullopt) {
  std::string out(12, '\0');
  out += headers + payload + std::string(4, '\0');
  put_be32(out, 0, total.value_or(static_cast<std::uint32_t>(out.size())));
  put_be32(out, 4, headers_length.value_or(static_cast<std::uint32_t>(headers.size())));
  put_be32(out, 8, crc(out, 8));
  put_be32(out, out.size() - 4, crc(out, out.size() - 4));
  return out;
}

// Recomputes both CRCs in place so a mutation reaches the length and header checks.
void fix_crcs(std::string& bytes) {
  if (bytes.size() < 12) return;
  put_be32(bytes, 8, crc(bytes, 8));
  if (bytes.size() >= 16) put_be32(bytes, bytes.size() - 4, crc(bytes, bytes.size() - 4));
}

const es::DecodeError* error_of(const es::DecodeResult& result) {
  return std::get_if<es::DecodeError>(&result);
}

es::Message every_type_message() {
  es::Message m;
  m.headers = {
      {"t", true},
      {"f", false},
      {"byte", std::int8_t{-128}},
      {"i16", std::int16_t{-2}},
      {"i32", std::numeric_limits<std::int32_t>::min()},
      {"i64", std::numeric_limits<std::int64_t>::min()},
      {"bytes", es::ByteBuffer{0x00, 0xff, 0x10}},
      {"str", std::string("h\0llo", 5)},
      {"ts", es::Timestamp{-1}},
      {"uuid", es::Uuid{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}}},
      {"empty-bytes", es::ByteBuffer{}},
      {"empty-str", std::string()},
  };
  m.payload = std::string("\0\x01payload", 9);
  return m;
}

TEST(EventStreamCodec, EveryHeaderTypeRoundTrips) {
  const es::Message message = every_type_message();
  const std::string bytes = es::encode(message);
  const es::DecodeResult result = es::decode_one(bytes);
  const auto* decoded = std::get_if<es::Decoded>(&result);
  ASSERT_NE(decoded, nullptr);
  EXPECT_TRUE(decoded->frame.message == message);
  for (std::size_t i = 0; i < message.headers.size(); ++i) {
    EXPECT_EQ(es::header_type(decoded->frame.message.headers[i].value), es::header_type(message.headers[i].value));
  }
  EXPECT_EQ(es::header_type(message.headers[0].value), es::HeaderType::bool_true);
  EXPECT_EQ(es::header_type(message.headers[1].value), es::HeaderType::bool_false);
  EXPECT_EQ(es::header_type(message.headers[9].value), es::HeaderType::uuid);
}

TEST(EventStreamCodec, HeaderHelpers) {
  es::Message exception;
  exception.headers = {{":message-type", std::string("exception")},
                       {":exception-type", std::string("throttlingException")},
                       {":content-type", std::string("application/json")},
                       {":event-type", std::int32_t{7}}};  // wrong type: not a string
  EXPECT_TRUE(exception.is_exception());
  EXPECT_FALSE(exception.is_event());
  EXPECT_EQ(exception.exception_type(), "throttlingException");
  EXPECT_FALSE(exception.event_type().has_value());
  EXPECT_NE(exception.find_header(":event-type"), nullptr);
  EXPECT_EQ(exception.find_header("missing"), nullptr);

  es::Message error;
  error.headers = {{":message-type", std::string("error")},
                   {":error-code", std::string("InternalFailure")},
                   {":error-message", std::string("boom")}};
  EXPECT_TRUE(error.is_error());
  EXPECT_EQ(error.error_code(), "InternalFailure");
  EXPECT_EQ(error.error_message(), "boom");
}

TEST(EventStreamCodec, EncoderRejectsWhatTheWireCannotCarry) {
  es::Message m;
  m.headers = {{std::string(256, 'n'), true}};
  EXPECT_THROW(es::encode(m), std::length_error);
  m.headers = {{"", true}};
  EXPECT_THROW(es::encode(m), std::length_error);
  m.headers = {{"big", std::string(65536, 'x')}};
  EXPECT_THROW(es::encode(m), std::length_error);
  m.headers = {{"max", std::string(65535, 'x')}, {std::string(255, 'n'), es::ByteBuffer(65535, 1)}};
  const std::string bytes = es::encode(m);
  const auto result = es::decode_one(bytes);
  ASSERT_TRUE(std::holds_alternative<es::Decoded>(result));
  EXPECT_TRUE(std::get<es::Decoded>(result).frame.message == m);
}

TEST(EventStreamCodec, TruncatedInputNeedsMoreAndIsNotAnError) {
  const std::string bytes = es::encode(every_type_message());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    const auto result = es::decode_one(std::string_view(bytes).substr(0, size));
    const auto* need = std::get_if<es::NeedMore>(&result);
    ASSERT_NE(need, nullptr) << "prefix of " << size << " bytes";
    EXPECT_EQ(need->total, size < es::kPreludeSize ? 0U : bytes.size());

    es::Decoder decoder;
    const auto fed = decoder.feed(std::string_view(bytes).substr(0, size));
    EXPECT_TRUE(fed.messages.empty());
    EXPECT_FALSE(fed.error.has_value());
    EXPECT_EQ(decoder.buffered(), size);  // at end of stream: truncated, caller can tell
  }
}

TEST(EventStreamCodec, BadLengthsAreRejected) {
  const auto expect_error = [](const std::string& bytes, es::DecodeErrorCode code) {
    const auto result = es::decode_one(bytes);
    const auto* error = error_of(result);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->code, code) << error->message;
  };
  expect_error(raw_frame("", "", 15), es::DecodeErrorCode::message_too_short);
  expect_error(raw_frame("", "", 0), es::DecodeErrorCode::message_too_short);
  expect_error(raw_frame("", "", 0xFFFFFFFFu), es::DecodeErrorCode::message_too_long);
  expect_error(raw_frame("", "", 16 * 1024 * 1024 + 1), es::DecodeErrorCode::message_too_long);
  expect_error(raw_frame("", "abc", std::nullopt, 4), es::DecodeErrorCode::headers_too_long);
  expect_error(raw_frame("", "", std::nullopt, 0xFFFFFFFFu), es::DecodeErrorCode::headers_too_long);
  const es::DecodeResult too_long = es::decode_one(raw_frame("", "abc", std::nullopt, 4));
  const auto* text = error_of(too_long);
  ASSERT_NE(text, nullptr);
  EXPECT_NE(text->message.find("header length exceeds message"), std::string::npos);

  // A lower limit is honoured, and a frame exactly at the limit passes.
  const std::string frame = raw_frame("", std::string(100, 'p'));
  EXPECT_NE(error_of(es::decode_one(frame, {.max_message_size = frame.size() - 1})), nullptr);
  EXPECT_TRUE(std::holds_alternative<es::Decoded>(es::decode_one(frame, {.max_message_size = frame.size()})));
  // A lying length is caught from the prelude alone: no waiting for 4 GiB of data.
  es::Decoder decoder;
  EXPECT_TRUE(decoder.feed(raw_frame("", "", 0xFFFFFFFFu).substr(0, 12)).error.has_value());
}

TEST(EventStreamCodec, BadHeadersAreRejected) {
  const auto code_of = [](const std::string& headers) {
    const auto result = es::decode_one(raw_frame(headers, "payload"));
    const auto* error = error_of(result);
    return error ? std::optional(error->code) : std::nullopt;
  };
  using Code = es::DecodeErrorCode;
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\x0a",
                                3)),
            Code::unknown_header_type);
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\xff",
                                3)),
            Code::unknown_header_type);
  EXPECT_EQ(code_of(std::string("\x00\x00", 2)), Code::empty_header_name);
  EXPECT_EQ(code_of(std::string("\x05"
                                "ab",
                                3)),
            Code::header_truncated);  // name past the block
  EXPECT_EQ(code_of(std::string("\x01"
                                "a",
                                2)),
            Code::header_truncated);  // no type byte
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\x07\x00\x05"
                                "abc",
                                8)),
            Code::header_truncated);  // string
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\x06\x00",
                                4)),
            Code::header_truncated);  // bytes length
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\x02",
                                3)),
            Code::header_truncated);  // byte
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\x03\x00",
                                4)),
            Code::header_truncated);  // int16
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\x04\x00\x00\x00",
                                6)),
            Code::header_truncated);
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\x05\x00\x00\x00\x00\x00\x00\x00",
                                10)),
            Code::header_truncated);
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\x08\x00",
                                4)),
            Code::header_truncated);  // timestamp
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\x09\x00\x01\x02",
                                6)),
            Code::header_truncated);  // uuid
  EXPECT_EQ(code_of(std::string("\x01"
                                "a\x00",
                                3)),
            std::nullopt);  // a valid bool header
}

TEST(EventStreamDecoder, MessagesBeforeAnErrorAreKept) {
  const std::string good = es::encode(every_type_message());
  std::string bad = good;
  bad[bad.size() - 5] ^= 0x01;  // payload byte: message CRC no longer matches
  es::Decoder decoder;
  const auto result = decoder.feed(good + good + bad + good);
  EXPECT_EQ(result.messages.size(), 2U);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code, es::DecodeErrorCode::message_checksum);
  EXPECT_TRUE(decoder.feed(good).messages.empty());
}

TEST(EventStreamDecoder, ManyMessagesAndAPartialInOneRead) {
  const std::string one = es::encode(every_type_message());
  es::Decoder decoder;
  const std::string data = one + one + one;
  auto first = decoder.feed(std::string_view(data).substr(0, 2 * one.size() + 7));
  EXPECT_EQ(first.messages.size(), 2U);
  EXPECT_EQ(decoder.buffered(), 7U);
  auto rest = decoder.feed(std::string_view(data).substr(2 * one.size() + 7));
  EXPECT_EQ(rest.messages.size(), 1U);
  EXPECT_EQ(decoder.buffered(), 0U);
  EXPECT_TRUE(decoder.feed(std::string_view{}).messages.empty());
}

// Random byte mutations, with and without repaired CRCs. Whatever the decoder accepts must
// re-encode to exactly the bytes it consumed (the format is canonical).
TEST(EventStreamDecoder, MutatedInputNeverCrashes) {
  std::mt19937 rng(20240501);
  const std::string seed = es::encode(every_type_message());
  std::size_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0:
          bytes[at] = static_cast<char>(rng());
          break;
        case 1:
          bytes.erase(at, 1 + rng() % 8);
          break;
        default:
          bytes.insert(at, 1 + rng() % 3, static_cast<char>(rng()));
          break;
      }
      if (bytes.empty()) bytes.push_back('\0');
    }
    if (rng() % 2 == 0) {
      if (bytes.size() >= 12) put_be32(bytes, 0, static_cast<std::uint32_t>(bytes.size()));
      fix_crcs(bytes);
    }
    const auto result = es::decode_one(bytes);
    if (const auto* decoded = std::get_if<es::Decoded>(&result)) {
      ++accepted;
      ASSERT_LE(decoded->consumed, bytes.size());
      ASSERT_EQ(es::encode(decoded->frame.message), bytes.substr(0, decoded->consumed));
    }
    es::Decoder decoder;
    (void)decoder.feed(bytes);
  }
  EXPECT_GT(accepted, 0U);  // the sweep does reach the header parser
}

}  // namespace
