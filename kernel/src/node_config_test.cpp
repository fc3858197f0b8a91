#include "umlab/kernel/node_config.hpp"

#include <catch2/catch.hpp>

using namespace umlab::kernel;

namespace {

NodeConfig sampleConfig() {
  NodeConfig config;
  config.hostname = "r1";
  config.forwarding = true;
  config.ifaces = {{"eth0", "eth0", "02:00:00:00:00:01", "10.0.0.1/24"},
                   {"eth1", "vec1", "02:00:00:00:00:02", "-"},
                   {"eth2", "eth2", "02:00:00:00:00:03", "2001:db8::1/64"}};
  config.ifaces[1].address.clear();
  config.routes = {{"default", "10.0.0.254"}, {"192.168.0.0/16", "10.0.0.2"}, {"2001:db8:1::/48", "2001:db8::2"}};
  config.sysctls = {{"net.ipv4.conf.eth0.rp_filter", "0"}, {"net.ipv4.ping_group_range", "0 2147483647"}};
  config.mountPoint = "/shared";
  return config;
}

std::string parseError(const std::string& text) {
  std::string error;
  CHECK_FALSE(parseNodeConfig(text, &error));
  return error;
}

} // namespace

TEST_CASE("a node config renders to the documented text", "[kernel][node-config]") {
  CHECK(renderNodeConfig(sampleConfig()) == "hostname r1\n"
                                            "forwarding 1\n"
                                            "iface eth0 eth0 02:00:00:00:00:01 10.0.0.1/24\n"
                                            "iface eth1 vec1 02:00:00:00:00:02 -\n"
                                            "iface eth2 eth2 02:00:00:00:00:03 2001:db8::1/64\n"
                                            "route default 10.0.0.254\n"
                                            "route 192.168.0.0/16 10.0.0.2\n"
                                            "route 2001:db8:1::/48 2001:db8::2\n"
                                            "sysctl net.ipv4.conf.eth0.rp_filter 0\n"
                                            "sysctl net.ipv4.ping_group_range 0 2147483647\n"
                                            "mount /shared\n");
  CHECK(renderNodeConfig(NodeConfig{}) == "forwarding 0\n");
}

TEST_CASE("a rendered node config parses back to the same config", "[kernel][node-config]") {
  const NodeConfig config = sampleConfig();
  std::string error;
  auto parsed = parseNodeConfig(renderNodeConfig(config), &error);
  REQUIRE(parsed);
  CHECK(error.empty());
  CHECK(parsed->hostname == config.hostname);
  CHECK(parsed->forwarding == config.forwarding);
  REQUIRE(parsed->ifaces.size() == config.ifaces.size());
  for (size_t i = 0; i < config.ifaces.size(); ++i) {
    CHECK(parsed->ifaces[i].name == config.ifaces[i].name);
    CHECK(parsed->ifaces[i].device == config.ifaces[i].device);
    CHECK(parsed->ifaces[i].mac == config.ifaces[i].mac);
    CHECK(parsed->ifaces[i].address == config.ifaces[i].address);
  }
  REQUIRE(parsed->routes.size() == config.routes.size());
  for (size_t i = 0; i < config.routes.size(); ++i) {
    CHECK(parsed->routes[i].destination == config.routes[i].destination);
    CHECK(parsed->routes[i].gateway == config.routes[i].gateway);
  }
  CHECK(parsed->sysctls == config.sysctls);
  CHECK(parsed->mountPoint == config.mountPoint);
  CHECK(renderNodeConfig(*parsed) == renderNodeConfig(config));
}

TEST_CASE("comments, empty lines and a missing final newline are accepted", "[kernel][node-config]") {
  auto parsed = parseNodeConfig("# written by umlab\n\nhostname pc-1\n#forwarding 1\niface eth0 eth0 02:AA:bb:00:00:01 -");
  REQUIRE(parsed);
  CHECK(parsed->hostname == "pc-1");
  CHECK_FALSE(parsed->forwarding);
  REQUIRE(parsed->ifaces.size() == 1);
  CHECK(parsed->ifaces[0].mac == "02:AA:bb:00:00:01");
  CHECK(parsed->ifaces[0].address.empty());
  CHECK(parseNodeConfig(""));
}

