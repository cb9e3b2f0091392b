// Random text mutations for the differential tests: a fixed seed, so a failing input reproduces.
#pragma once
#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace sb::test {

class Mutator {
 public:
  explicit Mutator(std::uint64_t seed = 20261203) : rng_(seed) {}

  // A number in [0, n).
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }

  // 1 to `max_edits` edits of `text`, each at a random place: a token inserted, 1–3 bytes cut, or a byte replaced
  // by a token.
  void edit(std::string& text, const std::vector<std::string>& tokens, std::size_t max_edits) {
    for (std::size_t m = 0, n = 1 + pick(max_edits); m < n; ++m) {
      const std::size_t at = pick(text.size() + 1);
      switch (pick(3)) {
        case 0: text.insert(at, tokens[pick(tokens.size())]); break;
        case 1: text.erase(at, 1 + pick(3)); break;
        default: text.replace(at, 1, tokens[pick(tokens.size())]); break;
      }
    }
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace sb::test
