#include "http/request_id.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>

namespace sb::http {
namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen{[] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }()};
  return gen;
}

bool sane(std::string_view v) {
  if (v.empty() || v.size() > 128) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':';
  });
}

// `prefix` then a random UUID (version 4, variant 10xx) in its 8-4-4-4-12 hex form, built in place.
std::string random_uuid(std::string_view prefix) {
  std::array<std::uint8_t, 16> b{};
  const std::uint64_t hi = rng()(), lo = rng()();
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<std::uint8_t>(hi >> (8 * i));
    b[8 + i] = static_cast<std::uint8_t>(lo >> (8 * i));
  }
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  char text[36];
  char* p = text;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = kHex[b[i] >> 4];
    *p++ = kHex[b[i] & 0xF];
  }
  std::string out;
  out.reserve(prefix.size() + sizeof text);
  out.append(prefix);
  out.append(text, sizeof text);
  return out;
}

}  // namespace

std::string uuid4() { return random_uuid(""); }

std::string make_request_id(std::string_view client_value) {
  if (sane(client_value)) return std::string(client_value);
  return random_uuid("req_");
}

}  // namespace sb::http
