#pragma once
// VXLAN tunnels (RFC 7348): the segment's ports to its parts on other hosts (internal to
// switchd/src). The header and the command line's vocabulary are umlab/switchd/vxlan.hpp.
//
// Design notes
// ------------
// A segment that spans hosts is one switch per host, each with a tunnel to every other (a full
// mesh), all on one VNI. A tunnel's far end may be another umlab-switchd or a Linux `vxlan`
// device (or Open vSwitch).
//
// One UDP socket serves every peer: bound by the switch (--vxlan-bind) or inherited already bound
// (--vxlan-socket, made by the supervisor in the host's namespace). Each peer is a port
// (`VxlanPort`), so it has the counters, conditions, queue and capture of any port.
//
// Receiving. recvmmsg bursts of kBurstSize on the shared socket; a datagram's port is found by its
// source IPv4 address alone, since a Linux vxlan device sends from a source port hashed from the
// inner flow (RFC 7348 §5), so two peers may not share an address. Dropped and counted by the
// tunnel (`show vxlan`): datagrams from an address that is no peer, shorter than the header,
// without the I flag, with another VNI, or whose inner frame is larger than kMaxFrameSize. The
// inner frame then takes the frame path as a daemon client's does.
//
// Sending. Each port flushes its queue with one sendmmsg to its peer, the 8-byte header gathered
// from the port's own copy before every frame (no per-frame copy). The ports send on duplicates of
// the shared socket's descriptor, so that the loop can watch each for room (EPOLLOUT) on its
// own when its queue backs up, as for any other port. The socket is non-blocking.
//
// Split horizon. A frame that arrived through a tunnel never leaves through another (Port::isTunnel,
// FramePath): the sender's switch reached every other host itself.
//
// MTU. Encapsulation adds 50 bytes over the inner frame; a guest's 1514-byte frame is a
// 1564-byte IPv4 packet. The socket has IP_MTU_DISCOVER = IP_PMTUDISC_DONT, so the host fragments
// a packet larger than the underlay's MTU instead of refusing it, as a Linux vxlan device does
// by default (`df unset`): nothing is lost, raising the underlay MTU to 1550 or more only avoids
// the fragmentation.

#include "event_loop.hpp"
#include "frame_path.hpp"
#include "port.hpp"
#include "port_names.hpp"

#include "umlab/base/unique_fd.hpp"
#include "umlab/switchd/switch_daemon.hpp"
#include "umlab/switchd/vxlan.hpp"

#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <unordered_map>
#include <vector>

namespace umlab::switchd {

/// One remote VTEP: frames leave encapsulated to its address; they arrive through the tunnel's
/// shared socket.
class VxlanPort final : public Port {
public:
  /// `tx`: a duplicate of the tunnel's socket.
  VxlanPort(UniqueFd tx, const Ipv4Endpoint& peer, uint32_t vni);

  std::string_view kind() const override { return "vxlan"; }
  std::string address() const override { return peer_.str(); }
  EgressQueue::FlushResult flush() noexcept override {
    return queue().flush(fd(), &to_, sizeof(to_), header_);
  }
  const Ipv4Endpoint& peer() const { return peer_; }

private:
  Ipv4Endpoint peer_;
  sockaddr_in to_{};
  VxlanHeader header_;
};

/// The tunnel socket and its peers' ports.
class VxlanTunnel final : public FdHandler {
public:
  /// Why a datagram was dropped before reaching a port; 'show vxlan' prints drop_<name>=N.
  enum class Drop { UnknownSource, Runt, NoIFlag, BadVni, Oversize, Count };
  static constexpr std::array<const char*, size_t(Drop::Count)> kDropNames = {
      "unknown_source", "runt", "no_i_flag", "bad_vni", "oversize"};
  struct Counters {
    uint64_t datagrams = 0; ///< received, dropped or not
    uint64_t receiveErrors = 0;
    std::array<uint64_t, size_t(Drop::Count)> drops{};
  };

  /// Binds (`options.bind`) or adopts (`options.socketFd`) the socket, makes one port per peer,
  /// named, and watches the socket. Throws std::system_error when the socket cannot be made, and
  /// std::invalid_argument when the inherited descriptor is no bound IPv4 UDP socket.
  VxlanTunnel(const VxlanOptions& options, FramePath& path, PortNames& names);
  VxlanTunnel(const VxlanTunnel&) = delete;
  VxlanTunnel& operator=(const VxlanTunnel&) = delete;

  /// The socket is readable: one burst.
  void onReady(uint32_t events) override;

  /// 'show vxlan': the VNI, the local address, the peers and the tunnel's counters.
  std::string describe() const;
  const Counters& counters() const { return counters_; }

private:
  static constexpr size_t kReceiveBufferSize = 2048; ///< more than header + kMaxFrameSize

  FramePath& path_;
  uint32_t vni_;
  UniqueFd fd_;
  Ipv4Endpoint local_;
  std::vector<VxlanPort*> ports_; ///< they live as long as the switch: nothing removes them
  std::unordered_map<uint32_t, VxlanPort*> bySource_; ///< by IPv4 address, host order
  std::vector<uint8_t> buffers_;
  Counters counters_;
};

} // namespace umlab::switchd
