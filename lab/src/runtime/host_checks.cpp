// The host checks (host_checks.hpp): pure functions of what a HostProbe reports, the layout and
// an optional plan; the real probe is system_host_probe.cpp.
#include "umlab/lab/runtime/host_checks.hpp"

#include "umlab/kernel/image_store.hpp"
#include "umlab/kernel/kernel_recipe.hpp"
#include "umlab/kernel/system_images.hpp"
#include "umlab/lab/runtime/user_namespace.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace umlab::lab::runtime {

namespace fs = std::filesystem;

const char* checkStatusName(CheckStatus s) {
  switch (s) {
  case CheckStatus::Pass: return "pass";
  case CheckStatus::Warn: return "warn";
  case CheckStatus::Fail: return "fail";
  }
  return "fail";
}

std::string ChildTrial::describe() const {
  return isOk() ? "ok" : failedStep + ": " + std::strerror(error);
}

std::optional<std::pair<unsigned, unsigned>> parseKernelVersion(const std::string& release) {
  unsigned major = 0, minor = 0;
  char dot = 0;
  std::istringstream in(release);
  if (!(in >> major >> dot >> minor) || dot != '.')
    return std::nullopt;
  return std::make_pair(major, minor);
}

// ---- the checks ----------------------------------------------------------------------------

namespace {

/// "in a child, unshare(CLONE_NEWNET): ok" or "in a child, pivot_root: Invalid argument".
std::string childSaid(const std::string& what, const ChildTrial& t) {
  return "in a child, " + (t.isOk() ? what + ": ok" : t.describe());
}

/// Whether "/" is a mount point of this process (/proc/self/mountinfo shows mount points relative
/// to the process's root, so in a chroot onto a plain directory it has no "/"); true when unreadable.
bool rootIsMountPoint(const HostProbe& probe) {
  const std::optional<std::string> text = probe.readFile("/proc/self/mountinfo");
  if (!text)
    return true;
  std::istringstream info(*text);
  for (std::string line; std::getline(info, line);) {
    std::istringstream fields(line);
    std::string mountId, parent, devs, root, mountPoint;
    if (fields >> mountId >> parent >> devs >> root >> mountPoint && mountPoint == "/")
      return true;
  }
  return false;
}

HostCheck make(const char* id, const char* title, CheckStatus status, std::string reason, std::string fix = "") {
  return HostCheck{id, title, status, std::move(reason), status == CheckStatus::Pass ? "" : std::move(fix)};
}

std::string trimmed(const std::optional<std::string>& text) {
  if (!text)
    return "";
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

/// A /proc/meminfo field in bytes ("MemAvailable"), nullopt when absent.
std::optional<uint64_t> meminfoBytes(const HostProbe& probe, const std::string& field) {
  const std::optional<std::string> text = probe.readFile("/proc/meminfo");
  if (!text)
    return std::nullopt;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0)
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10) * 1024;
  return std::nullopt;
}

uint64_t totalGuestMemory(const LaunchPlan& plan) {
  uint64_t sum = 0;
  for (const GuestPlan& g : plan.guests)
    sum += g.memoryBytes;
  return sum;
}

std::string guestCount(size_t n) { return std::to_string(n) + (n == 1 ? " guest" : " guests"); }

bool isRootless(const HostProbe& probe) { return probe.effectiveUid() != 0; }

/// The kernel binary a guest runs: its argv[0].
std::string kernelOf(const GuestPlan& g) { return g.argv.empty() ? std::string() : g.argv.front(); }

/// The UML transports a kernel has, from its build's `config` beside it when there is one (umlab's
/// builds), else from its version (Debian's 6.1: daemon, mcast, vector; never pcap).
std::set<std::string> kernelTransports(const HostProbe& probe, const std::string& binary, const std::string& release) {
  std::set<std::string> have;
  const auto version = parseKernelVersion(release);
  const bool isLegacyEra = !version || *version < std::make_pair(6u, 16u);
  // Only umlab's builds keep their config beside the binary (with recipe.txt, kernel_builder.hpp).
  const fs::path dir = fs::path(binary).parent_path();
  std::optional<std::string> config;
  if (probe.readFile((dir / "recipe.txt").string()))
    config = probe.readFile((dir / "config").string());
  if (config) {
    auto enabled = [&](const std::string& option) { return config->find("\n" + option + "=y") != std::string::npos; };
    if (isLegacyEra && enabled("CONFIG_UML_NET_DAEMON"))
      have.insert("daemon");
    if (isLegacyEra && enabled("CONFIG_UML_NET_MCAST"))
      have.insert("mcast");
    if (isLegacyEra && enabled("CONFIG_UML_NET_PCAP"))
      have.insert("pcap");
    if (enabled("CONFIG_UML_NET_VECTOR"))
      have.insert({"bess", "tap"});
    return have;
  }
  if (isLegacyEra)
    have.insert({"daemon", "mcast"});
  have.insert({"bess", "tap"});
  return have;
}

