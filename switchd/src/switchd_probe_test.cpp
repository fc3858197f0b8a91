// Integration tests of probes (umlab's request type kRequestProbe): the real umlab-switchd with fake
// UML guests (switchd_test_support.hpp) and probes joined with the public client,
// umlab::transports::SwitchClient. "Exactly once" is checked without waiting for silence: after
// the frames under test a marker frame follows, and a duplicate (or a probe's own frame coming
// back) would have been queued to the receiver before it; the ports' tx counters then say no
// copy was dropped instead.

#include "switchd_test_support.hpp"

#include "umlab/transports/daemon_protocol.hpp"
#include "umlab/transports/switch_client.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <poll.h>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

using namespace umlab;
using namespace umlab::switchd_test;
using namespace std::chrono_literals;
using umlab::transports::SwitchClient;

namespace {

/// Waits for what the switch is about to deliver; generous, since the machine may be loaded.
constexpr std::chrono::milliseconds kDelivery = 5000ms;

/// The next frame for `client`, or nullopt after `timeout`.
std::optional<Frame> receiveFrom(SwitchClient& client, std::chrono::milliseconds timeout = kDelivery) {
  pollfd p{client.fd(), POLLIN, 0};
  if (::poll(&p, 1, int(timeout.count())) != 1)
    return std::nullopt;
  std::array<uint8_t, 2048> buffer{};
  const std::optional<size_t> size = client.receive(buffer);
  if (!size)
    return std::nullopt;
  return Frame(buffer.begin(), buffer.begin() + std::ptrdiff_t(*size));
}

/// Polls `isDone` every 10 ms until it holds or `timeout` passes; returns its last value.
bool waitUntil(const std::function<bool()>& isDone, std::chrono::milliseconds timeout = kDelivery) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!isDone()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

/// The line of `show ports` that holds `marker`, or "".
std::string portLine(const std::string& ports, const std::string& marker) {
  const size_t at = ports.find(marker);
  if (at == std::string::npos)
    return {};
  const size_t start = ports.rfind('\n', at) + 1; // npos + 1 == 0
  return ports.substr(start, ports.find('\n', at) - start);
}

/// The id of the (one) probe in `show ports`, as text; "" when there is none.
std::string probeId(const std::string& ports) {
  const std::string line = portLine(ports, " kind=probe ");
  if (line.rfind("port ", 0) != 0)
    return {};
  return line.substr(5, line.find(' ', 5) - 5);
}

} // namespace

TEST_CASE("a probe sees every frame that enters the segment exactly once and never its own",
          "[switchd][integration][probe]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl), b(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  SwitchClient probe = SwitchClient::join(sw.ctl, SwitchClient::Role::Probe);

  // Broadcasts, which also teach the switch where hosts 1 and 2 are.
  const Frame helloA = frame(kBroadcast, host(1), 0x11);
  a.send(helloA);
  CHECK(b.receive(kDelivery) == helloA);
  CHECK(receiveFrom(probe) == helloA);
  const Frame helloB = frame(kBroadcast, host(2), 0x12);
  b.send(helloB);
  CHECK(a.receive(kDelivery) == helloB);
  CHECK(receiveFrom(probe) == helloB);

  // A unicast between the guests, which the forwarder sends to b alone.
  const Frame unicast = frame(host(2), host(1), 0x13, 1514);
  a.send(unicast);
  CHECK(b.receive(kDelivery) == unicast);
  CHECK(receiveFrom(probe) == unicast);

  // The probe's own frame reaches both guests, and is not sent back to it.
  const Frame fromProbe = frame(kBroadcast, host(9), 0x14);
  REQUIRE(probe.send(fromProbe));
  CHECK(a.receive(kDelivery) == fromProbe);
  CHECK(b.receive(kDelivery) == fromProbe);

  // A frame to the MAC the probe sent from: the forwarder's unicast to the probe's port is its
  // mirror copy, not a second one; b does not get it.
  const Frame toProbe = frame(host(9), host(1), 0x15);
  a.send(toProbe);
  CHECK(receiveFrom(probe) == toProbe);

  // Markers: a copy too many, or the probe's own frame, would have come before them.
  const Frame markerB = frame(kBroadcast, host(2), 0x16);
  b.send(markerB);
  CHECK(receiveFrom(probe) == markerB);
  CHECK(a.receive(kDelivery) == markerB);
  const Frame markerA = frame(kBroadcast, host(1), 0x17);
  a.send(markerA);
  CHECK(b.receive(kDelivery) == markerA);
  CHECK(receiveFrom(probe) == markerA);

  AdminClient admin(sw.admin);
  const std::string ports = admin.command("show ports");
  INFO(ports);
  const std::string probeLine = portLine(ports, " kind=probe ");
  CHECK(counter(probeLine, " kind=probe ", "tx_frames") == 6);
  CHECK(counter(probeLine, " kind=probe ", "rx_frames") == 1);
  CHECK(counter(probeLine, " kind=probe ", "drop_tx_full") == 0);
  CHECK(counter(ports, a.addressText(), "tx_frames") == 3);
  CHECK(counter(ports, b.addressText(), "tx_frames") == 4);
}

