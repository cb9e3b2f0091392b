#include "core/api_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

namespace sb::core {
namespace {

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string default_name(const KeyDigest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = "key-";
  for (int i = 0; i < 2; ++i) {
    name += kHex[d[i] >> 4];
    name += kHex[d[i] & 0xF];
  }
  return name;
}

}  // namespace

KeyDigest sha256_digest(std::string_view data) {
  KeyDigest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

Expected<ApiKeySet, std::string> ApiKeySet::parse(std::string_view spec) {
  ApiKeySet set;
  std::size_t index = 0;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string_view entry = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    ++index;
    if (entry.empty()) continue;
    std::string name;
    std::string_view key = entry;
    if (const auto colon = entry.find(':'); colon != std::string_view::npos && valid_name(entry.substr(0, colon))) {
      name = std::string(entry.substr(0, colon));
      key = trim(entry.substr(colon + 1));
    }
    if (key.empty()) return "SWITCHBOARD_API_KEYS entry " + std::to_string(index) + " has an empty key";
    if (name.empty()) name = default_name(sha256_digest(key));
    if (!set.add(name, key))
      return "SWITCHBOARD_API_KEYS entry " + std::to_string(index) + ": the key name '" + name + "' is used twice";
  }
  return set;
}

bool ApiKeySet::add(std::string name, std::string_view key) {
  if (key.empty()) return false;
  if (std::any_of(keys_.begin(), keys_.end(), [&](const Entry& e) { return e.name == name; })) return false;
  keys_.push_back({std::move(name), sha256_digest(key)});
  return true;
}

std::optional<std::string> ApiKeySet::match(std::string_view presented) const {
  // Digests have a fixed length, so neither the comparison nor its timing depends on the presented key's length;
  // every key is compared, so the timing does not reveal which one matched.
  const KeyDigest d = sha256_digest(presented);
  std::size_t found = keys_.size();
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const bool eq = CRYPTO_memcmp(keys_[i].digest.data(), d.data(), d.size()) == 0;
    found = eq ? i : found;
  }
  if (found == keys_.size()) return std::nullopt;
  return keys_[found].name;
}

std::vector<std::string> ApiKeySet::names() const {
  std::vector<std::string> out;
  out.reserve(keys_.size());
  for (const auto& e : keys_) out.push_back(e.name);
  return out;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  authorization = trim(authorization);
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i]) return std::nullopt;
  }
  const char sep = authorization[kScheme.size()];
  if (sep != ' ' && sep != '\t') return std::nullopt;
  std::string_view token = trim(authorization.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace sb::core
