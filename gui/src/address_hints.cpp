#include "umlab/gui/address_hints.hpp"

#include "umlab/base/ip_address.hpp"
#include "umlab/base/mac_address.hpp"
#include "umlab/gui/inherited_settings.hpp"

#include <optional>
#include <set>

namespace umlab::gui {

namespace {

std::optional<IpPrefix> ipv4Prefix(const std::string& text) {
  auto p = IpPrefix::parse(text);
  if (!p || !p->address().isV4() || p->length() > 30)
    return std::nullopt;
  return p;
}

/// The lowest address of `subnet` that is not in `used`, with the subnet's length; empty when full.
std::string firstFree(const IpPrefix& subnet, const std::set<IpAddress>& used) {
  const IpAddress broadcast = subnet.broadcast();
  for (IpAddress a = subnet.network().next(); a < broadcast; a = a.next())
    if (!used.count(a))
      return IpPrefix(a, subnet.length()).str();
  return {};
}

/// The node ends of the links to `segment`, as (link, end index).
template <typename F>
void forEachMember(const LabData& lab, ElementId segment, F f) {
  for (const LinkData& l : lab.links) {
    if (linkShape(l) != LinkShape::ToSegment)
      continue;
    const int ni = interfaceEnd(l);
    if (l.ends[1 - ni].target == segment)
      f(l, ni);
  }
}

} // namespace

std::string nextFreeAddress(const LabData& lab, ElementId segment) {
  std::optional<IpPrefix> subnet;
  std::set<IpAddress> used;
  forEachMember(lab, segment, [&](const LinkData& l, int ni) {
    auto p = ipv4Prefix(endAddress(l, ni));
    if (!p)
      return;
    if (!subnet)
      subnet = p;
    if (subnet->contains(p->address()))
      used.insert(p->address());
  });
  return subnet ? firstFree(*subnet, used) : std::string();
}

std::string suggestedAddress(const LabData& lab, const LinkData& link, int end) {
  if (link.ends[end].kind != EndpointData::Kind::Interface)
    return {};
  switch (linkShape(link)) {
  case LinkShape::ToSegment: return nextFreeAddress(lab, link.ends[1 - end].target);
  case LinkShape::PointToPoint: {
    auto other = ipv4Prefix(endAddress(link, 1 - end));
    return other ? firstFree(*other, {other->address()}) : std::string();
  }
  default: return {};
  }
}

GatewayHint suggestedGateway(const LabData& lab, const LinkData& link, int end) {
  const NodeData* self = lab.findNode(link.ends[end].target);
  if (linkShape(link) != LinkShape::ToSegment || link.ends[end].kind != EndpointData::Kind::Interface || !self ||
      forwardsIp(lab, *self))
    return {};
  const auto own = ipv4Prefix(endAddress(link, end));
  GatewayHint hint;
  forEachMember(lab, link.ends[1 - end].target, [&](const LinkData& l, int ni) {
    const NodeData* member = lab.findNode(l.ends[ni].target);
    if (!hint.address.empty() || l.id == link.id || !member || !forwardsIp(lab, *member))
      return;
    auto p = ipv4Prefix(endAddress(l, ni));
    if (p && (!own || own->contains(p->address())))
      hint = GatewayHint{p->address().str(), member->name};
  });
  return hint;
}

std::string derivedMac(const LabData& lab, const std::string& node, const std::string& iface) {
  return MacAddress::derive(lab.name + "/" + node + "/" + iface).str();
}

bool forwardsIp(const LabData& lab, const NodeData& node) {
  if (!node.settings.forwarding.empty())
    return node.settings.forwarding == "true";
  return inheritedSettings(lab, SettingsScope::Node, effectiveKindOf(lab, node.settings)).forwarding.value == "true";
}

} // namespace umlab::gui
