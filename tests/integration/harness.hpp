// Starts the mock upstream and a switchboard pointed at it, both on port 0.
#pragma once
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace sb::test {

inline constexpr const char* kUpstreamKey = "sk-test-UPSTREAM-SECRET-0123456789";

inline std::unique_ptr<Process> start_mock_upstream() {
  return std::make_unique<Process>(
      std::vector<std::string>{MOCK_UPSTREAM_BIN, "--port", "0", "--fixtures", SWITCHBOARD_FIXTURES});
}

inline std::unique_ptr<Process> start_switchboard(std::map<std::string, std::string> env,
                                                  std::vector<std::string> extra_args = {}) {
  std::vector<std::string> argv{SWITCHBOARD_BIN, "--port", "0", "--env-file", "/dev/null"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  env.emplace("LOG_LEVEL", "debug");
  return std::make_unique<Process>(argv, env);
}

class ProxyToMockUpstream : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = start_mock_upstream();
    proxy_ = start_switchboard(proxy_env());
  }
  virtual std::map<std::string, std::string> proxy_env() {
    return {{"OPENAI_API_KEY", kUpstreamKey},     {"OPENAI_BASE_URL", upstream_->base_url() + "/v1"},
            {"SSE_KEEPALIVE_MS", "300"},          {"UPSTREAM_FIRST_BYTE_TIMEOUT_MS", "1500"},
            {"UPSTREAM_IDLE_TIMEOUT_MS", "5000"}, {"MOCK_INTERVAL_MS", "5"}};
  }

  unsigned short port() const { return proxy_->port(); }
  boost::json::object upstream_stats() {
    return boost::json::parse(http_request(upstream_->port(), "GET", "/__stats").body).as_object();
  }
  boost::json::object last_upstream_request() {
    return boost::json::parse(http_request(upstream_->port(), "GET", "/__last_request").body).as_object();
  }
  // Polls the upstream's stats until `pred` holds or `ms` pass (the event is asynchronous by nature).
  template <class Pred>
  bool wait_for_upstream(Pred pred, int ms = 3000) {
    for (int waited = 0; waited < ms; waited += 10) {
      if (pred(upstream_stats())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::unique_ptr<Process> upstream_;
  std::unique_ptr<Process> proxy_;
};

inline std::string chat_body(const std::string& extra = {}, bool stream = false) {
  std::string b = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}])";
  if (stream) b += R"(,"stream":true)";
  if (!extra.empty()) b += "," + extra;
  return b + "}";
}

inline boost::json::object parse_obj(const std::string& s) {
  return boost::json::parse(s).as_object();
}

// The `error` object of an OpenAI-format error body (or stream event).
inline boost::json::object error_of(const std::string& body) {
  return parse_obj(body).at("error").as_object();
}

// The chunks of a stream (JSON events, not [DONE] or comments).
inline std::vector<boost::json::object> chunks(const StreamResponse& r) {
  std::vector<boost::json::object> out;
  for (const auto& e : r.events)
    if (!e.data.empty() && e.data.front() == '{') out.push_back(parse_obj(e.data));
  return out;
}

}  // namespace sb::test
