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
  void set_models(std::vector<ModelRoute> models) { models_ = std::move(models); }
  [[nodiscard]] const std::vector<ModelRoute>& models() const { return models_; }
  [[nodiscard]] const ModelRoute* find_model(std::string_view name) const;
  [[nodiscard]] const std::string& default_name() const { return default_; }

 private:
  std::vector<std::unique_ptr<Provider>> providers_;
  std::string default_;
  std::vector<ModelRoute> models_;
};

struct Target {
  Provider* provider = nullptr;
  std::string model;
};

struct Route {
  Provider* provider = nullptr;  // the primary
  std::string model;
  std::vector<Target> fallbacks;  // tried in order when the primary fails before the first byte
};

// `provider` field; else a `<provider>/<model>` prefix naming a known provider; else the model's route in the
// config; else the default provider.
Expected<Route> route_request(const Registry& registry, const openai::ChatRequest& req);

}  // namespace sb::core
