#pragma once
// The ports of clients that joined through the daemon protocol (internal to switchd/src): UML guests
// on the daemon transport, the read-only mirrors of the monitor listener, and the probes (the
// umlab request type `kRequestProbe` on the control socket). The handshake that makes them is in
// port_listeners.hpp.

#include "port.hpp"
#include "unix_sockets.hpp"

#include <sys/un.h>

namespace umlab::switchd {

/// A UML guest on the daemon transport. Its frames arrive on the switch's shared data socket from
/// the client's address (every byte of it counts); they leave through the port's own unnamed
/// datagram socket, connected to that address at the handshake, so a client that stops reading
/// fills only its own socket. Closing the control connection removes the port.
class DaemonPort : public Port {
public:
  /// `tx`: a datagram socket connected to `client`, the client's data socket.
  DaemonPort(UniqueFd tx, const sockaddr_un& client) : DaemonPort(std::move(tx), client, Traits{}) {}

  std::string_view kind() const override { return "daemon"; }
  std::string address() const override { return describeAddress(client_, kUnixAddressSize); }
  const AddressKey* sourceKey() const override { return &key_; }

protected:
  DaemonPort(UniqueFd tx, const sockaddr_un& client, Traits traits)
      : Port(std::move(tx), traits), client_(client), key_(AddressKey::of(client, kUnixAddressSize)) {}

private:
  sockaddr_un client_;
  AddressKey key_;
};

/// A client of the monitor listener: it joins as a daemon client does, receives a copy of every
/// frame that enters the segment, and whatever it sends is dropped (monitor_rx), so a guest that
/// runs tcpdump on it cannot disturb the segment.
class MonitorPort final : public DaemonPort {
public:
  MonitorPort(UniqueFd tx, const sockaddr_un& client)
      : DaemonPort(std::move(tx), client, Traits{.isMirror = true, .isListenOnly = true}) {}

  std::string_view kind() const override { return "monitor"; }
};

/// A client that joined with `kRequestProbe`, such as the replay engine of `umlab replay
/// --through`, which speaks for many hosts and must see whether its frames came out on the far
/// side of a firewall: it sends like a guest (its frames are learnt, forwarded, captured and
/// mirrored, and meet its conditions) and receives every frame that enters the segment exactly
/// once, unicast between other ports included, but never its own. It is a mirror that is also a
/// port of the forwarder; the forwarder's deliveries to it are skipped, the mirror copy being the
/// one copy. It is not named by the MACs it sends from (it speaks for many hosts, none of them a
/// declared NIC), so it has no conditions unless the admin sets them on its id.
class ProbePort final : public DaemonPort {
public:
  ProbePort(UniqueFd tx, const sockaddr_un& client)
      : DaemonPort(std::move(tx), client,
                   Traits{.isMirror = true, .isListenOnly = false, .takesFrames = false, .isNamedBySource = false}) {}

  std::string_view kind() const override { return "probe"; }
};

} // namespace umlab::switchd
