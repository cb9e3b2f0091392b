// Proxy keys (SWITCHBOARD_API_KEYS): held only as SHA-256 digests, each with a name that is safe to log.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace sb::core {

using KeyDigest = std::array<std::uint8_t, 32>;

KeyDigest sha256_digest(std::string_view data);

class ApiKeySet {
 public:
  // Parses `name1:key1,name2:key2,key3`. A bare key is named `key-<first 4 hex of its digest>`. An entry is split
  // at its first ':' only when the part before it is a valid name ([A-Za-z0-9_.-], 1–64 chars); a key that itself
  // contains ':' must therefore be written with a name. Errors name the offending entry by position, never
  // echoing key material.
  static Expected<ApiKeySet, std::string> parse(std::string_view spec);

  // Adds a key; returns false when the name is taken or the key is empty.
  bool add(std::string name, std::string_view key);

  // The name of the key whose digest matches `presented`, comparing against every key in constant time.
  [[nodiscard]] std::optional<std::string> match(std::string_view presented) const;

  [[nodiscard]] bool empty() const { return keys_.empty(); }
  [[nodiscard]] std::size_t size() const { return keys_.size(); }
  [[nodiscard]] std::vector<std::string> names() const;

 private:
  struct Entry {
    std::string name;
    KeyDigest digest{};
  };
  std::vector<Entry> keys_;
};

// The key of an `Authorization: Bearer <key>` header value (scheme matched case-insensitively), if any.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace sb::core
