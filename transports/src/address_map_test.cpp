#include "umlab/transports/address_map.hpp"

#include <catch2/catch.hpp>

using namespace umlab;
using namespace umlab::transports;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

std::string errorOf(const char* rule) {
  AddressMap map;
  return map.add(rule).value_or("(accepted)");
}

} // namespace

TEST_CASE("a rule moves a network and keeps the host bits", "[transports][address_map]") {
  AddressMap map;
  REQUIRE_FALSE(map.add("203.0.113.0/24=198.51.100.0/24"));
  CHECK(map.map(ip("203.0.113.77")) == ip("198.51.100.77"));
  CHECK(map.map(ip("203.0.113.0")) == ip("198.51.100.0"));
  CHECK(map.map(ip("203.0.113.255")) == ip("198.51.100.255"));
  CHECK_FALSE(map.map(ip("203.0.114.1")));
  CHECK(map.mapOrKeep(ip("203.0.114.1")) == ip("203.0.114.1"));

  // A length that does not end on a byte boundary.
  REQUIRE_FALSE(map.add("10.0.0.0/12=172.16.0.0/12"));
  CHECK(map.map(ip("10.15.255.254")) == ip("172.31.255.254"));
  CHECK_FALSE(map.map(ip("10.16.0.1")));

  REQUIRE_FALSE(map.add("2001:db8::/32=fd00:1234::/32"));
  CHECK(map.map(ip("2001:db8:aa::5")) == ip("fd00:1234:aa::5"));
  CHECK(map.map(ip("2001:db8:aa::5"))->str() == "fd00:1234:aa::5");
  // An IPv4 address never matches an IPv6 rule, even with equal leading bytes.
  CHECK_FALSE(map.map(ip("32.1.13.184")));
}

TEST_CASE("the longest matching rule wins, whatever the order they were given in", "[transports][address_map]") {
  const std::vector<std::string> rules = {"192.0.2.10/32=10.0.1.10/32", "192.0.0.0/16=10.9.0.0/16",
                                          "192.0.2.0/24=10.0.2.0/24", "0.0.0.0/0=0.0.0.0/0"};
  Diagnostics diags;
  const std::optional<AddressMap> map = AddressMap::parse(rules, diags);
  REQUIRE(map);
  CHECK_FALSE(diags.hasErrors());
  CHECK(map->map(ip("192.0.2.10")) == ip("10.0.1.10"));
  CHECK(map->map(ip("192.0.2.11")) == ip("10.0.2.11"));
  CHECK(map->map(ip("192.0.3.11")) == ip("10.9.3.11"));
  CHECK(map->map(ip("8.8.8.8")) == ip("8.8.8.8")); // the /0 identity rule covers the rest
  REQUIRE(map->rules().size() == 4);
  CHECK(map->rules()[0].from.length() == 32);
  CHECK(map->rules()[3].from.length() == 0);
  // A single-address rule written for one host.
  AddressMap host;
  REQUIRE_FALSE(host.add("2001:db8::1/128=fd00::99/128"));
  CHECK(host.map(ip("2001:db8::1")) == ip("fd00::99"));
  CHECK_FALSE(host.map(ip("2001:db8::2")));
}

TEST_CASE("each bad rule gets its own message", "[transports][address_map]") {
  CHECK(errorOf("203.0.113.0/24=10.0.0.0/16") ==
        "'203.0.113.0/24=10.0.0.0/16': both sides need the same prefix length (24 and 16)");
  CHECK(errorOf("203.0.113.0/24") == "'203.0.113.0/24': a rule is FROM=TO, two prefixes joined by '='");
  CHECK(errorOf("1.0.0.0/8=2.0.0.0/8=3.0.0.0/8") == "'1.0.0.0/8=2.0.0.0/8=3.0.0.0/8': a rule has one '=', between FROM and TO");
  CHECK(errorOf("203.0.113.0/33=10.0.0.0/24") ==
        "'203.0.113.0/33=10.0.0.0/24': '203.0.113.0/33' has a bad prefix length '33' (0 to 32)");
  CHECK(errorOf("203.0.113.0/2x=10.0.0.0/24") ==
        "'203.0.113.0/2x=10.0.0.0/24': '203.0.113.0/2x' has a bad prefix length '2x' (0 to 32)");
  CHECK(errorOf("203.0.113.0/=10.0.0.0/24") ==
        "'203.0.113.0/=10.0.0.0/24': '203.0.113.0/' has a bad prefix length '' (0 to 32)");
  CHECK(errorOf("203.0.113.1/24=10.0.0.0/24") ==
        "'203.0.113.1/24=10.0.0.0/24': '203.0.113.1/24' has host bits set; the network is '203.0.113.0/24'");
  CHECK(errorOf("203.0.113.0/24=10.0.0.9/24") ==
        "'203.0.113.0/24=10.0.0.9/24': '10.0.0.9/24' has host bits set; the network is '10.0.0.0/24'");
  CHECK(errorOf("192.0.2.10=10.0.1.10") ==
        "'192.0.2.10=10.0.1.10': '192.0.2.10' has no prefix length; write '192.0.2.10/32' for one address");
  CHECK(errorOf("2001:db8::/32=10.0.0.0/32") ==
        "'2001:db8::/32=10.0.0.0/32': both sides need the same address family (IPv6 and IPv4)");
  CHECK(errorOf("lan/24=10.0.0.0/24") == "'lan/24=10.0.0.0/24': 'lan' is not an IPv4 or IPv6 address");
  CHECK(errorOf("=10.0.0.0/24") == "'=10.0.0.0/24': FROM is empty");
  CHECK(errorOf("10.0.0.0/24=") == "'10.0.0.0/24=': TO is empty");

  AddressMap map;
  REQUIRE_FALSE(map.add("192.0.2.0/24=10.0.2.0/24"));
  CHECK(map.add("192.0.2.0/24=10.0.3.0/24") ==
        "'192.0.2.0/24=10.0.3.0/24': '192.0.2.0/24' is already mapped, to '10.0.2.0/24'");
  CHECK(map.rules().size() == 1);
  // Two networks onto one is allowed.
  CHECK_FALSE(map.add("198.51.100.0/24=10.0.2.0/24"));
}

TEST_CASE("parsing a rule list reports every bad rule and yields no map", "[transports][address_map]") {
  const std::vector<std::string> rules = {"10.0.0.0/8=11.0.0.0/8", "bad", "10.0.0.0/8=12.0.0.0/8",
                                          "1.2.3.4/32=5.6.7.8/32"};
  Diagnostics diags;
  CHECK_FALSE(AddressMap::parse(rules, diags));
  REQUIRE(diags.errorCount() == 2);
  CHECK(diags.all()[0].message == "'bad': a rule is FROM=TO, two prefixes joined by '='");
  CHECK(diags.all()[1].message == "'10.0.0.0/8=12.0.0.0/8': '10.0.0.0/8' is already mapped, to '11.0.0.0/8'");

  Diagnostics none;
  const std::optional<AddressMap> empty = AddressMap::parse({}, none);
  REQUIRE(empty);
  CHECK(empty->empty());
  CHECK(empty->mapOrKeep(ip("10.1.2.3")) == ip("10.1.2.3"));
}
