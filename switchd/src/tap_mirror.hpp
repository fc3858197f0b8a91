#pragma once
// A mirror into a tap device (internal to switchd/src): `--mirror-tap DEVICE`. Every frame that
// enters the segment is written into the tap, where the lab's network namespace receives it, so
// that a process of the namespace can sniff the segment with libpcap. That is where the guests'
// monitors on UML's pcap transport listen (an IDS with a capture filter; docs/topology.md).
//
// The device is made by the lab's supervisor, persistent and owned by the switch's uid, and kept
// silent (no IPv6, no ARP; lab/runtime/tap_device.hpp), so that nothing but the segment's frames
// appears on it; the supervisor also attaches the descriptor the switch inherits, since
// /dev/net/tun is root's only on Debian. The switch never reads the tap: what the
// namespace sends into it (nothing, when it is silent) waits in the tap's own queue, which the
// kernel bounds and drops from.

#include "port.hpp"

#include <string>
#include <utility>

namespace umlab::switchd {

class TapMirrorPort final : public Port {
public:
  TapMirrorPort(UniqueFd tap, std::string device)
      : Port(std::move(tap), Traits{.isMirror = true, .isListenOnly = true}), device_(std::move(device)) {}

  std::string_view kind() const override { return "tap-mirror"; }
  std::string address() const override { return device_; }
  EgressQueue::FlushResult flush() noexcept override { return queue().flushWrites(fd()); }

private:
  std::string device_;
};

/// `--mirror-tap DEVICE[:FD]`: the device's name and a non-blocking descriptor attached to it,
/// either the inherited FD or a new attachment to the existing DEVICE (IFF_TAP | IFF_NO_PI).
/// Throws std::system_error naming the device.
std::pair<std::string, UniqueFd> openMirrorTap(const std::string& spec);

} // namespace umlab::switchd
