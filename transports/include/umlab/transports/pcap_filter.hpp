#pragma once
/// A capture filter in pcap-filter(7) syntax ("tcp port 23", "icmp", "arp"), compiled once by
/// libpcap for Ethernet frames and applied to frames in memory (pcap_offline_filter). Used by
/// `umlab test`'s traffic checks and to check a lab's filters when it is compiled.
///
/// A trap it guards against: libpcap 1.10 looks a protocol name ("proto ospf", "ip proto \tcp")
/// up with getprotobyname_r, and when /etc/protocols is missing (package netbase; minimal
/// containers and debootstrap --variant=minbase roots lack it) the lookup fails with an error and
/// libpcap silently compiles protocol 0, the IPv6 hop-by-hop header. `compile` refuses such a
/// name instead, naming the fix.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace umlab::transports {

/// Empty when every protocol name after 'proto' or 'protochain' in `expression` resolves through
/// /etc/protocols (numbers and 'ether proto'/'iso proto' names need nothing); otherwise why not.
std::string unresolvableProtocolName(const std::string& expression);

class PcapFilter {
public:
  /// Compiles `expression`; on failure returns nothing and sets `error` to libpcap's reason.
  static std::optional<PcapFilter> compile(const std::string& expression, std::string& error);
  PcapFilter(PcapFilter&&) noexcept;
  PcapFilter& operator=(PcapFilter&&) noexcept;
  ~PcapFilter();

  /// True when `frame` (an Ethernet frame, `wireSize` bytes on the wire) matches.
  bool matches(std::span<const uint8_t> frame, uint32_t wireSize) const;
  const std::string& expression() const { return expression_; }

private:
  struct Program;
  PcapFilter(std::string expression, std::unique_ptr<Program> program);
  std::string expression_;
  std::unique_ptr<Program> program_;
};

} // namespace umlab::transports
