// The bedrock provider end to end: switchboard (AGENT_ID, AWS_ENDPOINT_URL) → mock-upstream's InvokeAgent,
// which checks every SigV4 signature and plays the scenario named in the input text.
#include "harness.hpp"
#include "providers/bedrock_agent/stream_mapping.hpp"
#include "providers/bedrock_agent/tool_call_id.hpp"

namespace sb::test {
namespace {

namespace json = boost::json;

// The mock's default test keys (tools/mock-upstream/bedrock_sigv4_verify.hpp).
constexpr const char* kAccessKey = "AKIDMOCKUPSTREAM0001";
constexpr const char* kSecretKey = "mock+upstream/bedrock/SECRET/key/0123456789";
constexpr const char* kAgent = "AGENT12345";
constexpr const char* kAlias = "ALIAS67890";

std::string user_body(const std::string& text, bool stream, const std::string& extra = {}) {
  json::object b{{"messages", json::array{json::object{{"role", "user"}, {"content", text}}}}, {"stream", stream}};
  std::string s = json::serialize(b);
  if (!extra.empty()) s = s.substr(0, s.size() - 1) + "," + extra + "}";
  return s;
}

// The completion chunks of a stream (an `error` event has no choices).
std::vector<json::object> choice_chunks(const StreamResponse& r) {
  std::vector<json::object> out;
  for (auto& c : chunks(r))
    if (c.contains("choices") && !c.at("choices").as_array().empty()) out.push_back(std::move(c));
  return out;
}

std::string content_of(const StreamResponse& r) {
  std::string text;
  for (const auto& c : choice_chunks(r))
    if (const auto* d = c.at("choices").at(0).at("delta").as_object().if_contains("content"); d && d->is_string())
      text += d->get_string();
  return text;
}

std::string finish_of(const StreamResponse& r) {
  for (const auto& c : choice_chunks(r))
    if (const auto& f = c.at("choices").at(0).at("finish_reason"); f.is_string()) return std::string(f.get_string());
  return {};
}

class ProxyToMockBedrock : public ProxyToMockUpstream {
 protected:
  std::map<std::string, std::string> proxy_env() override { return bedrock_env(kSecretKey); }

  std::map<std::string, std::string> bedrock_env(const std::string& secret) {
    return {{"AGENT_ID", kAgent},
            {"AGENT_ALIAS_ID", kAlias},
            {"AWS_ACCESS_KEY_ID", kAccessKey},
            {"AWS_SECRET_ACCESS_KEY", secret},
            {"AWS_SESSION_TOKEN", "mock-session-token-SECRET"},
            {"AWS_REGION", "eu-central-1"},
            {"AWS_ENDPOINT_URL", upstream_->base_url()},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"SSE_KEEPALIVE_MS", "5000"},
            {"UPSTREAM_FIRST_BYTE_TIMEOUT_MS", "5000"},
            {"UPSTREAM_IDLE_TIMEOUT_MS", "5000"}};
  }

