// The credentials chain built from an environment, each source against a temp file or a local fake endpoint.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "aws/credentials.hpp"
#include "unit/aws/fake_http_server.hpp"

namespace sb::aws {
namespace {

namespace fs = std::filesystem;
namespace bhttp = boost::beast::http;
using test::FakeHttpServer;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("sb-creds-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = path_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  [[nodiscard]] std::string str() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

// An environment with nothing configured: empty HOME, no instance metadata.
Environment bare_env(const TempDir& home) {
  Environment env;
  env.vars["HOME"] = home.str();
  env.vars["AWS_EC2_METADATA_DISABLED"] = "true";
  return env;
}

CredentialsResult get_now(const std::shared_ptr<CredentialsProvider>& chain) {
  return test::run_awaitable<CredentialsResult>([&] { return chain->get(); });
}

TEST(CredentialsChain, EnvironmentKeysComeFirst) {
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env.vars["AWS_SESSION_TOKEN"] = "envtoken";
  env.vars["AWS_SHARED_CREDENTIALS_FILE"] =
      home.write("credentials", "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = filesecret\n");
  auto chain = CredentialsProvider::from_environment(env, {});
  EXPECT_EQ(chain->describe(), "environment, profile default");
  const auto r = get_now(chain);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(r->credentials.session_token, "envtoken");
  EXPECT_EQ(r->source, "environment");
}

TEST(CredentialsChain, HalfSetEnvironmentKeysAreNotedAndSkipped) {
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  std::vector<std::string> notes;
  auto chain = CredentialsProvider::from_environment(env, {}, &notes);
  EXPECT_TRUE(chain->empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].find("AKIDENV"), std::string::npos) << "notes never carry values";
  const auto r = get_now(chain);
  EXPECT_FALSE(r);
}

TEST(CredentialsChain, SharedFilesWithAwsProfile) {
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_PROFILE"] = "dev";
  env.vars["AWS_SHARED_CREDENTIALS_FILE"] = home.write(
      "creds", "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n[dev]\naws_access_key_id = AKIDDEV\n");
  env.vars["AWS_CONFIG_FILE"] = home.write(
      "config", "[profile dev]\naws_secret_access_key = devsecret\naws_session_token = devtoken\nregion = x\n");
  auto chain = CredentialsProvider::from_environment(env, {});
  EXPECT_EQ(chain->describe(), "profile dev");
  const auto r = get_now(chain);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->credentials.access_key_id, "AKIDDEV");
  EXPECT_EQ(r->credentials.secret_access_key, "devsecret") << "merged from the config file";
  EXPECT_EQ(r->credentials.session_token, "devtoken");
}

TEST(CredentialsChain, DefaultFilesUnderHome) {
  TempDir home;
  fs::create_directories(fs::path(home.str()) / ".aws");
  home.write(".aws/credentials", "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = homesecret\n");
  auto chain = CredentialsProvider::from_environment(bare_env(home), {});
  const auto r = get_now(chain);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->credentials.access_key_id, "AKIDHOME");
}

TEST(CredentialsChain, UnsupportedProfileKindsAreNoted) {
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_PROFILE"] = "sso";
  env.vars["AWS_CONFIG_FILE"] = home.write("config", "[profile sso]\nsso_session = corp\n");
  std::vector<std::string> notes;
  auto chain = CredentialsProvider::from_environment(env, {}, &notes);
  EXPECT_TRUE(chain->empty());
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes[0].find("sso_session"), std::string::npos);
}

TEST(CredentialsChain, NothingConfiguredIsAnErrorNotAHang) {
  TempDir home;
  auto chain = CredentialsProvider::from_environment(bare_env(home), {});
  EXPECT_TRUE(chain->empty());
  EXPECT_FALSE(get_now(chain));
}

// ---- EC2 instance metadata (IMDSv2) ------------------------------------------------------------------------

FakeHttpServer::Handler imds_handler(std::string token = "imds-session-token-123") {
  return [token](const FakeHttpServer::Request& req) {
    const std::string target(req.target());
    if (req.method() == bhttp::verb::put && target == "/latest/api/token") {
      if (req["X-aws-ec2-metadata-token-ttl-seconds"].empty()) return FakeHttpServer::reply(400, "");
      return FakeHttpServer::reply(200, token, "text/plain");
    }
    if (req["X-aws-ec2-metadata-token"] != token) return FakeHttpServer::reply(401, "", "text/plain");
    if (target == "/latest/meta-data/iam/security-credentials/")
      return FakeHttpServer::reply(200, "my-role\n", "text/plain");
    if (target == "/latest/meta-data/iam/security-credentials/my-role")
      return FakeHttpServer::reply(200, R"({"Code":"Success","LastUpdated":"2024-01-01T00:00:00Z","Type":"AWS-HMAC",
        "AccessKeyId":"ASIAIMDS","SecretAccessKey":"imdssecret","Token":"imdstoken","Expiration":"2099-01-01T00:00:00Z"})");
    return FakeHttpServer::reply(404, "");
  };
}

