// switchboard-check: proves a proxy streams chat completions exactly like OpenAI (SPEC §10).
// Sends the same streaming request to the proxy and to a reference endpoint, validates every chunk of
// both streams, compares their structure and timings. Exit 0: valid and alike; 1: violations; 2: usage.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/config.hpp"
#include "http/client.hpp"
#include "report.hpp"
#include "request.hpp"
#include "stream_client.hpp"

namespace {

constexpr const char* kFooter = R"(Environment (also read from .env in the working directory; the environment wins):
  HOST, PORT            the proxy when --proxy is not given (default 127.0.0.1:5000)
  SWITCHBOARD_API_KEYS  the first key is the default --proxy-key
  OPENAI_BASE_URL       the reference when --reference is not given (default https://api.openai.com/v1)
  OPENAI_API_KEY        the default --reference-key
  OPENAI_MODEL          the default --model (default gpt-4o-mini)

Exit status: 0 when both streams are valid and alike, 1 on any violation (each printed on its own line,
prefixed with its side), 2 on a usage error.)";

struct UsageError {
  std::string message;
};

std::string env(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string first_key(const std::string& keys) {
  std::string k = keys.substr(0, keys.find(','));
  while (!k.empty() && k.back() == ' ') k.pop_back();
  while (!k.empty() && k.front() == ' ') k.erase(0, 1);
  return k;
}

// A listen-everywhere address is reached on loopback.
std::string connect_host(std::string host) {
  if (host == "0.0.0.0") return "127.0.0.1";
  if (host == "::" || host == "[::]") return "[::1]";
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

sb::check::Endpoint endpoint(const std::string& name, const std::string& url, const std::string& key) {
  auto origin = sb::http::parse_origin(url);
  if (!origin) throw UsageError{"--" + name + " " + url + ": " + origin.error()};
  return sb::check::Endpoint{name, url, *origin, sb::check::chat_completions_path(origin->base_path), key};
}

void load_dotenv(const std::optional<std::string>& env_file) {
  const std::string path = env_file.value_or(".env");
  std::ifstream f(path);
  if (!f) {
    if (env_file) throw UsageError{"--env-file " + path + ": cannot read the file"};
    return;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto applied = sb::app::apply_dotenv(ss.str(), path);
  if (!applied) throw UsageError{applied.error().message};
}

int run(int argc, char** argv) {
  CLI::App cli{"switchboard-check: prove a proxy streams chat completions exactly like OpenAI", "switchboard-check"};
  cli.footer(kFooter);
  std::optional<std::string> proxy_url, proxy_key, reference_url, reference_key, model, env_file, extra_body;
  std::string provider, prompt(sb::check::kDefaultPrompt);
  bool no_reference = false, as_json = false, deepgram = false;
  int runs = 1, concurrency = 1, timeout_ms = 60'000;
  cli.add_option("--proxy", proxy_url, "the proxy's base URL (default http://$HOST:$PORT)");
  cli.add_option("--proxy-key", proxy_key, "Bearer key for the proxy (default: first of $SWITCHBOARD_API_KEYS)");
  cli.add_option("--reference", reference_url,
                 "reference base URL (default $OPENAI_BASE_URL or https://api.openai.com/v1)");
  cli.add_option("--reference-key", reference_key, "Bearer key for the reference (default $OPENAI_API_KEY)");
  cli.add_flag("--no-reference", no_reference, "test the proxy alone");
  cli.add_option("--model", model, "model sent to both (default $OPENAI_MODEL or gpt-4o-mini)");
  cli.add_option("--provider", provider, "extension field `provider`, sent to the proxy only");
  cli.add_option("--prompt", prompt, "the user message");
  cli.add_flag("--deepgram", deepgram, "send the request a Deepgram Voice Agent's think stage sends");
  cli.add_option("--extra-body", extra_body, "JSON object merged into both request bodies (RFC 7396 merge patch)");
  cli.add_option("--runs", runs, "requests per side (default 1)");
  cli.add_option("--concurrency", concurrency, "requests in flight per side (default 1)");
  cli.add_option("--timeout-ms", timeout_ms,
                 "per request: longest wait for headers, between reads, and in total (default 60000)");
  cli.add_flag("--json", as_json, "print a JSON document instead of the table");
  cli.add_option("--env-file", env_file, "dotenv file to read (default .env in the working directory)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << cli.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    throw UsageError{e.what()};
  }
  if (runs < 1) throw UsageError{"--runs must be at least 1"};
  if (concurrency < 1) throw UsageError{"--concurrency must be at least 1"};
  if (timeout_ms < 1) throw UsageError{"--timeout-ms must be at least 1"};
  if (no_reference && (reference_url || reference_key))
    throw UsageError{"--no-reference excludes --reference and --reference-key"};
  load_dotenv(env_file);

  sb::check::RequestSpec spec;
  spec.model = model.value_or(env("OPENAI_MODEL", "gpt-4o-mini"));
  spec.prompt = prompt;
  spec.deepgram = deepgram;
  if (extra_body) {
    boost::system::error_code ec;
    spec.extra = boost::json::parse(*extra_body, ec);
    if (ec || !spec.extra.is_object()) throw UsageError{"--extra-body must be a JSON object"};
  }
  const auto proxy_request = sb::check::proxy_body(spec, provider);
  const auto reference_request = sb::check::reference_body(spec);

  const std::string proxy_base =
      proxy_url.value_or("http://" + connect_host(env("HOST", "127.0.0.1")) + ":" + env("PORT", "5000"));
  auto proxy = endpoint("proxy", proxy_base, proxy_key.value_or(first_key(env("SWITCHBOARD_API_KEYS"))));
  std::optional<sb::check::Endpoint> reference;
  if (!no_reference) {
    const std::string url = reference_url.value_or(env("OPENAI_BASE_URL", "https://api.openai.com/v1"));
    const std::string key = reference_key.value_or(env("OPENAI_API_KEY"));
    reference = endpoint("reference", url, key);
    if (key.empty() && reference->origin.host == "api.openai.com")
      throw UsageError{"no key for the reference " + url +
                       ": set OPENAI_API_KEY or --reference-key, or pass --no-reference"};
  }

  sb::check::RunPlan plan;
  plan.timeout = std::chrono::milliseconds(timeout_ms);
  plan.runs = runs;
  plan.concurrency = concurrency;

  sb::check::Report report;
  report.model = spec.model;
  report.provider = provider;
  report.deepgram = deepgram;
  report.concurrency = concurrency;
  boost::asio::io_context io;
  // One side after the other, so neither slows the other's measurements down.
  plan.body = boost::json::serialize(proxy_request);
  plan.include_usage = sb::check::include_usage_requested(proxy_request);
  report.include_usage = plan.include_usage;
  report.proxy = sb::check::SideReport{"proxy", proxy.url, sb::check::run_side(io, proxy, plan)};
  if (reference) {
    plan.body = boost::json::serialize(reference_request);
    plan.include_usage = sb::check::include_usage_requested(reference_request);
    report.reference = sb::check::SideReport{"reference", reference->url, sb::check::run_side(io, *reference, plan)};
  }
  sb::http::clear_connection_pool();  // pooled sockets belong to `io`: close them before it goes
  sb::check::compare_runs(report);

  if (as_json) {
    std::cout << boost::json::serialize(sb::check::to_json(report)) << "\n";
  } else {
    sb::check::print_table(std::cout, report);
  }
  return sb::check::violation_lines(report).empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::string msg = e.message;
    for (auto& c : msg)
      if (c == '\n') c = ' ';
    std::cerr << "switchboard-check: " << msg << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "switchboard-check: " << e.what() << "\n";
    return 1;
  }
}