  // The InvokeAgent request the mock received last: session id from the path, and the JSON body.
  struct Upstream {
    std::string session;
    json::object body;
    json::object headers;
  };
  Upstream last_invoke() {
    const auto last = last_upstream_request();
    const std::string target(last.at("target").as_string());
    const std::string prefix = std::string("/agents/") + kAgent + "/agentAliases/" + kAlias + "/sessions/";
    EXPECT_EQ(target.rfind(prefix, 0), 0u) << target;
    EXPECT_TRUE(target.ends_with("/text")) << target;
    const std::string session = target.substr(prefix.size(), target.size() - prefix.size() - 5);
    return {session, parse_obj(std::string(last.at("body").as_string())), last.at("headers").as_object()};
  }
};

TEST_F(ProxyToMockBedrock, NonStreamingAnswerWithUsageMinusOne) {
  const auto r = http_request(port(), "POST", "/v1/chat/completions", user_body("Hello agent", false));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto o = parse_obj(r.body);
  EXPECT_EQ(o.at("model").as_string(), "bedrock-agent");
  const auto& choice = o.at("choices").at(0).as_object();
  EXPECT_EQ(choice.at("message").at("content").as_string(), "You said: Hello agent. This is the mock Bedrock agent.");
  EXPECT_EQ(choice.at("finish_reason").as_string(), "stop");
  for (const char* k : {"prompt_tokens", "completion_tokens", "total_tokens"})
    EXPECT_EQ(o.at("usage").at(k).as_int64(), -1) << k;

  const auto up = last_invoke();
  EXPECT_EQ(up.body.at("inputText").as_string(), "Hello agent");
  EXPECT_FALSE(up.body.contains("streamingConfigurations")) << "no streamFinalResponse for a non-streaming client";
  const std::string auth(up.headers.at("authorization").as_string());
  EXPECT_NE(auth.find(std::string("Credential=") + kAccessKey + "/"), std::string::npos);
  EXPECT_NE(auth.find("/eu-central-1/bedrock/aws4_request"), std::string::npos);
  EXPECT_EQ(up.headers.at("x-amz-security-token").as_string(), "mock-session-token-SECRET");
  EXPECT_EQ(proxy_->output().find(kSecretKey), std::string::npos);
  EXPECT_EQ(proxy_->output().find("mock-session-token-SECRET"), std::string::npos) << "secrets never logged";
}

TEST_F(ProxyToMockBedrock, ModelIsReportedAsTheRequestNamedIt) {
  const auto r =
      http_request(port(), "POST", "/v1/chat/completions", user_body("hi", false, R"("model":"support-agent-v2")"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse_obj(r.body).at("model").as_string(), "support-agent-v2");
}

TEST_F(ProxyToMockBedrock, ProvidersListReportsBedrock) {
  const auto o = parse_obj(http_request(port(), "GET", "/v1/providers").body);
  bool found = false;
  for (const auto& p : o.at("providers").as_array()) {
    if (p.at("name").as_string() != "bedrock") continue;
    found = true;
    EXPECT_TRUE(p.at("available").as_bool());
    EXPECT_EQ(p.at("default_model").as_string(), "bedrock-agent");
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(o.at("default").as_string(), "bedrock") << "AGENT_ID without OPENAI_API_KEY makes bedrock the default";
}

TEST_F(ProxyToMockBedrock, DeltasArriveIncrementally) {
  const auto r =
      http_stream(port(), "/v1/chat/completions", user_body("scenario:text pieces=5 interval_ms=150 traces=2", true));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(content_of(r),
            "You said: scenario:text pieces=5 interval_ms=150 traces=2. This is the mock Bedrock agent.");
  EXPECT_EQ(r.events.back().data, "[DONE]");
  EXPECT_EQ(finish_of(r), "stop");
  // Content events, with their arrival times: the first well before the last (the mock spaces them 150 ms).
  std::vector<double> at;
  for (const auto& e : r.events)
    if (e.data.find("\"content\":\"") != std::string::npos && e.data.find("\"content\":\"\"") == std::string::npos)
      at.push_back(e.ms);
  ASSERT_GE(at.size(), 5u);
  EXPECT_GT(at.back() - at.front(), 300.0) << "chunks were held back and sent together";
  EXPECT_EQ(last_invoke().body.at("streamingConfigurations"), json::parse(R"({"streamFinalResponse":true})"));
}

TEST_F(ProxyToMockBedrock, OnePieceAnswerStreamsWordByWord) {
  const auto r = http_stream(port(), "/v1/chat/completions", user_body("scenario:one_piece", true));
  ASSERT_EQ(r.status, 200);
  const std::string expected = "You said: scenario:one_piece. This is the mock Bedrock agent.";
  EXPECT_EQ(content_of(r), expected);
  std::size_t deltas = 0;
  for (const auto& c : choice_chunks(r))
    if (c.at("choices").at(0).at("delta").as_object().contains("content") &&
        !c.at("choices").at(0).at("delta").at("content").as_string().empty())
      ++deltas;
  EXPECT_EQ(deltas, 9u) << "one delta per word";
}

TEST_F(ProxyToMockBedrock, MultiByteCharactersCutBetweenChunksArriveIntact) {
  const auto r = http_stream(port(), "/v1/chat/completions", user_body("scenario:utf8 pieces=13", true));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(content_of(r), "Grüße aus Köln: 12°C → 30°C, 日本語 🙂 done.");
  for (const auto& c : choice_chunks(r)) {
    const auto* d = c.at("choices").at(0).at("delta").as_object().if_contains("content");
    if (!d || !d->is_string()) continue;
    const std::string piece(d->get_string());
    EXPECT_EQ(providers::bedrock::complete_utf8_prefix(piece), piece.size()) << "half a character in a delta";
  }
  const auto nonstream = http_request(port(), "POST", "/v1/chat/completions", user_body("scenario:utf8", false));
  EXPECT_EQ(parse_obj(nonstream.body).at("choices").at(0).at("message").at("content").as_string(),
            "Grüße aus Köln: 12°C → 30°C, 日本語 🙂 done.");
}

TEST_F(ProxyToMockBedrock, RecordedStreamReplayedFrameByFrame) {
  const auto r = http_stream(
      port(), "/v1/chat/completions",
      user_body(
          "scenario:replay file=bedrock/invoke-agent/invoke-agent-streamed-chunks-with-guardrail-traces.eventstream",
          true));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(content_of(r), "The sum of 1, 2, 3, 4, 5, 6, 7, 8, 9, and 10 is 55.\n");
  EXPECT_EQ(finish_of(r), "stop");
  EXPECT_NE(proxy_->output().find("trace event"), std::string::npos) << "traces are logged at DEBUG";
  EXPECT_EQ(content_of(r).find("guardrail"), std::string::npos);
}

// ---- sessions ----------------------------------------------------------------------------------------------

TEST_F(ProxyToMockBedrock, SessionIdFieldThenHeaderThenFreshWithHistory) {
  ASSERT_EQ(
      http_request(port(), "POST", "/v1/chat/completions", user_body("one", false, R"("session_id":"user:42.a_b-c")"))
          .status,
      200);
  auto up = last_invoke();
  EXPECT_EQ(up.session, "user%3A42.a_b-c") << "the session id is URI-encoded in the path (and signed so)";
  EXPECT_FALSE(up.body.contains("sessionState"));

  ASSERT_EQ(
      http_request(port(), "POST", "/v1/chat/completions", user_body("two", false), {{"X-Session-Id", "hdr-7"}}).status,
      200);
  EXPECT_EQ(last_invoke().session, "hdr-7");

  const std::string multi = R"({"messages":[{"role":"system","content":"You are terse."},
      {"role":"user","content":"My name is Ann."},{"role":"assistant","content":"Hello Ann."},
      {"role":"user","content":"What is my name?"}]})";
  const auto r = http_request(port(), "POST", "/v1/chat/completions", multi);
  ASSERT_EQ(r.status, 200) << r.body;
  up = last_invoke();
  EXPECT_EQ(up.session.size(), 36u) << "a fresh UUID4: " << up.session;
  EXPECT_EQ(up.session[14], '4');
  EXPECT_EQ(up.body.at("inputText").as_string(), "What is my name?");
  EXPECT_EQ(up.body.at("sessionState").at("conversationHistory"), json::parse(R"({"messages":[
      {"role":"user","content":[{"text":"My name is Ann."}]},
      {"role":"assistant","content":[{"text":"Hello Ann."}]}]})"));

  // A client session id: only the new turn is sent, the agent remembers the rest.
  const std::string with_session = multi.substr(0, multi.size() - 1) + R"(,"session_id":"sess-ann"})";
  ASSERT_EQ(http_request(port(), "POST", "/v1/chat/completions", with_session).status, 200);
  up = last_invoke();
  EXPECT_EQ(up.session, "sess-ann");
  EXPECT_FALSE(up.body.contains("sessionState"));
}

