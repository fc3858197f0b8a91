// VXLAN tunnels between real umlab-switchd processes over loopback (127.0.0.1, .2 and .3, all on
// lo: the tunnel tells peers apart by source address), and, as root, against a Linux kernel
// `vxlan` device in network namespaces of the test's own.

#include "switchd_test_support.hpp"

#include "umlab/switchd/vxlan.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <fcntl.h>
#include <functional>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <optional>
#include <sched.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace umlab::switchd_test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kVni = 42;

sockaddr_in ipv4(const std::string& address, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  REQUIRE(::inet_pton(AF_INET, address.c_str(), &a.sin_addr) == 1);
  return a;
}

/// A UDP socket bound to `address`:`port` (0: any free port).
UniqueFd udpSocket(const std::string& address, uint16_t port = 0) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  const sockaddr_in a = ipv4(address, port);
  REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0);
  return fd;
}

uint16_t boundPort(int fd) {
  sockaddr_in a{};
  socklen_t length = sizeof(a);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length) == 0);
  return ntohs(a.sin_port);
}

/// A UDP port free on `address` a moment ago.
uint16_t freePort(const std::string& address) { return boundPort(udpSocket(address).get()); }

void sendDatagram(int fd, const std::string& address, uint16_t port, const std::vector<uint8_t>& bytes) {
  const sockaddr_in to = ipv4(address, port);
  REQUIRE(::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) ==
          ssize_t(bytes.size()));
}

std::vector<uint8_t> encapsulate(uint32_t vni, const Frame& f) {
  const switchd::VxlanHeader h = switchd::encodeVxlanHeader(vni);
  std::vector<uint8_t> d(h.size() + f.size());
  std::copy(h.begin(), h.end(), d.begin());
  std::copy(f.begin(), f.end(), d.begin() + std::ptrdiff_t(h.size()));
  return d;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

/// The value of `key=` on its own line of `text` ('show vxlan'); all ones when there is none.
uint64_t lineValue(const std::string& text, const std::string& key) {
  const std::string all = "\n" + text;
  const size_t k = all.find("\n" + key + "=");
  if (k == std::string::npos)
    return uint64_t(-1);
  return std::strtoull(all.c_str() + k + key.size() + 2, nullptr, 10);
}

bool waitUntil(const std::function<bool()>& isDone, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!isDone()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

/// One switch of a loopback mesh: bound to `address`:`port`, with a peer per other member.
struct MeshMember {
  std::string name;
  std::string address;
  uint16_t port;
};

std::vector<std::string> meshArguments(const std::vector<MeshMember>& mesh, size_t self) {
  std::vector<std::string> args{"--vxlan-vni", std::to_string(kVni), "--vxlan-bind",
                                mesh[self].address + ":" + std::to_string(mesh[self].port)};
  for (size_t i = 0; i < mesh.size(); ++i)
    if (i != self)
      args.insert(args.end(), {"--vxlan-peer", mesh[i].name + "=" + mesh[i].address + ":" + std::to_string(mesh[i].port)});
  return args;
}

std::vector<MeshMember> loopbackMesh(size_t count) {
  std::vector<MeshMember> mesh;
  for (size_t i = 0; i < count; ++i) {
    const std::string address = "127.0.0." + std::to_string(i + 1);
    mesh.push_back({std::string(1, char('a' + i)), address, freePort(address)});
  }
  return mesh;
}

/// The next frame `client` receives that equals `expected`, skipping others; false after `timeout`.
bool receives(UmlClient& client, const Frame& expected, std::chrono::milliseconds timeout = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    std::optional<Frame> f = client.receive(left);
    if (!f)
      return false;
    if (*f == expected)
      return true;
  }
}

} // namespace

