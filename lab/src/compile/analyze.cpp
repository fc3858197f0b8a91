#include "umlab/lab/compile/analyze.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/undirected_dfs.hpp>

#include <algorithm>
#include <map>

namespace umlab::lab {

namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

std::string quote(const std::string& s) { return "'" + s + "'"; }

/// Records, for every non-tree edge met by an undirected DFS, the cycle it closes.
struct LoopFinder : boost::default_dfs_visitor {
  std::vector<Vertex>* parent;
  std::vector<std::pair<Vertex, Vertex>>* backEdges;
  void tree_edge(Edge e, const Graph& g) const { (*parent)[boost::target(e, g)] = boost::source(e, g); }
  void back_edge(Edge e, const Graph& g) const { backEdges->emplace_back(boost::source(e, g), boost::target(e, g)); }
};

} // namespace

Analysis analyze(const Topology& t, Diagnostics& diags) {
  Analysis result;
  const size_t nodeCount = t.nodes.size();
  // Vertices: nodes first, then segments.
  Graph g(nodeCount + t.segments.size());
  auto segV = [&](SegmentIndex s) { return static_cast<Vertex>(nodeCount + s); };
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    for (const Member& m : t.segments[s].members)
      boost::add_edge(m.node, segV(s), g);
    for (const Member& m : t.segments[s].monitors)
      boost::add_edge(m.node, segV(s), g);
  }
  for (const Trunk& tr : t.trunks)
    boost::add_edge(segV(tr.a), segV(tr.b), g);

  std::vector<int> component(boost::num_vertices(g));
  result.components = boost::num_vertices(g) == 0 ? 0 : static_cast<size_t>(boost::connected_components(g, component.data()));

  for (NodeIndex n = 0; n < nodeCount; ++n)
    if (t.nodes[n].interfaces.empty())
      diags.warning(t.nodes[n].loc, "node " + quote(t.nodes[n].name) + " has no links; it boots with only a loopback interface");

  // Ports that can send or receive on a segment besides its members: trunks, monitors, replays.
  std::vector<size_t> otherPorts(t.segments.size(), 0);
  for (const Trunk& tr : t.trunks) {
    ++otherPorts[tr.a];
    ++otherPorts[tr.b];
  }
  for (const Replay& r : t.replays)
    ++otherPorts[r.segment];
  for (SegmentIndex s = 0; s < t.segments.size(); ++s)
    otherPorts[s] += t.segments[s].monitors.size();
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    const Segment& seg = t.segments[s];
    if (seg.type == SegmentType::PointToPoint)
      continue;
    const size_t ports = seg.members.size() + otherPorts[s];
    if (ports == 0)
      diags.warning(seg.loc, "segment " + quote(seg.name) + " has no members; connect nodes to it or remove it");
    else if (ports == 1 && !seg.injected) {
      std::string who = seg.members.empty() ? "a trunk, monitor or replay" : quote(t.interfaceName(seg.members[0]));
      diags.warning(seg.loc, "segment " + quote(seg.name) + " has only one member (" + who + "); frames sent on it reach nobody");
    }
  }

  // Layer-2 loops: only segments and trunks; every back edge closes one independent cycle.
  if (!t.trunks.empty()) {
    Graph sg(t.segments.size());
    for (const Trunk& tr : t.trunks)
      boost::add_edge(tr.a, tr.b, sg);
    std::vector<Vertex> parent(t.segments.size());
    for (Vertex v = 0; v < parent.size(); ++v)
      parent[v] = v;
    std::vector<std::pair<Vertex, Vertex>> backEdges;
    std::vector<boost::default_color_type> vcolor(boost::num_vertices(sg));
    std::map<Edge, boost::default_color_type> ecolorStore;
    auto ecolor = boost::make_assoc_property_map(ecolorStore);
    LoopFinder finder;
    finder.parent = &parent;
    finder.backEdges = &backEdges;
    boost::undirected_dfs(sg, finder, boost::make_iterator_property_map(vcolor.begin(), boost::get(boost::vertex_index, sg)), ecolor);
    for (auto [from, to] : backEdges) {
      // `to` is an ancestor of `from`: walk up from `from` to `to`.
      std::vector<std::string> loop;
      Vertex v = from;
      loop.push_back(t.segments[v].name);
      size_t guard = 0;
      while (v != to && guard++ < parent.size()) {
        v = parent[v];
        loop.push_back(t.segments[v].name);
      }
      std::reverse(loop.begin(), loop.end());
      loop.push_back(loop.front());
      std::string text;
      for (size_t i = 0; i < loop.size(); ++i)
        text += (i ? " -> " : "") + loop[i];
      SourceLoc where;
      for (const Trunk& tr : t.trunks)
        if ((tr.a == from && tr.b == to) || (tr.a == to && tr.b == from))
          where = tr.loc;
      diags.warning(where, "switch segments form a loop: " + text +
                               "; broadcasts will circulate forever unless a guest on them runs STP (use 'hub' segments for STP labs)");
      result.loops.push_back(std::move(loop));
    }
  }
  return result;
}

} // namespace umlab::lab
