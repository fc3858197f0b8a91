#pragma once
/// `umlab graph`: the lab as Graphviz DOT or JSON, with positions from `computeLayout`.
/// In DOT, nodes are boxes, switch segments ellipses, hubs diamonds, mcast segments octagons;
/// point-to-point links are drawn as direct edges. Positions are written as `pos="x,y!"`, which
/// `neato -n2` keeps (so `--format svg` draws what the GUI shows) and `dot` ignores (it lays the
/// graph out itself, top to bottom).

#include "umlab/lab/compile/analyze.hpp"
#include "umlab/lab/compile/layout.hpp"
#include "umlab/lab/model/topology.hpp"

#include <string>

namespace umlab::lab {

std::string renderGraphDot(const Topology& topology, const LabLayout& layout);
std::string renderGraphJson(const Topology& topology, const LabLayout& layout, const Analysis& analysis);

} // namespace umlab::lab
