#include "openai/request.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <vector>

#include "support/chat_request_reference.hpp"
#include "support/fixtures.hpp"
#include "support/mutate.hpp"

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

TEST(ParseChatRequest, TheTreeIsBuiltOnFirstUseInTheRequestsArenaAndSurvivesAMove) {
  const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hello there"}],"stream":true})";
  auto r = parse_chat_request(body);
  ASSERT_TRUE(r);
  const json::storage_ptr default_storage;
  // Not in the default resource (a JSON container's assignment would have copied it out of the arena).
  EXPECT_NE(r->body().storage().get(), default_storage.get());
  const auto* storage = r->body().storage().get();
  ChatRequest moved = std::move(*r);
  EXPECT_EQ(moved.body().storage().get(), storage);
  EXPECT_EQ(moved.messages().at(0).at("content").as_string(), "hello there");
  EXPECT_EQ(forward_body(moved, "other"), R"({"model":"other","messages":[{"role":"user","content":"hello there"}],"stream":true})");
}

// A body that changes on the way (a model filled in or mapped, the extension fields left out) is the client's
// members as written, not a tree written again: Boost.JSON would round 0.1000000000000000055511 to 1E-1 and write
// some doubles back as other digits than it read.
TEST(ParseChatRequest, AChangedBodyKeepsEveryOtherMemberAsWritten) {
  const std::string messages = R"("messages" : [ {"role":"user","content":"a \" } ] , \\"} ])";
  const std::string body = "{\n  \"temperature\": 0.1000000000000000055511151231257827,\n  \"provider\":\"openai\",\n  " +
                           messages + R"(, "mo\u0064el":"alias","top_p":1.3927926388013963E-143,"x":{"model":[1,{}]},)" +
                           R"("session_id" :null, "n":1e2 })";
  auto r = parse_chat_request(body);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(forward_body(*r, "gpt-4o"), R"({"model":"gpt-4o","temperature": 0.1000000000000000055511151231257827,)" +
                                            messages +
                                            R"(,"top_p":1.3927926388013963E-143,"x":{"model":[1,{}]},"n":1e2})");
  // The same model: only the extension fields go (the escaped key is `model`, as the tree reads it).
  EXPECT_EQ(forward_body(*r, "alias"), "{\"temperature\": 0.1000000000000000055511151231257827," + messages +
                                           R"(,"mo\u0064el":"alias","top_p":1.3927926388013963E-143,)" +
                                           R"("x":{"model":[1,{}]},"n":1e2})");
  // Every `model` goes where the model changes; numbers and literals ending at the object's close are whole.
  auto twice = parse_chat_request(R"({"model":"a","messages":[{"role":"user"}],"model":"b","stream":false})");
  ASSERT_TRUE(twice);
  EXPECT_EQ(forward_body(*twice, "c"), R"({"model":"c","messages":[{"role":"user"}],"stream":false})");
  auto last = parse_chat_request(R"({"messages":[{"role":"user"}],"provider":"mock","n":-0.5e-3})");
  ASSERT_TRUE(last);
  EXPECT_EQ(forward_body(*last, "m"), R"({"model":"m","messages":[{"role":"user"}],"n":-0.5e-3})");
}

