#include "core/api_keys.hpp"

#include <gtest/gtest.h>

#include "app/config.hpp"

namespace sb::core {
namespace {

TEST(ApiKeys, NamedAndBareKeysMatchByDigest) {
  auto set = ApiKeySet::parse(" alice:sk-alice-1 , sk-bare-2 ,bob: sk-bob-3");
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(set->size(), 3u);
  EXPECT_EQ(set->match("sk-alice-1"), "alice");
  EXPECT_EQ(set->match("sk-bob-3"), "bob");
  const auto bare = set->match("sk-bare-2");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->rfind("key-", 0), 0u);
  EXPECT_EQ(bare->size(), 8u);  // key- + 4 hex digits of the digest
  EXPECT_EQ(bare->find("bare"), std::string::npos) << "the default name is derived from the digest, not the key";
  EXPECT_FALSE(set->match("alice"));
  EXPECT_FALSE(set->match("sk-alice-"));
  EXPECT_FALSE(set->match("sk-alice-1 "));
  EXPECT_FALSE(set->match(""));
}

TEST(ApiKeys, KeysWithColonsNeedAName) {
  auto set = ApiKeySet::parse("svc:abc:def, http://x");
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(set->match("abc:def"), "svc");
  // "http" is a valid name, so this entry is the key "//x" named http: documented behaviour.
  EXPECT_EQ(set->match("//x"), "http");
}

TEST(ApiKeys, ErrorsNeverEchoKeys) {
  auto dup = ApiKeySet::parse("sk-secret-one,sk-secret-one");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().find("sk-secret"), std::string::npos) << dup.error();
  auto empty = ApiKeySet::parse("name:");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().find("entry 1"), std::string::npos);
  auto same_name = ApiKeySet::parse("a:k1,a:k2");
  ASSERT_FALSE(same_name);
  EXPECT_EQ(same_name.error().find("k1"), std::string::npos);
  EXPECT_TRUE(ApiKeySet::parse(" , ,")->empty());
}

TEST(ApiKeys, BearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer abc"), "abc");
  EXPECT_EQ(bearer_token("BEARER   abc  "), "abc");
  EXPECT_EQ(bearer_token("BeArEr\tabc"), "abc");
  EXPECT_FALSE(bearer_token("Bearerabc"));
  EXPECT_FALSE(bearer_token("Bearer "));
  EXPECT_FALSE(bearer_token("Basic abc"));
  EXPECT_FALSE(bearer_token("abc"));
  EXPECT_FALSE(bearer_token(""));
}

TEST(ApiKeys, DigestIsSha256) {
  const auto d = sha256_digest("abc");
  EXPECT_EQ(d[0], 0xba);
  EXPECT_EQ(d[1], 0x78);
  EXPECT_EQ(d[31], 0xad);
}

TEST(ApiKeys, SettingsHoldNamesAndDigestsOnly) {
  ::setenv("SWITCHBOARD_API_KEYS", "ops:sk-proxy-VERY-SECRET", 1);
  ::setenv("SWITCHBOARD_METRICS_AUTH", "true", 1);
  const char* argv[] = {"switchboard", "--env-file", "/dev/null"};
  auto r = app::load_settings(3, argv);
  ::unsetenv("SWITCHBOARD_API_KEYS");
  ::unsetenv("SWITCHBOARD_METRICS_AUTH");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->settings.metrics_auth);
  EXPECT_EQ(r->settings.api_keys.names(), std::vector<std::string>{"ops"});
  EXPECT_EQ(r->settings.api_keys.match("sk-proxy-VERY-SECRET"), "ops");

  ::setenv("SWITCHBOARD_API_KEYS", "x:a,x:b", 1);
  auto bad = app::load_settings(3, argv);
  ::unsetenv("SWITCHBOARD_API_KEYS");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("SWITCHBOARD_API_KEYS"), std::string::npos);

  ::setenv("SWITCHBOARD_METRICS_AUTH", "maybe", 1);
  auto bad_bool = app::load_settings(3, argv);
  ::unsetenv("SWITCHBOARD_METRICS_AUTH");
  ASSERT_FALSE(bad_bool);
  EXPECT_NE(bad_bool.error().message.find("SWITCHBOARD_METRICS_AUTH"), std::string::npos);
}

}  // namespace
}  // namespace sb::core
