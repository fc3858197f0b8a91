#pragma once
/// The forwarding decision for one frame: which ports it leaves on.
///
/// Design notes
/// ------------
/// `Forwarder` is a pure function of (frame, ingress port, FDB, port set) plus the FDB update
/// it makes: it does no I/O, so it is tested with a `FakeClock` and plain port ids.
///
///  - Switch mode: learn (source MAC, VLAN) -> ingress; send a unicast frame whose destination
///    is known to that one port, and flood everything else (unknown unicast, broadcast,
///    multicast) to every port but the ingress. A frame whose destination was learnt on its
///    own ingress port is filtered (dropped), as 802.1D does: the destination already saw it.
///  - Hub mode: no learning; every frame goes to every port but the ingress (STP labs need
///    this, since a learning switch that does not speak STP would hide the loop).
///  - A frame is never sent back to its ingress port.
///  - 802.1Q: the frame is carried byte for byte, tag included. The VLAN id is read from a
///    0x8100 tag only to key the FDB; untagged frames are VLAN 0. A switch port here is a
///    trunk that carries every VLAN; flooding does not take VLAN membership into account.
///  - A frame shorter than an Ethernet header (or a tagged header) is a runt and dropped, and so
///    is a frame with a multicast source address (never learnt, never forwarded).
///
/// The output list is written into a caller-owned vector that is cleared first, so a caller
/// that reuses it forwards without allocating.

#include "umlab/switchd/fdb_table.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace umlab::switchd {

enum class ForwardingMode { Switch, Hub };

inline constexpr size_t kEthernetHeaderSize = 14;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;

/// The addresses of a frame and the VLAN its tag names (0 when untagged).
struct FrameHeader {
  MacAddress destination;
  MacAddress source;
  uint16_t vlan = 0;
};

/// nullopt for a runt: shorter than 14 bytes, or than 18 with a 0x8100 tag.
std::optional<FrameHeader> parseFrameHeader(std::span<const uint8_t> frame);

enum class ForwardAction {
  Unicast,   ///< to the one learnt port
  Flood,     ///< to every other port (may be none, when the ingress is alone)
  DropRunt,
  DropBadSource,    ///< multicast source address
  DropSamePort,     ///< the destination sits behind the ingress port
  DropUnknownPort,  ///< the ingress is not a port of this forwarder
};

class Forwarder {
public:
  Forwarder(FdbTable& fdb, ForwardingMode mode) : fdb_(fdb), mode_(mode) {}

  ForwardingMode mode() const { return mode_; }
  void addPort(PortId port);
  /// Removes the port and every FDB entry that points at it.
  void removePort(PortId port);
  /// In the order they were added.
  const std::vector<PortId>& ports() const { return ports_; }

  /// Decides where `frame`, received on `ingress`, goes and learns its source. `out` is cleared
  /// and receives the egress ports (empty for a drop). Never throws except std::bad_alloc when
  /// learning a new address.
  ForwardAction forward(std::span<const uint8_t> frame, PortId ingress, std::vector<PortId>& out);

private:
  void flood(PortId ingress, std::vector<PortId>& out) const;

  FdbTable& fdb_;
  ForwardingMode mode_;
  std::vector<PortId> ports_;
};

} // namespace umlab::switchd
