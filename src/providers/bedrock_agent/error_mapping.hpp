// Bedrock errors → the client's OpenAI error (SPEC §5), pure. Two ways in: an HTTP error answer (type in the
// `x-amzn-ErrorType` header, before ':'; body {"message": …}) and an exception event inside the stream
// (`:exception-type` header, same body).
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "core/api_error.hpp"

namespace sb::providers::bedrock {

struct ErrorContext {
  std::string provider = "bedrock";
  std::span<const std::string> secrets;  // scrubbed from any upstream text passed on
};

// "ValidationException:http://internal.amazon.com/coral/…" → "validationexception" (lowercase, suffix dropped).
std::string normalise_error_type(std::string_view type);

// An exception event of the InvokeAgent stream (e.g. "throttlingException") with its JSON payload.
core::ApiError map_exception(std::string_view exception_type, std::string_view payload, const ErrorContext& ctx);

// A non-200 HTTP answer. `error_type` is the x-amzn-ErrorType header (may be empty).
core::ApiError map_http_error(int status, std::string_view error_type, std::string_view body,
                              std::string_view retry_after, const ErrorContext& ctx);

// The `message` (or `Message`) of a Bedrock error body, scrubbed; "" when there is none.
std::string error_message(std::string_view body, std::span<const std::string> secrets);

}  // namespace sb::providers::bedrock
