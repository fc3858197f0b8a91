#pragma once
/// One switch segment: the event loop that joins UML `daemon` clients to a `Forwarder`.
///
/// Design notes
/// ------------
/// Protocol (uml_switch v3, as UML's arch/um/drivers/daemon_user.c speaks it; see
/// ../shared/UML.md §1). A guest connects a unix stream socket to the control path and writes a
/// 124-byte `request_v3`: magic 0xfeedface, version 3, type 0 (REQ_NEW_CONTROL), then the
/// `sockaddr_un` of its own datagram socket (abstract, bound with addrlen 110, with
/// uninitialised bytes in the name, so it is copied verbatim and compared in full). The switch
/// replies with exactly 110 bytes: the `sockaddr_un` of its data socket. From then on every
/// datagram is one Ethernet frame. Closing the control connection leaves the switch. The
/// constants and the request's layout are in umlab/transports/daemon_protocol.hpp.
///
/// Probes (an umlab extension of the request's `type`). A client that writes the same request
/// with type `kRequestProbe` (0x706c6d75, the bytes "umlp"; UML only ever sends 0) on the control
/// socket joins as a probe: a port of kind `probe` that sends like a guest (its frames are learnt,
/// forwarded, captured, mirrored and meet the port's conditions, which only the admin sets) and
/// receives a copy of every frame that enters the segment exactly once, unicast between other
/// ports included, never its own. `umlab replay --through` uses one per segment to play a capture
/// through a lab's firewall and see what comes out on the far side. The handshake, its refusals
/// (a full switch, a duplicate address) and leaving are a guest's. A plain uml_switch, which knows
/// only type 0, closes the connection: probes need umlab-switchd. The client side is
/// `umlab::transports::SwitchClient`.
///
/// Other ports. `--bess` accepts the vector transport's SOCK_SEQPACKET connections (one frame
/// per message, no handshake); `--monitor` is a second daemon-protocol listener whose ports only
/// receive (a mirror of everything entering the segment; a probe request there is refused);
/// `--uplink` joins another switch as a
/// daemon client (a trunk); `--vxlan-peer` is a remote VTEP reached through one UDP socket (RFC
/// 7348), the segment's part on another host. docs/switchd.md has the details.
///
/// Sockets. One data socket receives from every daemon client (an abstract name bound with
/// addrlen 110 whose bytes are all deterministic, as uml_switch does); a datagram's port is
/// found by its full source address. Frames go out through one unnamed datagram socket per
/// port, connected to the client's address at the handshake (which also proves that address
/// exists), so a client that stops reading fills only its own socket. The loop is epoll
/// (level-triggered) with a signalfd for SIGTERM/SIGINT and a nanosecond timeout for the next
/// delayed frame.
///
/// Frame path. recvmmsg bursts of 32 -> the ingress port's conditions (`LinkConditioner`, maybe via
/// the `DelayQueue`) -> capture file, capture ring, monitor and probe ports (each through its
/// outbound conditions) -> `Forwarder` -> each egress port's conditions -> the port's
/// `EgressQueue` -> one sendmmsg per port after the burst. A probe is skipped by the forwarder's
/// output (its mirror copy is its copy) with the test every output port gets already, so probes
/// cost the frame path nothing while none is attached.
/// Flow control: when a port's queue nears full, input is paused until it drains; a port that
/// takes nothing for 20 ms is declared stalled and no longer pauses anyone (its frames are
/// dropped as tx_full).
///
/// Robustness. Nothing a client sends may stop the switch. Requests with a bad magic, version,
/// type or address family are refused (the control connection is closed and the refusal
/// counted); a request that does not complete within 5 s is dropped; bytes beyond the request
/// (vde's clients append a description) are ignored. Datagrams from unknown addresses, runts,
/// empty and oversize datagrams are dropped and counted; a 0-byte datagram is never forwarded,
/// because UML shuts the receiving NIC down on one. The frame path does not throw and, once the
/// queues have grown to their working size, does not allocate.
///
/// Admin. A text protocol on a unix stream socket: one command per line, one reply per
/// command. A reply is zero or more non-empty lines followed by an empty line; a reply to a bad
/// command starts with "error: ".
///
/// Code. The daemon's parts live in switchd/src, one concern per file (the event loop, the `Port`
/// interface and one subclass per kind of port, the frame path, the listeners and handshake,
/// capture and replay, the admin server and its command table); switch_daemon.cpp only wires
/// them. docs/switchd.md lists them.

