// Helpers for the switchboard-check tests: recorded OpenAI streams as lists of events, and back to SSE bytes.
#pragma once
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../../tools/stream-check/validator.hpp"
#include "http/sse.hpp"

namespace sb::check::test_support {

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path.string());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::string fixture(const std::string& relative) {
  return read_file(std::filesystem::path(SWITCHBOARD_FIXTURES) / relative);
}

// Whether the recorded request asked for the usage chunk (its .meta.json keeps the request body).
inline bool fixture_include_usage(const std::string& relative) {
  const auto meta = boost::json::parse(fixture(relative + ".meta.json"));
  const auto* so = meta.at("request").at("body").as_object().if_contains("stream_options");
  return so && so->as_object().contains("include_usage") && so->at("include_usage").as_bool();
}

// The `data:` payloads of an SSE body, in order.
inline std::vector<std::string> events_of(const std::string& body) {
  std::vector<std::string> out;
  http::SseParser p;
  p.feed(body, [&](const http::SseEvent& e) {
    if (e.has_data) out.emplace_back(e.data);
  });
  return out;
}

inline std::string sse_of(const std::vector<std::string>& events) {
  std::string out;
  for (const auto& e : events) out += "data: " + e + "\n\n";
  return out;
}

inline boost::json::value json_of(const std::string& event) {
  return boost::json::parse(event);
}
inline std::string text_of(const boost::json::value& v) {
  return boost::json::serialize(v);
}

inline ValidationResult validate(const std::vector<std::string>& events, bool include_usage = true) {
  return validate_sse_body(sse_of(events), ValidatorOptions{include_usage});
}

inline std::string codes(const ValidationResult& r) {
  std::string out;
  for (const auto& v : r.violations) out += v.code + " [" + describe(v) + "]\n";
  return out;
}

}  // namespace sb::check::test_support