TEST_CASE("three switches in a VXLAN mesh flood to every peer once, and a learnt unicast goes only to its peer", "[switchd][vxlan][integration]") {
  const std::vector<MeshMember> mesh = loopbackMesh(3);
  SwitchProcess swA(meshArguments(mesh, 0)), swB(meshArguments(mesh, 1)), swC(meshArguments(mesh, 2));
  UmlClient a1(swA.ctl), a2(swA.ctl), b1(swB.ctl), c1(swC.ctl);
  REQUIRE(a1.join());
  REQUIRE(a2.join());
  REQUIRE(b1.join());
  REQUIRE(c1.join());

  // Head-end replication: a broadcast reaches every host once; split horizon: B and C do not
  // send it on to each other.
  const Frame hello = frame(kBroadcast, host(1), 0x11);
  a1.send(hello);
  CHECK(a2.receive() == hello);
  CHECK(b1.receive() == hello);
  CHECK(c1.receive() == hello);
  CHECK_FALSE(b1.receive(300ms));
  CHECK_FALSE(c1.receive(100ms));
  CHECK_FALSE(a1.receive(100ms));

  // B learnt host 1 behind peer a: its reply goes through that tunnel only.
  const Frame reply = frame(host(1), host(2), 0x22, 98);
  b1.send(reply);
  CHECK(a1.receive() == reply);
  CHECK_FALSE(a2.receive(300ms));
  CHECK_FALSE(c1.receive(100ms));

  // A learnt host 2 behind peer b: a unicast to it, full size, crosses to B only.
  const Frame big = frame(host(2), host(1), 0x33, 1514);
  a1.send(big);
  CHECK(b1.receive() == big);
  CHECK_FALSE(c1.receive(300ms));
  CHECK_FALSE(a2.receive(100ms));

  AdminClient adminA(swA.admin), adminB(swB.admin);
  const std::string ports = adminA.command("show ports");
  INFO(ports);
  CHECK(contains(ports, " name=b kind=vxlan address=127.0.0.2:" + std::to_string(mesh[1].port) + " "));
  CHECK(contains(ports, " name=c kind=vxlan address=127.0.0.3:" + std::to_string(mesh[2].port) + " "));
  CHECK(counter(ports, " name=b ", "tx_frames") == 2);
  CHECK(counter(ports, " name=b ", "tx_bytes") == 60 + 1514);
  CHECK(counter(ports, " name=c ", "tx_frames") == 1);
  CHECK(counter(ports, " name=b ", "rx_frames") == 1);
  CHECK(counter(adminB.command("show ports"), " name=c ", "tx_frames") == 0); // split horizon
  CHECK(contains(adminA.command("show fdb"), "02:00:00:00:00:02 vlan 0 port "));

  const std::string vxlan = adminA.command("show vxlan");
  INFO(vxlan);
  CHECK(lineValue(vxlan, "vni") == kVni);
  CHECK(contains(vxlan, "\nlocal=127.0.0.1:" + std::to_string(mesh[0].port) + "\n"));
  CHECK(contains(vxlan, "\npeer b 127.0.0.2:" + std::to_string(mesh[1].port) + " port "));
  CHECK(lineValue(vxlan, "datagrams") == 1);
  for (const char* reason : {"unknown_source", "runt", "no_i_flag", "bad_vni", "oversize"})
    CHECK(lineValue(vxlan, std::string("drop_") + reason) == 0);
  CHECK(swA.isRunning());
  CHECK(swB.isRunning());
  CHECK(swC.isRunning());
}

TEST_CASE("a VXLAN port takes link conditions: loss 100% drops what goes into the tunnel", "[switchd][vxlan][integration]") {
  const std::vector<MeshMember> mesh = loopbackMesh(2);
  SwitchProcess swA(meshArguments(mesh, 0)), swB(meshArguments(mesh, 1));
  UmlClient a1(swA.ctl), a2(swA.ctl), b1(swB.ctl);
  REQUIRE(a1.join());
  REQUIRE(a2.join());
  REQUIRE(b1.join());
  AdminClient admin(swA.admin);
  CHECK(contains(admin.command("set port b loss 100%"), "b out: loss 100%"));
  const Frame hello = frame(kBroadcast, host(1), 0x44);
  a1.send(hello);
  CHECK(a2.receive() == hello);
  CHECK_FALSE(b1.receive(300ms));
  const std::string ports = admin.command("show ports");
  INFO(ports);
  CHECK(counter(ports, " name=b ", "drop_loss_out") == 1);
  CHECK(counter(ports, " name=b ", "tx_frames") == 0);

  // Delay works on it too, and clearing brings the tunnel back.
  CHECK_FALSE(contains(admin.command("set port b out clear"), "error"));
  CHECK_FALSE(contains(admin.command("set port b in clear"), "error"));
  CHECK_FALSE(contains(admin.command("set port b delay 50ms"), "error"));
  const auto sent = std::chrono::steady_clock::now();
  a1.send(hello);
  CHECK(b1.receive() == hello);
  CHECK(std::chrono::steady_clock::now() - sent >= 50ms);
}