std::string imageBuildCommand(const LaunchPlan& plan, const GuestPlan& g) {
  // A built-in image is reached through <images>/<name>; a topology's own through <name>-<hash>.
  const bool isTopologyImage = fs::path(g.basePath).parent_path().filename() != g.image;
  if (isTopologyImage)
    return "umlab image build " + plan.sourcePath;
  return "umlab image build" + (g.image == "debian" ? std::string() : " --name " + g.image);
}

} // namespace

HostCheck checkDebianKernel(const HostProbe& probe, const HostLayout& host, const LaunchPlan* plan) {
  const char* id = "kernel.debian";
  const char* title = "UML kernel (linux.uml)";
  std::vector<std::string> users;
  if (plan)
    for (const GuestPlan& g : plan->guests)
      if (g.kernel != kernel::kUmlabKernelName)
        users.push_back(g.name);
  if (plan && users.empty())
    return make(id, title, CheckStatus::Pass, "no node of the lab runs it (every node has 'kernel: umlab')");
  if (!probe.isExecutable(host.kernel))
    return make(id, title, CheckStatus::Fail, "'" + host.kernel + "' is missing or not executable",
                "apt-get install user-mode-linux, or set UMLAB_KERNEL to a UML kernel binary");
  const std::string release = probe.umlRelease(host.kernel);
  if (release.empty())
    return make(id, title, CheckStatus::Warn,
                "'" + host.kernel + " --version' printed no kernel version: is it a UML kernel?",
                "apt-get install user-mode-linux, or set UMLAB_KERNEL to a UML kernel binary");
  const auto version = parseKernelVersion(release);
  if (version && *version >= std::make_pair(6u, 16u))
    return make(id, title, CheckStatus::Warn,
                host.kernel + ", version " + release +
                    ": Linux 6.16 removed UML's daemon, mcast and pcap transports, which switch, hub and mcast "
                    "segments use",
                "'umlab kernel build' and give the nodes 'kernel: umlab', or install a UML kernel older than 6.16 "
                "(UMLAB_KERNEL=PATH)");
  return make(id, title, CheckStatus::Pass, host.kernel + ", version " + release);
}

HostCheck checkUmlabKernel(const HostProbe& probe, const HostLayout& host, const LaunchPlan* plan) {
  const char* id = "kernel.umlab";
  const char* title = "umlab's own kernel build";
  std::vector<std::string> users;
  if (plan)
    for (const GuestPlan& g : plan->guests)
      if (g.kernel == kernel::kUmlabKernelName)
        users.push_back(g.name);
  if (probe.isExecutable(host.umlabKernel)) {
    std::string release;
    std::istringstream recipe(
        probe.readFile((fs::path(host.umlabKernel).parent_path() / "recipe.txt").string()).value_or(""));
    for (std::string line; std::getline(recipe, line);)
      if (line.rfind("release ", 0) == 0)
        release = line.substr(8);
    return make(id, title, CheckStatus::Pass,
                host.umlabKernel + (release.empty() ? "" : ", release " + release) + " ('umlab kernel ls')");
  }
  const std::string build = std::string("umlab kernel build (") + kernel::kKernelBuildTime + ", once)";
  if (!users.empty())
    return make(id, title, CheckStatus::Fail,
                "node '" + users.front() + "'" + (users.size() > 1 ? " and " + std::to_string(users.size() - 1) + " more" : "") +
                    " run on 'kernel: umlab', which is not built ('" + host.umlabKernel + "' is missing)",
                build);
  return make(id, title, CheckStatus::Pass,
              "not built; only nodes with 'kernel: umlab' need it (nftables, UML's pcap transport; after Linux 6.16 "
              "also the daemon and mcast transports): '" + build + "'");
}