TEST_F(ProxyToMockBedrock, ToolCallRoundTripResumesTheSessionOnAnyReplica) {
  const auto r = http_stream(port(), "/v1/chat/completions",
                             user_body("scenario:return_control", true, R"("session_id":"weather-session-1")"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(finish_of(r), "tool_calls");
  std::string id, name, args;
  for (const auto& c : choice_chunks(r)) {
    const auto* tc = c.at("choices").at(0).at("delta").as_object().if_contains("tool_calls");
    if (!tc) continue;
    const auto& call = tc->at(0).as_object();
    if (const auto* i = call.if_contains("id")) id = std::string(i->as_string());
    if (const auto* f = call.at("function").as_object().if_contains("name")) name = std::string(f->as_string());
    args += std::string(call.at("function").at("arguments").as_string());
  }
  EXPECT_EQ(name, "get_weather");
  EXPECT_EQ(json::parse(args), json::parse(R"({"location":"Seattle","days":3,"metric":true,"hours":[9,12]})"));
  const auto ref = providers::bedrock::decode_tool_call_id(id);
  ASSERT_TRUE(ref) << id;
  EXPECT_EQ(ref->session_id, "weather-session-1");

  // The follow-up goes to another replica (a second proxy process): the tool_call id carries what it needs.
  auto replica = start_switchboard(proxy_env());
  json::object follow{
      {"stream", false},
      {"messages",
       json::array{
           json::object{{"role", "user"}, {"content", "scenario:return_control"}},
           json::object{{"role", "assistant"},
                        {"content", nullptr},
                        {"tool_calls",
                         json::array{json::object{
                             {"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", args}}}}}}},
           json::object{{"role", "tool"}, {"tool_call_id", id}, {"content", "72F and sunny"}}}}};
  const auto answer = http_request(replica->port(), "POST", "/v1/chat/completions", json::serialize(follow));
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(parse_obj(answer.body).at("choices").at(0).at("message").at("content").as_string(),
            "Tool result received: 72F and sunny");
  const auto up = last_invoke();
  EXPECT_EQ(up.session, "weather-session-1") << "the same session resumed";
  EXPECT_EQ(up.body.at("sessionState").at("invocationId").as_string(), ref->invocation_id);
  EXPECT_EQ(up.body.at("sessionState").at("returnControlInvocationResults"), json::parse(R"([{"functionResult":{
      "actionGroup":"mock_action_group","function":"get_weather","responseBody":{"TEXT":{"body":"72F and sunny"}}}}])"));
  EXPECT_FALSE(up.body.contains("inputText"));

  // The invocation is answered: sending the same result again is refused by the agent (400 passed on).
  const auto again = http_request(port(), "POST", "/v1/chat/completions", json::serialize(follow));
  EXPECT_EQ(again.status, 400) << again.body;
}

