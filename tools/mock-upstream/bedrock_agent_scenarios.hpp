// Bedrock Agents InvokeAgent, scripted: the request as the mock reads it, the scenario a test picks with the
// input text ("scenario:<name> key=value …"), and the ResponsePlan of AWS event-stream frames that plays it.
// Pure logic, no sockets. See BEDROCK.md for the scenarios.
#pragma once

#include "response_plan.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mock_upstream::bedrock {

struct InvokePath {
  std::string agent_id, alias_id, session_id;  // percent-decoded
};
// `/agents/{agent}/agentAliases/{alias}/sessions/{session}/text`, else nullopt.
std::optional<InvokePath> parse_invoke_path(std::string_view path);

struct InvokeRequest {
  InvokePath path;
  std::optional<std::string> input_text;
  bool stream_final_response = false;
  bool enable_trace = false;
  std::string invocation_id;         // sessionState.invocationId
  boost::json::array results;        // sessionState.returnControlInvocationResults
  std::size_t history_messages = 0;  // sessionState.conversationHistory.messages
};
// The JSON body → the request, or a ValidationException message.
std::variant<InvokeRequest, std::string> read_invoke_request(InvokePath path, std::string_view body);

struct Script {
  std::string name = "text";                   // text, one_piece, utf8, return_control, error, exception, drop,
                                               // stall, replay, corrupt
  std::map<std::string, std::string> options;  // key=value tokens after the name
  [[nodiscard]] std::string get(const std::string& key, std::string fallback = {}) const;
  [[nodiscard]] long number(const std::string& key, long fallback) const;
};
// "scenario:NAME k=v …" at the start of the input text; anything else is the default `text` scenario.
std::variant<Script, std::string> parse_script(std::string_view input_text);

// ---- event-stream frames as the service sends them ------------------------------------------------------------

std::string chunk_frame(std::string_view text);
std::string trace_frame(const InvokePath& path, std::string_view kind, std::string_view rationale);
std::string return_control_frame(std::string_view invocation_id, std::string_view agent_id,
                                 std::string_view action_group, std::string_view function,
                                 const boost::json::array& parameters);
std::string exception_frame(std::string_view exception_type, std::string_view message);

// An HTTP error before any event: JSON {"message"} with the type in x-amzn-ErrorType.
ResponsePlan http_error_plan(unsigned status, std::string_view error_type, std::string_view message,
                             std::optional<long> retry_after = std::nullopt);

// Response headers of a successful InvokeAgent answer.
std::vector<Header> stream_headers(const InvokePath& path);

// A pending returnControl the continuation must match.
struct PendingInvocation {
  std::string invocation_id;
  std::string action_group;
  std::string function;
};

// The plan for an ordinary (non-continuation) request. `pending` receives the invocation of a
// return_control scenario. `replay_frames` are the frames of `file` for the replay scenario (the handler
// loads them). Returns a 4xx plan for a bad script.
ResponsePlan answer_plan(const InvokeRequest& request, const Script& script,
                         const std::vector<std::string>& replay_frames, std::optional<PendingInvocation>& pending);

// The plan for a continuation carrying returnControlInvocationResults, checked against what is pending for
// the session (nullopt: nothing pending).
ResponsePlan continuation_plan(const InvokeRequest& request, const std::optional<PendingInvocation>& pending);

// Splits `text` into `pieces` parts at word boundaries (never inside a UTF-8 character).
std::vector<std::string> split_text(std::string_view text, std::size_t pieces);

inline constexpr std::string_view kActionGroup = "mock_action_group";
inline constexpr std::string_view kFunction = "get_weather";

}  // namespace mock_upstream::bedrock
