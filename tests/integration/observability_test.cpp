// Logs, message log and metrics seen from outside: no secret ever reaches a log, the message log records every
// exchange whole (500 concurrent streams), failures and hang-ups included.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "harness.hpp"

namespace sb::test {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

// A fresh directory per call. Emptied first: the name repeats when a later test process gets the same pid (pids
// wrap at 32,768 over a full CI run), and a message log left there would be appended to (CI once read 6 records
// where a test wrote 5).
std::string temp_path(const std::string& name) {
  static int counter = 0;
  const auto dir = fs::temp_directory_path() / ("sb-obs-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return (dir / name).string();
}

std::vector<json::object> read_records(const std::string& path) {
  std::vector<json::object> out;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    json::object o;
    EXPECT_NO_THROW(o = json::parse(line).as_object()) << "not one JSON object per line: " << line.substr(0, 200);
    out.push_back(std::move(o));
  }
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const json::object* find_record(const std::vector<json::object>& records, const std::string& request_id) {
  for (const auto& r : records)
    if (r.at("request_id").as_string() == request_id) return &r;
  return nullptr;
}

// ---- no secrets in any log line ------------------------------------------------------------------------

constexpr const char* kProxyKey = "sb-proxy-KEY-5f3e9a1c7d2b";
constexpr const char* kAwsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYTESTSECRET";
constexpr const char* kAwsToken = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789";

class SecretsNeverLogged : public ProxyToMockUpstream {
 protected:
  std::map<std::string, std::string> proxy_env() override {
    auto env = ProxyToMockUpstream::proxy_env();
    message_log_ = temp_path("messages.jsonl");
    env["SWITCHBOARD_API_KEYS"] = kProxyKey;
    env["MESSAGE_LOG"] = message_log_;
    env["AGENT_ID"] = "AGENT12345";
    env["AGENT_ALIAS_ID"] = "ALIAS12345";
    env["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE";
    env["AWS_SECRET_ACCESS_KEY"] = kAwsSecret;
    env["AWS_SESSION_TOKEN"] = kAwsToken;
    env["AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME"] = upstream_->base_url();
    env["UPSTREAM_FIRST_BYTE_TIMEOUT_MS"] = "300";
    return env;
  }
  Headers auth() const { return {{"Authorization", std::string("Bearer ") + kProxyKey}}; }
  std::string message_log_;
};

TEST_F(SecretsNeverLogged, ErrorScenariosLeakNoKeyIntoLogsOrTheMessageLog) {
  const std::string echo_key = std::string(R"("message":"bad key )") + kUpstreamKey + " / " + kAwsSecret + R"(")";
  std::vector<std::string> mocks;
  for (int status : {400, 401, 403, 404, 408, 429, 500, 503})
    mocks.push_back(R"("mock":{"scenario":"error","status":)" + std::to_string(status) + "," + echo_key + "}");
  mocks.push_back(R"("mock":{"scenario":"drop","drop_after":2})");
  mocks.push_back(R"("mock":{"scenario":"stall","stall_at":"headers"})");
  mocks.push_back(R"("mock":{"scenario":"bad_json"})");
  mocks.push_back(R"("mock":{"scenario":"no_done"})");
  for (const auto& m : mocks) {
    for (bool stream : {false, true}) {
      const auto r = http_request(port(), "POST", "/v1/chat/completions", chat_body(m, stream), auth());
      EXPECT_EQ(r.body.find(kUpstreamKey), std::string::npos) << m;
      EXPECT_EQ(r.body.find(kAwsSecret), std::string::npos) << m;
    }
  }
  // Bedrock, pointed at a server that does not speak its protocol: signing errors, 404s.
  for (bool stream : {false, true}) {
    const auto r = http_request(port(), "POST", "/v1/chat/completions", chat_body(R"("provider":"bedrock")", stream),
                                auth());
    EXPECT_EQ(r.body.find(kAwsSecret), std::string::npos);
  }
  // A caller who pastes keys into a message: they are scrubbed from the message log too (proxy keys, known only
  // as digests, are found as whole tokens).
  const std::string pasted = std::string(R"({"messages":[{"role":"user","content":"my key: )") + kUpstreamKey +
                             " and " + kProxyKey + R"("}]})";
  EXPECT_EQ(http_request(port(), "POST", "/v1/chat/completions", pasted, auth()).status, 200);
  // Wrong and missing proxy keys, a key in the query string, garbage.
  http_request(port(), "POST", "/v1/chat/completions", chat_body(), {{"Authorization", "Bearer wrong"}});
  http_request(port(), "POST", "/v1/chat/completions", chat_body());
  http_request(port(), "GET", std::string("/v1/models?key=") + kProxyKey, {}, auth());
  http_request(port(), "POST", "/v1/chat/completions", "{not json", auth());
  http_request(port(), "POST", "/v1/chat/completions", chat_body(R"("provider":"nope")"), auth());
  http_request(port(), "GET", "/metrics");
  // A secret in a field the request line logs (the session id).
  auto session_auth = auth();
  session_auth.emplace_back("X-Session-Id", kUpstreamKey);
  EXPECT_EQ(http_request(port(), "POST", "/v1/chat/completions", chat_body(), session_auth).status, 200);

