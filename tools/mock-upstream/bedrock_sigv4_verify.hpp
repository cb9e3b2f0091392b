// Verifies the SigV4 signature of a request the way AWS does: parse the Authorization header, recompute the
// signature over the signed headers with the known secret, compare. Pure (no sockets, `now` passed in).
#pragma once

#include "stats.hpp"

#include <chrono>
#include <string>

namespace mock_upstream::bedrock {

struct SigningSecret {
  std::string access_key_id;
  std::string secret_access_key;
  std::string service = "bedrock";
  std::chrono::minutes max_skew{15};
};

struct SignatureCheck {
  bool ok = false;
  unsigned status = 403;
  std::string error_type;  // AWS error type for x-amzn-ErrorType, e.g. "InvalidSignatureException"
  std::string message;
  std::string region;  // from the credential scope, when readable
};

SignatureCheck verify_sigv4(const Request& request, const SigningSecret& secret,
                            std::chrono::system_clock::time_point now);

// The test keys the mock accepts unless MOCK_AWS_ACCESS_KEY_ID / MOCK_AWS_SECRET_ACCESS_KEY say otherwise.
inline constexpr const char* kDefaultAccessKeyId = "AKIDMOCKUPSTREAM0001";
inline constexpr const char* kDefaultSecretAccessKey = "mock+upstream/bedrock/SECRET/key/0123456789";

}  // namespace mock_upstream::bedrock
