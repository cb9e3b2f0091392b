#pragma once
#include "core/expected.hpp"
#include "core/registry.hpp"
#include "core/settings.hpp"

namespace sb::providers {

// Every provider of this process, by name, and the default one (SPEC §1). An unknown PROVIDER_NAME is an error.
core::Expected<core::Registry, std::string> build_registry(const core::Settings& s);

}  // namespace sb::providers
