#include "umlab/lab/replay/replay_sides.hpp"

#include <algorithm>

namespace umlab::lab::replay {

namespace {

/// The switch that has the port "node:iface", or null.
const SwitchPlan* switchWithPort(const LaunchPlan& plan, const std::string& port) {
  for (const SwitchPlan& s : plan.switches)
    for (const PortPlan& p : s.ports)
      if (p.name == port)
        return &s;
  return nullptr;
}

IpPrefix defaultRoute(const IpAddress& like) {
  return IpPrefix(like.isV4() ? *IpAddress::parse("0.0.0.0") : *IpAddress::parse("::"), 0);
}

} // namespace

std::optional<ReplaySides> ReplaySides::of(const LaunchPlan& plan, const std::string& node, std::string& error) {
  const auto guest = std::find_if(plan.guests.begin(), plan.guests.end(), [&](const GuestPlan& g) { return g.name == node; });
  if (guest == plan.guests.end()) {
    std::string names;
    for (const GuestPlan& g : plan.guests)
      names += (names.empty() ? "" : ", ") + g.name;
    error = "lab '" + plan.lab + "' has no node '" + node + "' (its nodes: " + names + ")";
    return std::nullopt;
  }
  ReplaySides r;
  r.node_ = node;
  for (const InterfacePlan& i : guest->interfaces) {
    const std::string port = node + ":" + i.name;
    if (isMonitorInterface(i)) {
      r.ignored_.push_back(i.name + ": a monitor, it only listens");
      continue;
    }
    const SwitchPlan* sw = switchWithPort(plan, port);
    if (!sw) {
      r.ignored_.push_back(i.name + ": " + (i.attachedTo.empty() ? "not attached" : i.attachedTo) +
                           ", not a switch of this host (a replay joins segments through their umlab-switchd)");
      continue;
    }
    const std::optional<IpPrefix> address = IpPrefix::parse(i.ip);
    if (!address) {
      r.ignored_.push_back(i.name + ": on " + sw->segment + " without an address (the node routes nothing there)");
      continue;
    }
    const std::optional<MacAddress> mac = MacAddress::parse(i.mac);
    if (!mac) {
      r.ignored_.push_back(i.name + ": no MAC in the plan");
      continue;
    }
    r.routes_.push_back({IpPrefix(address->network(), address->length()), r.sides_.size()});
    r.sides_.push_back({i.name, sw->segment, sw->ctlPath, *mac, *address});
  }
  if (r.sides_.size() < 2) {
    error = "node '" + node + "' of lab '" + plan.lab + "' has " + std::to_string(r.sides_.size()) +
            " side(s) on switch segments; a replay through it needs two or more (a router or firewall)";
    for (const std::string& why : r.ignored_)
      error += "; " + why;
    return std::nullopt;
  }
  // A gateway's side: the connected prefix that holds it.
  auto sideOfGateway = [&](const IpAddress& via) -> std::optional<size_t> {
    for (size_t k = 0; k < r.sides_.size(); ++k)
      if (r.sides_[k].nodeAddress.address().family() == via.family() && r.sides_[k].nodeAddress.contains(via))
        return k;
    return std::nullopt;
  };
  auto addRoute = [&](const std::string& to, const std::string& viaText) {
    const std::optional<IpAddress> via = IpAddress::parse(viaText);
    if (!via) {
      r.ignored_.push_back("route to " + to + ": gateway '" + viaText + "' is not an address");
      return;
    }
    const std::optional<IpPrefix> prefix = to == "default" ? defaultRoute(*via) : IpPrefix::parse(to);
    if (!prefix) {
      r.ignored_.push_back("route to '" + to + "': not a prefix");
      return;
    }
    if (const std::optional<size_t> side = sideOfGateway(*via))
      r.routes_.push_back({IpPrefix(prefix->network(), prefix->length()), *side});
    else
      r.ignored_.push_back("route to " + to + " via " + viaText + ": the gateway is on no side");
  };
  for (const RoutePlan& route : guest->routes)
    addRoute(route.to, route.via);
  for (const InterfacePlan& i : guest->interfaces)
    if (!i.gateway.empty())
      addRoute("default", i.gateway);
  // Longest prefix first; at equal lengths the first added (connected, then routes) wins.
  std::stable_sort(r.routes_.begin(), r.routes_.end(),
                   [](const Route& a, const Route& b) { return a.to.length() > b.to.length(); });
  return r;
}

SideLookup ReplaySides::sideOf(const IpAddress& address) const {
  for (const Route& route : routes_)
    if (route.to.address().family() == address.family() && route.to.contains(address))
      return {route.side, ""};
  return {std::nullopt, address.str() + " is on no side of " + node_ + " (no connected prefix or route holds it)"};
}

bool ReplaySides::isNodeAddress(const IpAddress& address) const {
  return std::any_of(sides_.begin(), sides_.end(), [&](const ReplaySide& s) { return s.nodeAddress.address() == address; });
}

} // namespace umlab::lab::replay
