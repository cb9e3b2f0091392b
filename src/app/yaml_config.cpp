#include "app/yaml_config.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace sb::app {
namespace {

using core::milliseconds;

struct ConfigError {
  int line;
  std::string what;
};

int line_of(const YAML::Node& n) { return n.Mark().line + 1; }

// Messages quote names and values from the file, which may hold any bytes: control characters are written as
// escapes so that every error and warning stays one printable line.
std::string one_line(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

[[noreturn]] void fail(const YAML::Node& n, const std::string& what) { throw ConfigError{line_of(n), what}; }

std::string scalar(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) fail(n, "'" + key + "' must be a string");
  auto expanded = expand_env(n.Scalar());
  if (!expanded) fail(n, expanded.error().message);
  return expanded.value();
}

long long integer(const YAML::Node& n, const std::string& key, long long min, long long max) {
  const std::string s = scalar(n, key);
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || s.empty()) fail(n, "'" + key + "' must be an integer, got '" + s + "'");
  if (v < min || v > max)
    fail(n, "'" + key + "' must be between " + std::to_string(min) + " and " + std::to_string(max));
  return v;
}

milliseconds ms(const YAML::Node& n, const std::string& key) {
  return milliseconds(integer(n, key, 0, 24LL * 3600 * 1000));
}

void require_map(const YAML::Node& n, const std::string& what) {
  if (!n.IsMap()) fail(n, "'" + what + "' must be a mapping");
}

// Calls `on(key, value)` for each entry; unknown keys become warnings.
template <class F>
void each(const YAML::Node& map, const std::set<std::string>& known, const std::string& where,
          std::vector<std::string>& warnings, const std::string& file, F&& on) {
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    if (!known.count(key)) {
      warnings.push_back(
          one_line(file + ":" + std::to_string(line_of(kv.first)) + ": unknown key '" + key + "' in " + where + " (ignored)"));
      continue;
    }
    on(key, kv.second);
  }
}