HostCheck checkImages(const HostProbe& probe, const HostLayout& host, const LaunchPlan* plan) {
  const char* id = "images";
  const char* title = "base images";
  if (!plan) {
    for (const std::string& dir : {host.imageDir, host.systemImageDir})
      if (!dir.empty() && probe.isReadable(dir + "/debian/rootfs.img"))
        return make(id, title, CheckStatus::Pass, "the default image: " + dir + "/debian/rootfs.img");
    return make(id, title, CheckStatus::Fail,
                "the default image 'debian' is not built (no " + host.imageDir + "/debian/rootfs.img" +
                    (host.systemImageDir.empty() ? "" : " nor " + host.systemImageDir + "/debian/rootfs.img") + ")",
                probe.effectiveUid() == 0 ? "umlab image build (a few minutes, once)"
                                          : "umlab image build, or ask root for 'umlab image build --system'");
  }
  std::map<std::string, const GuestPlan*> bases;
  for (const GuestPlan& g : plan->guests)
    bases.emplace(g.basePath, &g);
  std::vector<std::string> missing, commands;
  for (const auto& [path, g] : bases)
    if (!probe.isReadable(path)) {
      missing.push_back("'" + g->image + "' (" + path + ")");
      const std::string command = imageBuildCommand(*plan, *g);
      if (std::find(commands.begin(), commands.end(), command) == commands.end())
        commands.push_back(command);
    }
  if (missing.empty())
    return make(id, title, CheckStatus::Pass,
                std::to_string(bases.size()) + (bases.size() == 1 ? " image" : " images") + " the lab boots, all built");
  std::string list, run;
  for (size_t i = 0; i < missing.size(); ++i)
    list += (i ? ", " : "") + missing[i];
  for (size_t i = 0; i < commands.size(); ++i)
    run += (i ? " && " : "") + commands[i];
  return make(id, title, CheckStatus::Fail, "not built: " + list, run + " (a few minutes each, once)");
}

