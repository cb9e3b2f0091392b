#include "report.hpp"

#include <boost/json/array.hpp>
#include <cstdio>
#include <iomanip>

#include "compare.hpp"

namespace sb::check {

namespace json = boost::json;

namespace {

std::string num(std::optional<double> v, int decimals = 1) {
  if (!v) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, *v);
  return buf;
}

json::value jnum(std::optional<double> v) {
  if (!v) return nullptr;
  return std::round(*v * 100.0) / 100.0;
}

struct SideFigures {
  std::vector<double> ttft, total, headers, gaps, chunks, cps;
};

SideFigures figures(const SideReport& side) {
  SideFigures f;
  for (const auto& r : side.runs) {
    const auto& s = r.validation.stats;
    if (s.ttft_ms) f.ttft.push_back(*s.ttft_ms);
    if (r.headers_ms) f.headers.push_back(*r.headers_ms);
    f.total.push_back(r.total_ms);
    f.gaps.insert(f.gaps.end(), s.gaps_ms.begin(), s.gaps_ms.end());
    f.chunks.push_back(static_cast<double>(s.chunks));
    if (auto c = s.chars_per_second()) f.cps.push_back(*c);
  }
  return f;
}

std::size_t failed_runs(const SideReport& side) {
  std::size_t n = 0;
  for (const auto& r : side.runs) n += !r.validation.violations.empty();
  return n;
}

std::string finish_reasons(const StreamShape& s) {
  std::string out;
  for (const auto& c : s.choices)
    out += (out.empty() ? "" : ", ") + (c.finish_reason.empty() ? "none" : c.finish_reason);
  return out.empty() ? "none" : out;
}

std::string tool_calls(const StreamShape& s) {
  std::string out;
  for (const auto& c : s.choices)
    for (const auto& t : c.tool_calls) out += (out.empty() ? "" : ", ") + (t.name.empty() ? "?" : t.name);
  return out.empty() ? "none" : out;
}

std::string usage(const StreamShape& s) {
  if (!s.has_usage) return "none";
  return std::to_string(s.prompt_tokens) + " + " + std::to_string(s.completion_tokens) + " = " +
         std::to_string(s.total_tokens);
}

// Rows of the table: a label and one cell per side.
using Row = std::pair<std::string, std::vector<std::string>>;

std::vector<std::string> side_cells(const SideReport& side, std::size_t runs) {
  const SideFigures f = figures(side);
  const RunResult& first = side.runs.front();
  const StreamShape& shape = first.validation.shape;
  const auto gaps = distribution(f.gaps);
  const std::size_t failed = failed_runs(side);
  std::vector<std::string> c;
  c.push_back(side.url);
  c.push_back(failed == 0 ? "ok"
              : runs == 1 ? std::to_string(first.validation.violations.size()) + " violation(s)"
                          : std::to_string(failed) + " of " + std::to_string(runs) + " runs failed");
  c.push_back(first.status ? std::to_string(first.status) + " " + first.content_type : "no response");
  c.push_back(shape.model.empty() ? "-" : shape.model);
  c.push_back(finish_reasons(shape));
  c.push_back(tool_calls(shape));
  c.push_back(usage(shape));
  c.push_back(runs == 1 ? std::to_string(first.validation.stats.chunks) : num(percentile(f.chunks, 50), 0) + " (p50)");
  c.push_back(std::to_string(first.validation.stats.keepalives));
  if (runs == 1) {
    c.push_back(num(first.headers_ms));
    c.push_back(num(first.validation.stats.ttft_ms));
    c.push_back(num(first.total_ms));
  } else {
    const auto t = distribution(f.ttft), tot = distribution(f.total), h = distribution(f.headers);
    c.push_back(num(h.p50) + " / " + num(h.p90) + " / " + num(h.p99));
    c.push_back(num(t.p50) + " / " + num(t.p90) + " / " + num(t.p99));
    c.push_back(num(tot.p50) + " / " + num(tot.p90) + " / " + num(tot.p99));
  }
  c.push_back(num(gaps.p50) + " / " + num(gaps.p99) + " / " + num(gaps.max));
  c.push_back(num(percentile(f.cps, 50), 0));
  return c;
}

json::object distribution_json(const std::vector<double>& values) {
  const auto d = distribution(values);
  return json::object{
      {"n", d.n}, {"p50", jnum(d.p50)}, {"p90", jnum(d.p90)}, {"p99", jnum(d.p99)}, {"max", jnum(d.max)}};
}

json::object run_json(const RunResult& r) {
  const auto& s = r.validation.stats;
  const auto& shape = r.validation.shape;
  json::array choices;
  for (const auto& c : shape.choices) {
    json::array tools;
    for (const auto& t : c.tool_calls)
      tools.push_back(json::object{{"index", t.index}, {"id", t.id}, {"name", t.name}, {"arguments", t.arguments}});
    choices.push_back(
        json::object{{"index", c.index},
                     {"role", c.role},
                     {"finish_reason", c.finish_reason.empty() ? json::value(nullptr) : json::value(c.finish_reason)},
                     {"text", c.text},
                     {"tool_calls", std::move(tools)}});
  }
  json::array violations;
  for (const auto& v : r.validation.violations)
    violations.push_back(
        json::object{{"code", v.code}, {"message", describe(v)}, {"event", v.event}, {"count", v.count}});
  const auto gaps = distribution(s.gaps_ms);
  json::value usage = nullptr;
  if (shape.has_usage)
    usage = json::object{{"prompt_tokens", shape.prompt_tokens},
                         {"completion_tokens", shape.completion_tokens},
                         {"total_tokens", shape.total_tokens}};
  return json::object{
      {"status", r.status},
      {"content_type", r.content_type},
      {"id", shape.id},
      {"model", shape.model},
      {"headers_ms", jnum(r.headers_ms)},
      {"ttft_ms", jnum(s.ttft_ms)},
      {"total_ms", jnum(r.total_ms)},
      {"chunks", s.chunks},
      {"content_chunks", s.content_chunks},
      {"keepalives", s.keepalives},
      {"content_chars", s.content_chars},
      {"chars_per_second", jnum(s.chars_per_second())},
      {"gaps_ms", json::object{{"p50", jnum(gaps.p50)}, {"p99", jnum(gaps.p99)}, {"max", jnum(gaps.max)}}},
      {"done", shape.done},
      {"usage", std::move(usage)},
      {"choices", std::move(choices)},
      {"violations", std::move(violations)}};
}

json::object side_json(const SideReport& side) {
  const SideFigures f = figures(side);
  json::array runs;
  for (const auto& r : side.runs) runs.push_back(run_json(r));
  return json::object{{"url", side.url},
                      {"ok", failed_runs(side) == 0},
                      {"summary", json::object{{"headers_ms", distribution_json(f.headers)},
                                               {"ttft_ms", distribution_json(f.ttft)},
                                               {"total_ms", distribution_json(f.total)},
                                               {"gaps_ms", distribution_json(f.gaps)},
                                               {"chunks_p50", jnum(percentile(f.chunks, 50))},
                                               {"chars_per_second_p50", jnum(percentile(f.cps, 50))}}},
                      {"runs", std::move(runs)}};
}

struct Folded {
  std::string message;
  std::size_t runs = 0;
};

void fold(std::vector<std::pair<std::string, Folded>>& into, const std::vector<Violation>& violations) {
  for (const auto& v : violations) {
    const std::string key = v.code + "\n" + v.subject;
    auto it = std::find_if(into.begin(), into.end(), [&](const auto& p) { return p.first == key; });
    if (it == into.end()) {
      into.emplace_back(key, Folded{describe(v), 1});
    } else {
      ++it->second.runs;
    }
  }
}

}  // namespace

