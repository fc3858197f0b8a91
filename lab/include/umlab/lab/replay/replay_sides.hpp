#pragma once
/// The sides of a node that a capture is replayed through (`umlab replay LAB CAPTURE --through
/// NODE`): for each of the node's interfaces on a switch, hub or point-to-point segment, where
/// the replay joins (the segment's switch), which MAC a packet entering on that side is sent to
/// (the node's own), and which addresses lie beyond it.
///
/// Design notes
/// ------------
/// Pure: built from the lab's `LaunchPlan`, so that the rules can be tested without a lab.
///
/// Which side an address is on is the node's own routing decision, as its kernel would make it
/// from the plan: first the connected prefixes of its interfaces (the longest that contains the
/// address), then its routes (`routes:`, longest prefix first, the default route last; each
/// leaves through the side whose prefix holds its gateway), then an interface's `gateway:` as a
/// default route. A packet is injected on the side of its (mapped) sender and must come out on
/// the side of its receiver; an address on no side, or a packet whose two ends are on the same
/// side, cannot cross the node and is skipped with the reason `sideOf` gives.
///
/// Interfaces on mcast segments, taps and monitors are not sides: the replay joins segments
/// through their umlab-switchd (as a probe that sees every frame), which those do not have.

#include "umlab/base/ip_address.hpp"
#include "umlab/base/mac_address.hpp"
#include "umlab/lab/compile/plan.hpp"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace umlab::lab::replay {

struct ReplaySide {
  std::string interface; ///< the node's interface, "eth1"
  std::string segment;   ///< the switch's segment, "outside" or "p2p.2"
  std::string ctlPath;   ///< where the replay joins: the switch's control socket
  MacAddress nodeMac;    ///< where packets entering on this side are sent
  IpPrefix nodeAddress;  ///< the node's address and prefix on this side
};

/// The side an address is on (an index into `ReplaySides::sides()`), or why there is none.
struct SideLookup {
  std::optional<size_t> side;
  std::string reason; ///< when there is no side: "10.9.0.1 is on no side of fw (no route)"
};

class ReplaySides {
public:
  /// The sides of `node` in `plan`; nullopt with `error` set when the node does not exist, is
  /// not a router (fewer than two sides), or is not on this host's switches.
  static std::optional<ReplaySides> of(const LaunchPlan& plan, const std::string& node, std::string& error);

  const std::vector<ReplaySide>& sides() const { return sides_; }
  const std::string& node() const { return node_; }
  /// Where `address` lies, seen from the node.
  SideLookup sideOf(const IpAddress& address) const;
  /// True when `address` is one of the node's own: a packet to it ends at the node.
  bool isNodeAddress(const IpAddress& address) const;
  /// Interfaces that are not sides and why ("eth3: on mcast segment wan"), for the report.
  const std::vector<std::string>& ignored() const { return ignored_; }

private:
  struct Route {
    IpPrefix to; ///< 0.0.0.0/0 or ::/0 for the default route
    size_t side = 0;
  };

  std::string node_;
  std::vector<ReplaySide> sides_;
  std::vector<Route> routes_; ///< longest prefix first
  std::vector<std::string> ignored_;
};

} // namespace umlab::lab::replay
