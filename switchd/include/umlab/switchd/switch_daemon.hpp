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
/// datagram is one Ethernet frame. Closing the control connection leaves the switch.
///
/// Sockets. One control listener (a path, unlinked on exit), one data socket that receives
/// from every client (an abstract name bound with addrlen 110 whose bytes are all
/// deterministic, as uml_switch does), an optional admin listener (a path), and a signalfd for
/// SIGTERM/SIGINT. The loop is level-triggered epoll; an incoming datagram's port is found by
/// its full source address, as uml_switch's port.c does. Frames go out through one unnamed
/// datagram socket per port, connected to the client's address at the handshake (which also
/// proves that address exists): a client that stops reading fills only its own socket's send
/// buffer, where with one shared sending socket it would exhaust that socket's buffer for
/// everyone (vde_switch also keeps a socket per port).
///
/// Robustness. Nothing a client sends may stop the switch. Requests with a bad magic, version,
/// type or address family are refused (the control connection is closed and the refusal
/// counted); a request that does not complete within 5 s is dropped; bytes beyond the request
/// (vde's clients append a description) are ignored. Datagrams from unknown addresses, runts,
/// empty and oversize datagrams are dropped and counted; a 0-byte datagram is never forwarded,
/// because UML shuts the receiving NIC down on one. Sends never block: a client that stops
/// reading loses frames, counted as its `tx-full` drops, and nobody else is slowed. The frame
/// path does not throw.
///
/// Admin. A text protocol on a unix stream socket: one command per line, one reply per
/// command. A reply is zero or more non-empty lines followed by an empty line; a reply to a bad
/// command starts with "error: ".

#include "umlab/switchd/clock.hpp"
#include "umlab/switchd/forwarder.hpp"

#include "umlab/base/mac_address.hpp"

#include <memory>
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
  std::vector<Uplink> uplinks;
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
