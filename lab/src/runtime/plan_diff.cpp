#include "umlab/lab/runtime/plan_diff.hpp"

#include "umlab/base/quantity.hpp"
#include "umlab/lab/compile/plan_render.hpp"

#include <algorithm>
#include <map>

namespace umlab::lab::runtime {

namespace {

template <typename T, typename Key>
std::map<std::string, const T*> byName(const std::vector<T>& items, Key key) {
  std::map<std::string, const T*> out;
  for (const T& i : items)
    out.emplace(key(i), &i);
  return out;
}

/// The switch as it starts: what a running switch cannot take on later.
bool sameSwitchIdentity(const SwitchPlan& a, const SwitchPlan& b) {
  return a.mode == b.mode && a.transport == b.transport && a.ctlPath == b.ctlPath && a.bessPath == b.bessPath &&
         a.monitorPath == b.monitorPath && a.mirrorTap == b.mirrorTap && a.adminPath == b.adminPath && a.uplinks == b.uplinks && a.vxlan == b.vxlan;
}

/// An interface as the guest sees it (its conditions live on the switch).
bool sameInterface(const InterfacePlan& a, const InterfacePlan& b) {
  return a.name == b.name && a.device == b.device && a.mac == b.mac && a.ip == b.ip && a.gateway == b.gateway &&
         a.attachedTo == b.attachedTo && a.transport == b.transport && a.umlArg == b.umlArg && a.tapDevice == b.tapDevice;
}

/// What differs in a node apart from its interfaces, for the refusal message; empty when nothing.
std::vector<std::string> nodeDifferences(const GuestPlan& a, const GuestPlan& b) {
  std::vector<std::string> d;
  if (a.memoryBytes != b.memoryBytes)
    d.push_back("memory " + formatByteSize(a.memoryBytes) + " -> " + formatByteSize(b.memoryBytes));
  if (a.image != b.image || a.basePath != b.basePath)
    d.push_back("image " + a.image + " -> " + b.image);
  if (a.kernel != b.kernel || (!a.argv.empty() && !b.argv.empty() && a.argv.front() != b.argv.front()))
    d.push_back("kernel " + a.kernel + " -> " + b.kernel);
  if (a.kind != b.kind)
    d.push_back("kind " + a.kind + " -> " + b.kind);
  if (a.startup != b.startup)
    d.push_back("startup commands");
  if (a.files != b.files)
    d.push_back("files");
  if (a.shutdown != b.shutdown)
    d.push_back("shutdown commands");
  if (a.sysctls != b.sysctls)
    d.push_back("sysctls");
  if (a.mountPoint != b.mountPoint || a.mountHostDir != b.mountHostDir)
    d.push_back("mounts");
  if (a.routes.size() != b.routes.size() ||
      !std::equal(a.routes.begin(), a.routes.end(), b.routes.begin(),
                  [](const RoutePlan& x, const RoutePlan& y) { return x.to == y.to && x.via == y.via; }))
    d.push_back("routes");
  if (a.forwarding != b.forwarding)
    d.push_back("forwarding");
  for (const InterfacePlan& i : b.interfaces)
    if (!i.tapDevice.empty()) {
      auto old = std::find_if(a.interfaces.begin(), a.interfaces.end(), [&](const InterfacePlan& o) { return o.name == i.name; });
      if (old == a.interfaces.end() || !sameInterface(*old, i))
        d.push_back("host link " + i.name);
    }
  for (const InterfacePlan& i : a.interfaces)
    if (!i.tapDevice.empty() &&
        std::none_of(b.interfaces.begin(), b.interfaces.end(), [&](const InterfacePlan& n) { return n.name == i.name; }))
      d.push_back("host link " + i.name);
  return d;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words)
    out += (out.empty() ? "" : ", ") + w;
  return out;
}

} // namespace

bool PlanChanges::empty() const {
  return removedSwitches.empty() && addedSwitches.empty() && removedGuests.empty() && addedGuests.empty() &&
         restartedGuests.empty() && removedInterfaces.empty() && addedInterfaces.empty() && conditions.empty() &&
         refused.empty();
}