TEST(CredentialsChain, ImdsV2TokenThenRoleThenCredentials) {
  FakeHttpServer imds(imds_handler());
  TempDir home;
  auto env = bare_env(home);
  env.vars.erase("AWS_EC2_METADATA_DISABLED");
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.url() + "/";
  auto chain = CredentialsProvider::from_environment(env, {});
  EXPECT_EQ(chain->describe(), "imds");
  const auto r = get_now(chain);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->credentials.access_key_id, "ASIAIMDS");
  EXPECT_EQ(r->credentials.session_token, "imdstoken");
  ASSERT_TRUE(r->expiration);
  const auto reqs = imds.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method(), bhttp::verb::put);
  EXPECT_EQ(reqs[0]["X-aws-ec2-metadata-token-ttl-seconds"], "21600");
  EXPECT_EQ(reqs[1]["X-aws-ec2-metadata-token"], "imds-session-token-123");
  EXPECT_EQ(reqs[2].target(), "/latest/meta-data/iam/security-credentials/my-role");
}

TEST(CredentialsChain, ImdsDisabledIsLeftOut) {
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_EC2_METADATA_DISABLED"] = "TRUE";
  EXPECT_FALSE(CredentialsProvider::from_environment(env, {})->has_source("imds"));
  env.vars["AWS_EC2_METADATA_DISABLED"] = "false";
  EXPECT_TRUE(CredentialsProvider::from_environment(env, {})->has_source("imds"));
}

TEST(CredentialsChain, ImdsFailureNamesThePhaseNotTheToken) {
  FakeHttpServer imds([](const FakeHttpServer::Request& req) {
    if (req.method() == bhttp::verb::put) return FakeHttpServer::reply(200, "secret-imds-token", "text/plain");
    return FakeHttpServer::reply(500, "", "text/plain");
  });
  TempDir home;
  auto env = bare_env(home);
  env.vars.erase("AWS_EC2_METADATA_DISABLED");
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.url();
  const auto r = get_now(CredentialsProvider::from_environment(env, {}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("IMDS role request answered HTTP 500"), std::string::npos) << r.error();
  EXPECT_EQ(r.error().find("secret-imds-token"), std::string::npos);
}

// ---- container credentials ---------------------------------------------------------------------------------

FakeHttpServer::Handler container_handler(std::string expected_auth) {
  return [expected_auth](const FakeHttpServer::Request& req) {
    if (req.target() != "/v1/credentials?role=x") return FakeHttpServer::reply(404, "");
    if (req[bhttp::field::authorization] != expected_auth)
      return FakeHttpServer::reply(401, R"({"code":"Unauthorized","message":"bad token"})");
    return FakeHttpServer::reply(200, R"({"AccessKeyId":"ASIACONT","SecretAccessKey":"contsecret","Token":"conttoken",
      "AccountId":"123456789012","Expiration":"2099-01-01T00:00:00Z"})");
  };
}

TEST(CredentialsChain, ContainerFullUriWithTokenFile) {
  FakeHttpServer server(container_handler("Bearer pod-identity-token"));
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/v1/credentials?role=x";
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = home.write("token", "Bearer pod-identity-token\n");
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "ignored-when-a-file-is-set";
  auto chain = CredentialsProvider::from_environment(env, {});
  EXPECT_EQ(chain->describe(), "container");
  const auto r = get_now(chain);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->credentials.access_key_id, "ASIACONT");
  EXPECT_EQ(r->credentials.session_token, "conttoken");
}

TEST(CredentialsChain, ContainerTokenFromEnvironment) {
  FakeHttpServer server(container_handler("ecs-token"));
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/v1/credentials?role=x";
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "ecs-token";
  const auto r = get_now(CredentialsProvider::from_environment(env, {}));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->credentials.access_key_id, "ASIACONT");
}

