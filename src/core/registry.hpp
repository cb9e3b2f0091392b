// The set of providers of this process and how a request picks one (SPEC §3).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/provider.hpp"

namespace sb::core {

class Registry {
 public:
  void add(std::unique_ptr<Provider> p);
  [[nodiscard]] Provider* find(std::string_view name) const;
  [[nodiscard]] const std::vector<std::unique_ptr<Provider>>& all() const { return providers_; }
  void set_default(std::string name) { default_ = std::move(name); }
  [[nodiscard]] const std::string& default_name() const { return default_; }

 private:
  std::vector<std::unique_ptr<Provider>> providers_;
  std::string default_;
};

struct Route {
  Provider* provider = nullptr;
  std::string model;
};

// `provider` field; else a `<provider>/<model>` prefix naming a known provider; else the default.
Expected<Route> route_request(const Registry& registry, const openai::ChatRequest& req);

}  // namespace sb::core
