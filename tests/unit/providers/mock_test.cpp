#include "providers/mock/mock_provider.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace sb::providers {
namespace {

openai::ChatRequest req(const std::string& body) {
  auto r = openai::parse_chat_request(body);
  EXPECT_TRUE(r) << body;
  return std::move(r).value();
}

std::string joined(const MockReply& r) {
  std::string s;
  for (const auto& w : r.words) s += w;
  return s;
}

TEST(MockReply, QuotesTheLastUserMessageWordByWord) {
  const auto r =
      mock_reply(req(R"({"messages":[{"role":"user","content":"old"},{"role":"user","content":"hello  there"}]})"));
  EXPECT_EQ(joined(r), "You said: \"hello  there\". This is the switchboard mock provider.");
  EXPECT_GT(r.words.size(), 5u);
  EXPECT_EQ(r.usage.prompt_tokens, 3);
  EXPECT_EQ(r.usage.completion_tokens, static_cast<std::int64_t>(r.words.size()));
  EXPECT_EQ(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  EXPECT_FALSE(r.tool);
}

TEST(MockReply, CallsTheFirstToolThenAnswersWithItsResult) {
  const auto call = mock_reply(req(
      R"({"tools":[{"type":"function","function":{"name":"get_weather"}}],"messages":[{"role":"user","content":"Paris"}]})"));
  ASSERT_TRUE(call.tool);
  EXPECT_EQ(call.tool->name, "get_weather");
  EXPECT_EQ(boost::json::parse(call.tool->arguments).at("input").as_string(), "Paris");
  const auto answer = mock_reply(req(
      R"({"tools":[{"type":"function","function":{"name":"get_weather"}}],"messages":[{"role":"user","content":"Paris"},)"
      R"({"role":"assistant","content":null,"tool_calls":[]},{"role":"tool","tool_call_id":"c","content":"sunny"}]})"));
  EXPECT_FALSE(answer.tool);
  EXPECT_EQ(joined(answer), "The tool returned: sunny");
}

TEST(MockReply, ToolChoiceNoneAnswersInText) {
  const auto r = mock_reply(req(
      R"({"tool_choice":"none","tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"x"}]})"));
  EXPECT_FALSE(r.tool);
}

}  // namespace
}  // namespace sb::providers
