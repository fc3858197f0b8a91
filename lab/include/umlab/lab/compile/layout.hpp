#pragma once
/// A readable 2-D placement of a lab's nodes and segments, shared by `umlab graph` and the GUI.
///
/// Design. The lab is a graph of nodes and declared segments; a point-to-point link joins its two
/// nodes directly (its implicit segment is not drawn), monitors count as links, taps do not.
///
/// 1. Leaves. A node whose links all go to one segment, or to one node that has other links too,
///    is a leaf of it: hosts on a LAN, a server behind its firewall. Leaves are not laid out by
///    forces. They sit on rings around their parent, in file order, 120 px apart along a ring
///    (an icon with its name below it), leaving the directions of the parent's other links free;
///    one ring grows up to 450 px, then further rings start 150 px apart. The rings are planned
///    first, so every other element (the core) is a disc whose radius holds its leaves.
/// 2. The core's base. Peeling the core (taking away what has one core neighbour until nothing
///    does) leaves its cycles, which are placed by stress majorization (Gansner, Koren and North
///    2004) from a PivotMDS start (Brandes and Pich 2006): each link wants to be as long as its
///    two discs plus room for two labels. Every pair is a term up to 300 vertices; above that the
///    sparse stress model (Ortmann, Klimenta and Brandes 2016) keeps a step at O(n · 100 pivots).
/// 3. Hanging trees. What was peeled (a LAN behind its router, a branch of routers) is hung from
///    the base outwards, each vertex's children spread over its widest free angle facing away
///    from the base's centre (a balloon layout); a component without a cycle hangs from its
///    centre. If trees collide, the base is spread out evenly until they do not, and a last pass
///    pushes apart any discs that still overlap (they are then at least 20 px apart).
/// 4. Components are laid out on their own and packed in rows, tallest first, into a picture of
///    about 16:10.
///
/// Everything is a pure function of the topology: no randomness, no clock, ties broken by index,
/// so the same file always gets the same picture. The cost is linear in the leaves and, for a
/// core of n elements, O(n²) up to 300 and O(n · 100) above: a generated campus of 10 000 nodes
/// (477 routers in a ring) is laid out in about a tenth of a second.
///
/// `layout:` hints in the file override the computed position of their node or segment, and a
/// leaf without a hint goes round its parent's hint. Computed positions are whole numbers.

#include "umlab/lab/model/topology.hpp"

#include <vector>

namespace umlab::lab {

struct LabLayout {
  std::vector<Layout> nodes;    ///< by NodeIndex
  std::vector<Layout> segments; ///< by SegmentIndex; a point-to-point link's half way between its ends
  double width = 0;             ///< computed positions lie in [0, width] x [0, height], 60 px in from
  double height = 0;            ///< its edges; hints are kept as written (one further out widens it)
};

/// Positions for every node and segment of `topology` (see the design note above).
LabLayout computeLayout(const Topology& topology);

} // namespace umlab::lab
