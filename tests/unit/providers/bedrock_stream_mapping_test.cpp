// InvokeAgent stream mapping against the recorded streams in fixtures/bedrock/invoke-agent, plus the cases
// the recordings lack (UTF-8 cut between chunks, exceptions, malformed events).
#include "providers/bedrock_agent/stream_mapping.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/bedrock_agent/base64.hpp"
#include "providers/bedrock_agent/tool_call_id.hpp"
#include "support/fixtures.hpp"

namespace sb::providers::bedrock {
namespace {

namespace json = boost::json;
namespace es = aws::eventstream;

std::vector<es::Message> decode_all(const std::string& bytes) {
  es::Decoder decoder;
  auto fed = decoder.feed(bytes);
  EXPECT_FALSE(fed.error);
  EXPECT_EQ(decoder.buffered(), 0u);
  return fed.messages;
}

es::Message event(std::string type, std::string payload) {
  return {{{":event-type", std::move(type)},
           {":content-type", std::string("application/json")},
           {":message-type", std::string("event")}},
          std::move(payload)};
}

es::Message chunk(std::string_view bytes) {
  return event("chunk", json::serialize(json::object{{"bytes", base64_encode(bytes)}}));
}

es::Message exception(std::string type, std::string message) {
  return {{{":exception-type", std::move(type)},
           {":content-type", std::string("application/json")},
           {":message-type", std::string("exception")}},
          json::serialize(json::object{{"message", std::move(message)}})};
}

struct Mapped {
  std::vector<std::string> texts;
  std::vector<core::ToolCallDelta> tools;
  std::vector<std::string> finishes;
  std::vector<core::ApiError> failures;
  std::vector<std::string> traces;
  std::vector<std::string> order;  // "text", "tool", "finish", "fail", "trace"

