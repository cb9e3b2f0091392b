// Relay of recorded OpenAI streams through the proxy's SSE parser (src/http/sse.hpp).
#include <benchmark/benchmark.h>

#include <string_view>
#include <vector>

#include "fixtures.hpp"
#include "http/sse.hpp"
#include "micro.hpp"

namespace sb::bench {
namespace {

enum class Cut { whole, per_event, bytes64 };

// The stream as the socket would hand it over: in one piece, one event per read, or in 64-byte pieces.
std::vector<std::string_view> pieces(std::string_view s, Cut cut) {
  std::vector<std::string_view> out;
  if (cut == Cut::whole) {
    out.push_back(s);
  } else if (cut == Cut::bytes64) {
    for (std::size_t i = 0; i < s.size(); i += 64) out.push_back(s.substr(i, 64));
  } else {
    std::size_t start = 0;
    for (;;) {
      const std::size_t end = s.find("\n\n", start);
      if (end == std::string_view::npos) break;
      out.push_back(s.substr(start, end + 2 - start));
      start = end + 2;
    }
    if (start < s.size()) out.push_back(s.substr(start));
  }
  return out;
}

// Parser only: every event is looked at, nothing copied.
void parse(benchmark::State& state, const std::string& bytes, Cut cut) {
  const auto reads = pieces(bytes, cut);
  std::size_t events = 0;
  for (auto _ : state) {
    http::SseParser p;
    for (auto r : reads)
      p.feed(r, [&](const http::SseEvent& ev) {
        benchmark::DoNotOptimize(ev.raw.data());
        ++events;
      });
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
}

// What OpenAIProvider::relay_stream does per upstream read (as of this commit): parse, test for [DONE] and
// an in-stream error, copy each raw event into a vector<string>, then write each as one HTTP chunk (here:
// framed into an output buffer that is reused, standing in for the socket write).
void relay(benchmark::State& state, const std::string& bytes) {
  const auto reads = pieces(bytes, Cut::per_event);
  std::string wire;
  wire.reserve(64 * 1024);
  std::vector<std::string> events;
  std::size_t n_events = 0;
  for (auto _ : state) {
    http::SseParser p;
    std::string buf;
    for (auto r : reads) {
      buf.assign(r);  // read_some appends the de-chunked body to a string
      events.clear();
      bool done = false;
      p.feed(buf, [&](const http::SseEvent& ev) {
        if (!ev.has_data || done) return;
        if (ev.data == "[DONE]") {
          done = true;
          events.emplace_back();
          return;
        }
        if (ev.data.starts_with("{\"error\"")) return;
        events.emplace_back(ev.raw);
      });
      for (const auto& e : events) {
        char size[20];
        const int k = std::snprintf(size, sizeof size, "%zx\r\n", e.size());
        wire.clear();
        wire.append(size, static_cast<std::size_t>(k)).append(e).append("\r\n");
        benchmark::DoNotOptimize(wire.data());
        ++n_events;
      }
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(n_events));
}

}  // namespace

void register_sse_benchmarks() {
  const auto files = list_fixtures("openai/stream", ".sse");
  if (files.empty()) throw std::runtime_error("no openai/stream/*.sse fixtures under " + fixtures_dir().string());
  for (const auto& f : files) {
    const std::string bytes = read_fixture(f);
    const std::string name = f.substr(f.rfind('/') + 1);
    benchmark::RegisterBenchmark(("sse/parse/whole/" + name).c_str(), parse, bytes, Cut::whole);
    benchmark::RegisterBenchmark(("sse/parse/per-event/" + name).c_str(), parse, bytes, Cut::per_event);
    benchmark::RegisterBenchmark(("sse/parse/64B-reads/" + name).c_str(), parse, bytes, Cut::bytes64);
    benchmark::RegisterBenchmark(("sse/relay/per-event/" + name).c_str(), relay, bytes);
  }
}

}  // namespace sb::bench