TEST(ParseChatRequest, TheLastOfARepeatedFieldCounts) {
  auto r = parse_chat_request(
      R"({"model":"a","stream":"no","messages":5,"stream":true,"model":"b","messages":[{"role":"user"}],)"
      R"("stream_options":{"include_usage":1},"stream_options":{"include_usage":true}})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->model, "b");
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  auto options = parse_chat_request(
      R"({"messages":[{"role":"user"}],"stream_options":{"include_usage":5},"stream_options":{}})");
  ASSERT_TRUE(options) << options.error().message;
  EXPECT_FALSE(options->include_usage);
  auto bad = parse_chat_request(R"({"messages":[{"role":"user"}],"messages":[{"role":"user"},{"role":1,"role":"x","content":5}]})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().param, "messages[1].content");
}

TEST(ParseChatRequest, EscapedKeysAndValuesAreReadDecoded) {
  auto r = parse_chat_request(R"({"mod\u0065l":"g\"pt","messages":[{"r\u006fle":"user"}],"provider":"op\u0065nai"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->model, "g\"pt");
  EXPECT_EQ(r->provider, "openai");
  EXPECT_TRUE(r->extensions_removed);
  EXPECT_FALSE(r->body().contains("provider"));
}

// Every value in `v` (itself included), for a mutation to pick one.
void collect_values(json::value& v, std::vector<json::value*>& out) {
  out.push_back(&v);
  if (v.is_object())
    for (auto& kv : v.get_object()) collect_values(kv.value(), out);
  else if (v.is_array())
    for (auto& e : v.get_array()) collect_values(e, out);
}

// Differential: the one-pass scan against the checks written over a tree (tests/support/chat_request_reference.hpp):
// the same requests accepted with the same fields and tree, the same refused with the same error. Valid requests
// mutated in their structure (a value replaced by one of another kind, a field the checks look at added or
// removed, a member repeated) and in their text (JSON's tokens inserted, bytes cut); fixed seed, so a failure
// reproduces. (fuzz_chat_request makes the same check on every input.)
TEST(ParseChatRequest, AgreesWithTheTreeBasedChecksOnMutatedRequests) {
  std::vector<std::string> seeds = {
      R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello, can you hear me?"}],"stream":true})",
      R"({"messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]}],)"
      R"("stream_options":{"include_usage":true},"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]})",
      R"({"provider":"mock","session_id":"s-1","model":null,"messages":[{"role":"assistant","content":null,)"
      R"("tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}],"temperature":0.2})",
  };
  for (const auto& f : test::list_fixtures("openai/stream", ".sse"))
    seeds.push_back(json::serialize(json::parse(test::read_fixture(f + ".meta.json")).at("request").at("body")));
  const std::vector<std::string> values = {
      "null", "true", "false", "5", "-1.5e3", "\"x\"", "\"mo\\u0064el\"", "[]", "{}", "[{\"role\":\"user\"}]",
      "{\"role\":\"user\"}", "{\"role\":\"user\",\"content\":[]}", "{\"include_usage\":false}", "{\"include_usage\":1}", "[[1],{\"a\":{}}]",
      "[{\"role\":\"user\"},{\"role\":\"user\"},{\"role\":\"user\"}]", "-2e400",
      R"(["a\"}],\\",{"b\\\"":"\\"}])", "0e999"};
  const std::vector<std::string> keys = {"messages", "model", "stream", "stream_options", "include_usage", "tools",
                                         "provider", "session_id", "role", "content", "mo\\u0064el", "x"};
  const std::vector<std::string> tokens = {"{", "}", "[", "]", ",", ":", "\"", "null", "5", "\\u0065", "\\",
                                           " ", "\xc3\xa9", "\xff", "/*", "\x01"};
  test::Mutator mutate;
  auto pick = [&](std::size_t n) { return mutate.pick(n); };
  const ParseLimits limits{8, 2};
  int accepted = 0, refused_by_checks = 0;
  for (int i = 0; i < 30000; ++i) {
    json::value tree = json::parse(seeds[pick(seeds.size())]);
    for (int m = 0, n = 1 + static_cast<int>(pick(3)); m < n; ++m) {
      std::vector<json::value*> all;
      collect_values(tree, all);
      json::value& at = *all[pick(all.size())];
      const std::size_t op = pick(3);
      if (op == 0 || !at.is_object()) {
        at = json::parse(values[pick(values.size())]);
      } else if (op == 1) {
        at.get_object()[json::parse("\"" + keys[pick(keys.size())] + "\"").get_string()] =
            json::parse(values[pick(values.size())]);
      } else if (!at.get_object().empty()) {
        at.get_object().erase(at.get_object().begin() + static_cast<std::ptrdiff_t>(pick(at.get_object().size())));
      }
    }
    std::string w = json::serialize(tree);
    if (pick(3) == 0) {  // a member repeated: the first `{` gets one more field, with a value of any kind
      if (const auto brace = w.find('{'); brace != std::string::npos)
        w.insert(brace + 1, "\"" + keys[pick(keys.size())] + "\":" + values[pick(values.size())] + ",");
    }
    if (pick(4) == 0) {  // the text broken
      const std::size_t at = pick(w.size() + 1);
      if (pick(2) == 0) w.insert(at, tokens[pick(tokens.size())]);
      else w.erase(at, 1 + pick(3));
    }
    auto got = parse_chat_request(w, limits);
    if (got) {
      ++accepted;
      // Forwarded with another model: the request's tree with that model, whatever the body's layout.
      json::object expected = got->body();
      expected["model"] = "forwarded-model";
      EXPECT_EQ(json::parse(forward_body(*got, "forwarded-model")), expected) << w;
    } else if (got.error().code != "invalid_json") {
      ++refused_by_checks;
    }
    EXPECT_EQ(test::reference_disagrees(w, limits), "") << w;
  }
  EXPECT_GT(accepted, 1000) << "the mutations must leave enough valid requests to compare";
  EXPECT_GT(refused_by_checks, 1000) << "and enough refused by the field checks";
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

