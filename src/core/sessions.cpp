#include "core/sessions.hpp"

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sb::core {

net::awaitable<void> ActiveSessions::wait(Entry* e) {
  std::optional<net::steady_timer> local;  // no session to watch: wait to be cancelled
  if (e == nullptr) local.emplace(co_await net::this_coro::executor);
  net::steady_timer& timer = e != nullptr ? e->timer_ : *local;
  for (;;) {
    if (e != nullptr && e->was_superseded()) co_return;
    timer.expires_at(net::steady_timer::time_point::max());
    const auto waited = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    (void)waited;
    if (e != nullptr && e->was_superseded()) co_return;
    // Cancelled from outside (the request finished another way, `||` cancels this branch): stop.
    const auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none) co_return;
  }
}

void ActiveSessions::Entry::supersede() {
  superseded_.store(true, std::memory_order_release);
  // The timer belongs to the request's own io thread: cancel it there.
  net::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
}

std::shared_ptr<ActiveSessions::Entry> ActiveSessions::claim(std::string key, net::any_io_executor ex) {
  auto entry = std::make_shared<Entry>(key, std::move(ex));
  std::shared_ptr<Entry> previous;
  {
    std::lock_guard lock(mu_);
    auto& slot = active_[std::move(key)];
    previous = std::move(slot);
    slot = entry;
  }
  if (previous) previous->supersede();
  return entry;
}

void ActiveSessions::release(const std::shared_ptr<Entry>& e) {
  if (!e) return;
  std::lock_guard lock(mu_);
  const auto it = active_.find(e->key_);
  if (it != active_.end() && it->second == e) active_.erase(it);
}

std::size_t ActiveSessions::size() const {
  std::lock_guard lock(mu_);
  return active_.size();
}

}  // namespace sb::core
