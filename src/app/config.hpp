// Settings from defaults, .env, environment and flags (SPEC §1 precedence).
#pragma once
#include <string>

#include "core/expected.hpp"
#include "core/settings.hpp"

namespace sb::app {

struct ConfigError {
  std::string message;  // one line, names the setting
};

struct LoadResult {
  core::Settings settings;
  bool help_shown = false;
  std::string help_text;
};

// Parses a .env file's text: KEY=VALUE lines, `export` prefix, '#' comments, single/double quotes.
// Sets each variable that is not already set in the environment. Returns an error naming the bad line.
core::Expected<int, ConfigError> apply_dotenv(const std::string& text, const std::string& file_name);

// Reads flags, .env and the environment into Settings.
core::Expected<LoadResult, ConfigError> load_settings(int argc, const char* const* argv);

// A normalised log level ("debug", "info", "warning", "error", "critical") from Python-style names, any case.
std::optional<std::string> normalise_log_level(std::string_view name);

}  // namespace sb::app
