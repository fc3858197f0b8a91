#include "umlab/switchd/forwarder.hpp"

#include <algorithm>

namespace umlab::switchd {

std::optional<FrameHeader> parseFrameHeader(std::span<const uint8_t> frame) {
  if (frame.size() < kEthernetHeaderSize)
    return std::nullopt;
  FrameHeader h;
  MacAddress::Bytes dst, src;
  std::copy_n(frame.begin(), 6, dst.begin());
  std::copy_n(frame.begin() + 6, 6, src.begin());
  h.destination = MacAddress(dst);
  h.source = MacAddress(src);
  const uint16_t etherType = uint16_t(frame[12] << 8 | frame[13]);
  if (etherType == kEtherTypeVlan) {
    if (frame.size() < kEthernetHeaderSize + 4)
      return std::nullopt;
    h.vlan = uint16_t((frame[14] << 8 | frame[15]) & 0x0fff);
  }
  return h;
}

void Forwarder::addPort(PortId port) {
  if (std::find(ports_.begin(), ports_.end(), port) == ports_.end())
    ports_.push_back(port);
}

void Forwarder::removePort(PortId port) {
  std::erase(ports_, port);
  fdb_.flushPort(port);
}

void Forwarder::flood(PortId ingress, std::vector<PortId>& out) const {
  for (PortId p : ports_)
    if (p != ingress)
      out.push_back(p);
}

ForwardAction Forwarder::forward(std::span<const uint8_t> frame, PortId ingress,
                                 std::vector<PortId>& out) {
  out.clear();
  if (std::find(ports_.begin(), ports_.end(), ingress) == ports_.end())
    return ForwardAction::DropUnknownPort;
  const std::optional<FrameHeader> h = parseFrameHeader(frame);
  if (!h)
    return ForwardAction::DropRunt;
  if (h->source.isMulticast())
    return ForwardAction::DropBadSource;
  if (mode_ == ForwardingMode::Hub) {
    flood(ingress, out);
    return ForwardAction::Flood;
  }
  fdb_.learn(h->source, h->vlan, ingress);
  if (!h->destination.isMulticast()) {
    if (std::optional<PortId> port = fdb_.lookup(h->destination, h->vlan)) {
      if (*port == ingress)
        return ForwardAction::DropSamePort;
      out.push_back(*port);
      return ForwardAction::Unicast;
    }
  }
  flood(ingress, out);
  return ForwardAction::Flood;
}

} // namespace umlab::switchd
