// Builds the chat.completion.chunk SSE events and the chat.completion object the proxy itself produces,
// with the field set and order of the real OpenAI recordings.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.hpp"

namespace sb::openai {

class ChunkEncoder {
 public:
  // An empty `id` is made (new_completion_id) with the first event: a stream relayed as the upstream sent it never
  // needs one.
  ChunkEncoder(std::string id, std::int64_t created, std::string model, bool include_usage);
  // Moved, not copied: a copy made before the first event would make an id of its own (the id is made lazily).
  ChunkEncoder(ChunkEncoder&&) = default;
  ChunkEncoder& operator=(ChunkEncoder&&) = default;
  ChunkEncoder(const ChunkEncoder&) = delete;
  ChunkEncoder& operator=(const ChunkEncoder&) = delete;

  // Each returns one whole SSE event: `data: {…}\n\n`.
  [[nodiscard]] std::string role() const;
  [[nodiscard]] std::string text(std::string_view delta) const;
  [[nodiscard]] std::string tool_call(const core::ToolCallDelta& delta) const;
  [[nodiscard]] std::string finish(std::string_view reason) const;
  [[nodiscard]] std::string usage(const core::Usage& usage) const;
  static constexpr std::string_view kDone = "data: [DONE]\n\n";

  [[nodiscard]] const std::string& id() const;

 private:
  [[nodiscard]] std::string open() const;                      // `data: {"id":…,"choices":[`
  [[nodiscard]] std::string close(std::string&& event) const;  // `]…}\n\n`
  mutable std::string prefix_;  // everything from `{"id"` to `"choices":[` (constant within a stream; made lazily)
  std::string suffix_;          // `]` + optional `,"usage":null` + `}\n\n`
  mutable std::string id_;
  std::int64_t created_;
  std::string model_;
};

struct ToolCall {
  std::string id, name, arguments;
};

struct Completion {
  std::string id;
  std::int64_t created = 0;
  std::string model;
  std::string content;
  std::vector<ToolCall> tool_calls;
  std::string finish_reason = "stop";
  core::Usage usage;
};

// The non-streaming `chat.completion` object (an empty `c.id`: a new one).
std::string encode_completion(const Completion& c);

// A fresh `chatcmpl-…` id (24 random alphanumerics).
std::string new_completion_id();

}  // namespace sb::openai
