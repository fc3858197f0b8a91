#pragma once
// The frame path of the switch (internal to switchd/src): the ports of the segment and every frame
// they carry, from the socket it arrives on to the sockets it leaves on.
//
// Design notes
// ------------
// A burst is one recvmmsg of up to `kBurstSize` datagrams, from the shared data socket (daemon and
// monitor clients, told apart by their full source address) or from one port's own socket (bess,
// uplink). Each frame then goes
//   ingress checks (empty, oversize, a mirror's input) -> the ingress port's conditions (now, or
//   through the `DelayQueue`) -> the segment: capture, mirrors, `Forwarder` -> each egress port's
//   conditions -> the port's `EgressQueue`,
// and after the burst every queue that received frames is flushed, one sendmmsg per port.
//
// Flow control. A receiver's socket takes only a few frames at a time; when a port's queue fills
// anyway, the switch stops reading its input until the queue drains, so that senders meet a full
// socket (and wait, as UML's transport does) instead of the switch dropping frames it already
// read. A port that takes nothing for `kStallTimeout` is "stalled": it no longer holds up the
// others, and its frames are dropped (tx_full) until it drains again.
//
// Cost. Per frame: no virtual call, no allocation once the queues have grown to their working
// size, no exception. Per burst, and per port sent to, one virtual call (`Port::flush`, and the
// ingress port's kind). Ports are looked up by id for the forwarder's output; a removed port is
// kept until the end of the loop's turn (`collectRetired`), so that nothing in the turn that still
// holds it sees it destroyed.
//
// Probes (ProbePort) add nothing to the path of a frame while none is attached. A probe is a
// mirror (an entry of the mirror loop, which runs only when mirrors exist and skips the frame's
// ingress, so a probe never gets its own frame back) and a port of the forwarder that does not
// take frames: the output loop's `takesFrames` test, made for every output port already, skips
// it, so a frame the forwarder floods or sends to a MAC behind the probe reaches it once, as the
// mirror copy. What a probe sends is learnt and forwarded like a guest's.

#include "capture.hpp"
#include "event_loop.hpp"
#include "port.hpp"
#include "port_names.hpp"
#include "unix_sockets.hpp"

#include "umlab/base/unique_fd.hpp"
#include "umlab/switchd/clock.hpp"
#include "umlab/switchd/delay_queue.hpp"
#include "umlab/switchd/fdb_table.hpp"
#include "umlab/switchd/forwarder.hpp"
#include "umlab/switchd/switch_daemon.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace umlab::switchd {

/// Frames read per recvmmsg (and replayed per loop turn).
inline constexpr size_t kBurstSize = 32;

class FramePath final : public FdHandler {
public:
  struct Counters {
    uint64_t clientsJoined = 0;
    uint64_t clientsLeft = 0;
    uint64_t unknownSender = 0;
    uint64_t receiveErrors = 0;
    uint64_t inputPauses = 0;
    uint64_t stalls = 0;
  };

  /// Binds the shared data socket (an abstract name, see `bindAbstractDatagram`) and watches it.
  /// Throws std::system_error.
  FramePath(const SwitchOptions& options, const Clock& clock, EventLoop& loop, PortNames& names, Capture& capture);
  FramePath(const FramePath&) = delete;
  FramePath& operator=(const FramePath&) = delete;

  // --- ports -----------------------------------------------------------------------------------

  /// Gives `port` the next id, seeds it, joins it to the forwarder (or the mirrors) and watches
  /// its socket. Returns nullptr (errno set), and drops the port, when the loop cannot watch its
  /// socket.
  Port* addPort(std::unique_ptr<Port> port);
  /// Removes the port and everything that refers to it (forwarder and FDB entries, delayed
  /// frames, its source address); it is destroyed at the end of the loop's turn.
  void removePort(PortId id) noexcept;
  Port* findPort(PortId id);
  /// The port named `word`: a port id, or a port name.
  Port* findPort(std::string_view word);
  /// Every port, by id.
  std::vector<Port*> sortedPorts();
  size_t portCount() const { return ports_.size(); }
  /// The mirrors that only listen (monitors, tap mirrors).
  size_t mirrorCount() const { return mirrors_.size() - probeCount_; }
  /// The probes: mirrors whose frames enter the segment.
  size_t probeCount() const { return probeCount_; }
  /// Destroys the ports removed during this turn.
  void collectRetired() { retired_.clear(); }

  /// The address daemon clients send their frames to (the handshake's reply).
  const sockaddr_un& dataAddress() const { return dataAddress_; }
  /// True when a port's client sends from `key` already.
  bool hasSource(const AddressKey& key) const { return bySource_.contains(key); }

