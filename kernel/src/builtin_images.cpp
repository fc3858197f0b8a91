#include "umlab/kernel/builtin_images.hpp"

namespace umlab::kernel {

namespace {

std::vector<ImageLayer> makeTable() {
  std::vector<ImageLayer> t;
  t.push_back(ImageLayer{kDefaultImageName, "", defaultImagePackages(), {}, {}, "1G",
                         "Debian bookworm minbase with iproute2, iptables, nftables, tcpdump, iperf3 and net-tools"});
  t.push_back(ImageLayer{kServicesImageName, "", servicesImagePackages(), {}, {}, "1G",
                         "debian plus dnsmasq, isc-dhcp-client, dnsutils, frr and bridge-utils"});
  // kathara/base (KatharaFramework/Docker-Images, base/Dockerfile, FROM debian:12), minus the
  // compilers, -dev libraries and what it fetches outside apt; every name checked against
  // bookworm with apt-cache policy.
  t.push_back(ImageLayer{kKatharaBaseImageName,
                         kDefaultImageName,
                         {"apache2",        "arping",        "arptables",      "bind9",           "bind9-utils",
                          "bridge-utils",   "curl",          "dnsutils",       "ebtables",        "hping3",
                          "ifupdown",       "iputils-tracepath", "isc-dhcp-client", "isc-dhcp-server", "less",
                          "links",          "lsb-release",   "nano",           "ndisc6",          "netbase",
                          "openssh-client", "openssh-server", "openssl",       "python3-scapy",   "radvd",
                          "rsync",          "screen",        "telnet",         "tmux",            "vim-tiny",
                          "vlan",           "wget"},
                         {},
                         {"ln -sf /etc/init.d/named /etc/init.d/bind"}, // as kathara/base does
                         "2G",
                         "the tools of Kathara's kathara/base (apache2, bind9, isc-dhcp-server, ssh, radvd, scapy, ...)"});
  t.push_back(ImageLayer{kKatharaFrrImageName,
                         kKatharaBaseImageName,
                         {"frr", "frr-pythontools", "frr-snmp"},
                         {},
                         // As kathara/frr's Dockerfile: no integrated configuration by default, so
                         // that labs shipping per-daemon files (bgpd.conf, ospfd.conf) run them.
                         {"sed -i -e 's/service/no service/' /etc/frr/vtysh.conf", "rm -f /etc/frr/frr.conf"},
                         "",
                         "kathara-base plus the FRR routing suite, as Kathara's kathara/frr"});
  return t;
}

} // namespace

const std::vector<ImageLayer>& builtinImageLayers() {
  static const std::vector<ImageLayer> table = makeTable(); // built on first use: no static constructor
  return table;
}

const ImageLayer* findBuiltinImage(std::string_view name) {
  for (const ImageLayer& l : builtinImageLayers())
    if (l.name == name)
      return &l;
  return nullptr;
}

std::vector<BuiltinImageInfo> builtinImages() {
  std::vector<BuiltinImageInfo> infos;
  for (const ImageLayer& l : builtinImageLayers())
    infos.push_back({l.name, l.description});
  return infos;
}

} // namespace umlab::kernel
