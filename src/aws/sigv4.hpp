// AWS Signature Version 4: pure functions, no I/O. Header signing (Authorization) and
// query signing (presigned URLs), checked against the official test suite in
// fixtures/sigv4.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::aws {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: long-term keys
};

struct SignableRequest {
  std::string method;
  // The path exactly as it goes on the request line (already percent-encoded where the
  // wire needs it). The signer encodes it once more for non-S3 services.
  std::string path;
  std::string query;   // raw, without '?'
  HeaderList headers;  // every header here is signed (see kUnsignedHeaders for exceptions)
  std::string_view body;
};

struct SigningParams {
  std::string region;
  std::string service;
  std::chrono::system_clock::time_point time;
  bool normalize_path = true;       // remove dot segments and empty segments (not for S3)
  bool encode_path = true;          // URI-encode the wire path again (everyone but S3)
  bool sign_body = false;           // add and sign x-amz-content-sha256
  bool omit_session_token = false;  // add x-amz-security-token after signing, unsigned
};

struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // 64 lowercase hex digits
  std::string authorization;  // value of the Authorization header (empty for presign)
  // Headers the caller must set on the request, replacing any of the same name:
  // x-amz-date, x-amz-security-token, x-amz-content-sha256, authorization.
  HeaderList added_headers;
  // Presign only: the complete query string to send, signature included.
  std::string signed_query;
};

// Headers never signed even when present: they are changed by proxies or added later.
inline constexpr std::string_view kUnsignedHeaders[] = {"authorization", "user-agent", "x-amzn-trace-id", "expect"};

// Header signing: returns the Authorization header and the x-amz-* headers to add.
SigningResult sign(const SignableRequest& request, const Credentials& credentials, const SigningParams& params);

// Query signing (presigned URL) valid for `expires_in`; headers in the request are
// signed, sign_body is ignored (the body hash still enters the canonical request).
SigningResult presign(const SignableRequest& request, const Credentials& credentials, const SigningParams& params,
                      std::chrono::seconds expires_in);

// Bedrock (and any JSON service): headers to add to a request for `host` + `path`.
// `path` is the wire path, e.g. "/agents/A/agentAliases/B/sessions/S/text" or
// "/model/us.amazon.nova-micro-v1%3A0/converse-stream". Signs host and x-amz-date
// (plus the session token and any `extra_signed` headers, e.g. content-type).
struct AwsHttpCall {
  std::string_view method = "POST";
  std::string_view host;
  std::string_view path;
  std::string_view query;
  std::string_view body;
  HeaderList extra_signed;
};
HeaderList sign_http_call(const AwsHttpCall& call, const Credentials& credentials, std::string_view region,
                          std::chrono::system_clock::time_point now, std::string_view service = "bedrock");

// Building blocks, exposed for tests and for callers building wire paths.
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string hex_encode(std::string_view bytes);
// RFC 3986: every byte outside ALPHA / DIGIT / "-._~" becomes %XX (uppercase hex);
// '/' is kept when encode_slash is false.
std::string uri_encode(std::string_view text, bool encode_slash = true);
std::string format_amz_date(std::chrono::system_clock::time_point time);  // 20150830T123600Z
std::string canonical_uri(std::string_view path, bool normalize, bool encode);
std::string canonical_query(std::string_view query);
std::string derive_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                               std::string_view service);

}  // namespace sb::aws
