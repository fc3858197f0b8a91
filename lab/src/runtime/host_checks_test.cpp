#include "umlab/lab/runtime/host_checks.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <map>
#include <set>

using namespace umlab::lab;
using namespace umlab::lab::runtime;

namespace {

constexpr uint64_t kMiB = 1ULL << 20;
constexpr uint64_t kGiB = 1ULL << 30;

/// A host made of maps: what a check sees is what the test put here.
class FakeProbe final : public HostProbe {
public:
  std::map<std::string, std::string> files, env;
  std::set<std::string> executables, readable;
  std::map<std::string, int> openErrors; ///< path -> errno; absent: opens
  std::map<std::string, DirectorySpace> dirs;
  std::map<std::string, std::string> releases;
  std::set<std::string> programs{"newuidmap", "newgidmap"};
  unsigned uid = 0;
  ChildTrial userns, netns, pivot;
  mutable bool netnsInUserNamespace = false;

  std::optional<std::string> readFile(const std::string& p) const override {
    auto it = files.find(p);
    return it == files.end() ? std::nullopt : std::optional(it->second);
  }
  std::string environment(const std::string& n) const override {
    auto it = env.find(n);
    return it == env.end() ? "" : it->second;
  }
  bool isExecutable(const std::string& p) const override { return executables.count(p) != 0; }
  bool isReadable(const std::string& p) const override { return readable.count(p) != 0; }
  int openReadWrite(const std::string& p) const override {
    auto it = openErrors.find(p);
    return it == openErrors.end() ? 0 : it->second;
  }
  std::optional<DirectorySpace> directorySpace(const std::string& d) const override {
    auto it = dirs.find(d);
    return it == dirs.end() ? std::nullopt : std::optional(it->second);
  }
  std::string umlRelease(const std::string& b) const override {
    auto it = releases.find(b);
    return it == releases.end() ? "" : it->second;
  }
  bool hasProgram(const std::string& n) const override { return programs.count(n) != 0; }
  unsigned effectiveUid() const override { return uid; }
  std::string userName() const override { return uid == 0 ? "root" : "alice"; }
  ChildTrial tryUserNamespace() const override { return userns; }
  ChildTrial tryNetworkNamespace(bool inUserNamespace) const override {
    netnsInUserNamespace = inUserNamespace;
    return netns;
  }
  ChildTrial tryPivotRoot(bool) const override { return pivot; }
};

const char* const kDebian = "/usr/bin/linux.uml";
const char* const kOwn = "/c/kernels/umlab-1234/linux";

/// A healthy root host: both kernels, the default image, 8 GiB of RAM.
FakeProbe healthyHost() {
  FakeProbe p;
  p.executables = {kDebian, kOwn};
  p.releases = {{kDebian, "6.1.176"}, {kOwn, "6.1.192-umlab"}};
  p.files["/c/kernels/umlab-1234/recipe.txt"] = "name umlab\nrelease 6.1.192-umlab\n";
  p.files["/c/kernels/umlab-1234/config"] = "#\nCONFIG_UML_NET_DAEMON=y\nCONFIG_UML_NET_MCAST=y\nCONFIG_UML_NET_PCAP=y\n"
                                            "CONFIG_UML_NET_VECTOR=y\n";
  p.readable = {"/c/images/debian/rootfs.img"};
  p.files["/proc/meminfo"] = "MemTotal:        8388608 kB\nMemFree: 1 kB\nMemAvailable:    6291456 kB\n";
  p.files["/proc/sys/user/max_user_namespaces"] = "96369\n";
  p.files["/proc/sys/net/unix/max_dgram_qlen"] = "10\n";
  p.files["/etc/protocols"] = "# Internet (IP) protocols\nip\t0\tIP\nicmp\t1\tICMP\nospf\t89\tOSPFIGP\n";
  p.files["/proc/self/mountinfo"] = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";
  p.dirs["/dev/shm"] = DirectorySpace{false, true, 4 * kGiB, 4 * kGiB};
  p.dirs["/tmp"] = DirectorySpace{false, false, 20 * kGiB, 40 * kGiB};
  return p;
}

HostLayout layout() {
  HostLayout h;
  h.kernel = kDebian;
  h.imageDir = "/c/images";
  h.systemImageDir = "/var/lib/umlab/images";
  h.umlabKernel = kOwn;
  return h;
}

InterfacePlan iface(const std::string& name, const std::string& transport) {
  InterfacePlan i;
  i.name = name;
  i.transport = transport;
  return i;
}

GuestPlan guest(const std::string& name, uint64_t memory, const std::string& kernelName = "debian") {
  GuestPlan g;
  g.name = name;
  g.image = "debian";
  g.basePath = "/c/images/debian/rootfs.img";
  g.memoryBytes = memory;
  g.kernel = kernelName;
  g.argv = {kernelName == "umlab" ? kOwn : kDebian, "mem=" + std::to_string(memory >> 20) + "M"};
  g.interfaces = {iface("eth0", "daemon")};
  return g;
}

LaunchPlan twoGuests() {
  LaunchPlan p;
  p.lab = "lan";
  p.sourcePath = "lan.yaml";
  p.guests = {guest("pc1", 128 * kMiB), guest("pc2", 128 * kMiB)};
  return p;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

TEST_CASE("doctor kernel.debian: present with version, missing, unknown version, 6.16 or later", "[doctor]") {
  FakeProbe p = healthyHost();
  HostCheck c = checkDebianKernel(p, layout(), nullptr);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(c.reason == "/usr/bin/linux.uml, version 6.1.176");
  CHECK(c.fix.empty());

  p.releases[kDebian] = "";
  c = checkDebianKernel(p, layout(), nullptr);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(contains(c.reason, "printed no kernel version"));

  p.releases[kDebian] = "6.16.2";
  c = checkDebianKernel(p, layout(), nullptr);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(contains(c.reason, "Linux 6.16 removed"));
  CHECK(contains(c.fix, "umlab kernel build"));

  p.executables.erase(kDebian);
  c = checkDebianKernel(p, layout(), nullptr);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.fix, "apt-get install user-mode-linux"));

