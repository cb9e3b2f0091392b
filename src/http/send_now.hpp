// A gather write tried at once on a non-blocking TCP socket, before any asynchronous write: the kernel almost
// always takes everything, and Boost 1.81's Asio would post the completion of even an immediate write (another
// scheduler round and an epoll_wait per write).
#pragma once
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <cerrno>

namespace sb::http {

// Sends what the socket takes now (MSG_DONTWAIT, no SIGPIPE); returns the bytes sent. `ec` is set only for a
// real error (a full send buffer is not one: 0 or a partial count comes back and the caller writes the rest).
template <std::size_t N>
std::size_t send_now(int fd, const std::array<boost::asio::const_buffer, N>& bufs, boost::system::error_code& ec) {
  std::array<iovec, N> iov{};
  std::size_t count = 0;
  for (const auto& b : bufs) {
    if (b.size() == 0) continue;
    iov[count].iov_base = const_cast<void*>(b.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast): sendmsg reads only
    iov[count].iov_len = b.size();
    ++count;
  }
  if (count == 0) return 0;
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = count;
  for (;;) {
    const ssize_t n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec.assign(errno, boost::asio::error::get_system_category());
    return 0;
  }
}

// `bufs` without their first `n` bytes.
template <std::size_t N>
std::array<boost::asio::const_buffer, N> drop_front(std::array<boost::asio::const_buffer, N> bufs, std::size_t n) {
  for (auto& b : bufs) {
    const std::size_t k = std::min(n, b.size());
    b += k;
    n -= k;
  }
  return bufs;
}

template <std::size_t N>
std::size_t total_size(const std::array<boost::asio::const_buffer, N>& bufs) {
  std::size_t t = 0;
  for (const auto& b : bufs) t += b.size();
  return t;
}

}  // namespace sb::http
