#include "frame_path.hpp"

#include "umlab/base/quantity.hpp"

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace umlab::switchd {
namespace {

/// How long input may stay paused for a port that sends nothing meanwhile before that port is
/// declared stalled (and its frames dropped instead of waited for).
constexpr Duration kStallTimeout = std::chrono::milliseconds(20);

/// What a delayed frame does when it is due.
enum class Stage : uint8_t { Forward, Send };

} // namespace

FramePath::FramePath(const SwitchOptions& options, const Clock& clock, EventLoop& loop, PortNames& names,
                     Capture& capture)
    : clock_(clock), loop_(loop), names_(names), capture_(capture), queueFrames_(options.queueFrames),
      fdb_(clock, options.fdbMaxEntries, options.agingTime), forwarder_(fdb_, options.mode) {
  dataFd_ = bindAbstractDatagram("umlab-switchd." + std::to_string(::getpid()) + "." +
                                     std::to_string(std::hash<std::string>{}(options.ctlPath)),
                                 dataAddress_);
  loop_.add(dataFd_.get(), EPOLLIN, *this);
  buffers_.resize(kBurstSize * kReceiveBufferSize);
  outPorts_.reserve(64);
}

// --- ports ---------------------------------------------------------------------------------------

Port* FramePath::addPort(std::unique_ptr<Port> owned) {
  const PortId id = nextPortId_++;
  Port& p = *ports_.emplace(id, std::move(owned)).first->second;
  p.attach(*this, id, queueFrames_);
  names_.seed(p);
  if (p.isMirror())
    mirrors_.push_back(&p);
  if (!p.isListenOnly())
    forwarder_.addPort(id);
  if (p.isProbe())
    ++probeCount_;
  if (const AddressKey* key = p.sourceKey())
    bySource_.emplace(*key, &p);
  ++counters_.clientsJoined;
  if (p.fd() >= 0 && !loop_.tryAdd(p.fd(), eventsFor(p), p)) {
    const int error = errno;
    removePort(id);
    errno = error;
    return nullptr;
  }
  return &p;
}

void FramePath::removePort(PortId id) noexcept {
  auto it = ports_.find(id);
  if (it == ports_.end())
    return;
  Port& p = *it->second;
  if (p.isMirror())
    std::erase(mirrors_, &p);
  if (!p.isListenOnly())
    forwarder_.removePort(id);
  if (p.isProbe())
    --probeCount_;
  if (const AddressKey* key = p.sourceKey())
    bySource_.erase(*key);
  std::erase(dirty_, &p);
  delayed_.dropPort(id);
  if (lastSender_ == &p)
    lastSender_ = nullptr;
  if (p.fd() >= 0)
    loop_.remove(p.fd(), p);
  retired_.push_back(std::move(it->second));
  ports_.erase(it);
  ++counters_.clientsLeft;
}

Port* FramePath::findPort(PortId id) {
  auto it = ports_.find(id);
  return it == ports_.end() ? nullptr : it->second.get();
}

Port* FramePath::findPort(std::string_view word) {
  if (std::optional<uint64_t> id = parseUnsigned(word, UINT32_MAX))
    if (Port* p = findPort(PortId(*id)))
      return p;
  for (auto& [id, p] : ports_)
    if (p->name() == word)
      return p.get();
  return nullptr;
}

std::vector<Port*> FramePath::sortedPorts() {
  std::map<PortId, Port*> sorted;
  for (auto& [id, p] : ports_)
    sorted.emplace(id, p.get());
  std::vector<Port*> out;
  out.reserve(sorted.size());
  for (auto& [id, p] : sorted)
    out.push_back(p);
  return out;
}

// --- receiving -----------------------------------------------------------------------------------

void FramePath::watchInput(int fd, FdHandler& handler) {
  loop_.add(fd, isInputPaused_ ? 0u : uint32_t(EPOLLIN), handler);
  inputs_.emplace_back(fd, &handler);
}

void FramePath::onReady(uint32_t) { receiveBurst(dataFd_.get(), nullptr, false); }

void FramePath::onPortReady(Port& p, uint32_t events) {
  if (events & EPOLLOUT)
    flushPort(p);
  if (p.readsOwnSocket()) {
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
      receiveBurst(p.fd(), &p, (events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) != 0);
  } else if (events & (EPOLLHUP | EPOLLERR)) {
    // The client's data socket is gone; its control connection going away removes the port.
    flushPort(p);
  }
}

/// Receives a burst from `fd` (the shared data socket when `from` is null, else `from`'s own
/// socket) and passes each frame on. On a connection (bess) an empty read is the peer's hang-up
/// only when epoll said the peer closed (`isPeerClosed`); otherwise it is an empty message, dropped
/// and counted like any other.
void FramePath::receiveBurst(int fd, Port* from, bool isPeerClosed) {
  std::array<mmsghdr, kBurstSize> msgs{};
  std::array<iovec, kBurstSize> iovs{};
  std::array<sockaddr_un, kBurstSize> addresses{};
  for (size_t i = 0; i < kBurstSize; ++i) {
    iovs[i] = {buffers_.data() + i * kReceiveBufferSize, kReceiveBufferSize};
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (!from) {
      msgs[i].msg_hdr.msg_name = &addresses[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_un);
    }
  }
  const int n = ::recvmmsg(fd, msgs.data(), kBurstSize, MSG_DONTWAIT, nullptr);
  const bool isConnection = from && from->isConnection();
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR)
      return;
    ++counters_.receiveErrors;
    if (isConnection)
      removePort(from->id()); // the connection failed
    return;
  }
  // A connection's peer that closed delivers an empty message: the end of the connection.
  const bool isHangUp = isConnection && isPeerClosed;
  if (n == 0 && isHangUp) {
    removePort(from->id());
    return;
  }
  beginBurst();
  for (int i = 0; i < n; ++i) {
    const auto& h = msgs[size_t(i)].msg_hdr;
    Port* in = from ? from : sourcePort(addresses[size_t(i)], h.msg_namelen);
    if (!in) {
      ++counters_.unknownSender;
      continue;
    }
    if (isHangUp && msgs[size_t(i)].msg_len == 0) {
      removePort(in->id());
      break;
    }
    const bool isTruncated = (h.msg_flags & MSG_TRUNC) != 0;
    receiveFrame(*in,
                 std::span<uint8_t>(buffers_.data() + size_t(i) * kReceiveBufferSize,
                                    std::min<size_t>(msgs[size_t(i)].msg_len, kReceiveBufferSize)),
                 isTruncated);
  }
  flushDirty();
}

