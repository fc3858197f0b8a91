#pragma once
/// The last frames a segment carried, kept in memory so that they can be written to a pcap file
/// after the fact ("what happened on lan in the last 60 s").
///
/// Design notes
/// ------------
/// One contiguous byte ring of a fixed size, allocated on the first frame (the kernel maps its
/// pages as they are written, so a quiet segment costs little). Each record is a 16-byte header
/// (capture time in microseconds since the epoch, captured length, original length) and the
/// frame's bytes, cut to `snapLength`. A record never wraps: when it does not fit before the end
/// of the buffer, the ring writes a "wrap" marker and starts again at the front. When the ring is
/// full, the oldest records are forgotten to make room, so the ring always holds the most recent
/// frames that fit. Appending copies the frame and allocates nothing.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

namespace umlab::switchd {

using WallTime = std::chrono::sys_time<std::chrono::microseconds>;

class CaptureRing {
public:
  static constexpr size_t kDefaultBytes = 4 << 20;
  static constexpr uint32_t kDefaultSnapLength = 1600;

  /// `bytes` 0 disables the ring (append does nothing).
  explicit CaptureRing(size_t bytes = kDefaultBytes, uint32_t snapLength = kDefaultSnapLength)
      : size_(bytes), snapLength_(snapLength) {}

  /// Never throws: if the buffer cannot be allocated, the ring turns itself off.
  void append(WallTime time, std::span<const uint8_t> frame) noexcept;
  /// Calls `sink(time, frame, originalLength)` for every kept frame captured at or after
  /// `since`, oldest first. Returns how many.
  size_t forEachSince(WallTime since,
                      const std::function<void(WallTime, std::span<const uint8_t>, uint32_t)>& sink) const;

  size_t frameCount() const { return frames_; }
  size_t capacityBytes() const { return size_; }
  size_t usedBytes() const { return used_; }
  /// The capture time of the oldest kept frame (meaningless when empty).
  WallTime oldest() const;
  uint64_t forgotten() const { return forgotten_; }

private:
  struct Header {
    int64_t microseconds;
    uint32_t capturedLength; ///< kWrap: skip to the front of the buffer
    uint32_t originalLength;
  };
  static constexpr uint32_t kWrap = UINT32_MAX;
  static constexpr size_t kHeaderSize = sizeof(Header);
  static size_t recordSize(uint32_t captured) { return kHeaderSize + ((captured + 7) & ~size_t(7)); }

  Header headerAt(size_t offset) const;
  void dropOldest();

  size_t size_;
  uint32_t snapLength_;
  std::unique_ptr<uint8_t[]> buffer_;
  size_t head_ = 0; ///< offset of the oldest record
  size_t tail_ = 0; ///< where the next record goes
  size_t used_ = 0; ///< bytes between head and tail, wrap padding included
  size_t frames_ = 0;
  uint64_t forgotten_ = 0;
};

} // namespace umlab::switchd