  // --- frames ----------------------------------------------------------------------------------

  /// The shared data socket is readable.
  void onReady(uint32_t events) override;
  /// Port `port`'s socket is ready (Port::onReady).
  void onPortReady(Port& port, uint32_t events);

  /// Frames that come from no socket (the replay): `beginBurst`, `inject` each, `endBurst`.
  /// Returns the burst's time.
  TimePoint beginBurst();
  /// Counts `frame` as received on `source` and lets it enter the segment as it is: no ingress
  /// checks, no conditions.
  void inject(Port& source, std::span<const uint8_t> frame) noexcept;
  void endBurst() noexcept { flushDirty(); }
  /// A frame from a socket the frame path does not read itself (a VXLAN tunnel's, which decapsulates
  /// and finds the port), inside `beginBurst`/`endBurst`: the ingress checks and conditions apply
  /// as to a frame the frame path received. `isTruncated`: the datagram did not fit its buffer.
  void receive(Port& in, std::span<uint8_t> frame, bool isTruncated) noexcept { receiveFrame(in, frame, isTruncated); }
  /// Watches `fd`, an input that `handler` reads (a VXLAN tunnel's socket), for EPOLLIN, paused
  /// with the other inputs by flow control. Throws std::system_error.
  void watchInput(int fd, FdHandler& handler);

  /// Sends or forwards the delayed frames that are due.
  void releaseDelayed();
  /// Resumes reading when no live port is backed up; after kStallTimeout, ports that took
  /// nothing meanwhile are declared stalled. Called on every loop turn.
  void reviewPause() noexcept;
  /// When the frame path next needs the loop: the next delayed frame, the stall deadline.
  std::optional<TimePoint> nextWake() const;
  /// Forgets the addresses not seen for the aging time.
  void expireFdb() { fdb_.expire(); }

  const FdbTable& fdb() const { return fdb_; }
  size_t delayedCount() const { return delayed_.size(); }
  const Counters& counters() const { return counters_; }

private:
  /// Larger than kMaxFrameSize, so that an oversize datagram is seen, not truncated.
  static constexpr size_t kReceiveBufferSize = 2048;

  void receiveBurst(int fd, Port* from, bool isPeerClosed);
  Port* sourcePort(const sockaddr_un& address, socklen_t length);
  void receiveFrame(Port& in, std::span<uint8_t> frame, bool isTruncated) noexcept;
  void applyConditions(Port& p, Direction dir, std::span<const uint8_t> frame) noexcept;
  void enterSegment(Port* ingress, std::span<const uint8_t> frame) noexcept;
  void enqueue(Port& p, std::span<const uint8_t> frame) noexcept;
  void drop(Port& p, PortDrop why) noexcept { ++p.counters().drops[size_t(why)]; }
  void flushDirty() noexcept;
  void flushPort(Port& p) noexcept;

  uint32_t eventsFor(const Port& p) const;
  size_t highWater() const;
  size_t lowWater() const;
  void pauseInput() noexcept;
  void setInputWatched() noexcept;

  const Clock& clock_;
  EventLoop& loop_;
  PortNames& names_;
  Capture& capture_;
  size_t queueFrames_;
  UniqueFd dataFd_;
  sockaddr_un dataAddress_{};
  FdbTable fdb_;
  Forwarder forwarder_;
  DelayQueue delayed_;
  std::unordered_map<PortId, std::unique_ptr<Port>> ports_;
  std::unordered_map<AddressKey, Port*, AddressKeyHash> bySource_;
  std::vector<Port*> mirrors_; ///< every mirror, the probes included
  size_t probeCount_ = 0;
  std::vector<std::pair<int, FdHandler*>> inputs_; ///< watchInput's
  std::vector<Port*> dirty_;
  std::vector<std::unique_ptr<Port>> retired_;
  std::vector<PortId> outPorts_;
  std::vector<uint8_t> buffers_;
  std::array<std::array<uint8_t, kReceiveBufferSize>, 2> scratch_{}; ///< corrupted copies, by Direction
  Port* lastSender_ = nullptr; ///< the port of the last datagram on the shared data socket
  AddressKey lastSenderKey_;
  PortId nextPortId_ = 1;
  bool isInputPaused_ = false;
  TimePoint pausedAt_;
  TimePoint now_;       ///< the current burst's time
  WallTime wallTime_;   ///< the current burst's capture time
  Counters counters_;
};

} // namespace umlab::switchd
