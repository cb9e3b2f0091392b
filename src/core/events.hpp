// The event model: what a provider reports back, whichever sink (streaming or collecting) consumes it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace sb::core {

struct ToolCallDelta {
  int index = 0;
  std::optional<std::string> id;    // first fragment of a call only
  std::optional<std::string> name;  // first fragment of a call only
  std::string arguments;            // a piece of the JSON arguments
};

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
};

// What a relayed chat.completion body says about itself, for logs and metrics: its first non-null
// `finish_reason` and its top-level `usage` counts. Read while the body is validated (one pass).
struct BodyFacts {
  std::string finish_reason;
  std::optional<Usage> usage;
};

}  // namespace sb::core
