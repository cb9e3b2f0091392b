// Access to the recorded wire-format fixtures in ../shared/fixtures.
#pragma once
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sb::test {

inline std::filesystem::path fixtures_dir() {
  return SWITCHBOARD_FIXTURES;
}

inline std::string read_fixture(const std::string& relative) {
  const auto path = fixtures_dir() / relative;
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read fixture " + path.string());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Relative paths of the files in a fixtures folder with the given extension (".sse", ".json"), sorted.
inline std::vector<std::string> list_fixtures(const std::string& folder, const std::string& ext) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(fixtures_dir() / folder)) {
    const auto name = e.path().filename().string();
    if (name.size() > ext.size() && name.ends_with(ext) && !name.ends_with(".meta.json"))
      out.push_back(folder + "/" + name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sb::test

#include <gtest/gtest.h>

namespace sb::test {

// gtest parameter name for a fixture path: its file name with non-alphanumerics as '_'.
inline std::string fixture_param_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string n = p.param.substr(p.param.rfind('/') + 1);
  for (auto& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

}  // namespace sb::test
