// is_json_object: the no-DOM check every relayed upstream event goes through.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "http/sse.hpp"
#include "openai/json_text.hpp"
#include "support/fixtures.hpp"
#include "support/mutate.hpp"

namespace sb::openai {
namespace {

TEST(IsJsonObject, AcceptsObjects) {
  EXPECT_TRUE(is_json_object("{}"));
  EXPECT_TRUE(is_json_object(R"( {"a":[1,2.5,-3e2,true,false,null,"x\u00e9\ud83d\ude00"],"b":{"c":{}}} )"));
  EXPECT_TRUE(is_json_object("{\"caf\xC3\xA9\":\"\xE2\x82\xAC\"}"));
}

TEST(IsJsonObject, RejectsEverythingElse) {
  for (const char* bad : {"", " ", "[]", "\"s\"", "1", "null", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":1}x",
                          "{\"a\":1}{}", "{'a':1}", "{\"a\":tru}", "{\"a\":\"\\q\"}", "{\"a\":01}"})
    EXPECT_FALSE(is_json_object(bad)) << bad;
  EXPECT_FALSE(is_json_object("{\"a\":\"\xFF\"}")) << "invalid UTF-8";
  EXPECT_FALSE(is_json_object(std::string(100, '{') + std::string(100, '}'))) << "too deep";
  const std::string cut = R"({"id":"chatcmpl-1","choices":[{"delta":{"content":"Hel)";
  EXPECT_FALSE(is_json_object(cut));
}

TEST(IsJsonObject, AcceptsEveryEventOfTheRecordedStreams) {
  int checked = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(test::fixtures_dir() / "openai")) {
    if (e.path().extension() != ".sse") continue;
    const auto file = e.path().string();
    std::ifstream f(e.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    for (std::size_t p = text.find("data: "); p != std::string::npos; p = text.find("data: ", p + 1)) {
      const auto end = text.find('\n', p);
      const auto data = text.substr(p + 6, end - p - 6);
      if (data == "[DONE]") continue;
      EXPECT_TRUE(is_json_object(data)) << file << ": " << data;
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
}

// ---- the facts read while validating a relayed body ---------------------------------------------------

TEST(IsJsonObject, ReadsFinishReasonAndTopLevelUsageWhileValidating) {
  core::BodyFacts f;
  ASSERT_TRUE(is_json_object(R"({"choices":[{"index":0,"finish_reason":null,"message":{"content":"\"finish_reason\":\"x\""}},
      {"index":1,"finish_reason":"length"},{"index":2,"finish_reason":"stop"}],
    "usage":{"prompt_tokens":12,"completion_tokens":5.0,"total_tokens":17,
             "completion_tokens_details":{"total_tokens":999,"prompt_tokens":[1]}},
    "other":{"usage":{"prompt_tokens":7}}})", 64, &f));
  EXPECT_EQ(f.finish_reason, "length");
  ASSERT_TRUE(f.usage);
  EXPECT_EQ(f.usage->prompt_tokens, 12);
  EXPECT_EQ(f.usage->completion_tokens, 5);
  EXPECT_EQ(f.usage->total_tokens, 17) << "a nested object's member of the same name is not taken";
}

TEST(IsJsonObject, KeysWithEscapesAndMissingFactsAreHandled) {
  core::BodyFacts f;
  ASSERT_TRUE(is_json_object(R"({"fin\u0069sh_reason":"st\u006fp","usage":null,"u":{"usage":{"total_tokens":3}}})", 64, &f));
  EXPECT_EQ(f.finish_reason, "stop");
  EXPECT_FALSE(f.usage) << "usage: null, and a usage below the top level, are no usage";
  core::BodyFacts g;
  ASSERT_TRUE(is_json_object(R"({"usage":{"prompt_tokens":1e30,"completion_tokens":-2}})", 64, &g));
  ASSERT_TRUE(g.usage);
  EXPECT_GT(g.usage->prompt_tokens, 0) << "out of range is clamped, not undefined";
  EXPECT_EQ(g.usage->completion_tokens, -2);
  EXPECT_TRUE(g.finish_reason.empty());
  core::BodyFacts h;
  EXPECT_FALSE(is_json_object(R"({"finish_reason":"stop","usage":{"prompt_tokens":1})", 64, &h)) << "cut";
}

