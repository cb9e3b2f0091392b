// OpenAI request → InvokeAgent request: inputText, sessions and history, streaming, tool results; checked
// against the recorded InvokeAgent requests in fixtures/bedrock/invoke-agent/*.meta.json.
#include "providers/bedrock_agent/request_mapping.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/bedrock_agent/tool_call_id.hpp"
#include "support/fixtures.hpp"

namespace sb::providers::bedrock {
namespace {

namespace json = boost::json;

openai::ChatRequest parse(const std::string& body) {
  auto r = openai::parse_chat_request(body);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return std::move(*r);
}

std::string fixed_id() {
  return "fresh-session-0001";
}

core::Expected<InvokeAgentPlan> plan(const std::string& body, std::string_view header = {}, PlanOptions o = {}) {
  return plan_invoke_agent(parse(body), header, o, fixed_id);
}

json::object recorded_request(const std::string& fixture) {
  return json::parse(test::read_fixture("bedrock/invoke-agent/" + fixture + ".eventstream.meta.json"))
      .at("request")
      .as_object();
}

std::string session_in_url(const json::object& request) {
  const std::string url(request.at("url").as_string());
  const auto s = url.find("/sessions/") + 10;
  return url.substr(s, url.find('/', s) - s);
}

TEST(PlanInvokeAgent, FirstTurnMatchesTheRecordedRequest) {
  const auto recorded = recorded_request("invoke-agent-return-control");
  const std::string session = session_in_url(recorded);
  const auto p = plan(R"({"messages":[{"role":"user","content":"What's the weather like in Seattle today?"}],
                          "session_id":")" +
                          session + R"("})",
                      {}, {false, true});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->session_id, session);
  EXPECT_FALSE(p->generated_session);
  EXPECT_EQ(p->body, recorded.at("body").as_object());
}

TEST(PlanInvokeAgent, ToolResultResumesTheSessionLikeTheRecordedFollowUp) {
  const auto recorded = recorded_request("invoke-agent-after-return-control-result");
  const std::string session = session_in_url(recorded);
  const std::string id = encode_tool_call_id(
      {session, "c287d182-f8f9-4b9a-823c-acdbbc3fa9cc", "action_group_quick_start_sxcg8", "get_weather", {}, {}});
  const json::object req{
      {"model", "bedrock-agent"},
      {"messages",
       json::array{
           json::object{{"role", "user"}, {"content", "What's the weather like in Seattle today?"}},
           json::object{{"role", "assistant"},
                        {"content", nullptr},
                        {"tool_calls",
                         json::array{json::object{
                             {"id", id},
                             {"type", "function"},
                             {"function", {{"name", "get_weather"}, {"arguments", "{\"location\":\"Seattle\"}"}}}}}}},
           json::object{{"role", "tool"},
                        {"tool_call_id", id},
                        {"content", "The weather in Seattle is 72 degrees and sunny."}}}}};
  // No session_id and no header: the tool_call_id alone leads back to the session (any replica can serve it).
  const auto p = plan(json::serialize(req), {}, {false, true});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->session_id, session);
  EXPECT_TRUE(p->returns_control_results);
  EXPECT_EQ(p->body, recorded.at("body").as_object());
  EXPECT_FALSE(p->body.contains("inputText"));
}

TEST(PlanInvokeAgent, SeveralToolResultsAndApiResults) {
  const std::string f = encode_tool_call_id({"s-1", "inv", "ag", "fn", {}, {}});
  const std::string a = encode_tool_call_id({"s-1", "inv", "api-ag", {}, "/weather/{city}", "GET"});
  const auto p = plan(R"({"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[]},
      {"role":"tool","tool_call_id":")" +
                          f + R"(","content":[{"type":"text","text":"r1"}]},
      {"role":"tool","tool_call_id":")" +
                          a + R"(","content":"{\"t\":3}"}],"stream":true})",
                      {}, {true, false});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->body.at("sessionState"), json::parse(R"({"invocationId":"inv","returnControlInvocationResults":[
      {"functionResult":{"actionGroup":"ag","function":"fn","responseBody":{"TEXT":{"body":"r1"}}}},
      {"apiResult":{"actionGroup":"api-ag","apiPath":"/weather/{city}","httpMethod":"GET",
                    "responseBody":{"application/json":{"body":"{\"t\":3}"}}}}]})"));
  EXPECT_EQ(p->body.at("streamingConfigurations"), json::parse(R"({"streamFinalResponse":true})"));
}

TEST(PlanInvokeAgent, ForeignOrMixedToolCallIdsAreRejected) {
  auto p =
      plan(R"({"messages":[{"role":"user","content":"q"},{"role":"tool","tool_call_id":"call_abc","content":"x"}]})");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().status, 400);
  EXPECT_EQ(p.error().param, "messages[1].tool_call_id");
  const std::string one = encode_tool_call_id({"s-1", "inv-1", "ag", "fn", {}, {}});
  const std::string two = encode_tool_call_id({"s-1", "inv-2", "ag", "fn", {}, {}});
  p = plan(R"({"messages":[{"role":"tool","tool_call_id":")" + one + R"(","content":"x"},
                           {"role":"tool","tool_call_id":")" +
           two + R"(","content":"y"}]})");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().status, 400);
  p = plan(R"({"messages":[{"role":"tool","content":"x"}]})");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "missing_required_parameter");
}

