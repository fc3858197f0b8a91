#pragma once
/// A readable 2-D placement of a lab's nodes and segments, shared by `umlab graph` and the GUI.
/// Fruchterman–Reingold force-directed layout (Boost.Graph) started from a circle, so the same
/// topology always gets the same picture; `layout:` hints in the file override the computed
/// position of their node or segment.

#include "umlab/lab/model/topology.hpp"

#include <vector>

namespace umlab::lab {

struct LabLayout {
  std::vector<Layout> nodes;    ///< by NodeIndex
  std::vector<Layout> segments; ///< by SegmentIndex
  double width = 0;             ///< every position lies in [0, width] x [0, height]
  double height = 0;
};

LabLayout computeLayout(const Topology& topology);

} // namespace umlab::lab
