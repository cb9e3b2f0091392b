#include "openai/request.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/fixtures.hpp"

namespace sb::openai {
namespace {
namespace json = boost::json;

TEST(ParseChatRequest, RecordedRequestsParseAndForwardUnchanged) {
  for (const auto& f : test::list_fixtures("openai/stream", ".sse")) {
    const auto meta = json::parse(test::read_fixture(f + ".meta.json")).as_object();
    const std::string body = json::serialize(meta.at("request").at("body"));
    auto r = parse_chat_request(body);
    ASSERT_TRUE(r) << f << ": " << r.error().message;
    EXPECT_TRUE(r->stream);
    ASSERT_TRUE(r->model);
    EXPECT_EQ(forward_body(*r, *r->model), body) << "an unchanged request goes upstream byte for byte";
  }
}

TEST(ParseChatRequest, TheTreeLivesInTheRequestsArenaAndSurvivesAMove) {
  const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hello there"}],"stream":true})";
  auto r = parse_chat_request(body);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->arena);
  // Not copied out into the default resource on the way (a JSON container's assignment copies across resources).
  EXPECT_EQ(r->body.storage().get(), r->arena.get());
  ChatRequest moved = std::move(*r);
  EXPECT_EQ(moved.body.storage().get(), moved.arena.get());
  EXPECT_EQ(moved.messages().at(0).at("content").as_string(), "hello there");
  EXPECT_EQ(forward_body(moved, "other"), R"({"model":"other","messages":[{"role":"user","content":"hello there"}],"stream":true})");
}

TEST(ParseChatRequest, ExtensionFieldsAreRemovedEverythingElseKept) {
  const std::string body =
      R"({"model":"gpt-4o","provider":"openai","session_id":"s1","messages":[{"role":"user","content":"hi"}],)"
      R"("temperature":0.5,"tools":[{"type":"function","function":{"name":"f"}}],"x_vendor":{"a":1}})";
  auto r = parse_chat_request(body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->provider, "openai");
  EXPECT_EQ(r->session_id, "s1");
  const auto fwd = json::parse(forward_body(*r, "gpt-4o")).as_object();
  EXPECT_FALSE(fwd.contains("provider"));
  EXPECT_FALSE(fwd.contains("session_id"));
  EXPECT_EQ(fwd.at("temperature").as_double(), 0.5);
  EXPECT_TRUE(fwd.contains("tools"));
  EXPECT_EQ(fwd.at("x_vendor").at("a").as_int64(), 1);
}

TEST(ParseChatRequest, ModelDefaultIsFilledIn) {
  auto r = parse_chat_request(R"({"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->model);
  EXPECT_EQ(json::parse(forward_body(*r, "gpt-4o-mini")).at("model").as_string(), "gpt-4o-mini");
}

TEST(ParseChatRequest, IncludeUsage) {
  auto r = parse_chat_request(
      R"({"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->include_usage);
}

struct BadCase {
  std::string body;
  std::string code;
  std::optional<std::string> param;
};

class BadRequests : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadRequests, GiveOpenAIFormat400) {
  auto r = parse_chat_request(GetParam().body);
  ASSERT_FALSE(r) << GetParam().body;
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().type, "invalid_request_error");
  EXPECT_EQ(r.error().code, GetParam().code);
  EXPECT_EQ(r.error().param, GetParam().param);
  const auto body = json::parse(r.error().body()).as_object();
  EXPECT_EQ(body.at("error").as_object().size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadRequests,
    ::testing::Values(BadCase{"", "invalid_json", std::nullopt}, BadCase{"{", "invalid_json", std::nullopt},
                      BadCase{"[1]", "invalid_json", std::nullopt},
                      BadCase{"{}", "missing_required_parameter", "messages"},
                      BadCase{R"({"messages":"hi"})", "invalid_type", "messages"},
                      BadCase{R"({"messages":[]})", "invalid_type", "messages"},
                      BadCase{R"({"messages":[1]})", "invalid_type", "messages[0]"},
                      BadCase{R"({"messages":[{"content":"x"}]})", "missing_required_parameter", "messages[0].role"},
                      BadCase{R"({"messages":[{"role":"user","content":5}]})", "invalid_type", "messages[0].content"},
                      BadCase{R"({"model":5,"messages":[{"role":"user"}]})", "invalid_type", "model"},
                      BadCase{R"({"stream":"yes","messages":[{"role":"user"}]})", "invalid_type", "stream"},
                      BadCase{R"({"provider":1,"messages":[{"role":"user"}]})", "invalid_type", "provider"},
                      BadCase{R"({"session_id":[],"messages":[{"role":"user"}]})", "invalid_type", "session_id"},
                      BadCase{std::string(100, '[') + std::string(100, ']'), "invalid_json", std::nullopt}));

TEST(LastUserText, StringsAndContentParts) {
  auto r = parse_chat_request(
      R"({"messages":[{"role":"user","content":"first"},{"role":"assistant","content":"a"},)"
      R"({"role":"user","content":[{"type":"text","text":"hello "},{"type":"image_url","image_url":{}},{"type":"text","text":"world"}]}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(last_user_text(*r), "hello world");
}

}  // namespace
}  // namespace sb::openai
