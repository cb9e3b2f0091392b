// Chat-request mapping: parse_chat_request + route_request + forward_body on any body. Invariants: errors are
// 4xx OpenAI errors naming a parameter where one applies; the one-pass scan accepts and refuses exactly as the
// checks written over a JSON tree (tests/support/chat_request_reference.hpp), with the same fields and error; a
// parsed request's tree has only finite numbers, and it forwards as valid JSON, that tree with the model set and
// without the extension fields (doubles within a few ulps: Boost.JSON's reading of a number depends on its place);
// and forwarding is stable (parsing the forwarded body forwards to the same bytes).
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/registry.hpp"
#include "core/settings.hpp"
#include "openai/request.hpp"
#include "providers/registry.hpp"
#include "support/chat_request_reference.hpp"

namespace {

const sb::core::Registry& registry() {
  static const sb::core::Registry r = [] {
    sb::core::Settings s;
    s.openai_api_key = "sk-fuzz";
    s.openai_base_url = "http://127.0.0.1:9/v1";  // never contacted: the fuzzer only routes
    auto built = sb::providers::build_registry(s);
    if (!built) std::abort();
    return std::move(*built);
  }();
  return r;
}

// Equal trees, doubles within a few units in the last place: Boost.JSON's reading of a long number depends on how
// many bytes follow it, and forwarding moves members.
bool same(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [k, v] : x)
      if (const auto* w = y.if_contains(k); w == nullptr || !same(v, *w)) return false;
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const sb::openai::ParseLimits limits{32, 1000};
  if (!sb::test::reference_disagrees(body, limits).empty()) std::abort();
  auto parsed = sb::openai::parse_chat_request(body, limits);
  if (!parsed) {
    const auto& e = parsed.error();
    if (e.status != 400 || e.type != "invalid_request_error" || !e.code) std::abort();
    (void)boost::json::parse(e.body());  // always valid JSON
    return 0;
  }
  const auto& req = *parsed;
  if (!sb::openai::numbers_finite(req.body())) std::abort();  // number_beyond_range refused the rest
  (void)sb::openai::last_user_text(req);
  for (const auto& m : req.messages())
    if (const auto* c = m.as_object().if_contains("content")) (void)sb::openai::content_text(*c);
  auto route = sb::core::route_request(registry(), req);
  if (!route) {
    const int st = route.error().status;
    if (st != 400 && st != 503) std::abort();
    return 0;
  }
  const std::string forwarded = sb::openai::forward_body(req, route->model);
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 64;
  const auto v = boost::json::parse(forwarded, ec, {}, opts);
  if (ec || !v.is_object()) std::abort();
  if (v.as_object().contains("provider") || v.as_object().contains("session_id")) std::abort();
  const auto* model = v.as_object().if_contains("model");
  if (model == nullptr || !model->is_string() || model->as_string() != route->model) std::abort();
  // It is the request's tree with the model set: nothing else added, lost or changed.
  boost::json::object expected = req.body();
  expected["model"] = route->model;
  if (!same(v, expected)) std::abort();
  // Forwarding a forwarded body changes nothing.
  auto again = sb::openai::parse_chat_request(forwarded, limits);
  if (!again) std::abort();
  if (sb::openai::forward_body(*again, route->model) != forwarded) std::abort();
  return 0;
}