TEST_CASE("node config errors name the line and what is wrong", "[kernel][node-config]") {
  CHECK(parseError("hostname r1\nfrobnicate 1\n") == "line 2: unknown directive 'frobnicate'");
  CHECK(parseError("# c\n\nhostname\n") == "line 3: 'hostname' takes 1 field: hostname <name>");
  CHECK(parseError("hostname a b\n") == "line 1: 'hostname' takes 1 field: hostname <name>");
  CHECK(parseError("hostname a\nhostname b\n") == "line 2: duplicate 'hostname'");
  CHECK(parseError("hostname a_b!\n") == "line 1: invalid hostname 'a_b!'");
  CHECK(parseError("forwarding yes\n") == "line 1: 'forwarding' is 0 or 1, not 'yes'");
  CHECK(parseError("forwarding 1\nforwarding 0\n") == "line 2: duplicate 'forwarding'");
  CHECK(parseError("hostname  r1\n") == "line 1: empty field: fields are separated by single spaces");
  CHECK(parseError("hostname r1 \n") == "line 1: empty field: fields are separated by single spaces");
  CHECK(parseError("hostname r1\r\n") == "line 1: control character in 'hostname' line");
  CHECK(parseError("iface eth0 eth0 02:00:00:00:00:01\n") ==
        "line 1: 'iface' takes 4 fields: iface <name> <device> <mac> <address/prefix or ->");
  CHECK(parseError("iface eth0 eth0 02:00:00:00:00:0g -\n") == "line 1: invalid MAC address '02:00:00:00:00:0g' for 'eth0'");
  CHECK(parseError("iface eth0 eth0 01:00:00:00:00:01 -\n") ==
        "line 1: MAC address '01:00:00:00:00:01' for 'eth0' is not a unicast address");
  CHECK(parseError("iface eth0 eth0 02:00:00:00:00:01 10.0.0.1\n") ==
        "line 1: invalid address '10.0.0.1' for 'eth0' (expected address/prefix or '-')");
  CHECK(parseError("iface averyveryverylongname eth0 02:00:00:00:00:01 -\n") ==
        "line 1: invalid interface name 'averyveryverylongname'");
  CHECK(parseError("iface eth0 a/b 02:00:00:00:00:01 -\n") == "line 1: invalid device name 'a/b'");
  CHECK(parseError("iface eth0 eth0 02:00:00:00:00:01 -\niface eth0 vec1 02:00:00:00:00:02 -\n") ==
        "line 2: duplicate interface 'eth0'");
  CHECK(parseError("iface eth0 vec0 02:00:00:00:00:01 -\niface eth1 vec0 02:00:00:00:00:02 -\n") ==
        "line 2: device 'vec0' is configured twice");
  CHECK(parseError("route default\n") == "line 1: 'route' takes 2 fields: route <destination or default> <gateway>");
  CHECK(parseError("route default 10.0.0.300\n") == "line 1: invalid gateway '10.0.0.300'");
  CHECK(parseError("route 10.0.0.0 10.0.0.1\n") ==
        "line 1: invalid route destination '10.0.0.0' (expected a prefix or 'default')");
  CHECK(parseError("route 2001:db8::/32 10.0.0.1\n") ==
        "line 1: route to '2001:db8::/32' has a gateway of another address family");
}

TEST_CASE("sysctl values keep their spaces, and sysctl and mount lines are checked", "[kernel][node-config]") {
  auto parsed = parseNodeConfig("sysctl kernel.domainname  two  spaces \nsysctl net.ipv4.ip_forward 0\nsysctl a.b 1\n");
  REQUIRE(parsed);
  using Sysctl = std::pair<std::string, std::string>;
  CHECK(parsed->sysctls == std::vector<Sysctl>{{"kernel.domainname", " two  spaces "}, {"net.ipv4.ip_forward", "0"}, {"a.b", "1"}});
  CHECK(parseError("sysctl net.ipv4.ip_forward\n") == "line 1: 'sysctl' takes a name and a value: sysctl <name> <value>");
  CHECK(parseError("sysctl net.ipv4.ip_forward \n") == "line 1: 'sysctl' takes a name and a value: sysctl <name> <value>");
  CHECK(parseError("sysctl  x 1\n") == "line 1: 'sysctl' takes a name and a value: sysctl <name> <value>");
  CHECK(parseError("sysctl\n") == "line 1: 'sysctl' takes a name and a value: sysctl <name> <value>");
  CHECK(parseError("sysctl ../../etc/passwd x\n") == "line 1: invalid sysctl name '../../etc/passwd'");
  CHECK(parseError("sysctl net..x 1\n") == "line 1: invalid sysctl name 'net..x'");
  CHECK(parseError("sysctl net.x 1\r\n") == "line 1: control character in 'sysctl' line");
  CHECK(parseError("mount\n") == "line 1: 'mount' takes 1 field: mount <guest dir>");
  CHECK(parseError("mount shared\n") == "line 1: 'mount' takes an absolute directory other than '/', not 'shared'");
  CHECK(parseError("mount /\n") == "line 1: 'mount' takes an absolute directory other than '/', not '/'");
  CHECK(parseError("mount /a/../..\n") == "line 1: 'mount' takes an absolute directory other than '/', not '/a/../..'");
  CHECK(parseError("mount /a\nmount /b\n") == "line 2: duplicate 'mount'");
  CHECK(parseNodeConfig("mount /hosthome\n")->mountPoint == "/hosthome");
}

TEST_CASE("parseNodeConfig works without an error sink", "[kernel][node-config]") {
  CHECK_FALSE(parseNodeConfig("bogus\n"));
}

TEST_CASE("listen lines name the interfaces that only listen, and survive a round trip", "[kernel][node-config]") {
  NodeConfig c;
  c.ifaces.push_back({"eth0", "eth0", "02:00:00:00:00:01", ""});
  c.listenOnly = {"eth0"};
  const std::string text = renderNodeConfig(c);
  CHECK(text.find("\nlisten eth0\n") != std::string::npos);
  auto parsed = parseNodeConfig(text);
  REQUIRE(parsed);
  CHECK(parsed->listenOnly == std::vector<std::string>{"eth0"});
  std::string error;
  CHECK_FALSE(parseNodeConfig("listen\n", &error));
  CHECK_FALSE(parseNodeConfig("listen eth0/../x\n", &error));
  CHECK(error.find("invalid interface name") != std::string::npos);
}