TEST(CredentialsChain, ContainerRejectionNeverEchoesTheToken) {
  FakeHttpServer server(container_handler("right-token"));
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.url() + "/v1/credentials?role=x";
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong-token-value";
  const auto r = get_now(CredentialsProvider::from_environment(env, {}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("401"), std::string::npos);
  EXPECT_EQ(r.error().find("wrong-token-value"), std::string::npos);
}

TEST(CredentialsChain, ContainerRelativeUriGoesToTheEcsAgentAddress) {
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
  EXPECT_EQ(CredentialsProvider::from_environment(env, {})->describe(), "container");
}

TEST(CredentialsChain, ContainerFullUriToAForeignHttpHostIsRefused) {
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://203.0.113.9/creds";
  std::vector<std::string> notes;
  EXPECT_TRUE(CredentialsProvider::from_environment(env, {}, &notes)->empty());
  EXPECT_EQ(notes.size(), 1u);
}

// ---- web identity (STS) ------------------------------------------------------------------------------------

TEST(CredentialsChain, WebIdentityAssumesTheRoleWithTheTokenFile) {
  FakeHttpServer sts([](const FakeHttpServer::Request& req) {
    if (req.method() != bhttp::verb::post) return FakeHttpServer::reply(405, "");
    return FakeHttpServer::reply(200, R"(<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>
      <Credentials><AccessKeyId>ASIASTS</AccessKeyId><SecretAccessKey>stssecret</SecretAccessKey>
      <SessionToken>ststoken</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
      </AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>)",
                                 "text/xml");
  });
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = home.write("token", "eyJhbGciOi.jwt-body.sig\n");
  env.vars["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/app";
  env.vars["AWS_ROLE_SESSION_NAME"] = "sess1";
  env.vars["AWS_ENDPOINT_URL_STS"] = sts.url();
  auto chain = CredentialsProvider::from_environment(env, {});
  EXPECT_EQ(chain->describe(), "web identity");
  const auto r = get_now(chain);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->credentials.access_key_id, "ASIASTS");
  EXPECT_EQ(r->credentials.session_token, "ststoken");
  const auto reqs = sts.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const std::string body = reqs[0].body();
  EXPECT_NE(body.find("Action=AssumeRoleWithWebIdentity"), std::string::npos);
  EXPECT_NE(body.find("Version=2011-06-15"), std::string::npos);
  EXPECT_NE(body.find("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fapp"), std::string::npos) << body;
  EXPECT_NE(body.find("RoleSessionName=sess1"), std::string::npos);
  EXPECT_TRUE(body.ends_with("&WebIdentityToken=eyJhbGciOi.jwt-body.sig"))
      << "token read from the file, trailing newline dropped: " << body;
  EXPECT_TRUE(reqs[0][bhttp::field::authorization].empty()) << "AssumeRoleWithWebIdentity is not signed";
}

TEST(CredentialsChain, WebIdentityStsErrorIsReported) {
  FakeHttpServer sts([](const FakeHttpServer::Request&) {
    return FakeHttpServer::reply(
        400,
        "<ErrorResponse><Error><Code>ExpiredTokenException</Code><Message>Token expired</Message></Error>"
        "</ErrorResponse>",
        "text/xml");
  });
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = home.write("token", "jwt-secret-value");
  env.vars["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/r";
  env.vars["AWS_ENDPOINT_URL"] = sts.url();  // the all-services override reaches STS too
  const auto r = get_now(CredentialsProvider::from_environment(env, {}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("ExpiredTokenException"), std::string::npos) << r.error();
  EXPECT_EQ(r.error().find("jwt-secret-value"), std::string::npos);
}

TEST(CredentialsChain, WebIdentityFromAProfile) {
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_CONFIG_FILE"] =
      home.write("config", "[default]\nrole_arn = arn:aws:iam::1:role/r\nweb_identity_token_file = /tmp/t\n");
  EXPECT_EQ(CredentialsProvider::from_environment(env, {})->describe(), "web identity");
}

TEST(CredentialsChain, MissingTokenFileFallsThroughToTheNextSource) {
  FakeHttpServer imds(imds_handler());
  TempDir home;
  auto env = bare_env(home);
  env.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = home.str() + "/does-not-exist";
  env.vars["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/r";
  env.vars.erase("AWS_EC2_METADATA_DISABLED");
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = imds.url();
  auto chain = CredentialsProvider::from_environment(env, {});
  EXPECT_EQ(chain->describe(), "web identity, imds");
  const auto r = get_now(chain);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->source, "imds");
}

}  // namespace
}  // namespace sb::aws
