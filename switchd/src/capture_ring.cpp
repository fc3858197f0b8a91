#include "umlab/switchd/capture_ring.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace umlab::switchd {

CaptureRing::Header CaptureRing::headerAt(size_t offset) const {
  Header h;
  std::memcpy(&h, buffer_.get() + offset, kHeaderSize);
  return h;
}

void CaptureRing::dropOldest() {
  Header h = headerAt(head_);
  if (h.capturedLength == kWrap) {
    used_ -= size_ - head_;
    head_ = 0;
    h = headerAt(head_);
  }
  const size_t n = recordSize(h.capturedLength);
  head_ += n;
  used_ -= n;
  --frames_;
  ++forgotten_;
  if (frames_ == 0) {
    head_ = tail_ = used_ = 0;
  }
}

void CaptureRing::append(WallTime time, std::span<const uint8_t> frame) noexcept {
  const auto captured = uint32_t(std::min<size_t>(frame.size(), snapLength_));
  const size_t need = recordSize(captured);
  if (size_ < 2 * kHeaderSize + need)
    return; // disabled, or too small for even one frame
  if (!buffer_) {
    try {
      buffer_ = std::make_unique_for_overwrite<uint8_t[]>(size_);
    } catch (const std::bad_alloc&) {
      size_ = 0; // no ring, rather than no switch
      return;
    }
  }
  for (;;) {
    if (frames_ == 0) {
      head_ = tail_ = used_ = 0;
      break;
    }
    if (tail_ > head_ || (tail_ == head_ && used_ == 0)) {
      // Free space: [tail, size) and [0, head).
      if (size_ - tail_ >= need + kHeaderSize)
        break; // fits at the tail, with room for a wrap marker after it
      if (head_ >= need + kHeaderSize) {
        // Wrap: mark the rest of the buffer as skipped and write at the front.
        const Header wrap{0, kWrap, 0};
        std::memcpy(buffer_.get() + tail_, &wrap, kHeaderSize);
        used_ += size_ - tail_;
        tail_ = 0;
        continue;
      }
    } else if (head_ - tail_ >= need + kHeaderSize) {
      break; // free space is [tail, head)
    }
    dropOldest();
  }
  const Header h{time.time_since_epoch().count(), captured, uint32_t(frame.size())};
  std::memcpy(buffer_.get() + tail_, &h, kHeaderSize);
  if (captured > 0)
    std::memcpy(buffer_.get() + tail_ + kHeaderSize, frame.data(), captured);
  tail_ += need;
  used_ += need;
  ++frames_;
}

WallTime CaptureRing::oldest() const {
  if (frames_ == 0)
    return WallTime{};
  Header h = headerAt(head_);
  if (h.capturedLength == kWrap)
    h = headerAt(0);
  return WallTime(std::chrono::microseconds(h.microseconds));
}

size_t CaptureRing::forEachSince(
    WallTime since, const std::function<void(WallTime, std::span<const uint8_t>, uint32_t)>& sink) const {
  size_t handed = 0;
  size_t offset = head_;
  for (size_t i = 0; i < frames_; ++i) {
    Header h = headerAt(offset);
    if (h.capturedLength == kWrap) {
      offset = 0;
      h = headerAt(offset);
    }
    const WallTime t{std::chrono::microseconds(h.microseconds)};
    if (t >= since) {
      sink(t, std::span<const uint8_t>(buffer_.get() + offset + kHeaderSize, h.capturedLength), h.originalLength);
      ++handed;
    }
    offset += recordSize(h.capturedLength);
  }
  return handed;
}

} // namespace umlab::switchd
