// Finish reason and usage read from relayed upstream bytes without a full parse.
#include <gtest/gtest.h>

#include "core/relay_scan.hpp"
#include "support/fixtures.hpp"

namespace sb::core {
namespace {

TEST(RelayScan, StreamEvents) {
  std::string finish;
  std::optional<Usage> usage;
  scan_relayed(R"(data: {"choices":[{"index":0,"delta":{"content":"\"finish_reason\":\"x\""},"finish_reason":null}],"usage":null})",
               finish, usage);
  EXPECT_TRUE(finish.empty()) << "text inside content is escaped and never matches";
  EXPECT_FALSE(usage);
  scan_relayed(R"(data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":null})", finish, usage);
  EXPECT_EQ(finish, "length");
  scan_relayed(R"(data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,)"
               R"("prompt_tokens_details":{"cached_tokens":0}}})",
               finish, usage);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->prompt_tokens, 12);
  EXPECT_EQ(usage->completion_tokens, 5);
  EXPECT_EQ(usage->total_tokens, 17);
}

TEST(RelayScan, PrettyPrintedBody) {
  std::string finish;
  std::optional<Usage> usage;
  scan_relayed(test::read_fixture("openai/tools/nonstream-tool-calls-parallel.json"), finish, usage);
  EXPECT_EQ(finish, "tool_calls");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->total_tokens, 126);
}

TEST(RelayScan, UsageCountsAreTheObjectsOwnMembers) {
  std::string finish;
  std::optional<Usage> usage;
  // Nested objects with the same names, escaped quotes and braces in strings, numbers in other forms.
  scan_relayed(R"({"usage" : { "completion_tokens_details": {"total_tokens": 999, "note": "a \"}\" b"},)"
               R"( "prompt_tokens":7,"weird":[{"prompt_tokens":5}],"completion_tokens": 3.0, "total_tokens":1e1 }})",
               finish, usage);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->prompt_tokens, 7);
  EXPECT_EQ(usage->completion_tokens, 3);
  EXPECT_EQ(usage->total_tokens, 10);
}

TEST(RelayScan, BrokenUsageIsIgnored) {
  std::string finish;
  std::optional<Usage> usage;
  scan_relayed(R"(data: {"usage":{"prompt_tokens":1)", finish, usage);
  EXPECT_FALSE(usage);
}

}  // namespace
}  // namespace sb::core