TEST_CASE("the tunnel tells peers apart by source address only, and drops and counts bad datagrams", "[switchd][vxlan][integration][robustness]") {
  const std::vector<MeshMember> mesh = loopbackMesh(2);
  SwitchProcess swA(meshArguments(mesh, 0));
  UmlClient a1(swA.ctl);
  REQUIRE(a1.join());
  AdminClient admin(swA.admin);
  const uint16_t port = mesh[0].port;

  // From the peer's address but another source port (as a Linux vxlan device sends): accepted.
  UniqueFd peer = udpSocket("127.0.0.2");
  const Frame fromPeer = frame(kBroadcast, host(7), 0x55);
  sendDatagram(peer.get(), "127.0.0.1", port, encapsulate(kVni, fromPeer));
  CHECK(a1.receive() == fromPeer);

  std::vector<uint8_t> noIFlag = encapsulate(kVni, fromPeer);
  noIFlag[0] = 0;
  std::vector<uint8_t> oversize = encapsulate(kVni, frame(kBroadcast, host(7), 0x55, 1600));
  sendDatagram(peer.get(), "127.0.0.1", port, encapsulate(kVni + 1, fromPeer));
  sendDatagram(peer.get(), "127.0.0.1", port, noIFlag);
  sendDatagram(peer.get(), "127.0.0.1", port, {0x08, 0, 0, 0, 0, 0});
  sendDatagram(peer.get(), "127.0.0.1", port, oversize);
  UniqueFd stranger = udpSocket("127.0.0.5");
  sendDatagram(stranger.get(), "127.0.0.1", port, encapsulate(kVni, frame(kBroadcast, host(8), 0x66)));
  // A datagram holding the header only: an empty inner frame, dropped by the port (never forwarded).
  sendDatagram(peer.get(), "127.0.0.1", port, encapsulate(kVni, {}));

  REQUIRE(waitUntil([&] { return lineValue(admin.command("show vxlan"), "datagrams") == 7; }));
  const std::string vxlan = admin.command("show vxlan");
  INFO(vxlan);
  CHECK(lineValue(vxlan, "drop_bad_vni") == 1);
  CHECK(lineValue(vxlan, "drop_no_i_flag") == 1);
  CHECK(lineValue(vxlan, "drop_runt") == 1);
  CHECK(lineValue(vxlan, "drop_oversize") == 1);
  CHECK(lineValue(vxlan, "drop_unknown_source") == 1);
  CHECK(counter(admin.command("show ports"), " name=b ", "drop_empty") == 1);
  CHECK_FALSE(a1.receive(200ms));
  CHECK(swA.isRunning());
}