TEST_CASE("a probe's frame reaches the guest it is addressed to, the reply reaches the probe once",
          "[switchd][integration][probe]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl), b(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  SwitchClient probe = SwitchClient::join(sw.ctl, SwitchClient::Role::Probe);
  const Frame helloA = frame(kBroadcast, host(1), 0x21);
  a.send(helloA);
  REQUIRE(b.receive(kDelivery) == helloA);
  REQUIRE(receiveFrom(probe) == helloA);

  // The probe speaks as host 9 (as the replay engine speaks for the capture's hosts).
  const Frame request = frame(host(1), host(9), 0x22, 98);
  REQUIRE(probe.send(request));
  CHECK(a.receive(kDelivery) == request);
  const Frame reply = frame(host(9), host(1), 0x23, 98);
  a.send(reply);
  CHECK(receiveFrom(probe) == reply);

  const Frame marker = frame(kBroadcast, host(1), 0x24);
  a.send(marker);
  CHECK(receiveFrom(probe) == marker);
  CHECK(b.receive(kDelivery) == marker); // b got neither the request nor the reply

  AdminClient admin(sw.admin);
  const std::string ports = admin.command("show ports");
  const std::string fdb = admin.command("show fdb");
  INFO(ports);
  INFO(fdb);
  const std::string id = probeId(ports);
  REQUIRE_FALSE(id.empty());
  CHECK(contains(fdb, "02:00:00:00:00:09 vlan 0 port " + id + " "));
  CHECK(counter(ports, b.addressText(), "tx_frames") == 2);
  CHECK(counter(portLine(ports, " kind=probe "), " kind=probe ", "tx_frames") == 3);
}

TEST_CASE("show ports lists a probe, and closing its control connection removes it", "[switchd][integration][probe]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl);
  REQUIRE(a.join());
  std::optional<SwitchClient> probe = SwitchClient::join(sw.ctl, SwitchClient::Role::Probe);
  const Frame fromProbe = frame(kBroadcast, host(9), 0x31, 100);
  REQUIRE(probe->send(fromProbe));
  REQUIRE(a.receive(kDelivery) == fromProbe);

  AdminClient admin(sw.admin);
  const std::string ports = admin.command("show ports");
  INFO(ports);
  CHECK(ports.rfind("ports 2\n", 0) == 0);
  const std::string line = portLine(ports, " kind=probe ");
  CHECK(contains(line, " name=- "));
  CHECK(contains(line, " address=@"));
  CHECK(contains(line, " in=none out=none "));
  CHECK(counter(line, " kind=probe ", "rx_frames") == 1);
  CHECK(counter(line, " kind=probe ", "rx_bytes") == 100);
  CHECK(stat(admin, "probe_ports") == 1);
  CHECK(stat(admin, "monitor_ports") == 0);
  CHECK(contains(admin.command("show fdb"), "02:00:00:00:00:09"));

  probe.reset(); // closes the control connection
  CHECK(waitUntil([&] { return stat(admin, "ports") == 1; }));
  CHECK(stat(admin, "probe_ports") == 0);
  CHECK(stat(admin, "clients_left") == 1);
  CHECK_FALSE(contains(admin.command("show fdb"), "02:00:00:00:00:09"));
  CHECK_FALSE(contains(admin.command("show ports"), "kind=probe"));
}

