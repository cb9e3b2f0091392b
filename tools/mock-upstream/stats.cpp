#include "stats.hpp"

#include <boost/json.hpp>

#include <cctype>

namespace mock_upstream {

namespace json = boost::json;

Stats::Stats(std::size_t shards) {
  shards_.reserve(shards == 0 ? 1 : shards);
  for (std::size_t i = 0; i < (shards == 0 ? 1 : shards); ++i) {
    shards_.push_back(std::make_unique<StatsShard>());
  }
}

namespace {

std::int64_t sum(const std::vector<std::unique_ptr<StatsShard>>& shards,
                 std::atomic<std::int64_t> StatsShard::*member) {
  std::int64_t total = 0;
  for (const auto& shard : shards) {
    total += ((*shard).*member).load(std::memory_order_relaxed);
  }
  return total;
}

}  // namespace

std::string Stats::to_json() const {
  json::object out;
  out["requests"] = sum(shards_, &StatsShard::requests);
  out["active_connections"] = sum(shards_, &StatsShard::active_connections);
  out["connections_closed_by_peer"] = sum(shards_, &StatsShard::connections_closed_by_peer);
  out["active_streams"] = sum(shards_, &StatsShard::active_streams);
  out["streams_cancelled"] = sum(shards_, &StatsShard::streams_cancelled);
  out["chat_requests"] = sum(shards_, &StatsShard::chat_requests);
  out["connections_total"] = sum(shards_, &StatsShard::connections_total);
  out["streams_started"] = sum(shards_, &StatsShard::streams_started);
  out["streams_completed"] = sum(shards_, &StatsShard::streams_completed);
  out["streams_dropped"] = sum(shards_, &StatsShard::streams_dropped);
  return json::serialize(out);
}

void Stats::reset_counters() noexcept {
  for (auto& shard : shards_) {
    for (auto member : {&StatsShard::requests, &StatsShard::chat_requests, &StatsShard::connections_total,
                        &StatsShard::connections_closed_by_peer, &StatsShard::streams_started,
                        &StatsShard::streams_completed, &StatsShard::streams_cancelled, &StatsShard::streams_dropped}) {
      ((*shard).*member).store(0, std::memory_order_relaxed);
    }
  }
}

void LastRequestStore::record(const Request& request) {
  auto copy = std::make_shared<const Request>(request);
  const std::lock_guard lock(mutex_);
  last_ = std::move(copy);
}

void LastRequestStore::clear() {
  const std::lock_guard lock(mutex_);
  last_.reset();
}

std::string LastRequestStore::to_json() const {
  std::shared_ptr<const Request> last;
  {
    const std::lock_guard lock(mutex_);
    last = last_;
  }
  if (!last) return {};
  json::object headers;
  for (const auto& field : *last) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto value = field.value();
    if (auto* existing = headers.if_contains(name)) {  // repeated header: join as HTTP allows
      auto& joined = existing->as_string();
      joined.append(", ");
      joined.append(json::string_view(value.data(), value.size()));
    } else {
      headers[name] = json::string_view(value.data(), value.size());
    }
  }
  json::object out;
  const auto method = last->method_string();
  const auto target = last->target();
  out["method"] = json::string_view(method.data(), method.size());
  out["target"] = json::string_view(target.data(), target.size());
  out["headers"] = std::move(headers);
  out["body"] = last->body();
  return json::serialize(out);
}

}  // namespace mock_upstream