/// The port whose client sent from `address`, or nullptr.
Port* FramePath::sourcePort(const sockaddr_un& address, socklen_t length) {
  // Frames of a burst mostly come from one sender: compare with the last one first.
  const AddressKey key = AddressKey::of(address, length);
  if (lastSender_ && key == lastSenderKey_)
    return lastSender_;
  auto known = bySource_.find(key);
  if (known == bySource_.end())
    return nullptr;
  lastSender_ = known->second;
  lastSenderKey_ = key;
  return lastSender_;
}

TimePoint FramePath::beginBurst() {
  now_ = clock_.now();
  wallTime_ = wallNow();
  return now_;
}

/// A frame that arrived on port `in`.
void FramePath::receiveFrame(Port& in, std::span<uint8_t> frame, bool isTruncated) noexcept {
  PortCounters& c = in.counters();
  ++c.rxFrames;
  c.rxBytes += frame.size();
  if (frame.empty())
    return drop(in, PortDrop::Empty); // never forwarded: UML shuts a NIC down on a 0-byte datagram
  if (isTruncated || frame.size() > kMaxFrameSize)
    return drop(in, PortDrop::Oversize);
  if (in.isListenOnly())
    return drop(in, PortDrop::MonitorRx); // a monitor listens only
  if (in.name().empty() && names_.hasMacNames() && frame.size() >= kEthernetHeaderSize && in.isNamedBySource())
    names_.nameBySource(in, frame);
  if (!in.conditioner(Direction::In).isActive())
    return enterSegment(&in, frame);
  applyConditions(in, Direction::In, frame);
}

void FramePath::inject(Port& source, std::span<const uint8_t> frame) noexcept {
  ++source.counters().rxFrames;
  source.counters().rxBytes += frame.size();
  enterSegment(&source, frame);
}

// --- conditions and forwarding -------------------------------------------------------------------