HostCheck checkUserNamespaces(const HostProbe& probe) {
  const char* id = "userns";
  const char* title = "user namespaces";
  const ChildTrial t = probe.tryUserNamespace();
  const std::string maxCount = trimmed(probe.readFile("/proc/sys/user/max_user_namespaces"));
  const std::string debianClone = trimmed(probe.readFile("/proc/sys/kernel/unprivileged_userns_clone"));
  const std::string apparmor = trimmed(probe.readFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"));
  std::string reason = childSaid("unshare(CLONE_NEWUSER)", t);
  reason += "; user.max_user_namespaces " + (maxCount.empty() ? std::string("unreadable") : maxCount);
  if (!debianClone.empty())
    reason += "; kernel.unprivileged_userns_clone " + debianClone;
  if (!apparmor.empty())
    reason += "; kernel.apparmor_restrict_unprivileged_userns " + apparmor;
  if (t.isOk())
    return make(id, title, CheckStatus::Pass, reason);
  std::string fix;
  if (!rootIsMountPoint(probe))
    fix = "run umlab outside the chroot: the kernel refuses user namespaces to a chrooted process (EPERM), so "
          "rootless labs cannot run in one";
  else if (maxCount == "0")
    fix = "sysctl -w user.max_user_namespaces=15000 (as root; in /etc/sysctl.d/ to keep it)";
  else if (debianClone == "0")
    fix = "sysctl -w kernel.unprivileged_userns_clone=1 (as root; in /etc/sysctl.d/ to keep it)";
  else if (apparmor == "1")
    fix = "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile allowing userns for umlab";
  else
    fix = "in a container: allow unshare (Docker/Podman: --security-opt seccomp=unconfined, or --privileged); "
          "else run umlab as root";
  if (!isRootless(probe))
    return make(id, title, CheckStatus::Warn, reason + " (root-run labs do not need them; rootless labs do)", fix);
  return make(id, title, CheckStatus::Fail, reason + " (rootless labs need one per lab)", fix);
}

HostCheck checkNetworkNamespaces(const HostProbe& probe) {
  const char* id = "netns";
  const char* title = "network namespaces";
  const bool rootless = isRootless(probe);
  const ChildTrial t = probe.tryNetworkNamespace(rootless);
  const std::string how = rootless ? "unshare(CLONE_NEWUSER | CLONE_NEWNET)" : "unshare(CLONE_NEWNET)";
  if (t.isOk() || t.failedStep.rfind("write net.unix", 0) == 0)
    return make(id, title, CheckStatus::Pass, childSaid(how, {}) + " (every lab runs in its own)");
  return make(id, title, CheckStatus::Fail, childSaid(how, t) + " (every lab runs in its own)",
              rootless ? "make user namespaces work first (see 'userns'), or run umlab as root"
                       : "give umlab CAP_SYS_ADMIN: in a container, --privileged (or --cap-add SYS_ADMIN with "
                         "--security-opt seccomp=unconfined)");
}

HostCheck checkMountNamespaces(const HostProbe& probe) {
  const char* id = "mountns";
  const char* title = "mount namespaces and pivot_root";
  const bool rootless = isRootless(probe);
  const ChildTrial t = probe.tryPivotRoot(rootless);
  // pivot_root (and making "/" private) needs the process's root to be a mount point; in a chroot
  // onto a plain directory it is not.
  const bool hasRootMount = rootIsMountPoint(probe);
  const std::string reason = childSaid("a new mount namespace, / private, a tmpfs, pivot_root", t) +
                             (hasRootMount ? "" : "; '/' is not a mount point here (a chroot)");
  if (t.isOk())
    return make(id, title, CheckStatus::Pass, reason);
  if (!hasRootMount || (t.failedStep == "pivot_root" && t.error == EINVAL))
    return make(id, title, CheckStatus::Warn, reason + ": guests' jail uses the chroot fallback",
                "run umlab outside the chroot (or make its root a mount point: mount --bind DIR DIR before chroot "
                "DIR) for the full jail");
  return make(id, title, CheckStatus::Fail, reason + " (every guest runs in such a jail)",
              rootless ? "make user namespaces work first (see 'userns'), or run umlab as root"
                       : "give umlab CAP_SYS_ADMIN: in a container, --privileged (or --cap-add SYS_ADMIN with "
                         "--security-opt seccomp=unconfined apparmor=unconfined)");
}

HostCheck checkTun(const HostProbe& probe, const LaunchPlan* plan) {
  const char* id = "tun";
  const char* title = "/dev/net/tun";
  std::string user;
  if (plan && !plan->taps.empty())
    user = "the lab's links to the host";
  else if (plan && std::any_of(plan->switches.begin(), plan->switches.end(),
                               [](const SwitchPlan& s) { return !s.mirrorTap.empty(); }))
    user = "the lab's pcap monitors";
  const int e = probe.openReadWrite("/dev/net/tun");
  if (e == 0)
    return make(id, title, CheckStatus::Pass, "opens read-write (links to the host and pcap monitors need it)");
  if (plan && user.empty())
    return make(id, title, CheckStatus::Pass,
                std::string("cannot open it (") + std::strerror(e) + "); the lab has no links to the host or pcap monitors");
  const std::string fix = e == EACCES ? "chmod 0666 /dev/net/tun (Debian's default mode), or run umlab as root"
                                      : "modprobe tun; in a container: --device /dev/net/tun";
  const std::string reason = std::string("open read-write: ") + std::strerror(e);
  if (user.empty())
    return make(id, title, CheckStatus::Warn, reason + " (links to the host and pcap monitors need it)", fix);
  return make(id, title, CheckStatus::Fail, reason + "; " + user + " need it", fix);
}

HostCheck checkTempDirectory(const HostProbe& probe, const LaunchPlan* plan) {
  const char* id = "tmpdir";
  const char* title = "UML's memory file directory";
  // UML's own choice (arch/um/os-Linux/mem.c): the first non-empty of these, else /dev/shm if
  // it is tmpfs, else /tmp.
  std::string dir, from;
  for (const char* v : {"TMPDIR", "TMP", "TEMP"})
    if (std::string value = probe.environment(v); !value.empty()) {
      dir = value;
      from = std::string("$") + v;
      break;
    }
  if (dir.empty()) {
    const std::optional<DirectorySpace> shm = probe.directorySpace("/dev/shm");
    dir = shm && shm->isTmpfs ? "/dev/shm" : "/tmp";
    from = dir == "/dev/shm" ? "/dev/shm, a tmpfs" : "/tmp, as /dev/shm is no tmpfs";
  }
  const std::optional<DirectorySpace> space = probe.directorySpace(dir);
  const std::string what = dir + " (" + from + ")";
  if (!space)
    return make(id, title, CheckStatus::Fail, what + " does not exist",
                "create it, or point TMPDIR at an exec-allowed tmpfs with room for the guests' memory");
  if (space->isNoexec)
    return make(id, title, CheckStatus::Fail,
                what + " is mounted noexec: UML maps its memory file executable and exits at once (umlab's jailed "
                       "guests use a private tmpfs instead; UML run by hand, or a jail without its tmpfs, uses this)",
                "export TMPDIR=DIR with DIR on an exec-allowed tmpfs (mount -o remount,exec " + dir +
                    ", or mount -t tmpfs -o size=4g tmpfs DIR)");
  std::string reason = what + ": exec allowed, " + kernel::formatSize(space->freeBytes) + " free" +
                       (space->isTmpfs ? " (tmpfs)" : " (not tmpfs: guest memory goes to disk)");
  reason += "; UML outside umlab's jail keeps guest RAM here (umlab's guests use a private tmpfs, see 'guest-tmpfs')";
  if (plan && totalGuestMemory(*plan) > space->freeBytes)
    return make(id, title, CheckStatus::Warn,
                reason + "; smaller than the lab's " + kernel::formatSize(totalGuestMemory(*plan)) + " of guest memory",
                "point TMPDIR at a tmpfs with at least " + kernel::formatSize(totalGuestMemory(*plan)) + " free");
  return make(id, title, CheckStatus::Pass, reason);
}

HostCheck checkGuestTmpfs(const HostProbe& probe, const LaunchPlan* plan) {
  const char* id = "guest-tmpfs";
  const char* title = "guests' private tmpfs";
  const std::optional<uint64_t> total = meminfoBytes(probe, "MemTotal");
  if (!total)
    return make(id, title, CheckStatus::Warn, "/proc/meminfo has no MemTotal: cannot size the guests' tmpfs",
                "mount /proc (the jail's tmpfs defaults to half of MemTotal)");
  const uint64_t size = *total / 2;
  const std::string reason = "each guest's RAM file sits in its jail's own tmpfs /tmp, " + kernel::formatSize(size) +
                             " (half of MemTotal, the tmpfs default)";
  if (!plan)
    return make(id, title, CheckStatus::Pass, reason);
  const GuestPlan* largest = nullptr;
  for (const GuestPlan& g : plan->guests)
    if (!largest || g.memoryBytes > largest->memoryBytes)
      largest = &g;
  if (largest && largest->memoryBytes > size)
    return make(id, title, CheckStatus::Fail,
                reason + "; node '" + largest->name + "' has " + kernel::formatSize(largest->memoryBytes) +
                    " of memory and dies with SIGBUS when it touches the rest",
                "give node '" + largest->name + "' at most 'memory: " + kernel::formatSize(size) + "'");
  return make(id, title, CheckStatus::Pass,
              reason + (largest ? "; the largest guest, '" + largest->name + "', has " + kernel::formatSize(largest->memoryBytes)
                                : std::string()));
}

HostCheck checkFreeMemory(const HostProbe& probe, const LaunchPlan* plan) {
  const char* id = "memory";
  const char* title = "free memory";
  const std::optional<uint64_t> available = meminfoBytes(probe, "MemAvailable");
  if (!available)
    return make(id, title, CheckStatus::Warn, "/proc/meminfo has no MemAvailable", "mount /proc");
  std::string reason = "MemAvailable " + kernel::formatSize(*available);
  if (!plan)
    return make(id, title, CheckStatus::Pass, reason);
  const uint64_t need = totalGuestMemory(*plan);
  reason += ", the lab's " + guestCount(plan->guests.size()) + " " + kernel::formatSize(need);
  // UML touches its memory lazily (an idle guest holds ~30 MiB of its 'memory:'), so a lab
  // bigger than what is free boots; one bigger than all of the machine's memory and swap could
  // never have its guests use their memory, and is refused.
  const uint64_t total = meminfoBytes(probe, "MemTotal").value_or(0) + meminfoBytes(probe, "SwapTotal").value_or(0);
  if (total > 0 && need > total)
    return make(id, title, CheckStatus::Fail,
                reason + ": more than this machine's memory and swap (" + kernel::formatSize(total) + ")",
                "lower the nodes' 'memory:' (defaults: {memory: ...}), or run the lab on several hosts "
                "('umlab up --engine slurm')");
  if (need > *available)
    return make(id, title, CheckStatus::Warn,
                reason + ": more than is free; the guests boot (UML touches memory lazily) but cannot all use "
                         "their memory at once",
                "free memory (stop other labs: 'umlab ps'), or lower the nodes' 'memory:' (defaults: {memory: ...})");
  if (need > *available / 4 * 3)
    return make(id, title, CheckStatus::Warn, reason + ": more than 3/4 of what is available",
                "free memory (stop other labs: 'umlab ps'), or lower the nodes' 'memory:'");
  return make(id, title, CheckStatus::Pass, reason);
}

HostCheck checkTransports(const HostProbe& probe, const LaunchPlan* plan) {
  const char* id = "kernel.transports";
  const char* title = "UML kernel vs transports";
  if (!plan)
    return make(id, title, CheckStatus::Pass, "no lab given: 'umlab doctor LAB.yaml' checks its nodes' transports");
  std::map<std::string, std::string> releases;                // binary -> release
  std::map<std::string, std::set<std::string>> transports;    // binary -> the transports it has
  std::vector<std::string> problems;
  std::vector<std::string> debianNodes; // nodes on a kernel other than umlab's that lack a transport
  bool isUmlabKernelShort = false;
  std::string fix;
  for (const GuestPlan& g : plan->guests) {
    const std::string binary = kernelOf(g);
    if (binary.empty())
      continue;
    if (!releases.count(binary))
      releases[binary] = probe.isExecutable(binary) ? probe.umlRelease(binary) : "";
    const std::string& release = releases[binary];
    if (release.empty())
      continue; // 'kernel.debian' / 'kernel.umlab' say what is missing
    if (!transports.count(binary))
      transports[binary] = kernelTransports(probe, binary, release);
    const std::set<std::string>& have = transports[binary];
    for (const InterfacePlan& i : g.interfaces) {
      if (have.count(i.transport))
        continue;
      problems.push_back("node '" + g.name + "' " + i.name + " uses the " + i.transport + " transport, which its kernel " +
                         binary + " (" + release + ") lacks");
      if (g.kernel == kernel::kUmlabKernelName)
        isUmlabKernelShort = true;
      else if (std::find(debianNodes.begin(), debianNodes.end(), g.name) == debianNodes.end())
        debianNodes.push_back(g.name);
    }
  }
  if (!debianNodes.empty()) {
    std::string names; // "'a'", "'a' and 'b'", "'a', 'b', 'c' and 2 more"
    const size_t shown = std::min<size_t>(debianNodes.size(), 3);
    for (size_t n = 0; n < shown; ++n) {
      const bool isLast = n + 1 == shown && shown == debianNodes.size();
      names += std::string(n == 0 ? "" : isLast ? " and " : ", ") + "'" + debianNodes[n] + "'";
    }
    if (debianNodes.size() > 3)
      names += " and " + std::to_string(debianNodes.size() - 3) + " more";
    fix = std::string(debianNodes.size() == 1 ? "give node " : "give nodes ") + names +
          " 'kernel: umlab' ('umlab kernel build'), or install a UML kernel older than 6.16 (UMLAB_KERNEL=PATH), "
          "or use switch segments with 'transport: bess' (UML's vector transport, which 6.16 kept)";
  }
  if (isUmlabKernelShort)
    fix += std::string(fix.empty() ? "" : "; and ") +
           "rebuild umlab's kernel from its recipe ('umlab kernel build'; kernel/uml/umlab.config enables daemon, "
           "mcast, pcap and vector)";
  if (!problems.empty()) {
    std::string reason = problems.front();
    if (problems.size() > 1)
      reason += " (and " + std::to_string(problems.size() - 1) + " more)";
    return make(id, title, CheckStatus::Fail, reason, fix);
  }
  std::string kernels;
  for (const auto& [binary, release] : releases)
    kernels += (kernels.empty() ? "" : ", ") + binary + " " + (release.empty() ? "(version unknown)" : release);
  return make(id, title, CheckStatus::Pass, "every guest's transports are in its kernel: " + kernels);
}

HostCheck checkMode(const HostProbe& probe) {
  const char* id = "mode";
  const char* title = "root or rootless";
  if (!isRootless(probe))
    return make(id, title, CheckStatus::Pass,
                "root: each lab gets its own network namespace; guests run as an unprivileged lab uid in a jail");
  const std::string user = probe.userName();
  const unsigned uid = probe.effectiveUid();
  const auto subuid = findSubordinateRange(probe.readFile("/etc/subuid").value_or(""), user, uid);
  const auto subgid = findSubordinateRange(probe.readFile("/etc/subgid").value_or(""), user, uid);
  const bool hasHelpers = probe.hasProgram("newuidmap") && probe.hasProgram("newgidmap");
  std::string reason = "rootless (" + user + "): labs run in a user namespace the user owns";
  if (subuid && subgid && hasHelpers)
    return make(id, title, CheckStatus::Pass,
                reason + "; guests run as a subordinate id (" + std::to_string(subuid->count) + " uids from " +
                    std::to_string(subuid->start) + " in /etc/subuid, newuidmap present)");
  std::vector<std::string> missing;
  if (!subuid)
    missing.push_back("no /etc/subuid range");
  if (!subgid)
    missing.push_back("no /etc/subgid range");
  if (!hasHelpers)
    missing.push_back("no newuidmap/newgidmap");
  std::string why;
  for (size_t i = 0; i < missing.size(); ++i)
    why += (i ? ", " : "") + missing[i];
  return make(id, title, CheckStatus::Warn,
              reason + "; guests run as " + user + " itself (capabilities dropped): " + why,
              std::string(hasHelpers ? "" : "apt-get install uidmap; ") + "usermod --add-subuids 100000-165535 " +
                  "--add-subgids 100000-165535 " + user + " (as root)");
}

HostCheck checkDatagramQueue(const HostProbe& probe) {
  const char* id = "dgram-queue";
  const char* title = "switch socket queue";
  const std::string host = trimmed(probe.readFile("/proc/sys/net/unix/max_dgram_qlen"));
  const ChildTrial t = probe.tryNetworkNamespace(isRootless(probe));
  const std::string reason = "host net.unix.max_dgram_qlen " + (host.empty() ? std::string("unreadable") : host) +
                             "; labs do not use it: each lab's namespace raises its own to 512 before any switch "
                             "starts (daemon-transport frames cross two such queues)";
  if (t.isOk())
    return make(id, title, CheckStatus::Pass, reason + "; a new namespace accepts 512: ok");
  if (t.failedStep.rfind("write net.unix", 0) == 0)
    return make(id, title, CheckStatus::Fail,
                reason + "; a new namespace refuses it (" + childSaid("", t) + "), so every lab start fails there",
                "make /proc/sys writable in the container (Docker/Podman: --privileged, or --security-opt "
                "systempaths=unconfined)");
  return make(id, title, CheckStatus::Warn, reason + "; not tried: no network namespace (" + childSaid("", t) + ")",
              "see 'netns'");
}

HostCheck checkProtocols(const HostProbe& probe) {
  const char* id = "protocols";
  const char* title = "protocol names";
  const std::optional<std::string> table = probe.readFile("/etc/protocols");
  if (!table)
    return make(id, title, CheckStatus::Warn,
                "/etc/protocols cannot be read (package netbase; minimal containers and chroots lack it): pcap "
                "filters that name a protocol ('proto ospf') are refused, since libpcap would match protocol 0",
                "apt-get install netbase, or write protocol numbers in filters ('proto 89')");
  size_t names = 0;
  std::istringstream lines(*table);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && std::isalpha(static_cast<unsigned char>(line.front())))
      ++names;
  return make(id, title, CheckStatus::Pass,
              "/etc/protocols names " + std::to_string(names) + " protocols, for filters such as 'proto ospf'");
}

std::vector<HostCheck> runHostChecks(const HostProbe& probe, const HostLayout& host, const LaunchPlan* plan) {
  return {checkDebianKernel(probe, host, plan),
          checkUmlabKernel(probe, host, plan),
          checkImages(probe, host, plan),
          checkTransports(probe, plan),
          checkMode(probe),
          checkUserNamespaces(probe),
          checkNetworkNamespaces(probe),
          checkMountNamespaces(probe),
          checkTun(probe, plan),
          checkTempDirectory(probe, plan),
          checkGuestTmpfs(probe, plan),
          checkFreeMemory(probe, plan),
          checkDatagramQueue(probe),
          checkProtocols(probe)};
}

std::vector<HostCheck> runLaunchChecks(const HostProbe& probe, const LaunchPlan& plan) {
  return {checkTransports(probe, &plan), checkGuestTmpfs(probe, &plan), checkFreeMemory(probe, &plan),
          checkTun(probe, &plan)};
}

} // namespace umlab::lab::runtime