TEST_F(ProxyToMockBedrock, ToolResultForAnIdWeDidNotIssueIsA400) {
  const std::string body = R"({"messages":[{"role":"user","content":"hi"},
      {"role":"tool","tool_call_id":"call_somebody_else","content":"x"}]})";
  const auto r = http_request(port(), "POST", "/v1/chat/completions", body);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r.body).at("param").as_string(), "messages[1].tool_call_id");
}

// ---- errors (SPEC §5) ------------------------------------------------------------------------------------------

TEST_F(ProxyToMockBedrock, HttpErrorsBeforeTheStreamMapToStatuses) {
  struct Case {
    std::string scenario;
    int status;
    std::string code;
  };
  for (const auto& c : std::vector<Case>{{"type=ThrottlingException retry_after=7", 429, "rate_limit_exceeded"},
                                         {"type=ValidationException message=Input_too_long", 400, ""},
                                         {"type=AccessDeniedException", 502, "upstream_auth_failed"},
                                         {"type=ResourceNotFoundException", 502, "upstream_error"},
                                         {"type=InternalServerException", 502, "upstream_error"},
                                         {"type=DependencyFailedException", 502, "upstream_error"},
                                         {"type=ServiceQuotaExceededException", 429, "rate_limit_exceeded"},
                                         {"type=ConflictException", 409, "conflict"}}) {
    for (const bool stream : {false, true}) {
      SCOPED_TRACE(c.scenario + (stream ? " (stream)" : ""));
      const auto r =
          http_request(port(), "POST", "/v1/chat/completions", user_body("scenario:error " + c.scenario, stream));
      EXPECT_EQ(r.status, c.status) << r.body;
      const auto err = error_of(r.body);
      EXPECT_EQ(err.at("code").is_null() ? std::string() : std::string(err.at("code").as_string()), c.code);
      if (c.status == 429 && c.scenario.find("retry_after") != std::string::npos) {
        EXPECT_EQ(r.headers.at("retry-after"), "7");
      }
      if (c.status == 400) {
        EXPECT_EQ(err.at("message").as_string(), "Input_too_long");
      }
    }
  }
}

