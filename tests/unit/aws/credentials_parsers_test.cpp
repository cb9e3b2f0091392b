// The credentials chain's pure parts: INI profiles, ISO 8601, STS XML, container/IMDS JSON, URL rules.
#include <gtest/gtest.h>

#include "aws/credentials.hpp"

namespace sb::aws {
namespace {

using namespace std::chrono_literals;

TEST(ParseIni, SectionsKeysCommentsAndNestedValues) {
  const auto ini = parse_ini(
      "# comment\n"
      "[default]\n"
      "aws_access_key_id = AKIDDEFAULT\n"
      "AWS_Secret_Access_Key=secret/with+chars==\n"
      "; another comment\n"
      "[profile dev]\r\n"
      "region = eu-west-1\r\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n"
      "role_arn = arn:aws:iam::123:role/x\n");
  ASSERT_TRUE(ini.contains("default"));
  EXPECT_EQ(ini.at("default").at("aws_access_key_id"), "AKIDDEFAULT");
  EXPECT_EQ(ini.at("default").at("aws_secret_access_key"), "secret/with+chars==") << "keys are lowercased";
  EXPECT_EQ(ini.at("profile dev").at("region"), "eu-west-1");
  EXPECT_FALSE(ini.at("profile dev").contains("max_concurrent_requests")) << "nested s3 settings are not keys";
  EXPECT_EQ(ini.at("profile dev").at("role_arn"), "arn:aws:iam::123:role/x");
}

TEST(ProfileSettings, CredentialsFileWinsOverConfigFile) {
  const auto creds = parse_ini("[dev]\naws_access_key_id = FROMCREDS\naws_secret_access_key = S1\n");
  const auto config = parse_ini(
      "[profile dev]\naws_access_key_id = FROMCONFIG\nregion = us-west-2\n"
      "[default]\naws_access_key_id = D\n");
  const auto dev = profile_settings(creds, config, "dev");
  EXPECT_EQ(dev.at("aws_access_key_id"), "FROMCREDS");
  EXPECT_EQ(dev.at("aws_secret_access_key"), "S1");
  EXPECT_EQ(dev.at("region"), "us-west-2");
  EXPECT_EQ(profile_settings({}, config, "default").at("aws_access_key_id"), "D") << "[default] without 'profile'";
  EXPECT_TRUE(profile_settings(creds, config, "missing").empty());
  EXPECT_TRUE(profile_settings({}, parse_ini("[dev]\nregion = x\n"), "dev").empty())
      << "in the config file a named profile is [profile dev]";
}

TEST(ParseIso8601, UtcForms) {
  const auto t = parse_iso8601("2024-05-01T12:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(SystemClock::to_time_t(*t), 1714564800);
  EXPECT_EQ(parse_iso8601("2024-05-01T12:00:00.123456Z"), t) << "fractions are dropped";
  EXPECT_EQ(parse_iso8601("2024-05-01T14:00:00+02:00"), t);
  EXPECT_EQ(parse_iso8601("2024-05-01T12:00:00"), t);
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601("2024-13-01T12:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2024-05-01T12:00:00 PST"));
}

constexpr const char* kStsOk = R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>
    <Credentials>
      <SessionToken>FwoGZXIvYXdzE&amp;token</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey>
      <Expiration>2030-01-01T00:00:00Z</Expiration>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)";

TEST(ParseStsResponse, Credentials) {
  const auto r = parse_sts_response(200, kStsOk);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->credentials.access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(r->credentials.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(r->credentials.session_token, "FwoGZXIvYXdzE&token") << "XML entities decoded";
  ASSERT_TRUE(r->expiration);
  EXPECT_EQ(*r->expiration, *parse_iso8601("2030-01-01T00:00:00Z"));
}

TEST(ParseStsResponse, ErrorNamesTheCode) {
  const auto r = parse_sts_response(400, R"(<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>
<Message>Incorrect token audience</Message></Error></ErrorResponse>)");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("InvalidIdentityToken"), std::string::npos);
  EXPECT_NE(r.error().find("400"), std::string::npos);
  EXPECT_FALSE(parse_sts_response(200, "<x/>"));
}

TEST(ParseCredentialsJson, ContainerAndImdsShapes) {
  const auto r = parse_credentials_json(
      R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIA1","SecretAccessKey":"S","Token":"T","Expiration":"2030-01-01T00:00:00Z"})",
      "imds");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->credentials.access_key_id, "ASIA1");
  EXPECT_EQ(r->credentials.session_token, "T");
  EXPECT_EQ(r->source, "imds");
  EXPECT_TRUE(r->expiration);
  EXPECT_FALSE(parse_credentials_json(R"({"Code":"Failure","AccessKeyId":"A","SecretAccessKey":"S"})", "imds"));
  EXPECT_FALSE(parse_credentials_json(R"({"code":"x","message":"denied"})", "container"));
  EXPECT_FALSE(parse_credentials_json("not json", "container"));
  EXPECT_FALSE(parse_credentials_json(R"({"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"soon"})", "container"));
}

TEST(ContainerUriAllowed, HttpsAnywhereHttpOnlyToLoopbackAndEcsHosts) {
  EXPECT_TRUE(container_uri_allowed("https://creds.example.com/role"));
  EXPECT_TRUE(container_uri_allowed("http://127.0.0.1:8080/creds"));
  EXPECT_TRUE(container_uri_allowed("http://127.1.2.3/creds"));
  EXPECT_TRUE(container_uri_allowed("http://localhost/creds"));
  EXPECT_TRUE(container_uri_allowed("http://[::1]:9/creds"));
  EXPECT_TRUE(container_uri_allowed("http://169.254.170.2/v2/credentials/x"));
  EXPECT_TRUE(container_uri_allowed("http://169.254.170.23/v1/credentials"));
  EXPECT_TRUE(container_uri_allowed("http://[fd00:ec2::23]/v1/credentials"));
  EXPECT_FALSE(container_uri_allowed("http://example.com/creds"));
  EXPECT_FALSE(container_uri_allowed("http://127.0.0.1.evil.com/creds"));
  EXPECT_FALSE(container_uri_allowed("http://10.0.0.1/creds"));
  EXPECT_FALSE(container_uri_allowed("ftp://127.0.0.1/creds"));
  EXPECT_FALSE(container_uri_allowed("not a url"));
}

}  // namespace
}  // namespace sb::aws