// What a full parse (Boost.JSON's DOM) says the facts of `text` are: the first non-null finish_reason string found
// walking the document in order, and the top-level usage object's counts.
void dom_facts(const std::string& text, std::string& finish, std::optional<core::Usage>& usage) {
  const auto doc = boost::json::parse(text);
  std::function<void(const boost::json::value&)> walk = [&](const boost::json::value& v) {
    if (v.is_object()) {
      for (const auto& [k, x] : v.get_object()) {
        if (k == "finish_reason" && x.is_string() && finish.empty()) finish = std::string(x.get_string());
        walk(x);
      }
    } else if (v.is_array()) {
      for (const auto& x : v.get_array()) walk(x);
    }
  };
  walk(doc);
  const auto* u = doc.as_object().if_contains("usage");
  if (u == nullptr || !u->is_object()) return;
  core::Usage out;
  auto count = [&](const char* k) -> std::int64_t {
    const auto* n = u->get_object().if_contains(k);
    return n == nullptr ? 0 : n->is_int64() ? n->get_int64() : n->is_uint64() ? static_cast<std::int64_t>(n->get_uint64()) : 0;
  };
  out.prompt_tokens = count("prompt_tokens");
  out.completion_tokens = count("completion_tokens");
  out.total_tokens = count("total_tokens");
  usage = out;
}

void expect_same_facts(const core::BodyFacts& f, const std::string& text, const std::string& what) {
  std::string finish;
  std::optional<core::Usage> usage;
  dom_facts(text, finish, usage);
  EXPECT_EQ(f.finish_reason, finish) << what;
  ASSERT_EQ(f.usage.has_value(), usage.has_value()) << what;
  if (usage) {
    EXPECT_EQ(f.usage->prompt_tokens, usage->prompt_tokens) << what;
    EXPECT_EQ(f.usage->completion_tokens, usage->completion_tokens) << what;
    EXPECT_EQ(f.usage->total_tokens, usage->total_tokens) << what;
  }
}

TEST(IsJsonObject, FactsAgreeWithAFullParseOnEveryRecordedBody) {
  int checked = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(test::fixtures_dir() / "openai")) {
    const auto name = e.path().filename().string();
    if (e.path().extension() != ".json" || name.ends_with(".meta.json") || e.path().parent_path().filename() == "errors")
      continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    core::BodyFacts f;
    ASSERT_TRUE(is_json_object(body, 64, &f)) << name;
    expect_same_facts(f, body, name);
    EXPECT_FALSE(f.finish_reason.empty()) << name;
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

// The facts of every event of the recorded streams (where a relayed stream's finish reason and usage come from).
TEST(IsJsonObject, FactsAgreeWithAFullParseOnEveryRecordedStreamEvent) {
  int events = 0, finishes = 0, usages = 0;
  for (const auto& f : test::list_fixtures("openai/stream", ".sse")) {
    http::SseParser parser;
    http::SseEvent ev;
    const std::string bytes = test::read_fixture(f);
    parser.push(bytes);
    while (parser.next(ev)) {
      if (!ev.has_data || ev.data == "[DONE]") continue;
      const std::string data(ev.data);
      core::BodyFacts facts;
      ASSERT_TRUE(is_json_object(data, 64, &facts)) << f << ": " << data;
      expect_same_facts(facts, data, f + ": " + data);
      ++events;
      finishes += facts.finish_reason.empty() ? 0 : 1;
      usages += facts.usage ? 1 : 0;
    }
  }
  EXPECT_GE(events, 50);
  EXPECT_GE(finishes, 4) << "every recorded stream ends with a finish reason";
  EXPECT_GE(usages, 3) << "the include_usage recordings carry a usage event";
}

TEST(IsJsonObject, FactsIgnoreLookAlikesInsideStrings) {
  core::BodyFacts f;
  ASSERT_TRUE(is_json_object(
      R"({"choices":[{"index":0,"delta":{"content":"\"finish_reason\":\"x\", \"usage\":{}"},"finish_reason":null}],"usage":null})",
      64, &f));
  EXPECT_TRUE(f.finish_reason.empty()) << "text inside content never counts";
  EXPECT_FALSE(f.usage);
}

// ---- EventChecker: a stream's events checked one after another, resuming where they stop repeating ----------

// The events of every recorded stream, one sequence per recording.
std::vector<std::vector<std::string>> recorded_event_sequences() {
  std::vector<std::vector<std::string>> out;
  for (const auto& f : test::list_fixtures("openai/stream", ".sse")) {
    http::SseParser parser;
    http::SseEvent ev;
    const std::string bytes = test::read_fixture(f);
    parser.push(bytes);
    auto& seq = out.emplace_back();
    while (parser.next(ev))
      if (ev.has_data && ev.data != "[DONE]") seq.emplace_back(ev.data);
  }
  return out;
}

// Empty when the checker and is_json_object agree on `event` (answer and facts); else what differs.
std::string checker_disagrees(EventChecker& checker, const std::string& event) {
  core::BodyFacts a, b;
  const bool whole = detail::reference_is_json_object(event, 64, &a);
  const bool resumed = checker.check(event, b);
  if (whole != resumed) return std::string("answers differ: is_json_object ") + (whole ? "accepts" : "refuses");
  if (!whole) return {};
  if (a.finish_reason != b.finish_reason) return "finish_reason differs: " + a.finish_reason + " / " + b.finish_reason;
  if (a.usage.has_value() != b.usage.has_value()) return "usage presence differs";
  if (a.usage && (a.usage->prompt_tokens != b.usage->prompt_tokens ||
                  a.usage->completion_tokens != b.usage->completion_tokens ||
                  a.usage->total_tokens != b.usage->total_tokens))
    return "usage differs";
  return {};
}

