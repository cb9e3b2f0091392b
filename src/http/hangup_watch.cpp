#include "http/hangup_watch.hpp"

#include <array>
#include <cerrno>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

namespace sb::http {

HangupWatch::HangupWatch(boost::asio::io_context& io) : epoll_(io) {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    spdlog::warn("hang-up watch unavailable: epoll_create1 failed (errno {})", errno);
    return;
  }
  boost::system::error_code ec;
  epoll_.assign(fd, ec);
  if (ec) ::close(fd);
}

HangupWatch::~HangupWatch() {
  boost::system::error_code ignored;
  epoll_.close(ignored);
}

bool HangupWatch::watch(int fd, ConnectionBase& conn, std::uint64_t generation) {
  if (!epoll_.is_open()) return false;
  epoll_event ev{};
  ev.events = EPOLLRDHUP | EPOLLONESHOT;
  ev.data.fd = fd;
  // Added (every use ends with forget or the one report, both of which take it out); re-armed if still there.
  if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0 &&
      (errno != EEXIST || ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_MOD, fd, &ev) != 0))
    return false;
  watched_[fd] = {&conn, generation};
  wait();
  return true;
}

void HangupWatch::forget(int fd, const ConnectionBase& conn) {
  const auto it = watched_.find(fd);
  if (it == watched_.end() || it->second.conn != &conn) return;  // reported already, or another socket's now
  watched_.erase(it);
  ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_DEL, fd, nullptr);
}

void HangupWatch::wait() {
  if (waiting_ || watched_.empty()) return;
  waiting_ = true;
  epoll_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [weak = weak_from_this()](boost::system::error_code ec) {
                      const auto self = weak.lock();
                      if (!self) return;
                      self->waiting_ = false;
                      if (!ec) self->on_ready();
                    });
}

void HangupWatch::on_ready() {
  std::array<epoll_event, 32> events{};
  const int n = ::epoll_wait(epoll_.native_handle(), events.data(), static_cast<int>(events.size()), 0);
  for (int i = 0; i < n; ++i) {
    const int fd = events[static_cast<std::size_t>(i)].data.fd;
    const auto it = watched_.find(fd);
    if (it == watched_.end()) continue;
    const Entry e = it->second;
    forget(fd, *e.conn);  // one-shot: the connection is told once
    notify_watched_hangup(*e.conn, e.generation);
  }
  wait();
}

}  // namespace sb::http
