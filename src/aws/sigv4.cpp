#include "aws/sigv4.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace sb::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kHexDigits = "0123456789abcdef";

using QueryPairs = std::vector<std::pair<std::string, std::string>>;

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "%XX" becomes the byte; a '%' not followed by two hex digits stays literal.
// '+' is left alone: SigV4 treats it as a literal plus, not a space.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Trim, then collapse every inner run of whitespace (folded lines included) to one space.
std::string canonical_header_value(std::string_view value) {
  value = trim(value);
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    if (is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

QueryPairs parse_query(std::string_view query) {
  QueryPairs pairs;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      pairs.emplace_back(percent_decode(item), std::string{});
    } else {
      pairs.emplace_back(percent_decode(item.substr(0, eq)), percent_decode(item.substr(eq + 1)));
    }
  }
  return pairs;
}

// Pairs hold decoded text; encode each side, then sort by encoded key, then value.
std::string encode_query(const QueryPairs& decoded) {
  QueryPairs encoded;
  encoded.reserve(decoded.size());
  for (const auto& [key, value] : decoded) encoded.emplace_back(uri_encode(key), uri_encode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [key, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += key;
    out.push_back('=');
    out += value;
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;         // "name:value\n" per header
  std::string signed_names;  // "a;b;c"
};

CanonicalHeaders canonicalize_headers(const HeaderList& headers) {
  HeaderList lowered;
  lowered.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    std::string lname = to_lower(trim(name));
    const bool skip =
        std::find(std::begin(kUnsignedHeaders), std::end(kUnsignedHeaders), lname) != std::end(kUnsignedHeaders);
    if (!skip && !lname.empty()) lowered.emplace_back(std::move(lname), canonical_header_value(value));
  }
  // Stable: values of a repeated header keep the order they were given in.
  std::stable_sort(lowered.begin(), lowered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    const bool continues = i > 0 && lowered[i].first == lowered[i - 1].first;
    if (continues) {
      out.block.back() = ',';  // replace the previous '\n'
    } else {
      if (!out.signed_names.empty()) out.signed_names.push_back(';');
      out.signed_names += lowered[i].first;
      out.block += lowered[i].first;
      out.block.push_back(':');
    }
    out.block += lowered[i].second;
    out.block.push_back('\n');
  }
  return out;
}

bool has_header(const HeaderList& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return to_lower(trim(h.first)) == lower_name; });
}

// The request's own headers minus the ones the signer sets itself.
HeaderList headers_without(const HeaderList& headers, std::initializer_list<std::string_view> names) {
  HeaderList out;
  for (const auto& header : headers) {
    const std::string lname = to_lower(trim(header.first));
    if (std::find(names.begin(), names.end(), lname) == names.end()) out.push_back(header);
  }
  return out;
}

struct Scope {
  std::string amz_date;  // 20150830T123600Z
  std::string date;      // 20150830
  std::string text;      // 20150830/us-east-1/service/aws4_request
};

Scope make_scope(const SigningParams& params) {
  Scope scope;
  scope.amz_date = format_amz_date(params.time);
  scope.date = scope.amz_date.substr(0, 8);
  scope.text = scope.date + '/' + params.region + '/' + params.service + "/aws4_request";
  return scope;
}

std::string build_canonical_request(const SignableRequest& request, const SigningParams& params,
                                    const std::string& query, const CanonicalHeaders& headers,
                                    const std::string& payload_hash) {
  std::string out;
  out.reserve(256 + headers.block.size() + query.size());
  out += request.method;
  out.push_back('\n');
  out += canonical_uri(request.path, params.normalize_path, params.encode_path);
  out.push_back('\n');
  out += query;
  out.push_back('\n');
  out += headers.block;
  out.push_back('\n');
  out += headers.signed_names;
  out.push_back('\n');
  out += payload_hash;
  return out;
}

void finish_signature(SigningResult& result, const Scope& scope, const Credentials& credentials,
                      const SigningParams& params) {
  result.string_to_sign =
      std::string(kAlgorithm) + '\n' + scope.amz_date + '\n' + scope.text + '\n' + sha256_hex(result.canonical_request);
  const std::string key = derive_signing_key(credentials.secret_access_key, scope.date, params.region, params.service);
  result.signature = hex_encode(hmac_sha256(key, result.string_to_sign));
}

struct MacDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // fetched once
  return mac;
}

}  // namespace

std::string hex_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHexDigits[c >> 4]);
    out.push_back(kHexDigits[c & 0x0f]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 failed");
  }
  return hex_encode({reinterpret_cast<const char*>(digest.data()), length});
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  // HMAC pads keys with zeros, so an empty key equals a single zero byte; OpenSSL would
  // read a null/empty key as "keep the previous key".
  static constexpr unsigned char kZero = 0;
  const auto* key_bytes = key.empty() ? &kZero : reinterpret_cast<const unsigned char*>(key.data());
  const std::size_t key_size = key.empty() ? 1 : key.size();

  std::unique_ptr<EVP_MAC_CTX, MacDeleter> ctx(hmac_algorithm() ? EVP_MAC_CTX_new(hmac_algorithm()) : nullptr);
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                               OSSL_PARAM_construct_end()};
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  std::size_t length = 0;
  if (!ctx || EVP_MAC_init(ctx.get(), key_bytes, key_size, params) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) != 1) {
    throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  }
  return {reinterpret_cast<const char*>(out.data()), length};
}

