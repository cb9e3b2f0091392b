#pragma once
// Voice barge-in: a newer request of a session supersedes the older one still running (BARGE_IN=true).
// A session is a proxy key name plus the request's session id (`session_id` field or `X-Session-Id`), so one
// caller can never cancel another caller's requests.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>

namespace sb::core {
namespace net = boost::asio;

class ActiveSessions {
 public:
  // One in-flight request of a session.
  class Entry : public std::enable_shared_from_this<Entry> {
   public:
    Entry(std::string key, net::any_io_executor ex) : key_(std::move(key)), ex_(std::move(ex)) {}
    // `f` runs on the executor given to claim() when a newer request of the session claims it (also when that
    // happened before this call: the news is always posted). Set and cleared (nullptr, before the request ends)
    // on that executor's thread only.
    void on_superseded(std::function<void()> f) { on_superseded_ = std::move(f); }

   private:
    friend class ActiveSessions;
    void supersede();  // any thread

    std::string key_;
    net::any_io_executor ex_;
    std::function<void()> on_superseded_;
  };

  // Registers a request under `key` (running on `ex`) and supersedes the request registered before it.
  std::shared_ptr<Entry> claim(std::string key, net::any_io_executor ex);
  // Unregisters `e` (a no-op when a newer request has already taken its place).
  void release(const std::shared_ptr<Entry>& e);
  [[nodiscard]] std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> active_;
};

}  // namespace sb::core
