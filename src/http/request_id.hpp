#pragma once
#include <string>
#include <string_view>

namespace sb::http {

inline constexpr std::string_view kRequestIdHeader = "x-request-id";

// The client's request id when it is sane (1–128 chars of [A-Za-z0-9._:-]), else a fresh random one.
std::string make_request_id(std::string_view client_value);

// A random UUID version 4, lowercase with dashes.
std::string uuid4();

}  // namespace sb::http
