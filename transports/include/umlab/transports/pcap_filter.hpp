#pragma once
/// A capture filter in pcap-filter(7) syntax ("tcp port 23", "icmp", "arp"), compiled once by
/// libpcap for Ethernet frames and applied to frames in memory (pcap_offline_filter). Used by
/// `umlab test`'s traffic checks.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace umlab::transports {

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
