#pragma once
/// A parsed view of one Ethernet frame, or of one IP packet, taken from a capture: the headers
/// a replay needs to re-address a packet and to recognise it after a router or a NAT.
///
/// Design notes
/// ------------
/// The input is untrusted (any capture a user hands to `umlab replay`), so the parser reads
/// nothing outside the span it is given, never throws, never asserts on the input, and says
/// what it disliked in words of the protocol: "IPv4 header truncated: 12 of 20 bytes",
/// "IPv6 extension header 43 runs past the frame".
///
/// What is read:
///  - Ethernet II with at most one 802.1Q tag (TPID 0x8100). An unknown EtherType is not an
///    error: the view then holds the Ethernet header only.
///  - ARP for Ethernet and IPv4 (RFC 826); other hardware or protocol types leave `arp` empty.
///  - IPv4 (RFC 791) with options; IPv6 (RFC 8200) with the extension headers hop-by-hop (0),
///    routing (43), destination options (60) and fragment (44) walked to the upper-layer
///    protocol. The IP version comes from the first nibble; it must agree with the EtherType.
///  - TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792) and ICMPv6 (RFC 4443), including echo
///    identifier and sequence, the quoted packet of the error messages (destination unreachable,
///    time exceeded, parameter problem; ICMPv4 source quench and redirect; ICMPv6 packet too
///    big), and the target address and link-layer option of neighbor solicitations and
///    advertisements (RFC 4861).
///
/// Errors and truncation. A header the packet needs (Ethernet, the 802.1Q tag, ARP, the IP
/// header with its options or extension headers, the upper-layer header of a whole packet) that
/// does not fit in the bytes is an error: `parsePacket` returns the reason and no view. So are
/// lengths that contradict each other (an IPv4 total length below its header length, a UDP
/// length beyond the IP payload of an unfragmented packet). A packet
/// whose IP length says more than was captured (a snapshot length, or the quote inside an ICMP
/// error) is *truncated*, not wrong: the view is returned, `truncation` says what is missing,
/// and the upper-layer header is read as far as it was captured, provided that is at least its
/// first 8 bytes (RFC 792 guarantees an ICMP error quotes that much): the ports and the TCP
/// sequence number. The same goes for the first fragment of a fragmented packet. Later
/// fragments carry no upper-layer header; the view then has none.
///
/// Offsets. Every `offset` counts from the start of the span given to the parser, so a rewriter
/// can patch the bytes in place. Payload spans point into that span: a view must not outlive
/// the bytes it was parsed from. Lengths exclude Ethernet padding: an IP packet ends where its
/// header says, or where the capture ends if that is sooner.
///
/// The quoted packet of an ICMP error is not parsed here (an error quoting an error quoting ...
/// must not recurse); `IcmpHeader::quoted` hands it to `parseIpPacket`.

#include "umlab/base/ip_address.hpp"
#include "umlab/base/mac_address.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>

namespace umlab::transports {

struct EthernetHeader {
  MacAddress destination;
  MacAddress source;
  std::optional<uint16_t> vlanTag; ///< the 802.1Q tag control field (priority, DEI, VLAN id)
  uint16_t etherType = 0;          ///< the type after the tag, when there is one
  size_t payloadOffset = 0;        ///< where the network-layer packet starts: 14, or 18 tagged
};

struct ArpPacket {
  size_t offset = 0;
  uint16_t operation = 0; ///< 1 request, 2 reply
  MacAddress senderMac;
  IpAddress senderIp;
  MacAddress targetMac;
  IpAddress targetIp;
};

struct IpHeader {
  size_t offset = 0; ///< where the IP header starts
  IpAddress::Family family = IpAddress::Family::V4;
  /// IPv4: the header with its options. IPv6: the fixed header and every extension header in
  /// front of the upper-layer header (or of a later fragment's data).
  size_t headerSize = 0;
  size_t totalSize = 0;    ///< the size the header announces: IPv4 total length, IPv6 40 + payload length
  size_t capturedSize = 0; ///< the part of `totalSize` that is present
  uint8_t ttl = 0;         ///< the hop limit for IPv6
  /// The upper-layer protocol: after the extension headers for IPv6 (for a later fragment, the
  /// next header its fragment header names).
  uint8_t protocol = 0;
  IpAddress source;
  IpAddress destination;
  uint32_t identification = 0; ///< IPv4's 16 bits, or the 32 of an IPv6 fragment header
  bool dontFragment = false;   ///< IPv4 only
  bool moreFragments = false;
  uint16_t fragmentOffset = 0; ///< in bytes (a multiple of 8)
  std::optional<size_t> fragmentHeaderOffset; ///< IPv6: where the fragment header is
  uint8_t routingSegmentsLeft = 0;            ///< IPv6: of a routing header, when there is one

