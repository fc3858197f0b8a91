#pragma once
/// The UDP socket of a segment's VXLAN tunnels (shard_plan.hpp): bound by the supervisor to the
/// host's address while it is still in the host's network namespace, then inherited by the
/// segment's umlab-switchd (`--vxlan-socket 4`), which runs in the lab's namespace. So the switch
/// reaches the other hosts without the lab's namespace having any route out.

#include "umlab/base/unique_fd.hpp"

#include <string>

namespace umlab::lab::runtime {

/// A non-blocking IPv4 UDP socket bound to `address` ("10.77.0.11:4789"). Throws RuntimeError
/// naming the segment, the address and what to do (another lab using the port, an address this
/// host does not have).
UniqueFd bindVxlanSocket(const std::string& address, const std::string& segment);

} // namespace umlab::lab::runtime
