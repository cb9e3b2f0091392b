// is_json_object: the no-DOM check every relayed upstream event goes through.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/relay_scan.hpp"
#include "openai/json_text.hpp"
#include "support/fixtures.hpp"

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

TEST(IsJsonObject, FactsAgreeWithTheRelayScanOnEveryRecordedBody) {
  int checked = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(test::fixtures_dir() / "openai")) {
    const auto name = e.path().filename().string();
    if (e.path().extension() != ".json" || name.ends_with(".meta.json") || e.path().parent_path().filename() == "errors")
      continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    core::BodyFacts f;
    ASSERT_TRUE(is_json_object(body, 64, &f)) << name;
    std::string finish;
    std::optional<core::Usage> usage;
    core::scan_relayed(body, finish, usage);
    EXPECT_EQ(f.finish_reason, finish) << name;
    ASSERT_EQ(f.usage.has_value(), usage.has_value()) << name;
    if (usage) {
      EXPECT_EQ(f.usage->prompt_tokens, usage->prompt_tokens) << name;
      EXPECT_EQ(f.usage->completion_tokens, usage->completion_tokens) << name;
      EXPECT_EQ(f.usage->total_tokens, usage->total_tokens) << name;
    }
    EXPECT_FALSE(f.finish_reason.empty()) << name;
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

}  // namespace
}  // namespace sb::openai
