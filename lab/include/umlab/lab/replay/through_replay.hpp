#pragma once
/// Plays a capture *through* a node of a running lab (`umlab replay LAB CAPTURE --through NODE`):
/// each packet, re-addressed onto the lab, enters on the side of its sender and is looked for on
/// the side of its receiver; what happened to it makes its flow's verdict (flow_report.hpp).
///
/// Design notes
/// ------------
/// The replay stands in for the capture's hosts. On each side of the node it holds one port of
/// the segment's switch (`SideLinks`; the real one is a probe port of umlab-switchd, which sees
/// every frame that enters the segment and sends like a guest). For every (mapped) address it
/// plays, it answers the node's ARP requests and IPv6 neighbour solicitations with a MAC derived
/// from the address, so the node forwards to it as to a real host; addresses that belong to the
/// lab's own guests are left to them (their own answers cross the node too, and are not
/// counted: see `ReplayReport::notes`).
///
/// Per packet, in the capture's order:
///   1. parse; what is not IPv4/IPv6 unicast, a later IP fragment, or a packet to or from the
///      node itself is skipped, counted by reason;
///   2. map both addresses (`--map`), find the two sides (`ReplaySides::sideOf`); a sender or
///      receiver on no side, or both on one side, is skipped with the reason;
///   3. keep conversations consistent: while packets of the same flow in the other direction
///      are still crossing (not yet seen on their far side, nor given up), wait for them: a
///      server's answer enters only after the client's packet has crossed, so that connection
///      tracking sees the exchange in its order;
///   4. keep the capture's spacing (divided by `speed`; 0: as fast as step 3 allows) since the
///      previous packet entered;
///   5. rewrite the MACs (our host's to the node's MAC on that side), the addresses and the
///      checksums, raise a TTL or hop limit below 2 to 2 (it must survive one hop), and send;
///   6. the packet is "in flight" until a frame with its fingerprint (what routing and NAT do not
///      change: transports::fingerprint) leaves the node on the receiver's side (delivered), a
///      rejection comes back on the sender's side (an ICMP destination unreachable quoting it,
///      or a TCP reset for its flow, from the node), or `wait` passes (dropped).
/// At the end the replay waits for the packets still in flight. Memory is bounded by the flows
/// and the packets in flight, never by the capture: frames are read one at a time.
///
/// Which rule decided (`--rules`, a `RuleWitness`): a packet that opens a flow waits until
/// nothing else is in flight, is sent alone, and is waited for until it is settled; the
/// witness reads the node's counters before and after (runtime/firewall_decision.hpp) and the
/// rule it names goes into the flow's record. One flow at a time costs pace (a dropped first
/// packet is waited for its full `wait`), so it is asked for, not the default.

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/replay/flow_report.hpp"
#include "umlab/lab/replay/replay_sides.hpp"
#include "umlab/transports/address_map.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <span>
#include <vector>

namespace umlab::lab::replay {

using SteadyClock = std::chrono::steady_clock;

/// The replay's ports on the node's sides: index k is `ReplaySides::sides()[k]`.
class SideLinks {
public:
  using FrameHandler = std::function<void(size_t side, std::span<const uint8_t> frame)>;
  virtual ~SideLinks() = default;
  /// Sends `frame` into side `side` (waiting while its socket is full); throws on failure.
  virtual void send(size_t side, std::span<const uint8_t> frame) = 0;
  /// Hands every frame that arrives on any side to `onFrame` until `deadline`; returns earlier,
  /// after handling at least one frame, when frames arrived.
  virtual void receive(SteadyClock::time_point deadline, const FrameHandler& onFrame) = 0;
};

/// Reads which of the node's rules decided the packets sent since the last reading.
class RuleWitness {
public:
  virtual ~RuleWitness() = default;
  /// Reads the node's counters as they are now. Not called when nothing was sent since the
  /// last `decided()`, whose reading serves again.
  virtual void before() = 0;
  /// Reads them again; the rule (or policy) that decided what was sent since, for people, or
  /// "" when the counters do not tell. Throws when the node cannot be read.
  virtual std::string decided() = 0;
};

struct ReplayProgress {
  uint64_t packetsRead = 0;
  uint64_t packetsInjected = 0;
  uint64_t packetsSkipped = 0;
  uint64_t inFlight = 0;
  uint64_t flows = 0;
};

struct ThroughReplayOptions {
  transports::AddressMap map;
  double speed = 1; ///< the capture's pace times this; 0: unpaced
  /// How long a packet may take to cross the node before it counts as dropped.
  std::chrono::milliseconds wait{500};
  /// Addresses of the lab's own guests: the replay does not answer for them.
  std::set<IpAddress> labAddresses;
  /// Called about once a second while the replay runs.
  std::function<void(const ReplayProgress&)> onProgress;
  /// Checked between packets and while waiting; false stops the replay (verdicts so far).
  std::function<bool()> keepGoing;
  /// When set, every frame the replay's ports see on side k (and what they send) is written
  /// to `sideCaptures[k]`.
  std::vector<transports::PcapWriter>* sideCaptures = nullptr;
  /// When set, each flow's first packet crosses alone and the witness names its rule.
  RuleWitness* rules = nullptr;
};

/// Replays `capture` through the node of `sides`; fills the report's flows, counts and notes.
/// A capture that cannot be read past some frame ends the replay with an error in `diags`
/// (naming the frame) and the verdicts so far.
void replayThrough(transports::PcapReader& capture, const ReplaySides& sides, SideLinks& links,
                   const ThroughReplayOptions& options, ReplayReport& report, Diagnostics& diags);

/// The MAC the replay answers with for `address` (locally administered, stable).
MacAddress replayHostMac(const IpAddress& address);

} // namespace umlab::lab::replay
