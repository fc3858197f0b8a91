#include "umlab/lab/compile/shard_plan.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace umlab::lab {

namespace {

/// "pc1" of the port name "pc1:eth0".
std::string nodeOfPort(const std::string& port) { return port.substr(0, port.find(':')); }

/// segment -> the hosts its members (and monitors) run on.
std::map<std::string, std::set<uint32_t>> segmentHosts(const LaunchPlan& plan) {
  std::map<std::string, std::set<uint32_t>> out;
  for (const GuestPlan& g : plan.guests)
    for (const InterfacePlan& i : g.interfaces)
      if (std::string s = segmentOfInterface(i); !s.empty() && g.host)
        out[s].insert(*g.host);
  return out;
}

/// Drops the argument pairs of `argv` that name a port of a guest not in `keep` (`--port
/// NAME=MAC`, `--set 'port NAME ...'`).
std::vector<std::string> withoutRemotePorts(const std::vector<std::string>& argv, const std::set<std::string>& remote) {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i + 1 < argv.size() && (argv[i] == "--port" || argv[i] == "--set")) {
      std::string port = argv[i + 1];
      if (argv[i] == "--set") {
        if (port.rfind("port ", 0) != 0) {
          out.push_back(argv[i]);
          continue;
        }
        port = port.substr(5, port.find(' ', 5) - 5);
      } else {
        port = port.substr(0, port.rfind('='));
      }
      if (remote.count(nodeOfPort(port))) {
        ++i;
        continue;
      }
    }
    out.push_back(argv[i]);
  }
  return out;
}

} // namespace

std::string segmentOfInterface(const InterfacePlan& i) {
  const std::string& a = i.attachedTo;
  for (const char* kind : {"pcap monitor ", "monitor ", "switch ", "hub ", "link ", "mcast "}) {
    const std::string k = kind;
    if (a.rfind(k, 0) == 0) {
      std::string rest = a.substr(k.size());
      return rest.substr(0, rest.find(' '));
    }
  }
  return {};
}

std::string checkShardable(const LaunchPlan& plan) {
  if (!plan.placement)
    return "the lab is not placed on hosts";
  for (const GuestPlan& g : plan.guests)
    if (!g.host)
      return "guest '" + g.name + "' has no host";
  const auto hostsOf = segmentHosts(plan);
  for (const McastPlan& m : plan.mcast)
    if (auto it = hostsOf.find(m.segment); it != hostsOf.end() && it->second.size() > 1)
      return "mcast segment '" + m.segment +
             "' would span hosts; UML's mcast stays inside one host's lab namespace: make it a switch "
             "(type: switch) to run the lab on several hosts";
  for (const SwitchPlan& sw : plan.switches)
    if (!sw.uplinks.empty())
      return "segment '" + sw.segment + "' is trunked to another segment, which a lab on several hosts does "
             "not support yet; run it on one host";
  if (!plan.timeline.empty())
    return "the lab has a timeline, which a lab on several hosts does not play yet; run it on one host";
  if (!plan.replays.empty())
    return "the lab plans replays, which a lab on several hosts does not start yet; use 'umlab replay' on "
           "one host's lab or run it on one host";
  return {};
}

std::optional<LaunchPlan> shardPlan(const LaunchPlan& plan, const std::vector<ShardHost>& hosts, uint32_t k,
                                    const ShardOptions& options, std::string& error) {
  if (error = checkShardable(plan); !error.empty())
    return std::nullopt;
  if (k >= hosts.size() || plan.placement->hosts != hosts.size()) {
    error = "the lab is placed on " + std::to_string(plan.placement->hosts) + " hosts, not " +
            std::to_string(hosts.size());
    return std::nullopt;
  }
  const auto hostsOf = segmentHosts(plan);
  std::set<std::string> local, remote;
  for (const GuestPlan& g : plan.guests)
    (*g.host == k ? local : remote).insert(g.name);

  LaunchPlan out = plan;
  out.guests.clear();
  out.switches.clear();
  out.mcast.clear();
  out.taps.clear();
  out.startOrder.clear();
  std::set<std::string> kept; // "switch lan", "guest pc1", ... for the start order
  for (const GuestPlan& g : plan.guests) {
    if (*g.host != k)
      continue;
    GuestPlan copy = g;
    std::erase_if(copy.dependsOn, [&](const std::string& d) { return remote.count(d) != 0; });
    out.guests.push_back(std::move(copy));
    kept.insert("guest " + g.name);
  }
  for (size_t s = 0; s < plan.switches.size(); ++s) {
    const SwitchPlan& sw = plan.switches[s];
    auto it = hostsOf.find(sw.segment);
    if (it == hostsOf.end() || !it->second.count(k))
      continue;
    SwitchPlan copy = sw;
    std::erase_if(copy.ports, [&](const PortPlan& p) { return remote.count(nodeOfPort(p.name)) != 0; });
    copy.argv = withoutRemotePorts(sw.argv, remote);
    if (it->second.size() > 1) {
      const uint32_t index = uint32_t(s);
      const uint32_t port = uint32_t(options.vxlanPort) + index;
      if (port > 65535) {
        error = "segment '" + sw.segment + "' would need UDP port " + std::to_string(port) +
                ": choose a lower first VXLAN port";
        return std::nullopt;
      }
      VxlanPlan x;
      x.vni = index + 1;
      x.local = hosts[k].address + ":" + std::to_string(port);
      for (uint32_t h : it->second)
        if (h != k)
          x.peers.push_back({"vxlan:" + hosts[h].name, hosts[h].address + ":" + std::to_string(port)});
      copy.argv.insert(copy.argv.end(), {"--vxlan-socket", std::to_string(kVxlanFd), "--vxlan-vni", std::to_string(x.vni)});
      for (const VxlanPeer& peer : x.peers)
        copy.argv.insert(copy.argv.end(), {"--vxlan-peer", peer.name + "=" + peer.address});
      copy.vxlan = std::move(x);
    }
    out.switches.push_back(std::move(copy));
    kept.insert("switch " + sw.segment);
  }
  for (const McastPlan& m : plan.mcast)
    if (auto it = hostsOf.find(m.segment); it != hostsOf.end() && it->second.count(k)) {
      out.mcast.push_back(m);
      kept.insert("mcast " + m.segment);
    }
  for (const TapPlan& t : plan.taps)
    if (local.count(nodeOfPort(t.interface))) {
      out.taps.push_back(t);
      kept.insert("tap " + t.device);
    }
  for (const std::string& step : plan.startOrder)
    if (kept.count(step))
      out.startOrder.push_back(step);
  return out;
}

} // namespace umlab::lab
