// switchboard-check: proxy-vs-reference structure comparison, percentiles and the request it sends.
#include <gtest/gtest.h>

#include "../../../tools/stream-check/compare.hpp"
#include "../../../tools/stream-check/request.hpp"
#include "stream_check_fixtures.hpp"

namespace sb::check {
namespace {

namespace json = boost::json;
using namespace sb::check::test_support;

StreamShape shape_of(const std::string& relative) {
  return validate_sse_body(fixture(relative), ValidatorOptions{fixture_include_usage(relative)}).shape;
}

std::string all(const std::vector<Violation>& vs) {
  std::string out;
  for (const auto& v : vs) out += v.code + ": " + v.message + "\n";
  return out;
}

bool has(const std::vector<Violation>& vs, const std::string& code) {
  for (const auto& v : vs)
    if (v.code == code) return true;
  return false;
}

TEST(StreamCheckCompareShapes, TwoTextAnswersWithDifferentWordsAreAlike) {
  // Different models, different text, 2024 vs 2026 recordings (service_tier, obfuscation only in the latter).
  const auto a = shape_of("openai/stream/stream-include-usage.sse");
  const auto b = shape_of("openai/stream/stream-include-usage-obfuscation.sse");
  EXPECT_TRUE(compare_shapes(a, b).empty()) << all(compare_shapes(a, b));
}

TEST(StreamCheckCompareShapes, TextVersusToolCallIsAStructureDifference) {
  const auto text = shape_of("openai/stream/stream-include-usage.sse");
  const auto tool = shape_of("openai/tools/stream-tool-calls-single.sse");
  const auto d = compare_shapes(text, tool);
  EXPECT_TRUE(has(d, "diff-finish-reason")) << all(d);
  EXPECT_TRUE(has(d, "diff-tool-call-count")) << all(d);
  EXPECT_TRUE(has(d, "diff-text")) << all(d);
  EXPECT_NE(all(d).find("finish_reason differs: stop vs tool_calls"), std::string::npos) << all(d);
}

TEST(StreamCheckCompareShapes, ToolNamesAndCountsAreCompared) {
  const auto one = shape_of("openai/tools/stream-tool-calls-single.sse");
  const auto two = shape_of("openai/tools/stream-tool-calls-parallel.sse");
  EXPECT_TRUE(has(compare_shapes(one, two), "diff-tool-call-count"));
  auto renamed = two;
  renamed.choices[0].tool_calls[1].name = "get_forecast";
  EXPECT_TRUE(has(compare_shapes(renamed, two), "diff-tool-call-names"));
}

TEST(StreamCheckCompareShapes, UsagePresenceChoiceCountAndMissingFields) {
  const auto basic = shape_of("openai/stream/stream-basic.sse");
  const auto usage = shape_of("openai/stream/stream-include-usage.sse");
  EXPECT_TRUE(has(compare_shapes(basic, usage), "diff-usage"));
  const auto n2 = shape_of("openai/stream/stream-n2-multiple-choices-include-usage.sse");
  EXPECT_TRUE(has(compare_shapes(usage, n2), "diff-choice-count"));
  auto lacking = usage;
  lacking.choice_fields.erase("logprobs");
  const auto d = compare_shapes(lacking, usage);
  ASSERT_TRUE(has(d, "diff-choice-fields")) << all(d);
  EXPECT_NE(all(d).find("logprobs"), std::string::npos);
}

TEST(StreamCheckCompareShapes, ABrokenStreamIsNotComparedForStructure) {
  auto broken = shape_of("openai/stream/stream-include-usage.sse");
  broken.error_event = true;
  EXPECT_TRUE(compare_shapes(broken, shape_of("openai/tools/stream-tool-calls-single.sse")).empty());
}

TEST(StreamCheckPercentile, NearestRank) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  EXPECT_EQ(percentile(v, 50), 50);
  EXPECT_EQ(percentile(v, 90), 90);
  EXPECT_EQ(percentile(v, 99), 99);
  EXPECT_EQ(percentile(v, 100), 100);
  EXPECT_EQ(percentile({7}, 99), 7);
  EXPECT_FALSE(percentile({}, 50).has_value());
  const auto d = distribution({3, 1, 2});
  EXPECT_EQ(d.n, 3u);
  EXPECT_EQ(d.p50, 2);
  EXPECT_EQ(d.max, 3);
}

TEST(StreamCheckRequest, DefaultBodyStreamsWithUsage) {
  RequestSpec spec;
  spec.model = "gpt-4o-mini";
  spec.prompt = "hi";
  const auto body = reference_body(spec);
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_TRUE(include_usage_requested(body));
  EXPECT_EQ(body.at("messages").as_array().size(), 1u);
  EXPECT_FALSE(body.contains("provider"));
  EXPECT_EQ(proxy_body(spec, "mock").at("provider"), "mock");
}

TEST(StreamCheckRequest, DeepgramBodyHasSystemPromptGreetingAndUserTurn) {
  RequestSpec spec;
  spec.prompt = "what are your opening hours?";
  spec.deepgram = true;
  const auto body = reference_body(spec);
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].at("role"), "system");
  EXPECT_EQ(messages[1].at("role"), "assistant");
  EXPECT_EQ(messages[2].at("content"), "what are your opening hours?");
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_FALSE(include_usage_requested(body));
}

TEST(StreamCheckRequest, ExtraBodyIsAMergePatch) {
  RequestSpec spec;
  spec.prompt = "hi";
  spec.extra =
      json::parse(R"({"mock":{"scenario":"no_done"},"stream_options":{"include_usage":null},"temperature":0})");
  const auto body = reference_body(spec);
  EXPECT_EQ(body.at("mock").at("scenario"), "no_done");
  EXPECT_FALSE(include_usage_requested(body));
  EXPECT_TRUE(body.at("stream_options").as_object().empty());
  EXPECT_EQ(body.at("temperature"), 0);
}

TEST(StreamCheckRequest, ChatCompletionsPath) {
  EXPECT_EQ(chat_completions_path(""), "/v1/chat/completions");
  EXPECT_EQ(chat_completions_path("/"), "/v1/chat/completions");
  EXPECT_EQ(chat_completions_path("/v1"), "/v1/chat/completions");
  EXPECT_EQ(chat_completions_path("/openai/v1/"), "/openai/v1/chat/completions");
  EXPECT_EQ(chat_completions_path("/v1/chat/completions"), "/v1/chat/completions");
}

}  // namespace
}  // namespace sb::check
