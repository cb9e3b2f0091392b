#include "bedrock_sigv4_verify.hpp"

#include "aws/sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <optional>
#include <vector>

namespace mock_upstream::bedrock {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto pos = s.find(sep);
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view d) {
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t n) {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(d[i]))) return -1;
      v = v * 10 + (d[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
    return std::nullopt;
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

SignatureCheck reject(unsigned status, std::string type, std::string message) {
  SignatureCheck c;
  c.status = status;
  c.error_type = std::move(type);
  c.message = std::move(message);
  return c;
}

// All values of a header, joined with ',' (how SigV4 treats repeated headers).
std::string header_values(const Request& request, std::string_view name) {
  std::string out;
  for (const auto& field : request) {
    const auto n = field.name_string();
    if (n.size() != name.size() || !std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      continue;
    if (!out.empty()) out.push_back(',');
    out.append(field.value().data(), field.value().size());
  }
  return out;
}

}  // namespace

SignatureCheck verify_sigv4(const Request& request, const SigningSecret& secret,
                            std::chrono::system_clock::time_point now) {
  const std::string auth = header_values(request, "authorization");
  if (auth.empty()) return reject(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256 ";
  if (!std::string_view(auth).starts_with(kAlgorithm))
    return reject(400, "IncompleteSignatureException", "Unsupported authorization algorithm.");

  std::string_view credential, signed_headers, signature;
  for (auto part : split(std::string_view(auth).substr(kAlgorithm.size()), ',')) {
    part = trim(part);
    if (part.starts_with("Credential=")) credential = part.substr(11);
    if (part.starts_with("SignedHeaders=")) signed_headers = part.substr(14);
    if (part.starts_with("Signature=")) signature = part.substr(10);
  }
  const auto scope = split(credential, '/');
  if (scope.size() != 5 || scope[4] != "aws4_request" || signed_headers.empty() || signature.empty())
    return reject(400, "IncompleteSignatureException",
                  "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.");
  if (scope[0] != secret.access_key_id)
    return reject(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
  if (scope[3] != secret.service)
    return reject(403, "InvalidSignatureException",
                  "Credential should be scoped to correct service: '" + secret.service + "'.");

  const std::string amz_date = header_values(request, "x-amz-date");
  const auto when = parse_amz_date(amz_date);
  if (!when) return reject(400, "IncompleteSignatureException", "Missing or invalid X-Amz-Date header.");
  if (amz_date.substr(0, 8) != scope[1])
    return reject(403, "InvalidSignatureException", "Credential should be scoped to a valid date.");
  if (*when > now + secret.max_skew || *when < now - secret.max_skew)
    return reject(403, "InvalidSignatureException", "Signature expired: " + amz_date + " is out of range.");

  const auto names = split(signed_headers, ';');
  auto is_signed = [&](std::string_view n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  if (!is_signed("host") || !is_signed("x-amz-date"))
    return reject(403, "InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed.");

  sb::aws::SignableRequest signable;
  signable.method = std::string(request.method_string());
  const std::string_view target = request.target();
  const auto q = target.find('?');
  signable.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) signable.query = std::string(target.substr(q + 1));
  signable.body = request.body();
  for (auto name : names) {
    if (name == "x-amz-date" || name == "x-amz-security-token" || name == "x-amz-content-sha256") continue;
    signable.headers.emplace_back(std::string(name), header_values(request, name));
  }
  sb::aws::Credentials credentials{secret.access_key_id, secret.secret_access_key, {}};
  if (is_signed("x-amz-security-token")) credentials.session_token = header_values(request, "x-amz-security-token");
  sb::aws::SigningParams params;
  params.region = std::string(scope[2]);
  params.service = secret.service;
  params.time = *when;
  params.sign_body = is_signed("x-amz-content-sha256");
  const auto result = sb::aws::sign(signable, credentials, params);
  if (result.signature != signature)
    return reject(403, "InvalidSignatureException",
                  "The request signature we calculated does not match the signature you provided. Check your AWS "
                  "Secret Access Key and signing method. Consult the service documentation for details.");
  SignatureCheck ok;
  ok.ok = true;
  ok.status = 200;
  ok.region = params.region;
  return ok;
}

}  // namespace mock_upstream::bedrock