/// Runs `frame` through one direction's conditions of `p`: drops it, or passes each copy on now
/// or through the delay queue.
void FramePath::applyConditions(Port& p, Direction dir, std::span<const uint8_t> frame) noexcept {
  const LinkConditioner::Verdict v = p.conditioner(dir).decide(frame.size(), now_);
  const bool isIn = dir == Direction::In;
  switch (v.outcome) {
  case LinkConditioner::Outcome::DropDown:
    return drop(p, isIn ? PortDrop::DownIn : PortDrop::DownOut);
  case LinkConditioner::Outcome::DropLoss:
    return drop(p, isIn ? PortDrop::LossIn : PortDrop::LossOut);
  case LinkConditioner::Outcome::DropRate:
    return drop(p, isIn ? PortDrop::RateIn : PortDrop::RateOut);
  case LinkConditioner::Outcome::Pass:
    break;
  }
  if (v.copies == 2)
    ++p.counters().duplicated;
  for (uint8_t k = 0; k < v.copies; ++k) {
    const LinkConditioner::Copy& copy = v.copy[k];
    std::span<const uint8_t> bytes = frame;
    if (copy.corruptBit >= 0) {
      // One buffer per direction: an ingress-corrupted frame (in scratch_[In]) may meet an
      // egress corruption on its way out, which must not alter what the other ports get.
      std::array<uint8_t, kReceiveBufferSize>& buffer = scratch_[size_t(dir)];
      std::copy(frame.begin(), frame.end(), buffer.begin());
      LinkConditioner::flipBit(std::span<uint8_t>(buffer.data(), frame.size()), copy.corruptBit);
      bytes = std::span<const uint8_t>(buffer.data(), frame.size());
      ++p.counters().corrupted;
    }
    if (copy.departure <= now_) {
      if (isIn)
        enterSegment(&p, bytes);
      else
        enqueue(p, bytes);
      continue;
    }
    ++p.counters().delayed;
    if (!delayed_.push(copy.departure, {p.id(), uint8_t(isIn ? Stage::Forward : Stage::Send)}, bytes))
      drop(p, PortDrop::DelayFull);
  }
}

/// A frame enters the segment from `ingress` (after that port's conditions): it is captured,
/// mirrored, and forwarded. A null `ingress` left while its frame waited: the frame is captured
/// and mirrored only. A mirror's copy meets the mirror's outbound conditions as a forwarded frame
/// does; a probe is a mirror that may be the ingress, and never gets its own frame back.
void FramePath::enterSegment(Port* ingress, std::span<const uint8_t> frame) noexcept {
  capture_.record(wallTime_, frame);
  for (Port* m : mirrors_) {
    if (m == ingress)
      continue;
    if (m->conditioner(Direction::Out).isActive())
      applyConditions(*m, Direction::Out, frame);
    else
      enqueue(*m, frame);
  }
  if (!ingress)
    return;
  ForwardAction action;
  try {
    action = forwarder_.forward(frame, ingress->id(), outPorts_);
  } catch (const std::bad_alloc&) {
    return drop(*ingress, PortDrop::NoMemory); // learning a new address could not allocate
  }
  switch (action) {
  case ForwardAction::Unicast:
  case ForwardAction::Flood:
    break;
  case ForwardAction::DropRunt:
    return drop(*ingress, PortDrop::Runt);
  case ForwardAction::DropBadSource:
    return drop(*ingress, PortDrop::BadSource);
  case ForwardAction::DropSamePort:
    return drop(*ingress, PortDrop::SamePort);
  case ForwardAction::DropUnknownPort:
    return;
  }
  const bool isFromTunnel = ingress->isTunnel();
  for (PortId id : outPorts_) {
    auto out = ports_.find(id);
    // A probe does not take frames: its mirror copy above was its one copy.
    if (out == ports_.end() || !out->second->takesFrames())
      continue;
    Port& p = *out->second;
    if (isFromTunnel && p.isTunnel())
      continue; // split horizon: the full mesh reached every other host from the sender
    if (p.conditioner(Direction::Out).isActive())
      applyConditions(p, Direction::Out, frame);
    else
      enqueue(p, frame);
  }
}

void FramePath::releaseDelayed() {
  if (!delayed_.nextDue() || *delayed_.nextDue() > clock_.now())
    return;
  beginBurst();
  delayed_.popDue(now_, [&](DelayQueue::Target t, std::span<uint8_t> frame) {
    Port* p = findPort(PortId(t.port));
    if (Stage(t.stage) == Stage::Forward)
      enterSegment(p, frame);
    else if (p)
      enqueue(*p, frame);
  });
  flushDirty();
}

