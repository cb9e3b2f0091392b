// The switchboard-check binary end to end: proxy vs the mock upstream as the reference passes; each broken stream
// the mock upstream can send is named by its violation code, with exit status 1.
#include "harness.hpp"

namespace sb::test {
namespace {

class StreamCheck : public ProxyToMockUpstream {
 protected:
  std::pair<int, std::string> check(std::vector<std::string> args) {
    std::vector<std::string> argv{STREAM_CHECK_BIN, "--env-file", "/dev/null", "--timeout-ms", "10000"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }
};

TEST_F(StreamCheck, ProxyAgainstTheMockUpstreamAsReferencePasses) {
  const auto [rc, out] = check({"--proxy", "http://127.0.0.1:" + std::to_string(port()), "--reference",
                                upstream_->base_url() + "/v1", "--reference-key", "sk-reference", "--runs", "3",
                                "--concurrency", "2"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("TTFT"), std::string::npos) << out;
}

TEST_F(StreamCheck, ProxyAgainstReferenceAsJson) {
  const auto [rc, out] = check({"--proxy", "http://127.0.0.1:" + std::to_string(port()), "--reference",
                                upstream_->base_url() + "/v1", "--reference-key", "sk-reference", "--json"});
  EXPECT_EQ(rc, 0) << out;
  const auto start = out.find('{');
  ASSERT_NE(start, std::string::npos) << out;
  boost::system::error_code ec;
  boost::json::parse(out.substr(start), ec);
  EXPECT_FALSE(ec) << out;
}

TEST_F(StreamCheck, EachBrokenUpstreamStreamIsNamed) {
  // The mock upstream itself plays the proxy under test, sending a broken stream.
  // (The table names each fault by its message; --json carries the codes.)
  const std::vector<std::pair<std::string, std::string>> faults{
      {"no_done", "missing [DONE]"},
      {"changing_id", "id changed mid-stream"},
      {"no_role", "first delta has no role"},
      {"bad_json", "is not valid JSON"},
      {"no_finish", "no finish_reason chunk"},
      {"text_after_finish", "content after finish chunk"},
  };
  for (const auto& [scenario, code] : faults) {
    const auto [rc, out] = check({"--proxy", upstream_->base_url(), "--proxy-key", "sk-x", "--no-reference",
                                  "--extra-body", R"({"mock":{"scenario":")" + scenario + R"("}})"});
    EXPECT_EQ(rc, 1) << scenario << "\n" << out;
    EXPECT_NE(out.find(code), std::string::npos) << scenario << " should be reported as: " << code << "\n" << out;
  }
}

}  // namespace
}  // namespace sb::test
