// Error bodies stay valid JSON whatever bytes a caller put in the message (a route, a model name).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/api_error.hpp"

namespace sb::core {
namespace {

TEST(ValidUtf8, KeepsValidTextAndReplacesEveryInvalidByte) {
  EXPECT_EQ(valid_utf8("plain /v1/chat"), "plain /v1/chat");
  EXPECT_EQ(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(valid_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(valid_utf8("\xC0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");           // overlong NUL
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(valid_utf8("x\xE2\x82"), "x\xEF\xBF\xBD\xEF\xBF\xBD");         // truncated at the end
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // > U+10FFFF
}

TEST(ApiErrorBody, IsValidJsonForAnyRoute) {
  const auto body = ApiError::not_found("/v1/c\xFF\xFE" "at/\xC3").body();
  boost::system::error_code ec;
  const auto v = boost::json::parse(body, ec);
  ASSERT_FALSE(ec) << body;
  EXPECT_EQ(v.at("error").at("message").as_string(), "Unknown route: /v1/c\xEF\xBF\xBD\xEF\xBF\xBD" "at/\xEF\xBF\xBD");
}

}  // namespace
}  // namespace sb::core
