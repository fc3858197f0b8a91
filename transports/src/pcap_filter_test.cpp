#include "umlab/transports/pcap_filter.hpp"


#include <catch2/catch.hpp>

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
