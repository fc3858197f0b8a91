#include "umlab/gui/link_port.hpp"

#include <utility>

namespace umlab::gui {

LivePort findLivePort(const LabStatus& status, const LabData& lab, const LinkData& l, const std::string& p2pSwitch) {
  LivePort p;
  const int ni = interfaceEnd(l);
  switch (linkShape(l)) {
  case LinkShape::ToSegment:
    p.name = endpointText(lab, l.ends[ni]);
    p.owner = endpointName(lab, l.ends[ni]);
    p.other = endpointName(lab, l.ends[1 - ni]);
    p.sw = status.switchOf(p.other);
    break;
  case LinkShape::PointToPoint:
    p.name = endpointText(lab, l.ends[0]);
    p.owner = endpointName(lab, l.ends[0]);
    p.other = endpointName(lab, l.ends[1]);
    p.sw = status.switchOf(p2pSwitch);
    break;
  case LinkShape::Trunk:
    p.owner = endpointName(lab, l.ends[0]);
    p.other = endpointName(lab, l.ends[1]);
    p.name = "trunk:" + p.owner;
    p.sw = status.switchOf(p.other);
    if (!p.sw || !portOf(*p.sw, p.name)) { // the trunk's port as the first segment's switch names it
      std::swap(p.owner, p.other);
      p.name = "trunk:" + p.owner;
      p.sw = status.switchOf(p.other);
    }
    break;
  case LinkShape::ToHost: // a tap: no switch
  case LinkShape::Unknown: return p;
  }
  p.port = p.sw ? portOf(*p.sw, p.name) : nullptr;
  return p;
}

} // namespace umlab::gui
