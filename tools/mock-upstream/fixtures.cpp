#include "fixtures.hpp"

#include <boost/json.hpp>

#include <array>
#include <cstdio>
#include <optional>

namespace mock_upstream {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return std::nullopt;
  std::string content;
  std::array<char, 16384> block{};
  std::size_t n = 0;
  while ((n = std::fread(block.data(), 1, block.size(), file.get())) > 0) content.append(block.data(), n);
  if (std::ferror(file.get())) return std::nullopt;
  return content;
}

std::string content_type_for(const fs::path& path) {
  const auto ext = path.extension().string();
  if (ext == ".sse") return "text/event-stream; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".eventstream") return "application/vnd.amazon.eventstream";
  return "application/octet-stream";
}

unsigned status_from_meta(const fs::path& path) {
  const auto meta = read_file(path.string() + ".meta.json");
  if (!meta) return 200;
  boost::system::error_code ec;
  const auto doc = boost::json::parse(*meta, ec);
  if (ec || !doc.is_object()) return 200;
  const auto* status = doc.as_object().if_contains("status");
  if (status == nullptr || !status->is_int64()) return 200;
  const auto value = status->as_int64();
  return value >= 100 && value <= 599 ? static_cast<unsigned>(value) : 200;
}

}  // namespace

std::vector<std::string> FixtureStore::split_sse_events(const std::string& body) {
  std::vector<std::string> events;
  std::size_t start = 0;
  while (start < body.size()) {
    const auto lf = body.find("\n\n", start);
    const auto crlf = body.find("\r\n\r\n", start);
    std::size_t end = std::string::npos;
    if (lf != std::string::npos && (crlf == std::string::npos || lf < crlf)) {
      end = lf + 2;
    } else if (crlf != std::string::npos) {
      end = crlf + 4;
    }
    if (end == std::string::npos) {  // unterminated tail: still send it, as recorded
      events.push_back(body.substr(start));
      break;
    }
    events.push_back(body.substr(start, end - start));
    start = end;
  }
  return events;
}

FixtureResult FixtureStore::load(const std::string& relative) {
  if (root_.empty()) {
    return FixtureError{400, "mock.file needs mock-upstream to be started with --fixtures DIR"};
  }
  const fs::path rel = fs::path(relative).lexically_normal();
  if (relative.empty() || rel.is_absolute() || rel.has_root_name() || (!rel.empty() && *rel.begin() == "..")) {
    return FixtureError{400, "mock.file must be a path inside the fixtures directory"};
  }
  const auto key = rel.generic_string();
  {
    const std::lock_guard lock(mutex_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  // First use only: a blocking read, then every replay is served from memory.
  const fs::path full = root_ / rel;
  auto body = read_file(full);
  if (!body) {
    return FixtureError{404, "fixture not found: " + key};
  }
  auto fixture = std::make_shared<Fixture>();
  fixture->content_type = content_type_for(full);
  fixture->status = status_from_meta(full);
  fixture->streaming = full.extension() == ".sse";
  if (fixture->streaming) {
    fixture->pieces = split_sse_events(*body);
  } else {
    fixture->pieces.push_back(std::move(*body));
  }
  const std::lock_guard lock(mutex_);
  return cache_.emplace(key, std::move(fixture)).first->second;
}

}  // namespace mock_upstream
