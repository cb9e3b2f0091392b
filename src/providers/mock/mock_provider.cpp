#include "providers/mock/mock_provider.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

namespace sb::providers {
namespace json = boost::json;

namespace {

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] == ' ') ++j;  // leading spaces belong to the word
    while (j < text.size() && text[j] != ' ') ++j;
    out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::int64_t count_words(std::string_view text) {
  std::int64_t n = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

// The first function tool of the request, unless tool_choice is "none".
std::optional<std::string> first_tool_name(const openai::ChatRequest& req) {
  if (!req.has_tools()) return std::nullopt;
  if (const auto* choice = req.body().if_contains("tool_choice");
      choice && choice->is_string() && choice->get_string() == "none")
    return std::nullopt;
  for (const auto& t : req.body().at("tools").get_array()) {
    const auto* fn = t.is_object() ? t.get_object().if_contains("function") : nullptr;
    const auto* name = fn && fn->is_object() ? fn->get_object().if_contains("name") : nullptr;
    if (name && name->is_string()) return std::string(name->get_string());
  }
  return std::nullopt;
}

}  // namespace

MockReply mock_reply(const openai::ChatRequest& req) {
  MockReply r;
  std::int64_t prompt = 0;
  for (const auto& m : req.messages())
    if (const auto* c = m.get_object().if_contains("content")) prompt += count_words(openai::content_text(*c));
  r.usage.prompt_tokens = prompt;

  const auto& last = req.messages().back().get_object();
  const std::string_view last_role = last.at("role").get_string();
  std::string text;
  if (last_role == "tool") {
    const auto* c = last.if_contains("content");
    text = "The tool returned: " + (c ? openai::content_text(*c) : std::string());
  } else if (auto tool = first_tool_name(req); tool && last_role == "user") {
    const std::string input = openai::last_user_text(req).value_or("");
    core::ToolCallDelta call;
    call.index = 0;
    call.id = "call_mock_" + std::to_string(input.size());
    call.name = *tool;
    call.arguments = json::serialize(json::object{{"input", input}});
    r.tool = std::move(call);
    r.usage.completion_tokens = 1;
    r.usage.total_tokens = prompt + 1;
    return r;
  } else if (auto user = openai::last_user_text(req); user && !user->empty()) {
    text = "You said: \"" + *user + "\". This is the switchboard mock provider.";
  } else {
    text = "Hello! This is the switchboard mock provider.";
  }
  r.words = split_words(text);
  r.usage.completion_tokens = static_cast<std::int64_t>(r.words.size());
  r.usage.total_tokens = prompt + r.usage.completion_tokens;
  return r;
}

core::net::awaitable<void> MockProvider::chat(const core::RequestContext& /*ctx*/, const openai::ChatRequest& req,
                                              const std::string& /*model*/, core::ResponseSink& sink) {
  const MockReply reply = mock_reply(req);
  boost::asio::steady_timer pace(co_await boost::asio::this_coro::executor);
  const bool paced = sink.streaming() && interval_.count() > 0;
  if (reply.tool) {
    co_await sink.tool_call(*reply.tool);
    co_await sink.finish("tool_calls");
  } else {
    for (std::size_t i = 0; i < reply.words.size(); ++i) {
      if (paced && i > 0) {
        pace.expires_after(interval_);
        co_await pace.async_wait(boost::asio::use_awaitable);
      }
      co_await sink.text(reply.words[i]);
    }
    co_await sink.finish("stop");
  }
  co_await sink.usage(reply.usage);
}

}  // namespace sb::providers
