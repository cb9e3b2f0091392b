#include "core/sessions.hpp"

#include <boost/asio/post.hpp>

namespace sb::core {

void ActiveSessions::Entry::supersede() {
  // The request runs on its own io thread: tell it there.
  net::post(ex_, [self = shared_from_this()] {
    if (self->on_superseded_) self->on_superseded_();
  });
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
