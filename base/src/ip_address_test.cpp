#include "umlab/base/ip_address.hpp"

#include <catch2/catch.hpp>

using namespace umlab;

TEST_CASE("IPv4 and IPv6 prefixes parse and print", "[base][ip]") {
  auto p = IpPrefix::parse("10.0.0.7/24");
  REQUIRE(p);
  CHECK(p->str() == "10.0.0.7/24");
  CHECK(p->network().str() == "10.0.0.0");
  CHECK(p->broadcast().str() == "10.0.0.255");
  CHECK(p->contains(*IpAddress::parse("10.0.0.1")));
  CHECK_FALSE(p->contains(*IpAddress::parse("10.0.1.1")));
  auto v6 = IpPrefix::parse("fd00::1/64");
  REQUIRE(v6);
  CHECK(v6->network().str() == "fd00::");
  CHECK_FALSE(v6->contains(*IpAddress::parse("10.0.0.1")));
}

TEST_CASE("malformed prefixes are rejected", "[base][ip]") {
  CHECK_FALSE(IpPrefix::parse("10.0.0.1"));
  CHECK_FALSE(IpPrefix::parse("10.0.0.1/33"));
  CHECK_FALSE(IpPrefix::parse("10.0.0.1/"));
  CHECK_FALSE(IpPrefix::parse("10.0.0.1/2x"));
  CHECK_FALSE(IpPrefix::parse("10.0.0.256/24"));
  CHECK_FALSE(IpPrefix::parse("fd00::1/129"));
  CHECK_FALSE(IpAddress::parse("10.0.0"));
}

TEST_CASE("special addresses are recognised", "[base][ip]") {
  CHECK(IpAddress::parse("0.0.0.0")->isUnspecified());
  CHECK(IpAddress::parse("127.0.0.5")->isLoopback());
  CHECK(IpAddress::parse("::1")->isLoopback());
  CHECK(IpAddress::parse("239.1.2.3")->isMulticast());
  CHECK(IpAddress::parse("ff02::1")->isMulticast());
  CHECK(IpAddress::parse("255.255.255.255")->isLimitedBroadcast());
  CHECK(IpAddress::v4(0x0a000001).str() == "10.0.0.1");
}

TEST_CASE("an IPv6 address made from packet bytes equals the parsed one", "[base][ip]") {
  const std::array<uint8_t, 16> bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd};
  const IpAddress address = IpAddress::v6(bytes);
  CHECK_FALSE(address.isV4());
  CHECK(address == *IpAddress::parse("2001:db8::abcd"));
  CHECK(address.str() == "2001:db8::abcd");
}
