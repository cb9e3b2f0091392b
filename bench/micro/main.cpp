// sb-micro: Google Benchmark micro benchmarks of switchboard's hot-path building blocks.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "micro.hpp"

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  try {
    sb::bench::register_request_benchmarks();
    sb::bench::register_chunk_benchmarks();
    sb::bench::register_sse_benchmarks();
    sb::bench::register_eventstream_benchmarks();
    sb::bench::register_sigv4_benchmarks();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sb-micro: %s\n", e.what());
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
