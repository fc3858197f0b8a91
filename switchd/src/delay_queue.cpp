#include "umlab/switchd/delay_queue.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace umlab::switchd {

bool DelayQueue::push(TimePoint due, Target target, std::span<const uint8_t> frame) noexcept {
  if (heap_.size() >= capacity_ || frame.size() > kSlotSize)
    return false;
  try {
    if (freeSlots_.empty()) {
      const auto first = uint32_t(chunks_.size() * kChunkSlots);
      chunks_.reserve(chunks_.size() + 1);
      // Every slot is either free or in the heap: reserving both for all slots means that
      // neither grows (nor throws) outside this block.
      freeSlots_.reserve((chunks_.size() + 1) * kChunkSlots);
      heap_.reserve((chunks_.size() + 1) * kChunkSlots);
      chunks_.push_back(std::make_unique_for_overwrite<uint8_t[]>(kChunkSlots * kSlotSize));
      for (size_t i = kChunkSlots; i-- > 0;)
        freeSlots_.push_back(first + uint32_t(i));
    }
  } catch (const std::bad_alloc&) {
    return false; // counted by the caller as a full queue
  }
  const uint32_t slot = freeSlots_.back();
  freeSlots_.pop_back();
  if (!frame.empty())
    std::memcpy(slotData(slot), frame.data(), frame.size());
  heap_.push_back(Item{due, sequence_++, slot, uint16_t(frame.size()), target});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  return true;
}

std::optional<TimePoint> DelayQueue::nextDue() const {
  if (heap_.empty())
    return std::nullopt;
  return heap_.front().due;
}

size_t DelayQueue::popDue(TimePoint now, const std::function<void(Target, std::span<uint8_t>)>& sink) {
  size_t handed = 0;
  while (!heap_.empty() && heap_.front().due <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    const Item item = heap_.back();
    heap_.pop_back();
    // The slot stays taken during the call, so a push from inside `sink` cannot overwrite it.
    sink(item.target, std::span<uint8_t>(slotData(item.slot), item.length));
    freeSlots_.push_back(item.slot);
    ++handed;
  }
  return handed;
}

size_t DelayQueue::dropPort(uint32_t port) {
  const size_t before = heap_.size();
  auto gone = std::remove_if(heap_.begin(), heap_.end(), [&](const Item& i) {
    if (i.target.port != port)
      return false;
    freeSlots_.push_back(i.slot);
    return true;
  });
  heap_.erase(gone, heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), Later{});
  return before - heap_.size();
}

} // namespace umlab::switchd
