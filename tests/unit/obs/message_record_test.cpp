// The message-log record: request messages and tools, the reply assembled from native events, relayed SSE
// events or a relayed body, and content redaction.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "obs/message_log.hpp"
#include "support/fixtures.hpp"

namespace sb::obs {
namespace {
namespace json = boost::json;

constexpr const char* kRequest =
    R"({"model":"gpt-4o-mini","stream":true,"session_id":"s-1","mock":{"chunks":2},)"
    R"("messages":[{"role":"system","content":"Be brief."},)"
    R"({"role":"user","content":[{"type":"text","text":"Héllo"},{"type":"image_url","image_url":{"url":"data:x"}}]},)"
    R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",)"
    R"("function":{"name":"lookup","arguments":"{\"q\":\"secret plans\"}"}}]},)"
    R"({"role":"tool","tool_call_id":"call_1","content":"42"}],)"
    R"("tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]})";

Exchange sample() {
  Exchange e;
  e.request_id = "req-1";
  e.ended = SystemClock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  e.started = e.ended - std::chrono::milliseconds(250);
  e.provider = "mock";
  e.model = "gpt-4o-mini";
  e.session_id = "s-1";
  e.stream = true;
  e.request_body = kRequest;
  e.status = 200;
  e.ttft_ms = 12.34;
  e.duration_ms = 250.06;
  e.finish_reason = "stop";
  e.usage = core::Usage{10, 3, 13};
  return e;
}

json::object record(const Exchange& e, bool redact = false) {
  RecordOptions o;
  o.redact_content = redact;
  const std::string line = build_record(e, o);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one record, one line";
  return json::parse(line).as_object();
}

TEST(MessageRecord, CarriesTheExchange) {
  Exchange e = sample();
  e.reply.add_text("Hi");
  e.reply.add_text(" there.");
  const auto r = record(e);
  EXPECT_EQ(r.at("request_id"), "req-1");
  EXPECT_EQ(r.at("ended_at"), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(r.at("started_at"), "2023-11-14T22:13:19.873Z");
  EXPECT_EQ(r.at("provider"), "mock");
  EXPECT_EQ(r.at("model"), "gpt-4o-mini");
  EXPECT_EQ(r.at("session_id"), "s-1");
  EXPECT_EQ(r.at("stream"), true);
  EXPECT_EQ(r.at("status"), 200);
  EXPECT_DOUBLE_EQ(r.at("ttft_ms").as_double(), 12.3);
  EXPECT_DOUBLE_EQ(r.at("duration_ms").as_double(), 250.1);
  EXPECT_EQ(r.at("client_disconnected"), false);
  EXPECT_TRUE(r.at("error").is_null());
  const auto& req = r.at("request").as_object();
  EXPECT_EQ(req.at("message_count"), 4);
  EXPECT_EQ(req.at("messages").as_array().size(), 4u);
  EXPECT_EQ(req.at("messages").as_array()[0].at("content"), "Be brief.");
  EXPECT_EQ(req.at("tools").as_array()[0].at("function").at("name"), "lookup");
  EXPECT_FALSE(req.contains("mock")) << "only messages and tools are kept from the request";
  const auto& resp = r.at("response").as_object();
  EXPECT_EQ(resp.at("content"), "Hi there.");
  EXPECT_EQ(resp.at("finish_reason"), "stop");
  EXPECT_FALSE(resp.contains("tool_calls"));
  EXPECT_EQ(r.at("usage").at("total_tokens"), 13);
}

TEST(MessageRecord, NativeToolCallsAreAssembledByIndex) {
  Exchange e = sample();
  e.finish_reason = "tool_calls";
  e.reply.add_tool_call({1, std::string("call_b"), std::string("second"), "{\"x\":"});
  e.reply.add_tool_call({0, std::string("call_a"), std::string("first"), "{}"});
  e.reply.add_tool_call({1, std::nullopt, std::nullopt, "2}"});
  const auto r = record(e);
  const auto& calls = r.at("response").at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].at("id"), "call_a");
  EXPECT_EQ(calls[1].at("function").at("name"), "second");
  EXPECT_EQ(calls[1].at("function").at("arguments"), "{\"x\":2}");
  EXPECT_EQ(calls[1].at("type"), "function");
}

TEST(MessageRecord, RelayedStreamIsParsedOnTheWriter) {
  Exchange e = sample();
  e.finish_reason.clear();
  e.usage.reset();
  e.reply.add_relayed_event(test::read_fixture("openai/stream/stream-include-usage.sse"));
  const auto r = record(e);
  EXPECT_EQ(r.at("response").at("content"), "\"This is a test.\"");
  EXPECT_EQ(r.at("response").at("finish_reason"), "stop");
  EXPECT_EQ(r.at("usage").at("prompt_tokens"), 12);
  EXPECT_EQ(r.at("usage").at("completion_tokens"), 5);
}

