#include "umlab/transports/pcap_filter.hpp"

#include <cctype>
#include <netdb.h>
#include <pcap/pcap.h>
#include <string_view>
#include <system_error>
#include <vector>

namespace umlab::transports {

namespace {

/// The filter's words as libpcap's scanner splits them: spaces, parentheses and '!' end a word.
std::vector<std::string_view> words(std::string_view expression) {
  const auto ends = [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '!';
  };
  std::vector<std::string_view> out;
  for (size_t i = 0; i < expression.size();) {
    if (ends(expression[i])) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < expression.size() && !ends(expression[i]))
      ++i;
    out.push_back(expression.substr(start, i - start));
  }
  return out;
}

} // namespace

std::string unresolvableProtocolName(const std::string& expression) {
  const std::vector<std::string_view> w = words(expression);
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i] != "proto" && w[i] != "protochain")
      continue;
    // 'ether proto' and 'iso proto' take libpcap's own names, not /etc/protocols'.
    if (i > 0 && (w[i - 1] == "ether" || w[i - 1] == "iso"))
      continue;
    std::string_view name = w[i + 1];
    if (!name.empty() && name.front() == '\\') // "proto \tcp": the escaped keyword is looked up too
      name.remove_prefix(1);
    if (name.empty() || !std::isalpha(static_cast<unsigned char>(name.front())))
      continue; // a number
    const std::string key(name);
    protoent entry{};
    protoent* found = nullptr;
    char buffer[1024];
    const int rc = getprotobyname_r(key.c_str(), &entry, buffer, sizeof buffer, &found);
    if (found)
      continue;
    if (rc != 0)
      return "protocol name '" + key + "' cannot be looked up (" + std::system_category().message(rc) +
             ": /etc/protocols is missing or unreadable, as in a minimal container or chroot), and libpcap "
             "would then match protocol 0 instead; install package netbase or write the protocol's number "
             "(protocols(5)), e.g. 'proto 89' for ospf";
    return "protocol name '" + key + "' is not in /etc/protocols; write the protocol's number instead";
  }
  return {};
}

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
  if (std::string why = unresolvableProtocolName(expression); !why.empty()) {
    error = std::move(why);
    return std::nullopt;
  }
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