TEST(EventChecker, AgreesOnEveryRecordedStreamAndResumesAfterTheRepeatedMembers) {
  int events = 0, resumed = 0;
  for (const auto& seq : recorded_event_sequences()) {
    EventChecker checker;
    for (const auto& e : seq) {
      EXPECT_EQ(checker_disagrees(checker, e), "") << e;
      ++events;
      if (checker.resumed_at() > 0) {
        ++resumed;
        EXPECT_EQ(e[checker.resumed_at()], '"') << "resumes at a key's opening quote";
      }
    }
  }
  EXPECT_GE(events, 50);
  EXPECT_GE(resumed, events / 2) << "most events of a stream repeat the last one's first members";
}

TEST(EventChecker, FactsBeforeTheRepeatedPartAreStillRead) {
  EventChecker checker;
  core::BodyFacts f;
  // finish_reason and usage before the members that repeat: never resumed past them.
  const std::string a = R"({"finish_reason":"stop","id":"x","object":"o","choices":[{"delta":{"content":"a"}}]})";
  const std::string b = R"({"finish_reason":"stop","id":"x","object":"o","choices":[{"delta":{"content":"b"}}]})";
  ASSERT_TRUE(checker.check(a, f));
  f = {};
  ASSERT_TRUE(checker.check(b, f));
  EXPECT_EQ(f.finish_reason, "stop");
  const std::string u1 = R"({"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7},"id":"x","choices":[1]})";
  const std::string u2 = R"({"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7},"id":"x","choices":[2]})";
  f = {};
  ASSERT_TRUE(checker.check(u1, f));
  f = {};
  ASSERT_TRUE(checker.check(u2, f));
  ASSERT_TRUE(f.usage);
  EXPECT_EQ(f.usage->total_tokens, 7);
  // A broken rest is refused even though the start repeats a proven event; the next event starts afresh.
  const std::string ok1 = R"({"id":"x","object":"chunk","choices":[{"delta":{"content":"a"}}]})";
  const std::string bad = R"({"id":"x","object":"chunk","choices":[{"delta":{"content":"a"}}]]})";
  f = {};
  ASSERT_TRUE(checker.check(ok1, f));
  EXPECT_FALSE(checker.check(bad, f));
  EXPECT_TRUE(checker.check(ok1, f));
  EXPECT_EQ(checker.resumed_at(), 0u);
  EXPECT_TRUE(checker.check(ok1, f));
  EXPECT_GT(checker.resumed_at(), 0u);
  // An event larger than what is kept: checked whole, and the next one starts afresh (nothing to resume from).
  const std::string big = R"({"id":"x","object":"chunk","choices":[{"delta":{"content":")" +
                          std::string(EventChecker::kMaxKept, 'a') + R"("}}]})";
  EXPECT_TRUE(checker.check(big, f));
  EXPECT_GT(checker.resumed_at(), 0u) << "it still resumes from the kept event before it";
  EXPECT_TRUE(checker.check(big, f));
  EXPECT_EQ(checker.resumed_at(), 0u);
}

// Differential: sequences of recorded events, each mutated or not (JSON's tokens inserted, bytes cut or replaced,
// anywhere: in the repeated start, at the keys the checker resumes from, in the rest), checked by the checker in
// order and by is_json_object alone. Fixed seed, so a failure reproduces.
TEST(EventChecker, AgreesWithIsJsonObjectOnMutatedEventSequences) {
  const auto sequences = recorded_event_sequences();
  const std::vector<std::string> tokens = {"{", "}", "[", "]", ",", ":", "\"", "null", "5", "\\u0065", "\\",
                                           " ", "\xc3\xa9", "\xff", "\"finish_reason\":\"stop\",",
                                           "\"usage\":{\"total_tokens\":9},", "\"usage\":", "\"x\":1,"};
  test::Mutator mutate;
  int checked = 0, resumed = 0;
  for (int round = 0; round < 400; ++round) {
    const auto& seq = sequences[mutate.pick(sequences.size())];
    EventChecker checker;
    for (const auto& original : seq) {
      std::string e = original;
      if (mutate.pick(3) == 0) mutate.edit(e, tokens, 2);
      EXPECT_EQ(checker_disagrees(checker, e), "") << e;
      ++checked;
      resumed += checker.resumed_at() > 0 ? 1 : 0;
    }
  }
  EXPECT_GT(checked, 5000);
  EXPECT_GT(resumed, checked / 4) << "the resumed path must be exercised";
}

}  // namespace
}  // namespace sb::openai
