#include "umlab/transports/transport_spec.hpp"

#include <catch2/catch.hpp>

using namespace umlab;
using namespace umlab::transports;

TEST_CASE("each transport renders the argument UML parses", "[transports]") {
  MacAddress mac = *MacAddress::parse("02:00:00:00:00:01");
  CHECK(renderUmlDeviceArg(DaemonSpec{"/run/umlab/lan/sw/lan.ctl"}, 0, mac) ==
        "eth0=daemon,02:00:00:00:00:01,unix,/run/umlab/lan/sw/lan.ctl");
  CHECK(renderUmlDeviceArg(McastSpec{*IpAddress::parse("239.192.0.1"), 1102, 1}, 2, mac) ==
        "eth2=mcast,02:00:00:00:00:01,239.192.0.1,1102,1");
  CHECK(renderUmlDeviceArg(BessSpec{"/s/lan.bess"}, 1, mac) ==
        "vec1:transport=bess,dst=/s/lan.bess,depth=256,mac=02:00:00:00:00:01");
  CHECK(renderUmlDeviceArg(TapSpec{"umt0"}, 3, mac) == "vec3:transport=tap,ifname=umt0,mac=02:00:00:00:00:01");
  CHECK(renderUmlDeviceArg(TapSpec{"umt0", 10}, 1, mac) == "vec1:transport=fd,fd=10,vec=0,mac=02:00:00:00:00:01");
}

TEST_CASE("a bess interface asks for a deeper ring than UML's 64 slots", "[transports]") {
  MacAddress mac = *MacAddress::parse("02:00:00:00:00:07");
  // UML drops a frame when its tx ring is full; 64 slots overflowed under guest TCP.
  CHECK(BessSpec{}.depth == kBessDepth);
  CHECK(kBessDepth > 64);
  CHECK(renderUmlDeviceArg(BessSpec{"/s/b.bess", 512}, 0, mac) ==
        "vec0:transport=bess,dst=/s/b.bess,depth=512,mac=02:00:00:00:00:07");
}

TEST_CASE("vector transports name the guest device vecN", "[transports]") {
  CHECK(guestDeviceName(DaemonSpec{}, 4) == "eth4");
  CHECK(guestDeviceName(BessSpec{}, 4) == "vec4");
  CHECK(std::string(transportName(TapSpec{})) == "tap");
}

TEST_CASE("values UML would split are unsafe", "[transports]") {
  CHECK(isSafeUmlValue("/run/umlab/lab/sw/lan.ctl"));
  CHECK_FALSE(isSafeUmlValue("/tmp/a,b"));
  CHECK_FALSE(isSafeUmlValue("/tmp/a=b"));
  CHECK_FALSE(isSafeUmlValue("/tmp/a b"));
}

TEST_CASE("transport spec: pcap is quoted whole, with its filter, options and MAC last") {
  const TransportSpec spec = PcapSpec{"umm0", "icmp or tcp port 80"};
  CHECK(std::string(transportName(spec)) == "pcap");
  CHECK(guestDeviceName(spec, 1) == "eth1");
  CHECK(renderUmlDeviceArg(spec, 1, *MacAddress::parse("02:00:00:00:00:05")) ==
        "eth1=\"pcap,umm0,icmp or tcp port 80,promisc,,02:00:00:00:00:05\"");
  CHECK(renderUmlDeviceArg(PcapSpec{"umm0", ""}, 2, *MacAddress::parse("02:00:00:00:00:05")) ==
        "eth2=\"pcap,umm0,,promisc,,02:00:00:00:00:05\"");
  CHECK(isSafePcapFilter("icmp or tcp port 80"));
  CHECK(isSafePcapFilter(""));
  CHECK_FALSE(isSafePcapFilter("tcp port 80,81"));
  CHECK_FALSE(isSafePcapFilter("host \"a\""));
  CHECK_FALSE(isSafePcapFilter(" icmp"));
  CHECK_FALSE(isSafePcapFilter("icmp\n"));
}
