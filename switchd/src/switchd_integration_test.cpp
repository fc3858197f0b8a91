// Integration tests: the real umlab-switchd binary, with fake UML guests that join it exactly as
// arch/um/drivers/daemon_user.c does (control stream socket, a 124-byte request_v3, a data
// datagram socket bound to an abstract address with addrlen 110, a 110-byte reply). The helpers
// are in switchd_test_support.hpp.

#include "switchd_test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <poll.h>
#include <random>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace umlab::switchd_test;
using namespace std::chrono_literals;

TEST_CASE("a broadcast reaches the other client but not the sender, a learnt unicast only its target", "[switchd][integration]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl), b(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  CHECK(a.switchAddress().sun_path[0] == '\0'); // the switch's data socket is abstract

  const Frame hello = frame(kBroadcast, host(1), 0x11);
  a.send(hello);
  CHECK(b.receive() == hello);
  CHECK_FALSE(a.receive(200ms));

  const Frame reply = frame(host(1), host(2), 0x22, 98);
  b.send(reply);
  CHECK(a.receive() == reply);
  CHECK_FALSE(b.receive(200ms));

  const Frame unicast = frame(host(2), host(1), 0x33, 1514);
  a.send(unicast);
  CHECK(b.receive() == unicast);
  CHECK(sw.isRunning());
}

TEST_CASE("a third client sees a flood but not a learnt unicast", "[switchd][integration]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl), b(sw.ctl), c(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  REQUIRE(c.join());
  const Frame flood = frame(kBroadcast, host(1));
  a.send(flood);
  CHECK(b.receive() == flood);
  CHECK(c.receive() == flood);
  b.send(frame(kBroadcast, host(2)));
  CHECK(a.receive());
  CHECK(c.receive());
  const Frame unicast = frame(host(2), host(1), 0x44);
  a.send(unicast);
  CHECK(b.receive() == unicast);
  CHECK_FALSE(c.receive(300ms));
}

TEST_CASE("802.1Q frames pass through with their tag", "[switchd][integration][vlan]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl), b(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  Frame tagged = frame(kBroadcast, host(1), 0x55, 1518);
  tagged[12] = 0x81;
  tagged[13] = 0x00;
  tagged[14] = 0x00;
  tagged[15] = 0x0a;
  a.send(tagged);
  CHECK(b.receive() == tagged);
  AdminClient admin(sw.admin);
  CHECK(admin.command("show fdb").find("02:00:00:00:00:01 vlan 10 port") != std::string::npos);
}

TEST_CASE("show ports counts frames and bytes in and out", "[switchd][integration][admin]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl), b(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  for (int i = 0; i < 3; ++i) {
    a.send(frame(kBroadcast, host(1), 0x66, 100));
    REQUIRE(b.receive());
  }
  AdminClient admin(sw.admin);
  const std::string ports = admin.command("show ports");
  INFO(ports);
  CHECK(ports.rfind("ports 2\n", 0) == 0);
  CHECK(counter(ports, a.addressText(), "rx_frames") == 3);
  CHECK(counter(ports, a.addressText(), "rx_bytes") == 300);
  CHECK(counter(ports, a.addressText(), "tx_frames") == 0);
  CHECK(counter(ports, b.addressText(), "tx_frames") == 3);
  CHECK(counter(ports, b.addressText(), "tx_bytes") == 300);
  CHECK(counter(ports, b.addressText(), "drop_tx_full") == 0);

  const std::string fdb = admin.command("show fdb");
  CHECK(fdb.find("02:00:00:00:00:01 vlan 0 port ") != std::string::npos);
  CHECK(admin.command("help").find("show ports") != std::string::npos);
  CHECK(admin.command("show nonsense").rfind("error: unknown command 'show nonsense'", 0) == 0);
  CHECK(stat(admin, "clients_joined") == 2);
  CHECK(admin.command("show stats").find("mode=switch\n") != std::string::npos);
}

