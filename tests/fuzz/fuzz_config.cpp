// Config parsing: a .env text (apply_dotenv) and then the whole settings loader over the environment it made;
// and, where this build has one, the YAML config parser. Errors are values with one line, never crashes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/config.hpp"
#if __has_include("app/yaml_config.hpp")
#include "app/yaml_config.hpp"
#define SB_FUZZ_YAML 1
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  ::clearenv();  // each input starts from an empty environment (the fuzzer itself reads none after startup)
  if ((data[0] & 1) == 0) {
    auto r = sb::app::apply_dotenv(text, ".env");
    if (!r && r.error().message.find('\n') != std::string::npos) std::abort();
    const char* argv[] = {"switchboard", "--env-file", "/dev/null"};
    auto loaded = sb::app::load_settings(3, argv);
    if (!loaded && loaded.error().message.find('\n') != std::string::npos) std::abort();
  } else {
#ifdef SB_FUZZ_YAML
    std::vector<std::string> warnings;
    ::setenv("FUZZ_VAR", "value", 1);
    auto r = sb::app::parse_yaml_config(text, "fuzz.yaml", warnings);
    if (!r && r.error().find('\n') != std::string::npos) std::abort();
#endif
  }
  ::clearenv();
  return 0;
}