void compare_runs(Report& report) {
  report.comparisons.clear();
  if (!report.reference) return;
  const std::size_t n = std::min(report.proxy.runs.size(), report.reference->runs.size());
  for (std::size_t i = 0; i < n; ++i)
    report.comparisons.push_back(
        compare_shapes(report.proxy.runs[i].validation.shape, report.reference->runs[i].validation.shape));
}

std::vector<std::string> violation_lines(const Report& report) {
  std::vector<std::string> lines;
  const std::size_t runs = report.proxy.runs.size();
  auto emit = [&](const std::string& prefix, const std::vector<std::pair<std::string, Folded>>& folded) {
    for (const auto& [key, f] : folded)
      lines.push_back(prefix + f.message +
                      (runs > 1 ? " [" + std::to_string(f.runs) + " of " + std::to_string(runs) + " runs]" : ""));
  };
  std::vector<std::pair<std::string, Folded>> proxy, reference, comparison;
  for (const auto& r : report.proxy.runs) fold(proxy, r.validation.violations);
  if (report.reference)
    for (const auto& r : report.reference->runs) fold(reference, r.validation.violations);
  for (const auto& c : report.comparisons) fold(comparison, c);
  emit("proxy: ", proxy);
  emit("reference: ", reference);
  emit("proxy vs reference: ", comparison);
  return lines;
}

