#include "umlab/kernel/mac_change.hpp"

#include <catch2/catch.hpp>

using namespace umlab::kernel;

namespace {

std::optional<MacChange> ip(std::vector<std::string> args) { return recognizeMacChange("ip", args); }
std::optional<MacChange> ifconfig(std::vector<std::string> args) { return recognizeMacChange("ifconfig", args); }

} // namespace

TEST_CASE("ip link set ... address is a MAC change, however it is spelled", "[kernel][mac-change]") {
  const MacChange eth0{"eth0", "00:00:00:00:00:01"};
  CHECK(ip({"link", "set", "dev", "eth0", "address", "00:00:00:00:00:01"}) == eth0);
  CHECK(ip({"link", "set", "eth0", "address", "00:00:00:00:00:01"}) == eth0);
  CHECK(ip({"l", "s", "eth0", "addr", "00:00:00:00:00:01"}) == eth0);
  CHECK(ip({"li", "se", "dev", "eth0", "addre", "00:00:00:00:00:01"}) == eth0);
  CHECK(ip({"link", "set", "dev", "eth0", "mtu", "1400", "address", "00:00:00:00:00:01", "up"}) == eth0);
  CHECK(ip({"-4", "-d", "link", "set", "eth0", "address", "00:00:00:00:00:01"}) == eth0);
}

TEST_CASE("other ip commands are not MAC changes", "[kernel][mac-change]") {
  CHECK_FALSE(ip({}));
  CHECK_FALSE(ip({"link"}));
  CHECK_FALSE(ip({"link", "set", "dev", "eth0", "up"}));
  CHECK_FALSE(ip({"link", "set", "dev", "eth0", "address"})); // no MAC: ip's own error stands
  CHECK_FALSE(ip({"address", "add", "10.0.0.1/24", "dev", "eth0"}));
  CHECK_FALSE(ip({"addr", "set", "eth0", "address", "00:00:00:00:00:01"}));
  CHECK_FALSE(ip({"link", "show", "eth0"}));
  CHECK_FALSE(ip({"link", "set", "eth0", "alias", "address"}));
  CHECK_FALSE(ip({"-n", "ns1", "link", "set", "eth0", "address", "00:00:00:00:00:01"}));
  CHECK_FALSE(ip({"-batch", "file"}));
  CHECK_FALSE(ip({"route", "add", "default", "via", "10.0.0.1"}));
}

TEST_CASE("ifconfig <dev> hw ether <mac> is a MAC change", "[kernel][mac-change]") {
  CHECK(ifconfig({"eth0", "hw", "ether", "00:00:00:00:00:01"}) == MacChange{"eth0", "00:00:00:00:00:01"});
  CHECK(ifconfig({"eth1", "hw", "ether", "02:00:00:00:00:02", "up"}) == MacChange{"eth1", "02:00:00:00:00:02"});
  CHECK(ifconfig({"eth1", "10.0.0.1", "hw", "ether", "02:00:00:00:00:02"}) == MacChange{"eth1", "02:00:00:00:00:02"});
  CHECK_FALSE(ifconfig({"eth0", "10.0.0.1/24", "up"}));
  CHECK_FALSE(ifconfig({"eth0", "hw", "ether"}));
  CHECK_FALSE(ifconfig({"-a"}));
  CHECK_FALSE(ifconfig({}));
  CHECK_FALSE(recognizeMacChange("route", {"eth0", "hw", "ether", "00:00:00:00:00:01"}));
}
