#pragma once
// The port of a guest on the vector transport's bess mode (internal to switchd/src).

#include "port.hpp"

namespace umlab::switchd {

/// A guest on `vecN:transport=bess,dst=PATH`: an accepted SOCK_SEQPACKET connection carrying one
/// Ethernet frame per message, with no header and no handshake. The connection both receives and
/// sends; the peer hanging up, or a failed read, removes the port. An empty message while the
/// peer is connected is a frame like any other (dropped as empty).
class BessPort final : public Port {
public:
  explicit BessPort(UniqueFd connection) : Port(std::move(connection), Traits{}) {}

  std::string_view kind() const override { return "bess"; }
  bool readsOwnSocket() const override { return true; }
  bool isConnection() const override { return true; }
};

} // namespace umlab::switchd
