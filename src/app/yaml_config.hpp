// The YAML config file (SPEC §9): providers, model routes, `${ENV}` expansion, errors naming file and line.
#pragma once
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/provider_config.hpp"

namespace sb::app {

// Parses config text. `warnings` receives one line per unknown key. Errors are one line: "file:line: what".
core::Expected<core::FileConfig, std::string> parse_yaml_config(const std::string& text, const std::string& file_name,
                                                                std::vector<std::string>& warnings);

// Reads and parses a config file.
core::Expected<core::FileConfig, std::string> load_yaml_config(const std::string& path,
                                                               std::vector<std::string>& warnings);

struct ExpandError {
  std::string message;
};

// Replaces every `${NAME}` with that environment variable; an unset one is an error naming it.
core::Expected<std::string, ExpandError> expand_env(const std::string& value);

}  // namespace sb::app