  // A lab that runs only umlab's kernel does not need it.
  LaunchPlan own = twoGuests();
  own.guests = {guest("r1", 64 * kMiB, "umlab")};
  CHECK(checkDebianKernel(p, layout(), &own).status == CheckStatus::Pass);
}

TEST_CASE("doctor kernel.umlab: built, not built and not needed, not built and needed", "[doctor]") {
  FakeProbe p = healthyHost();
  HostCheck c = checkUmlabKernel(p, layout(), nullptr);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(contains(c.reason, "release 6.1.192-umlab"));

  p.executables.erase(kOwn);
  c = checkUmlabKernel(p, layout(), nullptr);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(contains(c.reason, "not built"));

  LaunchPlan own = twoGuests();
  own.guests.push_back(guest("fw", 64 * kMiB, "umlab"));
  c = checkUmlabKernel(p, layout(), &own);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.reason, "node 'fw'"));
  CHECK(contains(c.fix, "umlab kernel build"));
}

TEST_CASE("doctor images: default image, system image, missing, a lab's missing image", "[doctor]") {
  FakeProbe p = healthyHost();
  CHECK(checkImages(p, layout(), nullptr).status == CheckStatus::Pass);
  p.readable = {"/var/lib/umlab/images/debian/rootfs.img"};
  HostCheck c = checkImages(p, layout(), nullptr);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(contains(c.reason, "/var/lib/umlab/images"));
  p.readable.clear();
  c = checkImages(p, layout(), nullptr);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.fix, "umlab image build"));

  LaunchPlan lab = twoGuests();
  GuestPlan web = guest("web", 64 * kMiB);
  web.image = "services";
  web.basePath = "/c/images/services/rootfs.img";
  lab.guests.push_back(web);
  p.readable = {"/c/images/debian/rootfs.img"};
  c = checkImages(p, layout(), &lab);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.reason, "'services'"));
  CHECK(c.fix == "umlab image build --name services (a few minutes each, once)");
  p.readable.insert("/c/images/services/rootfs.img");
  CHECK(checkImages(p, layout(), &lab).status == CheckStatus::Pass);
}

