// SSE parser: any bytes, cut anywhere, give the same events as the whole input; nothing is lost or invented.
// The events' data, checked in order by one EventChecker (as a relayed stream's are), get the same answers and
// facts as is_json_object gives each alone, and is_json_object (its fast check) gives the reference's (Boost.JSON's
// basic_parser) on each event and on the whole input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "http/sse.hpp"
#include "openai/json_text.hpp"

namespace {

struct Seen {
  std::string raw, event, data;
  bool has_data;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> parse(std::string_view input, std::size_t cut_seed, std::size_t* pending) {
  sb::http::SseParser p(1 << 20);
  std::vector<Seen> out;
  std::size_t pos = 0, step = 0;
  while (pos < input.size()) {
    std::size_t n = cut_seed == 0 ? input.size() : 1 + (cut_seed * (step + 7) + step * step) % 13;
    n = std::min(n, input.size() - pos);
    // Each piece lives only for its feed(): the parser must have copied whatever it keeps (ASan sees the rest).
    const std::string piece(input.substr(pos, n));
    p.feed(piece, [&](const sb::http::SseEvent& e) {
      out.push_back({std::string(e.raw), std::string(e.event), std::string(e.data), e.has_data});
    });
    pos += n;
    ++step;
  }
  *pending = p.pending();
  return out;
}

bool same_facts(const sb::core::BodyFacts& a, const sb::core::BodyFacts& b) {
  if (a.finish_reason != b.finish_reason || a.usage.has_value() != b.usage.has_value()) return false;
  return !a.usage || (a.usage->prompt_tokens == b.usage->prompt_tokens &&
                      a.usage->completion_tokens == b.usage->completion_tokens &&
                      a.usage->total_tokens == b.usage->total_tokens);
}

// is_json_object's answer on `text`, after checking that it is the reference's (and so are the facts).
bool checked_is_json_object(std::string_view text, sb::core::BodyFacts& facts) {
  sb::core::BodyFacts ref;
  const bool a = sb::openai::is_json_object(text, 64, &facts);
  if (a != sb::openai::detail::reference_is_json_object(text, 64, &ref) || (a && !same_facts(facts, ref))) std::abort();
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t cut_seed = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t pending_whole = 0, pending_split = 0;
  const auto whole = parse(input, 0, &pending_whole);
  const auto split = parse(input, cut_seed | 1, &pending_split);
  if (whole != split || pending_whole != pending_split) std::abort();
  std::size_t consumed = pending_whole;
  for (const auto& e : whole) consumed += e.raw.size();
  if (consumed != input.size()) std::abort();  // every byte is in an event or still pending
  sb::core::BodyFacts whole_facts;
  (void)checked_is_json_object(input, whole_facts);
  sb::openai::EventChecker checker;
  for (const auto& e : whole) {
    if (!e.has_data) continue;
    sb::core::BodyFacts alone, in_order;
    const bool a = checked_is_json_object(e.data, alone);
    if (checker.check(e.data, in_order) != a || (a && !same_facts(alone, in_order))) std::abort();
  }
  return 0;
}
