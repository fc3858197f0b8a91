#include "umlab/lab/compile/placement.hpp"

#include <boost/graph/adjacency_list.hpp>

#include <algorithm>
#include <map>
#include <numeric>

namespace umlab::lab {

namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;

/// Nodes in the order of a depth-first walk that takes a segment's members all at once: from a
/// node, its segments largest first; every member not yet taken joins the order together, then
/// the walk goes on from each of them. On a campus that gives LAN 0 (its router and hosts), the
/// next router, its whole LAN, and so on round the ring, so consecutive runs of the order are
/// whole LANs. Each island starts at a node of least degree (a leaf host, not a core router).
/// The graph is Boost.Graph's adjacency list of nodes and segments; the walk is an explicit
/// stack, so a chain of 10 000 routers does not recurse.
std::vector<uint32_t> walkOrder(const PlacementGraph& pg) {
  const size_t nodes = pg.memoryMiB.size();
  Graph g(nodes + pg.nets.size());
  for (size_t s = 0; s < pg.nets.size(); ++s)
    for (uint32_t n : pg.nets[s])
      boost::add_edge(n, nodes + s, g);
  // A node's segments, largest first (then in file order).
  std::vector<std::vector<uint32_t>> netsOf(nodes);
  for (uint32_t n = 0; n < nodes; ++n) {
    for (auto [e, end] = boost::out_edges(n, g); e != end; ++e)
      netsOf[n].push_back(static_cast<uint32_t>(boost::target(*e, g) - nodes));
    std::stable_sort(netsOf[n].begin(), netsOf[n].end(),
                     [&](uint32_t a, uint32_t b) { return pg.nets[a].size() > pg.nets[b].size(); });
  }
  std::vector<uint32_t> starts(nodes);
  std::iota(starts.begin(), starts.end(), 0u);
  std::stable_sort(starts.begin(), starts.end(),
                   [&](uint32_t a, uint32_t b) { return boost::out_degree(a, g) < boost::out_degree(b, g); });
  std::vector<uint32_t> order;
  std::vector<char> taken(nodes, 0), netDone(pg.nets.size(), 0);
  std::vector<std::pair<uint32_t, size_t>> stack; // a node and the next of its segments to take
  for (uint32_t start : starts) {
    if (taken[start])
      continue;
    taken[start] = 1;
    order.push_back(start);
    stack.emplace_back(start, 0);
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (next == netsOf[n].size()) {
        stack.pop_back();
        continue;
      }
      const uint32_t s = netsOf[n][next++];
      if (netDone[s])
        continue;
      netDone[s] = 1;
      const size_t first = order.size();
      for (uint32_t m : pg.nets[s])
        if (!taken[m]) {
          taken[m] = 1;
          order.push_back(m);
        }
      // The walk goes on from the first of them first.
      for (size_t i = order.size(); i-- > first;)
        stack.emplace_back(order[i], 0);
    }
  }
  return order;
}

} // namespace

PlacementGraph placementGraphOf(const Topology& t) {
  PlacementGraph g;
  for (const Node& n : t.nodes)
    g.memoryMiB.push_back(n.memoryBytes >> 20);
  for (const Segment& s : t.segments) {
    std::vector<uint32_t> pins;
    for (const Member& m : s.members)
      pins.push_back(static_cast<uint32_t>(m.node));
    for (const Member& m : s.monitors)
      pins.push_back(static_cast<uint32_t>(m.node));
    std::sort(pins.begin(), pins.end());
    pins.erase(std::unique(pins.begin(), pins.end()), pins.end());
    g.nets.push_back(std::move(pins));
  }
  return g;
}

Placement evaluate(const PlacementGraph& g, std::vector<uint32_t> hostOf) {
  Placement p;
  p.hostOf = std::move(hostOf);
  std::vector<uint32_t> hosts;
  for (const auto& net : g.nets) {
    hosts.clear();
    for (uint32_t n : net)
      hosts.push_back(p.hostOf[n]);
    std::sort(hosts.begin(), hosts.end());
    const size_t distinct = static_cast<size_t>(std::unique(hosts.begin(), hosts.end()) - hosts.begin());
    if (distinct > 1) {
      p.tunnels += distinct - 1;
      ++p.cutNets;
    }
  }
  return p;
}

Placement placeRoundRobin(const PlacementGraph& g, uint32_t hosts) {
  std::vector<uint32_t> hostOf(g.memoryMiB.size());
  for (size_t i = 0; i < hostOf.size(); ++i)
    hostOf[i] = static_cast<uint32_t>(i % std::max<uint32_t>(hosts, 1));
  return evaluate(g, std::move(hostOf));
}

