#pragma once
/// The frames waiting to leave on one port, and sending them in batches.
///
/// Design notes
/// ------------
/// A receiver's socket queue is short (`net.unix.max_dgram_qlen`, 10 datagrams on Debian), and
/// the switch reads its input in bursts of up to 32 frames. Sending each frame at once, and
/// dropping it when the receiver's queue is full, loses most of a burst to a receiver that is
/// merely a moment late (measured: 51 % loss at full load). So every frame for a port first goes
/// into the port's queue, and after each burst the switch flushes the queues it touched with one
/// `sendmmsg` per port; what the receiver does not take yet stays queued, and the switch watches
/// the socket for EPOLLOUT (which a unix datagram socket reports when its peer's queue has room
/// again) and flushes then. A frame is dropped (`tx_full`) only when the port's queue itself is
/// full: the receiver has been too slow for `capacity` frames in a row.
///
/// Memory. The ring's slots (`kSlotSize` bytes each) are allocated on the first push, so a port
/// that never backs up costs nothing, and the allocation is never touched beyond the slots in
/// use (the kernel maps the pages lazily). No allocation on the frame path after that.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace umlab::switchd {

class EgressQueue {
public:
  static constexpr size_t kSlotSize = 1536;
  static constexpr size_t kDefaultCapacity = 256;
  static constexpr size_t kSendBatch = 64;

  explicit EgressQueue(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  /// Copies `frame` to the back of the queue. False (and nothing copied) when the queue is full,
  /// the frame longer than kSlotSize, or the slots could not be allocated.
  bool push(std::span<const uint8_t> frame) noexcept;

  struct FlushResult {
    size_t sent = 0;
    uint64_t sentBytes = 0;
    /// The socket refused with an error other than "full" (EAGAIN/ENOBUFS); the frame it refused
    /// was dropped, and `failed` counts it.
    size_t failed = 0;
  };
  /// Sends queued frames on socket `fd` with sendmmsg, non-blocking, until the queue is empty or
  /// the socket is full: to `to` (`toLength` bytes of address) when given, else to the socket's
  /// connected peer. A non-empty `prefix` (a tunnel's encapsulation header) goes before every
  /// frame, gathered from its own buffer (no copy); `sentBytes` counts the frames without it.
  FlushResult flush(int fd, const void* to = nullptr, unsigned toLength = 0,
                    std::span<const uint8_t> prefix = {}) noexcept;
  /// As `flush`, for a descriptor that is no socket (a tap): one write(2) per frame.
  FlushResult flushWrites(int fd) noexcept;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t capacity() const { return capacity_; }
  /// Drops everything queued; returns how many frames.
  size_t clear();

private:
  uint8_t* slot(size_t index) { return slots_.get() + index * kSlotSize; }

  size_t capacity_;
  std::unique_ptr<uint8_t[]> slots_;
  std::unique_ptr<uint16_t[]> lengths_;
  size_t head_ = 0; ///< the oldest frame
  size_t count_ = 0;
};

} // namespace umlab::switchd
