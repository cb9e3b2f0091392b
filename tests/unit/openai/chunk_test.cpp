// Chunks and completions the proxy builds itself must have the recorded OpenAI field set and order.
#include "openai/chunk.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "http/sse.hpp"
#include "support/fixtures.hpp"

namespace sb::openai {
namespace {
namespace json = boost::json;

std::vector<std::string> keys(const json::object& o) {
  std::vector<std::string> k;
  for (const auto& kv : o) k.emplace_back(kv.key());
  return k;
}

// Every key of `ours` is in `recorded`, in the same relative order.
void expect_ordered_subset(const std::vector<std::string>& ours, const std::vector<std::string>& recorded,
                           const std::string& where) {
  std::size_t pos = 0;
  for (const auto& k : ours) {
    auto it = std::find(recorded.begin() + static_cast<long>(pos), recorded.end(), k);
    ASSERT_NE(it, recorded.end()) << where << ": key '" << k << "' not in the recording (or out of order)";
    pos = static_cast<std::size_t>(it - recorded.begin()) + 1;
  }
}

std::vector<json::object> chunks_of(const std::string& sse) {
  std::vector<json::object> out;
  http::SseParser p;
  p.feed(sse, [&](const http::SseEvent& e) {
    if (e.has_data && e.data != "[DONE]") out.push_back(json::parse(e.data).as_object());
  });
  return out;
}

json::object parse_event(const std::string& event) {
  EXPECT_TRUE(event.starts_with("data: "));
  EXPECT_TRUE(event.ends_with("\n\n"));
  return json::parse(event.substr(6)).as_object();
}

void expect_same_shape(const json::object& ours, const json::object& recorded, const std::string& where) {
  expect_ordered_subset(keys(ours), keys(recorded), where);
  for (const auto& kv : ours) {
    const auto* rec = recorded.if_contains(kv.key());
    if (!rec) continue;
    if (kv.value().is_object() && rec->is_object()) {
      expect_same_shape(kv.value().as_object(), rec->as_object(), where + "." + std::string(kv.key()));
    } else if (kv.value().is_array() && rec->is_array() && !kv.value().as_array().empty() && !rec->as_array().empty() &&
               kv.value().as_array()[0].is_object()) {
      expect_same_shape(kv.value().as_array()[0].as_object(), rec->as_array()[0].as_object(),
                        where + "." + std::string(kv.key()) + "[0]");
    }
  }
}

TEST(ChunkEncoder, MatchesRecordedIncludeUsageStream) {
  const auto rec = chunks_of(test::read_fixture("openai/stream/stream-include-usage.sse"));
  ASSERT_GE(rec.size(), 4u);
  ChunkEncoder enc("chatcmpl-x", 1731368639, "gpt-4-0613", true);
  expect_same_shape(parse_event(enc.role()), rec.front(), "role");
  EXPECT_EQ(keys(parse_event(enc.role())), keys(rec.front()));
  expect_same_shape(parse_event(enc.text("hi")), rec[1], "text");
  EXPECT_EQ(keys(parse_event(enc.text("hi"))["choices"].as_array()[0].as_object()),
            keys(rec[1].at("choices").as_array()[0].as_object()));
  expect_same_shape(parse_event(enc.finish("stop")), rec[rec.size() - 2], "finish");
  const auto usage = parse_event(enc.usage({12, 5, 17}));
  expect_same_shape(usage, rec.back(), "usage");
  EXPECT_TRUE(usage.at("choices").as_array().empty());
  EXPECT_EQ(usage.at("usage").at("total_tokens").as_int64(), 17);
  EXPECT_TRUE(parse_event(enc.text("x")).at("usage").is_null());
}

TEST(ChunkEncoder, WithoutIncludeUsageHasNoUsageField) {
  const auto rec = chunks_of(test::read_fixture("openai/stream/stream-basic.sse"));
  ChunkEncoder enc("chatcmpl-x", 1, "m", false);
  EXPECT_EQ(keys(parse_event(enc.text("a"))), keys(rec[1]));
}

TEST(ChunkEncoder, ToolCallFragmentsMatchRecording) {
  const auto rec = chunks_of(test::read_fixture("openai/tools/stream-tool-calls-single.sse"));
  ChunkEncoder enc("chatcmpl-x", 1, "m", true);
  const auto first = parse_event(enc.tool_call({0, "call_1", "multiply", ""}));
  const auto& rec_call = rec[0].at("choices").at(0).at("delta").at("tool_calls").at(0).as_object();
  const auto& our_call = first.at("choices").at(0).at("delta").at("tool_calls").at(0).as_object();
  EXPECT_EQ(keys(our_call), keys(rec_call));
  EXPECT_EQ(keys(our_call.at("function").as_object()), keys(rec_call.at("function").as_object()));
  const auto next = parse_event(enc.tool_call({0, std::nullopt, std::nullopt, "{\"a\""}));
  const auto& rec_next = rec[1].at("choices").at(0).at("delta").at("tool_calls").at(0).as_object();
  EXPECT_EQ(keys(next.at("choices").at(0).at("delta").at("tool_calls").at(0).as_object()), keys(rec_next));
}

TEST(ChunkEncoder, EscapesText) {
  ChunkEncoder enc("id", 1, "m\"odel", false);
  const auto ev = parse_event(enc.text("quote\" backslash\\ newline\n tab\t ctrl\x01 é"));
  EXPECT_EQ(ev.at("choices").at(0).at("delta").at("content").as_string(),
            "quote\" backslash\\ newline\n tab\t ctrl\x01 é");
  EXPECT_EQ(ev.at("model").as_string(), "m\"odel");
}

TEST(ChunkEncoder, WithoutAnIdMakesOneForTheWholeStream) {
  ChunkEncoder enc({}, 1, "m", false);
  const auto a = parse_event(enc.role()), b = parse_event(enc.text("x")), c = parse_event(enc.finish("stop"));
  const std::string id(a.at("id").as_string());
  EXPECT_TRUE(id.starts_with("chatcmpl-")) << id;
  EXPECT_EQ(id.size(), 9u + 24u);
  EXPECT_EQ(b.at("id").as_string(), id);
  EXPECT_EQ(c.at("id").as_string(), id);
  EXPECT_EQ(enc.id(), id);
  ChunkEncoder other({}, 1, "m", false);
  EXPECT_NE(other.id(), id) << "each stream its own";
  Completion done{{}, 5, "m", "hi", {}, "stop", {}};
  const std::string made(json::parse(encode_completion(done)).at("id").as_string());
  EXPECT_TRUE(made.starts_with("chatcmpl-")) << made;
}

TEST(Completion, MatchesRecordedShape) {
  const auto rec = json::parse(test::read_fixture("openai/nonstream/chat-completion-basic.json")).as_object();
  Completion c{"chatcmpl-x", 5, "m", "Germany.", {}, "stop", {25, 2, 27}};
  const auto ours = json::parse(encode_completion(c)).as_object();
  expect_same_shape(ours, rec, "completion");
  EXPECT_EQ(ours.at("choices").at(0).at("message").at("content").as_string(), "Germany.");
}

TEST(Completion, ToolCallsMatchRecordedShape) {
  const auto rec = json::parse(test::read_fixture("openai/tools/nonstream-tool-call-single.json")).as_object();
  Completion c{"chatcmpl-x", 5, "m", "", {{"call_1", "multiply", R"({"a":2})"}}, "tool_calls", {1, 2, 3}};
  const auto ours = json::parse(encode_completion(c)).as_object();
  expect_same_shape(ours, rec, "completion");
  const auto& msg = ours.at("choices").at(0).at("message");
  EXPECT_TRUE(msg.at("content").is_null());
  EXPECT_EQ(msg.at("tool_calls").at(0).at("function").at("arguments").as_string(), R"({"a":2})");
}

TEST(CompletionId, LooksLikeOpenAIs) {
  const auto a = new_completion_id(), b = new_completion_id();
  EXPECT_TRUE(a.starts_with("chatcmpl-"));
  EXPECT_EQ(a.size(), 9u + 24u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace sb::openai
