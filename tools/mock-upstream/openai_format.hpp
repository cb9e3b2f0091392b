// OpenAI Chat Completions wire format: chunk events, completion bodies, errors, ids. Pure
// functions (no I/O); field sets and key order follow the recordings in shared/fixtures/openai.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mock_upstream::openai {

inline constexpr std::string_view kSystemFingerprint = "fp_5c7e2a91d4";
inline constexpr std::string_view kDone = "data: [DONE]\n\n";

void append_json_string(std::string& out, std::string_view text);      // "…" with escapes
std::string pretty_json(const boost::json::value& value, int indent);  // ends with "\n"

std::string random_alnum(std::size_t length);
std::string new_completion_id();  // chatcmpl-<29>
std::string new_call_id();        // call_<24>
std::string new_request_id();     // req_<32 hex>
std::int64_t unix_now();

struct Usage {
  std::size_t prompt_tokens = 0;
  std::size_t completion_tokens = 0;
};
std::string usage_json(const Usage& usage);  // compact, with both *_details objects

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;
};

// Builds `data: {chat.completion.chunk}\n\n` events that share one id/created/model.
class ChunkBuilder {
 public:
  ChunkBuilder(std::string_view id, std::int64_t created, std::string_view model, bool include_usage);

  std::string role(bool content_null, bool with_refusal) const;
  std::string role_with_tool_call(const ToolCall& call) const;  // single tool call, first chunk
  std::string content(std::string_view text) const;
  std::string tool_call_header(std::size_t index, const ToolCall& call) const;
  std::string tool_call_arguments(std::size_t index, std::string_view fragment) const;
  std::string finish(std::string_view reason) const;
  std::string usage(const Usage& usage) const;

 private:
  std::string choice_event(std::string_view delta, std::string_view finish_reason) const;

  std::string prefix_;  // `data: {"id":…,"system_fingerprint":…,"choices":[`
  bool include_usage_;
};

// Splits `text` into at most `pieces` parts: whole words when there are enough of them
// (" is" keeps its leading space, as OpenAI tokens do), else UTF-8 code points.
std::vector<std::string> split_text(std::string_view text, std::size_t pieces);

// A non-stream `chat.completion` shaped like nonstream/chat-completion-basic.json.
std::string completion_body(std::string_view id, std::int64_t created, std::string_view model,
                            const std::optional<std::string>& content, const std::vector<ToolCall>& tool_calls,
                            std::string_view finish_reason, const Usage& usage);

struct ErrorSpec {
  std::string message;
  std::string type;
  std::optional<std::string> param;
  std::optional<std::string> code;
};
std::string error_body(const ErrorSpec& error, int indent = 2);  // {"error":{message,type,param,code}}

// Realistic error for a scripted status; `api_key` feeds the masked key of a 401.
ErrorSpec error_for_status(unsigned status, std::string_view model, std::string_view api_key,
                           std::optional<unsigned> retry_after);
std::string mask_api_key(std::string_view key);  // "sk-ab***…***wxyz"

std::string models_body();  // GET /v1/models

}  // namespace mock_upstream::openai
