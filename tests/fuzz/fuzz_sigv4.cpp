// SigV4: requests in the test-suite's request.txt shape (method path?query, header lines, blank line, body) are
// canonicalised and signed without crashing; the results have the documented shape.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "aws/sigv4.hpp"

namespace {

std::string_view next_line(std::string_view& in) {
  const auto nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  sb::aws::SignableRequest req;
  const std::string_view first = next_line(in);
  const auto sp1 = first.find(' ');
  req.method = std::string(first.substr(0, sp1));
  std::string_view target = sp1 == std::string_view::npos ? std::string_view("/") : first.substr(sp1 + 1);
  if (const auto sp2 = target.rfind(' '); sp2 != std::string_view::npos) target = target.substr(0, sp2);
  const auto q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  while (!in.empty()) {
    const std::string_view line = next_line(in);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (!req.headers.empty()) req.headers.back().second += "\n" + std::string(line);  // folded value
      continue;
    }
    req.headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  req.body = in;

  const sb::aws::Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", size % 2 ? "token" : ""};
  sb::aws::SigningParams params;
  params.region = "us-east-1";
  params.service = "service";
  params.time = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
  params.normalize_path = size % 3 != 0;
  params.encode_path = size % 5 != 0;
  params.sign_body = size % 7 == 0;
  const auto signed_req = sb::aws::sign(req, creds, params);
  if (!is_hex64(signed_req.signature) || signed_req.authorization.find(signed_req.signature) == std::string::npos)
    std::abort();
  const auto presigned = sb::aws::presign(req, creds, params, std::chrono::seconds(3600));
  if (!is_hex64(presigned.signature) || presigned.signed_query.find(presigned.signature) == std::string::npos)
    std::abort();
  // The building blocks on the raw pieces.
  (void)sb::aws::canonical_uri(req.path, true, true);
  (void)sb::aws::canonical_uri(req.path, false, false);
  (void)sb::aws::canonical_query(req.query);
  if (sb::aws::uri_encode(req.path).find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%") != std::string::npos)
    std::abort();
  return 0;
}
