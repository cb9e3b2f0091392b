// The `mock` request field: which scripted behaviour a chat-completions request gets, and the
// ResponsePlan that plays it. Pure logic, no sockets: unit-testable on its own.
#pragma once

#include "response_plan.hpp"

#include <boost/json/fwd.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace mock_upstream::openai {

enum class Scenario {
  text,
  tool_call,
  tool_calls_parallel,
  error,
  drop,
  stall,
  replay,
  no_done,
  changing_id,
  no_role,
  bad_json,
  no_finish,
  text_after_finish,
};

struct MockOptions {
  Scenario scenario = Scenario::text;
  std::size_t chunks = 8;
  std::optional<std::string> text;
  std::chrono::milliseconds first_byte{0};
  std::chrono::milliseconds interval{0};
  std::optional<std::size_t> drop_after;
  std::optional<unsigned> status;
  std::optional<unsigned> retry_after;
  StallAt stall_at = StallAt::headers;
  bool stall_mid_stream = false;
  bool drop_reset = false;  // drop_mode "reset": RST instead of FIN
  std::string file;
  std::optional<std::string> tool_name;
  std::optional<std::string> arguments;
  bool interleave = false;
  std::optional<std::string> message;  // error message override
};

// What the scenarios need from the OpenAI request body.
struct ChatRequest {
  std::string model = "gpt-4o-mini";
  bool stream = false;
  bool include_usage = false;
  std::size_t prompt_tokens = 1;
  std::vector<std::string> tool_names;  // tools[].function.name, in order
  std::string api_key;                  // from `Authorization: Bearer …`, for the 401 message
};

ChatRequest read_chat_request(const boost::json::object& body);

// Fills `out` from body["mock"]; returns a message for a 400 when a key or value is wrong.
std::optional<std::string> parse_mock_options(const boost::json::object& body, MockOptions& out);

// Every scenario but `replay` (which needs the fixture store) becomes a plan here.
ResponsePlan build_plan(const ChatRequest& request, const MockOptions& options);

inline constexpr std::size_t kDefaultDropAfter = 3;

}  // namespace mock_upstream::openai
