#include "providers/openai/errors.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/fixtures.hpp"

namespace sb::providers {
namespace {
namespace json = boost::json;

class RecordedErrors : public ::testing::TestWithParam<std::string> {};

TEST_P(RecordedErrors, MapToTheSpecifiedStatusAndShape) {
  const std::string body = test::read_fixture(GetParam());
  const int status =
      static_cast<int>(json::parse(test::read_fixture(GetParam() + ".meta.json")).at("status").as_int64());
  const auto upstream = json::parse(body).at("error").as_object();
  const std::vector<std::string> secrets{"sk-proj-SECRETSECRET"};
  const core::ApiError e = map_upstream_status(status, body, {}, "openai", secrets);
  const auto ours = json::parse(e.body()).as_object();
  ASSERT_TRUE(ours.contains("error"));
  const auto& err = ours.at("error").as_object();
  for (const char* k : {"message", "type", "param", "code"}) EXPECT_TRUE(err.contains(k)) << k;
  if (status == 401 || status == 403) {
    EXPECT_EQ(e.status, 502) << "an upstream auth failure is not the caller's fault";
    EXPECT_EQ(e.code, "upstream_auth_failed");
    EXPECT_EQ(e.body().find("sk-"), std::string::npos) << "no key material reaches the caller";
  } else {
    EXPECT_EQ(e.status, status);
    EXPECT_EQ(err.at("message"), upstream.at("message"));
    EXPECT_EQ(err.at("type"), upstream.at("type"));
    EXPECT_EQ(err.at("param"), upstream.at("param"));
    EXPECT_EQ(err.at("code"), upstream.at("code"));
  }
}

INSTANTIATE_TEST_SUITE_P(OpenAI, RecordedErrors, ::testing::ValuesIn(test::list_fixtures("openai/errors", ".json")),
                         test::fixture_param_name);

TEST(MapUpstreamStatus, RateLimitKeepsRetryAfter) {
  const auto e = map_upstream_status(
      429, R"({"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}})", "7", "openai", {});
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(e.code, "rate_limit_exceeded");
  EXPECT_EQ(e.retry_after_seconds, 7);
  EXPECT_EQ(e.message, "slow down");
}

TEST(MapUpstreamStatus, ServerErrorsAndTimeouts) {
  EXPECT_EQ(map_upstream_status(500, "oops", {}, "openai", {}).status, 502);
  EXPECT_EQ(map_upstream_status(503, "{}", {}, "openai", {}).code, "upstream_error");
  EXPECT_EQ(map_upstream_status(504, "", {}, "openai", {}).status, 504);
  EXPECT_EQ(map_upstream_status(504, "", {}, "openai", {}).code, "upstream_timeout");
  EXPECT_EQ(map_transport_failure(http::UpstreamFailure::connect, "openai").status, 502);
  EXPECT_EQ(map_transport_failure(http::UpstreamFailure::timeout, "openai").status, 504);
}

TEST(ScrubSecrets, RemovesConfiguredSecretsAndKeyShapedTokens) {
  const std::vector<std::string> secrets{"my-very-secret-value"};
  const auto out = scrub_secrets("a my-very-secret-value b sk-abcdef123456 c AKIAABCDEFGHIJKLMNOP", secrets);
  EXPECT_EQ(out.find("my-very-secret-value"), std::string::npos);
  EXPECT_EQ(out.find("sk-abcdef"), std::string::npos);
  EXPECT_EQ(out.find("AKIAABCD"), std::string::npos);
  EXPECT_NE(out.find("a *** b"), std::string::npos);
}

TEST(ParseRetryAfter, Forms) {
  EXPECT_EQ(parse_retry_after("3"), 3);
  EXPECT_EQ(parse_retry_after("1.5"), 2);
  EXPECT_EQ(parse_retry_after(""), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
}

}  // namespace
}  // namespace sb::providers
