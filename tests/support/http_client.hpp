// A blocking HTTP/1.1 client for integration tests, with per-event timing for SSE streams.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sb::test {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercased names
  std::string body;                            // dechunked
  bool complete = false;                       // the HTTP message ended properly
};

struct TimedEvent {
  std::string data;  // `data:` payload ("[DONE]" included); comment-only events as their raw text (": keep-alive\n\n")
  double ms = 0;     // since the request was sent
};

struct StreamResponse : HttpResponse {
  std::vector<TimedEvent> events;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

HttpResponse http_request(unsigned short port, const std::string& method, const std::string& target,
                          const std::string& body = {}, const Headers& headers = {});

// POSTs `body` and reads the SSE response event by event. `on_event` returning false hangs up at once.
StreamResponse http_stream(unsigned short port, const std::string& target, const std::string& body,
                           const Headers& headers = {}, const std::function<bool(const TimedEvent&)>& on_event = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Sends raw bytes on a fresh connection and returns whatever comes back until the server closes or `timeout`.
std::string raw_exchange(unsigned short port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace sb::test
