// The openai provider against the mock upstream: relaying, forwarding, streaming rules.
#include "harness.hpp"
#include "support/fixtures.hpp"

namespace sb::test {
namespace {
namespace json = boost::json;

TEST_F(ProxyToMockUpstream, NonStreamingAnswerIsRelayed) {
  const auto r = http_request(port(), "POST", "/v1/chat/completions", chat_body());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto o = parse_obj(r.body);
  EXPECT_EQ(o.at("object").as_string(), "chat.completion");
  EXPECT_FALSE(o.at("choices").at(0).at("message").at("content").as_string().empty());
  EXPECT_FALSE(r.headers.at("x-request-id").empty());
}

TEST_F(ProxyToMockUpstream, RequestGoesUpWithEveryFieldButTheExtensions) {
  const std::string body =
      R"({"model":"gpt-4o-mini","provider":"openai","session_id":"abc","temperature":0.25,"top_p":1,)"
      R"("response_format":{"type":"json_object"},"messages":[{"role":"user","content":"hi"}],"x_custom":[1,2]})";
  ASSERT_EQ(http_request(port(), "POST", "/v1/chat/completions", body).status, 200);
  const auto last = last_upstream_request();
  const auto sent = parse_obj(std::string(last.at("body").as_string()));
  EXPECT_FALSE(sent.contains("provider"));
  EXPECT_FALSE(sent.contains("session_id"));
  EXPECT_EQ(sent.at("temperature").as_double(), 0.25);
  EXPECT_EQ(sent.at("response_format").at("type").as_string(), "json_object");
  EXPECT_EQ(sent.at("x_custom").as_array().size(), 2u);
  EXPECT_EQ(last.at("headers").at("authorization").as_string(), std::string("Bearer ") + kUpstreamKey);
  EXPECT_EQ(last.at("target").as_string(), "/v1/chat/completions");
}

TEST_F(ProxyToMockUpstream, UnchangedBodyIsForwardedByteForByte) {
  const std::string body =
      R"({"model":"gpt-4o-mini",  "messages":[{"role":"user","content":"hi"}],"temperature":0.70})";
  ASSERT_EQ(http_request(port(), "POST", "/v1/chat/completions", body).status, 200);
  EXPECT_EQ(last_upstream_request().at("body").as_string(), body);
}

TEST_F(ProxyToMockUpstream, AChangedBodyGoesUpAsTheClientWroteEachMember) {
  // The extension field goes; every other member is copied as written (the number keeps all its digits).
  const std::string body =
      R"({"model":"gpt-4o-mini", "provider":"openai","temperature":0.1000000000000000055511151231257827,)"
      R"( "messages":[{"role":"user","content":"a \"quoted\" }"}],"n":1e2})";
  ASSERT_EQ(http_request(port(), "POST", "/v1/chat/completions", body).status, 200);
  EXPECT_EQ(last_upstream_request().at("body").as_string(),
            R"({"model":"gpt-4o-mini","temperature":0.1000000000000000055511151231257827,)"
            R"("messages":[{"role":"user","content":"a \"quoted\" }"}],"n":1e2})");
}

class RecordedReplay : public ProxyToMockUpstream, public ::testing::WithParamInterface<std::string> {};

TEST_P(RecordedReplay, StreamComesOutByteIdentical) {
  const std::string file = GetParam();
  const auto r = http_stream(port(), "/v1/chat/completions",
                             chat_body(R"("mock":{"scenario":"replay","file":")" + file + R"("})", true));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.headers.at("content-type").rfind("text/event-stream", 0), 0u);
  EXPECT_EQ(r.body, read_fixture(file));
}

std::vector<std::string> recorded_streams() {
  auto a = list_fixtures("openai/stream", ".sse");
  auto b = list_fixtures("openai/tools", ".sse");
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

INSTANTIATE_TEST_SUITE_P(OpenAI, RecordedReplay, ::testing::ValuesIn(recorded_streams()), fixture_param_name);

TEST_F(ProxyToMockUpstream, StreamFollowsTheRules) {
  const auto r = http_stream(port(), "/v1/chat/completions",
                             chat_body(R"("stream_options":{"include_usage":true},"mock":{"chunks":6})", true));
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(r.complete);
  const auto cs = chunks(r);
  ASSERT_GE(cs.size(), 3u);
  EXPECT_EQ(r.events.back().data, "[DONE]");
  EXPECT_EQ(cs.front().at("choices").at(0).at("delta").at("role").as_string(), "assistant");
  for (const auto& c : cs) {
    EXPECT_EQ(c.at("id"), cs.front().at("id"));
    EXPECT_EQ(c.at("created"), cs.front().at("created"));
    EXPECT_EQ(c.at("model"), cs.front().at("model"));
  }
  EXPECT_TRUE(cs.back().at("choices").as_array().empty());
  EXPECT_TRUE(cs.back().at("usage").is_object());
  EXPECT_EQ(cs[cs.size() - 2].at("choices").at(0).at("finish_reason").as_string(), "stop");
}

TEST_F(ProxyToMockUpstream, EventsArriveAsTheyAreSentNotBuffered) {
  const auto r =
      http_stream(port(), "/v1/chat/completions", chat_body(R"("mock":{"chunks":5,"interval_ms":150})", true));
  ASSERT_EQ(r.status, 200);
  const auto cs = chunks(r);
  ASSERT_GE(r.events.size(), 6u);
  // The upstream spaces its content chunks 150 ms apart; a buffering proxy would deliver them together.
  const double first = r.events[1].ms, last = r.events[r.events.size() - 2].ms;
  EXPECT_GT(last - first, 4 * 150 * 0.8) << "content chunks were coalesced";
}

TEST_F(ProxyToMockUpstream, ToolCallsStreamThrough) {
  const auto r =
      http_stream(port(), "/v1/chat/completions", chat_body(R"("mock":{"scenario":"tool_calls_parallel"})", true));
  ASSERT_EQ(r.status, 200);
  std::map<int64_t, std::string> args;
  std::string finish;
  for (const auto& c : chunks(r)) {
    for (const auto& ch : c.at("choices").as_array()) {
      const auto& d = ch.at("delta").as_object();
      if (const auto* tc = d.if_contains("tool_calls"))
        for (const auto& t : tc->as_array())
          args[t.at("index").as_int64()] += t.at("function").at("arguments").as_string();
      if (ch.at("finish_reason").is_string()) finish = ch.at("finish_reason").as_string();
    }
  }
  ASSERT_EQ(args.size(), 2u);
  for (const auto& [i, a] : args) EXPECT_NO_THROW(json::parse(a)) << a;
  EXPECT_EQ(finish, "tool_calls");
}

}  // namespace
}  // namespace sb::test