PlanChanges diffPlans(const LaunchPlan& running, const LaunchPlan& next, const std::vector<std::string>& restart) {
  PlanChanges c;
  if (running.lab != next.lab)
    c.refused.push_back("the file describes lab '" + next.lab + "', not the running lab '" + running.lab + "'");
  if (running.stateDir != next.stateDir)
    c.refused.push_back("the lab's state directory differs (" + running.stateDir + " -> " + next.stateDir + ")");

  // Segments.
  const auto oldSwitches = byName(running.switches, [](const SwitchPlan& s) { return s.segment; });
  const auto newSwitches = byName(next.switches, [](const SwitchPlan& s) { return s.segment; });
  for (const auto& [name, sw] : oldSwitches)
    if (!newSwitches.count(name))
      c.removedSwitches.push_back(name);
  for (const auto& [name, sw] : newSwitches) {
    auto old = oldSwitches.find(name);
    if (old == oldSwitches.end()) {
      c.addedSwitches.push_back(name);
      continue;
    }
    if (!sameSwitchIdentity(*old->second, *sw)) {
      c.refused.push_back("segment '" + name + "': its switch would start differently (mode, transport, monitor or uplinks); "
                          "take the lab down and up again");
      continue;
    }
    const auto oldPorts = byName(old->second->ports, [](const PortPlan& p) { return p.name; });
    for (const PortPlan& p : sw->ports) {
      auto op = oldPorts.find(p.name);
      const LinkConditions before = op == oldPorts.end() ? LinkConditions{} : op->second->conditions;
      if (!(before == p.conditions) && op != oldPorts.end())
        c.conditions.push_back({name, sw->adminPath, p.name, p.conditions});
    }
  }
  const auto oldMcast = byName(running.mcast, [](const McastPlan& m) { return m.segment; });
  for (const McastPlan& m : next.mcast) {
    auto old = oldMcast.find(m.segment);
    if (old != oldMcast.end() && (old->second->group != m.group || old->second->port != m.port))
      c.refused.push_back("mcast segment '" + m.segment + "': its group would change; take the lab down and up again");
  }

  // Nodes.
  const auto oldGuests = byName(running.guests, [](const GuestPlan& g) { return g.name; });
  const auto newGuests = byName(next.guests, [](const GuestPlan& g) { return g.name; });
  for (const auto& [name, g] : oldGuests)
    if (!newGuests.count(name))
      c.removedGuests.push_back(name);
  for (const GuestPlan& g : next.guests) {
    auto old = oldGuests.find(g.name);
    if (old == oldGuests.end()) {
      c.addedGuests.push_back(g.name);
      continue;
    }
    const std::vector<std::string> diff = nodeDifferences(*old->second, g);
    if (!diff.empty()) {
      if (std::find(restart.begin(), restart.end(), g.name) != restart.end())
        c.restartedGuests.push_back(g.name);
      else
        c.refused.push_back("node '" + g.name + "': " + join(diff) + " cannot change while it runs; " +
                            "'--restart-changed' reboots it with the change");
      continue;
    }
    for (const InterfacePlan& i : old->second->interfaces) {
      auto now = std::find_if(g.interfaces.begin(), g.interfaces.end(), [&](const InterfacePlan& n) { return n.name == i.name; });
      if (now == g.interfaces.end() || !sameInterface(i, *now))
        c.removedInterfaces.push_back({g.name, i});
    }
    for (const InterfacePlan& i : g.interfaces) {
      auto was = std::find_if(old->second->interfaces.begin(), old->second->interfaces.end(),
                              [&](const InterfacePlan& o) { return o.name == i.name; });
      if (was == old->second->interfaces.end() || !sameInterface(*was, i))
        c.addedInterfaces.push_back({g.name, i});
    }
  }
  if (running.taps.size() != next.taps.size())
    c.refused.push_back("links to the host cannot be added or removed while the lab runs; take it down and up again");
  return c;
}

std::vector<std::string> describeChanges(const PlanChanges& c) {
  std::vector<std::string> out;
  for (const std::string& r : c.refused)
    out.push_back("! " + r);
  for (const InterfaceChange& i : c.removedInterfaces)
    out.push_back("- interface " + i.node + ":" + i.interface.name + " (" + i.interface.attachedTo + ")");
  for (const std::string& g : c.removedGuests)
    out.push_back("- node " + g);
  for (const std::string& s : c.removedSwitches)
    out.push_back("- switch " + s);
  for (const std::string& g : c.restartedGuests)
    out.push_back("~ node " + g + " (restarted)");
  for (const std::string& s : c.addedSwitches)
    out.push_back("+ switch " + s);
  for (const std::string& g : c.addedGuests)
    out.push_back("+ node " + g);
  for (const InterfaceChange& i : c.addedInterfaces)
    out.push_back("+ interface " + i.node + ":" + i.interface.name + " (" + i.interface.attachedTo +
                  (i.interface.ip.empty() ? "" : ", " + i.interface.ip) + ")");
  for (const ConditionsChange& k : c.conditions) {
    const std::string text = describeConditions(k.conditions);
    out.push_back("~ link " + k.port + " on " + k.segment + ": " + (text.empty() ? "no conditions" : text));
  }
  return out;
}

} // namespace umlab::lab::runtime
