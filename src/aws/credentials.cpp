// The chain's cache and its construction from the environment; the network sources are in
// credential_sources.cpp, the parsers in credential_parsers.cpp.
#include "aws/credentials.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace sb::aws {

Environment Environment::from_process() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = entry.substr(0, eq);
    if (name.starts_with("AWS_") || name == "HOME") env.vars.emplace(name, entry.substr(eq + 1));
  }
  return env;
}

std::string Environment::get(std::string_view name) const {
  const auto it = vars.find(name);
  return it == vars.end() ? std::string() : it->second;
}

// ---- static source ---------------------------------------------------------------------------------------

namespace {

class StaticSource final : public CredentialsSource {
 public:
  StaticSource(std::string name, Credentials c) : name_(std::move(name)), credentials_(std::move(c)) {}
  [[nodiscard]] const std::string& name() const override { return name_; }
  net::awaitable<CredentialsResult> fetch() override { co_return TimedCredentials{credentials_, std::nullopt, name_}; }

 private:
  std::string name_;
  Credentials credentials_;
};

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string lower(std::string v) {
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v;
}

bool truthy(const std::string& v) {
  const auto l = lower(v);
  return l == "true" || l == "1";
}

std::string default_sts_endpoint(const Environment& env, const std::string& region) {
  if (auto v = env.get("AWS_ENDPOINT_URL_STS"); !v.empty()) return v;
  if (auto v = env.get("AWS_ENDPOINT_URL"); !v.empty()) return v;
  return "https://sts." + region + ".amazonaws.com";
}

}  // namespace

std::unique_ptr<CredentialsSource> make_static_source(std::string name, Credentials credentials) {
  return std::make_unique<StaticSource>(std::move(name), std::move(credentials));
}

// ---- the chain from the environment ------------------------------------------------------------------------