TEST_CASE("doctor userns: works, refused as root (warn), refused rootless (fail) with the sysctl to change", "[doctor]") {
  FakeProbe p = healthyHost();
  HostCheck c = checkUserNamespaces(p);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(contains(c.reason, "user.max_user_namespaces 96369"));

  p.userns = {"unshare(CLONE_NEWUSER)", EPERM};
  p.files["/proc/sys/kernel/unprivileged_userns_clone"] = "0\n";
  c = checkUserNamespaces(p);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(contains(c.reason, "in a child, unshare(CLONE_NEWUSER): Operation not permitted"));
  CHECK(contains(c.fix, "kernel.unprivileged_userns_clone=1"));

  p.files["/proc/self/mountinfo"] = "22 1 8:1 /srv/chroot /proc rw - proc proc rw\n";
  CHECK(contains(checkUserNamespaces(p).fix, "outside the chroot"));
  p.files["/proc/self/mountinfo"] = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";

  p.uid = 1000;
  p.files["/proc/sys/user/max_user_namespaces"] = "0\n";
  c = checkUserNamespaces(p);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.fix, "user.max_user_namespaces=15000"));
}

TEST_CASE("doctor netns: works, refused as root, rootless tries inside a user namespace", "[doctor]") {
  FakeProbe p = healthyHost();
  CHECK(checkNetworkNamespaces(p).status == CheckStatus::Pass);
  CHECK_FALSE(p.netnsInUserNamespace);
  p.netns = {"unshare(CLONE_NEWNET)", EPERM};
  HostCheck c = checkNetworkNamespaces(p);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.fix, "CAP_SYS_ADMIN"));
  p.uid = 1000;
  p.netns = {};
  CHECK(checkNetworkNamespaces(p).status == CheckStatus::Pass);
  CHECK(p.netnsInUserNamespace);
}

TEST_CASE("doctor mountns: pivot_root works, a chroot warns, no mount namespace fails", "[doctor]") {
  FakeProbe p = healthyHost();
  CHECK(checkMountNamespaces(p).status == CheckStatus::Pass);

  p.files["/proc/self/mountinfo"] = "22 1 8:1 /srv/chroot /proc rw - proc proc rw\n";
  p.pivot = {"pivot_root", EINVAL};
  HostCheck c = checkMountNamespaces(p);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(contains(c.reason, "chroot fallback"));
  CHECK(contains(c.reason, "(a chroot)"));

  p = healthyHost();
  p.pivot = {"unshare(CLONE_NEWNS)", EPERM};
  c = checkMountNamespaces(p);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.fix, "--privileged"));
}

TEST_CASE("doctor tun: opens, missing without a lab (warn), missing for a lab with taps (fail), not needed", "[doctor]") {
  FakeProbe p = healthyHost();
  CHECK(checkTun(p, nullptr).status == CheckStatus::Pass);
  p.openErrors["/dev/net/tun"] = ENOENT;
  HostCheck c = checkTun(p, nullptr);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(contains(c.fix, "modprobe tun"));

  LaunchPlan lab = twoGuests();
  CHECK(checkTun(p, &lab).status == CheckStatus::Pass);
  lab.taps.push_back(TapPlan{"umt0", "pc1:eth1"});
  c = checkTun(p, &lab);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.reason, "links to the host"));
  p.openErrors["/dev/net/tun"] = EACCES;
  CHECK(contains(checkTun(p, &lab).fix, "chmod 0666"));
}

TEST_CASE("doctor tmpdir: UML's choice of directory, noexec fails, too small for the lab warns", "[doctor]") {
  FakeProbe p = healthyHost();
  HostCheck c = checkTempDirectory(p, nullptr);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(contains(c.reason, "/dev/shm (/dev/shm, a tmpfs)"));

  p.dirs["/dev/shm"].isTmpfs = false;
  CHECK(contains(checkTempDirectory(p, nullptr).reason, "/tmp (/tmp, as /dev/shm is no tmpfs)"));

  p.env["TMPDIR"] = "/scratch";
  c = checkTempDirectory(p, nullptr);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.reason, "does not exist"));

  p.dirs["/scratch"] = DirectorySpace{true, true, 1 * kGiB, 1 * kGiB};
  c = checkTempDirectory(p, nullptr);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.reason, "/scratch ($TMPDIR) is mounted noexec"));
  CHECK(contains(c.fix, "TMPDIR"));

  p.dirs["/scratch"] = DirectorySpace{false, true, 200 * kMiB, 1 * kGiB};
  LaunchPlan lab = twoGuests();
  CHECK(checkTempDirectory(p, nullptr).status == CheckStatus::Pass);
  c = checkTempDirectory(p, &lab);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(contains(c.reason, "256M of guest memory"));
}