  [[nodiscard]] std::string text() const {
    std::string out;
    for (const auto& t : texts) out += t;
    return out;
  }
};

Mapped map_messages(const std::vector<es::Message>& messages, bool streaming, bool end = true) {
  AgentStreamMapper mapper({"sess-1", streaming, "bedrock", {"SECRET-VALUE"}});
  std::vector<AgentEvent> events;
  for (const auto& m : messages) mapper.on_message(m, events);
  if (end) mapper.on_end(events);
  Mapped out;
  for (auto& e : events) {
    if (auto* t = std::get_if<TextEvent>(&e)) {
      out.texts.push_back(t->text);
      out.order.emplace_back("text");
    } else if (auto* c = std::get_if<ToolCallEvent>(&e)) {
      out.tools.push_back(c->delta);
      out.order.emplace_back("tool");
    } else if (auto* f = std::get_if<FinishEvent>(&e)) {
      out.finishes.push_back(f->reason);
      out.order.emplace_back("finish");
    } else if (auto* x = std::get_if<FailEvent>(&e)) {
      out.failures.push_back(x->error);
      out.order.emplace_back("fail");
    } else if (auto* tr = std::get_if<TraceEvent>(&e)) {
      out.traces.push_back(tr->kind);
      out.order.emplace_back("trace");
    }
  }
  return out;
}

// The answer text of a recording: its chunks' bytes, concatenated.
std::string recorded_text(const std::vector<es::Message>& messages, std::size_t* chunks = nullptr,
                          std::size_t* traces = nullptr) {
  std::string out;
  for (const auto& m : messages) {
    if (m.event_type() == "chunk") {
      out += *base64_decode(json::parse(m.payload).at("bytes").as_string());
      if (chunks) ++*chunks;
    }
    if (traces && m.event_type() == "trace") ++*traces;
  }
  return out;
}

class RecordedInvokeAgent : public ::testing::TestWithParam<std::string> {};

TEST_P(RecordedInvokeAgent, MapsToValidTextOrToolCallEvents) {
  const auto messages = decode_all(test::read_fixture(GetParam()));
  std::size_t chunks = 0, traces = 0;
  const std::string expected = recorded_text(messages, &chunks, &traces);
  for (const bool streaming : {false, true}) {
    SCOPED_TRACE(streaming ? "streaming" : "non-streaming");
    const auto mapped = map_messages(messages, streaming);
    EXPECT_TRUE(mapped.failures.empty());
    EXPECT_EQ(mapped.text(), expected) << "text is never altered";
    EXPECT_EQ(mapped.traces.size(), traces) << "every trace counted";
    for (const auto& kind : mapped.traces) EXPECT_TRUE(kind.ends_with("Trace")) << kind;
    ASSERT_EQ(mapped.finishes.size(), 1u);
    EXPECT_EQ(mapped.order.back(), "finish");
    for (const auto& t : mapped.texts) EXPECT_FALSE(t.empty());
    if (mapped.tools.empty()) {
      EXPECT_EQ(mapped.finishes[0], "stop");
      // One delta per chunk; a streaming client gets the first chunk word by word.
      if (streaming) {
        EXPECT_GE(mapped.texts.size(), chunks);
      } else {
        EXPECT_EQ(mapped.texts.size(), chunks);
      }
    } else {
      EXPECT_EQ(mapped.finishes[0], "tool_calls");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RecordedInvokeAgent,
                         ::testing::ValuesIn(test::list_fixtures("bedrock/invoke-agent", ".eventstream")),
                         test::fixture_param_name);

TEST(AgentStreamMapper, StreamedChunksAreOneDeltaEachAfterTheFirst) {
  const auto messages = decode_all(
      test::read_fixture("bedrock/invoke-agent/invoke-agent-streamed-chunks-with-guardrail-traces.eventstream"));
  const auto mapped = map_messages(messages, /*streaming=*/true);
  // "The sum of" goes out word by word, then " 1, 2, 3, ", "4, 5, 6, 7", ", 8, 9, and", " 10 is 55.\n" as they are.
  const std::vector<std::string> expected{"The",        " sum",        " of",         " 1, 2, 3, ",
                                          "4, 5, 6, 7", ", 8, 9, and", " 10 is 55.\n"};
  EXPECT_EQ(mapped.texts, expected);
  // Text events come in the recorded order, interleaved with the traces, not batched at the end.
  EXPECT_EQ(mapped.order.front(), "trace");
  EXPECT_NE(std::find(mapped.order.begin(), mapped.order.end(), "text"), mapped.order.end());
  EXPECT_EQ(mapped.order[mapped.order.size() - 2], "trace") << "traces after the answer still counted";
}

TEST(AgentStreamMapper, OnePieceAnswerIsSplitIntoWordsWhenStreaming) {
  const auto messages = decode_all(test::read_fixture("bedrock/invoke-agent/invoke-agent-chunk-only.eventstream"));
  const auto streamed = map_messages(messages, true);
  const std::vector<std::string> words{"Sorry,",       " I",  " don't",  " have", " enough",
                                       " information", " to", " answer", " that."};
  EXPECT_EQ(streamed.texts, words);
  const auto collected = map_messages(messages, false);
  ASSERT_EQ(collected.texts.size(), 1u) << "no splitting for a non-streaming client";
  EXPECT_EQ(collected.texts[0], "Sorry, I don't have enough information to answer that.");
}

TEST(AgentStreamMapper, ReturnControlBecomesTypedToolCalls) {
  const auto messages = decode_all(test::read_fixture("bedrock/invoke-agent/invoke-agent-return-control.eventstream"));
  const auto mapped = map_messages(messages, true);
  ASSERT_EQ(mapped.tools.size(), 1u);
  const auto& call = mapped.tools[0];
  EXPECT_EQ(call.index, 0);
  EXPECT_EQ(call.name, "get_weather");
  EXPECT_EQ(json::parse(call.arguments), json::parse(R"({"location":"Seattle"})"));
  ASSERT_TRUE(call.id);
  const auto ref = decode_tool_call_id(*call.id);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->session_id, "sess-1");
  EXPECT_EQ(ref->invocation_id, "c287d182-f8f9-4b9a-823c-acdbbc3fa9cc");
  EXPECT_EQ(ref->action_group, "action_group_quick_start_sxcg8");
  EXPECT_EQ(ref->function, "get_weather");
  EXPECT_TRUE(mapped.texts.empty());
  EXPECT_EQ(mapped.finishes, std::vector<std::string>{"tool_calls"});
}

TEST(AgentStreamMapper, SeveralInvocationInputsAndApiActionGroups) {
  const std::string payload = R"({"invocationId":"inv-9","invocationInputs":[
    {"functionInvocationInput":{"actionGroup":"ag","function":"book","parameters":[
       {"name":"nights","type":"integer","value":"3"},{"name":"price","type":"number","value":"99.5"},
       {"name":"breakfast","type":"boolean","value":"TRUE"},{"name":"guests","type":"array","value":"[\"Ann\", \"Bo\"]"},
       {"name":"rooms","type":"array","value":"[single, double]"},{"name":"note","type":"string","value":"42"}]}},
    {"apiInvocationInput":{"actionGroup":"weather-api","httpMethod":"GET","apiPath":"/weather/{city}",
       "parameters":[{"name":"city","type":"string","value":"Paris"}],
       "requestBody":{"content":{"application/json":{"properties":[{"name":"days","type":"integer","value":"2"}]}}}}}]})";
  const auto mapped = map_messages({event("returnControl", payload)}, false);
  ASSERT_EQ(mapped.tools.size(), 2u);
  EXPECT_EQ(json::parse(mapped.tools[0].arguments),
            json::parse(R"({"nights":3,"price":99.5,"breakfast":true,"guests":["Ann","Bo"],"rooms":["single","double"],
                           "note":"42"})"));
  EXPECT_EQ(mapped.tools[1].index, 1);
  EXPECT_EQ(mapped.tools[1].name, "get_weather_city");
  EXPECT_EQ(json::parse(mapped.tools[1].arguments), json::parse(R"({"city":"Paris","days":2})"));
  const auto ref = decode_tool_call_id(*mapped.tools[1].id);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->api_path, "/weather/{city}");
  EXPECT_EQ(ref->http_method, "GET");
  EXPECT_EQ(ref->invocation_id, "inv-9");
}