std::shared_ptr<CredentialsProvider> CredentialsProvider::from_environment(const Environment& env, ChainOptions options,
                                                                           std::vector<std::string>* notes) {
  auto note = [&](std::string text) {
    if (notes) notes->push_back(std::move(text));
  };
  std::vector<std::unique_ptr<CredentialsSource>> sources;

  // 1. Environment.
  const std::string key = env.get("AWS_ACCESS_KEY_ID"), secret = env.get("AWS_SECRET_ACCESS_KEY");
  if (!key.empty() && !secret.empty()) {
    sources.push_back(make_static_source("environment", {key, secret, env.get("AWS_SESSION_TOKEN")}));
  } else if (!key.empty() || !secret.empty()) {
    note("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set; ignoring the one that is");
  }

  // 2. Shared credentials and config files (read now, at startup).
  const std::string home = env.get("HOME");
  std::string credentials_path = env.get("AWS_SHARED_CREDENTIALS_FILE");
  if (credentials_path.empty() && !home.empty()) credentials_path = home + "/.aws/credentials";
  std::string config_path = env.get("AWS_CONFIG_FILE");
  if (config_path.empty() && !home.empty()) config_path = home + "/.aws/config";
  std::string profile = env.get("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  IniSections credentials_ini, config_ini;
  if (!credentials_path.empty())
    if (auto text = read_small_file(credentials_path)) credentials_ini = parse_ini(*text);
  if (!config_path.empty())
    if (auto text = read_small_file(config_path)) config_ini = parse_ini(*text);
  const auto settings = profile_settings(credentials_ini, config_ini, profile);
  auto setting = [&](const char* k) {
    const auto it = settings.find(k);
    return it == settings.end() ? std::string() : it->second;
  };
  if (!setting("aws_access_key_id").empty() && !setting("aws_secret_access_key").empty()) {
    sources.push_back(make_static_source(
        "profile " + profile,
        {setting("aws_access_key_id"), setting("aws_secret_access_key"), setting("aws_session_token")}));
  } else if (!setting("role_arn").empty() && !setting("web_identity_token_file").empty()) {
    sources.push_back(
        make_web_identity_source({setting("web_identity_token_file"), setting("role_arn"), setting("role_session_name"),
                                  default_sts_endpoint(env, options.region)}));
  } else if (!settings.empty()) {
    for (const char* unsupported : {"source_profile", "credential_process", "sso_session", "sso_start_url"})
      if (!setting(unsupported).empty())
        note("profile " + profile + " uses " + unsupported + ", which switchboard does not support; skipped");
  } else if (env.vars.contains("AWS_PROFILE")) {
    note("profile " + profile + " was not found in the shared credentials or config file");
  }

  // 3. Web identity (EKS IRSA and the like).
  if (const auto token_file = env.get("AWS_WEB_IDENTITY_TOKEN_FILE"), role = env.get("AWS_ROLE_ARN");
      !token_file.empty() && !role.empty()) {
    sources.push_back(make_web_identity_source(
        {token_file, role, env.get("AWS_ROLE_SESSION_NAME"), default_sts_endpoint(env, options.region)}));
  } else if (!token_file.empty() || !role.empty()) {
    note("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN must both be set for web identity credentials");
  }

  // 4. Container credentials (ECS task role, EKS Pod Identity).
  ContainerConfig container;
  if (const auto rel = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); !rel.empty()) {
    container.url = "http://169.254.170.2" + (rel.front() == '/' ? rel : "/" + rel);
  } else if (const auto full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"); !full.empty()) {
    if (container_uri_allowed(full)) {
      container.url = full;
    } else {
      note("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or ECS/EKS address; ignored");
    }
  }
  if (!container.url.empty()) {
    container.token_file = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    container.authorization_token = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    sources.push_back(make_container_source(std::move(container)));
  }

  // 5. EC2 instance metadata.
  if (!truthy(env.get("AWS_EC2_METADATA_DISABLED"))) {
    ImdsConfig imds;
    if (auto ep = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT"); !ep.empty()) {
      imds.endpoint = ep;
    } else if (lower(env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")) == "ipv6") {
      imds.endpoint = "http://[fd00:ec2::254]";
    }
    while (!imds.endpoint.empty() && imds.endpoint.back() == '/') imds.endpoint.pop_back();
    sources.push_back(make_imds_source(std::move(imds)));
  }
  return std::make_shared<CredentialsProvider>(std::move(sources), std::move(options));
}

// ---- cache and single-flight refresh -----------------------------------------------------------------------

CredentialsProvider::CredentialsProvider(std::vector<std::unique_ptr<CredentialsSource>> sources, ChainOptions options)
    : sources_(std::move(sources)), options_(std::move(options)) {}

std::string CredentialsProvider::describe() const {
  std::string out;
  for (const auto& s : sources_) out += (out.empty() ? "" : ", ") + s->name();
  return out;
}

bool CredentialsProvider::has_source(std::string_view name) const {
  for (const auto& s : sources_)
    if (s->name() == name) return true;
  return false;
}

std::size_t CredentialsProvider::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

std::size_t CredentialsProvider::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

bool CredentialsProvider::usable(const TimedCredentials& c, SystemClock::time_point now) const {
  return !c.expiration || now < *c.expiration - options_.expiry_margin;
}

bool CredentialsProvider::fresh(const TimedCredentials& c, SystemClock::time_point now) const {
  return !c.expiration || now < *c.expiration - options_.refresh_before;
}

void CredentialsProvider::spawn_refresh(const net::any_io_executor& ex) {
  // Detached from the caller: a client hanging up must not abort a refresh other callers wait for.
  // (Never called with mu_ held: co_spawn may run the refresh inline, and it takes mu_.)
  net::co_spawn(
      ex,
      [](std::shared_ptr<CredentialsProvider> self) -> net::awaitable<void> {
        co_await self->refresh();
      }(shared_from_this()),
      net::detached);
}

net::awaitable<CredentialsResult> CredentialsProvider::get() {
  const auto ex = co_await net::this_coro::executor;
  std::optional<TimedCredentials> current;
  std::shared_ptr<Waiter> waiter;
  bool spawn = false;
  {
    std::lock_guard lock(mu_);
    const auto now = options_.now();
    if (cached_ && usable(*cached_, now)) {
      current = *cached_;
      const bool may_retry = !no_background_retry_before_ || now >= *no_background_retry_before_;
      spawn = !fresh(*cached_, now) && !refreshing_ && may_retry;  // refresh early, in the background
    } else {
      if (sources_.empty()) co_return std::string("no AWS credentials source is configured");
      waiter = std::make_shared<Waiter>(ex);
      waiters_.push_back(waiter);
      spawn = !refreshing_;
    }
    if (spawn) refreshing_ = true;
  }
  if (spawn) spawn_refresh(ex);
  if (current) co_return std::move(*current);

  co_await waiter->wake.async_receive(net::as_tuple(net::use_awaitable));
  std::lock_guard lock(mu_);
  if (waiter->result) co_return *waiter->result;
  std::erase(waiters_, waiter);  // cancelled (the client went away); the refresh carries on for the others
  co_return std::string("cancelled while waiting for AWS credentials");
}

net::awaitable<void> CredentialsProvider::refresh() {
  CredentialsResult result = std::string("credentials refresh failed");
  try {
    result = co_await fetch_from_chain();
  } catch (const std::exception& e) {  // a refresh must always end, or its waiters would wait forever
    result = std::string("credentials refresh failed: ") + e.what();
  }
  std::vector<std::shared_ptr<Waiter>> to_wake;
  {
    std::lock_guard lock(mu_);
    refreshing_ = false;
    ++fetches_;
    if (result) {
      cached_ = *result;
      no_background_retry_before_.reset();
    } else {
      no_background_retry_before_ = options_.now() + options_.retry_after_failure;
    }
    for (auto& w : waiters_) w->result = result;
    to_wake.swap(waiters_);
  }
  for (auto& w : to_wake) w->wake.try_send(boost::system::error_code{});
}

net::awaitable<CredentialsResult> CredentialsProvider::fetch_from_chain() {
  std::string errors;
  for (const auto& source : sources_) {
    auto r = co_await source->fetch();
    if (r) co_return r;
    errors += (errors.empty() ? "" : "; ") + source->name() + ": " + r.error();
  }
  co_return "no AWS credentials found (" + errors + ")";
}

}  // namespace sb::aws
