// Recorded response bodies under --fixtures, loaded once and kept in memory for replay.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace mock_upstream {

struct Fixture {
  std::string content_type;
  unsigned status = 200;            // from the `<file>.meta.json` sidecar when present
  bool streaming = false;           // SSE: `pieces` are the events, each ending in a blank line
  std::vector<std::string> pieces;  // non-SSE: one piece, the whole body
};

struct FixtureError {
  unsigned status;  // 400 bad path, 404 missing file
  std::string message;
};

using FixtureResult = std::variant<std::shared_ptr<const Fixture>, FixtureError>;

class FixtureStore {
 public:
  explicit FixtureStore(std::filesystem::path root) : root_(std::move(root)) {}

  // `relative` must stay inside the root (no absolute paths, no `..`).
  FixtureResult load(const std::string& relative);

  // Splits an SSE body into events; each keeps its terminating blank line (LF or CRLF).
  static std::vector<std::string> split_sse_events(const std::string& body);

 private:
  std::filesystem::path root_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const Fixture>> cache_;
};

}  // namespace mock_upstream
