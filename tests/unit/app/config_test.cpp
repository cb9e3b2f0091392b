#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace sb::app {
namespace {

TEST(Dotenv, ParsesQuotesCommentsExportAndNeverOverrides) {
  ::setenv("SB_TEST_PRESET", "from-env", 1);
  ::unsetenv("SB_TEST_A");
  ::unsetenv("SB_TEST_B");
  ::unsetenv("SB_TEST_C");
  ::unsetenv("SB_TEST_D");
  auto r = apply_dotenv(
      "# comment\n\nexport SB_TEST_A=plain # trailing\nSB_TEST_B=\"double \\\"q\\\" # not comment\"\n"
      "SB_TEST_C='single $x'\nSB_TEST_PRESET=from-file\nSB_TEST_D=a=b\n",
      ".env");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_STREQ(std::getenv("SB_TEST_A"), "plain");
  EXPECT_STREQ(std::getenv("SB_TEST_B"), "double \"q\" # not comment");
  EXPECT_STREQ(std::getenv("SB_TEST_C"), "single $x");
  EXPECT_STREQ(std::getenv("SB_TEST_D"), "a=b");
  EXPECT_STREQ(std::getenv("SB_TEST_PRESET"), "from-env") << ".env never overrides the environment";
}

TEST(Dotenv, BadLineNamesFileAndLine) {
  auto r = apply_dotenv("OK=1\nthis is not an assignment\n", "my.env");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "my.env:2: expected KEY=VALUE");
}

TEST(LogLevel, PythonNamesAnyCase) {
  EXPECT_EQ(normalise_log_level("DEBUG"), "debug");
  EXPECT_EQ(normalise_log_level("Warning"), "warning");
  EXPECT_EQ(normalise_log_level("WARN"), "warning");
  EXPECT_EQ(normalise_log_level("critical"), "critical");
  EXPECT_EQ(normalise_log_level("verbose"), std::nullopt);
}

TEST(LoadSettings, FlagsBeatEnvironment) {
  ::setenv("PORT", "7000", 1);
  ::setenv("LOG_LEVEL", "error", 1);
  const char* argv[] = {"switchboard", "--port", "7001", "--env-file", "/dev/null"};
  auto r = load_settings(5, argv);
  ::unsetenv("PORT");
  ::unsetenv("LOG_LEVEL");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->settings.port, 7001);
  EXPECT_EQ(r->settings.log_level, "error");
}

TEST(LoadSettings, InvalidValuesNameTheSetting) {
  ::setenv("PORT", "seventy", 1);
  const char* argv[] = {"switchboard", "--env-file", "/dev/null"};
  auto r = load_settings(3, argv);
  ::unsetenv("PORT");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("PORT"), std::string::npos);
}

TEST(LoadSettings, UnknownFlagIsAnError) {
  const char* argv[] = {"switchboard", "--frobnicate"};
  auto r = load_settings(2, argv);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("frobnicate"), std::string::npos);
}

}  // namespace
}  // namespace sb::app
