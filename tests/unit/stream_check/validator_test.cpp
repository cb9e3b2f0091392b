// switchboard-check's stream validator: every real OpenAI recording validates clean; each kind of broken
// stream, built here from a recording, is named.
#include <gtest/gtest.h>

#include <algorithm>

#include "stream_check_fixtures.hpp"

namespace sb::check {
namespace {

namespace json = boost::json;
using namespace sb::check::test_support;

const std::string kText = "openai/stream/stream-include-usage.sse";
const std::string kN2 = "openai/stream/stream-n2-multiple-choices-include-usage.sse";
const std::string kTool = "openai/tools/stream-tool-calls-single.sse";

std::vector<std::string> recorded_streams() {
  std::vector<std::string> out;
  const std::filesystem::path root(SWITCHBOARD_FIXTURES);
  for (const std::string folder : {"openai/stream", "openai/tools"}) {
    for (const auto& e : std::filesystem::directory_iterator(root / folder)) {
      const auto name = e.path().filename().string();
      if (name.ends_with(".sse") && (folder == "openai/stream" || name.starts_with("stream-")))
        out.push_back(folder + "/" + name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string n = p.param.substr(p.param.rfind('/') + 1);
  for (auto& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

class StreamCheckRecordedStream : public ::testing::TestWithParam<std::string> {};

TEST_P(StreamCheckRecordedStream, ValidatesClean) {
  const std::string body = fixture(GetParam());
  const bool usage = fixture_include_usage(GetParam());
  const auto r = validate_sse_body(body, ValidatorOptions{usage});
  EXPECT_TRUE(r.ok()) << codes(r);
  EXPECT_TRUE(r.shape.done);
  EXPECT_EQ(r.shape.has_usage, usage);
  ASSERT_FALSE(r.shape.choices.empty());
  for (const auto& c : r.shape.choices) {
    EXPECT_EQ(c.role, "assistant");
    EXPECT_FALSE(c.finish_reason.empty());
    EXPECT_TRUE(!c.text.empty() || !c.tool_calls.empty());
  }
  EXPECT_GT(r.stats.content_chunks, 0u);
}

INSTANTIATE_TEST_SUITE_P(OpenAI, StreamCheckRecordedStream, ::testing::ValuesIn(recorded_streams()), param_name);

TEST(StreamCheckRecordedStreams, AllSevenAreCovered) {
  EXPECT_EQ(recorded_streams().size(), 7u);
}

TEST(StreamCheckRecordedStreams, ShapesMatchTheRecordings) {
  const auto basic = validate_sse_body(fixture("openai/stream/stream-basic.sse"), ValidatorOptions{false});
  EXPECT_EQ(basic.shape.choices.at(0).text, "This is a test.");
  EXPECT_FALSE(basic.shape.has_usage);

  const auto n2 = validate_sse_body(fixture(kN2));
  ASSERT_EQ(n2.shape.choices.size(), 2u);
  EXPECT_EQ(n2.shape.choices[1].index, 1);
  EXPECT_EQ(n2.shape.total_tokens, 130);

  const auto parallel = validate_sse_body(fixture("openai/tools/stream-tool-calls-parallel.sse"));
  ASSERT_EQ(parallel.shape.choices.at(0).tool_calls.size(), 2u);
  EXPECT_EQ(parallel.shape.choices[0].tool_calls[1].name, "get_current_weather");
  EXPECT_EQ(parallel.shape.choices[0].finish_reason, "tool_calls");
  EXPECT_EQ(json::parse(parallel.shape.choices[0].tool_calls[0].arguments).at("location").as_string().size() > 0, true);
}

TEST(StreamCheckRecordedStreams, WithoutIncludeUsageTheUsageChunkIsExpectedAbsent) {
  // stream-basic was recorded without include_usage: validating it as if usage was requested must complain.
  const auto r = validate_sse_body(fixture("openai/stream/stream-basic.sse"), ValidatorOptions{true});
  EXPECT_TRUE(r.has("no-usage-chunk")) << codes(r);
  EXPECT_TRUE(r.has("usage-null-missing")) << codes(r);
  // And a usage chunk nobody asked for is reported too.
  const auto u = validate_sse_body(fixture(kText), ValidatorOptions{false});
  EXPECT_TRUE(u.has("usage-unrequested")) << codes(u);
}

// ---- mutated copies of a recording ----------------------------------------------------------------

std::vector<std::string> text_events() {
  return events_of(fixture(kText));
}

std::size_t finish_event(const std::vector<std::string>& ev) {
  for (std::size_t i = 0; i < ev.size(); ++i)
    if (ev[i].find("\"finish_reason\":\"") != std::string::npos) return i;
  throw std::runtime_error("no finish event");
}

void expect_violation(const ValidationResult& r, const std::string& code, const std::string& text) {
  const auto it = std::find_if(r.violations.begin(), r.violations.end(), [&](const auto& v) { return v.code == code; });
  ASSERT_NE(it, r.violations.end()) << "expected " << code << ", got:\n" << codes(r);
  EXPECT_NE(describe(*it).find(text), std::string::npos) << describe(*it);
}

TEST(StreamCheckMutated, DroppedDoneIsMissingDone) {
  auto ev = text_events();
  ev.pop_back();
  const auto r = validate(ev);
  expect_violation(r, "missing-done", "missing [DONE]");
  EXPECT_EQ(r.violations.size(), 1u) << codes(r);
}

TEST(StreamCheckMutated, ChangedIdIsNamed) {
  auto ev = text_events();
  auto chunk = json_of(ev[3]);
  chunk.as_object()["id"] = "chatcmpl-other";
  ev[3] = text_of(chunk);
  const auto r = validate(ev);
  expect_violation(r, "id-changed", "id changed mid-stream");
  EXPECT_EQ(r.violations.front().event, 4);
}

TEST(StreamCheckMutated, ChangedModelAndCreatedAreNamed) {
  auto ev = text_events();
  auto chunk = json_of(ev[2]);
  chunk.as_object()["model"] = "gpt-other";
  chunk.as_object()["created"] = 1;
  ev[2] = text_of(chunk);
  const auto r = validate(ev);
  expect_violation(r, "model-changed", "model changed mid-stream");
  expect_violation(r, "created-changed", "created changed mid-stream");
}

TEST(StreamCheckMutated, RemovedRoleIsFirstDeltaHasNoRole) {
  auto ev = text_events();
  auto chunk = json_of(ev[0]);
  chunk.at("choices").as_array()[0].as_object()["delta"].as_object().erase("role");
  ev[0] = text_of(chunk);
  expect_violation(validate(ev), "no-role", "first delta has no role");
}

TEST(StreamCheckMutated, WrongRoleIsNamed) {
  auto ev = text_events();
  auto chunk = json_of(ev[0]);
  chunk.at("choices").as_array()[0].as_object()["delta"].as_object()["role"] = "user";
  ev[0] = text_of(chunk);
  expect_violation(validate(ev), "wrong-role", "expected \"assistant\"");
}

TEST(StreamCheckMutated, CorruptJsonNamesTheEvent) {
  auto ev = text_events();
  ev[3] = ev[3].substr(0, ev[3].size() / 2);
  const auto r = validate(ev);
  expect_violation(r, "invalid-json", "event 4 is not valid JSON");
}

TEST(StreamCheckMutated, RemovedFinishChunkIsNoFinishReasonChunk) {
  auto ev = text_events();
  ev.erase(ev.begin() + static_cast<std::ptrdiff_t>(finish_event(ev)));
  const auto r = validate(ev);
  expect_violation(r, "no-finish", "no finish_reason chunk");
  expect_violation(r, "usage-before-finish", "usage chunk before the finish chunk");
}

TEST(StreamCheckMutated, ContentAfterFinishIsNamed) {
  auto ev = text_events();
  const std::size_t f = finish_event(ev);
  ev.insert(ev.begin() + static_cast<std::ptrdiff_t>(f) + 1, ev[2]);  // a content chunk, replayed late
  expect_violation(validate(ev), "content-after-finish", "content after finish chunk");
}

TEST(StreamCheckMutated, FinishChunkWithContentIsNamed) {
  auto ev = text_events();
  const std::size_t f = finish_event(ev);
  auto chunk = json_of(ev[f]);
  chunk.at("choices").as_array()[0].as_object()["delta"] = json::object{{"content", "late words"}};
  ev[f] = text_of(chunk);
  expect_violation(validate(ev), "finish-delta-not-empty", "finish chunk carries content");
}

TEST(StreamCheckMutated, UnknownFinishReasonIsNamed) {
  auto ev = text_events();
  const std::size_t f = finish_event(ev);
  auto chunk = json_of(ev[f]);
  chunk.at("choices").as_array()[0].as_object()["finish_reason"] = "end_turn";
  ev[f] = text_of(chunk);
  expect_violation(validate(ev), "bad-finish-reason", "unknown finish_reason \"end_turn\"");
}

TEST(StreamCheckMutated, ErrorEventEndsTheStreamAndIsNamed) {
  auto ev = text_events();
  ev.resize(3);
  ev.push_back(R"({"error":{"message":"upstream connection lost","type":"server_error","param":null,"code":null}})");
  const auto r = validate(ev);
  expect_violation(r, "error-event", "stream ended with an error event: upstream connection lost");
  // Its consequences (no finish, no usage, no [DONE]) are not reported on top.
  EXPECT_EQ(r.violations.size(), 1u) << codes(r);
  EXPECT_TRUE(r.shape.error_event);
}

TEST(StreamCheckMutated, DataAfterDoneIsNamed) {
  auto ev = text_events();
  ev.push_back(ev[2]);
  expect_violation(validate(ev), "data-after-done", "data after [DONE]");
}

TEST(StreamCheckMutated, WrongObjectIsNamed) {
  auto ev = text_events();
  auto chunk = json_of(ev[1]);
  chunk.as_object()["object"] = "chat.completion";
  ev[1] = text_of(chunk);
  expect_violation(validate(ev), "wrong-object", "expected \"chat.completion.chunk\"");
}

TEST(StreamCheckMutated, MissingUsageChunkAndUsageNullAreNamed) {
  auto ev = text_events();
  ev.erase(ev.end() - 2);  // the usage chunk
  auto chunk = json_of(ev[1]);
  chunk.as_object().erase("usage");
  ev[1] = text_of(chunk);
  const auto r = validate(ev);
  expect_violation(r, "no-usage-chunk", "no usage chunk");
  expect_violation(r, "usage-null-missing", "lacks \"usage\":null");
}

TEST(StreamCheckMutated, UsageWithoutTokenCountsIsNamed) {
  auto ev = text_events();
  auto chunk = json_of(ev[ev.size() - 2]);
  chunk.at("usage").as_object().erase("total_tokens");
  ev[ev.size() - 2] = text_of(chunk);
  expect_violation(validate(ev), "usage-fields", "usage has no integer total_tokens");
}

TEST(StreamCheckMutated, NamedEventLineIsNamed) {
  std::string body = fixture(kText);
  body.insert(0, "event: message\n");
  expect_violation(validate_sse_body(body), "named-event", "`event: message` line");
}

TEST(StreamCheckMutated, TruncatedBodyIsNamed) {
  const std::string body = fixture(kText);
  const auto r = validate_sse_body(body.substr(0, body.size() - 5));
  expect_violation(r, "truncated-event", "ended in the middle of an event");
  expect_violation(r, "missing-done", "missing [DONE]");
}

TEST(StreamCheckMutated, EmptyBodyIsNamed) {
  const auto r = validate_sse_body("");
  expect_violation(r, "empty-stream", "no data events");
  expect_violation(r, "missing-done", "missing [DONE]");
}

TEST(StreamCheckMutated, KeepAliveCommentsAreFine) {
  auto ev = text_events();
  std::string body;
  for (const auto& e : ev) body += ": keep-alive\n\ndata: " + e + "\n\n";
  const auto r = validate_sse_body(body);
  EXPECT_TRUE(r.ok()) << codes(r);
  EXPECT_EQ(r.stats.keepalives, ev.size());
}

TEST(StreamCheckMutated, SecondChoiceWithoutFinishIsNamedWithItsIndex) {
  auto ev = events_of(fixture(kN2));
  const auto it = std::find_if(ev.begin(), ev.end(), [](const std::string& e) {
    return e.find("\"index\":1,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"") != std::string::npos;
  });
  ASSERT_NE(it, ev.end());
  ev.erase(it);
  expect_violation(validate(ev), "no-finish", "no finish_reason chunk (choice 1)");
}

// ---- tool calls ------------------------------------------------------------------------------------

json::object& first_tool_fragment(json::value& chunk) {
  return chunk.at("choices").as_array()[0].at("delta").at("tool_calls").as_array()[0].as_object();
}

TEST(StreamCheckMutatedToolCall, FirstFragmentWithoutIdOrNameIsNamed) {
  auto ev = events_of(fixture(kTool));
  auto chunk = json_of(ev[0]);
  first_tool_fragment(chunk).erase("id");
  first_tool_fragment(chunk)["function"].as_object().erase("name");
  ev[0] = text_of(chunk);
  const auto r = validate(ev);
  expect_violation(r, "tool-call-first-fragment", "first fragment of tool call 0 lacks id");
  EXPECT_NE(codes(r).find("lacks function.name"), std::string::npos) << codes(r);
}

TEST(StreamCheckMutatedToolCall, LaterFragmentRepeatingTheNameIsNamed) {
  auto ev = events_of(fixture(kTool));
  auto chunk = json_of(ev[2]);
  first_tool_fragment(chunk)["function"].as_object()["name"] = "multiply";
  ev[2] = text_of(chunk);
  expect_violation(validate(ev), "tool-call-later-fragment", "repeats id/type/function.name");
}

TEST(StreamCheckMutatedToolCall, ArgumentsThatDoNotConcatenateToJsonAreNamed) {
  auto ev = events_of(fixture(kTool));
  auto chunk = json_of(ev[1]);
  first_tool_fragment(chunk)["function"].as_object()["arguments"] = "{{";
  ev[1] = text_of(chunk);
  expect_violation(validate(ev), "tool-call-arguments-json", "arguments of tool call 0 are not valid JSON");
}

TEST(StreamCheckMutatedToolCall, ToolCallsFinishWithoutToolCallsIsNamed) {
  auto ev = text_events();
  const std::size_t f = finish_event(ev);
  auto chunk = json_of(ev[f]);
  chunk.at("choices").as_array()[0].as_object()["finish_reason"] = "tool_calls";
  ev[f] = text_of(chunk);
  expect_violation(validate(ev), "tool-calls-finish-mismatch", "finish_reason tool_calls but no tool calls");
}

// ---- timings and headers ---------------------------------------------------------------------------

TEST(StreamCheckStats, TtftAndGapsComeFromContentChunkArrivals) {
  const auto ev = text_events();
  StreamValidator v;
  double t = 100;
  for (const auto& e : ev) {
    v.on_event("", e, true, t);
    t += 10;
  }
  const auto r = v.finish(t);
  ASSERT_TRUE(r.ok()) << codes(r);
  // Event 0 is the role chunk (no content): the first token is event 1, at 110 ms.
  ASSERT_TRUE(r.stats.ttft_ms.has_value());
  EXPECT_DOUBLE_EQ(*r.stats.ttft_ms, 110);
  EXPECT_EQ(r.stats.gaps_ms.size(), r.stats.content_chunks - 1);
  for (double g : r.stats.gaps_ms) EXPECT_DOUBLE_EQ(g, 10);
  EXPECT_EQ(r.stats.chunks, ev.size() - 1);
  ASSERT_TRUE(r.stats.chars_per_second().has_value());
  EXPECT_GT(*r.stats.chars_per_second(), 0);
}

TEST(StreamCheckContentType, EventStreamWithParametersIsAccepted) {
  EXPECT_FALSE(check_content_type("text/event-stream; charset=utf-8").has_value());
  EXPECT_FALSE(check_content_type("Text/Event-Stream").has_value());
  const auto v = check_content_type("application/json");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->code, "content-type");
}

TEST(StreamCheckUtf8, CountsCodePoints) {
  EXPECT_EQ(utf8_length("h\xC3\xA9llo \xE2\x82\xAC"), 7u);
}

}  // namespace
}  // namespace sb::check
