// Upstream error mapping (SPEC §5), pure: status + body in, the client's OpenAI error out.
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "core/api_error.hpp"
#include "http/client.hpp"

namespace sb::providers {

// Replaces each secret, and anything shaped like an API key, with "***".
std::string scrub_secrets(std::string text, std::span<const std::string> secrets);

// An upstream HTTP error response → the error the client sees. An upstream 401/403 is the proxy's
// problem, not the caller's: it becomes 502 `upstream_auth_failed` and the upstream's text is dropped.
core::ApiError map_upstream_status(int status, std::string_view body, std::string_view retry_after,
                                   const std::string& provider, std::span<const std::string> secrets);

// A transport failure (connect, timeout, broken connection) → 502 / 504.
core::ApiError map_transport_failure(http::UpstreamFailure failure, const std::string& provider);

// `retry-after` header value (delta-seconds) → seconds, if it is one.
std::optional<long> parse_retry_after(std::string_view value);

}  // namespace sb::providers
