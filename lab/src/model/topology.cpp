#include "umlab/lab/model/topology.hpp"

namespace umlab::lab {

const char* segmentTypeName(SegmentType t) {
  switch (t) {
  case SegmentType::Switch: return "switch";
  case SegmentType::Hub: return "hub";
  case SegmentType::Mcast: return "mcast";
  case SegmentType::PointToPoint: return "p2p";
  }
  return "switch";
}

std::optional<NodeIndex> Topology::findNode(std::string_view name) const {
  for (NodeIndex i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == name)
      return i;
  return std::nullopt;
}

std::optional<SegmentIndex> Topology::findSegment(std::string_view name) const {
  for (SegmentIndex i = 0; i < segments.size(); ++i)
    if (segments[i].name == name)
      return i;
  return std::nullopt;
}

const TopologyImage* Topology::findImage(std::string_view name) const {
  for (const TopologyImage& i : images)
    if (i.name == name)
      return &i;
  return nullptr;
}

const Interface* Node::findInterface(unsigned index) const {
  for (const Interface& i : interfaces)
    if (i.index == index)
      return &i;
  return nullptr;
}

std::string Topology::interfaceName(const Member& m) const {
  return nodes[m.node].name + ":eth" + std::to_string(m.interface);
}

} // namespace umlab::lab