TEST_F(ProxyToMockBedrock, ExceptionEventMidStreamEndsWithAnErrorEventAndNoFinish) {
  const auto r = http_stream(port(), "/v1/chat/completions",
                             user_body("scenario:exception after=2 type=throttlingException", true));
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(content_of(r).empty()) << "the text before the exception was delivered";
  ASSERT_FALSE(r.events.empty());
  const auto last = parse_obj(r.events.back().data);
  ASSERT_TRUE(last.contains("error")) << r.events.back().data;
  EXPECT_EQ(last.at("error").at("code").as_string(), "rate_limit_exceeded");
  EXPECT_TRUE(finish_of(r).empty()) << "a failed stream never passes for a complete answer";

  const auto nonstream = http_request(port(), "POST", "/v1/chat/completions",
                                      user_body("scenario:exception after=1 type=internalServerException", false));
  EXPECT_EQ(nonstream.status, 502);
  const auto validation = http_request(port(), "POST", "/v1/chat/completions",
                                       user_body("scenario:exception after=0 type=validationException", true));
  EXPECT_EQ(validation.status, 400) << "an exception before any text is still an HTTP status";
}

TEST_F(ProxyToMockBedrock, DroppedConnectionAndCorruptFramesEndWithAnErrorEvent) {
  for (const std::string scenario : {"scenario:drop after=2", "scenario:drop after=2 mode=reset", "scenario:corrupt"}) {
    SCOPED_TRACE(scenario);
    const auto r = http_stream(port(), "/v1/chat/completions", user_body(scenario, true));
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_FALSE(r.events.empty());
    const auto last = parse_obj(r.events.back().data);
    ASSERT_TRUE(last.contains("error")) << r.events.back().data;
    EXPECT_EQ(last.at("error").at("code").as_string(), "upstream_error");
    EXPECT_TRUE(finish_of(r).empty());
  }
}

TEST_F(ProxyToMockBedrock, ClientHangUpCancelsTheUpstreamCall) {
  int seen = 0;
  const auto r =
      http_stream(port(), "/v1/chat/completions", user_body("scenario:stall after=2 traces=0", true), {},
                  [&](const TimedEvent& e) { return (seen += !e.data.empty() && e.data.front() == '{') < 2; });
  EXPECT_EQ(seen, 2);
  EXPECT_TRUE(wait_for_upstream([](const json::object& s) { return s.at("streams_cancelled").as_int64() >= 1; }))
      << "the mock never saw the proxy close its InvokeAgent connection";
}

TEST_F(ProxyToMockBedrock, WrongSecretIsAnUpstreamAuthFailure) {
  auto wrong = start_switchboard(bedrock_env("not-the-right-secret"));
  const auto r = http_request(wrong->port(), "POST", "/v1/chat/completions", user_body("hi", false));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(error_of(r.body).at("code").as_string(), "upstream_auth_failed");
  EXPECT_EQ(r.body.find("signature"), std::string::npos) << "the upstream's auth text is not passed on";
}

TEST_F(ProxyToMockBedrock, MissingAliasMakesBedrockUnavailable) {
  auto env = bedrock_env(kSecretKey);
  env.erase("AGENT_ALIAS_ID");
  env["PROVIDER_NAME"] = "mock";
  auto proxy = start_switchboard(env);
  const auto r =
      http_request(proxy->port(), "POST", "/v1/chat/completions", user_body("hi", false, R"("provider":"bedrock")"));
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(error_of(r.body).at("message").as_string().find("AGENT_ALIAS_ID"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace sb::test
