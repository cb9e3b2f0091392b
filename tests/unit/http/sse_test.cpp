#include "http/sse.hpp"

#include <gtest/gtest.h>

#include <random>

#include "support/fixtures.hpp"

namespace sb::http {
namespace {

struct Collected {
  std::vector<std::string> raw, data;
};

Collected parse_in_pieces(const std::string& bytes, const std::vector<std::size_t>& cuts) {
  SseParser p;
  Collected c;
  std::size_t prev = 0;
  auto on = [&](const SseEvent& e) {
    c.raw.emplace_back(e.raw);
    if (e.has_data) c.data.emplace_back(e.data);
  };
  for (std::size_t cut : cuts) {
    EXPECT_TRUE(p.feed(std::string_view(bytes).substr(prev, cut - prev), on));
    prev = cut;
  }
  EXPECT_TRUE(p.feed(std::string_view(bytes).substr(prev), on));
  EXPECT_EQ(p.pending(), 0u);
  return c;
}

class RecordedStreams : public ::testing::TestWithParam<std::string> {};

TEST_P(RecordedStreams, SameEventsWholeAndSplitAnywhere) {
  const std::string bytes = test::read_fixture(GetParam());
  const Collected whole = parse_in_pieces(bytes, {});
  ASSERT_FALSE(whole.data.empty());
  EXPECT_EQ(whole.data.back(), "[DONE]");
  std::string joined;
  for (const auto& r : whole.raw) joined += r;
  EXPECT_EQ(joined, bytes) << "raw events must reassemble the stream byte for byte";

  for (std::size_t step : {1u, 7u, 64u}) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = step; i < bytes.size(); i += step) cuts.push_back(i);
    const Collected split = parse_in_pieces(bytes, cuts);
    EXPECT_EQ(split.raw, whole.raw) << "step " << step;
    EXPECT_EQ(split.data, whole.data) << "step " << step;
  }
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 0; i < bytes.size();) {
      i += 1 + rng() % 200;
      if (i < bytes.size()) cuts.push_back(i);
    }
    EXPECT_EQ(parse_in_pieces(bytes, cuts).data, whole.data);
  }
}

std::vector<std::string> all_streams() {
  auto a = test::list_fixtures("openai/stream", ".sse");
  auto b = test::list_fixtures("openai/tools", ".sse");
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

INSTANTIATE_TEST_SUITE_P(OpenAI, RecordedStreams, ::testing::ValuesIn(all_streams()), test::fixture_param_name);

TEST(SseParser, AnthropicStyleEventsAndTrailingSpaces) {
  const std::string bytes = test::read_fixture("anthropic/stream/stream-text.sse");
  const Collected c = parse_in_pieces(bytes, {});
  ASSERT_GT(c.data.size(), 3u);
  EXPECT_NE(c.data.front().find("message_start"), std::string::npos);
}

TEST(SseParser, CrLfCommentsMultilineData) {
  SseParser p;
  std::vector<SseEvent> got;
  std::vector<std::string> data;
  p.feed(": keep-alive\r\n\r\nevent: x\r\ndata: a\r\ndata:b\r\n\r\ndata: c\n\n",
         [&](const SseEvent& e) { data.emplace_back(e.has_data ? e.data : "<none>"); });
  EXPECT_EQ(data, (std::vector<std::string>{"<none>", "a\nb", "c"}));
}

// The parser borrows pushed bytes only until next() returns false: a reader that reuses (and scribbles over) its
// read buffer must still get every event whole, however the stream is cut.
TEST(SseParser, KeepsNoReferenceToBytesOnceNextReturnedFalse) {
  const std::string bytes = test::read_fixture("openai/stream/stream-include-usage.sse");
  const Collected whole = parse_in_pieces(bytes, {});
  ASSERT_GT(whole.raw.size(), 3u);
  for (std::size_t step : {1u, 5u, 33u, 200u}) {
    SseParser p;
    std::string read_buffer;
    std::vector<std::string> raw;
    SseEvent ev;
    for (std::size_t at = 0; at < bytes.size(); at += step) {
      read_buffer.assign(bytes, at, step);
      p.push(read_buffer);
      while (p.next(ev)) raw.emplace_back(ev.raw);
      read_buffer.assign(read_buffer.size(), '#');  // the next read overwrites it
    }
    EXPECT_EQ(raw, whole.raw) << "step " << step;
    EXPECT_EQ(p.pending(), 0u);
  }
}

TEST(SseParser, OversizedEventIsRejected) {
  SseParser p(16);
  EXPECT_FALSE(p.feed("data: 0123456789012345678901234567890", [](const SseEvent&) {}));
}

}  // namespace
}  // namespace sb::http
