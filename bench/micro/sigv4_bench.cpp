// SigV4 signing of a Bedrock InvokeAgent call (src/aws/sigv4.hpp sign_http_call).
#include <benchmark/benchmark.h>

#include <chrono>

#include "aws/sigv4.hpp"
#include "micro.hpp"

namespace sb::bench {
namespace {

void sign(benchmark::State& state) {
  const std::size_t body_size = static_cast<std::size_t>(state.range(0));
  const bool session_token = state.range(1) != 0;
  std::string body = R"({"inputText":")";
  while (body.size() + 3 < body_size) body += "a";
  body += R"("})";
  const aws::Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               session_token ? std::string(600, 'T') : std::string()};
  aws::AwsHttpCall call;
  call.host = "bedrock-agent-runtime.us-east-1.amazonaws.com";
  call.path = "/agents/DWWNQI7RYU/agentAliases/TKJQMRWLTK/sessions/3f6f1c9e-5b7a-4d7e-9a51-2b8f3c0d1e2f/text";
  call.body = body;
  call.extra_signed = {{"content-type", "application/json"}};
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    auto headers = aws::sign_http_call(call, creds, "us-east-1", now);
    benchmark::DoNotOptimize(headers.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

// The part that can be cached per day/region/service: the signing key derivation (4 HMACs).
void derive_key(benchmark::State& state) {
  for (auto _ : state) {
    auto k = aws::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20240501", "us-east-1", "bedrock");
    benchmark::DoNotOptimize(k.data());
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void register_sigv4_benchmarks() {
  benchmark::RegisterBenchmark("sigv4/sign_http_call/body_bytes,session_token", sign)
      ->Args({200, 0})
      ->Args({200, 1})
      ->Args({8192, 0});
  benchmark::RegisterBenchmark("sigv4/derive_signing_key", derive_key);
}

}  // namespace sb::bench
