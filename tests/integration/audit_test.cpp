// Secret audit: with known secrets configured (upstream key, AWS secret and session token, proxy keys), run every
// error path we have and look for the secrets in every response (status line, headers, body), in the process
// output at DEBUG, and in the message log. Secrets are also planted where a careless path would echo them: in
// upstream error messages, in the query string, in oversized headers.
#include <filesystem>
#include <fstream>

#include "harness.hpp"

namespace sb::test {
namespace {
namespace fs = std::filesystem;

constexpr const char* kOpenAIKey = "sk-AUDIT-openai-SECRET-6b1f0e3c";
constexpr const char* kAwsSecret = "AUDIT+aws/SECRET/access/9f8e7d6c5b";
constexpr const char* kAwsToken = "AUDIT-aws-session-token-SECRET-4a3b";
constexpr const char* kProxyKey = "sk-AUDIT-proxy-SECRET-a1b2c3d4";
constexpr const char* kProxyKey2 = "sk-AUDIT-proxy-SECRET-second-e5f6";

const std::vector<std::string>& secrets() {
  static const std::vector<std::string> s{kOpenAIKey, kAwsSecret, kAwsToken, kProxyKey, kProxyKey2};
  return s;
}

// Each secret, and its distinctive tail (a masked echo such as "sk-AUD...6b1f0e3c" would still contain it).
std::vector<std::string> needles() {
  std::vector<std::string> n;
  for (const auto& s : secrets()) {
    n.push_back(s);
    n.push_back(s.substr(s.size() - 10));
  }
  return n;
}

std::string leaked_in(const std::string& text) {
  for (const auto& n : needles())
    if (text.find(n) != std::string::npos) return n;
  return {};
}

std::string dump(const HttpResponse& r) {
  std::string s = std::to_string(r.status) + "\n";
  for (const auto& [k, v] : r.headers) s += k + ": " + v + "\n";
  return s + r.body;
}

class SecretAudit : public ProxyToMockUpstream {
 protected:
  void SetUp() override {
    log_path_ = fs::temp_directory_path() / ("sb-audit-messages-" + std::to_string(::getpid()) + ".jsonl");
    fs::remove(log_path_);
    ProxyToMockUpstream::SetUp();
  }
  void TearDown() override {
    fs::remove(log_path_);
    for (int i = 1; i <= 5; ++i) fs::remove(log_path_.string() + "." + std::to_string(i));
  }
  std::map<std::string, std::string> proxy_env() override {
    auto env = ProxyToMockUpstream::proxy_env();
    env["OPENAI_API_KEY"] = kOpenAIKey;
    env["SWITCHBOARD_API_KEYS"] = std::string("audit:") + kProxyKey + "," + kProxyKey2;
    env["AGENT_ID"] = "AGENTAUDIT";
    env["AGENT_ALIAS_ID"] = "ALIASAUDIT";
    env["AWS_ACCESS_KEY_ID"] = "AKIDMOCKUPSTREAM0001";
    env["AWS_SECRET_ACCESS_KEY"] = kAwsSecret;  // not the mock's: every Bedrock call fails its signature check
    env["AWS_SESSION_TOKEN"] = kAwsToken;
    env["AWS_ENDPOINT_URL"] = upstream_->base_url();
    env["AWS_EC2_METADATA_DISABLED"] = "true";
    env["MESSAGE_LOG"] = log_path_.string();
    env["MAX_BODY_BYTES"] = "65536";
    env["MAX_HEADER_BYTES"] = "4096";
    env["MAX_URL_BYTES"] = "512";
    env["LOG_LEVEL"] = "debug";
    return env;
  }

  // Records a response for the final check (and drains the proxy's output so its pipe never fills).
  void seen(const std::string& what, const std::string& text) {
    responses_.emplace_back(what, text);
    (void)proxy_->output();
  }
  void seen(const std::string& what, const HttpResponse& r) { seen(what, dump(r)); }

  Headers auth(const std::string& key = kProxyKey) const { return {{"Authorization", "Bearer " + key}}; }

