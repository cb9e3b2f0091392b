// Decoding recorded Bedrock InvokeAgent event streams (src/aws/eventstream.hpp).
#include <benchmark/benchmark.h>

#include "aws/eventstream.hpp"
#include "fixtures.hpp"
#include "micro.hpp"

namespace sb::bench {
namespace {

namespace es = aws::eventstream;

// The whole recording in one feed.
void decode_whole(benchmark::State& state, const std::string& bytes) {
  std::size_t messages = 0;
  for (auto _ : state) {
    es::Decoder d;
    auto r = d.feed(std::string_view(bytes));
    if (r.error) {
      state.SkipWithError(r.error->message.c_str());
      return;
    }
    messages += r.messages.size();
    benchmark::DoNotOptimize(r.messages.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(messages));
}

// As a socket delivers it: 1 KiB reads, cutting messages anywhere.
void decode_1k_reads(benchmark::State& state, const std::string& bytes) {
  std::size_t messages = 0;
  for (auto _ : state) {
    es::Decoder d;
    for (std::size_t i = 0; i < bytes.size(); i += 1024) {
      auto r = d.feed(std::string_view(bytes).substr(i, 1024));
      messages += r.messages.size();
      benchmark::DoNotOptimize(r.messages.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(messages));
}

}  // namespace

void register_eventstream_benchmarks() {
  const auto files = list_fixtures("bedrock/invoke-agent", ".eventstream");
  if (files.empty())
    throw std::runtime_error("no bedrock/invoke-agent/*.eventstream fixtures under " + fixtures_dir().string());
  for (const auto& f : files) {
    const std::string bytes = read_fixture(f);
    const std::string name = f.substr(f.rfind('/') + 1);
    benchmark::RegisterBenchmark(("eventstream/decode/whole/" + name).c_str(), decode_whole, bytes);
    benchmark::RegisterBenchmark(("eventstream/decode/1KiB-reads/" + name).c_str(), decode_1k_reads, bytes);
  }
}

}  // namespace sb::bench