TEST_CASE("the VXLAN socket may be inherited already bound (--vxlan-socket)", "[switchd][vxlan][integration]") {
  const std::optional<std::string> python = findExecutable("python3");
  if (!python) {
    WARN("SKIPPED: needs python3 to hand the switch a socket");
    return;
  }
  const std::vector<MeshMember> mesh = loopbackMesh(2);
  // python3 binds the socket and execs the switch with it, as a supervisor does.
  const std::string script =
      "import os, socket, sys\n"
      "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
      "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
      "os.set_inheritable(s.fileno(), True)\n"
      "args = [a.replace('@FD@', str(s.fileno())) for a in sys.argv[2:]]\n"
      "os.execv(args[0], args)\n";
  std::vector<std::string> args = meshArguments(mesh, 0);
  args[2] = "--vxlan-socket";
  args[3] = "@FD@";
  SwitchProcess swA(args, {}, {*python, "-c", script, std::to_string(mesh[0].port)});
  SwitchProcess swB(meshArguments(mesh, 1));
  UmlClient a1(swA.ctl), b1(swB.ctl);
  REQUIRE(a1.join());
  REQUIRE(b1.join());
  const Frame hello = frame(kBroadcast, host(1), 0x77);
  a1.send(hello);
  CHECK(b1.receive() == hello);
  const Frame reply = frame(host(1), host(2), 0x78, 1514);
  b1.send(reply);
  CHECK(a1.receive() == reply);
  AdminClient admin(swA.admin);
  CHECK(contains(admin.command("show vxlan"), "\nlocal=127.0.0.1:" + std::to_string(mesh[0].port) + "\n"));
}

TEST_CASE("the VXLAN options' usage errors exit 2 with a message", "[switchd][vxlan][integration][cli]") {
  TempDir dir{"umlab-switchd"};
  const std::string ctl = dir.file("x.ctl");
  auto usageError = [&](std::vector<std::string> args, const std::string& message) {
    Command c;
    c.argv = {UMLAB_SWITCHD_PATH, "--ctl", ctl};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    CommandResult r = runCommand(c);
    CHECK(r.status.code == 2);
    std::string all;
    for (const std::string& line : r.lastLines)
      all += line + "\n";
    INFO(all);
    CHECK(contains(all, message));
    CHECK_FALSE(isSocket(ctl));
  };
  usageError({"--vxlan-vni", "0"}, "--vxlan-vni needs a VNI from 1 to 16777215, got '0'");
  usageError({"--vxlan-vni", "16777216"}, "--vxlan-vni needs a VNI");
  usageError({"--vxlan-bind", "localhost:4789"}, "--vxlan-bind needs an IPv4 ADDR:PORT");
  usageError({"--vxlan-peer", "kern=10.0.0.1:99999"}, "--vxlan-peer needs [NAME=]ADDR[:PORT]");
  usageError({"--vxlan-peer", "10.0.0.1"}, "--vxlan-peer needs the tunnel's socket");
  usageError({"--vxlan-bind", "127.0.0.1:4789", "--vxlan-peer", "10.0.0.1"}, "needs --vxlan-vni");
  usageError({"--vxlan-vni", "5"}, "--vxlan-vni needs the tunnel's socket");
  usageError({"--vxlan-vni", "5", "--vxlan-bind", "127.0.0.1:4789", "--vxlan-socket", "3"}, "exclude each other");
  usageError({"--vxlan-vni", "5", "--vxlan-socket", "0", "--vxlan-peer", "10.0.0.1"}, "not an IPv4 UDP socket");
  usageError({"--vxlan-vni", "5", "--vxlan-bind", "127.0.0.1:4789", "--vxlan-peer", "x=10.0.0.1",
              "--vxlan-peer", "y=10.0.0.1:4790"},
             "'x' and 'y' share the address 10.0.0.1");
}

// --- against a Linux kernel vxlan device ---------------------------------------------------------

