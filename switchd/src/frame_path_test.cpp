// The frame path without a switch process: ports over socketpairs, a frozen clock, and the loop's
// reports made by hand (FramePath::onPortReady), so that every step is the test's.

#include "frame_path.hpp"

#include "event_loop.hpp"
#include "port.hpp"
#include "port_names.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace umlab::switchd;
using namespace std::chrono_literals;

namespace {

using Frame = std::vector<uint8_t>;

Frame frame(uint8_t dst, uint8_t src, size_t size = 60) {
  Frame f(size, 0xab);
  std::fill(f.begin(), f.begin() + 6, dst == 0xff ? 0xff : 0);
  if (dst != 0xff) {
    f[0] = 0x02;
    f[5] = dst;
  }
  f[6] = 0x02;
  std::fill(f.begin() + 7, f.begin() + 11, 0);
  f[11] = src;
  f[12] = 0x08;
  f[13] = 0x00;
  return f;
}

/// What a `PairPort` stands for: the traits of a guest's port, a monitor's or a probe's.
enum class Role { Guest, Monitor, Probe };

/// A port over one end of a datagram socketpair; the test holds the other end (the "guest").
class PairPort final : public Port {
public:
  static std::unique_ptr<PairPort> make(UniqueFd& guest, Role role = Role::Guest) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    guest.reset(fds[1]);
    return std::unique_ptr<PairPort>(new PairPort(UniqueFd(fds[0]), role));
  }
  std::string_view kind() const override { return "pair"; }
  bool readsOwnSocket() const override { return true; }

private:
  PairPort(UniqueFd fd, Role role) : Port(std::move(fd), traitsOf(role)) {}
  /// As daemon_port.hpp's MonitorPort and ProbePort have them.
  static Traits traitsOf(Role role) {
    switch (role) {
    case Role::Monitor:
      return Traits{.isMirror = true, .isListenOnly = true};
    case Role::Probe:
      return Traits{.isMirror = true, .isListenOnly = false, .takesFrames = false, .isNamedBySource = false};
    case Role::Guest:
      break;
    }
    return Traits{};
  }
};

std::optional<Frame> receive(const UniqueFd& guest) {
  Frame f(2048);
  const ssize_t n = ::recv(guest.get(), f.data(), f.size(), MSG_DONTWAIT);
  if (n < 0)
    return std::nullopt;
  f.resize(size_t(n));
  return f;
}

struct Fixture {
  FakeClock clock;
  EventLoop loop;
  PortNames names{1};
  Capture capture{0};
  SwitchOptions options = [] {
    SwitchOptions o;
    o.ctlPath = "frame_path_test";
    return o;
  }();
  FramePath path{options, clock, loop, names, capture};
  std::array<UniqueFd, 4> guests;
  std::array<Port*, 4> ports{};

  /// `count` ports; the last one has the role `last`.
  explicit Fixture(size_t count = 3, Role last = Role::Guest) {
    for (size_t i = 0; i < count; ++i) {
      ports[i] = path.addPort(PairPort::make(guests[i], i + 1 == count ? last : Role::Guest));
      REQUIRE(ports[i]);
    }
  }
  /// Guest `i` sends `f`, and the loop reports it.
  void send(size_t i, const Frame& f) {
    REQUIRE(::send(guests[i].get(), f.data(), f.size(), 0) == ssize_t(f.size()));
    path.onPortReady(*ports[i], EPOLLIN);
  }
};

} // namespace

TEST_CASE("FramePath floods an unknown destination and sends a learnt one to its port only", "[switchd][frame_path]") {
  Fixture t;
  const Frame flood = frame(0xff, 1);
  t.send(0, flood);
  CHECK(receive(t.guests[1]) == flood);
  CHECK(receive(t.guests[2]) == flood);
  CHECK_FALSE(receive(t.guests[0]));

  const Frame unicast = frame(1, 2, 300);
  t.send(1, unicast);
  CHECK(receive(t.guests[0]) == unicast);
  CHECK_FALSE(receive(t.guests[2]));

  const PortCounters& c = t.ports[0]->counters();
  CHECK(c.rxFrames == 1);
  CHECK(c.rxBytes == 60);
  CHECK(c.txFrames == 1);
  CHECK(c.txBytes == 300);
  CHECK(t.path.counters().clientsJoined == 3);
}

TEST_CASE("FramePath drops empty and oversize frames on their port and forwards nothing", "[switchd][frame_path]") {
  Fixture t;
  t.send(0, Frame{});
  t.send(0, frame(0xff, 1, kMaxFrameSize + 1));
  CHECK_FALSE(receive(t.guests[1]));
  const PortCounters& c = t.ports[0]->counters();
  CHECK(c.rxFrames == 2);
  CHECK(c.drops[size_t(PortDrop::Empty)] == 1);
  CHECK(c.drops[size_t(PortDrop::Oversize)] == 1);
}

