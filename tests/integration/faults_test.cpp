// Fault injection the other suites do not cover: malformed upstream JSON (stream and body), a slow trickle of
// events, an upstream that goes quiet for longer than the idle timeout; and Azure OpenAI's request shape against
// a server. Each ends in a complete answer or a clear error, and the proxy stays healthy.
#include <filesystem>
#include <fstream>

#include "harness.hpp"

namespace sb::test {
namespace {
namespace json = boost::json;

void expect_healthy(unsigned short port) {
  EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
  const auto r = http_stream(port, "/v1/chat/completions", chat_body({}, true));
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.back().data, "[DONE]");
}

TEST_F(ProxyToMockUpstream, MalformedStreamEventBecomesAnErrorEventNotGarbage) {
  const auto r =
      http_stream(port(), "/v1/chat/completions", chat_body(R"("mock":{"scenario":"bad_json","chunks":8})", true));
  ASSERT_EQ(r.status, 200);
  ASSERT_FALSE(r.events.empty());
  // Every event the client got is valid JSON; the last one is the error; no [DONE] after a broken stream.
  for (const auto& e : r.events) {
    if (e.data.empty() || e.data.front() == ':') continue;
    ASSERT_NE(e.data, "[DONE]");
    boost::system::error_code ec;
    json::parse(e.data, ec);
    EXPECT_FALSE(ec) << "relayed a malformed event: " << e.data;
  }
  EXPECT_EQ(error_of(r.events.back().data).at("code").as_string(), "upstream_error");
  EXPECT_NE(error_of(r.events.back().data).at("message").as_string().find("malformed"), std::string::npos);
  EXPECT_TRUE(r.complete);
  expect_healthy(port());
}

TEST_F(ProxyToMockUpstream, MalformedJsonBodyIs502) {
  const auto r = http_request(port(), "POST", "/v1/chat/completions", chat_body(R"("mock":{"scenario":"bad_json"})"));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(error_of(r.body).at("code").as_string(), "upstream_error");
  expect_healthy(port());
}

TEST_F(ProxyToMockUpstream, SlowTrickleIsRelayedEventByEventWithoutTimingOut) {
  // 12 events 150 ms apart (idle timeout 5 s, keep-alive comments every 300 ms): each arrives on its own.
  const auto r = http_stream(port(), "/v1/chat/completions",
                             chat_body(R"("mock":{"scenario":"text","chunks":12,"interval_ms":150})", true));
  ASSERT_EQ(r.status, 200);
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.back().data, "[DONE]");
  std::vector<double> content_at;
  for (const auto& e : r.events)
    if (e.data.find("\"content\":\"") != std::string::npos && e.data.find("\"content\":\"\"") == std::string::npos)
      content_at.push_back(e.ms);
  ASSERT_GE(content_at.size(), 10u);
  EXPECT_GT(content_at.back() - content_at.front(), 1000.0) << "the events were not relayed as they came";
}

TEST(ProxyIdle, UpstreamQuietLongerThanTheIdleTimeoutEndsWithAnErrorEvent) {
  auto upstream = start_mock_upstream();
  auto proxy = start_switchboard({{"OPENAI_API_KEY", kUpstreamKey},
                                  {"OPENAI_BASE_URL", upstream->base_url() + "/v1"},
                                  {"UPSTREAM_IDLE_TIMEOUT_MS", "300"}});
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = http_stream(proxy->port(), "/v1/chat/completions",
                             chat_body(R"("mock":{"scenario":"text","chunks":6,"interval_ms":1000})", true));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  ASSERT_EQ(r.status, 200);
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(error_of(r.events.back().data).at("code").as_string(), "upstream_timeout");
  expect_healthy(proxy->port());
}

// Azure OpenAI: deployment URL, api-version query, `api-key` header instead of Authorization.
TEST(Azure, RequestShapeIsAcceptedByAServer) {
  auto upstream = start_mock_upstream();
  const auto config = std::filesystem::temp_directory_path() / ("sb-azure-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(config) << "providers:\n"
                           "  azure:\n"
                           "    type: azure\n"
                           "    base_url: " + upstream->base_url() + "\n"
                           "    api_key: ${SB_TEST_AZURE_KEY}\n"
                           "    api_version: 2024-10-21\n"
                           "    headers:\n"
                           "      X-Org-Id: acme\n"
                           "      Accept: application/json\n"
                           "models:\n"
                           "  - name: voice\n"
                           "    provider: azure\n"
                           "    model: my-gpt4o-deployment\n";
  auto proxy = start_switchboard({{"SB_TEST_AZURE_KEY", "azure-key-0123456789abcdef"}}, {"--config", config.string()});
  const auto port = proxy->port();
  const std::string body = R"({"model":"voice","messages":[{"role":"user","content":"Hi"}]})";
  const auto r = http_request(port, "POST", "/v1/chat/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse_obj(r.body).at("object").as_string(), "chat.completion");
  const auto last = parse_obj(http_request(upstream->port(), "GET", "/__last_request").body);
  EXPECT_EQ(last.at("target").as_string(),
            "/openai/deployments/my-gpt4o-deployment/chat/completions?api-version=2024-10-21");
  const auto& headers = last.at("headers").as_object();
  EXPECT_EQ(headers.at("api-key").as_string(), "azure-key-0123456789abcdef");
  EXPECT_FALSE(headers.contains("authorization"));
  EXPECT_EQ(headers.at("x-org-id").as_string(), "acme") << "configured headers reach the upstream";
  EXPECT_EQ(headers.at("accept").as_string(), "application/json") << "and have the last word";

  const std::string stream_body =
      R"({"model":"voice","stream":true,"messages":[{"role":"user","content":"Hi"}]})";
  const auto s = http_stream(port, "/v1/chat/completions", stream_body);
  ASSERT_EQ(s.status, 200);
  ASSERT_FALSE(s.events.empty());
  EXPECT_EQ(s.events.back().data, "[DONE]");
  std::filesystem::remove(config);
}

}  // namespace
}  // namespace sb::test