TEST_CASE("with a probe attached guests get no extra copies, and a monitor still cannot send",
          "[switchd][integration][probe][monitor]") {
  TempDir dir{"umlab-switchd-probe"};
  const std::string monitorPath = dir.file("sw.monitor");
  SwitchProcess sw({"--monitor", monitorPath});
  UmlClient a(sw.ctl), b(sw.ctl), c(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  REQUIRE(c.join());
  SwitchClient probe = SwitchClient::join(sw.ctl, SwitchClient::Role::Probe);
  UmlClient m(monitorPath);
  REQUIRE(m.join());

  for (int i = 1; i <= 3; ++i) {
    UmlClient& sender = i == 1 ? a : i == 2 ? b : c;
    const Frame hello = frame(kBroadcast, host(uint8_t(i)), uint8_t(0x40 + i));
    sender.send(hello);
    for (UmlClient* other : {&a, &b, &c})
      if (other != &sender)
        CHECK(other->receive(kDelivery) == hello);
    CHECK(m.receive(kDelivery) == hello);
    CHECK(receiveFrom(probe) == hello);
  }
  const Frame unicast = frame(host(2), host(1), 0x44, 300);
  a.send(unicast);
  CHECK(b.receive(kDelivery) == unicast);
  CHECK(m.receive(kDelivery) == unicast);
  CHECK(receiveFrom(probe) == unicast);

  // What the monitor sends goes nowhere, with a probe there as without.
  m.send(frame(kBroadcast, host(8), 0x45));
  m.send(frame(host(1), host(8), 0x46));
  const Frame marker = frame(kBroadcast, host(3), 0x47);
  c.send(marker);
  CHECK(a.receive(kDelivery) == marker);
  CHECK(b.receive(kDelivery) == marker);
  CHECK(m.receive(kDelivery) == marker);
  CHECK(receiveFrom(probe) == marker);

  // A probe request on the monitor socket is refused.
  {
    UmlClient wrongSocket(monitorPath);
    CHECK_FALSE(wrongSocket.join({}, transports::kRequestProbe));
  }

  AdminClient admin(sw.admin);
  const std::string ports = admin.command("show ports");
  INFO(ports);
  CHECK(counter(ports, a.addressText(), "tx_frames") == 3);
  CHECK(counter(ports, b.addressText(), "tx_frames") == 4);
  CHECK(counter(ports, c.addressText(), "tx_frames") == 2); // not the unicast
  CHECK(counter(ports, m.addressText(), "drop_monitor_rx") == 2);
  CHECK(counter(ports, m.addressText(), "tx_frames") == 5);
  CHECK(counter(portLine(ports, " kind=probe "), " kind=probe ", "tx_frames") == 5);
  CHECK_FALSE(contains(admin.command("show fdb"), "02:00:00:00:00:08"));
  CHECK(stat(admin, "monitor_ports") == 1);
  CHECK(stat(admin, "probe_ports") == 1);
  CHECK(stat(admin, "refused_bad_type") == 1);
}

TEST_CASE("SwitchClient joins umlab-switchd as a guest and as a probe, and sees the switch go",
          "[switchd][integration][probe][switch_client]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl);
  REQUIRE(a.join());
  SwitchClient guest = SwitchClient::join(sw.ctl, SwitchClient::Role::Guest);
  SwitchClient probe = SwitchClient::join(sw.ctl, SwitchClient::Role::Probe);

  const Frame hello = frame(kBroadcast, host(1), 0x51);
  a.send(hello);
  CHECK(receiveFrom(guest) == hello);
  CHECK(receiveFrom(probe) == hello);
  const Frame fromGuest = frame(host(1), host(3), 0x52, 1514);
  REQUIRE(guest.send(fromGuest));
  CHECK(a.receive(kDelivery) == fromGuest);
  CHECK(receiveFrom(probe) == fromGuest);
  const Frame toGuest = frame(host(3), host(1), 0x53);
  a.send(toGuest);
  CHECK(receiveFrom(guest) == toGuest);
  CHECK(receiveFrom(probe) == toGuest);

  // Refusals are a guest's: a second client with the probe's data address is refused.
  {
    UmlClient twin(sw.ctl);
    REQUIRE(twin.writeControl(twin.request(0xfeedface, 3, transports::kRequestProbe, &probe.address())));
    CHECK(twin.isControlClosed());
  }
  AdminClient admin(sw.admin);
  const std::string ports = admin.command("show ports");
  INFO(ports);
  CHECK(ports.rfind("ports 3\n", 0) == 0);
  CHECK(contains(ports, " kind=probe "));
  CHECK(stat(admin, "refused_duplicate_address") == 1);
  CHECK_FALSE(probe.isSwitchGone());

  const ExitStatus stopped = sw.child->terminate(5000ms);
  INFO("the switch " << stopped.describe());
  REQUIRE(stopped.code == 0);
  pollfd p{probe.controlFd(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, int(kDelivery.count())) == 1);
  CHECK(probe.isSwitchGone());
  CHECK(guest.isSwitchGone());
  CHECK_THROWS_AS(probe.send(hello), std::system_error); // the switch's data socket is gone
}

TEST_CASE("a plain uml_switch takes a SwitchClient guest and refuses a probe",
          "[switchd][integration][probe][uml_switch]") {
  const std::optional<std::string> umlSwitch = findExecutable("uml_switch");
  if (!umlSwitch) {
    std::printf("SKIPPED: uml_switch is not installed\n");
    return;
  }
  TempDir dir{"umlab-uml-switch"};
  const std::string ctl = dir.file("uml.ctl");
  Command command;
  command.argv = {*umlSwitch, "-unix", ctl};
  ChildProcess child = ChildProcess::start(command);
  REQUIRE(waitForListener(ctl));

  SwitchClient one = SwitchClient::join(ctl, SwitchClient::Role::Guest);
  SwitchClient two = SwitchClient::join(ctl, SwitchClient::Role::Guest);
  const Frame hello = frame(kBroadcast, host(1), 0x61);
  REQUIRE(one.send(hello));
  CHECK(receiveFrom(two) == hello);

  std::string message;
  try {
    SwitchClient::join(ctl, SwitchClient::Role::Probe);
  } catch (const std::system_error& e) {
    message = e.what();
  }
  CHECK(message.rfind("handshake with " + ctl +
                          ": the switch closed the connection (is it an umlab-switchd? probes need one)",
                      0) == 0);
  child.terminate(5000ms);
}