TEST_CASE("a mirror port gets every frame that enters and what it sends is dropped", "[switchd][frame_path]") {
  Fixture t(3, Role::Monitor);
  CHECK(t.path.mirrorCount() == 1);
  t.send(0, frame(0xff, 1));
  t.send(1, frame(1, 2));
  CHECK(receive(t.guests[2]) == frame(0xff, 1));
  CHECK(receive(t.guests[2]) == frame(1, 2));
  CHECK(receive(t.guests[0]) == frame(1, 2));
  t.send(2, frame(0xff, 3));
  CHECK_FALSE(receive(t.guests[0]));
  CHECK_FALSE(receive(t.guests[2]));
  CHECK(t.ports[2]->counters().drops[size_t(PortDrop::MonitorRx)] == 1);
}

TEST_CASE("an outbound delay holds a frame until the frozen clock passes it", "[switchd][frame_path][conditions]") {
  Fixture t(2);
  LinkConditions delay;
  delay.delay = 10ms;
  t.ports[1]->conditioner(Direction::Out).setConditions(delay);
  t.send(0, frame(0xff, 1));
  CHECK_FALSE(receive(t.guests[1]));
  CHECK(t.path.delayedCount() == 1);
  REQUIRE(t.path.nextWake() == t.clock.now() + 10ms);
  t.clock.advance(9ms);
  t.path.releaseDelayed();
  CHECK_FALSE(receive(t.guests[1]));
  t.clock.advance(1ms);
  t.path.releaseDelayed();
  CHECK(receive(t.guests[1]) == frame(0xff, 1));
  CHECK(t.ports[1]->counters().delayed == 1);
}

TEST_CASE("a removed port is forgotten by the forwarder and loses its delayed frames", "[switchd][frame_path]") {
  Fixture t;
  LinkConditions delay;
  delay.delay = 10ms;
  t.ports[2]->conditioner(Direction::Out).setConditions(delay);
  t.send(0, frame(0xff, 1));
  CHECK(t.path.delayedCount() == 1);
  const PortId gone = t.ports[2]->id();
  t.path.removePort(gone);
  CHECK_FALSE(t.path.findPort(gone));
  CHECK(t.path.delayedCount() == 0);
  t.path.collectRetired();
  t.send(1, frame(0xff, 2));
  CHECK(receive(t.guests[0]) == frame(0xff, 2));
  CHECK(t.path.portCount() == 2);
  CHECK(t.path.counters().clientsLeft == 1);
}

TEST_CASE("a port is found by id or by name", "[switchd][frame_path]") {
  Fixture t;
  t.names.assign(*t.ports[1], "pc2:eth0");
  CHECK(t.path.findPort(std::string_view("pc2:eth0")) == t.ports[1]);
  CHECK(t.path.findPort(std::string_view(std::to_string(t.ports[2]->id()))) == t.ports[2]);
  CHECK_FALSE(t.path.findPort(std::string_view("pc9:eth0")));
  CHECK(t.path.sortedPorts() == std::vector<Port*>{t.ports[0], t.ports[1], t.ports[2]});
}

// --- probes --------------------------------------------------------------------------------------

TEST_CASE("a probe gets each frame that enters the segment once, unicast between others included, never its own",
          "[switchd][frame_path][probe]") {
  Fixture t(3, Role::Probe);
  const UniqueFd& probe = t.guests[2];
  CHECK(t.path.probeCount() == 1);
  CHECK(t.path.mirrorCount() == 0);

  // Floods: once each, although the forwarder floods to the probe's port too.
  t.send(0, frame(0xff, 1));
  CHECK(receive(t.guests[1]) == frame(0xff, 1));
  CHECK(receive(probe) == frame(0xff, 1));
  CHECK_FALSE(receive(probe));
  t.send(1, frame(0xff, 2));
  CHECK(receive(t.guests[0]) == frame(0xff, 2));
  CHECK(receive(probe) == frame(0xff, 2));
  CHECK_FALSE(receive(probe));

  // A learnt unicast between two guests, which the forwarder sends to one port only.
  t.send(0, frame(2, 1, 300));
  CHECK(receive(t.guests[1]) == frame(2, 1, 300));
  CHECK(receive(probe) == frame(2, 1, 300));
  CHECK_FALSE(receive(probe));

  // The probe's own frame reaches the others, not itself.
  t.send(2, frame(0xff, 9));
  CHECK(receive(t.guests[0]) == frame(0xff, 9));
  CHECK(receive(t.guests[1]) == frame(0xff, 9));
  CHECK_FALSE(receive(probe));

  // A frame to the MAC the probe sent from: the forwarder's unicast to it is skipped, the mirror
  // copy is its one copy; the bystander gets nothing.
  t.send(0, frame(9, 1));
  CHECK(receive(probe) == frame(9, 1));
  CHECK_FALSE(receive(probe));
  CHECK_FALSE(receive(t.guests[1]));

  const PortCounters& c = t.ports[2]->counters();
  CHECK(c.rxFrames == 1);
  CHECK(c.txFrames == 4);
  CHECK(c.drops[size_t(PortDrop::MonitorRx)] == 0);
}

