// The bedrock provider's configuration: availability, missing settings, endpoint, and the startup check of
// a credentials chain that only instance metadata could serve.
#include "providers/bedrock_agent/bedrock_agent_provider.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "unit/aws/fake_http_server.hpp"

namespace sb::providers {
namespace {

core::Settings bedrock_settings() {
  core::Settings s;
  s.agent_id = "AGENT";
  s.agent_alias_id = "ALIAS";
  s.aws_access_key_id = "AKIDTEST";
  s.aws_secret_access_key = "secret";
  s.aws_region = "eu-west-3";
  return s;
}

TEST(BedrockAgentProvider, StaticKeysMakeItAvailable) {
  const auto p = make_bedrock_agent_provider(bedrock_settings());
  EXPECT_EQ(p->name(), "bedrock");
  EXPECT_TRUE(p->available());
  EXPECT_EQ(p->default_model(), "bedrock-agent");
  EXPECT_EQ(dynamic_cast<BedrockAgentProvider&>(*p).endpoint(),
            "https://bedrock-agent-runtime.eu-west-3.amazonaws.com");
}

TEST(BedrockAgentProvider, EndpointOverrideAndName) {
  auto s = bedrock_settings();
  s.aws_endpoint_url = "http://127.0.0.1:4566";
  const auto p = make_bedrock_agent_provider(s, "support-agent");
  EXPECT_EQ(p->name(), "support-agent");
  EXPECT_EQ(dynamic_cast<BedrockAgentProvider&>(*p).endpoint(), "http://127.0.0.1:4566");
}

TEST(BedrockAgentProvider, MissingSettingsAreNamed) {
  auto s = bedrock_settings();
  s.agent_alias_id.clear();
  auto p = make_bedrock_agent_provider(s);
  EXPECT_FALSE(p->available());
  EXPECT_EQ(p->missing_settings(), "AGENT_ALIAS_ID");
  s = core::Settings{};
  p = make_bedrock_agent_provider(s);
  EXPECT_FALSE(p->available());
  EXPECT_NE(p->missing_settings().find("AGENT_ID, AGENT_ALIAS_ID"), std::string::npos) << p->missing_settings();
}

// Sets environment variables for one test and puts the old values back afterwards.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::map<std::string, std::optional<std::string>>& vars) {
    for (const auto& [k, v] : vars) {
      const char* old = std::getenv(k.c_str());
      saved_[k] = old ? std::optional<std::string>(old) : std::nullopt;
      if (v) {
        ::setenv(k.c_str(), v->c_str(), 1);
      } else {
        ::unsetenv(k.c_str());
      }
    }
  }
  ~ScopedEnv() {
    for (const auto& [k, v] : saved_) {
      if (v) {
        ::setenv(k.c_str(), v->c_str(), 1);
      } else {
        ::unsetenv(k.c_str());
      }
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

std::map<std::string, std::optional<std::string>> only_imds(const std::string& endpoint) {
  std::map<std::string, std::optional<std::string>> env;
  for (const char* k : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_EC2_METADATA_DISABLED"})
    env[k] = std::nullopt;
  env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/credentials";
  env["AWS_CONFIG_FILE"] = "/nonexistent/config";
  env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = endpoint;
  return env;
}

TEST(BedrockAgentProvider, InstanceMetadataIsCheckedAtStartup) {
  namespace bhttp = boost::beast::http;
  test::FakeHttpServer imds([](const test::FakeHttpServer::Request& req) {
    if (req.method() == bhttp::verb::put) return test::FakeHttpServer::reply(200, "tok", "text/plain");
    if (req.target() == "/latest/meta-data/iam/security-credentials/")
      return test::FakeHttpServer::reply(200, "role", "text/plain");
    return test::FakeHttpServer::reply(
        200, R"({"Code":"Success","AccessKeyId":"ASIA","SecretAccessKey":"S","Token":"T","Expiration":"2099-01-01T00:00:00Z"})");
  });
  ScopedEnv env(only_imds(imds.url()));
  auto s = bedrock_settings();
  s.aws_access_key_id.clear();
  s.aws_secret_access_key.clear();
  const auto p = make_bedrock_agent_provider(s);
  EXPECT_TRUE(p->available());
  EXPECT_EQ(imds.requests().size(), 3u) << "asked once, at startup; the credentials are cached for requests";
}

TEST(BedrockAgentProvider, NoCredentialsAnywhereMeansUnavailable) {
  std::uint16_t closed_port = 0;
  {
    test::FakeHttpServer gone([](const test::FakeHttpServer::Request&) { return test::FakeHttpServer::reply(500, ""); });
    closed_port = gone.port();
  }  // closed: connections to it are refused at once
  ScopedEnv env(only_imds("http://127.0.0.1:" + std::to_string(closed_port)));
  auto s = bedrock_settings();
  s.aws_access_key_id.clear();
  s.aws_secret_access_key.clear();
  const auto p = make_bedrock_agent_provider(s);
  EXPECT_FALSE(p->available());
  EXPECT_NE(p->missing_settings().find("AWS credentials"), std::string::npos) << p->missing_settings();
}

}  // namespace
}  // namespace sb::providers
