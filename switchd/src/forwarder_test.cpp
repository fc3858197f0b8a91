#include "umlab/switchd/forwarder.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

using namespace umlab;
using namespace umlab::switchd;
using namespace std::chrono_literals;

namespace {

constexpr MacAddress::Bytes kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

MacAddress::Bytes host(uint8_t n) { return {0x02, 0, 0, 0, 0, n}; }

/// An untagged frame (or, with `vlan`, one 802.1Q-tagged) padded to 60 bytes.
std::vector<uint8_t> frame(MacAddress::Bytes dst, MacAddress::Bytes src, int vlan = -1) {
  std::vector<uint8_t> f(60, 0xab);
  std::copy(dst.begin(), dst.end(), f.begin());
  std::copy(src.begin(), src.end(), f.begin() + 6);
  size_t at = 12;
  if (vlan >= 0) {
    const uint8_t tag[4] = {0x81, 0x00, uint8_t(0x20 | (vlan >> 8)), uint8_t(vlan & 0xff)};
    std::copy(tag, tag + 4, f.begin() + 12);
    at = 16;
  }
  f[at] = 0x08;
  f[at + 1] = 0x00;
  return f;
}

struct Fixture {
  FakeClock clock;
  FdbTable fdb{clock, 64, 300s};
  Forwarder fwd;
  std::vector<PortId> out;

  explicit Fixture(ForwardingMode mode = ForwardingMode::Switch) : fwd(fdb, mode) {
    for (PortId p : {1u, 2u, 3u})
      fwd.addPort(p);
  }
  ForwardAction send(const std::vector<uint8_t>& f, PortId in) { return fwd.forward(f, in, out); }
};

using Ports = std::vector<PortId>;

} // namespace

TEST_CASE("Forwarder floods broadcast and unknown unicast to every port but the ingress", "[switchd][forwarder]") {
  Fixture t;
  CHECK(t.send(frame(kBroadcast, host(1)), 1) == ForwardAction::Flood);
  CHECK(t.out == Ports{2, 3});
  CHECK(t.send(frame(host(9), host(2)), 2) == ForwardAction::Flood);
  CHECK(t.out == Ports{1, 3});
  MacAddress::Bytes multicast{0x01, 0x00, 0x5e, 0, 0, 1};
  t.fdb.learn(MacAddress(multicast), 0, 3); // even a (bogus) entry for a group is not used
  CHECK(t.send(frame(multicast, host(1)), 1) == ForwardAction::Flood);
  CHECK(t.out == Ports{2, 3});
}

TEST_CASE("Forwarder sends a learnt destination to its one port", "[switchd][forwarder]") {
  Fixture t;
  t.send(frame(kBroadcast, host(1)), 1);
  t.send(frame(host(1), host(2)), 2);
  CHECK(t.out == Ports{1});
  CHECK(t.send(frame(host(2), host(1)), 1) == ForwardAction::Unicast);
  CHECK(t.out == Ports{2});
}

TEST_CASE("Forwarder never reflects a frame to its ingress port", "[switchd][forwarder]") {
  Fixture t;
  t.send(frame(kBroadcast, host(1)), 1);
  t.send(frame(kBroadcast, host(5)), 1); // host 5 also sits behind port 1
  CHECK(t.send(frame(host(5), host(1)), 1) == ForwardAction::DropSamePort);
  CHECK(t.out.empty());
  for (PortId in : {1u, 2u, 3u}) {
    t.send(frame(kBroadcast, host(uint8_t(20 + in))), in);
    CHECK(std::find(t.out.begin(), t.out.end(), in) == t.out.end());
  }
}

TEST_CASE("Forwarder follows a host that moves to another port", "[switchd][forwarder]") {
  Fixture t;
  t.send(frame(kBroadcast, host(1)), 1);
  t.send(frame(kBroadcast, host(1)), 3);
  t.send(frame(host(1), host(2)), 2);
  CHECK(t.out == Ports{3});
}

TEST_CASE("Forwarder floods again once an entry has aged out", "[switchd][forwarder][aging]") {
  Fixture t;
  t.send(frame(kBroadcast, host(1)), 1);
  t.clock.advance(299s);
  t.send(frame(host(1), host(2)), 2);
  CHECK(t.out == Ports{1});
  t.clock.advance(1s);
  CHECK(t.send(frame(host(1), host(2)), 2) == ForwardAction::Flood);
  CHECK(t.out == Ports{1, 3});
}

TEST_CASE("Forwarder learns per VLAN and carries the tag untouched", "[switchd][forwarder][vlan]") {
  Fixture t;
  t.send(frame(kBroadcast, host(1), 10), 1);
  // The same MAC on VLAN 20 is unknown: flooded.
  CHECK(t.send(frame(host(1), host(2), 20), 2) == ForwardAction::Flood);
  CHECK(t.out == Ports{1, 3});
  CHECK(t.send(frame(host(1), host(2), 10), 2) == ForwardAction::Unicast);
  CHECK(t.out == Ports{1});
  // Untagged is VLAN 0, separate from 10.
  CHECK(t.send(frame(host(1), host(2)), 2) == ForwardAction::Flood);
  const std::vector<uint8_t> tagged = frame(host(1), host(2), 10);
  const std::vector<uint8_t> copy = tagged;
  t.send(tagged, 2);
  CHECK(tagged == copy);
  REQUIRE(parseFrameHeader(tagged));
  CHECK(parseFrameHeader(tagged)->vlan == 10);
  CHECK(t.fdb.lookup(MacAddress(host(2)), 10) == std::optional<PortId>(2));
  CHECK(t.fdb.lookup(MacAddress(host(2)), 20) == std::optional<PortId>(2));
  CHECK(t.fdb.lookup(MacAddress(host(2)), 0) == std::optional<PortId>(2));
}

TEST_CASE("Forwarder in hub mode floods everything and learns nothing", "[switchd][forwarder][hub]") {
  Fixture t(ForwardingMode::Hub);
  t.send(frame(kBroadcast, host(1)), 1);
  CHECK(t.send(frame(host(1), host(2)), 2) == ForwardAction::Flood);
  CHECK(t.out == Ports{1, 3});
  CHECK(t.send(frame(host(2), host(1)), 1) == ForwardAction::Flood);
  CHECK(t.out == Ports{2, 3});
  CHECK(t.fdb.size() == 0);
}

TEST_CASE("Forwarder drops runts, multicast sources and frames from unknown ports", "[switchd][forwarder]") {
  Fixture t;
  std::vector<uint8_t> runt(13, 0xff);
  CHECK(t.send(runt, 1) == ForwardAction::DropRunt);
  CHECK(t.send({}, 1) == ForwardAction::DropRunt);
  std::vector<uint8_t> shortTag = frame(kBroadcast, host(1), 5);
  shortTag.resize(17);
  CHECK(t.send(shortTag, 1) == ForwardAction::DropRunt);
  CHECK(t.send(frame(host(2), kBroadcast), 1) == ForwardAction::DropBadSource);
  CHECK(t.send(frame(kBroadcast, host(1)), 42) == ForwardAction::DropUnknownPort);
  CHECK(t.out.empty());
  CHECK(t.fdb.size() == 0);
}

TEST_CASE("Forwarder forgets a removed port", "[switchd][forwarder]") {
  Fixture t;
  t.send(frame(kBroadcast, host(1)), 1);
  t.fwd.removePort(1);
  CHECK(t.fwd.ports() == Ports{2, 3});
  CHECK(t.send(frame(host(1), host(2)), 2) == ForwardAction::Flood);
  CHECK(t.out == Ports{3});
}
