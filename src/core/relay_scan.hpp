// Reads the finish reason and usage out of bytes relayed untouched from an OpenAI-compatible upstream (one
// SSE event or a whole chat.completion body) for logs and metrics, without parsing the whole JSON: a scan for
// the two keys, and a scan of the `usage` object alone for its three token counts.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/events.hpp"

namespace sb::core {

// Sets `finish_reason` from the first non-null `"finish_reason":"…"` and `usage` from a `"usage":{…}` object
// found in `bytes`; leaves them alone when absent.
void scan_relayed(std::string_view bytes, std::string& finish_reason, std::optional<Usage>& usage);

}  // namespace sb::core