core::ProviderSpec parse_provider(const std::string& name, const YAML::Node& n, std::vector<std::string>& warnings,
                                  const std::string& file) {
  require_map(n, "providers." + name);
  core::ProviderSpec p;
  p.name = name;
  p.line = line_of(n);
  static const std::set<std::string> known{"type", "base_url", "api_key", "default_model", "headers", "timeouts",
                                           "retry", "circuit_breaker", "api_version", "agent_id", "agent_alias_id",
                                           "region", "endpoint_url", "access_key_id", "secret_access_key",
                                           "session_token", "interval_ms"};
  each(n, known, "providers." + name, warnings, file, [&](const std::string& key, const YAML::Node& v) {
    if (key == "type") p.type = scalar(v, key);
    else if (key == "base_url") p.base_url = scalar(v, key);
    else if (key == "api_key") p.api_key = scalar(v, key);
    else if (key == "default_model") p.default_model = scalar(v, key);
    else if (key == "api_version") p.api_version = scalar(v, key);
    else if (key == "agent_id") p.agent_id = scalar(v, key);
    else if (key == "agent_alias_id") p.agent_alias_id = scalar(v, key);
    else if (key == "region") p.region = scalar(v, key);
    else if (key == "endpoint_url") p.endpoint_url = scalar(v, key);
    else if (key == "access_key_id") p.access_key_id = scalar(v, key);
    else if (key == "secret_access_key") p.secret_access_key = scalar(v, key);
    else if (key == "session_token") p.session_token = scalar(v, key);
    else if (key == "interval_ms") p.interval_ms = static_cast<int>(integer(v, key, 0, 60'000));
    else if (key == "headers") {
      require_map(v, "headers");
      for (const auto& h : v) p.headers.emplace_back(h.first.as<std::string>(), scalar(h.second, "headers"));
    } else if (key == "timeouts") {
      require_map(v, "timeouts");
      static const std::set<std::string> tk{"connect_ms", "first_byte_ms", "first_token_ms", "idle_ms", "total_ms"};
      each(v, tk, "timeouts", warnings, file, [&](const std::string& k, const YAML::Node& t) {
        if (k == "connect_ms") p.timeouts.connect = ms(t, k);
        else if (k == "first_byte_ms") p.timeouts.first_byte = ms(t, k);
        else if (k == "first_token_ms") p.timeouts.first_token = ms(t, k);
        else if (k == "idle_ms") p.timeouts.idle = ms(t, k);
        else p.timeouts.total = ms(t, k);
      });
    } else if (key == "retry") {
      require_map(v, "retry");
      static const std::set<std::string> rk{"attempts", "backoff_ms", "max_wait_ms"};
      each(v, rk, "retry", warnings, file, [&](const std::string& k, const YAML::Node& t) {
        if (k == "attempts") p.retry.attempts = static_cast<int>(integer(t, k, 1, 20));
        else if (k == "backoff_ms") p.retry.backoff = ms(t, k);
        else p.retry.max_wait = ms(t, k);
      });
    } else if (key == "circuit_breaker") {
      require_map(v, "circuit_breaker");
      static const std::set<std::string> ck{"failures", "cooldown_ms"};
      each(v, ck, "circuit_breaker", warnings, file, [&](const std::string& k, const YAML::Node& t) {
        if (k == "failures") p.breaker.failures = static_cast<int>(integer(t, k, 0, 1000));
        else p.breaker.cooldown = ms(t, k);
      });
    }
  });
  static const std::set<std::string> types{"openai", "azure", "bedrock", "mock"};
  if (p.type.empty()) fail(n, "provider '" + name + "' has no 'type' (openai | azure | bedrock | mock)");
  if (!types.count(p.type)) fail(n["type"], "unknown provider type '" + p.type + "' (openai | azure | bedrock | mock)");
  return p;
}

core::ModelTarget parse_target(const YAML::Node& n, const std::string& where) {
  require_map(n, where);
  core::ModelTarget t;
  if (!n["provider"]) fail(n, where + " needs a 'provider'");
  t.provider = scalar(n["provider"], "provider");
  if (n["model"]) t.model = scalar(n["model"], "model");
  return t;
}

core::FileConfig parse(const YAML::Node& root, const std::string& file, std::vector<std::string>& warnings) {
  core::FileConfig cfg;
  cfg.path = file;
  if (root.IsNull()) return cfg;
  require_map(root, "the top level");
  static const std::set<std::string> known{"default_provider", "providers", "models"};
  each(root, known, "the top level", warnings, file, [&](const std::string& key, const YAML::Node& v) {
    if (key == "default_provider") {
      cfg.default_provider = scalar(v, key);
    } else if (key == "providers") {
      require_map(v, "providers");
      for (const auto& kv : v) cfg.providers.push_back(parse_provider(kv.first.as<std::string>(), kv.second, warnings, file));
    } else {
      if (!v.IsSequence()) fail(v, "'models' must be a list");
      for (const auto& m : v) {
        require_map(m, "models[]");
        core::ModelRoute r;
        if (!m["name"]) fail(m, "a model needs a 'name'");
        r.name = scalar(m["name"], "name");
        r.target = parse_target(m, "model '" + r.name + "'");
        if (const auto fb = m["fallbacks"]) {
          if (!fb.IsSequence()) fail(fb, "'fallbacks' must be a list");
          for (const auto& f : fb) r.fallbacks.push_back(parse_target(f, "a fallback of '" + r.name + "'"));
        }
        static const std::set<std::string> mk{"name", "provider", "model", "fallbacks"};
        for (const auto& kv : m)
          if (!mk.count(kv.first.as<std::string>()))
            warnings.push_back(one_line(file + ":" + std::to_string(line_of(kv.first)) + ": unknown key '" +
                                        kv.first.as<std::string>() + "' in model '" + r.name + "' (ignored)"));
        cfg.models.push_back(std::move(r));
      }
    }
  });
  return cfg;
}

}  // namespace

core::Expected<std::string, ExpandError> expand_env(const std::string& value) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    const auto open = value.find("${", pos);
    if (open == std::string::npos) break;
    const auto close = value.find('}', open + 2);
    if (close == std::string::npos) return ExpandError{"unterminated ${ in '" + value.substr(open) + "'"};
    const std::string name = value.substr(open + 2, close - open - 2);
    const char* env = std::getenv(name.c_str());
    if (env == nullptr) return ExpandError{"environment variable " + name + " is not set"};
    out.append(value, pos, open - pos);
    out += env;
    pos = close + 1;
  }
  out.append(value, pos, std::string::npos);
  return out;
}

core::Expected<core::FileConfig, std::string> parse_yaml_config(const std::string& text, const std::string& file_name,
                                                                std::vector<std::string>& warnings) {
  try {
    const YAML::Node root = YAML::Load(text);
    core::FileConfig cfg = parse(root, file_name, warnings);
    // Every model route must name a provider that exists (from the file or the environment's built-ins).
    std::set<std::string> names{"openai", "bedrock", "mock"};
    for (const auto& p : cfg.providers) names.insert(p.name);
    const YAML::Node models = root.IsMap() ? root["models"] : YAML::Node();
    for (std::size_t i = 0; i < cfg.models.size(); ++i) {
      const auto& m = cfg.models[i];
      auto check = [&](const core::ModelTarget& t) {
        if (!names.count(t.provider)) fail(models[i], "model '" + m.name + "' names unknown provider '" + t.provider + "'");
      };
      check(m.target);
      for (const auto& f : m.fallbacks) check(f);
    }
    if (!cfg.default_provider.empty() && !names.count(cfg.default_provider))
      fail(root["default_provider"], "default_provider '" + cfg.default_provider + "' is not a known provider");
    return cfg;
  } catch (const ConfigError& e) {
    return one_line(file_name + ":" + std::to_string(e.line) + ": " + e.what);
  } catch (const YAML::Exception& e) {
    return one_line(file_name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

core::Expected<core::FileConfig, std::string> load_yaml_config(const std::string& path,
                                                               std::vector<std::string>& warnings) {
  std::ifstream f(path);
  if (!f) return std::string(path + ": cannot read the config file");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_yaml_config(ss.str(), path, warnings);
}

}  // namespace sb::app
