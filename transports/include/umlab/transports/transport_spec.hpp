#pragma once
/// How a guest interface reaches the rest of the lab, and how that is written on a UML command
/// line. References: UML.md §0-§4, the kernel's arch/um/drivers/{daemon,umcast,vector}_*.c.
///
///   daemon  eth<N>=daemon,<mac>,unix,<ctl>      uml_switch v3 protocol to an umlab-switchd
///   mcast   eth<N>=mcast,<mac>,<group>,<port>,<ttl>   UML's own multicast; lab netns only
///   bess    vec<N>:transport=bess,dst=<path>,depth=<n>,mac=<mac>   SOCK_SEQPACKET to an umlab-switchd
///   tap     vec<N>:transport=tap,ifname=<dev>,mac=<mac>  a tap device in the lab netns
///   pcap    eth<N>="pcap,<dev>,<filter>,promisc,,<mac>"  read-only: libpcap on a device of the lab
///           netns (a switch's mirror tap), with a capture filter; umlab's own kernel only
///
/// The legacy `ethN=` transports are gone from Linux 6.16; `vecN:` is the lasting path. UML
/// splits these arguments on ',' (and vector options on '='), so no value may contain either:
/// `isSafeUmlValue` is checked by the planner before any argument is rendered.
///
/// Design notes: the bess ring depth. UML's vector driver queues a guest's outgoing frames in a
/// ring of `depth` slots (default 64) and hands them to the host with sendmmsg. When the host
/// socket is full, sendmmsg says EAGAIN and the frames stay in the ring; a frame is lost
/// (the guest's tx_dropped) only when the ring is full as well (vector_kern.c, vector_enqueue).
/// The socket fills at the sender's SO_SNDBUF (the host's wmem_default, 208 KiB: about 90 full
/// frames waiting in the switch's queue; a seqpacket peer has no queue-length limit), which a
/// busy 2-CPU host reaches whenever the switch is not scheduled for a moment. With 64 slots, TCP
/// between two guests lost 60-1600 frames per 5-second run; with `kBessDepth` = 256 it lost none
/// (bench_guest_tcp, measured in the commit that set it). The cost is the receive ring, which UML
/// fills with `depth` preallocated buffers of about 2 KiB per interface.

#include "umlab/base/ip_address.hpp"
#include "umlab/base/mac_address.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace umlab::transports {

struct DaemonSpec {
  std::string ctlPath; ///< the switch's control socket (unix stream)
};

struct McastSpec {
  IpAddress group;
  uint16_t port = 1102;
  uint8_t ttl = 1;
};

/// Slots in each ring of a bess interface (UML's `depth=`); see the design notes above.
inline constexpr unsigned kBessDepth = 256;

struct BessSpec {
  std::string path;           ///< the switch's seqpacket socket
  unsigned depth = kBessDepth; ///< the vector driver's ring size, `depth=`
};

struct TapSpec {
  std::string device; ///< tap device name in the lab's namespace, at most 15 bytes
  /// >= 0: the launcher opens the tap itself and hands it to the guest as this descriptor, and
  /// the guest uses UML's `fd` transport (`vecN:transport=fd,fd=F,vec=0`: a tap is not a socket,
  /// so one frame per read/write). Unprivileged guests need this: /dev/net/tun is root's only
  /// on Debian. -1: the guest opens the device by name (`transport=tap,ifname=`), which needs
  /// access to /dev/net/tun.
  int fd = -1;
};

/// UML's pcap transport (UML.md §3, kernel/uml/patches): the guest's interface receives what
/// libpcap sees on `device` in the lab's namespace, filtered by `filter`, and cannot send.
/// Debian's linux.uml lacks it. The filter may hold spaces, so the whole value is quoted for the
/// kernel's command-line parser; it may not hold ',' (UML splits on it) or '"' (`isSafePcapFilter`).
struct PcapSpec {
  std::string device;
  std::string filter; ///< libpcap syntax; empty: every frame
};

using TransportSpec = std::variant<DaemonSpec, McastSpec, BessSpec, TapSpec, PcapSpec>;

/// "daemon", "mcast", "bess", "tap" or "pcap".
const char* transportName(const TransportSpec& spec);
/// True for transports that the guest sees as `vecN` rather than `ethN`.
bool isVectorTransport(const TransportSpec& spec);
/// The device name the guest kernel gives the interface: "eth3" or "vec3".
std::string guestDeviceName(const TransportSpec& spec, unsigned index);
/// The UML argument, e.g. "eth0=daemon,02:00:00:00:00:01,unix,/run/umlab/lan/sw/lan.ctl".
std::string renderUmlDeviceArg(const TransportSpec& spec, unsigned index, const MacAddress& mac);
/// False when `value` holds a character that UML's argument parser splits on (',', '=',
/// whitespace) or a control byte.
bool isSafeUmlValue(std::string_view value);
/// False when a pcap filter holds ',' or '"', a control byte, or starts or ends with a space.
bool isSafePcapFilter(std::string_view filter);

} // namespace umlab::transports
