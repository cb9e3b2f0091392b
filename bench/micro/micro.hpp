// Registration hooks of the micro benchmark files (called from main before the run).
#pragma once

namespace sb::bench {
void register_request_benchmarks();
void register_chunk_benchmarks();
void register_sse_benchmarks();
void register_eventstream_benchmarks();
void register_sigv4_benchmarks();
}  // namespace sb::bench
