#pragma once
// A port of the switch (internal to switchd/src): the interface every kind of port implements, and
// what the switch keeps for each port whatever its kind.
//
// Design notes
// ------------
// One subclass per kind of port, as OVS has one netdev provider per kind of device:
//   DaemonPort   a UML guest on the daemon transport (daemon_port.hpp)
//   MonitorPort  a read-only mirror that joined through the monitor listener (daemon_port.hpp)
//   ProbePort    a daemon client that sends like a guest and sees every frame (daemon_port.hpp)
//   BessPort     a guest on the vector transport's SOCK_SEQPACKET (bess_port.hpp)
//   UplinkPort   a trunk to another switch, which this one joined as a daemon client (uplink.hpp)
//   ReplayPort   the source of 'replay start', with no socket (replay.hpp)
//   VxlanPort    a remote VTEP of the segment's VXLAN tunnels (vxlan_tunnel.hpp)
// The kinds differ in how frames leave (`flush`), whether the port reads its own socket and what
// ends it, and how 'show ports' names it and its peer. The frame path asks these once per burst or
// per port it sends to, never per frame. What it must know for every frame (does the port mirror
// the segment, is it delivered to) is fixed by the kind at construction and kept here as plain
// members (`Traits`), so the per-frame path makes no virtual call.
//
// Mirrors. A mirror gets a copy of every frame that enters the segment. A listen-only mirror
// (monitor, tap mirror) is not a port of the forwarder and its input is dropped. A probe is a
// mirror that is also a port of the forwarder (its frames are learnt and forwarded) and does not
// take what the forwarder sends it, since its mirror copy is already the one copy of each frame;
// so the forwarder's output loop needs no test of its own for probes (`takesFrames` is checked
// for every output port anyway).
//
// Counters, the egress queue, the link conditioners of both directions and the flow-control
// bookkeeping are the same for every kind and live here; the `FramePath` updates them.

#include "event_loop.hpp"
#include "unix_sockets.hpp"

#include "umlab/base/unique_fd.hpp"
#include "umlab/switchd/egress_queue.hpp"
#include "umlab/switchd/fdb_table.hpp"
#include "umlab/switchd/link_conditioner.hpp"

#include <array>
#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>

namespace umlab::switchd {

class FramePath;

/// Why a port dropped a frame; 'show ports' prints every reason as drop_<name>=N.
enum class PortDrop {
  Empty, Runt, Oversize, BadSource, SamePort, NoMemory, TxFull, TxError, MonitorRx,
  DownIn, DownOut, LossIn, LossOut, RateIn, RateOut, DelayFull, Count
};
inline constexpr std::array<const char*, size_t(PortDrop::Count)> kPortDropNames = {
    "empty",   "runt",     "oversize", "bad_source", "same_port", "no_memory",
    "tx_full", "tx_error", "monitor_rx", "down_in",  "down_out",  "loss_in",
    "loss_out", "rate_in", "rate_out", "delay_full"};

struct PortCounters {
  uint64_t rxFrames = 0;
  uint64_t rxBytes = 0;
  uint64_t txFrames = 0;
  uint64_t txBytes = 0;
  uint64_t duplicated = 0;
  uint64_t corrupted = 0;
  uint64_t delayed = 0;
  std::array<uint64_t, size_t(PortDrop::Count)> drops{};
};

/// The frame path's bookkeeping of a port's egress (see FramePath's flow control).
struct EgressState {
  bool isDirty = false;          ///< frames were queued during this burst; flushed at its end
  bool isWatchingOutput = false; ///< its socket was full: the loop reports when it has room
  /// Its queue filled and it took nothing for a while: it no longer pauses the input.
  bool isStalled = false;
  uint64_t txAtPause = 0;        ///< txFrames when the input was last paused
};

class Port : public FdHandler {
public:
  virtual ~Port() = default;
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  PortId id() const { return id_; }
  /// Empty until the port is named (--port NAME=MAC when its client sends from MAC, --uplink
  /// NAME=..., "replay").
  const std::string& name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }
  /// The port's socket, or -1 (the replay port has none).
  int fd() const { return fd_.get(); }