namespace {

bool runQuietly(const std::vector<std::string>& argv, std::string* output = nullptr) {
  Command c;
  c.argv = argv;
  const CommandResult r = runCommand(c);
  if (output)
    for (const std::string& line : r.lastLines)
      *output += line + "\n";
  return r.isSuccess();
}

/// A network namespace of the test's own, deleted (with every device in it) on destruction.
struct TestNamespace {
  std::string name;
  bool isMade = false;
  explicit TestNamespace(std::string n) : name(std::move(n)) { isMade = runQuietly({"ip", "netns", "add", name}); }
  ~TestNamespace() {
    if (isMade)
      runQuietly({"ip", "netns", "del", name});
  }
  TestNamespace(const TestNamespace&) = delete;
  TestNamespace& operator=(const TestNamespace&) = delete;
  /// IPv4 datagrams reassembled from fragments in the namespace (ReasmOKs of /proc/net/snmp).
  uint64_t reassembled() const {
    std::string snmp;
    if (!runQuietly({"nsenter", "--net=/run/netns/" + name, "cat", "/proc/net/snmp"}, &snmp))
      return 0;
    const size_t names = snmp.find("Ip: ");
    const size_t values = snmp.find("Ip: ", names + 1);
    if (names == std::string::npos || values == std::string::npos)
      return 0;
    std::istringstream n(snmp.substr(names, snmp.find('\n', names) - names)), v(snmp.substr(values));
    std::string key, value;
    while (n >> key && v >> value)
      if (key == "ReasmOKs")
        return std::strtoull(value.c_str(), nullptr, 10);
    return 0;
  }
  /// `ip ARGS` in the namespace, entered with nsenter: `ip -n` makes "/" a slave mount first,
  /// which a chroot refuses (see the test below).
  bool ip(std::vector<std::string> args, std::string* output = nullptr) const {
    args.insert(args.begin(), {"nsenter", "--net=/run/netns/" + name, "ip"});
    return runQuietly(args, output);
  }
};

/// Runs `f` on a thread that entered namespace `ns` (sockets it makes stay in `ns`); false when
/// the thread could not enter it.
bool inNamespace(const TestNamespace& ns, const std::function<void()>& f) {
  bool isEntered = false;
  std::thread t([&] {
    UniqueFd nsFd(::open(("/run/netns/" + ns.name).c_str(), O_RDONLY | O_CLOEXEC));
    if (!nsFd || ::setns(nsFd.get(), CLONE_NEWNET) != 0)
      return;
    isEntered = true;
    f();
  });
  t.join();
  return isEntered;
}

/// A raw AF_PACKET socket on one device: frames written go out of the device, frames read are
/// those the device received.
struct PacketSocket {
  UniqueFd fd;
  int ifindex = 0;

  /// Opens on `device`; call on a thread inside the device's namespace.
  bool open(const std::string& device) {
    ifindex = int(::if_nametoindex(device.c_str()));
    fd.reset(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
    sockaddr_ll a{};
    a.sll_family = AF_PACKET;
    a.sll_protocol = htons(ETH_P_ALL);
    a.sll_ifindex = ifindex;
    return ifindex > 0 && fd && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  bool send(const Frame& f) { return ::send(fd.get(), f.data(), f.size(), 0) == ssize_t(f.size()); }
  /// True when the device receives `expected` within `timeout` (other traffic is skipped).
  bool receives(const Frame& expected, std::chrono::milliseconds timeout = 3000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd.get(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, int(left.count())) != 1)
        return false;
      Frame f(4096);
      sockaddr_ll from{};
      socklen_t length = sizeof(from);
      const ssize_t n = ::recvfrom(fd.get(), f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&from), &length);
      if (n < 0)
        return false;
      f.resize(size_t(n));
      if (from.sll_pkttype != PACKET_OUTGOING && f == expected)
        return true;
    }
  }
};

/// An Ethernet frame of the local experimental EtherType 0x88b5: nothing in the kernel acts on it.
Frame rawFrame(Mac dst, Mac src, uint8_t fill, size_t size) {
  Frame f = frame(dst, src, fill, size);
  f[12] = 0x88;
  f[13] = 0xb5;
  return f;
}

} // namespace

