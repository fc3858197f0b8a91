#pragma once
/// The lab's own network namespace (DESIGN.md §1). Every process of a lab runs in it: UML's
/// daemon transport uses abstract unix sockets, which belong to a namespace, and UML's mcast
/// transport follows the multicast route — in a fresh namespace with the route on `lo`, mcast
/// traffic never leaves the machine. The namespace is unnamed: it ends with its last process,
/// so a crash cannot leak it.
///
/// Unix datagram queues. `net.unix.max_dgram_qlen` (10 on Debian) bounds how many datagrams may
/// wait at a unix datagram socket before senders get EAGAIN; it is read when a socket is made
/// and it belongs to the network namespace. Every daemon-transport frame crosses two such
/// sockets (guest -> switch, switch -> guest), and a 10-frame queue turns every scheduling hiccup
/// into a refused send. The lab's namespace raises it to `kLabDatagramQueueLength` before any
/// switch or guest starts (the host's value is untouched).

namespace umlab::lab::runtime {

inline constexpr int kLabDatagramQueueLength = 512;

/// Moves the calling process into a new network namespace with `lo` up, multicast enabled on it,
/// the route 224.0.0.0/4 via `lo`, and net.unix.max_dgram_qlen = kLabDatagramQueueLength. Throws std::system_error; without CAP_SYS_ADMIN the
/// message says to run as root.
void enterLabNetworkNamespace();

} // namespace umlab::lab::runtime