std::optional<Placement> place(const PlacementGraph& g, uint32_t hosts, const HostCapacity& capacity,
                               std::string& error) {
  const size_t nodes = g.memoryMiB.size();
  if (hosts == 0) {
    error = "no hosts to place the lab on";
    return std::nullopt;
  }
  const uint64_t totalMemory = std::accumulate(g.memoryMiB.begin(), g.memoryMiB.end(), uint64_t{0});
  if (capacity.guests && nodes > capacity.guests * hosts) {
    error = std::to_string(nodes) + " guests do not fit on " + std::to_string(hosts) + " hosts of " +
            std::to_string(capacity.guests) + " guests each";
    return std::nullopt;
  }
  if (capacity.memoryMiB && totalMemory > capacity.memoryMiB * hosts) {
    error = std::to_string(totalMemory) + " MiB of guest memory does not fit on " + std::to_string(hosts) +
            " hosts of " + std::to_string(capacity.memoryMiB) + " MiB each";
    return std::nullopt;
  }
  // Each host's limit: an equal share (rounded up), within its capacity; a little slack for the
  // refinement to use.
  const size_t share = (nodes + hosts - 1) / hosts;
  const size_t guestLimit = capacity.guests ? std::min(capacity.guests, share + std::max<size_t>(1, share / 20)) : share + std::max<size_t>(1, share / 20);
  const uint64_t memoryShare = (totalMemory + hosts - 1) / hosts;
  const uint64_t memoryLimit = capacity.memoryMiB ? capacity.memoryMiB : UINT64_MAX;

  // (1) and (2): consecutive runs of the walk, each host filled to its share.
  std::vector<uint32_t> hostOf(nodes, 0);
  std::vector<size_t> guestsOn(hosts, 0);
  std::vector<uint64_t> memoryOn(hosts, 0);
  uint32_t host = 0;
  for (uint32_t n : walkOrder(g)) {
    while (host + 1 < hosts && (guestsOn[host] >= share || memoryOn[host] + g.memoryMiB[n] > memoryLimit ||
                                (memoryOn[host] >= memoryShare && guestsOn[host] > 0)))
      ++host;
    hostOf[n] = host;
    ++guestsOn[host];
    memoryOn[host] += g.memoryMiB[n];
  }
  if (memoryOn[host] > memoryLimit) {
    error = "the guests' memory does not fit the hosts' capacity in any order tried";
    return std::nullopt;
  }

  // (3): passes of single moves that lower the tunnels. A net's contribution depends on how many
  // of its pins each host holds: pinsOn[net][host].
  std::vector<std::vector<uint32_t>> netsOf(nodes);
  for (uint32_t s = 0; s < g.nets.size(); ++s)
    for (uint32_t n : g.nets[s])
      netsOf[n].push_back(s);
  std::vector<std::vector<uint32_t>> pinsOn(g.nets.size(), std::vector<uint32_t>(hosts, 0));
  for (uint32_t s = 0; s < g.nets.size(); ++s)
    for (uint32_t n : g.nets[s])
      ++pinsOn[s][hostOf[n]];
  std::vector<long> gain(hosts);
  for (int pass = 0; pass < 8; ++pass) {
    size_t moved = 0;
    for (uint32_t n = 0; n < nodes; ++n) {
      const uint32_t from = hostOf[n];
      std::fill(gain.begin(), gain.end(), 0);
      for (uint32_t s : netsOf[n]) {
        // Leaving `from` removes a host from the net when n is its only pin there; arriving at
        // `to` adds one when the net has no pin there yet.
        const long leave = pinsOn[s][from] == 1 ? 1 : 0;
        for (uint32_t to = 0; to < hosts; ++to)
          if (to != from)
            gain[to] += leave - (pinsOn[s][to] == 0 ? 1 : 0);
      }
      uint32_t best = from;
      long bestGain = 0;
      for (uint32_t to = 0; to < hosts; ++to) {
        if (to == from || gain[to] <= bestGain)
          continue;
        if (guestsOn[to] + 1 > guestLimit || memoryOn[to] + g.memoryMiB[n] > memoryLimit)
          continue;
        best = to;
        bestGain = gain[to];
      }
      if (best == from)
        continue;
      for (uint32_t s : netsOf[n]) {
        --pinsOn[s][from];
        ++pinsOn[s][best];
      }
      --guestsOn[from];
      memoryOn[from] -= g.memoryMiB[n];
      ++guestsOn[best];
      memoryOn[best] += g.memoryMiB[n];
      hostOf[n] = best;
      ++moved;
    }
    if (moved == 0)
      break;
  }
  return evaluate(g, std::move(hostOf));
}

bool placeGuests(const Topology& t, uint32_t hosts, const HostCapacity& capacity, LaunchPlan& plan,
                 std::string& error) {
  const PlacementGraph g = placementGraphOf(t);
  const std::optional<Placement> p = place(g, hosts, capacity, error);
  if (!p)
    return false;
  std::map<std::string, uint32_t> hostOf;
  for (size_t n = 0; n < t.nodes.size(); ++n)
    hostOf[t.nodes[n].name] = p->hostOf[n];
  for (GuestPlan& guest : plan.guests)
    if (auto it = hostOf.find(guest.name); it != hostOf.end())
      guest.host = it->second;
  plan.placement = LaunchPlan::Placement{hosts, p->tunnels, placeRoundRobin(g, hosts).tunnels};
  return true;
}

} // namespace umlab::lab
