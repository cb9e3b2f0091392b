#include "core/registry.hpp"

namespace sb::core {

void Registry::add(std::unique_ptr<Provider> p) {
  for (auto& existing : providers_) {
    if (existing->name() == p->name()) {
      existing = std::move(p);  // a later definition of the same name replaces the earlier one
      return;
    }
  }
  providers_.push_back(std::move(p));
}

Provider* Registry::find(std::string_view name) const {
  for (const auto& p : providers_)
    if (p->name() == name) return p.get();
  return nullptr;
}

const ModelRoute* Registry::find_model(std::string_view name) const {
  for (const auto& m : models_)
    if (m.name == name) return &m;
  return nullptr;
}

Expected<Route> route_request(const Registry& registry, const openai::ChatRequest& req) {
  Route r;
  std::optional<std::string> model = req.model;
  if (req.provider) {
    r.provider = registry.find(*req.provider);
    if (!r.provider) return ApiError::unknown_provider(*req.provider);
  } else if (model) {
    if (const auto slash = model->find('/'); slash != std::string::npos) {
      if (auto* p = registry.find(std::string_view(*model).substr(0, slash))) {
        r.provider = p;
        model = model->substr(slash + 1);
      }
    }
  }
  if (!r.provider && model) {
    if (const auto* m = registry.find_model(*model)) {
      r.provider = registry.find(m->target.provider);
      model = m->target.model.empty() ? std::optional<std::string>() : m->target.model;
      for (const auto& f : m->fallbacks) {
        auto* p = registry.find(f.provider);
        if (p && p->available()) r.fallbacks.push_back({p, f.model.empty() ? p->default_model() : f.model});
      }
      if (r.provider && !r.provider->available() && !r.fallbacks.empty()) {
        // An unconfigured primary with configured fallbacks: serve from the fallbacks.
        r.provider = r.fallbacks.front().provider;
        model = r.fallbacks.front().model;
        r.fallbacks.erase(r.fallbacks.begin());
      }
    }
  }
  if (!r.provider) {
    r.provider = registry.find(registry.default_name());
    if (!r.provider) return ApiError::unknown_provider(registry.default_name());
  }
  if (!r.provider->available())
    return ApiError::provider_unavailable(r.provider->name(), r.provider->missing_settings());
  r.model = model && !model->empty() ? *model : r.provider->default_model();
  return r;
}

}  // namespace sb::core
