// switchboard-check: what the runs found, as a side-by-side table or a JSON document.
#pragma once
#include <boost/json/object.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "stream_client.hpp"

namespace sb::check {

struct SideReport {
  std::string name;  // "proxy" / "reference"
  std::string url;
  std::vector<RunResult> runs;
};

struct Report {
  std::string model;
  std::string provider;
  bool deepgram = false;
  bool include_usage = true;
  int concurrency = 1;
  SideReport proxy;
  std::optional<SideReport> reference;
  std::vector<std::vector<Violation>> comparisons;  // per run: proxy run i vs reference run i
};

// Fills report.comparisons from the runs' shapes.
void compare_runs(Report& report);

// One line per distinct violation, prefixed with its side ("proxy: ", "reference: ", "proxy vs reference: "),
// with "[k of N runs]" when there were several runs.
std::vector<std::string> violation_lines(const Report& report);

void print_table(std::ostream& out, const Report& report);
boost::json::object to_json(const Report& report);

}  // namespace sb::check
