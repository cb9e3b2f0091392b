#include "app/yaml_config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace sb::app {
namespace {

core::Expected<core::FileConfig, std::string> parse(const std::string& text, std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> w;
  auto r = parse_yaml_config(text, "cfg.yaml", w);
  if (warnings) *warnings = w;
  return r;
}

TEST(YamlConfig, FullExampleParses) {
  ::setenv("SB_TEST_GROQ_KEY", "gsk-secret", 1);
  auto r = parse(R"(
default_provider: groq
providers:
  groq:
    type: openai
    base_url: https://api.groq.com/openai/v1
    api_key: ${SB_TEST_GROQ_KEY}
    default_model: llama-3.1-8b-instant
    headers: { X-Tenant: acme }
    timeouts: { connect_ms: 1000, first_byte_ms: 2000, first_token_ms: 300, idle_ms: 4000, total_ms: 5000 }
    retry: { attempts: 3, backoff_ms: 50, max_wait_ms: 700 }
    circuit_breaker: { failures: 5, cooldown_ms: 30000 }
  azure:
    type: azure
    base_url: https://my-resource.openai.azure.com
    api_key: k
    api_version: "2024-10-21"
  support-agent:
    type: bedrock
    agent_id: A1
    agent_alias_id: B2
    region: eu-west-1
models:
  - name: voice
    provider: support-agent
    model: bedrock-agent
    fallbacks: [ { provider: groq, model: llama-3.1-8b-instant } ]
)");
  ASSERT_TRUE(r) << r.error();
  const auto& c = r.value();
  EXPECT_EQ(c.default_provider, "groq");
  ASSERT_EQ(c.providers.size(), 3u);
  const auto& g = c.providers[0];
  EXPECT_EQ(g.name, "groq");
  EXPECT_EQ(g.api_key, "gsk-secret");
  EXPECT_EQ(g.headers.at(0), (std::pair<std::string, std::string>{"X-Tenant", "acme"}));
  EXPECT_EQ(g.timeouts.first_token.count(), 300);
  EXPECT_EQ(g.timeouts.total.count(), 5000);
  EXPECT_EQ(g.retry.attempts, 3);
  EXPECT_EQ(g.retry.max_wait.count(), 700);
  EXPECT_EQ(g.breaker.failures, 5);
  EXPECT_EQ(c.providers[1].type, "azure");
  EXPECT_EQ(c.providers[1].api_version, "2024-10-21");
  EXPECT_EQ(c.providers[2].region, "eu-west-1");
  ASSERT_EQ(c.models.size(), 1u);
  EXPECT_EQ(c.models[0].target.provider, "support-agent");
  ASSERT_EQ(c.models[0].fallbacks.size(), 1u);
  EXPECT_EQ(c.models[0].fallbacks[0].model, "llama-3.1-8b-instant");
}

TEST(YamlConfig, ErrorsNameFileAndLine) {
  auto r = parse("providers:\n  a:\n    type: openai\n  b:\n    type: nonsense\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind("cfg.yaml:5:", 0), 0u) << r.error();
  EXPECT_NE(r.error().find("nonsense"), std::string::npos);

  r = parse("providers:\n  a:\n    type: openai\n    retry: { attempts: many }\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind("cfg.yaml:4:", 0), 0u) << r.error();

  r = parse("providers: [unclosed\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind("cfg.yaml:", 0), 0u) << r.error();

  r = parse("models:\n  - name: x\n    provider: ghost\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("ghost"), std::string::npos);
  EXPECT_EQ(r.error().rfind("cfg.yaml:2:", 0), 0u) << r.error();
}

TEST(YamlConfig, UnsetEnvironmentVariableIsAnError) {
  ::unsetenv("SB_TEST_UNSET_VAR");
  auto r = parse("providers:\n  a:\n    type: openai\n    api_key: ${SB_TEST_UNSET_VAR}\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("SB_TEST_UNSET_VAR"), std::string::npos);
  EXPECT_EQ(r.error().rfind("cfg.yaml:4:", 0), 0u) << r.error();
}

TEST(YamlConfig, UnknownKeysAreWarnings) {
  std::vector<std::string> warnings;
  auto r = parse("colour: blue\nproviders:\n  m:\n    type: mock\n    flavour: x\n", &warnings);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("colour"), std::string::npos);
  EXPECT_NE(warnings[1].find("cfg.yaml:5"), std::string::npos);
}

TEST(ExpandEnv, ReplacesEveryReference) {
  ::setenv("SB_A", "1", 1);
  ::setenv("SB_B", "two", 1);
  auto r = expand_env("x${SB_A}y${SB_B}z");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value(), "x1ytwoz");
  EXPECT_FALSE(expand_env("${SB_A"));
}

}  // namespace
}  // namespace sb::app

// Found by fuzz_config: a name holding a newline (here a YAML escape; the fuzzer used raw control bytes) made a
// two-line error. Errors and warnings quote such values with escapes and stay one line.
TEST(YamlConfig, ErrorsAndWarningsStayOneLineWhateverTheFileHolds) {
  std::vector<std::string> w;
  auto r = sb::app::parse_yaml_config("models:\n  - name: \"voice\\nline two\\u0001\"\n    provider: nowhere\n", "cfg.yaml", w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().find('\n'), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("voice\\nline two\\x01"), std::string::npos) << r.error();

  w.clear();
  r = sb::app::parse_yaml_config("providers:\n  a:\n    type: openai\n    \"odd\\nkey\": 1\n", "cfg.yaml", w);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].find('\n'), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("odd\\nkey"), std::string::npos) << w[0];
}
