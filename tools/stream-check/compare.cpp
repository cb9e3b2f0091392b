#include "compare.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace sb::check {

namespace {

// Fields OpenAI itself sends only sometimes, or with random content: their absence is not a difference.
const std::set<std::string>& optional_fields() {
  static const std::set<std::string> fields{"obfuscation", "service_tier", "system_fingerprint"};
  return fields;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

std::string or_none(const std::string& s) {
  return s.empty() ? "none" : s;
}

std::string choice_label(int index) {
  return index == 0 ? std::string() : " (choice " + std::to_string(index) + ")";
}

std::vector<std::string> missing_fields(const std::set<std::string>& proxy, const std::set<std::string>& reference) {
  std::vector<std::string> out;
  for (const auto& f : reference)
    if (!proxy.count(f) && !optional_fields().count(f)) out.push_back(f);
  return out;
}

struct Differences {
  std::vector<Violation> out;
  void add(std::string code, std::string subject, std::string message) {
    out.push_back(Violation{std::move(code), std::move(message), 0, 1, std::move(subject)});
  }
};

// "the proxy sent one, the reference none" or the other way round.
std::string presence(bool proxy_has, const std::string& what) {
  return what + " presence differs: " +
         (proxy_has ? "the proxy sent it, the reference did not" : "the reference sent it, the proxy did not");
}

void compare_choice(Differences& d, const ChoiceShape& p, const ChoiceShape& r) {
  const std::string label = choice_label(p.index);
  const std::string subject = std::to_string(p.index);
  if (p.role != r.role)
    d.add("diff-role", subject, "role differs: " + or_none(p.role) + " vs " + or_none(r.role) + label);
  if (p.finish_reason != r.finish_reason)
    d.add("diff-finish-reason", subject,
          "finish_reason differs: " + or_none(p.finish_reason) + " vs " + or_none(r.finish_reason) + label);
  if (p.text.empty() != r.text.empty()) d.add("diff-text", subject, presence(!p.text.empty(), "text") + label);
  if (p.refusal.empty() != r.refusal.empty())
    d.add("diff-refusal", subject, presence(!p.refusal.empty(), "refusal") + label);
  if (p.tool_calls.size() != r.tool_calls.size()) {
    d.add("diff-tool-call-count", subject,
          "tool-call count differs: " + std::to_string(p.tool_calls.size()) + " vs " +
              std::to_string(r.tool_calls.size()) + label);
    return;
  }
  std::vector<std::string> pn, rn;
  for (const auto& t : p.tool_calls) pn.push_back(t.name);
  for (const auto& t : r.tool_calls) rn.push_back(t.name);
  if (pn != rn)
    d.add("diff-tool-call-names", subject, "tool-call names differ: " + joined(pn) + " vs " + joined(rn) + label);
}

}  // namespace

std::vector<Violation> compare_shapes(const StreamShape& proxy, const StreamShape& reference) {
  Differences d;
  // A stream that broke off says nothing about structure; its own violations already tell what happened.
  if (proxy.error_event || reference.error_event || proxy.choices.empty() || reference.choices.empty()) return d.out;

  if (proxy.choices.size() != reference.choices.size())
    d.add("diff-choice-count", "",
          "choice count differs: " + std::to_string(proxy.choices.size()) + " vs " +
              std::to_string(reference.choices.size()));
  for (const auto& p : proxy.choices) {
    const auto r = std::find_if(reference.choices.begin(), reference.choices.end(),
                                [&](const ChoiceShape& c) { return c.index == p.index; });
    if (r != reference.choices.end()) compare_choice(d, p, *r);
  }
  if (proxy.has_usage != reference.has_usage) d.add("diff-usage", "", presence(proxy.has_usage, "usage chunk"));
  if (proxy.done != reference.done) d.add("diff-done", "", presence(proxy.done, "[DONE]"));
  if (auto m = missing_fields(proxy.chunk_fields, reference.chunk_fields); !m.empty())
    d.add("diff-chunk-fields", "", "chunk fields the reference sends are missing in the proxy's: " + joined(m));
  if (auto m = missing_fields(proxy.choice_fields, reference.choice_fields); !m.empty())
    d.add("diff-choice-fields", "", "choices[] fields the reference sends are missing in the proxy's: " + joined(m));
  return d.out;
}

std::optional<double> percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size()));
  const auto i = static_cast<std::size_t>(std::max(rank, 1.0)) - 1;
  return values[std::min(i, values.size() - 1)];
}

Distribution distribution(const std::vector<double>& values) {
  Distribution d;
  d.n = values.size();
  d.p50 = percentile(values, 50);
  d.p90 = percentile(values, 90);
  d.p99 = percentile(values, 99);
  d.max = percentile(values, 100);
  return d;
}

}  // namespace sb::check
