// Request path: JSON parse + validation, provider selection, and the body sent upstream.
#include <benchmark/benchmark.h>

#include "core/registry.hpp"
#include "core/settings.hpp"
#include "micro.hpp"
#include "openai/request.hpp"
#include "providers/registry.hpp"

namespace sb::bench {
namespace {

// A voice-agent style request (~8 KB): system prompt, 40 messages of history, three tools, streaming with usage.
std::string voice_agent_body(std::string_view extra_field) {
  std::string b = R"({"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},)";
  b += R"("temperature":0.7,"max_tokens":512,)";
  b += extra_field;
  b += R"("messages":[{"role":"system","content":")";
  for (int i = 0; i < 28; ++i)
    b += "You are a friendly phone assistant for a dental clinic. Keep answers short and spoken-style. ";
  b += R"("})";
  for (int i = 0; i < 20; ++i) {
    b += R"(,{"role":"user","content":"Could I move my appointment on Tuesday to later in the afternoon, please? )";
    b += std::to_string(i);
    b += R"("},{"role":"assistant","content":"Of course. I can offer three thirty or four fifteen on Tuesday. Which would you prefer?"})";
  }
  b += R"(],"tools":[)";
  const char* names[] = {"find_slots", "book_slot", "cancel_booking"};
  for (int i = 0; i < 3; ++i) {
    if (i) b += ",";
    b += R"({"type":"function","function":{"name":")";
    b += names[i];
    b += R"(","description":"Clinic calendar operation.","parameters":{"type":"object","properties":{)";
    b += R"("date":{"type":"string","description":"ISO date"},"time":{"type":"string"},"patient_id":{"type":"string"}},)";
    b += R"("required":["date"]}}})";
  }
  b += "]}";
  return b;
}

struct Case {
  const char* name;
  std::string body;
};

std::vector<Case> cases() {
  const std::string small = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"What's the weather in Paris?"}],"stream":true})";
  return {
      {"small/as-is", small},
      {"small/provider-field",
       R"({"provider":"openai","model":"gpt-4o-mini","messages":[{"role":"user","content":"What's the weather in Paris?"}],"stream":true})"},
      {"small/provider-prefix",
       R"({"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"What's the weather in Paris?"}],"stream":true})"},
      {"voice-8k/as-is", voice_agent_body("")},
      {"voice-8k/provider-field", voice_agent_body(R"("provider":"openai",)")},
  };
}

const core::Registry& registry() {
  static const core::Registry r = [] {
    core::Settings s;
    s.openai_api_key = "sk-bench";
    s.openai_base_url = "http://127.0.0.1:9/v1";
    auto built = providers::build_registry(s);
    if (!built) throw std::runtime_error("build_registry: " + built.error());
    return std::move(*built);
  }();
  return r;
}

void parse_route_forward(benchmark::State& state, const std::string& body) {
  const auto& reg = registry();
  std::size_t out_bytes = 0;
  for (auto _ : state) {
    auto req = openai::parse_chat_request(body);
    if (!req) {
      state.SkipWithError("parse failed");
      return;
    }
    auto route = core::route_request(reg, *req);
    if (!route) {
      state.SkipWithError("route failed");
      return;
    }
    std::string up = openai::forward_body(*req, route->model);
    out_bytes = up.size();
    benchmark::DoNotOptimize(up.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["in_bytes"] = static_cast<double>(body.size());
  state.counters["out_bytes"] = static_cast<double>(out_bytes);
}

void parse_only(benchmark::State& state, const std::string& body) {
  for (auto _ : state) {
    auto req = openai::parse_chat_request(body);
    benchmark::DoNotOptimize(&req);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

}  // namespace

void register_request_benchmarks() {
  for (auto& c : cases()) {
    benchmark::RegisterBenchmark((std::string("request/parse+route+forward/") + c.name).c_str(), parse_route_forward,
                                 c.body);
    benchmark::RegisterBenchmark((std::string("request/parse-only/") + c.name).c_str(), parse_only, c.body);
  }
}

}  // namespace sb::bench
