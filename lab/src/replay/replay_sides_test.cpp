#include "umlab/lab/replay/replay_sides.hpp"

#include <catch2/catch.hpp>

using namespace umlab;
using namespace umlab::lab;
using namespace umlab::lab::replay;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

InterfacePlan iface(const std::string& name, const std::string& address, const std::string& attached,
                    const std::string& transport = "daemon") {
  InterfacePlan i;
  i.name = name;
  i.ip = address;
  i.mac = "02:00:00:00:00:0" + name.substr(3);
  i.attachedTo = attached;
  i.transport = transport;
  return i;
}

/// fw: eth0 outside, eth1 dmz (p2p link), eth2 inside, eth3 on an mcast segment, eth4 a monitor;
/// a route to 10.9.0.0/16 via the inside router 10.0.0.254, default via 198.51.100.254.
LaunchPlan router() {
  LaunchPlan p;
  p.lab = "dmz";
  GuestPlan fw;
  fw.name = "fw";
  fw.interfaces = {iface("eth0", "198.51.100.1/24", "switch outside"), iface("eth1", "10.0.1.1/24", "link p2p.2"),
                   iface("eth2", "10.0.0.1/24", "switch inside"), iface("eth3", "10.7.0.1/24", "mcast wan", "mcast"),
                   iface("eth4", "", "monitor inside")};
  fw.interfaces[0].gateway = "198.51.100.254";
  fw.routes = {{"10.9.0.0/16", "10.0.0.254"}, {"10.8.0.0/16", "192.168.99.1"}};
  p.guests.push_back(fw);
  auto sw = [&](const std::string& segment, const std::string& port) {
    SwitchPlan s;
    s.segment = segment;
    s.ctlPath = "/run/umlab/dmz/sw/" + segment + ".ctl";
    s.ports.push_back({port, "", {}});
    p.switches.push_back(s);
  };
  sw("outside", "fw:eth0");
  sw("p2p.2", "fw:eth1");
  sw("inside", "fw:eth2");
  sw("inside-mon", "fw:eth4-not-a-port"); // the monitor is no port of a switch
  return p;
}

} // namespace

TEST_CASE("a router's sides are its interfaces on switches, hubs and links, with their switch", "[replay][sides]") {
  std::string error;
  const std::optional<ReplaySides> s = ReplaySides::of(router(), "fw", error);
  REQUIRE(s);
  REQUIRE(s->sides().size() == 3);
  CHECK(s->sides()[0].interface == "eth0");
  CHECK(s->sides()[0].segment == "outside");
  CHECK(s->sides()[0].ctlPath == "/run/umlab/dmz/sw/outside.ctl");
  CHECK(s->sides()[0].nodeMac.str() == "02:00:00:00:00:00");
  CHECK(s->sides()[1].segment == "p2p.2");
  CHECK(s->sides()[2].nodeAddress.str() == "10.0.0.1/24");
  REQUIRE(s->ignored().size() == 3);
  CHECK(s->ignored()[0].find("eth3: mcast wan, not a switch of this host") == 0);
  CHECK(s->ignored()[1] == "eth4: a monitor, it only listens");
  CHECK(s->ignored()[2] == "route to 10.8.0.0/16 via 192.168.99.1: the gateway is on no side");
}

TEST_CASE("an address is on the side the node would route it to", "[replay][sides]") {
  std::string error;
  const std::optional<ReplaySides> s = ReplaySides::of(router(), "fw", error);
  REQUIRE(s);
  CHECK(s->sideOf(ip("10.0.1.10")).side == 1u);     // connected
  CHECK(s->sideOf(ip("10.0.0.7")).side == 2u);      // connected
  CHECK(s->sideOf(ip("10.9.3.4")).side == 2u);      // a route via the inside router
  CHECK(s->sideOf(ip("8.8.8.8")).side == 0u);       // the default route
  CHECK(s->sideOf(ip("10.7.0.5")).side == 0u);      // on the mcast side, which is none: the default
  const SideLookup v6 = s->sideOf(ip("2001:db8::1"));
  CHECK_FALSE(v6.side);
  CHECK(v6.reason == "2001:db8::1 is on no side of fw (no connected prefix or route holds it)");
  CHECK(s->isNodeAddress(ip("10.0.1.1")));
  CHECK_FALSE(s->isNodeAddress(ip("10.0.1.2")));
}

TEST_CASE("a node that cannot be replayed through says why", "[replay][sides]") {
  std::string error;
  CHECK_FALSE(ReplaySides::of(router(), "web", error));
  CHECK(error == "lab 'dmz' has no node 'web' (its nodes: fw)");
  LaunchPlan p = router();
  p.guests[0].interfaces.resize(1);
  CHECK_FALSE(ReplaySides::of(p, "fw", error));
  CHECK(error == "node 'fw' of lab 'dmz' has 1 side(s) on switch segments; a replay through it needs two or more "
                 "(a router or firewall)");
}
