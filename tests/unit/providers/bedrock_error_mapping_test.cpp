// Bedrock HTTP errors (fixtures/bedrock/errors, x-amzn-ErrorType header) and exception types → SPEC §5.
#include "providers/bedrock_agent/error_mapping.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "providers/bedrock_agent/base64.hpp"
#include "support/fixtures.hpp"

namespace sb::providers::bedrock {
namespace {

namespace json = boost::json;

const std::vector<std::string> kSecrets{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
const ErrorContext kCtx{"bedrock", kSecrets};

class RecordedBedrockErrors : public ::testing::TestWithParam<std::string> {};

TEST_P(RecordedBedrockErrors, MapPerSpec) {
  const std::string body = test::read_fixture(GetParam());
  const auto meta = json::parse(test::read_fixture(GetParam() + ".meta.json")).as_object();
  const int status = static_cast<int>(meta.at("status").as_int64());
  const std::string type(meta.at("headers").at("x-amzn-ErrorType").as_string());
  const auto e = map_http_error(status, type, body, {}, kCtx);
  const auto err = json::parse(e.body()).at("error").as_object();
  for (const char* k : {"message", "type", "param", "code"}) EXPECT_TRUE(err.contains(k)) << k;
  const std::string upstream_message(json::parse(body).at("message").as_string());
  if (type.starts_with("ValidationException")) {
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.type, "invalid_request_error");
    EXPECT_EQ(e.message, upstream_message) << "the upstream message is passed on";
  } else if (type.starts_with("AccessDeniedException")) {
    EXPECT_EQ(e.status, 502);
    EXPECT_EQ(e.code, "upstream_auth_failed");
    EXPECT_EQ(e.message.find(upstream_message), std::string::npos) << "the upstream's auth text is not passed on";
  } else {
    ADD_FAILURE() << "unexpected fixture type " << type;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RecordedBedrockErrors,
                         ::testing::ValuesIn(test::list_fixtures("bedrock/errors", ".json")), test::fixture_param_name);

TEST(NormaliseErrorType, SuffixAndCase) {
  EXPECT_EQ(normalise_error_type("ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            "validationexception");
  EXPECT_EQ(normalise_error_type("throttlingException"), "throttlingexception");
  EXPECT_EQ(normalise_error_type("com.amazon.coral.service#AccessDeniedException"), "accessdeniedexception");
  EXPECT_EQ(normalise_error_type(""), "");
}

TEST(MapHttpError, TableOfSpecSection5) {
  struct Case {
    int status;
    const char* type;
    int want_status;
    const char* want_code;
  };
  for (const Case& c :
       {Case{429, "ThrottlingException:http://x/", 429, "rate_limit_exceeded"},
        Case{400, "ValidationException", 400, ""}, Case{403, "AccessDeniedException", 502, "upstream_auth_failed"},
        Case{403, "UnrecognizedClientException", 502, "upstream_auth_failed"},
        Case{403, "InvalidSignatureException", 502, "upstream_auth_failed"},
        Case{403, "ExpiredTokenException", 502, "upstream_auth_failed"}, Case{401, "", 502, "upstream_auth_failed"},
        Case{404, "ResourceNotFoundException", 502, "upstream_error"},
        Case{424, "DependencyFailedException", 502, "upstream_error"},
        Case{502, "BadGatewayException", 502, "upstream_error"},
        Case{500, "InternalServerException", 502, "upstream_error"},
        Case{503, "ServiceUnavailableException", 502, "upstream_error"},
        Case{429, "ServiceQuotaExceededException", 429, "rate_limit_exceeded"},
        Case{409, "ConflictException", 409, "conflict"}, Case{504, "", 504, "upstream_timeout"},
        Case{500, "", 502, "upstream_error"}, Case{418, "", 418, ""}}) {
    SCOPED_TRACE(std::to_string(c.status) + " " + c.type);
    const auto e = map_http_error(c.status, c.type, R"({"message":"details"})", {}, kCtx);
    EXPECT_EQ(e.status, c.want_status);
    EXPECT_EQ(e.code.value_or(""), c.want_code);
  }
}

TEST(MapHttpError, RetryAfterAndTypeInTheBody) {
  auto e = map_http_error(429, "ThrottlingException", R"({"message":"Rate exceeded"})", "3", kCtx);
  EXPECT_EQ(e.retry_after_seconds, 3);
  EXPECT_EQ(e.message, "Rate exceeded");
  e = map_http_error(400, "", R"({"__type":"com.amazon#ValidationException","Message":"bad input"})", {}, kCtx);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "bad input");
}

TEST(MapHttpError, SecretsAndKeysAreScrubbedFromPassedOnMessages) {
  const auto e = map_http_error(
      400, "ValidationException",
      R"({"message":"secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and key AKIAIOSFODNN7EXAMPLE leaked"})", {}, kCtx);
  EXPECT_EQ(e.body().find("wJalrXUtnFEMI"), std::string::npos);
  EXPECT_EQ(e.body().find("AKIAIOSFODNN7EXAMPLE"), std::string::npos);
}

TEST(MapException, CamelCaseStreamTypes) {
  EXPECT_EQ(map_exception("throttlingException", R"({"message":"slow"})", kCtx).status, 429);
  EXPECT_EQ(map_exception("validationException", R"({"message":"bad"})", kCtx).message, "bad");
  EXPECT_EQ(map_exception("accessDeniedException", "{}", kCtx).code, "upstream_auth_failed");
  EXPECT_EQ(map_exception("somethingNewException", "not json", kCtx).status, 502);
}

TEST(Base64, RoundTripAndRejects) {
  for (std::string_view s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    EXPECT_EQ(base64_decode(base64_encode(s)), std::string(s));
    EXPECT_EQ(base64_decode(base64_encode(s, true, false)), std::string(s));
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Z"));
}

}  // namespace
}  // namespace sb::providers::bedrock
