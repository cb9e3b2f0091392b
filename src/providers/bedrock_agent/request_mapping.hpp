// OpenAI chat request → InvokeAgent request, pure (SPEC §4 `bedrock`).
//
// - Trailing `role:"tool"` messages whose tool_call_id this provider issued: resume that session with
//   sessionState.invocationId + returnControlInvocationResults (no inputText).
// - Otherwise inputText = the last user message. Session: `session_id` field, else the X-Session-Id header
//   (only the new turn is sent: the agent remembers), else a fresh id, with the earlier user/assistant turns
//   in sessionState.conversationHistory.
// - streamingConfigurations.streamFinalResponse when the client streams.
#pragma once
#include <boost/json/object.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "openai/request.hpp"

namespace sb::providers::bedrock {

struct PlanOptions {
  bool streaming = false;
  bool enable_trace = false;
};

struct InvokeAgentPlan {
  std::string session_id;
  bool generated_session = false;        // no client session: history travels in the request
  bool returns_control_results = false;  // a follow-up carrying tool results
  std::size_t history_messages = 0;
  boost::json::object body;
};

// `new_session_id` makes a fresh id (UUID4 in production; fixed in tests).
core::Expected<InvokeAgentPlan> plan_invoke_agent(const openai::ChatRequest& req, std::string_view session_header,
                                                  const PlanOptions& options,
                                                  const std::function<std::string()>& new_session_id);

// Bedrock's session-id rule: 2–100 characters of [0-9a-zA-Z._:-].
bool valid_session_id(std::string_view id);

// The wire path, labels URI-encoded: {base}/agents/{agent}/agentAliases/{alias}/sessions/{session}/text
std::string invoke_agent_path(std::string_view base_path, std::string_view agent_id, std::string_view alias_id,
                              std::string_view session_id);

}  // namespace sb::providers::bedrock