TEST(MessageRecord, RelayedToolCallStream) {
  Exchange e = sample();
  e.finish_reason.clear();
  e.reply.add_relayed_event(test::read_fixture("openai/tools/stream-tool-calls-parallel.sse"));
  const auto r = record(e);
  const auto& calls = r.at("response").at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].at("function").at("arguments"), "{\"location\": \"Seattle, WA\"}");
  EXPECT_EQ(calls[1].at("function").at("arguments"), "{\"location\": \"San Francisco, CA\"}");
  EXPECT_EQ(r.at("response").at("finish_reason"), "tool_calls");
}

TEST(MessageRecord, RelayedBody) {
  Exchange e = sample();
  e.stream = false;
  e.finish_reason.clear();
  e.usage.reset();
  e.reply.set_relayed_body(test::read_fixture("openai/tools/nonstream-tool-calls-parallel.json"));
  const auto r = record(e);
  EXPECT_EQ(r.at("response").at("tool_calls").as_array().size(), 2u);
  EXPECT_EQ(r.at("response").at("finish_reason"), "tool_calls");
  EXPECT_EQ(r.at("usage").at("total_tokens"), 126);
  e.reply.clear();
  e.reply.set_relayed_body(test::read_fixture("openai/nonstream/chat-completion-basic.json"));
  EXPECT_FALSE(record(e).at("response").at("content").as_string().empty());
}

TEST(MessageRecord, RedactionKeepsStructureNotText) {
  Exchange e = sample();
  e.reply.add_text("Top secret answer");
  e.reply.add_tool_call({0, std::string("call_z"), std::string("lookup"), "{\"q\":\"hidden\"}"});
  const std::string line = build_record(e, RecordOptions{true});
  for (const char* text : {"Be brief", "Héllo", "secret plans", "Top secret", "hidden", "data:x"})
    EXPECT_EQ(line.find(text), std::string::npos) << text;
  const auto r = json::parse(line).as_object();
  const auto& msgs = r.at("request").at("messages").as_array();
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[0].at("role"), "system");
  EXPECT_EQ(msgs[0].at("content_chars"), 9);
  EXPECT_FALSE(msgs[0].as_object().contains("content"));
  const auto& parts = msgs[1].at("content").as_array();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].at("type"), "text");
  EXPECT_EQ(parts[0].at("text_chars"), 5) << "characters, not bytes";
  EXPECT_EQ(parts[1].at("image_url").at("url_chars"), 6);
  const auto& call = msgs[2].at("tool_calls").as_array()[0];
  EXPECT_EQ(call.at("id"), "call_1");
  EXPECT_EQ(call.at("function").at("name"), "lookup");
  EXPECT_EQ(call.at("function").at("arguments_chars"), 20);
  EXPECT_TRUE(msgs[2].at("content").is_null());
  EXPECT_EQ(msgs[3].at("tool_call_id"), "call_1");
  EXPECT_EQ(msgs[3].at("content_chars"), 2);
  const auto& resp = r.at("response").as_object();
  EXPECT_EQ(resp.at("content_chars"), 17);
  EXPECT_EQ(resp.at("tool_calls").as_array()[0].at("function").at("arguments_chars"), 14);
  EXPECT_EQ(resp.at("tool_calls").as_array()[0].at("function").at("name"), "lookup");
  EXPECT_EQ(r.at("request").at("tools").as_array().size(), 1u) << "tool definitions are schema, kept";
}

TEST(MessageRecord, FailuresAndDisconnectsAreRecorded) {
  Exchange e = sample();
  e.status = 499;
  e.client_disconnected = true;
  e.finish_reason.clear();
  e.usage.reset();
  e.reply.add_text("Half an ans");
  e.error = core::ApiError::upstream_error("The upstream stream broke off.");
  const auto r = record(e);
  EXPECT_EQ(r.at("client_disconnected"), true);
  EXPECT_EQ(r.at("status"), 499);
  EXPECT_EQ(r.at("response").at("content"), "Half an ans");
  EXPECT_TRUE(r.at("response").at("finish_reason").is_null());
  EXPECT_TRUE(r.at("usage").is_null());
  EXPECT_EQ(r.at("error").at("code"), "upstream_error");
  EXPECT_EQ(r.at("error").at("status"), 502);
}

TEST(MessageRecord, UnparsableRequestIsNotCopied) {
  Exchange e = sample();
  e.request_body = "{not json";
  e.provider.clear();
  e.model.clear();
  const auto r = record(e);
  EXPECT_EQ(r.at("request").at("unparsable_bytes"), 9);
  EXPECT_TRUE(r.at("provider").is_null());
}

TEST(MessageRecord, CaptureIsBounded) {
  core::ReplyCapture c;
  const std::string big(core::ReplyCapture::kMaxBytes / 2 + 1, 'x');
  c.add_text(big);
  c.add_text(big);
  EXPECT_TRUE(c.truncated);
  EXPECT_EQ(c.text.size(), big.size());
}

}  // namespace
}  // namespace sb::obs
