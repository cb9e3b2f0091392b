// Pure parsers of the credentials chain: shared-config INI files, ISO 8601 times, the STS XML answer and the
// container / IMDS JSON answer.
#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <ctime>

#include "aws/credentials.hpp"

namespace sb::aws {
namespace json = boost::json;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Text of the first <tag>…</tag> inside `xml`, XML entities decoded.
std::optional<std::string> xml_element(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  const auto b = xml.find(open);
  if (b == std::string_view::npos) return std::nullopt;
  const auto start = b + open.size();
  const auto e = xml.find(close, start);
  if (e == std::string_view::npos) return std::nullopt;
  const std::string_view raw = trim(xml.substr(start, e - start));
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out.push_back(raw[i]);
      continue;
    }
    static constexpr std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool matched = false;
    for (const auto& [entity, ch] : kEntities) {
      if (raw.substr(i, entity.size()) == entity) {
        out.push_back(ch);
        i += entity.size() - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out.push_back('&');
  }
  return out;
}

int digits(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

IniSections parse_ini(std::string_view text) {
  IniSections out;
  std::string section;
  bool in_section = false;
  bool nested = false;  // indented sub-properties of a key with an empty value (e.g. `s3 =`)
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const auto close = line.find(']');
      section = std::string(trim(line.substr(1, close == std::string_view::npos ? line.size() - 1 : close - 1)));
      in_section = true;
      nested = false;
      out[section];
      continue;
    }
    if (!in_section) continue;
    if (indented && nested) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string key = lower(trim(line.substr(0, eq)));
    const std::string_view value = trim(line.substr(eq + 1));
    nested = value.empty();
    if (!key.empty()) out[section][key] = std::string(value);
  }
  return out;
}

std::map<std::string, std::string> profile_settings(const IniSections& credentials_file, const IniSections& config_file,
                                                    std::string_view profile) {
  std::map<std::string, std::string> out;
  const std::string name(profile);
  // Config file: [profile name]; the default profile may also be plain [default].
  if (auto it = config_file.find("profile " + name); it != config_file.end()) out = it->second;
  if (profile == "default")
    if (auto it = config_file.find("default"); it != config_file.end())
      for (const auto& [k, v] : it->second) out.try_emplace(k, v);
  // The credentials file wins for any key it sets.
  if (auto it = credentials_file.find(name); it != credentials_file.end())
    for (const auto& [k, v] : it->second) out[k] = v;
  return out;
}

std::optional<SystemClock::time_point> parse_iso8601(std::string_view s) {
  s = trim(s);
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':')
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = digits(s, 0, 4) - 1900;
  tm.tm_mon = digits(s, 5, 2) - 1;
  tm.tm_mday = digits(s, 8, 2);
  tm.tm_hour = digits(s, 11, 2);
  tm.tm_min = digits(s, 14, 2);
  tm.tm_sec = digits(s, 17, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
      tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
    return std::nullopt;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  }
  long offset_seconds = 0;
  const std::string_view zone = s.substr(i);
  if (zone == "Z" || zone == "z" || zone.empty()) {
    // UTC
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    const int h = digits(zone, 1, 2), m = digits(zone, 4, 2);
    if (h < 0 || m < 0) return std::nullopt;
    offset_seconds = (zone[0] == '+' ? 1 : -1) * (h * 3600L + m * 60L);
  } else {
    return std::nullopt;
  }
  const std::time_t t = ::timegm(&tm);
  return SystemClock::from_time_t(t - offset_seconds);
}

CredentialsResult parse_sts_response(int status, std::string_view body) {
  if (status != 200 || body.find("<ErrorResponse") != std::string_view::npos) {
    std::string msg = "STS answered HTTP " + std::to_string(status);
    if (auto code = xml_element(body, "Code")) msg += " " + *code;
    if (auto text = xml_element(body, "Message")) msg += ": " + text->substr(0, 300);
    return msg;
  }
  const auto creds_pos = body.find("<Credentials>");
  if (creds_pos == std::string_view::npos) return std::string("STS answer has no Credentials element");
  const std::string_view creds = body.substr(creds_pos);
  auto key = xml_element(creds, "AccessKeyId");
  auto secret = xml_element(creds, "SecretAccessKey");
  auto token = xml_element(creds, "SessionToken");
  auto expiration = xml_element(creds, "Expiration");
  if (!key || !secret || !token || key->empty() || secret->empty())
    return std::string("STS answer lacks AccessKeyId, SecretAccessKey or SessionToken");
  TimedCredentials out{{*key, *secret, *token}, std::nullopt, "web identity"};
  if (expiration) {
    out.expiration = parse_iso8601(*expiration);
    if (!out.expiration) return std::string("STS answer has an unreadable Expiration");
  }
  return out;
}

CredentialsResult parse_credentials_json(std::string_view body, std::string_view source) {
  std::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::string(source) + " answer is not a JSON object";
  const auto& o = v.get_object();
  auto str = [&](std::string_view k) -> std::string {
    const auto* x = o.if_contains(k);
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  if (const auto code = str("Code"); !code.empty() && code != "Success")
    return std::string(source) + " answered Code=" + code;
  TimedCredentials out{{str("AccessKeyId"), str("SecretAccessKey"), str("Token")}, std::nullopt, std::string(source)};
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty()) {
    std::string msg = std::string(source) + " answer lacks AccessKeyId or SecretAccessKey";
    if (const auto m = str("message"); !m.empty()) msg += " (" + m.substr(0, 300) + ")";
    return msg;
  }
  if (const auto exp = str("Expiration"); !exp.empty()) {
    out.expiration = parse_iso8601(exp);
    if (!out.expiration) return std::string(source) + " answer has an unreadable Expiration";
  }
  return out;
}

bool container_uri_allowed(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return false;
  const auto scheme = lower(parsed->scheme());
  if (scheme == "https") return true;
  if (scheme != "http") return false;
  std::string host = lower(parsed->encoded_host());
  // Boost.URL 1.81 reads "http://127.0.0.1.evil.com/" as host 127.0.0.1: insist the host is the whole authority
  // as written (up to a port, path or query).
  const bool bare_ipv6 = parsed->host_type() == boost::urls::host_type::ipv6 && !host.starts_with("[");
  const std::string written = bare_ipv6 ? "[" + host + "]" : host;
  const std::string rest = lower(url.substr(url.find("://") + 3));
  if (!rest.starts_with(written)) return false;
  if (rest.size() > written.size() && std::string_view(":/?#").find(rest[written.size()]) == std::string_view::npos)
    return false;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "::1" || host == "169.254.170.2" || host == "169.254.170.23" ||
      host == "fd00:ec2::23")
    return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);  // 127.0.0.0/8, ::1
  return !ec && address.is_loopback();
}

}  // namespace sb::aws