  ASSERT_EQ(proxy_->stop(), 0);  // drains and writes the message log
  const std::string logs = proxy_->output();
  const std::string transcripts = slurp(message_log_);
  ASSERT_FALSE(transcripts.empty());
  EXPECT_NE(logs.find("request request_id="), std::string::npos) << "request lines were logged";
  for (const char* secret : {kUpstreamKey, kProxyKey, kAwsSecret, kAwsToken}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << "in the logs: " << secret;
    EXPECT_EQ(transcripts.find(secret), std::string::npos) << "in the message log: " << secret;
  }
  // Every line of the log output is a single line of its own (no value broke a line in two).
  std::istringstream lines(logs);
  int request_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(line.size() > 24 && line[4] == '-' && line[10] == 'T') << "not a log line: " << line;
    if (line.find(" request request_id=") == std::string::npos) continue;
    ++request_lines;  // `YYYY-mm-ddTHH:MM:SS.mmm info  request …`, as every other INFO line
    EXPECT_TRUE(line[7] == '-' && line[13] == ':' && line[16] == ':' && line[19] == '.' &&
                line.compare(23, 15, " info  request ") == 0) << line;
  }
  EXPECT_GE(request_lines, 20);
  EXPECT_NE(logs.find("session_id=*** "), std::string::npos) << "the session id was logged, scrubbed";
}

// With LOG_FORMAT=json every line, request lines included, is one JSON object with its time and level.
class JsonLogLines : public ProxyToMockUpstream {
 protected:
  std::map<std::string, std::string> proxy_env() override {
    auto env = ProxyToMockUpstream::proxy_env();
    env["LOG_FORMAT"] = "json";
    return env;
  }
};

TEST_F(JsonLogLines, RequestLinesAreObjectsWithTimeLevelAndFieldsAndNoSecret) {
  const auto r = http_request(port(), "POST", "/v1/chat/completions", chat_body(),
                              {{"X-Session-Id", std::string("call-7 ") + kUpstreamKey}});
  ASSERT_EQ(r.status, 200);
  const std::string id = r.headers.at("x-request-id");
  EXPECT_EQ(http_request(port(), "POST", "/v1/chat/completions", "{not json").status, 400);
  ASSERT_EQ(proxy_->stop(), 0);
  const std::string logs = proxy_->output();
  EXPECT_EQ(logs.find(kUpstreamKey), std::string::npos);
  std::istringstream lines(logs);
  int requests = 0;
  for (std::string line; std::getline(lines, line);) {
    json::object o;
    ASSERT_NO_THROW(o = json::parse(line).as_object()) << line;
    const std::string ts(o.at("ts").as_string());
    EXPECT_TRUE(ts.size() == 24 && ts[10] == 'T' && ts[19] == '.' && ts.back() == 'Z') << line;
    EXPECT_TRUE(o.at("level").is_string()) << line;
    if (!o.contains("request_id")) continue;
    ++requests;
    EXPECT_EQ(o.at("level"), "info");
    if (o.at("request_id").as_string() != id) {
      EXPECT_EQ(o.at("status"), 400) << line;
      continue;
    }
    EXPECT_EQ(o.at("status"), 200) << line;
    EXPECT_EQ(o.at("session_id"), "call-7 ***") << line;
    EXPECT_EQ(o.at("stream"), false) << line;
    EXPECT_TRUE(o.at("duration_ms").is_number()) << line;
    EXPECT_EQ(o.at("retries"), 0) << line;
  }
  EXPECT_EQ(requests, 2);
}

// ---- the message log under load -------------------------------------------------------------------------