#include "umlab/switchd/clock.hpp"
#include "umlab/switchd/forwarder.hpp"
#include "umlab/switchd/vxlan.hpp"

#include "umlab/base/mac_address.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::switchd {

/// The largest datagram forwarded: UML's receive buffer (MTU 1500 + 26), which also holds a
/// frame with one 802.1Q tag. Larger datagrams are dropped as oversize.
inline constexpr size_t kMaxFrameSize = 1526;

/// A name for the port whose client sends from `mac` (`--port NAME=MAC`).
struct PortName {
  std::string name;
  MacAddress mac;
};

/// The segment's VXLAN tunnels to its parts on other hosts (switchd/src/vxlan_tunnel.hpp). The
/// tunnel exists when `socketFd` or `bind` is given (never both); `vni` is then required.
struct VxlanOptions {
  uint32_t vni = 0;                  ///< --vxlan-vni; 0: not given
  int socketFd = -1;                 ///< --vxlan-socket: an inherited, bound IPv4 UDP socket
  std::optional<Ipv4Endpoint> bind;  ///< --vxlan-bind
  std::vector<VxlanPeer> peers;      ///< --vxlan-peer, one port each
  bool isEnabled() const { return socketFd >= 0 || bind.has_value(); }
};

/// Another switch this one joins as a client, as a trunk (`--uplink [NAME=]PATH`).
struct Uplink {
  std::string name;
  std::string ctlPath;
};

struct SwitchOptions {
  std::string ctlPath;
  std::string adminPath;   ///< empty: no admin socket
  std::string bessPath;    ///< empty: no bess (SOCK_SEQPACKET) listener
  std::string monitorPath; ///< empty: no read-only monitor listener
  /// Tap devices that get a copy of every frame (`--mirror-tap DEVICE[:FD]`, tap_mirror.hpp):
  /// "DEVICE" or "DEVICE:FD" (an inherited descriptor attached to it).
  std::vector<std::string> mirrorTaps;
  std::vector<Uplink> uplinks;
  VxlanOptions vxlan;
  std::vector<PortName> portNames;
  /// Admin commands run once at start, in order ("set port pc1:eth0 delay 20ms"); a failing one
  /// stops the start with its error.
  std::vector<std::string> startCommands;
  std::string capturePath; ///< empty: no capture file at start
  size_t ringBytes = 4 << 20; ///< the capture ring (0: none)
  uint64_t seed = 1;
  ForwardingMode mode = ForwardingMode::Switch;
  size_t fdbMaxEntries = FdbTable::kDefaultMaxEntries;
  Duration agingTime = FdbTable::kDefaultAgingTime;
  size_t maxClients = 1024;
  size_t queueFrames = 256; ///< per-port egress queue
};

class SwitchDaemon {
public:
  /// Blocks SIGTERM and SIGINT (restored on destruction), binds the sockets. Throws
  /// std::system_error naming the path when a socket cannot be made, or when the control path
  /// is held by a live switch; a stale socket file left by a crash is replaced.
  SwitchDaemon(const SwitchOptions& options, const Clock& clock);
  /// Closes every socket and unlinks the control and admin paths.
  ~SwitchDaemon();
  SwitchDaemon(const SwitchDaemon&) = delete;
  SwitchDaemon& operator=(const SwitchDaemon&) = delete;

  /// Serves until SIGTERM or SIGINT arrives. Throws std::system_error only when epoll itself
  /// fails.
  void run();
  /// Runs one admin command line and returns its reply (without the terminating empty line).
  std::string executeAdmin(std::string_view line);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace umlab::switchd
