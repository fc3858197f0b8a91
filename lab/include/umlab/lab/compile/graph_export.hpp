#pragma once
/// `umlab graph`: the lab as Graphviz DOT, JSON, a Mermaid flowchart or a draw.io diagram, with
/// positions from `computeLayout`. Every format draws the same things: each node, each segment
/// other than a point-to-point link's, and each link, labelled at its node end with the
/// interface and its address. Point-to-point links join their two nodes directly; a link with
/// conditions (delay, loss, ...) is dashed and says them; a monitor's link is dotted; a trunk is
/// thick; taps go to one "host". Routers and firewalls are told apart from other nodes by colour
/// (and, where the format has shapes for it, by shape); segments have shapes by type.
///
/// - DOT: nodes are boxes, switch segments ellipses, hubs diamonds, mcast segments octagons.
///   Positions are written as `pos="x,y!"`, which `neato -n2` keeps (so `--format svg` draws what
///   the GUI shows) and `dot` ignores (it lays the graph out itself, top to bottom).
/// - Mermaid: a `flowchart` to paste into Markdown (a fenced `mermaid` block). Mermaid places
///   the items itself; the layout only chooses left-to-right (wider than tall) or top-to-bottom.
///   Ids are `n<index>`/`s<index>`, so any name is safe; labels are quoted, with `"`, `#`, `&`,
///   `<`, `>`, `` ` `` and `|` written as entity codes (`#34;`) and line breaks as `<br/>`.
/// - draw.io: an uncompressed `.drawio` file (mxGraph XML) for diagrams.net, each item at its
///   layout position, each link an edge cell between its items' cells with its interface labels
///   as edge labels. Attribute values are XML-escaped; characters XML cannot hold become '?'.

#include "umlab/lab/compile/analyze.hpp"
#include "umlab/lab/compile/layout.hpp"
#include "umlab/lab/model/topology.hpp"

#include <string>

namespace umlab::lab {

std::string renderGraphDot(const Topology& topology, const LabLayout& layout);
std::string renderGraphMermaid(const Topology& topology, const LabLayout& layout);
std::string renderGraphDrawio(const Topology& topology, const LabLayout& layout);
std::string renderGraphJson(const Topology& topology, const LabLayout& layout, const Analysis& analysis);

} // namespace umlab::lab
