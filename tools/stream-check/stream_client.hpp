// switchboard-check: the I/O side. Sends one streaming chat request with the project's upstream client,
// times every SSE event as it arrives and feeds it to the validator; runs N of them with C in flight.
#pragma once
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "validator.hpp"

namespace sb::check {

struct Endpoint {
  std::string name;     // "proxy" or "reference"
  std::string url;      // as given on the command line
  http::Origin origin;  // parsed from url
  std::string path;     // request target, e.g. /v1/chat/completions
  std::string api_key;  // sent as Authorization: Bearer when not empty
};

struct RunResult {
  int status = 0;  // HTTP status, 0 when no response arrived
  std::string content_type;
  std::optional<double> headers_ms;  // request start → response headers
  ValidationResult validation;       // stream violations plus transport ones (HTTP status, connection, timeout)
  double total_ms = 0;               // request start → end of body (or failure)
};

struct RunPlan {
  std::string body;           // serialized JSON request body
  bool include_usage = true;  // what the validator expects
  std::chrono::milliseconds timeout{60'000};
  int runs = 1;
  int concurrency = 1;
};

// Runs plan.runs requests against `endpoint` on `io` (plan.concurrency in flight), returns them in start order.
std::vector<RunResult> run_side(boost::asio::io_context& io, const Endpoint& endpoint, const RunPlan& plan);

}  // namespace sb::check