TEST(MessageLogUnderLoad, FiveHundredConcurrentStreamsAllLoggedWhole) {
  const std::string path = temp_path("messages.jsonl");
  auto proxy = start_switchboard({{"PROVIDER_NAME", "mock"}, {"MOCK_INTERVAL_MS", "2"}, {"MESSAGE_LOG", path},
                                  {"LOG_LEVEL", "info"}});
  constexpr int kStreams = 500;
  std::vector<std::string> ids(kStreams), replies(kStreams);
  std::vector<int> statuses(kStreams, 0);
  std::vector<std::thread> clients;
  std::atomic<int> finished{0};
  clients.reserve(kStreams);
  for (int i = 0; i < kStreams; ++i)
    clients.emplace_back([&, i] {
      const std::string body = R"({"stream":true,"stream_options":{"include_usage":true},"messages":[)"
                               R"({"role":"user","content":"caller number )" + std::to_string(i) + R"("}]})";
      const auto r = http_stream(proxy->port(), "/v1/chat/completions", body, {}, {}, std::chrono::seconds(60));
      statuses[i] = r.status;
      ids[i] = r.headers.count("x-request-id") ? r.headers.at("x-request-id") : "";
      for (const auto& c : chunks(r))
        for (const auto& ch : c.at("choices").as_array())
          if (const auto* t = ch.at("delta").as_object().if_contains("content"); t && t->is_string())
            replies[i] += t->as_string();
      ++finished;
    });
  while (finished.load() < kStreams) {  // keep reading the proxy's log lines so its stderr pipe never fills
    (void)proxy->output();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& c : clients) c.join();
  ASSERT_EQ(proxy->stop(), 0);

  const auto records = read_records(path);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kStreams));
  std::set<std::string> seen;
  for (int i = 0; i < kStreams; ++i) {
    ASSERT_EQ(statuses[i], 200);
    const auto* r = find_record(records, ids[i]);
    ASSERT_NE(r, nullptr) << "no record for request " << ids[i];
    seen.insert(ids[i]);
    EXPECT_EQ(r->at("provider"), "mock");
    EXPECT_EQ(r->at("stream"), true);
    EXPECT_EQ(r->at("status"), 200);
    const std::string said = "caller number " + std::to_string(i);
    EXPECT_EQ(r->at("request").at("messages").at(0).at("content").as_string(), said);
    EXPECT_EQ(r->at("response").at("content").as_string(), replies[i]) << "the reply as the client received it";
    EXPECT_NE(replies[i].find(said), std::string::npos);
    EXPECT_EQ(r->at("response").at("finish_reason"), "stop");
    EXPECT_GT(r->at("usage").at("completion_tokens").as_int64(), 0);
    EXPECT_TRUE(r->at("ttft_ms").is_double());
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kStreams));
}

// ---- relayed streams, failures, hang-ups, redaction ------------------------------------------------------

class MessageLogRelay : public ProxyToMockUpstream {
 protected:
  std::map<std::string, std::string> proxy_env() override {
    auto env = ProxyToMockUpstream::proxy_env();
    path_ = temp_path("messages.jsonl");
    env["MESSAGE_LOG"] = path_;
    if (redact_) env["MESSAGE_LOG_REDACT"] = "content";
    return env;
  }
  std::vector<json::object> stop_and_read() {
    EXPECT_EQ(proxy_->stop(), 0);
    return read_records(path_);
  }
  std::string path_;
  bool redact_ = false;
};

