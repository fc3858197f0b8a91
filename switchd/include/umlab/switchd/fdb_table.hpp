#pragma once
/// The forwarding database: which port a (MAC address, VLAN) was last seen on.
///
/// Design notes
/// ------------
/// A learning switch learns from the source address of every frame it receives: "frames from
/// MAC m on VLAN v came in on port p, so frames to (m, v) go out on p". Entries are keyed by the
/// pair, not the MAC alone, so that the same MAC on two VLANs (a router's trunk, a host that
/// moved between VLANs) has two independent entries; VLAN 0 stands for untagged frames.
///
/// Aging. An entry not refreshed for `agingTime` (default 300 s, as OVS and 802.1D) is gone: a
/// host that moved to another port without sending anything is found again by flooding. Lookups
/// ignore aged entries at once; `expire()` reclaims their memory and is called periodically.
///
/// Bounds. The table holds at most `maxEntries` entries, so a client that sends frames from a
/// stream of random source MACs cannot grow the switch without bound. When the table is full,
/// learning a new pair evicts the least recently seen entry (OVS evicts from its LRU list the
/// same way). Entries live in one list ordered by the time they were last seen, most recent
/// first; refreshing an entry moves it to the front. Because the clock is monotonic, the back of
/// the list is both the eviction victim and the first to age out.
///
/// Moves. A MAC seen on a different port than its entry says is re-learnt on the new port at
/// once (the last frame wins); OVS additionally rate-limits flapping, which a lab does not need.
///
/// Cost. Learning an existing pair and looking one up are O(1) with no allocation; learning a
/// new pair allocates one list node and one hash node. Nothing here does I/O or throws on the
/// frame path except std::bad_alloc.

#include "umlab/base/mac_address.hpp"
#include "umlab/switchd/clock.hpp"

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

namespace umlab::switchd {

/// A switch port. Ids are handed out from 1 and never reused within one run.
using PortId = uint32_t;
inline constexpr PortId kNoPort = 0;

class FdbTable {
public:
  static constexpr size_t kDefaultMaxEntries = 8192;
  static constexpr Duration kDefaultAgingTime = std::chrono::seconds(300);

  struct Entry {
    MacAddress mac;
    uint16_t vlan = 0;
    PortId port = kNoPort;
    TimePoint lastSeen;
  };

  enum class LearnResult { Refreshed, Learned, Moved };

  /// `maxEntries` must be at least 1.
  explicit FdbTable(const Clock& clock, size_t maxEntries = kDefaultMaxEntries,
                    Duration agingTime = kDefaultAgingTime);

  /// Records that (`mac`, `vlan`) was seen on `port` now; evicts the least recently seen entry
  /// when a new pair does not fit.
  LearnResult learn(const MacAddress& mac, uint16_t vlan, PortId port);
  /// The port (`mac`, `vlan`) was last seen on, unless unknown or aged out.
  std::optional<PortId> lookup(const MacAddress& mac, uint16_t vlan) const;
  /// Removes every aged-out entry; returns how many.
  size_t expire();
  /// Removes every entry pointing at `port` (the port went away); returns how many.
  size_t flushPort(PortId port);

  /// Live and not yet reclaimed entries.
  size_t size() const { return index_.size(); }
  size_t maxEntries() const { return maxEntries_; }
  Duration agingTime() const { return agingTime_; }
  /// Entries evicted because the table was full, since construction.
  uint64_t evictionCount() const { return evictions_; }
  /// Entries that have not aged out, most recently seen first.
  std::vector<Entry> entries() const;

private:
  static uint64_t keyOf(const MacAddress& mac, uint16_t vlan);
  bool isExpired(const Entry& e, TimePoint now) const { return now - e.lastSeen >= agingTime_; }

  const Clock& clock_;
  size_t maxEntries_;
  Duration agingTime_;
  uint64_t evictions_ = 0;
  std::list<Entry> lru_; ///< front: most recently seen
  std::unordered_map<uint64_t, std::list<Entry>::iterator> index_;
};

} // namespace umlab::switchd
