// AWS event-stream decoder: any bytes decode to a message or an error value (never a crash); decoded messages
// re-encode to bytes that decode to the same message; the incremental decoder agrees with decode_one.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "aws/eventstream.hpp"

namespace es = sb::aws::eventstream;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const es::DecoderLimits limits{1 << 20};

  // Message by message with decode_one.
  std::vector<es::Message> one_by_one;
  bool error = false;
  for (std::string_view rest = input; !rest.empty();) {
    auto r = es::decode_one(rest, limits);
    if (auto* d = std::get_if<es::Decoded>(&r)) {
      if (d->consumed == 0 || d->consumed > rest.size()) std::abort();
      const std::string again = es::encode(d->frame.message);
      auto r2 = es::decode_one(again, limits);
      auto* d2 = std::get_if<es::Decoded>(&r2);
      if (d2 == nullptr || !(d2->frame.message == d->frame.message) || d2->consumed != again.size()) std::abort();
      one_by_one.push_back(std::move(d->frame.message));
      rest.remove_prefix(d->consumed);
    } else {
      error = std::holds_alternative<es::DecodeError>(r);
      break;
    }
  }

  // The same bytes through the incremental decoder, cut into pieces.
  es::Decoder dec(limits);
  std::vector<es::Message> streamed;
  bool stream_error = false;
  std::size_t pos = 0, step = 0;
  while (pos < input.size()) {
    const std::size_t n = std::min<std::size_t>(1 + (step * 31 + (size & 0xff)) % 97, input.size() - pos);
    auto fr = dec.feed(input.substr(pos, n));
    for (auto& m : fr.messages) streamed.push_back(std::move(m));
    if (fr.error) stream_error = true;
    pos += n;
    ++step;
  }
  if (streamed != one_by_one) std::abort();
  if (stream_error != error) std::abort();
  return 0;
}
