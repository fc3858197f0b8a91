#include "umlab/transports/pcap_filter.hpp"

#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace umlab::transports;

TEST_CASE("pcap filters match the frames they name and reject the others", "[transports][filter]") {
  std::string error;
  auto icmp = PcapFilter::compile("icmp", error);
  REQUIRE(icmp);
  auto telnet = PcapFilter::compile("tcp port 23", error);
  REQUIRE(telnet);
  // An ARP frame: ethertype 0x0806.
  std::vector<uint8_t> arp(42, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  auto arpFilter = PcapFilter::compile("arp", error);
  REQUIRE(arpFilter);
  CHECK(arpFilter->matches(arp, 42));
  CHECK_FALSE(icmp->matches(arp, 42));
  CHECK_FALSE(telnet->matches(arp, 42));
  // An IPv4 ICMP frame: ethertype 0x0800, version/IHL 0x45, protocol 1.
  std::vector<uint8_t> ping(98, 0);
  ping[12] = 0x08;
  ping[14] = 0x45;
  ping[16] = 0;
  ping[17] = 84;
  ping[23] = 1;
  CHECK(icmp->matches(ping, 98));
  CHECK_FALSE(arpFilter->matches(ping, 98));
}

TEST_CASE("a bad pcap filter says why", "[transports][filter]") {
  std::string error;
  CHECK_FALSE(PcapFilter::compile("tcp port banana", error));
  CHECK(error.find("banana") != std::string::npos);
}

namespace {

/// An Ethernet frame carrying IPv4 with protocol `proto`, or IPv6 with next header `next`.
std::vector<uint8_t> ipv4Frame(uint8_t proto) {
  std::vector<uint8_t> f(64, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[17] = 50;
  f[23] = proto;
  return f;
}

std::vector<uint8_t> ipv6Frame(uint8_t next) {
  std::vector<uint8_t> f(78, 0);
  f[12] = 0x86;
  f[13] = 0xdd;
  f[14] = 0x60;
  f[19] = 24;
  f[20] = next;
  return f;
}

} // namespace

TEST_CASE("a protocol name selects that protocol, not the IPv6 hop-by-hop header", "[transports][filter]") {
  std::string error;
  auto ospf = PcapFilter::compile("proto ospf", error);
  INFO(error);
  REQUIRE(ospf);
  CHECK(ospf->matches(ipv4Frame(89), 64));
  CHECK_FALSE(ospf->matches(ipv4Frame(0), 64));
  CHECK_FALSE(ospf->matches(ipv6Frame(0), 78)); // an MLD report's hop-by-hop header
  auto escaped = PcapFilter::compile("ip proto \\tcp and not (ip6 protochain ospf)", error);
  INFO(error);
  CHECK(escaped);
}

TEST_CASE("protocol names are looked up only where libpcap looks them up", "[transports][filter]") {
  CHECK(unresolvableProtocolName("proto ospf").empty());
  CHECK(unresolvableProtocolName("ip proto \\udp or ip6 proto 58").empty());
  CHECK(unresolvableProtocolName("proto 0x59").empty());
  CHECK(unresolvableProtocolName("ether proto \\arp or iso proto \\isis").empty());
  CHECK(unresolvableProtocolName("port 23 and not proto").empty()); // libpcap itself says what is wrong
  const std::string unknown = unresolvableProtocolName("tcp or (proto nosuchproto)");
  CHECK(unknown.find("'nosuchproto' is not in /etc/protocols") != std::string::npos);
  std::string error;
  CHECK_FALSE(PcapFilter::compile("proto nosuchproto", error));
  CHECK(error == unknown);
}

// Hidden ([.]) from discovery: transports/CMakeLists.txt registers it with a rule that turns its
// "SKIPPED" message into a skipped CTest result. It hides /etc under a tmpfs in a private mount
// namespace (a child process's own), which is what a minimal container or chroot without
// package netbase looks like to libpcap.
TEST_CASE("a protocol name without /etc/protocols is refused and netbase named", "[.][transports][filter][netbase]") {
  int channel[2];
  REQUIRE(pipe(channel) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(channel[0]);
    if (unshare(CLONE_NEWNS) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
      _exit(77);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("tmpfs", "/etc", "tmpfs", 0, nullptr) != 0)
      _exit(78);
    std::string why;
    const bool compiled = PcapFilter::compile("ip6 and proto ospf", why).has_value();
    (void)!write(channel[1], why.data(), why.size());
    _exit(compiled ? 1 : 0);
  }
  close(channel[1]);
  std::string why;
  char buffer[512];
  for (ssize_t n; (n = read(channel[0], buffer, sizeof buffer)) > 0;)
    why.append(buffer, size_t(n));
  close(channel[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77 || WEXITSTATUS(status) == 78) {
    WARN("SKIPPED: cannot hide /etc in a private mount namespace here ("
         << (WEXITSTATUS(status) == 77 ? "unshare of a mount namespace, with or without a user namespace, refused"
                                       : "mount refused")
         << "); needs root or unprivileged user namespaces");
    return;
  }
  INFO("the child's reason: " << why);
  CHECK(WEXITSTATUS(status) == 0); // 1: libpcap compiled it, as protocol 0
  CHECK(why.find("'ospf' cannot be looked up") != std::string::npos);
  CHECK(why.find("install package netbase") != std::string::npos);
}