TEST_CASE("doctor guest-tmpfs: half of MemTotal holds each guest, a larger guest fails", "[doctor]") {
  FakeProbe p = healthyHost();
  LaunchPlan lab = twoGuests();
  HostCheck c = checkGuestTmpfs(p, &lab);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(contains(c.reason, "4.0G"));
  lab.guests.push_back(guest("big", 5 * kGiB));
  c = checkGuestTmpfs(p, &lab);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.reason, "node 'big'"));
  p.files.erase("/proc/meminfo");
  CHECK(checkGuestTmpfs(p, &lab).status == CheckStatus::Warn);
}

TEST_CASE("doctor memory: reported without a lab, enough, nearly all, more than free, more than the machine", "[doctor]") {
  FakeProbe p = healthyHost(); // MemTotal 8G, MemAvailable 6G, no swap
  HostCheck c = checkFreeMemory(p, nullptr);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(c.reason == "MemAvailable 6.0G");
  LaunchPlan lab = twoGuests();
  CHECK(checkFreeMemory(p, &lab).status == CheckStatus::Pass);
  lab.guests = {guest("a", 5 * kGiB)};
  CHECK(checkFreeMemory(p, &lab).status == CheckStatus::Warn);
  // More than is free: it boots (UML touches memory lazily), with a warning.
  lab.guests.push_back(guest("b", 2 * kGiB));
  c = checkFreeMemory(p, &lab);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(contains(c.reason, "the lab's 2 guests 7.0G"));
  CHECK(contains(c.reason, "more than is free"));
  // More than memory and swap together: refused.
  lab.guests.push_back(guest("c", 2 * kGiB));
  c = checkFreeMemory(p, &lab);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.reason, "more than this machine's memory and swap (8.0G)"));
  p.files["/proc/meminfo"] += "SwapTotal:       4194304 kB\n";
  CHECK(checkFreeMemory(p, &lab).status == CheckStatus::Warn);
  p.files.erase("/proc/meminfo");
  CHECK(checkFreeMemory(p, nullptr).status == CheckStatus::Warn);
}

TEST_CASE("doctor kernel.transports: legacy transports on 6.1 and on 6.16, pcap needs the config", "[doctor]") {
  FakeProbe p = healthyHost();
  CHECK(checkTransports(p, nullptr).status == CheckStatus::Pass);
  LaunchPlan lab = twoGuests();
  lab.guests[1].interfaces.push_back(iface("eth1", "mcast"));
  HostCheck c = checkTransports(p, &lab);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(contains(c.reason, "/usr/bin/linux.uml 6.1.176"));

  p.releases[kDebian] = "6.16.0";
  c = checkTransports(p, &lab);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.reason, "node 'pc1' eth0 uses the daemon transport"));
  CHECK(contains(c.reason, "(and 2 more)"));
  CHECK(contains(c.fix, "give nodes 'pc1' and 'pc2' 'kernel: umlab'"));
  lab.guests.push_back(guest("pc3", 64 * kMiB));
  lab.guests.push_back(guest("pc4", 64 * kMiB));
  CHECK(contains(checkTransports(p, &lab).fix, "give nodes 'pc1', 'pc2', 'pc3' and 1 more 'kernel: umlab'"));
  lab.guests.resize(1);
  CHECK(contains(checkTransports(p, &lab).fix, "give node 'pc1' 'kernel: umlab'"));
  lab = twoGuests();

  // bess is a vector transport: it outlives 6.16.
  for (GuestPlan& g : lab.guests)
    g.interfaces = {iface("eth0", "bess")};
  CHECK(checkTransports(p, &lab).status == CheckStatus::Pass);

  // pcap: umlab's build has it by its config; one without CONFIG_UML_NET_PCAP does not.
  lab.guests = {guest("ids", 64 * kMiB, "umlab")};
  lab.guests[0].interfaces = {iface("eth1", "pcap")};
  CHECK(checkTransports(p, &lab).status == CheckStatus::Pass);
  p.files["/c/kernels/umlab-1234/config"] = "#\nCONFIG_UML_NET_DAEMON=y\nCONFIG_UML_NET_VECTOR=y\n";
  c = checkTransports(p, &lab);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.reason, "node 'ids' eth1 uses the pcap transport"));
  CHECK(contains(c.fix, "umlab.config"));
  // A file named config beside a binary that is not one of umlab's builds is not read.
  p.files.erase("/c/kernels/umlab-1234/recipe.txt");
  CHECK(checkTransports(p, &lab).status == CheckStatus::Fail); // pcap: only a build's config says so
  p.files["/usr/bin/config"] = "nothing about UML\n";
  p.releases[kDebian] = "6.1.176";
  lab.guests = {guest("pc1", 64 * kMiB)};
  CHECK(checkTransports(p, &lab).status == CheckStatus::Pass);
  p.files["/c/kernels/umlab-1234/recipe.txt"] = "name umlab\n";
  lab.guests = {guest("ids", 64 * kMiB, "umlab")};
  lab.guests[0].interfaces = {iface("eth1", "pcap")};
  c = checkTransports(p, &lab);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.fix, "umlab.config"));
}

