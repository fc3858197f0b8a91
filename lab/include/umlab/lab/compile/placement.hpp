#pragma once
/// Placement: which host runs each guest of a lab that spans several hosts (issue 20, first part:
/// the algorithm, used by `umlab plan --hosts N` and the Slurm engine once they exist).
///
/// Design notes. The lab is a hypergraph: a vertex per node (weight: one guest and its memory),
/// a net per segment (a switch segment or a point-to-point link) whose pins are its members and
/// monitors. A segment whose ports lie on k hosts needs one umlab-switchd per host joined by k-1
/// VXLAN tunnels, so the cost is the "connectivity minus one" of every net, summed: `tunnels`.
///
/// The algorithm, deterministic: (1) order the nodes by a depth-first walk of the node-segment
/// graph (Boost.Graph) that takes each segment's members at once, largest segments first,
/// starting from a node of least degree in each island, so that a LAN's members and its router
/// come out together and LANs follow their neighbours; (2) cut that order into consecutive runs that fill
/// each host up to an equal share (or the host's capacity); (3) refine with passes of
/// single-node moves in the Fiduccia-Mattheyses spirit: a node moves to the host where it has
/// most neighbours when that lowers `tunnels` and no host goes over its limit. Round-robin
/// placement (node i on host i mod N) is the baseline the benchmark compares with.

#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/model/topology.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab {

/// What placement needs of a lab: node weights and the nets joining them.
struct PlacementGraph {
  std::vector<uint64_t> memoryMiB;           ///< by node
  std::vector<std::vector<uint32_t>> nets;   ///< by segment: its distinct member nodes
};

PlacementGraph placementGraphOf(const Topology& t);

/// What one host can take; 0 means "no limit".
struct HostCapacity {
  size_t guests = 0;
  uint64_t memoryMiB = 0;
};

struct Placement {
  std::vector<uint32_t> hostOf; ///< by node
  size_t tunnels = 0;           ///< sum over nets of (hosts the net touches - 1)
  size_t cutNets = 0;           ///< nets that touch more than one host
};

/// The cost of `hostOf` for `g` (tunnels and cut nets).
Placement evaluate(const PlacementGraph& g, std::vector<uint32_t> hostOf);

/// Node i on host i mod `hosts`.
Placement placeRoundRobin(const PlacementGraph& g, uint32_t hosts);

/// The placement described above; `error` says why none fits (total guests or memory above what
/// the hosts can take).
std::optional<Placement> place(const PlacementGraph& g, uint32_t hosts, const HostCapacity& capacity,
                               std::string& error);

/// Places `t`'s guests on `hosts` hosts and writes it into `plan` (each guest's `host`, and
/// `plan.placement`); false with `error` when the lab does not fit.
bool placeGuests(const Topology& t, uint32_t hosts, const HostCapacity& capacity, LaunchPlan& plan,
                 std::string& error);

} // namespace umlab::lab