// Boost.JSON reads 1e999 as infinity and 0e999 as NaN, and writes them back as `Infinity` and `NaN` (not JSON);
// near the largest double its reading depends on how many bytes follow the number. So the line is drawn on the
// number as written, exactly: 1e308 or more in magnitude, or a zero with an exponent above 308, is refused
// whatever the route and the layout. (Found by fuzz_chat_request: tests/fuzz/regressions/fuzz_chat_request.)
TEST(ParseChatRequest, NumbersBeyondADoubleAreRefused) {
  const std::string digits309 = "1" + std::string(308, '0'), digits308 = "1" + std::string(307, '0');
  for (const std::string n : {"1e999", "-1E+400", "197e640", "1797693134862315807e290", "1e308", "100e306",
                              "1.7976931348623157e308", "17.9769313486231580e307", "0e309", "-0.0E+999", "0e999",
                              "0.0001e312", digits309.c_str()}) {
    for (const std::string& body :
         {R"({"max_tokens":)" + n + R"(,"messages":[{"role":"user","content":"hi"}]})",
          R"({"messages":[{"role":"user","content":"hi"}],"n":)" + n + "}",
          R"({"messages":[{"role":"user","content":"hi"}],"n":)" + n + std::string(40, ' ') + "}",
          R"({"messages":[{"role":"user","content":"hi"}],"tools":[{"function":{"parameters":{"maximum":[)" + n +
              "]}}}]}"}) {
      auto r = parse_chat_request(body);
      ASSERT_FALSE(r) << body;
      EXPECT_EQ(r.error().status, 400);
      EXPECT_EQ(r.error().code, "invalid_json");
      EXPECT_EQ(r.error().message, kNumberOutOfRange);
      EXPECT_EQ(test::reference_disagrees(body), "") << body;
    }
  }
  // Just inside the line: accepted, forwarded as written, a finite number in the tree.
  for (const std::string n : {"9.999999999999999999e307", "-9.9e307", "1e-999", "-0.0", "0e308", "0.00001e311",
                              digits308.c_str(), "2.5e-320", "1E+307"}) {
    for (const std::string& body :
         {R"({"temperature":)" + n + R"(,"messages":[{"role":"user","content":"hi"}]})",
          R"({"messages":[{"role":"user","content":"hi"}],"temperature":)" + n + "}"}) {
      auto r = parse_chat_request(body);
      ASSERT_TRUE(r) << body;
      EXPECT_TRUE(numbers_finite(r->body())) << body;
      const std::string fwd = forward_body(*r, "gpt-4o");
      EXPECT_NE(fwd.find(R"("temperature":)" + n), std::string::npos) << fwd;
      EXPECT_TRUE(numbers_finite(json::parse(fwd))) << fwd;
      EXPECT_EQ(test::reference_disagrees(body), "") << body;
    }
  }
  // Not an object comes first.
  EXPECT_EQ(parse_chat_request("[1e999]").error().message, "The request body must be a JSON object.");
}

TEST(NumberBeyondRange, TheValueAsWritten) {
  for (const char* n : {"1e308", "-1e308", "10e307", "0.1e309", "0.000001E+314", "1.5e308", "123456789e300", "0e309",
                        "-0.000e400", "1e1000000000000000000000"})
    EXPECT_TRUE(number_beyond_range(n)) << n;
  for (const char* n : {"9.99999999999999999999999e307", "1e307", "0.1e308", "0e308", "0", "-0", "1e-400",
                        "0.0000000000001", "123.456", "-5", "1e-1000000000000000000000", "0e-999"})
    EXPECT_FALSE(number_beyond_range(n)) << n;
}

TEST(NumbersFinite, LooksAtEveryNumber) {
  EXPECT_TRUE(numbers_finite(json::parse(R"({"a":[1,-2.5,{"b":1e307}],"c":"1e999","d":null})")));
  EXPECT_FALSE(numbers_finite(json::parse(R"({"a":[1,-2.5,{"b":1e309}]})")));
  EXPECT_FALSE(numbers_finite(json::parse("[-1e999]")));
  EXPECT_FALSE(numbers_finite(json::parse("1e999")));
  EXPECT_FALSE(numbers_finite(json::parse("[0e999]")));  // NaN
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
                      BadCase{R"({"max_tokens":1e999,"messages":[{"role":"user"}]})", "invalid_json", std::nullopt},
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