TEST_CASE("hub mode floods a unicast the switch would have kept to one port", "[switchd][integration][hub]") {
  SwitchProcess sw({"--hub"});
  UmlClient a(sw.ctl), b(sw.ctl), c(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  REQUIRE(c.join());
  b.send(frame(kBroadcast, host(2)));
  REQUIRE(a.receive());
  REQUIRE(c.receive());
  const Frame unicast = frame(host(2), host(1));
  a.send(unicast);
  CHECK(b.receive() == unicast);
  CHECK(c.receive() == unicast);
}

TEST_CASE("bad handshakes are refused and the switch keeps serving", "[switchd][integration][robustness]") {
  SwitchProcess sw;
  {
    UmlClient badMagic(sw.ctl);
    REQUIRE(badMagic.writeControl(badMagic.request(0xdeadbeef)));
    CHECK(badMagic.isControlClosed());
  }
  {
    UmlClient badVersion(sw.ctl);
    REQUIRE(badVersion.writeControl(badVersion.request(0xfeedface, 2)));
    CHECK(badVersion.isControlClosed());
  }
  {
    UmlClient badType(sw.ctl);
    REQUIRE(badType.writeControl(badType.request(0xfeedface, 3, 7)));
    CHECK(badType.isControlClosed());
  }
  {
    UmlClient shortRequest(sw.ctl);
    std::vector<uint8_t> r = shortRequest.request();
    r.resize(50);
    REQUIRE(shortRequest.writeControl(r)); // then hangs up
  }
  {
    UmlClient garbage(sw.ctl);
    std::vector<uint8_t> junk(124);
    for (size_t i = 0; i < junk.size(); ++i)
      junk[i] = uint8_t(i * 37);
    REQUIRE(garbage.writeControl(junk));
    CHECK(garbage.isControlClosed());
  }
  {
    // A data address nobody has bound.
    UmlClient ghost(sw.ctl);
    sockaddr_un nowhere{};
    nowhere.sun_family = AF_UNIX;
    std::memcpy(nowhere.sun_path + 1, "umlab-switchd-test-nobody", 25);
    REQUIRE(ghost.writeControl(ghost.request(0xfeedface, 3, 0, &nowhere)));
    CHECK(ghost.isControlClosed());
  }
  // A longer request (vde's clients append a description) is accepted; the rest is ignored.
  UmlClient a(sw.ctl), b(sw.ctl);
  REQUIRE(a.join(std::vector<uint8_t>(200, 'x')));
  // The same data address twice is refused.
  REQUIRE(b.join());
  {
    UmlClient twin(sw.ctl);
    REQUIRE(twin.writeControl(twin.request(0xfeedface, 3, 0, &b.address())));
    CHECK(twin.isControlClosed());
  }
  const Frame f = frame(kBroadcast, host(1));
  a.send(f);
  CHECK(b.receive() == f);

  AdminClient admin(sw.admin);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (stat(admin, "refused_short_request") < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  CHECK(stat(admin, "refused_bad_magic") == 2); // the garbage request has a bad magic too
  CHECK(stat(admin, "refused_bad_version") == 1);
  CHECK(stat(admin, "refused_bad_type") == 1);
  CHECK(stat(admin, "refused_short_request") == 1);
  CHECK(stat(admin, "refused_duplicate_address") == 1);
  CHECK(stat(admin, "refused_no_data_socket") == 1);
  CHECK(stat(admin, "ports") == 2);
  CHECK(sw.isRunning());
}

TEST_CASE("garbage, empty, oversize and unknown-sender datagrams are dropped and counted", "[switchd][integration][robustness]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl), b(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  a.send(Frame{});                       // 0 bytes: would shut b's NIC down
  a.send(Frame(5, 0xee));                // runt
  a.send(frame(kBroadcast, host(1), 0, 1600)); // over 1526 bytes
  a.send(frame(kBroadcast, host(1), 0, 9000)); // over the switch's receive buffer
  a.send(frame(host(2), kBroadcast));    // multicast source
  {
    // Someone who never joined sends to the switch's data socket.
    UniqueFd stranger(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    Frame f = frame(kBroadcast, host(9));
    CHECK(::sendto(stranger.get(), f.data(), f.size(), 0,
                   reinterpret_cast<const sockaddr*>(&a.switchAddress()), kAddrSize) == ssize_t(f.size()));
    CHECK(::sendto(stranger.get(), f.data(), 0, 0,
                   reinterpret_cast<const sockaddr*>(&a.switchAddress()), kAddrSize) == 0);
  }
  CHECK_FALSE(b.receive(300ms));
  // Random bytes with a unicast source and a group destination are frames like any other:
  // flooded, byte for byte.
  std::mt19937 random(42);
  for (int i = 0; i < 200; ++i) {
    Frame junk(14 + random() % 1500);
    for (uint8_t& x : junk)
      x = uint8_t(random());
    junk[0] |= 0x01;
    junk[6] &= 0xfe;
    a.send(junk);
    CHECK(b.receive() == junk);
  }
  AdminClient admin(sw.admin);
  const std::string ports = admin.command("show ports");
  INFO(ports);
  CHECK(counter(ports, a.addressText(), "drop_empty") == 1);
  CHECK(counter(ports, a.addressText(), "drop_runt") == 1);
  CHECK(counter(ports, a.addressText(), "drop_oversize") == 2);
  CHECK(counter(ports, a.addressText(), "drop_bad_source") == 1);
  CHECK(counter(ports, b.addressText(), "tx_frames") == 200);
  CHECK(stat(admin, "unknown_sender") == 2);
  CHECK(sw.isRunning());
}

TEST_CASE("1000 connects and disconnects leave the switch alive and serving", "[switchd][integration][robustness]") {
  SwitchProcess sw;
  for (int i = 0; i < 1000; ++i) {
    UmlClient c(sw.ctl);
    if (i % 2 == 0)
      REQUIRE(c.join());
  }
  AdminClient admin(sw.admin);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (stat(admin, "ports") != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  CHECK(stat(admin, "ports") == 0);
  CHECK(stat(admin, "clients_joined") == 500);
  CHECK(stat(admin, "clients_left") == 500);
  CHECK(stat(admin, "control_accepted") == 1000);
  UmlClient a(sw.ctl), b(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  const Frame f = frame(kBroadcast, host(1));
  a.send(f);
  CHECK(b.receive() == f);
}

TEST_CASE("a client that stops reading loses frames without slowing the others", "[switchd][integration][robustness]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl), b(sw.ctl), stalled(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  REQUIRE(stalled.join());
  constexpr int kFrames = 3000;
  int received = 0;
  for (int i = 0; i < kFrames; ++i) {
    a.send(frame(kBroadcast, host(1), uint8_t(i), 200));
    if (b.receive(2000ms))
      ++received;
  }
  CHECK(received == kFrames);
  AdminClient admin(sw.admin);
  const std::string ports = admin.command("show ports");
  INFO(ports);
  CHECK(counter(ports, stalled.addressText(), "drop_tx_full") > 0);
  // Every frame for the stalled client was sent, is still queued, or was dropped as tx_full.
  CHECK(counter(ports, stalled.addressText(), "tx_frames") + counter(ports, stalled.addressText(), "queue") +
            counter(ports, stalled.addressText(), "drop_tx_full") ==
        kFrames);
  CHECK(counter(ports, b.addressText(), "drop_tx_full") == 0);
}

TEST_CASE("a client that closes its control socket leaves the switch", "[switchd][integration]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl), b(sw.ctl);
  REQUIRE(a.join());
  REQUIRE(b.join());
  b.send(frame(kBroadcast, host(2)));
  REQUIRE(a.receive());
  b.closeControl();
  AdminClient admin(sw.admin);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (stat(admin, "ports") != 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  CHECK(stat(admin, "ports") == 1);
  CHECK(admin.command("show fdb").find("02:00:00:00:00:02") == std::string::npos);
}

TEST_CASE("SIGTERM stops the switch with status 0 and removes its sockets", "[switchd][integration]") {
  SwitchProcess sw;
  UmlClient a(sw.ctl);
  REQUIRE(a.join());
  AdminClient admin(sw.admin);
  ExitStatus status = sw.child->terminate(5000ms);
  CHECK(status.code == 0);
  CHECK(status.signal == 0);
  CHECK_FALSE(std::filesystem::exists(sw.ctl));
  CHECK_FALSE(std::filesystem::exists(sw.admin));
}

TEST_CASE("a second switch on a live control path fails, a stale socket is replaced", "[switchd][integration]") {
  SwitchProcess sw;
  Command second;
  second.argv = {UMLAB_SWITCHD_PATH, "--ctl", sw.ctl};
  CommandResult r = runCommand(second);
  CHECK(r.status.code == 1);
  CHECK(sw.isRunning());

  TempDir dir{"umlab-switchd"};
  const std::string stale = dir.file("stale.ctl");
  {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a = pathAddress(stale);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  } // closed without unlinking, as after a crash
  REQUIRE(isSocket(stale));
  Command c;
  c.argv = {UMLAB_SWITCHD_PATH, "--ctl", stale};
  ChildProcess child = ChildProcess::start(c);
  REQUIRE(waitForListener(stale));
  UmlClient client(stale);
  CHECK(client.join());
  CHECK(child.terminate(5000ms).code == 0);
}

TEST_CASE("the command line: --help, missing and malformed arguments", "[switchd][integration][cli]") {
  auto run = [](std::vector<std::string> args) {
    Command c;
    c.argv = {UMLAB_SWITCHD_PATH};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    return runCommand(c);
  };
  CommandResult help = run({"--help"});
  CHECK(help.status.code == 0);
  bool isUsage = false;
  for (const std::string& line : help.lastLines)
    isUsage = isUsage || line.find("Exit status") != std::string::npos;
  CHECK(isUsage);
  CHECK(run({}).status.code == 2);
  CHECK(run({"--ctl"}).status.code == 2);
  CHECK(run({"--ctl", "/tmp/x.ctl", "--bogus"}).status.code == 2);
  TempDir dir{"umlab-switchd"};
  const std::string ctl = dir.file("x.ctl");
  auto usageError = [&](std::vector<std::string> args, const std::string& message) {
    args.insert(args.begin(), {"--ctl", ctl});
    CommandResult r = run(args);
    CHECK(r.status.code == 2);
    std::string all;
    for (const std::string& line : r.lastLines)
      all += line + "\n";
    INFO(all);
    CHECK(all.find(message) != std::string::npos);
    CHECK_FALSE(isSocket(ctl)); // nothing left behind
  };
  usageError({"--bess"}, "--bess needs a path");
  usageError({"--uplink"}, "--uplink needs [NAME=]PATH");
  usageError({"--port", "pc1:eth0"}, "--port needs NAME=MAC");
  usageError({"--port", "pc1:eth0=02:00:00:00:00"}, "--port needs NAME=MAC");
  usageError({"--seed", "-1"}, "--seed needs a non-negative integer");
  usageError({"--ring-size", "lots"}, "--ring-size needs a size");
  usageError({"--queue", "0"}, "--queue needs a number of frames");
  usageError({"--set", "port pc9:eth0 delay 20ms"}, "no port 'pc9:eth0'");
  usageError({"--port", "pc1:eth0=02:00:00:00:00:01", "--set", "port pc1:eth0 delay 20"}, "bad delay '20'");
}

namespace {

void writeFile(const std::string& path, const std::string& text, bool isExecutable = false) {
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f);
  std::fputs(text.c_str(), f);
  std::fclose(f);
  if (isExecutable)
    std::filesystem::permissions(path, std::filesystem::perms::owner_all, std::filesystem::perm_options::add);
}

/// Reads `fd` into `out` until `marker` appears, EOF, or `timeout`; true when the marker came.
bool readUntil(int fd, std::string& out, const std::string& marker, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.find(marker) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, int(left.count())) != 1)
      return false;
    char chunk[4096];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0)
      return out.find(marker) != std::string::npos;
    out.append(chunk, size_t(n));
  }
  return true;
}

} // namespace

// Hidden from discovery ([.]) and registered by hand in CMakeLists.txt with a skip rule: it needs
// root, /usr/bin/linux.uml, and python3 and ip on the host (the guests boot the host's own root
// read-only over hostfs, with a shell script as init).
TEST_CASE("two real UML guests exchange UDP through the switch", "[.][switchd][uml]") {
  const char* kernel = "/usr/bin/linux.uml";
  const std::optional<std::string> python = findExecutable("python3");
  if (::geteuid() != 0 || !std::filesystem::exists(kernel) || !python || !findExecutable("ip")) {
    std::printf("SKIPPED: needs root, %s, python3 and ip\n", kernel);
    return;
  }
  SwitchProcess sw;
  const std::string echo = sw.dir.file("echo.py");
  writeFile(echo, R"(import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if sys.argv[1] == "server":
    s.bind(("10.9.0.2", 7))
    while True:
        d, a = s.recvfrom(2000)
        s.sendto(d, a)
s.settimeout(1)
ok = 0
for i in range(240):
    s.sendto(b"hello %d" % i, ("10.9.0.2", 7))
    try:
        d, _ = s.recvfrom(2000)
        ok += d == b"hello %d" % i
    except OSError:
        pass
    if ok == 3:
        break
print("ECHO_OK", ok, flush=True)
)");
  std::vector<ChildProcess> guests;
  for (int i = 1; i <= 2; ++i) {
    const std::string script = sw.dir.file("guest" + std::to_string(i) + ".sh");
    writeFile(script,
              "#!/bin/sh\n"
              "mount -t proc proc /proc\n"
              "ip link set lo up\n"
              "ip addr add 10.9.0." + std::to_string(i) + "/24 dev eth0\n"
              "ip link set eth0 up\n" +
                  // The client stays up afterwards: a guest that powers off leaves the switch,
                  // which forgets its address before the test reads the table.
                  std::string(i == 1 ? *python + " " + echo + " client\nip neigh show dev eth0\nexec sleep 3600\n"
                                     : *python + " " + echo + " server\n") +
                  "echo o > /proc/sysrq-trigger\n",
              true);
    Command c;
    c.argv = {kernel, "mem=64M", "root=/dev/root", "rootfstype=hostfs", "rootflags=/", "ro",
              "init=" + script, "eth0=daemon,02:00:00:00:00:0" + std::to_string(i) + ",unix," + sw.ctl,
              "con=null", "con0=null,fd:1", "ssl=null",
              "umid=switchd-test-" + std::to_string(::getpid()) + "-" + std::to_string(i),
              "uml_dir=" + sw.dir.file("uml")};
    if (std::optional<std::string> setarch = findExecutable("setarch"))
      c.argv.insert(c.argv.begin(), {*setarch, "x86_64", "-R"}); // a deterministic memory layout
    guests.push_back(ChildProcess::start(c));
  }
  std::string console;
  // The client tries for up to 240 s (the server guest boots and starts Python from hostfs in
  // the meantime, slowly on a busy host); a guest that dies ends the wait at once.
  const bool isDone = readUntil(guests[0].outputFd().get(), console, "ECHO_OK", std::chrono::seconds(300));
  readUntil(guests[0].outputFd().get(), console, "REACHABLE", std::chrono::seconds(5));
  INFO(console);
  REQUIRE(isDone);
  CHECK(console.find("ECHO_OK 3") != std::string::npos);
  CHECK(console.find("lladdr 02:00:00:00:00:02") != std::string::npos);
  AdminClient admin(sw.admin);
  const std::string fdb = admin.command("show fdb");
  CHECK(fdb.find("02:00:00:00:00:01 vlan 0") != std::string::npos);
  CHECK(fdb.find("02:00:00:00:00:02 vlan 0") != std::string::npos);
  for (ChildProcess& g : guests)
    g.terminate(std::chrono::milliseconds(3000));
  CHECK(sw.isRunning());
}
