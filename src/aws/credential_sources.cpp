// The network sources of the credentials chain: STS web identity, container endpoint, EC2 IMDSv2.
// Each fetch is a coroutine on the caller's io thread over http::UpstreamCall (timeouts, TLS, pooling).
#include <boost/beast/http/empty_body.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "aws/credentials.hpp"
#include "http/client.hpp"

namespace sb::aws {
namespace bhttp = boost::beast::http;

namespace {

constexpr std::size_t kMaxAnswer = 64 * 1024;

struct Target {
  http::Origin origin;
  std::string path;  // path (+ query) to request
};

core::Expected<Target, std::string> split_url(std::string_view url) {
  auto origin = http::parse_origin(url);
  if (!origin) return "invalid URL (" + origin.error() + ")";
  auto parsed = boost::urls::parse_absolute_uri(url);
  Target t{*origin, std::string(parsed->encoded_path())};
  if (t.path.empty()) t.path = "/";
  if (parsed->has_query()) t.path += "?" + std::string(parsed->encoded_query());
  return t;
}

struct Answer {
  int status = 0;
  std::string body;
};

// One request/response exchange; errors name the phase, never a header value.
net::awaitable<core::Expected<Answer, std::string>> exchange(const http::Origin& origin,
                                                             http::UpstreamRequest req,
                                                             std::chrono::milliseconds timeout) {
  http::UpstreamCall call(origin, {timeout, timeout, timeout});
  const bool ok = co_await call.start(req);
  if (!ok) co_return call.error_message();
  Answer a;
  a.status = call.status();
  const bool ok2 = co_await call.read_all(a.body, kMaxAnswer);
  if (!ok2) co_return call.error_message();
  co_return a;
}

std::optional<std::string> read_token_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// ---- STS AssumeRoleWithWebIdentity -------------------------------------------------------------------------

class WebIdentitySource final : public CredentialsSource {
 public:
  explicit WebIdentitySource(WebIdentityConfig c) : config_(std::move(c)) {}
  [[nodiscard]] const std::string& name() const override { return name_; }

  net::awaitable<CredentialsResult> fetch() override {
    const auto token = read_token_file(config_.token_file);
    if (!token || token->empty()) co_return std::string("cannot read the web identity token file");
    auto target = split_url(config_.sts_endpoint);
    if (!target) co_return "STS endpoint: " + target.error();
    std::string session = config_.session_name;
    if (session.empty())
      session =
          "switchboard-" +
          std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(SystemClock::now().time_since_epoch()).count());
    std::string path = target->origin.base_path.empty() ? "/" : target->origin.base_path + "/";
    http::UpstreamRequest req("POST", path);
    req.add("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    req.add("Accept", "text/xml");
    req.body() = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + uri_encode(config_.role_arn) +
                 "&RoleSessionName=" + uri_encode(session) + "&WebIdentityToken=" + uri_encode(*token);
    auto answer = co_await exchange(target->origin, std::move(req), std::chrono::milliseconds(5000));
    if (!answer) co_return "STS: " + answer.error();
    co_return parse_sts_response(answer->status, answer->body);
  }

 private:
  WebIdentityConfig config_;
  std::string name_ = "web identity";
};

// ---- container credentials (ECS, EKS Pod Identity) ---------------------------------------------------------

class ContainerSource final : public CredentialsSource {
 public:
  explicit ContainerSource(ContainerConfig c) : config_(std::move(c)) {}
  [[nodiscard]] const std::string& name() const override { return name_; }

  net::awaitable<CredentialsResult> fetch() override {
    auto target = split_url(config_.url);
    if (!target) co_return "container credentials URL: " + target.error();
    http::UpstreamRequest req("GET", target->path);
    req.add("Accept", "application/json");
    std::string token = config_.authorization_token;
    if (!config_.token_file.empty()) {
      auto t = read_token_file(config_.token_file);
      if (!t) co_return std::string("cannot read the container authorization token file");
      token = std::move(*t);
    }
    if (token.find_first_of("\r\n") != std::string::npos)
      co_return std::string("the container authorization token contains a line break");
    if (!token.empty()) req.add("Authorization", token);
    auto answer = co_await exchange(target->origin, std::move(req), std::chrono::milliseconds(2000));
    if (!answer) co_return "container endpoint: " + answer.error();
    if (answer->status != 200) co_return "container endpoint answered HTTP " + std::to_string(answer->status);
    co_return parse_credentials_json(answer->body, name_);
  }

 private:
  ContainerConfig config_;
  std::string name_ = "container";
};

// ---- EC2 instance metadata, IMDSv2 ----------------------------------------------------------------------------

class ImdsSource final : public CredentialsSource {
 public:
  explicit ImdsSource(ImdsConfig c) : config_(std::move(c)) {}
  [[nodiscard]] const std::string& name() const override { return name_; }

  net::awaitable<CredentialsResult> fetch() override {
    auto target = split_url(config_.endpoint);
    if (!target) co_return "IMDS endpoint: " + target.error();
    const http::Origin& origin = target->origin;
    const std::string base = origin.base_path;

    http::UpstreamRequest token_req("PUT", base + "/latest/api/token");
    token_req.add("X-aws-ec2-metadata-token-ttl-seconds", "21600");
    auto token = co_await exchange(origin, std::move(token_req), config_.timeout);
    if (!token) co_return "IMDS token: " + token.error();
    if (token->status != 200) co_return "IMDS token request answered HTTP " + std::to_string(token->status);

    const std::string prefix = base + "/latest/meta-data/iam/security-credentials/";
    http::UpstreamRequest role_req("GET", prefix);
    role_req.add("X-aws-ec2-metadata-token", token->body);
    auto roles = co_await exchange(origin, std::move(role_req), config_.timeout);
    if (!roles) co_return "IMDS role: " + roles.error();
    if (roles->status != 200) co_return "IMDS role request answered HTTP " + std::to_string(roles->status);
    std::string role = roles->body.substr(0, roles->body.find_first_of("\r\n"));
    if (role.empty()) co_return std::string("the instance has no IAM role");

    http::UpstreamRequest creds_req("GET", prefix + uri_encode(role));
    creds_req.add("X-aws-ec2-metadata-token", token->body);
    auto creds = co_await exchange(origin, std::move(creds_req), config_.timeout);
    if (!creds) co_return "IMDS credentials: " + creds.error();
    if (creds->status != 200) co_return "IMDS credentials request answered HTTP " + std::to_string(creds->status);
    co_return parse_credentials_json(creds->body, name_);
  }

 private:
  ImdsConfig config_;
  std::string name_ = "imds";
};

}  // namespace

std::unique_ptr<CredentialsSource> make_web_identity_source(WebIdentityConfig config) {
  return std::make_unique<WebIdentitySource>(std::move(config));
}
std::unique_ptr<CredentialsSource> make_container_source(ContainerConfig config) {
  return std::make_unique<ContainerSource>(std::move(config));
}
std::unique_ptr<CredentialsSource> make_imds_source(ImdsConfig config) {
  return std::make_unique<ImdsSource>(std::move(config));
}

}  // namespace sb::aws
