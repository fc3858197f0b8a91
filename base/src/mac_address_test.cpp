#include "umlab/base/mac_address.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace umlab;

TEST_CASE("MAC addresses parse in colon and dash form only", "[base][mac]") {
  CHECK(MacAddress::parse("02:00:00:00:01:0A")->str() == "02:00:00:00:01:0a");
  CHECK(MacAddress::parse("02-00-00-00-01-0a")->str() == "02:00:00:00:01:0a");
  CHECK_FALSE(MacAddress::parse("02:zz:00:00:01:01"));
  CHECK_FALSE(MacAddress::parse("02:00:00:00:01"));
  CHECK_FALSE(MacAddress::parse("02:00-00:00:01:01"));
  CHECK_FALSE(MacAddress::parse("0200.0000.0101"));
  CHECK_FALSE(MacAddress::parse(""));
}

TEST_CASE("MAC address properties", "[base][mac]") {
  CHECK(MacAddress::parse("01:00:5e:00:00:01")->isMulticast());
  CHECK(MacAddress::parse("ff:ff:ff:ff:ff:ff")->isMulticast());
  CHECK(MacAddress::parse("00:00:00:00:00:00")->isZero());
  CHECK(MacAddress::parse("02:00:00:00:00:01")->isLocallyAdministered());
}

TEST_CASE("derived MACs are stable, unicast and locally administered", "[base][mac]") {
  MacAddress a = MacAddress::derive("dmz/fw/eth0");
  CHECK(a == MacAddress::derive("dmz/fw/eth0"));
  CHECK(a.str() == MacAddress::derive("dmz/fw/eth0").str());
  CHECK(a != MacAddress::derive("dmz/fw/eth1"));
  CHECK(a != MacAddress::derive("dmz/fw/eth0", 1));
  std::set<MacAddress> seen;
  for (int i = 0; i < 10000; ++i) {
    MacAddress m = MacAddress::derive("lab/n" + std::to_string(i) + "/eth0");
    CHECK_FALSE(m.isMulticast());
    CHECK(m.isLocallyAdministered());
    seen.insert(m);
  }
  CHECK(seen.size() == 10000);
}