  fs::path log_path_;
  std::vector<std::pair<std::string, std::string>> responses_;
};

TEST_F(SecretAudit, NoErrorPathRevealsASecret) {
  const auto p = port();
  // Authentication failures, including presented keys that contain a real key.
  seen("no key", http_request(p, "GET", "/v1/models"));
  seen("wrong key", http_request(p, "GET", "/v1/models", {}, auth("sk-wrong")));
  seen("key + suffix", http_request(p, "POST", "/v1/chat/completions", chat_body(), auth(std::string(kProxyKey) + "x")));
  seen("basic scheme", http_request(p, "GET", "/v1/models", {}, {{"Authorization", std::string("Basic ") + kProxyKey}}));
  seen("upstream key as proxy key", http_request(p, "GET", "/v1/models", {}, auth(kOpenAIKey)));
  // Routing and parsing errors.
  seen("404", http_request(p, "GET", "/v1/nope", {}, auth()));
  seen("405", http_request(p, "GET", "/v1/chat/completions", {}, auth()));
  seen("bad json", http_request(p, "POST", "/v1/chat/completions", "{nope", auth()));
  seen("wrong type", http_request(p, "POST", "/v1/chat/completions", R"({"messages":"x"})", auth()));
  seen("no messages", http_request(p, "POST", "/v1/chat/completions", R"({"model":"m"})", auth()));
  seen("unknown provider", http_request(p, "POST", "/v1/chat/completions", chat_body(R"("provider":"nope")"), auth()));
  seen("deep json", http_request(p, "POST", "/v1/chat/completions", std::string(5000, '['), auth()));
  // Limits, with the key where an echo would show it.
  seen("413", http_request(p, "POST", "/v1/chat/completions",
                           chat_body(R"("pad":")" + std::string(70'000, 'x') + "\""), auth()));
  seen("431", http_request(p, "GET", "/v1/models", {},
                           {{"Authorization", "Bearer " + std::string(kProxyKey) + std::string(5000, 'k')}}));
  seen("414", http_request(p, "GET", "/v1/models?api_key=" + std::string(kProxyKey) + std::string(600, 'q'), {},
                           auth()));
  seen("key in query", http_request(p, "POST", "/v1/chat/completions?api_key=" + std::string(kProxyKey),
                                    chat_body(R"("provider":"mock")"), auth()));
  seen("garbage", raw_exchange(p, "POST /v1/chat/completions HTTP/1.1\r\nAuthorization: Bearer " +
                                      std::string(kProxyKey) + "\r\nContent-Length: zz\r\n\r\n"));
  // Upstream failures: each status, with the upstream key planted in the upstream's own message.
  for (int status : {400, 401, 403, 404, 429, 500, 502, 503}) {
    for (bool stream : {false, true}) {
      const std::string mock = R"("mock":{"scenario":"error","status":)" + std::to_string(status) +
                               R"(,"retry_after":1,"message":"Incorrect API key provided: )" + kOpenAIKey + " (" +
                               kAwsSecret + R"x()"})x";
      seen("upstream " + std::to_string(status), http_request(p, "POST", "/v1/chat/completions",
                                                              chat_body(mock, stream), auth()));
    }
  }
  seen("upstream drop", http_stream(p, "/v1/chat/completions",
                                    chat_body(R"("mock":{"scenario":"drop","drop_after":2})", true), auth())
                            .body);
  seen("upstream stall", http_request(p, "POST", "/v1/chat/completions",
                                      chat_body(R"("mock":{"scenario":"stall","stall_at":"headers"})"), auth()));
  seen("upstream bad json", http_stream(p, "/v1/chat/completions",
                                        chat_body(R"("mock":{"scenario":"bad_json"})", true), auth())
                                .body);
  seen("upstream ok", http_request(p, "POST", "/v1/chat/completions", chat_body(), auth()));
  // Bedrock: every call is refused by the upstream's signature check.
  seen("bedrock", http_request(p, "POST", "/v1/chat/completions", chat_body(R"("provider":"bedrock")"), auth()));
  seen("bedrock stream", http_stream(p, "/v1/chat/completions", chat_body(R"("provider":"bedrock")", true), auth())
                             .body);
  seen("bedrock session", http_request(p, "POST", "/v1/chat/completions",
                                       chat_body(R"("provider":"bedrock","session_id":"s-1")"),
                                       {{"Authorization", std::string("Bearer ") + kProxyKey2}}));
  seen("providers", http_request(p, "GET", "/v1/providers", {}, auth()));
  seen("models", http_request(p, "GET", "/v1/models", {}, auth()));
  seen("metrics", http_request(p, "GET", "/metrics"));
  seen("health", http_request(p, "GET", "/healthz"));

  proxy_->stop(SIGTERM);
  for (const auto& [what, text] : responses_)
    EXPECT_EQ(leaked_in(text), "") << "response to '" << what << "' reveals a secret:\n" << text.substr(0, 2000);
  const auto out = proxy_->output();
  EXPECT_NE(out.find("key=audit"), std::string::npos) << "the log names the key it saw";
  if (const auto leak = leaked_in(out); !leak.empty()) {
    const auto at = out.find(leak);
    ADD_FAILURE() << "the process output reveals a secret: ..." << out.substr(at > 300 ? at - 300 : 0, 600);
  }
  if (fs::exists(log_path_)) {
    std::ifstream f(log_path_);
    const std::string messages((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_FALSE(messages.empty());
    EXPECT_EQ(leaked_in(messages), "") << "the message log reveals a secret";
  }
}

TEST_F(SecretAudit, RateLimitAndConnectionFailuresRevealNothing) {
  // A second proxy: a tight rate limit, and an upstream that refuses connections.
  auto limited = start_switchboard({{"OPENAI_API_KEY", kOpenAIKey},
                                    {"OPENAI_BASE_URL", "http://127.0.0.1:1/v1"},
                                    {"SWITCHBOARD_API_KEYS", std::string("audit:") + kProxyKey},
                                    {"AWS_SECRET_ACCESS_KEY", kAwsSecret},
                                    {"AWS_SESSION_TOKEN", kAwsToken},
                                    {"RATE_LIMIT_RPM", "1"},
                                    {"LOG_LEVEL", "debug"}});
  std::vector<std::string> texts;
  texts.push_back(dump(http_request(limited->port(), "POST", "/v1/chat/completions", chat_body(), auth())));
  texts.push_back(dump(http_request(limited->port(), "POST", "/v1/chat/completions", chat_body(), auth())));
  EXPECT_NE(texts[0].find("502"), std::string::npos) << texts[0];
  EXPECT_EQ(texts[1].rfind("429", 0), 0u) << texts[1];
  limited->stop(SIGTERM);
  texts.push_back(limited->output());
  for (const auto& t : texts) EXPECT_EQ(leaked_in(t), "") << t.substr(0, 2000);
}

TEST(SecretAuditStartup, ConfigErrorsRevealNothing) {
  const std::map<std::string, std::string> base{{"OPENAI_API_KEY", kOpenAIKey},
                                                {"AWS_SECRET_ACCESS_KEY", kAwsSecret},
                                                {"AWS_SESSION_TOKEN", kAwsToken}};
  const std::vector<std::map<std::string, std::string>> bad{
      {{"SWITCHBOARD_API_KEYS", std::string("a:") + kProxyKey + ",a:" + kProxyKey2}},
      {{"SWITCHBOARD_API_KEYS", std::string(kProxyKey) + "," + kProxyKey}},
      {{"SWITCHBOARD_API_KEYS", std::string("audit:") + kProxyKey}, {"LOG_LEVEL", "loud"}},
      {{"SWITCHBOARD_API_KEYS", std::string("audit:") + kProxyKey}, {"PROVIDER_NAME", "nope"}},
      {{"SWITCHBOARD_API_KEYS", std::string("audit:") + kProxyKey}, {"TLS_CERT_FILE", "/nonexistent.pem"}},
      {{"SWITCHBOARD_API_KEYS", std::string("audit:") + kProxyKey},
       {"TLS_CERT_FILE", "/nonexistent.pem"},
       {"TLS_KEY_FILE", "/nonexistent-key.pem"}},
  };
  for (const auto& extra : bad) {
    auto env = base;
    env.insert(extra.begin(), extra.end());
    auto [rc, out] = run_command({SWITCHBOARD_BIN, "--env-file", "/dev/null", "--log-level", "debug"}, env);
    EXPECT_EQ(rc, 2) << out;
    EXPECT_EQ(leaked_in(out), "") << out;
  }
}

}  // namespace
}  // namespace sb::test
