#include "umlab/transports/pcap_filter.hpp"

#include <pcap/pcap.h>

namespace umlab::transports {

struct PcapFilter::Program {
  bpf_program bpf{};
  ~Program() { pcap_freecode(&bpf); }
};

PcapFilter::PcapFilter(std::string expression, std::unique_ptr<Program> program)
    : expression_(std::move(expression)), program_(std::move(program)) {}
PcapFilter::PcapFilter(PcapFilter&&) noexcept = default;
PcapFilter& PcapFilter::operator=(PcapFilter&&) noexcept = default;
PcapFilter::~PcapFilter() = default;

std::optional<PcapFilter> PcapFilter::compile(const std::string& expression, std::string& error) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  if (!dead) {
    error = "out of memory";
    return std::nullopt;
  }
  auto program = std::make_unique<Program>();
  const int rc = pcap_compile(dead, &program->bpf, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN);
  if (rc != 0) {
    error = pcap_geterr(dead);
    pcap_close(dead);
    return std::nullopt;
  }
  pcap_close(dead);
  return PcapFilter(expression, std::move(program));
}

bool PcapFilter::matches(std::span<const uint8_t> frame, uint32_t wireSize) const {
  pcap_pkthdr header{};
  header.caplen = uint32_t(frame.size());
  header.len = wireSize;
  return pcap_offline_filter(&program_->bpf, &header, frame.data()) != 0;
}

} // namespace umlab::transports
