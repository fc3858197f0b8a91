#include "umlab/switchd/fdb_table.hpp"

#include <cassert>

namespace umlab::switchd {

FdbTable::FdbTable(const Clock& clock, size_t maxEntries, Duration agingTime)
    : clock_(clock), maxEntries_(maxEntries), agingTime_(agingTime) {
  assert(maxEntries_ >= 1);
  index_.reserve(maxEntries_ < 4096 ? maxEntries_ : 4096);
}

uint64_t FdbTable::keyOf(const MacAddress& mac, uint16_t vlan) {
  uint64_t key = 0;
  for (uint8_t b : mac.bytes())
    key = (key << 8) | b;
  return key | (uint64_t(vlan & 0x0fff) << 48);
}

FdbTable::LearnResult FdbTable::learn(const MacAddress& mac, uint16_t vlan, PortId port) {
  const TimePoint now = clock_.now();
  const uint64_t key = keyOf(mac, vlan);
  if (auto it = index_.find(key); it != index_.end()) {
    Entry& e = *it->second;
    LearnResult result = LearnResult::Refreshed;
    if (e.port != port || isExpired(e, now))
      result = e.port != port ? LearnResult::Moved : LearnResult::Learned;
    e.port = port;
    e.lastSeen = now;
    lru_.splice(lru_.begin(), lru_, it->second);
    return result;
  }
  if (index_.size() >= maxEntries_) {
    // The back is the least recently seen entry (and, if anything has, the first to age out).
    index_.erase(keyOf(lru_.back().mac, lru_.back().vlan));
    if (!isExpired(lru_.back(), now))
      ++evictions_;
    lru_.pop_back();
  }
  lru_.push_front(Entry{mac, uint16_t(vlan & 0x0fff), port, now});
  index_.emplace(key, lru_.begin());
  return LearnResult::Learned;
}

std::optional<PortId> FdbTable::lookup(const MacAddress& mac, uint16_t vlan) const {
  auto it = index_.find(keyOf(mac, vlan));
  if (it == index_.end() || isExpired(*it->second, clock_.now()))
    return std::nullopt;
  return it->second->port;
}

size_t FdbTable::expire() {
  const TimePoint now = clock_.now();
  size_t removed = 0;
  while (!lru_.empty() && isExpired(lru_.back(), now)) {
    index_.erase(keyOf(lru_.back().mac, lru_.back().vlan));
    lru_.pop_back();
    ++removed;
  }
  return removed;
}

size_t FdbTable::flushPort(PortId port) {
  size_t removed = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->port == port) {
      index_.erase(keyOf(it->mac, it->vlan));
      it = lru_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

std::vector<FdbTable::Entry> FdbTable::entries() const {
  const TimePoint now = clock_.now();
  std::vector<Entry> out;
  out.reserve(lru_.size());
  for (const Entry& e : lru_) {
    if (isExpired(e, now))
      break; // everything behind it is older
    out.push_back(e);
  }
  return out;
}

} // namespace umlab::switchd
