#include "providers/bedrock_agent/request_mapping.hpp"

#include <boost/json.hpp>

#include "aws/sigv4.hpp"
#include "providers/bedrock_agent/tool_call_id.hpp"

namespace sb::providers::bedrock {
namespace json = boost::json;
using core::ApiError;

namespace {

std::string_view role_of(const json::value& m) {
  return m.get_object().at("role").get_string();  // validated by parse_chat_request
}

std::string text_of(const json::object& m) {
  const auto* c = m.if_contains("content");
  return c ? openai::content_text(*c) : std::string();
}

ApiError invalid(std::string param, std::string message) {
  return {400, std::move(message), "invalid_request_error", std::move(param), "invalid_value", std::nullopt};
}

json::object base_body(const PlanOptions& options) {
  json::object body;
  body["enableTrace"] = options.enable_trace;
  body["endSession"] = false;
  if (options.streaming) body["streamingConfigurations"] = json::object{{"streamFinalResponse", true}};
  return body;
}

// The trailing tool results → returnControlInvocationResults, all for one invocation.
core::Expected<InvokeAgentPlan> plan_tool_results(const json::array& msgs, std::size_t first_tool,
                                                  const PlanOptions& options) {
  InvokeAgentPlan plan;
  std::optional<ReturnControlRef> invocation;
  json::array results;
  for (std::size_t i = first_tool; i < msgs.size(); ++i) {
    const auto& m = msgs[i].get_object();
    const std::string param = "messages[" + std::to_string(i) + "].tool_call_id";
    const auto* id = m.if_contains("tool_call_id");
    if (!id || !id->is_string()) return ApiError::missing_parameter(param);
    auto ref = decode_tool_call_id(id->get_string());
    if (!ref)
      return invalid(param, "tool_call_id '" + std::string(id->get_string()) +
                                "' was not issued by the bedrock provider, so its result cannot be returned to the "
                                "agent.");
    if (invocation && (ref->session_id != invocation->session_id || ref->invocation_id != invocation->invocation_id))
      return invalid(param,
                     "The tool results answer different agent invocations; send the results of the last "
                     "assistant message only.");
    if (!invocation) invocation = ref;
    json::object result;
    if (!ref->function.empty()) {
      result["functionResult"] = json::object{{"actionGroup", ref->action_group},
                                              {"function", ref->function},
                                              {"responseBody", {{"TEXT", {{"body", text_of(m)}}}}}};
    } else {
      result["apiResult"] = json::object{{"actionGroup", ref->action_group},
                                         {"apiPath", ref->api_path},
                                         {"httpMethod", ref->http_method},
                                         {"responseBody", {{"application/json", {{"body", text_of(m)}}}}}};
    }
    results.push_back(std::move(result));
  }
  plan.session_id = invocation->session_id;
  plan.returns_control_results = true;
  plan.body["sessionState"] =
      json::object{{"invocationId", invocation->invocation_id}, {"returnControlInvocationResults", std::move(results)}};
  for (auto& [k, v] : base_body(options)) plan.body[k] = v;
  return plan;
}

// Earlier user/assistant turns (before index `end`) in the shape Bedrock validates: no empty text, consecutive
// turns of one role merged into one message (one content block each), starting with a user turn.
json::array conversation_history(const json::array& msgs, std::size_t end) {
  json::array history;
  for (std::size_t i = 0; i < end; ++i) {
    const std::string_view role = role_of(msgs[i]);
    if (role != "user" && role != "assistant") continue;  // system prompts belong to the agent; tool turns done
    std::string text = text_of(msgs[i].get_object());
    if (text.empty()) continue;
    if (history.empty() && role == "assistant") continue;  // e.g. a voice agent's greeting
    json::object block{{"text", std::move(text)}};
    if (!history.empty() && history.back().get_object().at("role").get_string() == role) {
      history.back().get_object()["content"].get_array().push_back(std::move(block));
    } else {
      history.push_back(json::object{{"role", role}, {"content", json::array{std::move(block)}}});
    }
  }
  return history;
}

}  // namespace

bool valid_session_id(std::string_view id) {
  if (id.size() < 2 || id.size() > 100) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != ':' && c != '-') return false;
  return true;
}

std::string invoke_agent_path(std::string_view base_path, std::string_view agent_id, std::string_view alias_id,
                              std::string_view session_id) {
  return std::string(base_path) + "/agents/" + aws::uri_encode(agent_id) + "/agentAliases/" +
         aws::uri_encode(alias_id) + "/sessions/" + aws::uri_encode(session_id) + "/text";
}

core::Expected<InvokeAgentPlan> plan_invoke_agent(const openai::ChatRequest& req, std::string_view session_header,
                                                  const PlanOptions& options,
                                                  const std::function<std::string()>& new_session_id) {
  const auto& msgs = req.messages();
  std::size_t first_tool = msgs.size();
  while (first_tool > 0 && role_of(msgs[first_tool - 1]) == "tool") --first_tool;
  if (first_tool < msgs.size()) return plan_tool_results(msgs, first_tool, options);

  std::optional<std::size_t> last_user;
  for (std::size_t i = msgs.size(); i-- > 0;)
    if (role_of(msgs[i]) == "user") {
      last_user = i;
      break;
    }
  if (!last_user)
    return invalid("messages", "The bedrock provider needs a user message: the agent answers the last one.");

  InvokeAgentPlan plan;
  plan.body["inputText"] = text_of(msgs[*last_user].get_object());
  for (auto& [k, v] : base_body(options)) plan.body[k] = v;

  if (req.session_id) {
    plan.session_id = *req.session_id;
    if (!valid_session_id(plan.session_id))
      return invalid("session_id", "session_id must be 2 to 100 characters of letters, digits and . _ : -");
  } else if (!session_header.empty()) {
    plan.session_id = std::string(session_header);
    if (!valid_session_id(plan.session_id))
      return invalid("X-Session-Id",
                     "The X-Session-Id header must be 2 to 100 characters of letters, digits and "
                     ". _ : -");
  } else {
    plan.session_id = new_session_id();
    plan.generated_session = true;
    json::array history = conversation_history(msgs, *last_user);
    plan.history_messages = history.size();
    if (!history.empty())
      plan.body["sessionState"] = json::object{{"conversationHistory", {{"messages", std::move(history)}}}};
  }
  return plan;
}

}  // namespace sb::providers::bedrock