  /// Receives a copy of every frame that enters the segment (except its own).
  bool isMirror() const { return traits_.isMirror; }
  /// A mirror that only listens: what it sends is dropped (monitor_rx), and it is not a port of
  /// the forwarder.
  bool isListenOnly() const { return traits_.isListenOnly; }
  /// A mirror whose frames enter the segment as a guest's do (a probe): a port of the forwarder
  /// that takes its frames from the mirror copies only.
  bool isProbe() const { return traits_.isMirror && !traits_.isListenOnly; }
  /// Frames the forwarder sends to it are delivered; false for a port that is only a source
  /// (the replay) and for a probe, which has every frame from the mirror copies already.
  bool takesFrames() const { return traits_.takesFrames; }
  /// The first source MAC it sends from that `--port NAME=MAC` declared names it (and gives it
  /// that name's conditions); false for a port that speaks for many hosts (a probe).
  bool isNamedBySource() const { return traits_.isNamedBySource; }
  /// A tunnel to another host of a full mesh (VXLAN): split horizon, a frame that came from one
  /// tunnel is never sent into another, since every host has a tunnel to every other.
  bool isTunnel() const { return traits_.isTunnel; }

  PortCounters& counters() { return counters_; }
  const PortCounters& counters() const { return counters_; }
  EgressQueue& queue() { return queue_; }
  const EgressQueue& queue() const { return queue_; }
  LinkConditioner& conditioner(Direction d) { return conditioners_[size_t(d)]; }
  const LinkConditioner& conditioner(Direction d) const { return conditioners_[size_t(d)]; }
  EgressState& egress() { return egress_; }
  const EgressState& egress() const { return egress_; }

  // --- what each kind of port provides ---------------------------------------------------------

  /// The kind as 'show ports' names it: "daemon", "monitor", "probe", "bess", "uplink", "replay",
  /// "vxlan".
  virtual std::string_view kind() const = 0;
  /// The peer's address as 'show ports' shows it; "-" when the kind shows none.
  virtual std::string address() const { return "-"; }
  /// True when the port receives its frames on its own socket (bess, uplink); false when they
  /// reach the switch another way (the shared data socket, the replay).
  virtual bool readsOwnSocket() const { return false; }
  /// True when the port is a connection: its peer hanging up, or a failed read, removes it.
  virtual bool isConnection() const { return false; }
  /// The source address its client's frames arrive from on the switch's shared data socket, or
  /// nullptr when they do not arrive there.
  virtual const AddressKey* sourceKey() const { return nullptr; }
  /// Sends what the queue holds, as far as the socket takes it.
  virtual EgressQueue::FlushResult flush() noexcept { return queue_.flush(fd_.get()); }

  // --- joining the frame path ------------------------------------------------------------------

  /// Called once, by FramePath::addPort: the port's id, and a queue of `queueFrames` frames.
  void attach(FramePath& path, PortId id, size_t queueFrames);
  /// The loop's report on the port's socket, passed on to the frame path.
  void onReady(uint32_t events) final;

protected:
  struct Traits {
    bool isMirror = false;
    bool isListenOnly = false; ///< only for a mirror
    bool takesFrames = true;
    bool isTunnel = false;
    bool isNamedBySource = true;
  };
  /// `fd` may be empty (the replay port). A mirror that sends into the segment must not take the
  /// forwarder's frames too, or it would get each frame twice.
  Port(UniqueFd fd, Traits traits) : fd_(std::move(fd)), traits_(traits) {
    assert(!traits.isListenOnly || traits.isMirror);
    assert(!traits.isMirror || traits.isListenOnly || !traits.takesFrames);
  }

private:
  FramePath* path_ = nullptr;
  PortId id_ = kNoPort;
  std::string name_;
  UniqueFd fd_;
  Traits traits_;
  EgressState egress_;
  EgressQueue queue_;
  std::array<LinkConditioner, 2> conditioners_; ///< by Direction
  PortCounters counters_;
};

} // namespace umlab::switchd
