// Telling Asio's reactor that a socket's receive queue is empty, so the next read waits for readiness instead of
// trying first.
#pragma once
#include <boost/asio/ip/tcp.hpp>

namespace boost::asio::detail {
class epoll_reactor;
}

namespace sb::http {

// Asio's epoll reactor starts a read by trying it (a recv) unless the socket's last read found the socket empty,
// which to Asio means a read of 0 bytes (an end of stream). So the read of an upstream's answer, started right after
// its request is sent, always costs a recv that finds nothing (EAGAIN) first. Call mark() after a read that took less
// than it had room for (the kernel had nothing more) and before the next read starts: that read then waits for the
// next readiness event without trying. Any readiness event (bytes, an end of stream, an error) undoes the mark.
// Bytes or a FIN that arrived after that read and whose readiness event the reactor already handled would wait for
// the next event (for an upstream connection, the next answer or the peer's RST): mark where no turn of the event
// loop came between that read and the mark. Call it on the thread running the socket's io_context. Relies on
// Asio's epoll reactor (Boost 1.81).
class ReceiveEmptyMarker {
 public:
  // For the sockets of `context` (its reactor is looked up here once: a service look-up takes a lock).
  explicit ReceiveEmptyMarker(boost::asio::execution_context& context);
  void mark(boost::asio::ip::tcp::socket& socket) const;

 private:
  boost::asio::detail::epoll_reactor* reactor_;
};

}  // namespace sb::http
