// Reading the recorded wire formats (../shared/fixtures) for the micro benchmarks.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sb::bench {

// SB_FIXTURES overrides the directory configured at build time.
inline std::filesystem::path fixtures_dir() {
  if (const char* env = std::getenv("SB_FIXTURES"); env != nullptr && *env != '\0') return env;
  return SB_FIXTURES_DIR;
}

inline std::string read_fixture(const std::string& relative) {
  const auto path = fixtures_dir() / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + path.string() + " (set SB_FIXTURES)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Fixture files of one folder with this extension, sorted, relative to the fixtures root.
inline std::vector<std::string> list_fixtures(const std::string& folder, const std::string& ext) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(fixtures_dir() / folder, ec))
    if (e.path().extension() == ext) out.push_back(folder + "/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sb::bench
