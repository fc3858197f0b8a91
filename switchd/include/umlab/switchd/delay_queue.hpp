#pragma once
/// Frames waiting for their departure time (link delay, jitter, rate), ordered by that time.
///
/// Design notes
/// ------------
/// Each waiting frame is copied into a slot of `kSlotSize` bytes; slots come from chunks of
/// `kChunkSlots` that are allocated when the queue first needs them and kept for reuse, so a
/// delayed link allocates while its queue grows and never afterwards. A binary heap orders the
/// frames by (departure, arrival sequence): frames due at the same time leave in the order they
/// came. The queue holds at most `capacity` frames; `push` refuses beyond that and the caller
/// counts the drop. No I/O and no clock: the caller passes times and sends what `popDue` hands
/// it.

#include "umlab/switchd/clock.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace umlab::switchd {

class DelayQueue {
public:
  static constexpr size_t kSlotSize = 1536;
  static constexpr size_t kChunkSlots = 64;

  /// Where the frame goes when it is due; opaque to the queue.
  struct Target {
    uint32_t port = 0;
    uint8_t stage = 0; ///< e.g. "forward it" (after an ingress delay) or "send it" (egress)
  };

  explicit DelayQueue(size_t capacity = 16384) : capacity_(capacity) {}

  /// Copies `frame` (at most kSlotSize bytes) to leave at `due`. False when the queue is full
  /// or the frame too long (or memory ran out). Allocates only while the queue grows beyond
  /// its largest size so far.
  bool push(TimePoint due, Target target, std::span<const uint8_t> frame) noexcept;
  /// The earliest departure, if any frame waits.
  std::optional<TimePoint> nextDue() const;
  /// Hands every frame due at or before `now` to `sink`, earliest first, and frees its slot.
  /// The span is valid during the call only; `sink` may mutate it (to corrupt a copy) and may
  /// call `push`. Returns how many frames it handed over.
  size_t popDue(TimePoint now, const std::function<void(Target, std::span<uint8_t>)>& sink);
  /// Drops every frame for `port` (it left); returns how many.
  size_t dropPort(uint32_t port);

  size_t size() const { return heap_.size(); }
  size_t capacity() const { return capacity_; }
  /// Bytes held by slot chunks (allocated once, reused).
  size_t reservedBytes() const { return chunks_.size() * kChunkSlots * kSlotSize; }

private:
  struct Item {
    TimePoint due;
    uint64_t sequence;
    uint32_t slot;
    uint16_t length;
    Target target;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.due != b.due ? a.due > b.due : a.sequence > b.sequence;
    }
  };
  uint8_t* slotData(uint32_t slot) { return chunks_[slot / kChunkSlots].get() + (slot % kChunkSlots) * kSlotSize; }

  size_t capacity_;
  uint64_t sequence_ = 0;
  std::vector<Item> heap_;
  std::vector<uint32_t> freeSlots_;
  std::vector<std::unique_ptr<uint8_t[]>> chunks_;
};

} // namespace umlab::switchd
