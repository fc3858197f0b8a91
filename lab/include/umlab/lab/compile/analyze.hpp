#pragma once
/// Graph checks on a resolved topology, done with Boost.Graph (whose types stay in the .cpp):
///
/// - connectivity: nodes with no link, segments with one member or none, and the number of
///   connected components (islands) of the lab;
/// - layer-2 loops: switch and hub segments joined by trunk links into a cycle forward
///   broadcasts forever unless a guest runs STP. Each independent loop is reported once,
///   naming its segments in order.
///
/// Findings are warnings: the lab still boots.

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/model/topology.hpp"

#include <string>
#include <vector>

namespace umlab::lab {

struct Analysis {
  size_t components = 0;                       ///< connected components of nodes and segments
  std::vector<std::vector<std::string>> loops; ///< each a list of segment names, first repeated last
};

Analysis analyze(const Topology& topology, Diagnostics& diags);

} // namespace umlab::lab
