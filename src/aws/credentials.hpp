// The standard AWS credentials chain, asynchronous and cached.
//
// Sources, in the order the AWS SDKs use them:
//   1. environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN)
//   2. shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE (~/.aws/config),
//      profile AWS_PROFILE (else "default"); static keys, or role_arn + web_identity_token_file
//   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN → STS AssumeRoleWithWebIdentity
//      (endpoint AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else https://sts.{region}.amazonaws.com)
//   4. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2…) or _FULL_URI, with
//      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE / AWS_CONTAINER_AUTHORIZATION_TOKEN
//   5. EC2 instance metadata, IMDSv2 only (AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED)
//
// File I/O: the shared credentials/config files are read once, when the chain is built (at startup, before
// any io thread runs). The web-identity and container token files are re-read at each refresh (they rotate);
// they are tiny and a refresh happens about once an hour, so that read stays on the io thread.
// Secrets never appear in errors or logs: messages name sources and files, never values.
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.hpp"
#include "core/expected.hpp"

namespace sb::aws {

namespace net = boost::asio;
using SystemClock = std::chrono::system_clock;

struct TimedCredentials {
  Credentials credentials;
  std::optional<SystemClock::time_point> expiration;  // none: long-term keys
  std::string source;                                 // e.g. "environment", "imds"
};

using CredentialsResult = core::Expected<TimedCredentials, std::string>;

// One place credentials can come from.
class CredentialsSource {
 public:
  virtual ~CredentialsSource() = default;
  [[nodiscard]] virtual const std::string& name() const = 0;
  virtual net::awaitable<CredentialsResult> fetch() = 0;
};

// A snapshot of the variables the chain reads (tests pass their own; production reads the process env).
struct Environment {
  std::map<std::string, std::string, std::less<>> vars;
  static Environment from_process();
  // The variable's value, or "" when unset or empty.
  [[nodiscard]] std::string get(std::string_view name) const;
};

// ---- the sources ------------------------------------------------------------------------------------------

std::unique_ptr<CredentialsSource> make_static_source(std::string name, Credentials credentials);

struct WebIdentityConfig {
  std::string token_file;
  std::string role_arn;
  std::string session_name;  // AWS_ROLE_SESSION_NAME, else generated
  std::string sts_endpoint;  // full base URL, e.g. https://sts.us-east-1.amazonaws.com
};
std::unique_ptr<CredentialsSource> make_web_identity_source(WebIdentityConfig config);

struct ContainerConfig {
  std::string url;                  // full credentials URL
  std::string authorization_token;  // used when token_file is empty
  std::string token_file;           // read at each fetch (it rotates)
};
std::unique_ptr<CredentialsSource> make_container_source(ContainerConfig config);

struct ImdsConfig {
  std::string endpoint = "http://169.254.169.254";
  std::chrono::milliseconds timeout{1000};  // per phase: IMDS answers fast or not at all
};
std::unique_ptr<CredentialsSource> make_imds_source(ImdsConfig config);

// ---- pure helpers (tested on their own) -------------------------------------------------------------------

// An INI file of the AWS shared-config kind: section → key → value (keys lowercased, values trimmed).
using IniSections = std::map<std::string, std::map<std::string, std::string>>;
IniSections parse_ini(std::string_view text);

// The profile's settings: the credentials file's [name] over the config file's [profile name] ([default]).
std::map<std::string, std::string> profile_settings(const IniSections& credentials_file, const IniSections& config_file,
                                                    std::string_view profile);

// ISO 8601 UTC ("2024-05-01T12:00:00Z", fractional seconds and "+00:00" accepted).
std::optional<SystemClock::time_point> parse_iso8601(std::string_view text);

// STS AssumeRoleWithWebIdentity XML answer → credentials (or the STS error's code and message).
CredentialsResult parse_sts_response(int status, std::string_view body);

// Container / IMDS JSON ({"AccessKeyId","SecretAccessKey","Token","Expiration"}) → credentials.
CredentialsResult parse_credentials_json(std::string_view body, std::string_view source);

// Whether a container _FULL_URI may be used: https anywhere; http only to loopback or the ECS/EKS hosts.
bool container_uri_allowed(std::string_view url);

// ---- the chain with its cache -----------------------------------------------------------------------------

struct ChainOptions {
  std::string region = "us-east-1";              // for the STS endpoint
  std::chrono::seconds refresh_before{300};      // refresh this long before expiry
  std::chrono::seconds expiry_margin{15};        // closer to expiry than this: unusable
  std::chrono::seconds retry_after_failure{10};  // background refresh back-off
  std::function<SystemClock::time_point()> now = [] { return SystemClock::now(); };
};

// Thread-safe: one instance serves every io thread. Concurrent callers, on any thread, share one refresh.
// Credentials close to expiry are returned while a background refresh replaces them; callers wait only when
// there are none left to use.
class CredentialsProvider : public std::enable_shared_from_this<CredentialsProvider> {
 public:
  CredentialsProvider(std::vector<std::unique_ptr<CredentialsSource>> sources, ChainOptions options);

  // The standard chain from `env` (reads the shared files now). Sources that are not configured are left out;
  // IMDS is included unless AWS_EC2_METADATA_DISABLED=true. `notes` receives non-secret remarks (e.g. an
  // unsupported profile setting) for the startup log.
  static std::shared_ptr<CredentialsProvider> from_environment(const Environment& env, ChainOptions options,
                                                               std::vector<std::string>* notes = nullptr);

  // Current credentials: cached, or fetched from the first source that answers. Cancellable.
  net::awaitable<CredentialsResult> get();

  [[nodiscard]] bool empty() const { return sources_.empty(); }
  // Names of the configured sources, in order, e.g. "environment, imds".
  [[nodiscard]] std::string describe() const;
  [[nodiscard]] bool has_source(std::string_view name) const;
  [[nodiscard]] std::size_t fetches() const;  // completed refreshes (for tests and metrics)
  [[nodiscard]] std::size_t waiting() const;  // callers waiting for a refresh right now

 private:
  using Channel = net::experimental::concurrent_channel<void(boost::system::error_code)>;
  struct Waiter {
    explicit Waiter(const net::any_io_executor& ex) : wake(ex, 1) {}
    Channel wake;
    std::optional<CredentialsResult> result;  // set under mu_ before `wake` is signalled
  };

  bool usable(const TimedCredentials& c, SystemClock::time_point now) const;
  bool fresh(const TimedCredentials& c, SystemClock::time_point now) const;
  void spawn_refresh(const net::any_io_executor& ex);
  net::awaitable<void> refresh();
  net::awaitable<CredentialsResult> fetch_from_chain();

  std::vector<std::unique_ptr<CredentialsSource>> sources_;
  ChainOptions options_;
  mutable std::mutex mu_;
  std::optional<TimedCredentials> cached_;
  bool refreshing_ = false;
  std::optional<SystemClock::time_point> no_background_retry_before_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
  std::size_t fetches_ = 0;
};

}  // namespace sb::aws