void print_table(std::ostream& out, const Report& report) {
  const std::size_t runs = report.proxy.runs.size();
  const bool many = runs > 1;
  const std::vector<std::string> labels{"url",
                                        "result",
                                        "HTTP",
                                        "model",
                                        "finish_reason",
                                        "tool calls",
                                        "usage",
                                        "chunks",
                                        "keep-alives",
                                        many ? "headers ms p50/p90/p99" : "headers ms",
                                        many ? "TTFT ms p50/p90/p99" : "TTFT ms",
                                        many ? "total ms p50/p90/p99" : "total ms",
                                        "gap ms p50/p99/max",
                                        "chars/s"};
  const auto proxy = side_cells(report.proxy, runs);
  const auto reference = report.reference ? side_cells(*report.reference, runs) : std::vector<std::string>{};
  out << "switchboard-check: model " << report.model << (report.provider.empty() ? "" : ", provider " + report.provider)
      << (report.deepgram ? ", Deepgram think request" : "") << ", " << runs << " run(s), concurrency "
      << report.concurrency << ", include_usage " << (report.include_usage ? "on" : "off") << "\n\n";
  std::size_t width = 34;
  for (const auto& c : proxy) width = std::max(width, c.size() + 2);
  auto row = [&](const std::string& label, const std::string& p, const std::string& r) {
    out << std::left << std::setw(24) << label;
    if (report.reference) {
      out << std::setw(static_cast<int>(width)) << p << r;
    } else {
      out << p;
    }
    out << "\n";
  };
  row("", "proxy", "reference");
  for (std::size_t i = 0; i < labels.size(); ++i) row(labels[i], proxy[i], report.reference ? reference[i] : "");
  const auto lines = violation_lines(report);
  out << "\n";
  if (lines.empty()) {
    out << (report.reference ? "OK: both streams are valid and alike\n" : "OK: the proxy's stream is valid\n");
  } else {
    for (const auto& l : lines) out << l << "\n";
    out << "FAIL: " << lines.size() << " violation(s)\n";
  }
}

json::object to_json(const Report& report) {
  json::array comparisons;
  for (const auto& c : report.comparisons) {
    json::array run;
    for (const auto& v : c) run.push_back(json::object{{"code", v.code}, {"message", v.message}});
    comparisons.push_back(std::move(run));
  }
  json::array lines;
  for (auto& l : violation_lines(report)) lines.push_back(json::value(l));
  const bool ok = lines.empty();
  return json::object{
      {"ok", ok},
      {"model", report.model},
      {"provider", report.provider.empty() ? json::value(nullptr) : json::value(report.provider)},
      {"deepgram", report.deepgram},
      {"include_usage", report.include_usage},
      {"runs", report.proxy.runs.size()},
      {"concurrency", report.concurrency},
      {"proxy", side_json(report.proxy)},
      {"reference", report.reference ? json::value(side_json(*report.reference)) : json::value(nullptr)},
      {"comparison", std::move(comparisons)},
      {"violations", std::move(lines)}};
}

}  // namespace sb::check
