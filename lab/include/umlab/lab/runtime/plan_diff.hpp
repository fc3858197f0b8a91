#pragma once
/// `umlab apply`: what must change to take a running lab from one plan to another (DESIGN.md
/// §5.1). A pure function of two `LaunchPlan`s, so that `--dry-run`, the client's refusal and the
/// supervisor's work all come from the same list.
///
/// What can change live, and how (deletions before additions, as OVS reconciles):
///   - a switch or hub segment removed or added: its umlab-switchd stopped or started;
///   - a node removed or added: its guest stopped, or booted with a fresh COW file;
///   - an interface of a running node removed, added or changed (segment, address, MAC):
///     unplugged and plugged through the guest's mconsole (`remove ethN`, `config ethN=...`),
///     its address set through the agent;
///   - link conditions of a port: `set port` on its switch.
/// What cannot: anything else of a node (memory, image, kind, startup commands, files, routes,
/// forwarding) needs a reboot of that node, done only for nodes named in `restart`; a segment
/// whose switch would start differently (mode, transport, monitor socket, uplinks) or an mcast
/// segment's group, and host (tap) links, are refused.

#include "umlab/lab/compile/plan.hpp"

#include <string>
#include <vector>

namespace umlab::lab::runtime {

struct InterfaceChange {
  std::string node;
  InterfacePlan interface;
};

struct ConditionsChange {
  std::string segment; ///< the switch
  std::string adminPath;
  std::string port;    ///< "pc1:eth0", "trunk:lan"
  LinkConditions conditions;
};

struct PlanChanges {
  std::vector<std::string> removedSwitches, addedSwitches; ///< segment names
  std::vector<std::string> removedGuests, addedGuests;     ///< node names
  std::vector<std::string> restartedGuests; ///< changed nodes named in `restart`
  std::vector<InterfaceChange> removedInterfaces, addedInterfaces;
  std::vector<ConditionsChange> conditions;
  /// What cannot be done live, each a sentence ("node 'r1': memory 96M -> 128M needs a restart
  /// ('--restart-changed')"). Non-empty: nothing may be done.
  std::vector<std::string> refused;

  bool empty() const;
};

/// The changes from `running` to `next`. `restart`: changed nodes that may be rebooted.
PlanChanges diffPlans(const LaunchPlan& running, const LaunchPlan& next, const std::vector<std::string>& restart);

/// One line per change, in the order they are made: "- guest pc3 (stopped)", "+ switch dmz",
/// "~ link pc1:eth0 on lan: delay 20ms", "! node r1: ..." for refusals.
std::vector<std::string> describeChanges(const PlanChanges& changes);

} // namespace umlab::lab::runtime