TEST_F(MessageLogRelay, RelayedStreamsFailuresAndHangUps) {
  const auto ok = http_stream(port(), "/v1/chat/completions",
                              chat_body(R"("session_id":"sess-42","stream_options":{"include_usage":true})", true));
  ASSERT_EQ(ok.status, 200);
  const auto tools = http_request(port(), "POST", "/v1/chat/completions",
                                  chat_body(R"("mock":{"scenario":"tool_calls_parallel"})"));
  ASSERT_EQ(tools.status, 200);
  const auto failed = http_request(port(), "POST", "/v1/chat/completions",
                                   chat_body(R"("mock":{"scenario":"error","status":503})", true));
  ASSERT_EQ(failed.status, 502);
  const auto broken =
      http_stream(port(), "/v1/chat/completions", chat_body(R"("mock":{"scenario":"drop","drop_after":3})", true));
  int seen = 0;
  const auto gone = http_stream(port(), "/v1/chat/completions",
                                chat_body(R"("mock":{"scenario":"stall","stall_at":"mid_stream","drop_after":3})", true),
                                {}, [&](const TimedEvent&) { return ++seen < 3; });
  ASSERT_TRUE(wait_for_upstream([](const json::object& s) { return s.at("streams_cancelled").as_int64() >= 1; }));

  const auto records = stop_and_read();
  ASSERT_EQ(records.size(), 5u);

  const auto* r = find_record(records, ok.headers.at("x-request-id"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->at("provider"), "openai");
  EXPECT_EQ(r->at("session_id"), "sess-42");
  EXPECT_FALSE(r->at("response").at("content").as_string().empty());
  EXPECT_EQ(r->at("response").at("finish_reason"), "stop");
  EXPECT_GT(r->at("usage").at("total_tokens").as_int64(), 0);

  r = find_record(records, tools.headers.at("x-request-id"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->at("stream"), false);
  EXPECT_EQ(r->at("response").at("tool_calls").as_array().size(), 2u);
  EXPECT_EQ(r->at("response").at("finish_reason"), "tool_calls");

  r = find_record(records, failed.headers.at("x-request-id"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->at("status"), 502);
  EXPECT_EQ(r->at("error").at("code"), "upstream_error");

  r = find_record(records, broken.headers.at("x-request-id"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->at("status"), 200) << "the head had gone out";
  EXPECT_EQ(r->at("error").at("code"), "upstream_error");
  EXPECT_TRUE(r->at("response").at("finish_reason").is_null());

  r = find_record(records, gone.headers.at("x-request-id"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->at("client_disconnected"), true);
  EXPECT_EQ(r->at("status"), 499);
  EXPECT_FALSE(r->at("response").at("content").as_string().empty()) << "what was sent before the hang-up";
}

class MessageLogRedacted : public MessageLogRelay {
 protected:
  void SetUp() override {
    redact_ = true;
    MessageLogRelay::SetUp();
  }
};

TEST_F(MessageLogRedacted, KeepsStructureDropsText) {
  const std::string body = R"({"model":"gpt-4o-mini","stream":true,"messages":[{"role":"system","content":"Classified"},)"
                           R"({"role":"user","content":"The password is swordfish"}],)"
                           R"("mock":{"text":"Nobody must know this answer","chunks":4}})";
  ASSERT_EQ(http_stream(port(), "/v1/chat/completions", body).status, 200);
  const std::string text = [&] {
    EXPECT_EQ(proxy_->stop(), 0);
    return slurp(path_);
  }();
  for (const char* secret : {"Classified", "swordfish", "Nobody must know"})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  const auto rec = json::parse(text).as_object();
  const auto& msgs = rec.at("request").at("messages").as_array();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1].at("role"), "user");
  EXPECT_EQ(msgs[1].at("content_chars"), 25);
  EXPECT_EQ(rec.at("response").at("content_chars"), 28);
  EXPECT_EQ(rec.at("response").at("finish_reason"), "stop");
}

// ---- the request log line ------------------------------------------------------------------------------

// The request line of `id` in the proxy's output (written as the request ends: waits for it up to 2 s).
std::string request_line(Process& proxy, const std::string& id) {
  for (int i = 0; i < 200; ++i) {
    std::istringstream out(proxy.output());
    for (std::string l; std::getline(out, l);)
      if (l.find("request_id=" + id) != std::string::npos) return l;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

TEST_F(ProxyToMockUpstream, OneInfoLinePerRequestWithItsFields) {
  const auto r = http_stream(port(), "/v1/chat/completions",
                             chat_body(R"("stream_options":{"include_usage":true})", true));
  ASSERT_EQ(r.status, 200);
  const std::string line = request_line(*proxy_, r.headers.at("x-request-id"));
  ASSERT_FALSE(line.empty());
  for (const char* field : {" info ", "provider=openai", "model=gpt-4o-mini", "stream=true", "status=200",
                            "ttft_ms=", "duration_ms=", "finish_reason=stop", "retries=0"})
    EXPECT_NE(line.find(field), std::string::npos) << field << " in " << line;
  EXPECT_EQ(line.find("ttft_ms=-"), std::string::npos) << line;
  EXPECT_EQ(line.find("prompt_tokens=-"), std::string::npos) << "relayed usage is read for the log: " << line;

  // A relayed chat.completion body: its finish reason and usage are read while it is validated.
  const auto whole = http_request(port(), "POST", "/v1/chat/completions", chat_body());
  ASSERT_EQ(whole.status, 200);
  const std::string body_line = request_line(*proxy_, whole.headers.at("x-request-id"));
  for (const char* field : {"stream=false", "status=200", "finish_reason=stop", "prompt_tokens=", "retries=0"})
    EXPECT_NE(body_line.find(field), std::string::npos) << field << " in " << body_line;
  EXPECT_EQ(body_line.find("prompt_tokens=-"), std::string::npos) << body_line;
  EXPECT_EQ(body_line.find("completion_tokens=-"), std::string::npos) << body_line;
}

}  // namespace
}  // namespace sb::test
