// SSE chunk encoding: the chat.completion.chunk events the proxy builds itself (mock, Bedrock).
#include <benchmark/benchmark.h>

#include "micro.hpp"
#include "openai/chunk.hpp"

namespace sb::bench {
namespace {

openai::ChunkEncoder encoder(bool include_usage) {
  return openai::ChunkEncoder("chatcmpl-AbCdEfGhIjKlMnOpQrStUvWx", 1731368639, "gpt-4o-mini", include_usage);
}

// One word-sized content delta, the common case on a voice stream.
void text_delta(benchmark::State& state) {
  const auto enc = encoder(false);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string ev = enc.text(" afternoon");
    bytes += ev.size();
    benchmark::DoNotOptimize(ev.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}

// A delta that needs JSON escaping (quotes, newline, non-ASCII passes through).
void text_delta_escaped(benchmark::State& state) {
  const auto enc = encoder(false);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string ev = enc.text("\"Sure\" — here:\n\tstep 1");
    bytes += ev.size();
    benchmark::DoNotOptimize(ev.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}

// A whole 64-chunk stream: role, 64 content deltas, finish, usage (include_usage), per stream.
void whole_stream(benchmark::State& state) {
  const bool usage = state.range(0) != 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto enc = encoder(usage);
    std::string ev = enc.role();
    bytes += ev.size();
    for (int i = 0; i < 64; ++i) {
      ev = enc.text(" word");
      bytes += ev.size();
      benchmark::DoNotOptimize(ev.data());
    }
    ev = enc.finish("stop");
    bytes += ev.size();
    ev = enc.usage(core::Usage{12, 64, 76});
    bytes += ev.size();
    benchmark::DoNotOptimize(ev.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * 67);  // events
}

void tool_call_fragment(benchmark::State& state) {
  const auto enc = encoder(false);
  core::ToolCallDelta d;
  d.index = 0;
  d.arguments = R"({"location":"Par)";
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string ev = enc.tool_call(d);
    bytes += ev.size();
    benchmark::DoNotOptimize(ev.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void register_chunk_benchmarks() {
  benchmark::RegisterBenchmark("chunk/text-delta", text_delta);
  benchmark::RegisterBenchmark("chunk/text-delta-escaped", text_delta_escaped);
  benchmark::RegisterBenchmark("chunk/tool-call-fragment", tool_call_fragment);
  benchmark::RegisterBenchmark("chunk/stream-64/include_usage", whole_stream)->Arg(0)->Arg(1);
}

}  // namespace sb::bench
