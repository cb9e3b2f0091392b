// is_json_object: the no-DOM check every relayed upstream event goes through.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

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

}  // namespace
}  // namespace sb::openai
