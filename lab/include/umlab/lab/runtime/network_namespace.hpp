#pragma once
/// The lab's own network namespace (DESIGN.md §1). Every process of a lab runs in it: UML's
/// daemon transport uses abstract unix sockets, which belong to a namespace, and UML's mcast
/// transport follows the multicast route — in a fresh namespace with the route on `lo`, mcast
/// traffic never leaves the machine. The namespace is unnamed: it ends with its last process,
/// so a crash cannot leak it.

namespace umlab::lab::runtime {

/// Moves the calling process into a new network namespace with `lo` up, multicast enabled on it,
/// and the route 224.0.0.0/4 via `lo`. Throws std::system_error; without CAP_SYS_ADMIN the
/// message says to run as root.
void enterLabNetworkNamespace();

} // namespace umlab::lab::runtime
