// mock-upstream: a scripted OpenAI-compatible server for integration tests, e2e tests and
// benchmarks. See README.md in this directory.
#include "server.hpp"

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string_view>
#include <thread>

namespace {

constexpr std::string_view kUsage =
    "usage: mock-upstream [--host 127.0.0.1] [--port 0] [--threads 1] [--fixtures DIR]\n"
    "  --host ADDR     address to bind (default 127.0.0.1)\n"
    "  --port N        port to bind, 0 = any free port (default 0)\n"
    "  --threads N     io threads, 0 = one per core (default 1)\n"
    "  --fixtures DIR  root for mock.file in the replay scenario\n"
    "Prints 'mock-upstream listening on http://HOST:PORT' once bound; SIGINT/SIGTERM stop it.\n";

template <typename T>
std::optional<T> parse_number(std::string_view text, T max) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

int usage_error(std::string_view message) {
  std::cerr << "mock-upstream: " << message << '\n' << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  mock_upstream::ServerOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) return usage_error(std::string(flag) + " needs a value");
    const std::string_view value = argv[++i];
    if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port") {
      const auto port = parse_number<std::uint16_t>(value, 65535);
      if (!port) return usage_error("--port must be a number from 0 to 65535");
      options.port = *port;
    } else if (flag == "--threads") {
      const auto threads = parse_number<std::size_t>(value, 1024);
      if (!threads) return usage_error("--threads must be a number from 0 to 1024");
      options.threads = *threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : *threads;
    } else if (flag == "--fixtures") {
      options.fixtures = value;
    } else {
      return usage_error("unknown option " + std::string(flag));
    }
  }

  try {
    mock_upstream::Server server(options);
    std::cout << "mock-upstream listening on " << server.url() << std::endl;  // flushes
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "mock-upstream: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
