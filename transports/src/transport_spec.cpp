#include "umlab/transports/transport_spec.hpp"

namespace umlab::transports {

namespace {
template <class... Ts> struct Overloaded : Ts... { using Ts::operator()...; };
template <class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;
} // namespace

const char* transportName(const TransportSpec& spec) {
  return std::visit(Overloaded{[](const DaemonSpec&) { return "daemon"; },
                               [](const McastSpec&) { return "mcast"; },
                               [](const BessSpec&) { return "bess"; },
                               [](const TapSpec&) { return "tap"; },
                               [](const PcapSpec&) { return "pcap"; }},
                    spec);
}

bool isVectorTransport(const TransportSpec& spec) {
  return std::holds_alternative<BessSpec>(spec) || std::holds_alternative<TapSpec>(spec);
}

std::string guestDeviceName(const TransportSpec& spec, unsigned index) {
  return (isVectorTransport(spec) ? "vec" : "eth") + std::to_string(index);
}

std::string renderUmlDeviceArg(const TransportSpec& spec, unsigned index, const MacAddress& mac) {
  const std::string n = std::to_string(index);
  const std::string m = mac.str();
  return std::visit(
      Overloaded{
          [&](const DaemonSpec& d) { return "eth" + n + "=daemon," + m + ",unix," + d.ctlPath; },
          [&](const McastSpec& c) {
            return "eth" + n + "=mcast," + m + "," + c.group.str() + "," + std::to_string(c.port) +
                   "," + std::to_string(c.ttl);
          },
          [&](const BessSpec& b) {
            return "vec" + n + ":transport=bess,dst=" + b.path + ",depth=" + std::to_string(b.depth) + ",mac=" + m;
          },
          [&](const TapSpec& t) {
            if (t.fd >= 0)
              return "vec" + n + ":transport=fd,fd=" + std::to_string(t.fd) + ",vec=0,mac=" + m;
            return "vec" + n + ":transport=tap,ifname=" + t.device + ",mac=" + m;
          },
          // The options: promisc, and the default (no BPF optimiser); the MAC comes last.
          [&](const PcapSpec& p) { return "eth" + n + "=\"pcap," + p.device + "," + p.filter + ",promisc,," + m + "\""; }},
      spec);
}

bool isSafeUmlValue(std::string_view value) {
  for (unsigned char c : value)
    if (c == ',' || c == '=' || c <= ' ' || c == 0x7f)
      return false;
  return true;
}

bool isSafePcapFilter(std::string_view filter) {
  for (unsigned char c : filter)
    if (c == ',' || c == '"' || c < ' ' || c == 0x7f)
      return false;
  return filter.empty() || (filter.front() != ' ' && filter.back() != ' ');
}

} // namespace umlab::transports