// --- sending and flow control --------------------------------------------------------------------

void FramePath::enqueue(Port& p, std::span<const uint8_t> frame) noexcept {
  if (!p.queue().push(frame))
    return drop(p, PortDrop::TxFull);
  if (!p.egress().isDirty) {
    p.egress().isDirty = true;
    dirty_.push_back(&p);
  }
}

void FramePath::flushDirty() noexcept {
  for (Port* p : dirty_) {
    p->egress().isDirty = false;
    flushPort(*p);
  }
  dirty_.clear();
}

void FramePath::flushPort(Port& p) noexcept {
  const EgressQueue::FlushResult r = p.flush();
  PortCounters& c = p.counters();
  c.txFrames += r.sent;
  c.txBytes += r.sentBytes;
  c.drops[size_t(PortDrop::TxError)] += r.failed;
  EgressState& e = p.egress();
  if (p.queue().size() <= lowWater()) {
    e.isStalled = false;
  } else if (p.queue().size() >= highWater() && !e.isStalled && !isInputPaused_) {
    pauseInput();
  }
  const bool wantOutput = !p.queue().empty();
  if (wantOutput != e.isWatchingOutput) {
    e.isWatchingOutput = wantOutput;
    loop_.modify(p.fd(), eventsFor(p), p);
  }
}

/// What the loop watches port `p`'s socket for: input unless paused (when the port reads its own
/// socket), room to send when its queue waits, the peer's hang-up on a connection.
uint32_t FramePath::eventsFor(const Port& p) const {
  return (p.readsOwnSocket() && !isInputPaused_ ? uint32_t(EPOLLIN) : 0u) |
         (p.egress().isWatchingOutput ? uint32_t(EPOLLOUT) : 0u) | (p.isConnection() ? uint32_t(EPOLLRDHUP) : 0u);
}

size_t FramePath::highWater() const {
  return queueFrames_ - std::min<size_t>(queueFrames_ / 4, kBurstSize * 2);
}

size_t FramePath::lowWater() const { return queueFrames_ / 4; }

/// Watches, or stops watching, every input: the shared data socket and the ports that read their
/// own sockets.
void FramePath::setInputWatched() noexcept {
  loop_.modify(dataFd_.get(), isInputPaused_ ? 0u : uint32_t(EPOLLIN), *this);
  for (auto& [fd, handler] : inputs_)
    loop_.modify(fd, isInputPaused_ ? 0u : uint32_t(EPOLLIN), *handler);
  for (auto& [id, p] : ports_)
    if (p->readsOwnSocket())
      loop_.modify(p->fd(), eventsFor(*p), *p);
}

void FramePath::pauseInput() noexcept {
  isInputPaused_ = true;
  pausedAt_ = now_;
  ++counters_.inputPauses;
  for (auto& [id, p] : ports_)
    p->egress().txAtPause = p->counters().txFrames;
  setInputWatched();
}

void FramePath::reviewPause() noexcept {
  if (!isInputPaused_)
    return;
  const bool isTimedOut = clock_.now() - pausedAt_ >= kStallTimeout;
  bool isBlocked = false;
  for (auto& [id, p] : ports_) {
    EgressState& e = p->egress();
    if (e.isStalled || p->queue().size() < highWater())
      continue;
    if (isTimedOut && p->counters().txFrames == e.txAtPause) {
      e.isStalled = true;
      ++counters_.stalls;
      continue;
    }
    isBlocked = true;
  }
  if (!isBlocked) {
    isInputPaused_ = false;
    setInputWatched();
  } else if (isTimedOut) {
    pausedAt_ = clock_.now(); // the blocking ports are draining: wait for them another round
    for (auto& [id, p] : ports_)
      p->egress().txAtPause = p->counters().txFrames;
  }
}

std::optional<TimePoint> FramePath::nextWake() const {
  std::optional<TimePoint> wake = delayed_.nextDue();
  if (isInputPaused_ && (!wake || pausedAt_ + kStallTimeout < *wake))
    wake = pausedAt_ + kStallTimeout;
  return wake;
}

} // namespace umlab::switchd