// Hidden from discovery ([.]) and registered by hand in CMakeLists.txt (label 'root'): it needs
// root (network namespaces, a veth pair, a vxlan device), ip and nsenter. It enters the
// namespaces with nsenter --net, not 'ip netns exec' or 'ip -n': those also make "/" a slave mount,
// which the kernel refuses in a chroot whose root is no mount point (scripts/chroot-check.sh).
TEST_CASE("a switch's VXLAN tunnel carries frames both ways to a Linux kernel vxlan device", "[.][switchd][vxlan][root]") {
  if (::geteuid() != 0 || !findExecutable("ip") || !findExecutable("nsenter")) {
    WARN("SKIPPED: needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN for network namespaces), ip and nsenter");
    return;
  }
  const std::string tag = "umlab-vxt-" + std::to_string(::getpid());
  const std::string subnet = "10.199." + std::to_string(::getpid() % 250 + 1) + ".";
  TestNamespace nsA(tag + "-a"), nsB(tag + "-b");
  if (!nsA.isMade || !nsB.isMade) {
    WARN("SKIPPED: needs root: 'ip netns add' failed");
    return;
  }
  // A veth pair between the namespaces, MTU 1500: the 1564-byte outer packets are fragmented.
  REQUIRE(nsA.ip({"link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", nsB.name}));
  REQUIRE(nsA.ip({"addr", "add", subnet + "1/24", "dev", "va"}));
  REQUIRE(nsB.ip({"addr", "add", subnet + "2/24", "dev", "vb"}));
  for (const TestNamespace* ns : {&nsA, &nsB})
    for (const char* device : {"lo", ns == &nsA ? "va" : "vb"})
      REQUIRE(ns->ip({"link", "set", device, "mtu", device[0] == 'l' ? "65536" : "1500", "up"}));
  std::string why;
  if (!nsA.ip({"link", "add", "vx0", "mtu", "1500", "type", "vxlan", "id", "4242", "local", subnet + "1", "remote",
               subnet + "2", "dstport", "4789", "nolearning"},
              &why)) {
    WARN("SKIPPED: needs the kernel's vxlan module: 'ip link add vx0 type vxlan' failed: " + why);
    return;
  }
  REQUIRE(nsA.ip({"link", "set", "vx0", "up"}));

  SwitchProcess sw({"--vxlan-bind", subnet + "2:4789", "--vxlan-vni", "4242", "--vxlan-peer", "kern=" + subnet + "1:4789"},
                   {}, {"nsenter", "--net=/run/netns/" + nsB.name});
  // The switch's data socket is abstract, which is per network namespace: the client lives in B.
  std::optional<UmlClient> client;
  REQUIRE(inNamespace(nsB, [&] { client.emplace(sw.ctl); }));
  REQUIRE(client->join());
  PacketSocket vx0;
  bool isOpen = false;
  REQUIRE(inNamespace(nsA, [&] { isOpen = vx0.open("vx0"); }));
  REQUIRE(isOpen);

  // switchd -> kernel: a broadcast, then a full-size frame (fragmented on the veth).
  const Frame hello = rawFrame(kBroadcast, host(1), 0x11, 60);
  client->send(hello);
  CHECK(vx0.receives(hello));
  const Frame big = rawFrame(kBroadcast, host(1), 0x12, 1514);
  client->send(big);
  CHECK(vx0.receives(big));

  // kernel -> switchd: a unicast to the client's MAC (the switch learnt it), then full size.
  const Frame reply = rawFrame(host(1), host(9), 0x21, 60);
  REQUIRE(vx0.send(reply));
  CHECK(receives(*client, reply));
  const Frame bigReply = rawFrame(host(1), host(9), 0x22, 1514);
  REQUIRE(vx0.send(bigReply));
  CHECK(receives(*client, bigReply));

  AdminClient admin(sw.admin);
  const std::string vxlan = admin.command("show vxlan");
  const std::string ports = admin.command("show ports");
  INFO(vxlan << ports);
  CHECK(contains(ports, " name=kern kind=vxlan address=" + subnet + "1:4789 "));
  CHECK(lineValue(vxlan, "vni") == 4242);
  // The full-size frames crossed as fragments of their outer packets, both ways.
  CHECK(nsA.reassembled() >= 1);
  CHECK(nsB.reassembled() >= 1);
  CHECK(lineValue(vxlan, "drop_unknown_source") == 0);
  CHECK(lineValue(vxlan, "drop_bad_vni") == 0);
  CHECK(lineValue(vxlan, "drop_no_i_flag") == 0);
  CHECK(counter(ports, " name=kern ", "drop_tx_error") == 0);
  CHECK(sw.isRunning());
}
