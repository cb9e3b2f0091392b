// YAML config, retries, fallbacks, deadlines and circuit breakers against the mock upstream.
#include <filesystem>
#include <fstream>
#include <set>

#include "harness.hpp"

namespace sb::test {
namespace {
namespace json = boost::json;

class Resilience : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = start_mock_upstream();
    config_ = std::filesystem::temp_directory_path() /
              ("switchboard-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".yaml");
    std::ofstream(config_) << "providers:\n"
                              "  primary:\n"
                              "    type: openai\n"
                              "    base_url: " + upstream_->base_url() + "/v1\n"
                              "    api_key: ${SB_TEST_PRIMARY_KEY}\n"
                              "    retry: { attempts: 2, backoff_ms: 10, max_wait_ms: 500 }\n"
                              "    timeouts: { first_token_ms: 400, idle_ms: 5000 }\n"
                              "    circuit_breaker: { failures: 3, cooldown_ms: 60000 }\n"
                              "  solo:\n"
                              "    type: openai\n"
                              "    base_url: " + upstream_->base_url() + "/v1\n"
                              "    api_key: k-solo\n"
                              "    retry: { attempts: 3, backoff_ms: 10, max_wait_ms: 500 }\n"
                              "    timeouts: { total_ms: 700 }\n"
                              "  backup:\n"
                              "    type: mock\n"
                              "    interval_ms: 1\n"
                              "models:\n"
                              "  - name: voice\n"
                              "    provider: primary\n"
                              "    model: gpt-4o-mini\n"
                              "    fallbacks: [ { provider: backup, model: mock-1 } ]\n"
                              "  - name: solo-model\n"
                              "    provider: solo\n"
                              "    model: gpt-4o-mini\n";
    proxy_ = start_switchboard({{"SB_TEST_PRIMARY_KEY", "sk-primary-secret-123456"}}, {"--config", config_.string()});
  }
  void TearDown() override { std::filesystem::remove(config_); }

  std::int64_t upstream_requests() {
    return parse_obj(http_request(upstream_->port(), "GET", "/__stats").body).at("chat_requests").as_int64();
  }
  unsigned short port() const { return proxy_->port(); }

  static inline int counter_ = 0;
  std::filesystem::path config_;
  std::unique_ptr<Process> upstream_, proxy_;
};

std::string body(const std::string& model, const std::string& mock, bool stream = false) {
  return R"({"model":")" + model + R"(","messages":[{"role":"user","content":"Hi"}],"mock":)" + mock +
         (stream ? R"(,"stream":true)" : "") + "}";
}

TEST_F(Resilience, ModelsAndProvidersReflectTheConfig) {
  const auto models = parse_obj(http_request(port(), "GET", "/v1/models").body);
  bool has_voice = false;
  for (const auto& m : models.at("data").as_array()) has_voice |= m.at("id").as_string() == "voice";
  EXPECT_TRUE(has_voice);
  const auto providers = parse_obj(http_request(port(), "GET", "/v1/providers").body);
  std::set<std::string> names;
  for (const auto& p : providers.at("providers").as_array()) names.insert(std::string(p.at("name").as_string()));
  EXPECT_TRUE(names.count("primary") && names.count("solo") && names.count("backup") && names.count("mock"));
}

TEST_F(Resilience, RetriesThenFallsBackBeforeTheFirstByte) {
  const auto r = http_request(port(), "POST", "/v1/chat/completions", body("voice", R"({"scenario":"error","status":503})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(parse_obj(r.body).at("choices").at(0).at("message").at("content").as_string().find("mock provider"),
            std::string::npos);
  EXPECT_EQ(upstream_requests(), 2) << "two attempts on the primary (retry.attempts: 2), then the fallback";
  EXPECT_EQ(proxy_->output().find("sk-primary-secret-123456"), std::string::npos);
}

TEST_F(Resilience, CallersOwnErrorIsNotRetriedOrFallenBackFrom) {
  const auto r = http_request(port(), "POST", "/v1/chat/completions", body("voice", R"({"scenario":"error","status":400})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(upstream_requests(), 1);
}

TEST_F(Resilience, LongRetryAfterIsAnsweredNotWaitedFor) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = http_request(port(), "POST", "/v1/chat/completions",
                              body("solo-model", R"({"scenario":"error","status":429,"retry_after":30})"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.at("retry-after"), "30");
  EXPECT_EQ(upstream_requests(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(Resilience, FirstTokenDeadlineSwitchesToTheFallbackCleanly) {
  // The primary sends its role chunk, then nothing: no token within 400 ms → the fallback answers.
  const auto r = http_stream(port(), "/v1/chat/completions",
                             body("voice", R"({"scenario":"stall","stall_at":"mid_stream","drop_after":1})", true));
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.events.back().data, "[DONE]");
  const auto cs = chunks(r);
  ASSERT_FALSE(cs.empty());
  std::string text;
  for (const auto& c : cs) {
    EXPECT_EQ(c.at("id"), cs.front().at("id")) << "nothing of the abandoned primary stream may leak";
    for (const auto& ch : c.at("choices").as_array())
      if (const auto* t = ch.at("delta").as_object().if_contains("content")) text += t->as_string();
  }
  EXPECT_NE(text.find("mock provider"), std::string::npos);
  EXPECT_TRUE(parse_obj(http_request(upstream_->port(), "GET", "/__stats").body).at("streams_cancelled").as_int64() >= 1);
}

TEST_F(Resilience, TotalDeadlineMidStreamEndsWithAnErrorEvent) {
  const auto r = http_stream(port(), "/v1/chat/completions",
                             body("solo-model", R"({"chunks":20,"interval_ms":100})", true));
  ASSERT_EQ(r.status, 200);
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.back().data.rfind("{\"error\"", 0), 0u) << r.events.back().data;
  EXPECT_EQ(parse_obj(r.events.back().data).at("error").at("code").as_string(), "upstream_timeout");
}

TEST_F(Resilience, BreakerOpensAfterRepeatedFailuresAndIsReported) {
  for (int i = 0; i < 2; ++i)  // each request: 2 failed attempts on the primary, one breaker failure
    ASSERT_EQ(http_request(port(), "POST", "/v1/chat/completions", body("voice", R"({"scenario":"error","status":500})"))
                  .status,
              200);
  ASSERT_EQ(http_request(port(), "POST", "/v1/chat/completions", body("voice", R"({"scenario":"error","status":500})")).status,
            200);
  const auto before = upstream_requests();
  const auto providers = parse_obj(http_request(port(), "GET", "/v1/providers").body);
  for (const auto& p : providers.at("providers").as_array()) {
    if (p.at("name").as_string() != "primary") continue;
    EXPECT_EQ(p.at("state").as_string(), "open");
    EXPECT_FALSE(p.at("available").as_bool());
  }
  ASSERT_EQ(http_request(port(), "POST", "/v1/chat/completions", body("voice", R"({"scenario":"text"})")).status, 200);
  EXPECT_EQ(upstream_requests(), before) << "an open breaker skips the primary";
}

TEST(ConfigErrors, BadConfigExitsTwoNamingTheLine) {
  const auto path = std::filesystem::temp_directory_path() / ("switchboard-bad-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "providers:\n  x:\n    type: openai\n  y:\n    type: teapot\n";
  auto [rc, out] = run_command({SWITCHBOARD_BIN, "--env-file", "/dev/null", "--config", path.string()});
  std::filesystem::remove(path);
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find(path.string() + ":5:"), std::string::npos) << out;
}

}  // namespace
}  // namespace sb::test
