#include <gtest/gtest.h>

#include "core/registry.hpp"
#include "providers/mock/mock_provider.hpp"
#include "providers/openai/openai_provider.hpp"

namespace sb::core {
namespace {

Registry make_registry(bool openai_key) {
  Registry r;
  providers::OpenAIConfig cfg;
  cfg.api_key = openai_key ? "k" : "";
  r.add(std::make_unique<providers::OpenAIProvider>(cfg));
  r.add(std::make_unique<providers::MockProvider>("mock", std::chrono::milliseconds(0)));
  r.set_default(openai_key ? "openai" : "mock");
  return r;
}

openai::ChatRequest req(const std::string& extra) {
  auto r = openai::parse_chat_request("{" + extra + R"("messages":[{"role":"user","content":"hi"}]})");
  EXPECT_TRUE(r);
  return std::move(r).value();
}

TEST(Routing, ProviderFieldWins) {
  const auto reg = make_registry(true);
  auto r = route_request(reg, req(R"("provider":"mock","model":"openai/gpt-4o",)"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->provider->name(), "mock");
  EXPECT_EQ(r->model, "openai/gpt-4o");
}

TEST(Routing, ModelPrefixNamingAProviderIsStripped) {
  const auto reg = make_registry(true);
  auto r = route_request(reg, req(R"("model":"mock/some-model",)"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->provider->name(), "mock");
  EXPECT_EQ(r->model, "some-model");
}

TEST(Routing, SlashInModelNotNamingAProviderGoesToDefault) {
  const auto reg = make_registry(true);
  auto r = route_request(reg, req(R"("model":"meta-llama/Llama-3",)"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->provider->name(), "openai");
  EXPECT_EQ(r->model, "meta-llama/Llama-3");
}

TEST(Routing, DefaultProviderAndDefaultModel) {
  const auto reg = make_registry(false);
  auto r = route_request(reg, req(""));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->provider->name(), "mock");
  EXPECT_EQ(r->model, "mock-1");
}

TEST(Routing, UnknownProviderIs400) {
  const auto reg = make_registry(true);
  auto r = route_request(reg, req(R"("provider":"nope",)"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().code, "unknown_provider");
  EXPECT_EQ(r.error().param, "provider");
}

TEST(Routing, KnownButUnconfiguredIs503NamingTheSetting) {
  const auto reg = make_registry(false);
  auto r = route_request(reg, req(R"("provider":"openai",)"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 503);
  EXPECT_EQ(r.error().code, "provider_unavailable");
  EXPECT_NE(r.error().message.find("OPENAI_API_KEY"), std::string::npos);
}

}  // namespace
}  // namespace sb::core
