// switchboard-check: proxy-vs-reference structure comparison and the statistics over several runs.
// Pure logic: shapes and numbers in, violations and summaries out.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "validator.hpp"

namespace sb::check {

// Structural differences between two streams answering the same request: choice count, roles, finish
// reasons, text present or not, tool-call count and names, usage presence, and chunk/choice fields the
// reference sends that the proxy lacks (random or optional ones such as obfuscation excepted).
// Text itself may differ: models are not deterministic.
std::vector<Violation> compare_shapes(const StreamShape& proxy, const StreamShape& reference);

// Nearest-rank percentile (p in [0, 100]) of `values`; nullopt when empty.
std::optional<double> percentile(std::vector<double> values, double p);

struct Distribution {
  std::size_t n = 0;
  std::optional<double> p50, p90, p99, max;
};
Distribution distribution(const std::vector<double>& values);

}  // namespace sb::check
