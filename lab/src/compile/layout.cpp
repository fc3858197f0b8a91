#include "umlab/lab/compile/layout.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/circle_layout.hpp>
#include <boost/graph/fruchterman_reingold.hpp>
#include <boost/graph/topology.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace umlab::lab {

LabLayout computeLayout(const Topology& t) {
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  using Square = boost::square_topology<>;
  const size_t n = t.nodes.size(), s = t.segments.size(), total = n + s;
  LabLayout out;
  out.nodes.resize(n);
  out.segments.resize(s);
  if (total == 0)
    return out;

  Graph g(total);
  for (SegmentIndex i = 0; i < s; ++i) {
    for (const Member& m : t.segments[i].members)
      boost::add_edge(m.node, n + i, g);
    for (const Member& m : t.segments[i].monitors)
      boost::add_edge(m.node, n + i, g);
  }
  for (const Trunk& tr : t.trunks)
    boost::add_edge(n + tr.a, n + tr.b, g);

  const double side = 120.0 * std::sqrt(static_cast<double>(total)) + 120.0;
  std::vector<Square::point_type> pos(total);
  auto posMap = boost::make_iterator_property_map(pos.begin(), boost::get(boost::vertex_index, g));
  boost::circle_graph_layout(g, posMap, side / 2.5);
  if (total > 1) {
    Square square(side);
    boost::fruchterman_reingold_force_directed_layout(
        g, posMap, square, boost::cooling(boost::linear_cooling<double>(total > 2000 ? 30 : 100)));
  }

  // Shift into [margin, side + margin], then apply the file's hints.
  double minX = std::numeric_limits<double>::max(), minY = minX, maxX = -minX, maxY = -minX;
  for (const auto& p : pos) {
    minX = std::min(minX, p[0]);
    minY = std::min(minY, p[1]);
    maxX = std::max(maxX, p[0]);
    maxY = std::max(maxY, p[1]);
  }
  const double margin = 60;
  auto place = [&](size_t v) {
    return Layout{std::round(pos[v][0] - minX + margin), std::round(pos[v][1] - minY + margin)};
  };
  for (size_t i = 0; i < n; ++i)
    out.nodes[i] = t.nodes[i].layout ? *t.nodes[i].layout : place(i);
  for (size_t i = 0; i < s; ++i)
    out.segments[i] = t.segments[i].layout ? *t.segments[i].layout : place(n + i);
  double w = 0, h = 0;
  for (const auto* v : {&out.nodes, &out.segments})
    for (const Layout& l : *v) {
      w = std::max(w, l.x + margin);
      h = std::max(h, l.y + margin);
    }
  out.width = w;
  out.height = h;
  return out;
}

} // namespace umlab::lab
