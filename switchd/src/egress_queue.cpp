#include "umlab/switchd/egress_queue.hpp"

#include <array>
#include <cerrno>
#include <unistd.h>
#include <cstring>
#include <new>
#include <sys/socket.h>

namespace umlab::switchd {

bool EgressQueue::push(std::span<const uint8_t> frame) noexcept {
  if (count_ >= capacity_ || frame.size() > kSlotSize)
    return false;
  if (!slots_) {
    try {
      lengths_ = std::make_unique_for_overwrite<uint16_t[]>(capacity_);
      slots_ = std::make_unique_for_overwrite<uint8_t[]>(capacity_ * kSlotSize);
    } catch (const std::bad_alloc&) {
      return false; // counted as a full queue
    }
  }
  const size_t tail = (head_ + count_) % capacity_;
  if (!frame.empty())
    std::memcpy(slot(tail), frame.data(), frame.size());
  lengths_[tail] = uint16_t(frame.size());
  ++count_;
  return true;
}

EgressQueue::FlushResult EgressQueue::flush(int fd, const void* to, unsigned toLength,
                                            std::span<const uint8_t> prefix) noexcept {
  FlushResult r;
  std::array<mmsghdr, kSendBatch> msgs;
  std::array<std::array<iovec, 2>, kSendBatch> iovs;
  const bool hasPrefix = !prefix.empty();
  while (count_ > 0) {
    const size_t n = count_ < kSendBatch ? count_ : kSendBatch;
    for (size_t i = 0; i < n; ++i) {
      const size_t index = (head_ + i) % capacity_;
      iovs[i][0] = {const_cast<uint8_t*>(prefix.data()), prefix.size()};
      iovs[i][1] = {slot(index), lengths_[index]};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = hasPrefix ? &iovs[i][0] : &iovs[i][1];
      msgs[i].msg_hdr.msg_iovlen = hasPrefix ? 2 : 1;
      msgs[i].msg_hdr.msg_name = const_cast<void*>(to);
      msgs[i].msg_hdr.msg_namelen = to ? toLength : 0;
    }
    const int sent = ::sendmmsg(fd, msgs.data(), unsigned(n), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
        break;
      // The receiver is gone or refuses this frame: drop it and try the rest.
      head_ = (head_ + 1) % capacity_;
      --count_;
      ++r.failed;
      continue;
    }
    for (int i = 0; i < sent; ++i)
      r.sentBytes += msgs[size_t(i)].msg_len - prefix.size();
    r.sent += size_t(sent);
    head_ = (head_ + size_t(sent)) % capacity_;
    count_ -= size_t(sent);
    if (size_t(sent) < n)
      break; // the socket took part of the batch: it is full now
  }
  if (count_ == 0)
    head_ = 0;
  return r;
}

EgressQueue::FlushResult EgressQueue::flushWrites(int fd) noexcept {
  FlushResult r;
  while (count_ > 0) {
    const ssize_t n = ::write(fd, slot(head_), lengths_[head_]);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
      break;
    if (n < 0)
      ++r.failed;
    else {
      ++r.sent;
      r.sentBytes += static_cast<uint64_t>(n);
    }
    head_ = (head_ + 1) % capacity_;
    --count_;
  }
  if (count_ == 0)
    head_ = 0;
  return r;
}

size_t EgressQueue::clear() {
  const size_t n = count_;
  head_ = 0;
  count_ = 0;
  return n;
}

} // namespace umlab::switchd