TEST_CASE("doctor mode: root, rootless with subordinate ids, rootless without them", "[doctor]") {
  FakeProbe p = healthyHost();
  CHECK(checkMode(p).status == CheckStatus::Pass);
  p.uid = 1000;
  p.files["/etc/subuid"] = "alice:100000:65536\n";
  p.files["/etc/subgid"] = "alice:100000:65536\n";
  HostCheck c = checkMode(p);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(contains(c.reason, "65536 uids from 100000"));
  p.programs.clear();
  c = checkMode(p);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(contains(c.reason, "no newuidmap/newgidmap"));
  CHECK(contains(c.fix, "apt-get install uidmap"));
  p.files.erase("/etc/subuid");
  CHECK(contains(checkMode(p).reason, "no /etc/subuid range"));
}

TEST_CASE("doctor dgram-queue: a lab namespace raises it, refuses it, none to try", "[doctor]") {
  FakeProbe p = healthyHost();
  HostCheck c = checkDatagramQueue(p);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(contains(c.reason, "host net.unix.max_dgram_qlen 10"));
  p.netns = {"write net.unix.max_dgram_qlen in the new namespace", EROFS};
  c = checkDatagramQueue(p);
  CHECK(c.status == CheckStatus::Fail);
  CHECK(contains(c.fix, "/proc/sys writable"));
  // The namespace itself works, so 'netns' passes: this check names the failure.
  CHECK(checkNetworkNamespaces(p).status == CheckStatus::Pass);
  p.netns = {"unshare(CLONE_NEWNET)", EPERM};
  CHECK(checkDatagramQueue(p).status == CheckStatus::Warn);
}

TEST_CASE("doctor protocols: /etc/protocols present, or missing as in a minbase root", "[doctor]") {
  FakeProbe p = healthyHost();
  HostCheck c = checkProtocols(p);
  CHECK(c.status == CheckStatus::Pass);
  CHECK(c.reason == "/etc/protocols names 3 protocols, for filters such as 'proto ospf'");
  CHECK(c.fix.empty());
  p.files.erase("/etc/protocols");
  c = checkProtocols(p);
  CHECK(c.status == CheckStatus::Warn);
  CHECK(contains(c.reason, "libpcap would match protocol 0"));
  CHECK(contains(c.fix, "apt-get install netbase"));
}

TEST_CASE("doctor runLaunchChecks: only the cheap checks, and a lab too big fails", "[doctor]") {
  FakeProbe p = healthyHost();
  LaunchPlan lab = twoGuests();
  std::vector<HostCheck> checks = runLaunchChecks(p, lab);
  REQUIRE(checks.size() == 4);
  for (const HostCheck& c : checks)
    CHECK(c.status == CheckStatus::Pass);
  lab.guests.push_back(guest("huge", 64 * kGiB));
  checks = runLaunchChecks(p, lab);
  CHECK(std::any_of(checks.begin(), checks.end(),
                    [](const HostCheck& c) { return c.id == "memory" && c.status == CheckStatus::Fail; }));
  CHECK(runHostChecks(p, layout(), nullptr).size() == 14);
}

TEST_CASE("doctor parseKernelVersion", "[doctor]") {
  CHECK(parseKernelVersion("6.1.176") == std::make_pair(6u, 1u));
  CHECK(parseKernelVersion("6.16-rc1") == std::make_pair(6u, 16u));
  CHECK_FALSE(parseKernelVersion("linux"));
  CHECK_FALSE(parseKernelVersion(""));
}
