#pragma once
/// Shard plans: the part of a placed lab (placement.hpp: each guest's `host`) that one host runs
/// (issue 20; DESIGN.md §6).
///
/// Design notes. A lab spread over N hosts runs as N ordinary labs of the same name, one per host
/// (a shard), each with its own supervisor, state directory and network namespace on its host.
/// A shard's plan is the whole lab's plan, made with that host's state root, keeping:
///   - the guests placed on the host (a `depends_on` on a guest of another host is dropped: the
///     engine starts every shard at once, so there is no order between hosts);
///   - the switch of every segment with a member on the host. When the segment also has members on
///     other hosts, the switch gets a `VxlanPlan`: one VNI per segment (its index among the lab's
///     switches, from 1), a UDP port per segment on each host (`vxlanPort` + that index - 1, bound
///     by the supervisor to the host's address) and a peer per other host of the segment. The
///     ports of guests on other hosts are left out of the switch (their conditions sit on their
///     own host's switch: every frame still meets them once);
///   - taps and mcast segments whose guests are all on the host.
/// What cannot span hosts is refused with a message saying so: an mcast segment, trunks between
/// segments, a timeline and planned replays (for now), and a lab with no placement.
/// The result is a plan the launcher runs unchanged; a single-host plan is never passed here.

#include "umlab/lab/compile/plan.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab {

/// A host of the lab, as the engine (Slurm) names it.
struct ShardHost {
  std::string name;    ///< "h1": the node's name
  std::string address; ///< "10.77.0.11": the node's address, where its VXLAN sockets listen
};

struct ShardOptions {
  uint16_t vxlanPort = 4789; ///< the first spanning segment's UDP port; the k-th uses + k - 1
};

/// The segment an interface is attached to ("lan" for "switch lan", "pcap monitor lan (tcp)"),
/// or empty for a tap.
std::string segmentOfInterface(const InterfacePlan& i);

/// Host `k`'s part of `plan`, which must be placed on `hosts.size()` hosts (placeGuests). Empty,
/// with `error`, when the lab has what cannot span hosts (above) or `k` is out of range.
std::optional<LaunchPlan> shardPlan(const LaunchPlan& plan, const std::vector<ShardHost>& hosts, uint32_t k,
                                    const ShardOptions& options, std::string& error);

/// Checks what `shardPlan` refuses, once for the whole lab: empty when it can be spread.
std::string checkShardable(const LaunchPlan& plan);

} // namespace umlab::lab
