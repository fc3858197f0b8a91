#pragma once
/// Where a link of the drawing is in the running lab: the switch port whose counters are its
/// traffic and whose conditions are its live conditions, up or down (lab_status.hpp keeps them
/// current from the lab's events). The canvas draws a link from it (items.hpp, `LiveLink`) and
/// the context menu decides from it what can be done to the link (element_menu.hpp).
///
/// The port is the one the compiler gives the link's node interface ("pc1:eth0") on its
/// segment's switch; for a point-to-point link, the first end's, on the link's own switch
/// ("p2p.<n>", the link's place in the file); for a trunk, "trunk:<segment>" on the other
/// segment's switch, whichever of the two the switches list. A link to the host (a tap) has no
/// switch, hence no port.

#include "umlab/gui/lab_data.hpp"
#include "umlab/gui/lab_status.hpp"

#include <string>

namespace umlab::gui {

struct LivePort {
  const SwitchStatus* sw = nullptr; ///< null when the running lab has no switch for the link
  const PortStatus* port = nullptr; ///< null when that switch does not list the link's port
  std::string name;  ///< the port's name ("pc1:eth0", "trunk:lan"), even when not found
  std::string owner; ///< the end whose traffic the port receives ("rx"): the node, or a trunk's first segment
  std::string other; ///< the end the port sends to ("tx" goes to `owner`)
};

/// The port of `link` in `status`. `p2pSwitch` names the switch of a point-to-point link
/// (`TopologyScene::switchNameOf`); it is not used for other links.
LivePort findLivePort(const LabStatus& status, const LabData& lab, const LinkData& link, const std::string& p2pSwitch);

} // namespace umlab::gui