std::string uri_encode(std::string_view text, bool encode_slash) {
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (is_unreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back("0123456789ABCDEF"[c >> 4]);
      out.push_back("0123456789ABCDEF"[c & 0x0f]);
    }
  }
  return out;
}

std::string format_amz_date(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto seconds = floor<std::chrono::seconds>(time);
  const auto day = floor<days>(seconds);
  const year_month_day ymd{day};
  const hh_mm_ss hms{seconds - day};
  std::array<char, 32> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buffer.data();
}

std::string canonical_uri(std::string_view path, bool normalize, bool encode) {
  if (path.empty()) return "/";
  if (!normalize) return encode ? uri_encode(path, false) : std::string(path);

  // RFC 3986 dot-segment removal, and empty segments ("//") dropped.
  std::vector<std::string_view> segments;
  std::string_view last;
  for (std::size_t start = 0;;) {
    const std::size_t slash = path.find('/', start);
    last = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (last == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!last.empty() && last != ".") {
      segments.push_back(last);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  const bool trailing_slash = path.back() == '/' || last == "." || last == "..";
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out += encode ? uri_encode(segments[i]) : std::string(segments[i]);
  }
  if (trailing_slash && !segments.empty()) out.push_back('/');
  return out;
}

std::string canonical_query(std::string_view query) {
  return encode_query(parse_query(query));
}

std::string derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                               std::string_view service) {
  const std::string date_key = hmac_sha256("AWS4" + std::string(secret), date);
  const std::string region_key = hmac_sha256(date_key, region);
  const std::string service_key = hmac_sha256(region_key, service);
  return hmac_sha256(service_key, "aws4_request");
}

SigningResult sign(const SignableRequest& request, const Credentials& credentials, const SigningParams& params) {
  const Scope scope = make_scope(params);
  const std::string payload_hash = sha256_hex(request.body);
  const bool has_token = !credentials.session_token.empty();

  HeaderList headers = headers_without(request.headers, {"x-amz-date", "x-amz-security-token", "x-amz-content-sha256"});
  SigningResult result;
  result.added_headers.emplace_back("x-amz-date", scope.amz_date);
  if (has_token) result.added_headers.emplace_back("x-amz-security-token", credentials.session_token);
  if (params.sign_body) result.added_headers.emplace_back("x-amz-content-sha256", payload_hash);
  for (const auto& added : result.added_headers) {
    if (added.first != "x-amz-security-token" || !params.omit_session_token) headers.push_back(added);
  }

  const CanonicalHeaders canonical = canonicalize_headers(headers);
  result.canonical_request =
      build_canonical_request(request, params, canonical_query(request.query), canonical, payload_hash);
  finish_signature(result, scope, credentials, params);
  result.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + '/' + scope.text +
                         ", SignedHeaders=" + canonical.signed_names + ", Signature=" + result.signature;
  result.added_headers.emplace_back("authorization", result.authorization);
  return result;
}

SigningResult presign(const SignableRequest& request, const Credentials& credentials, const SigningParams& params,
                      std::chrono::seconds expires_in) {
  const Scope scope = make_scope(params);
  const bool has_token = !credentials.session_token.empty();
  const CanonicalHeaders canonical = canonicalize_headers(request.headers);

  QueryPairs query = parse_query(request.query);
  query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  query.emplace_back("X-Amz-Credential", credentials.access_key_id + '/' + scope.text);
  query.emplace_back("X-Amz-Date", scope.amz_date);
  query.emplace_back("X-Amz-Expires", std::to_string(expires_in.count()));
  query.emplace_back("X-Amz-SignedHeaders", canonical.signed_names);
  if (has_token && !params.omit_session_token) {
    query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }

  SigningResult result;
  const std::string signed_query_base = encode_query(query);
  result.canonical_request =
      build_canonical_request(request, params, signed_query_base, canonical, sha256_hex(request.body));
  finish_signature(result, scope, credentials, params);
  result.signed_query = signed_query_base;
  if (has_token && params.omit_session_token) {
    result.signed_query += "&X-Amz-Security-Token=" + uri_encode(credentials.session_token);
  }
  result.signed_query += "&X-Amz-Signature=" + result.signature;
  return result;
}

HeaderList sign_http_call(const AwsHttpCall& call, const Credentials& credentials, std::string_view region,
                          std::chrono::system_clock::time_point now, std::string_view service) {
  SignableRequest request;
  request.method = std::string(call.method);
  request.path = std::string(call.path);
  request.query = std::string(call.query);
  request.body = call.body;
  request.headers.emplace_back("host", std::string(call.host));
  for (const auto& header : call.extra_signed) {
    if (!has_header(request.headers, to_lower(trim(header.first)))) request.headers.push_back(header);
  }
  SigningParams params;
  params.region = std::string(region);
  params.service = std::string(service);
  params.time = now;
  return sign(request, credentials, params).added_headers;
}

}  // namespace sb::aws