TEST_CASE("a probe's frames are learnt and forwarded to the guest they are addressed to", "[switchd][frame_path][probe]") {
  Fixture t(3, Role::Probe);
  t.send(0, frame(0xff, 1));
  CHECK(receive(t.guests[1]));
  CHECK(receive(t.guests[2]));

  t.send(2, frame(1, 9));
  CHECK(receive(t.guests[0]) == frame(1, 9));
  CHECK_FALSE(receive(t.guests[1])); // a learnt unicast, not a flood
  CHECK_FALSE(receive(t.guests[2]));
  const MacAddress nine(MacAddress::Bytes{0x02, 0, 0, 0, 0, 9});
  CHECK(t.path.fdb().lookup(nine, 0) == t.ports[2]->id());

  // The reply reaches the probe once.
  t.send(0, frame(9, 1, 98));
  CHECK(receive(t.guests[2]) == frame(9, 1, 98));
  CHECK_FALSE(receive(t.guests[2]));
  CHECK_FALSE(receive(t.guests[1]));

  // A probe that leaves takes its learnt addresses with it.
  t.path.removePort(t.ports[2]->id());
  CHECK(t.path.probeCount() == 0);
  CHECK_FALSE(t.path.fdb().lookup(nine, 0));
  t.path.collectRetired();
}

TEST_CASE("a probe meets its own conditions both ways, and a monitor still cannot send", "[switchd][frame_path][probe]") {
  Fixture t(4, Role::Probe);
  Port& probe = *t.ports[3];
  LinkConditions down;
  down.isDown = true;
  probe.conditioner(Direction::In).setConditions(down);
  t.send(3, frame(0xff, 9));
  CHECK_FALSE(receive(t.guests[0]));
  CHECK(probe.counters().drops[size_t(PortDrop::DownIn)] == 1);

  // An outbound delay holds the probe's copy, which still comes once.
  LinkConditions delay;
  delay.delay = 10ms;
  probe.conditioner(Direction::Out).setConditions(delay);
  t.send(0, frame(0xff, 1));
  CHECK(receive(t.guests[1]) == frame(0xff, 1));
  CHECK_FALSE(receive(t.guests[3]));
  t.clock.advance(10ms);
  t.path.releaseDelayed();
  CHECK(receive(t.guests[3]) == frame(0xff, 1));
  CHECK_FALSE(receive(t.guests[3]));
  CHECK(probe.counters().delayed == 1);

  // A monitor beside the probe: its input is dropped, the probe's is not.
  UniqueFd monitorGuest;
  Port* monitor = t.path.addPort(PairPort::make(monitorGuest, Role::Monitor));
  REQUIRE(monitor);
  CHECK(t.path.mirrorCount() == 1);
  CHECK(t.path.probeCount() == 1);
  const Frame fromMonitor = frame(0xff, 7);
  REQUIRE(::send(monitorGuest.get(), fromMonitor.data(), fromMonitor.size(), 0) == ssize_t(fromMonitor.size()));
  t.path.onPortReady(*monitor, EPOLLIN);
  CHECK(monitor->counters().drops[size_t(PortDrop::MonitorRx)] == 1);
  CHECK_FALSE(receive(t.guests[0]));
  t.path.releaseDelayed();
  CHECK_FALSE(receive(t.guests[3]));
}

TEST_CASE("a probe is not named after a declared MAC it sends from, a guest is", "[switchd][frame_path][probe]") {
  Fixture t(3, Role::Probe);
  t.names.declare("pc1:eth0", MacAddress(MacAddress::Bytes{0x02, 0, 0, 0, 0, 1}));
  t.names.declare("pc9:eth0", MacAddress(MacAddress::Bytes{0x02, 0, 0, 0, 0, 9}));
  t.send(2, frame(0xff, 9));
  CHECK(t.ports[2]->name().empty());
  t.send(0, frame(0xff, 1));
  CHECK(t.ports[0]->name() == "pc1:eth0");
}