TEST(PlanInvokeAgent, InputTextIsTheLastUserMessageVerbatim) {
  const auto p = plan(R"({"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"first"},
      {"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"text","text":"  two "},{"type":"text","text":"parts\n"}]}],
      "session_id":"client-session"})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->body.at("inputText"), "  two parts\n");
  EXPECT_FALSE(p->body.contains("sessionState")) << "with a client session only the new turn is sent";
  EXPECT_FALSE(p->body.contains("streamingConfigurations"));
  EXPECT_EQ(p->body.at("endSession"), false);
}

TEST(PlanInvokeAgent, SessionFromFieldThenHeaderThenFresh) {
  const std::string msgs = R"("messages":[{"role":"user","content":"hi"}])";
  EXPECT_EQ(plan("{" + msgs + R"(,"session_id":"from-field"})", "from-header")->session_id, "from-field");
  EXPECT_EQ(plan("{" + msgs + "}", "from-header")->session_id, "from-header");
  const auto fresh = plan("{" + msgs + "}");
  EXPECT_EQ(fresh->session_id, "fresh-session-0001");
  EXPECT_TRUE(fresh->generated_session);
  EXPECT_FALSE(fresh->body.contains("sessionState")) << "nothing earlier to send";
}

TEST(PlanInvokeAgent, InvalidSessionIdsAreRejected) {
  auto p = plan(R"({"messages":[{"role":"user","content":"hi"}],"session_id":"has space"})");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().param, "session_id");
  p = plan(R"({"messages":[{"role":"user","content":"hi"}]})", "x");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().param, "X-Session-Id");
  EXPECT_TRUE(valid_session_id("abc:def.ghi_jkl-0"));
  EXPECT_FALSE(valid_session_id(std::string(101, 'a')));
  EXPECT_FALSE(valid_session_id("a/b"));
}

TEST(PlanInvokeAgent, FreshSessionCarriesTheEarlierTurnsAsHistory) {
  const auto p = plan(R"({"messages":[
      {"role":"assistant","content":"Hi, how can I help?"},
      {"role":"system","content":"be brief"},
      {"role":"user","content":"My name is Ann."},
      {"role":"user","content":[{"type":"text","text":"I live in Oslo."}]},
      {"role":"assistant","content":"Nice to meet you, Ann."},
      {"role":"assistant","content":null,"tool_calls":[]},
      {"role":"tool","tool_call_id":"call_x","content":"tool output"},
      {"role":"assistant","content":""},
      {"role":"user","content":"What is my name?"}],"stream":true})",
                      {}, {true, false});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->generated_session);
  EXPECT_EQ(p->body.at("inputText"), "What is my name?");
  EXPECT_EQ(p->history_messages, 2u);
  EXPECT_EQ(p->body.at("sessionState"), json::parse(R"({"conversationHistory":{"messages":[
      {"role":"user","content":[{"text":"My name is Ann."},{"text":"I live in Oslo."}]},
      {"role":"assistant","content":[{"text":"Nice to meet you, Ann."}]}]}})"));
  EXPECT_EQ(p->body.at("streamingConfigurations"), json::parse(R"({"streamFinalResponse":true})"));
}

TEST(PlanInvokeAgent, NoUserMessageIsABadRequest) {
  const auto p = plan(R"({"messages":[{"role":"system","content":"x"}]})");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().status, 400);
  EXPECT_EQ(p.error().param, "messages");
}

TEST(InvokeAgentPath, LabelsAreEncoded) {
  EXPECT_EQ(invoke_agent_path("", "TFMZVIWXR7", "ZT7YYHO8TO", "d8e4519a-df32-4fd2-abc7-521ff9aa8272"),
            "/agents/TFMZVIWXR7/agentAliases/ZT7YYHO8TO/sessions/d8e4519a-df32-4fd2-abc7-521ff9aa8272/text");
  EXPECT_EQ(invoke_agent_path("/base", "A", "B", "user:42"), "/base/agents/A/agentAliases/B/sessions/user%3A42/text");
}

TEST(ToolCallId, RoundTripsAndRejectsStrangers) {
  const ReturnControlRef f{"sess:1", "inv-1", "ag", "get_weather", {}, {}};
  const ReturnControlRef a{"sess-2", "inv-2", "ag2", {}, "/x/{y}", "POST"};
  for (const auto& ref : {f, a}) {
    const auto id = encode_tool_call_id(ref);
    EXPECT_TRUE(id.starts_with("call_bra1_"));
    EXPECT_EQ(id.find_first_of("+/=\n"), std::string::npos) << id;
    EXPECT_EQ(decode_tool_call_id(id), ref);
  }
  EXPECT_FALSE(decode_tool_call_id("call_abc123"));
  EXPECT_FALSE(decode_tool_call_id("call_bra1_"));
  EXPECT_FALSE(decode_tool_call_id("call_bra1_!!!"));
  EXPECT_FALSE(decode_tool_call_id("call_bra1_Zm9v"));  // "foo"
}

}  // namespace
}  // namespace sb::providers::bedrock