TEST(TypedArguments, ValuesThatDoNotParseStayStrings) {
  const auto args = typed_arguments(json::parse(R"([
    {"name":"a","type":"integer","value":"3.5"},{"name":"b","type":"number","value":"abc"},
    {"name":"c","type":"boolean","value":"yes"},{"name":"d","type":"array","value":"x"},
    {"name":"e","type":"integer","value":" -12 "},{"name":"f","type":"mystery","value":"v"},
    {"name":"","type":"string","value":"dropped"},{"type":"string","value":"no name"},
    {"name":"g","type":"number","value":"1e999"},{"name":"h","type":"array","value":"[1, -2e400]"},
    {"name":"i","type":"number","value":"0e999"}])")
                                        .as_array());
  // A number beyond a double would be written as `Infinity` or `NaN` (not JSON): it stays the agent's text.
  EXPECT_EQ(args, json::parse(R"({"a":"3.5","b":"abc","c":"yes","d":"x","e":-12,"f":"v","g":"1e999",)"
                              R"("h":["1","-2e400"],"i":"0e999"})").as_object());
}

TEST(AgentStreamMapper, MultiByteCharacterCutBetweenChunks) {
  const std::string text = "Temperatures 12°C to 30°C — 日本 🙂 done";
  // Cut at every byte offset: the deltas never carry half a character and add up to the text.
  for (std::size_t cut = 1; cut < text.size(); ++cut) {
    const auto mapped = map_messages({chunk(text.substr(0, cut)), chunk(text.substr(cut))}, false);
    EXPECT_EQ(mapped.text(), text) << "cut " << cut;
    for (const auto& t : mapped.texts) EXPECT_EQ(complete_utf8_prefix(t), t.size()) << "cut " << cut;
  }
  // Three-way cut inside the 4-byte emoji.
  const auto emoji = text.find("🙂");
  const auto mapped = map_messages(
      {chunk(text.substr(0, emoji + 1)), chunk(text.substr(emoji + 1, 2)), chunk(text.substr(emoji + 3))}, true);
  EXPECT_EQ(mapped.text(), text);
}

TEST(AgentStreamMapper, CutOffCharacterAtTheEndIsPassedOnNotDropped) {
  const std::string text = "ends with \xE2\x82";  // the first two bytes of "€"
  const auto mapped = map_messages({chunk(text)}, false);
  EXPECT_EQ(mapped.text(), text);
}

