#include "app/config.hpp"

#include "app/yaml_config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sb::app {
namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

template <class Int>
std::optional<Int> to_int(std::string_view s) {
  Int v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<ConfigError> read_env_int(const char* name, auto& target, long long min, long long max) {
  auto v = env(name);
  if (!v) return std::nullopt;
  auto n = to_int<long long>(*v);
  if (!n || *n < min || *n > max)
    return ConfigError{std::string(name) + "=" + *v + " is invalid: expected an integer from " + std::to_string(min) +
                       " to " + std::to_string(max)};
  if constexpr (std::is_same_v<std::decay_t<decltype(target)>, std::chrono::milliseconds>) {
    target = std::chrono::milliseconds(*n);
  } else {
    target = static_cast<std::decay_t<decltype(target)>>(*n);
  }
  return std::nullopt;
}

std::optional<ConfigError> read_env_bool(const char* name, bool& target) {
  auto v = env(name);
  if (!v) return std::nullopt;
  const std::string l = lower(*v);
  if (l == "1" || l == "true" || l == "yes" || l == "on") {
    target = true;
  } else if (l == "0" || l == "false" || l == "no" || l == "off") {
    target = false;
  } else {
    return ConfigError{std::string(name) + "=" + *v + " is invalid: expected true or false"};
  }
  return std::nullopt;
}

std::optional<ConfigError> read_environment(core::Settings& s) {
  s.host = env("HOST").value_or(s.host);
  if (auto e = read_env_int("PORT", s.port, 0, 65535)) return e;
  if (auto e = read_env_int("SWITCHBOARD_THREADS", s.threads, 0, 256)) return e;
  s.config_path = env("SWITCHBOARD_CONFIG").value_or(s.config_path);
  if (auto v = env("LOG_LEVEL")) {
    auto lvl = normalise_log_level(*v);
    if (!lvl) return ConfigError{"LOG_LEVEL=" + *v + " is invalid: expected DEBUG, INFO, WARNING, ERROR or CRITICAL"};
    s.log_level = *lvl;
  }
  s.log_format = env("LOG_FORMAT").value_or(s.log_format);
  s.provider_name = env("PROVIDER_NAME").value_or(s.provider_name);
  s.openai_api_key = env("OPENAI_API_KEY").value_or(s.openai_api_key);
  s.openai_model = env("OPENAI_MODEL").value_or(s.openai_model);
  s.openai_base_url = env("OPENAI_BASE_URL").value_or(s.openai_base_url);
  s.agent_id = env("AGENT_ID").value_or(s.agent_id);
  s.agent_alias_id = env("AGENT_ALIAS_ID").value_or(s.agent_alias_id);
  s.aws_access_key_id = env("AWS_ACCESS_KEY_ID").value_or(s.aws_access_key_id);
  s.aws_secret_access_key = env("AWS_SECRET_ACCESS_KEY").value_or(s.aws_secret_access_key);
  s.aws_session_token = env("AWS_SESSION_TOKEN").value_or(s.aws_session_token);
  s.aws_region = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(s.aws_region));
  s.aws_endpoint_url =
      env("AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME").value_or(env("AWS_ENDPOINT_URL").value_or(s.aws_endpoint_url));
  if (auto v = env("SWITCHBOARD_API_KEYS")) {  // kept only as digests; the message never echoes key material
    auto keys = core::ApiKeySet::parse(*v);
    if (!keys) return ConfigError{keys.error()};
    s.api_keys = std::move(*keys);
  }
  if (auto e = read_env_bool("SWITCHBOARD_METRICS_AUTH", s.metrics_auth)) return e;
  if (auto e = read_env_bool("BARGE_IN", s.barge_in)) return e;
  if (auto e = read_env_int("RATE_LIMIT_RPM", s.rate_limit_rpm, 0, 1'000'000)) return e;
  if (auto e = read_env_int("RATE_LIMIT_CONCURRENT", s.rate_limit_concurrent, 0, 1'000'000)) return e;
  s.message_log = env("MESSAGE_LOG").value_or(s.message_log);
  if (auto e = read_env_int("MESSAGE_LOG_MAX_BYTES", s.message_log_max_bytes, 0, 1LL << 50)) return e;
  if (auto e = read_env_int("MESSAGE_LOG_KEEP", s.message_log_keep, 0, 1000)) return e;
  if (auto v = env("MESSAGE_LOG_REDACT")) {
    const std::string r = lower(*v);
    if (r != "content" && r != "none")
      return ConfigError{"MESSAGE_LOG_REDACT=" + *v + " is invalid: expected content or none"};
    s.message_log_redact_content = r == "content";
  }
  if (auto e = read_env_int("METRICS_MAX_MODELS", s.metrics_max_models, 1, 100'000)) return e;
  if (auto e = read_env_int("MOCK_INTERVAL_MS", s.mock_interval_ms, 0, 60'000)) return e;
  if (auto e = read_env_int("MAX_BODY_BYTES", s.max_body_bytes, 1024, 1LL << 30)) return e;
  if (auto e = read_env_int("MAX_HEADER_BYTES", s.max_header_bytes, 1024, 1 << 20)) return e;
  if (auto e = read_env_int("MAX_HEADER_COUNT", s.max_header_count, 8, 10'000)) return e;
  if (auto e = read_env_int("MAX_URL_BYTES", s.max_url_bytes, 64, 1 << 20)) return e;
  if (auto e = read_env_int("MAX_CONNECTIONS", s.max_connections, 1, 1'000'000)) return e;
  if (auto e = read_env_int("MAX_JSON_DEPTH", s.max_json_depth, 2, 10'000)) return e;
  if (auto e = read_env_int("MAX_MESSAGES", s.max_messages, 1, 1'000'000)) return e;
  s.tls_cert_file = env("TLS_CERT_FILE").value_or(s.tls_cert_file);
  s.tls_key_file = env("TLS_KEY_FILE").value_or(s.tls_key_file);
  if (auto e = read_env_int("IDLE_TIMEOUT_MS", s.idle_timeout, 100, 3'600'000)) return e;
  if (auto e = read_env_int("REQUEST_TIMEOUT_MS", s.request_timeout, 100, 3'600'000)) return e;
  if (auto e = read_env_int("UPSTREAM_CONNECT_TIMEOUT_MS", s.connect_timeout, 1, 600'000)) return e;
  if (auto e = read_env_int("UPSTREAM_FIRST_BYTE_TIMEOUT_MS", s.first_byte_timeout, 1, 3'600'000)) return e;
  if (auto e = read_env_int("UPSTREAM_IDLE_TIMEOUT_MS", s.upstream_idle_timeout, 1, 3'600'000)) return e;
  if (auto e = read_env_int("SSE_KEEPALIVE_MS", s.sse_keepalive, 100, 3'600'000)) return e;
  if (auto e = read_env_int("DRAIN_TIMEOUT_MS", s.drain_timeout, 0, 600'000)) return e;
  return std::nullopt;
}

constexpr const char* kEnvHelp = R"(
Environment (also read from .env; flags win over the environment, the environment over .env):
  HOST, PORT                    listen address (default 127.0.0.1:5000)
  PROVIDER_NAME                 default provider: openai | bedrock | mock | a configured name
  OPENAI_API_KEY                makes the `openai` provider available
  OPENAI_MODEL                  model when a request names none (default gpt-4o-mini)
  OPENAI_BASE_URL               any OpenAI-compatible upstream (default https://api.openai.com/v1)
  AGENT_ID, AGENT_ALIAS_ID      make the `bedrock` provider available (with AWS credentials)
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (AWS_DEFAULT_REGION),
  AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME, AWS_ENDPOINT_URL
  LOG_LEVEL                     DEBUG | INFO | WARNING | ERROR | CRITICAL (any case; WARN too)
  LOG_FORMAT                    text | json
  SWITCHBOARD_API_KEYS          comma-separated keys required as `Authorization: Bearer <key>` on /v1/*;
                                `name:key` gives a key a name for the logs (default key-<4 hex of its SHA-256>)
  SWITCHBOARD_METRICS_AUTH      true: /metrics needs a proxy key too (default false)
  BARGE_IN                      true: a newer request with the same session id (per proxy key) cancels the older
                                one still running; it ends with 409 or an `error` event "superseded" (default false)
  RATE_LIMIT_RPM                chat completions per minute per proxy key (per client IP without keys),
                                token bucket with that burst; 0 = off (default 0). Per replica.
  RATE_LIMIT_CONCURRENT         in-flight chat completions per proxy key (or client IP); 0 = off (default 0)
  SWITCHBOARD_CONFIG            YAML config file (same as --config)
  SWITCHBOARD_THREADS           io threads (default: one per core)
  MESSAGE_LOG                   path of a JSONL transcript log: one JSON object per exchange
  MESSAGE_LOG_MAX_BYTES         rotate the message log at this size (default 104857600; 0 = never)
  MESSAGE_LOG_KEEP              rotated message logs kept: path.1 … path.N (default 5; 0 = none)
  MESSAGE_LOG_REDACT            content: log lengths instead of message text and tool arguments (default none)
  METRICS_MAX_MODELS            distinct model labels on /metrics; later models count as "other" (default 100)
  MOCK_INTERVAL_MS              pace of the mock provider's words (default 20)
  MAX_BODY_BYTES                request body limit (default 4194304)
  MAX_HEADER_BYTES              request header limit (default 16384)
  MAX_HEADER_COUNT              header fields per request (default 100; 431 above)
  MAX_URL_BYTES                 request URL length (default 8192; 414 above)
  MAX_CONNECTIONS               open client connections; more get 503 and are closed (default 4096)
  MAX_JSON_DEPTH                nesting depth of a request body's JSON (default 64; 400 above)
  MAX_MESSAGES                  messages per chat request (default 10000; 400 above)
  TLS_CERT_FILE, TLS_KEY_FILE   PEM certificate chain and private key: serve HTTPS (same as --tls-cert, --tls-key)
  IDLE_TIMEOUT_MS               keep-alive idle timeout (default 60000)
  REQUEST_TIMEOUT_MS            time for a client to send a whole request, from its first byte (default 30000)
  UPSTREAM_CONNECT_TIMEOUT_MS   (default 5000)
  UPSTREAM_FIRST_BYTE_TIMEOUT_MS (default 60000)
  UPSTREAM_IDLE_TIMEOUT_MS      silence allowed between upstream stream reads (default 60000)
  SSE_KEEPALIVE_MS              `: keep-alive` comment after this much stream silence (default 10000)
  DRAIN_TIMEOUT_MS              graceful-shutdown drain on SIGINT/SIGTERM (default 10000)
)";

}  // namespace

std::optional<std::string> normalise_log_level(std::string_view name) {
  const std::string l = lower(std::string(name));
  if (l == "debug" || l == "trace") return std::string("debug");
  if (l == "info") return std::string("info");
  if (l == "warning" || l == "warn") return std::string("warning");
  if (l == "error") return std::string("error");
  if (l == "critical" || l == "fatal") return std::string("critical");
  return std::nullopt;
}

core::Expected<int, ConfigError> apply_dotenv(const std::string& text, const std::string& file_name) {
  std::istringstream in(text);
  int line_no = 0, applied = 0;
  for (std::string raw; std::getline(in, raw);) {
    ++line_no;
    std::string line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0)
      return ConfigError{file_name + ":" + std::to_string(line_no) + ": expected KEY=VALUE"};
    const std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      const char q = value.front();
      std::size_t close = 1;
      while (close < value.size() && value[close] != q) close += (q == '"' && value[close] == '\\') ? 2 : 1;
      if (close >= value.size()) close = std::string::npos;
      if (close == std::string::npos)
        return ConfigError{file_name + ":" + std::to_string(line_no) + ": unterminated quote in " + key};
      std::string inner = value.substr(1, close - 1);
      if (q == '"') {
        std::string unescaped;
        for (std::size_t i = 0; i < inner.size(); ++i) {
          if (inner[i] == '\\' && i + 1 < inner.size()) {
            const char n = inner[++i];
            unescaped.push_back(n == 'n' ? '\n' : n);
          } else {
            unescaped.push_back(inner[i]);
          }
        }
        inner = std::move(unescaped);
      }
      value = std::move(inner);
    } else if (const auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(value.substr(0, hash));
    }
    if (::setenv(key.c_str(), value.c_str(), 0) == 0) ++applied;
  }
  return applied;
}

core::Expected<LoadResult, ConfigError> load_settings(int argc, const char* const* argv) {
  LoadResult result;
  core::Settings& s = result.settings;
  CLI::App cli{"switchboard: an OpenAI-compatible chat-completions proxy", "switchboard"};
  cli.footer(kEnvHelp);
  std::optional<std::string> host, config, env_file, log_level, log_format, tls_cert, tls_key;
  std::optional<std::uint16_t> port;
  std::optional<unsigned> threads;
  cli.add_option("--host", host, "listen address (HOST)");
  cli.add_option("--port", port, "listen port, 0 = any free port (PORT)");
  cli.add_option("--config", config, "YAML config file (SWITCHBOARD_CONFIG)");
  cli.add_option("--env-file", env_file, "dotenv file to read (default .env in the working directory)");
  cli.add_option("--log-level", log_level, "DEBUG, INFO, WARNING, ERROR or CRITICAL (LOG_LEVEL)");
  cli.add_option("--log-format", log_format, "text or json (LOG_FORMAT)")->check(CLI::IsMember({"text", "json"}));
  cli.add_option("--threads", threads, "io threads, 0 = one per core (SWITCHBOARD_THREADS)");
  cli.add_option("--tls-cert", tls_cert, "PEM certificate chain: serve HTTPS, TLS 1.2+ (TLS_CERT_FILE)");
  cli.add_option("--tls-key", tls_key, "PEM private key of --tls-cert (TLS_KEY_FILE)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    result.help_shown = true;
    result.help_text = cli.help();
    return result;
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    return ConfigError{msg};
  }

  const std::string dotenv = env_file.value_or(".env");
  if (std::ifstream f(dotenv); f) {
    std::stringstream ss;
    ss << f.rdbuf();
    auto applied = apply_dotenv(ss.str(), dotenv);
    if (!applied) return applied.error();
  } else if (env_file) {
    return ConfigError{"--env-file " + *env_file + ": cannot read the file"};
  }
  s.env_file = dotenv;

  if (auto err = read_environment(s)) return *err;

  if (host) s.host = *host;
  if (port) s.port = *port;
  if (threads) s.threads = *threads;
  if (config) s.config_path = *config;
  if (tls_cert) s.tls_cert_file = *tls_cert;
  if (tls_key) s.tls_key_file = *tls_key;
  if (s.tls_cert_file.empty() != s.tls_key_file.empty())
    return ConfigError{std::string(s.tls_cert_file.empty() ? "--tls-key (TLS_KEY_FILE) is set without --tls-cert"
                                                           : "--tls-cert (TLS_CERT_FILE) is set without --tls-key") +
                       " (TLS_CERT_FILE / TLS_KEY_FILE): HTTPS needs both"};
  if (log_format) s.log_format = *log_format;
  if (log_level) {
    auto lvl = normalise_log_level(*log_level);
    if (!lvl)
      return ConfigError{"--log-level " + *log_level + " is invalid: expected DEBUG, INFO, WARNING, ERROR or CRITICAL"};
    s.log_level = *lvl;
  }
  if (s.log_format != "text" && s.log_format != "json")
    return ConfigError{"LOG_FORMAT=" + s.log_format + " is invalid: expected text or json"};
  if (!s.config_path.empty()) {  // read after .env, so ${VARS} from .env expand
    auto file = load_yaml_config(s.config_path, s.config_warnings);
    if (!file) return ConfigError{file.error()};
    s.file_config = std::move(file.value());
  }
  return result;
}

}  // namespace sb::app
