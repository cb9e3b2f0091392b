// Proxy keys: Bearer auth on /v1/*, open health routes, /metrics configurable, key names (never keys) in logs.
#include "harness.hpp"

namespace sb::test {
namespace {

constexpr const char* kAliceKey = "sk-proxy-ALICE-5f1d2c9e7a";
constexpr const char* kBareKey = "sk-proxy-BARE-99a0b1c2d3";

std::string code_of(const HttpResponse& r) {
  const auto body = parse_obj(r.body);
  const auto& err = body.at("error").as_object();
  EXPECT_TRUE(err.contains("message") && err.contains("type") && err.contains("param") && err.contains("code"));
  return std::string(err.at("code").as_string());
}

TEST(ProxyKeyAuth, BearerOnV1RoutesWithAnyCaseScheme) {
  auto proxy = start_switchboard(
      {{"SWITCHBOARD_API_KEYS", std::string("alice:") + kAliceKey + "," + kBareKey}, {"MOCK_INTERVAL_MS", "0"}});
  const auto p = proxy->port();
  for (const auto& auth : {std::string(), std::string("Bearer wrong"), std::string("Basic ") + kAliceKey,
                           std::string(kAliceKey), std::string("Bearer ") + kAliceKey + "x"}) {
    Headers h;
    if (!auth.empty()) h.emplace_back("Authorization", auth);
    const auto r = http_request(p, "GET", "/v1/models", {}, h);
    EXPECT_EQ(r.status, 401) << auth;
    EXPECT_EQ(code_of(r), "invalid_api_key");
    EXPECT_EQ(r.body.find(kAliceKey), std::string::npos);
  }
  for (const auto& scheme : {"Bearer", "bearer", "BEARER", "bEaReR"}) {
    const Headers h{{"Authorization", std::string(scheme) + " " + kAliceKey}};
    EXPECT_EQ(http_request(p, "GET", "/v1/models", {}, h).status, 200) << scheme;
  }
  EXPECT_EQ(http_request(p, "GET", "/v1/providers", {}, {{"Authorization", std::string("Bearer ") + kBareKey}}).status,
            200);
  // Unknown /v1 routes are behind the key too; health routes never are.
  EXPECT_EQ(http_request(p, "GET", "/v1/nope").status, 401);
  EXPECT_EQ(http_request(p, "GET", "/healthz").status, 200);
  EXPECT_EQ(http_request(p, "GET", "/readyz").status, 200);
  EXPECT_NE(http_request(p, "GET", "/metrics").status, 401) << "/metrics is open by default";
  const auto chat = http_request(p, "POST", "/chat/completions", chat_body());
  EXPECT_EQ(chat.status, 401);
}

TEST(ProxyKeyAuth, LogLinesNameTheKeyNeverShowIt) {
  auto proxy = start_switchboard(
      {{"SWITCHBOARD_API_KEYS", std::string("alice:") + kAliceKey + "," + kBareKey}, {"MOCK_INTERVAL_MS", "0"}});
  const auto p = proxy->port();
  ASSERT_EQ(http_request(p, "POST", "/v1/chat/completions", chat_body(), {{"Authorization", std::string("Bearer ") + kAliceKey}})
                .status,
            200);
  ASSERT_EQ(http_request(p, "POST", "/v1/chat/completions", chat_body(), {{"Authorization", std::string("Bearer ") + kBareKey}})
                .status,
            200);
  proxy->stop();
  const auto out = proxy->output();
  EXPECT_NE(out.find("key=alice"), std::string::npos) << out;
  EXPECT_NE(out.find("key=key-"), std::string::npos) << out;
  EXPECT_EQ(out.find(kAliceKey), std::string::npos);
  EXPECT_EQ(out.find(kBareKey), std::string::npos);
}

TEST(ProxyKeyAuth, MetricsCanRequireAKey) {
  auto proxy = start_switchboard({{"SWITCHBOARD_API_KEYS", std::string("ops:") + kAliceKey},
                                  {"SWITCHBOARD_METRICS_AUTH", "true"}});
  const auto p = proxy->port();
  EXPECT_EQ(http_request(p, "GET", "/metrics").status, 401);
  EXPECT_NE(http_request(p, "GET", "/metrics", {}, {{"Authorization", std::string("Bearer ") + kAliceKey}}).status, 401);
  EXPECT_EQ(http_request(p, "GET", "/healthz").status, 200);
}

TEST(ProxyKeyAuth, BadKeyListIsAStartupError) {
  auto [rc, out] = run_command({SWITCHBOARD_BIN, "--env-file", "/dev/null"},
                               {{"SWITCHBOARD_API_KEYS", "a:sk-one-SECRET,a:sk-two-SECRET"}});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("SWITCHBOARD_API_KEYS"), std::string::npos) << out;
  EXPECT_EQ(out.find("SECRET"), std::string::npos) << out;
}

}  // namespace
}  // namespace sb::test
