#pragma once
/// A readable 2-D placement of a lab's nodes and segments, shared by `umlab graph` and the GUI.
///
/// Design. The lab is a graph of nodes and declared segments; a point-to-point link joins its two
/// nodes directly (its implicit segment is not drawn), monitors count as links, taps do not.
///
/// 1. Leaves. A node whose links all go to one segment, or to one node that has other links too,
///    is a leaf of it: hosts on a LAN, a server behind its firewall. Leaves are not laid out by
///    forces. They sit on rings around their parent, in file order, a slot apart along a ring
///    (105 px, more when their names are long: two neighbours' icons and names must not meet at
///    any angle), leaving the directions of the parent's other links free; one ring grows up to
///    450 px, then further rings start 110 px apart. The rings are planned first, so every other
///    element (the core) is a disc whose radius holds its leaves.
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
/// 4. A folded ring. When the base is one ring of 6 or more (routers in a ring, each with its
///    LAN: the generated campus labs), a circle leaves its whole inside empty. The ring is then
///    also folded into rows, like a serpentine: along row 0, down the right edge, back along row
///    1, ... and up a column on the left to the start, each router's LAN hanging below it (beside
///    it at the edges, clear of the links going down), the number of rows chosen to fill a
///    1280 x 820 window. The fold is kept when it shows at least 1.3 times larger than the circle:
///    the 500-node campus fills a window at 0.17 instead of 0.095, with no crossing and no two
///    elements overlapping; a ring of five stays a pentagon.
/// 5. Components are laid out on their own and packed in rows, tallest first, into a picture of
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
