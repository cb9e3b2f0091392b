// Event-stream codec against the official AWS vectors (fixtures/eventstream) and the
// recorded Bedrock bodies (fixtures/bedrock/*/*.eventstream), whole and split anywhere.
#include "aws/eventstream.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

namespace {

namespace fs = std::filesystem;
namespace es = sb::aws::eventstream;

const fs::path kFixtures = fs::path(SWITCHBOARD_FIXTURES);

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> file_names(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string base64_decode(std::string_view text) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    const std::size_t v = kAlphabet.find(c);
    if (v == std::string_view::npos) throw std::runtime_error("bad base64");
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

es::Decoded expect_decoded(const es::DecodeResult& result) {
  if (const auto* error = std::get_if<es::DecodeError>(&result)) {
    ADD_FAILURE() << "decode error: " << error->message;
  } else if (std::holds_alternative<es::NeedMore>(result)) {
    ADD_FAILURE() << "decoder wants more bytes";
  }
  const auto* decoded = std::get_if<es::Decoded>(&result);
  return decoded ? *decoded : es::Decoded{};
}

// ---- official vectors -----------------------------------------------------------------

es::HeaderValue value_from_json(int type, const boost::json::value& json) {
  const auto text = [&] { return base64_decode(json.as_string()); };
  switch (type) {
    case 0:
      return true;
    case 1:
      return false;
    case 2:
      return static_cast<std::int8_t>(json.to_number<int>());
    case 3:
      return static_cast<std::int16_t>(json.to_number<int>());
    case 4:
      return static_cast<std::int32_t>(json.to_number<std::int64_t>());
    case 5:
      return json.to_number<std::int64_t>();
    case 6: {
      const std::string raw = text();
      return es::ByteBuffer(raw.begin(), raw.end());
    }
    case 7:
      return text();
    case 8:
      return es::Timestamp{json.to_number<std::int64_t>()};
    case 9: {
      const std::string raw = text();
      es::Uuid uuid;
      if (raw.size() != uuid.bytes.size()) throw std::runtime_error("uuid must be 16 bytes");
      std::copy(raw.begin(), raw.end(), uuid.bytes.begin());
      return uuid;
    }
    default:
      throw std::runtime_error("unknown type " + std::to_string(type));
  }
}

es::Message message_from_json(const boost::json::object& json) {
  es::Message message;
  for (const auto& header : json.at("headers").as_array()) {
    const auto& h = header.as_object();
    message.headers.push_back(
        {std::string(h.at("name").as_string()), value_from_json(h.at("type").to_number<int>(), h.at("value"))});
  }
  message.payload = base64_decode(json.at("payload").as_string());
  return message;
}

class PositiveVector : public ::testing::TestWithParam<std::string> {};

TEST_P(PositiveVector, DecodesToExpectedFields) {
  const std::string bytes = read_file(kFixtures / "eventstream/encoded/positive" / GetParam());
  const auto json = boost::json::parse(read_file(kFixtures / "eventstream/decoded/positive" / GetParam())).as_object();
  const es::Decoded decoded = expect_decoded(es::decode_one(bytes));
  const es::Frame& frame = decoded.frame;
  EXPECT_EQ(decoded.consumed, bytes.size());
  EXPECT_EQ(frame.total_length, json.at("total_length").to_number<std::uint32_t>());
  EXPECT_EQ(frame.headers_length, json.at("headers_length").to_number<std::uint32_t>());
  // The JSON stores both CRCs as signed 32-bit integers.
  EXPECT_EQ(static_cast<std::int32_t>(frame.prelude_crc), json.at("prelude_crc").to_number<std::int32_t>());
  EXPECT_EQ(static_cast<std::int32_t>(frame.message_crc), json.at("message_crc").to_number<std::int32_t>());

  const es::Message expected = message_from_json(json);
  ASSERT_EQ(frame.message.headers.size(), expected.headers.size());
  const auto& json_headers = json.at("headers").as_array();
  for (std::size_t i = 0; i < expected.headers.size(); ++i) {
    SCOPED_TRACE(expected.headers[i].name);
    EXPECT_EQ(frame.message.headers[i].name, expected.headers[i].name);
    EXPECT_EQ(static_cast<int>(es::header_type(frame.message.headers[i].value)),
              json_headers[i].as_object().at("type").to_number<int>());
    EXPECT_TRUE(frame.message.headers[i].value == expected.headers[i].value);
  }
  EXPECT_EQ(frame.message.payload, expected.payload);
}

TEST_P(PositiveVector, EncodingTheJsonReproducesTheBytes) {
  const std::string bytes = read_file(kFixtures / "eventstream/encoded/positive" / GetParam());
  const auto json = boost::json::parse(read_file(kFixtures / "eventstream/decoded/positive" / GetParam())).as_object();
  EXPECT_EQ(es::encode(message_from_json(json)), bytes);
}

class NegativeVector : public ::testing::TestWithParam<std::string> {};

TEST_P(NegativeVector, IsRejectedWithTheExpectedError) {
  const std::string bytes = read_file(kFixtures / "eventstream/encoded/negative" / GetParam());
  std::string expected = read_file(kFixtures / "eventstream/decoded/negative" / GetParam());
  while (!expected.empty() && (expected.back() == '\n' || expected.back() == '\r')) expected.pop_back();

  const es::DecodeResult result = es::decode_one(bytes);
  const auto* error = std::get_if<es::DecodeError>(&result);
  ASSERT_NE(error, nullptr) << "accepted a corrupt message";
  EXPECT_EQ(error->message, expected);

  es::Decoder decoder;
  const es::FeedResult fed = decoder.feed(bytes);
  EXPECT_TRUE(fed.messages.empty());
  ASSERT_TRUE(fed.error.has_value());
  EXPECT_EQ(fed.error->message, expected);
  EXPECT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.feed(std::string_view("more")).error->message, expected);  // sticky
}

std::string vector_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

INSTANTIATE_TEST_SUITE_P(Official, PositiveVector,
                         ::testing::ValuesIn(file_names(kFixtures / "eventstream/encoded/positive")), vector_name);
INSTANTIATE_TEST_SUITE_P(Official, NegativeVector,
                         ::testing::ValuesIn(file_names(kFixtures / "eventstream/encoded/negative")), vector_name);

TEST(EventStreamVectors, AllPresent) {
  EXPECT_EQ(file_names(kFixtures / "eventstream/encoded/positive").size(), 5U);
  EXPECT_EQ(file_names(kFixtures / "eventstream/encoded/negative").size(), 4U);
}

// ---- recorded Bedrock bodies ----------------------------------------------------------

struct Recording {
  const char* path;
  std::size_t messages;
  const char* events;  // runs of :event-type, "x<N>" for N in a row
};

const Recording kRecordings[] = {
    {"converse-stream/converse-stream-empty-text-delta-gpt-oss", 10,
     "messageStart contentBlockDelta contentBlockStop contentBlockDelta contentBlockStop contentBlockDeltax2 "
     "contentBlockStop messageStop metadata"},
    {"converse-stream/converse-stream-guardrail-trace-titan", 5,
     "messageStart contentBlockDelta contentBlockStop messageStop metadata"},
    {"converse-stream/converse-stream-reasoning-claude", 25,
     "messageStart contentBlockDeltax15 contentBlockStop contentBlockDeltax5 contentBlockStop messageStop metadata"},
    {"converse-stream/converse-stream-redacted-reasoning-claude-3-7", 18,
     "messageStart contentBlockDelta contentBlockStop contentBlockDelta contentBlockStop contentBlockDeltax10 "
     "contentBlockStop messageStop metadata"},
    {"converse-stream/converse-stream-text-claude-3-haiku", 174,
     "messageStart contentBlockDeltax170 contentBlockStop messageStop metadata"},
    {"converse-stream/converse-stream-text-nova-micro", 33,
     "messageStart contentBlockDeltax29 contentBlockStop messageStop metadata"},
    {"converse-stream/converse-stream-text-then-two-tool-uses-nova-micro", 67,
     "messageStart contentBlockDeltax57 contentBlockStop contentBlockStart contentBlockDelta contentBlockStop "
     "contentBlockStart contentBlockDelta contentBlockStop messageStop metadata"},
    {"converse-stream/converse-stream-tool-use-claude-3-haiku", 9,
     "messageStart contentBlockStart contentBlockDeltax4 contentBlockStop messageStop metadata"},
    {"invoke-agent/invoke-agent-after-return-control-result", 5, "tracex4 chunk"},
    {"invoke-agent/invoke-agent-chunk-only", 1, "chunk"},
    {"invoke-agent/invoke-agent-guardrail-intervened", 2, "trace chunk"},
    {"invoke-agent/invoke-agent-knowledge-base-attribution", 6, "tracex5 chunk"},
    {"invoke-agent/invoke-agent-return-control", 5, "tracex4 returnControl"},
    {"invoke-agent/invoke-agent-routing-classifier-multi-agent", 7, "tracex6 chunk"},
    {"invoke-agent/invoke-agent-streamed-chunks-with-guardrail-traces", 15,
     "tracex3 chunk trace chunk trace chunk trace chunk trace chunk tracex3"},
    {"invoke-agent/invoke-agent-trace-orchestration-tool-call", 10, "tracex9 chunk"},
    {"invoke-agent/invoke-agent-trace-postprocessing", 7, "tracex6 chunk"},
    {"invoke-agent/invoke-agent-trace-preprocessing", 7, "tracex6 chunk"},
};

std::string event_runs(const std::vector<es::Message>& messages) {
  std::string out;
  for (std::size_t i = 0; i < messages.size();) {
    const std::string type(messages[i].event_type().value_or("<none>"));
    std::size_t run = 1;
    while (i + run < messages.size() && messages[i + run].event_type() == messages[i].event_type()) ++run;
    if (!out.empty()) out.push_back(' ');
    out += type;
    if (run > 1) {
      out.push_back('x');
      out += std::to_string(run);
    }
    i += run;
  }
  return out;
}

class BedrockRecording : public ::testing::TestWithParam<Recording> {
 protected:
  std::string bytes() const {
    return read_file(kFixtures / "bedrock" / (std::string(GetParam().path) + ".eventstream"));
  }
};

std::vector<es::Message> decode_all(std::string_view bytes) {
  es::Decoder decoder;
  es::FeedResult result = decoder.feed(bytes);
  EXPECT_FALSE(result.error.has_value()) << result.error->message;
  EXPECT_EQ(decoder.buffered(), 0U);
  return std::move(result.messages);
}

TEST_P(BedrockRecording, DecodesToTheRecordedEvents) {
  const std::string data = bytes();
  const auto messages = decode_all(data);
  EXPECT_EQ(messages.size(), GetParam().messages);
  EXPECT_EQ(event_runs(messages), GetParam().events);

  std::string reencoded;
  for (const auto& message : messages) {
    ASSERT_EQ(message.headers.size(), 3U);
    EXPECT_EQ(message.headers[0].name, ":event-type");
    EXPECT_EQ(message.headers[1].name, ":content-type");
    EXPECT_EQ(message.content_type(), "application/json");
    EXPECT_EQ(message.headers[2].name, ":message-type");
    EXPECT_TRUE(message.is_event());
    EXPECT_FALSE(message.exception_type().has_value());
    boost::system::error_code ec;
    boost::json::parse(message.payload, ec);
    EXPECT_FALSE(ec) << "payload is not JSON: " << message.payload;
    reencoded += es::encode(message);
  }
  EXPECT_EQ(reencoded, data) << "encoder does not reproduce the recorded bytes";
}

// Feeds `bytes` to a fresh decoder in two pieces, cut at every offset in [from, to], and
// expects exactly `expected` each time.
void check_cuts(std::string_view bytes, std::span<const es::Message> expected, std::size_t from, std::size_t to) {
  for (std::size_t cut = from; cut <= to; ++cut) {
    es::Decoder decoder;
    std::size_t seen = 0;
    for (const std::string_view piece : {bytes.substr(0, cut), bytes.substr(cut)}) {
      const es::FeedResult result = decoder.feed(piece);
      ASSERT_FALSE(result.error.has_value()) << "cut at " << cut << ": " << result.error->message;
      for (const auto& message : result.messages) {
        ASSERT_LT(seen, expected.size()) << "cut at " << cut;
        ASSERT_TRUE(message == expected[seen]) << "cut at " << cut << ", message " << seen;
        ++seen;
      }
    }
    ASSERT_EQ(seen, expected.size()) << "cut at " << cut;
    ASSERT_EQ(decoder.buffered(), 0U) << "cut at " << cut;
  }
}

// Splitting the whole file at every offset costs O(size x messages): 9 s for the largest
// recordings in a release build, minutes under ASan. So the whole-file sweep runs on the
// recordings up to 8 KiB (SmallBedrockRecording), and every file gets the windowed sweep.
class SmallBedrockRecording : public BedrockRecording {};

TEST_P(SmallBedrockRecording, SplitAtEveryOffsetDecodesIdentically) {
  const std::string data = bytes();
  const auto expected = decode_all(data);
  check_cuts(data, expected, 0, data.size());
}

// Every offset of every file, cutting inside a message with its neighbours on both sides
// of the cut: message j-1 | message j (cut here) | message j+1.
TEST_P(BedrockRecording, SplitAtEveryOffsetWithNeighbours) {
  const std::string data = bytes();
  const std::string_view view(data);
  const auto expected = decode_all(data);
  std::vector<std::size_t> starts{0};
  for (std::size_t offset = 0; offset < data.size();) {
    const auto result = es::decode_one(view.substr(offset));
    ASSERT_TRUE(std::holds_alternative<es::Decoded>(result));
    offset += std::get<es::Decoded>(result).consumed;
    starts.push_back(offset);
  }
  ASSERT_EQ(starts.size(), expected.size() + 1);
  for (std::size_t j = 0; j < expected.size(); ++j) {
    const std::size_t first = j == 0 ? j : j - 1;
    const std::size_t last = std::min(j + 2, expected.size());  // one past
    const std::string_view window = view.substr(starts[first], starts[last] - starts[first]);
    const std::span<const es::Message> window_messages(expected.data() + first, last - first);
    check_cuts(window, window_messages, starts[j] - starts[first], starts[j + 1] - starts[first]);
    if (HasFatalFailure()) return;
  }
}

TEST_P(BedrockRecording, OneByteAtATimeDecodesIdentically) {
  const std::string data = bytes();
  const auto expected = decode_all(data);
  es::Decoder decoder;
  std::vector<es::Message> messages;
  for (char c : data) {
    es::FeedResult result = decoder.feed(std::string_view(&c, 1));
    ASSERT_FALSE(result.error.has_value()) << result.error->message;
    for (auto& message : result.messages) messages.push_back(std::move(message));
  }
  EXPECT_TRUE(messages == expected);
  EXPECT_EQ(decoder.buffered(), 0U);
}

std::string recording_name(const ::testing::TestParamInfo<Recording>& info) {
  std::string name = fs::path(info.param.path).filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::vector<Recording> small_recordings() {
  std::vector<Recording> out;
  for (const auto& recording : kRecordings) {
    std::error_code ec;
    const auto size = fs::file_size(kFixtures / "bedrock" / (std::string(recording.path) + ".eventstream"), ec);
    if (!ec && size <= 8 * 1024) out.push_back(recording);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Recorded, BedrockRecording, ::testing::ValuesIn(kRecordings), recording_name);
INSTANTIATE_TEST_SUITE_P(Recorded, SmallBedrockRecording, ::testing::ValuesIn(small_recordings()), recording_name);

TEST(BedrockRecordings, TableCoversEveryFile) {
  std::size_t files = 0;
  for (const char* dir : {"converse-stream", "invoke-agent"}) {
    for (const auto& name : file_names(kFixtures / "bedrock" / dir)) files += name.ends_with(".eventstream");
  }
  EXPECT_EQ(files, std::size(kRecordings));
}

}  // namespace