  bool isV4() const { return family == IpAddress::Family::V4; }
  bool isFragment() const { return moreFragments || fragmentOffset != 0; }
  bool isLaterFragment() const { return fragmentOffset != 0; }
  bool isTruncated() const { return capturedSize < totalSize; }
  size_t payloadOffset() const { return offset + headerSize; }
  size_t capturedPayloadSize() const { return capturedSize - headerSize; }
  size_t payloadSize() const { return totalSize - headerSize; } ///< as announced
};

/// TCP flag bits as in the header's 14th byte: kTcpSyn, kTcpAck, … (frame_builder.hpp).
struct TcpHeader {
  size_t offset = 0;
  uint16_t sourcePort = 0;
  uint16_t destinationPort = 0;
  uint32_t sequence = 0;
  uint32_t acknowledgment = 0; ///< this and the fields below are 0 when not captured
  size_t headerSize = 0;       ///< data offset × 4, options included
  uint8_t flags = 0;
  uint16_t window = 0;
  uint16_t checksum = 0;
  /// False when the capture (or the fragment) ends inside the header: then only the ports and
  /// the sequence number are sure to be read, and `payload` is empty.
  bool isComplete = false;
  std::span<const uint8_t> payload; ///< the captured part of the segment's data
};

struct UdpHeader {
  size_t offset = 0;
  uint16_t sourcePort = 0;
  uint16_t destinationPort = 0;
  uint16_t length = 0;   ///< header and data, as the header says
  uint16_t checksum = 0; ///< 0: the sender computed none (allowed over IPv4 only)
  std::span<const uint8_t> payload; ///< the captured part of the data
};

struct IcmpEcho {
  uint16_t identifier = 0;
  uint16_t sequence = 0;
};

/// An ICMP or ICMPv6 message (`isV6` tells which).
struct IcmpHeader {
  size_t offset = 0;
  bool isV6 = false;
  uint8_t type = 0;
  uint8_t code = 0;
  uint16_t checksum = 0;
  std::optional<IcmpEcho> echo; ///< echo requests and replies
  /// Error messages: where the quoted packet starts (8 bytes into the message), and the packet
  /// as captured, ready for `parseIpPacket`.
  std::optional<size_t> quotedOffset;
  std::span<const uint8_t> quoted;
  /// Neighbor solicitations and advertisements: the target address and where it is, and the
  /// MAC of a source or target link-layer address option, when the message carries one.
  std::optional<IpAddress> ndpTarget;
  size_t ndpTargetOffset = 0;
  std::optional<MacAddress> ndpLinkLayerAddress;
  size_t ndpLinkLayerAddressOffset = 0;
  std::span<const uint8_t> body; ///< the captured message after its first 8 bytes

  bool isError() const { return quotedOffset.has_value(); }
};

struct PacketView {
  std::span<const uint8_t> bytes;        ///< everything that was parsed
  std::optional<EthernetHeader> ethernet; ///< absent from `parseIpPacket`'s views
  std::optional<ArpPacket> arp;
  std::optional<IpHeader> ip;
  std::variant<std::monostate, TcpHeader, UdpHeader, IcmpHeader> transport;
  /// Empty when every byte the headers announce is present; otherwise the first thing that is
  /// missing, e.g. "IPv4 total length 1500 exceeds the 186 captured bytes".
  std::string truncation;

  bool isTruncated() const { return !truncation.empty(); }
  const TcpHeader* tcp() const { return std::get_if<TcpHeader>(&transport); }
  const UdpHeader* udp() const { return std::get_if<UdpHeader>(&transport); }
  const IcmpHeader* icmp() const { return std::get_if<IcmpHeader>(&transport); }
};

/// A view, or why there is none.
struct ParsedPacket {
  std::optional<PacketView> view;
  std::string error; ///< empty exactly when there is a view

  explicit operator bool() const { return view.has_value(); }
  const PacketView& operator*() const { return *view; }
  const PacketView* operator->() const { return &*view; }
};

/// Parses an Ethernet frame (no FCS). Never reads outside `frame`.
ParsedPacket parsePacket(std::span<const uint8_t> frame);
/// Parses an IP packet with no link-layer header, such as the quote of an ICMP error; the
/// version nibble says IPv4 or IPv6.
ParsedPacket parseIpPacket(std::span<const uint8_t> packet);

/// "TCP", "UDP", "ICMP", "ICMPv6", or the number for any other protocol.
std::string ipProtocolName(uint8_t protocol);

} // namespace umlab::transports
