#pragma once
/// What the canvas derives for a link end's empty address, gateway and MAC: a suggestion worked
/// out from the lab, or nothing. The panel shows these in its placeholders ("none (next free:
/// 10.0.0.4/24)"), and a new link to a segment takes the next free address; nothing here is a
/// fixed example that would look like a value on every link.
///
/// - Address: on a segment, the lowest address of the subnet its members already use that no
///   member has (the first IPv4 prefix found on the segment, /30 or wider); on a point-to-point
///   link, the lowest free address of the other end's subnet. Empty when nothing is addressed.
/// - Gateway: for a node that does not forward, the address of the first member of the same
///   segment that does (a router or firewall, by kind or `forwarding: true`), when that address
///   is in the node's subnet (or the node has none yet).
/// - MAC: the one `lab::resolve` derives for an interface given none,
///   `MacAddress::derive("<lab>/<node>/<iface>")`.

#include "umlab/gui/lab_data.hpp"

#include <string>

namespace umlab::gui {

/// The next free IPv4 address (with its prefix length) of the subnet used on `segment`; empty
/// when no member of it has an IPv4 address.
std::string nextFreeAddress(const LabData& lab, ElementId segment);

/// A derived address for the node end `end` of `link` (see above); empty when there is none.
std::string suggestedAddress(const LabData& lab, const LinkData& link, int end);

struct GatewayHint {
  std::string address; ///< "10.0.0.1"
  std::string node;    ///< the node that has it
};
/// A derived gateway for the node end `end` of `link` (see above); an empty address when there is none.
GatewayHint suggestedGateway(const LabData& lab, const LinkData& link, int end);

/// The MAC that resolve derives for `iface` of `node` when the file gives none.
std::string derivedMac(const LabData& lab, const std::string& node, const std::string& iface);

/// Whether a node forwards IP: its own `forwarding`, else what it inherits (its kind, the
/// defaults, the built-in kind).
bool forwardsIp(const LabData& lab, const NodeData& node);

} // namespace umlab::gui
