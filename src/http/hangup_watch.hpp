// Tells a connection, at once, that its client closed while bytes it sent are still queued unread.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <memory>
#include <unordered_map>

namespace sb::http {

class ConnectionBase;

// The connection's own hang-up watch waits for its socket to be readable, which any queued byte makes it: once a
// client has pipelined its next request, that wait cannot see a FIN behind it. This watch can: an epoll set of its own,
// interested in EPOLLRDHUP alone (the peer shut its sending side; errors and hang-ups are always reported), which
// the worker's reactor waits on like any descriptor. One per worker; used on the worker's thread only.
class HangupWatch : public std::enable_shared_from_this<HangupWatch> {
 public:
  explicit HangupWatch(boost::asio::io_context& io);
  ~HangupWatch();
  HangupWatch(const HangupWatch&) = delete;
  HangupWatch& operator=(const HangupWatch&) = delete;

  // Calls conn.on_watched_hangup(generation) once, on this thread, when `fd`'s client closes its end, unless
  // forget(fd, conn) comes first (which the connection must do before it closes the socket). False when the socket
  // cannot be watched (then nothing is called).
  bool watch(int fd, ConnectionBase& conn, std::uint64_t generation);
  void forget(int fd, const ConnectionBase& conn);
  [[nodiscard]] std::size_t watched() const { return watched_.size(); }

 private:
  struct Entry {
    ConnectionBase* conn;
    std::uint64_t generation;
  };
  void wait();
  void on_ready();

  boost::asio::posix::stream_descriptor epoll_;
  std::unordered_map<int, Entry> watched_;
  bool waiting_ = false;
};

// Implemented by the server (server.cpp): the connection's current request, if `generation` is still it, is cut
// as a hang-up.
void notify_watched_hangup(ConnectionBase& conn, std::uint64_t generation);

}  // namespace sb::http
