#pragma once
/// The wire format of UML's `daemon` transport (the uml_switch v3 protocol), shared by the switch
/// that serves it (umlab-switchd) and the clients that speak it (`SwitchClient`, switchd's
/// uplinks), so that both sides read the same constants.
///
/// Design notes
/// ------------
/// A client connects a unix stream socket to the switch's control path and writes one
/// `RequestV3` in the native layout UML's arch/um/drivers/daemon_user.c writes it (not packed:
/// 124 bytes on x86-64, the last 2 being padding): magic, version 3, a request type, and the
/// `sockaddr_un` of the client's datagram socket, an abstract name bound with addrlen 110. The
/// switch replies with exactly 110 bytes, the `sockaddr_un` of its own datagram socket; from then
/// on every datagram is one Ethernet frame, and closing the control connection leaves the switch.
/// ../shared/UML.md §1 has the observed details.
///
/// Request types. UML sends only 0 (`REQ_NEW_CONTROL`: a guest NIC). umlab-switchd also knows
/// `kRequestProbe`, a client that joins the segment as a guest does and, besides what the switch
/// forwards to it, receives a copy of every frame that enters the segment (switch_daemon.hpp).
/// Other switches give small values their own meaning (netkit's uml_switch has REQ_NEW_DUMP = 1,
/// vde-2 has REQ_NEW_PORT0 = 1 for a request of a given port), so the probe's value is far from
/// them. Debian's uml_switch closes the connection on it (switchd_probe_test.cpp); no other switch
/// makes a probe of it.

#include <cstdint>
#include <sys/socket.h>
#include <sys/un.h>

namespace umlab::transports {

inline constexpr uint32_t kRequestMagic = 0xfeedface;
inline constexpr uint32_t kRequestVersion = 3;
/// A guest NIC: what UML sends.
inline constexpr uint32_t kRequestNewControl = 0;
/// An umlab probe: a guest that also sees every frame entering the segment. The request's bytes
/// read "umlp" on a little-endian host.
inline constexpr uint32_t kRequestProbe = 0x706c6d75;

struct RequestV3 {
  uint32_t magic;
  uint32_t version;
  uint32_t type;
  sockaddr_un sock;
};

inline constexpr size_t kRequestSize = sizeof(RequestV3);
/// 110: the address length UML binds its data socket with, and the size of the switch's reply.
inline constexpr socklen_t kUnixAddressSize = sizeof(sockaddr_un);
static_assert(kUnixAddressSize == 110, "UML's daemon transport assumes Linux's sockaddr_un");
static_assert(kRequestSize == 124, "request_v3 is 124 bytes on Linux x86-64");

} // namespace umlab::transports