TEST(CompleteUtf8Prefix, Boundaries) {
  EXPECT_EQ(complete_utf8_prefix(""), 0u);
  EXPECT_EQ(complete_utf8_prefix("abc"), 3u);
  EXPECT_EQ(complete_utf8_prefix("a\xC3"), 1u);
  EXPECT_EQ(complete_utf8_prefix("a\xC3\xA9"), 3u);
  EXPECT_EQ(complete_utf8_prefix("a\xE2\x82"), 1u);
  EXPECT_EQ(complete_utf8_prefix("a\xF0\x9F\x99"), 1u);
  EXPECT_EQ(complete_utf8_prefix("a\xF0\x9F\x99\x82"), 5u);
  EXPECT_EQ(complete_utf8_prefix("\x80\x80\x80\x80\x80"), 5u) << "stray continuation bytes pass";
}

TEST(SplitWords, ConcatenationIsTheOriginal) {
  for (std::string_view text : {"", " ", "one", "  two  spaces ", "line\n\nbreaks\tand tabs\n", "日本 語"}) {
    std::string joined;
    for (auto w : split_words(text)) joined += w;
    EXPECT_EQ(joined, text);
  }
  EXPECT_EQ(split_words("a b\nc").size(), 3u);
}

TEST(AgentStreamMapper, ExceptionEventsFailOnceWithTheMappedError) {
  struct Case {
    const char* type;
    int status;
    const char* code;
  };
  for (const Case& c :
       {Case{"throttlingException", 429, "rate_limit_exceeded"}, Case{"validationException", 400, ""},
        Case{"accessDeniedException", 502, "upstream_auth_failed"},
        Case{"internalServerException", 502, "upstream_error"},
        Case{"dependencyFailedException", 502, "upstream_error"}, Case{"badGatewayException", 502, "upstream_error"},
        Case{"resourceNotFoundException", 502, "upstream_error"},
        Case{"serviceQuotaExceededException", 429, "rate_limit_exceeded"}, Case{"conflictException", 409, "conflict"},
        Case{"modelNotReadyException", 502, "upstream_error"}}) {
    SCOPED_TRACE(c.type);
    const auto mapped =
        map_messages({chunk("partial answer"), exception(c.type, "went wrong SECRET-VALUE"), chunk("ignored")}, true);
    ASSERT_EQ(mapped.failures.size(), 1u);
    EXPECT_EQ(mapped.failures[0].status, c.status);
    EXPECT_EQ(mapped.failures[0].code.value_or(""), c.code);
    EXPECT_TRUE(mapped.finishes.empty()) << "a failed stream never finishes";
    EXPECT_EQ(mapped.order.back(), "fail");
    EXPECT_EQ(mapped.failures[0].body().find("SECRET-VALUE"), std::string::npos);
  }
}

TEST(AgentStreamMapper, ErrorMessagesAndMalformedEventsFail) {
  es::Message error{{{":message-type", std::string("error")},
                     {":error-code", std::string("InternalFailure")},
                     {":error-message", std::string("boom")}},
                    ""};
  EXPECT_EQ(map_messages({error}, false).failures.at(0).status, 502);
  EXPECT_EQ(map_messages({event("chunk", R"({"bytes":"***"})")}, false).failures.size(), 1u);
  EXPECT_EQ(map_messages({event("chunk", "not json")}, false).failures.size(), 1u);
  EXPECT_EQ(map_messages({event("returnControl", R"({"invocationInputs":[]})")}, false).failures.size(), 1u);
  EXPECT_EQ(
      map_messages({event("returnControl", R"({"invocationId":"x","invocationInputs":[{}]})")}, false).failures.size(),
      1u);
  const auto unknown = map_messages({event("files", R"({"files":[]})"), chunk("hi")}, false);
  EXPECT_TRUE(unknown.failures.empty()) << "unknown events are ignored";
  EXPECT_EQ(unknown.text(), "hi");
}

TEST(AgentStreamMapper, EmptyAnswerStillFinishes) {
  const auto mapped = map_messages({}, true);
  EXPECT_TRUE(mapped.texts.empty());
  EXPECT_EQ(mapped.finishes, std::vector<std::string>{"stop"});
}

}  // namespace
}  // namespace sb::providers::bedrock
