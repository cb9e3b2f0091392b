// A transport-neutral script for one HTTP response: what to send, at which pace, and how it ends.
// Handlers (OpenAI today, Bedrock event-stream later) build plans; Connection::run plays them.
#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace mock_upstream {

struct Header {
  std::string name;
  std::string value;
};

enum class StallAt {
  none,
  headers,     // read the request, then send nothing at all
  first_byte,  // send the response head, then nothing
};

enum class PlanEnd {
  complete,  // finish the body normally (terminating chunk / full Content-Length)
  close,     // after `cut_after` pieces: close the TCP connection (FIN), body left incomplete
  reset,     // after `cut_after` pieces: abort the TCP connection (RST), body left incomplete
  stall,     // after `cut_after` pieces: go silent until the client closes
};

struct ResponsePlan {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::vector<Header> headers;
  // true: Transfer-Encoding chunked, every piece is its own chunk, written and flushed alone.
  // false: Content-Length = total size of the pieces (still written piece by piece).
  bool chunked = false;
  std::vector<std::string> pieces;
  std::chrono::milliseconds first_byte_delay{0};  // before the response head
  std::chrono::milliseconds interval{0};          // between pieces
  StallAt stall_at = StallAt::none;
  PlanEnd end = PlanEnd::complete;
  std::size_t cut_after = std::numeric_limits<std::size_t>::max();  // pieces sent before `end`
  // Counted in active_streams / streams_cancelled (every chat-completions answer is).
  bool tracked = true;

  bool waits() const noexcept {
    return first_byte_delay.count() > 0 || interval.count() > 0 || stall_at != StallAt::none || end == PlanEnd::stall;
  }
};

}  // namespace mock_upstream
