/// umlab-init: PID 1 of a umlab guest.
///
/// Design note. The base image's shim (/sbin/umlab-boot, boot_shim.hpp) mounts a tmpfs on /run
/// and the node's read-only config disk on /run/umlab, then execs this program from there, so a
/// new build of init never needs a new base image. Boot is one straight line, then a loop:
///
///   mount /proc /sys /dev /dev/pts /dev/shm /run /tmp (each only if not mounted yet)
///   /proc/cpuinfo: end UML's processor entry with an empty line, so procps can read it
///   read /run/umlab/node.conf (node_config.hpp); hostname; lo up; load ipv6
///   per `iface`: rename the device (vecN -> ethN), set the MAC, add the address, bring it up
///   routes; IPv4/IPv6 forwarding; node.conf `sysctl` lines, in order (they override forwarding)
///   node.conf `mount`: hostfs at that directory (the host gave `hostfs=<dir>` to the kernel)
///   copy /run/umlab/files onto /
///   link halt/poweroff/reboot, and what Kathara labs expect (compat_tools.hpp): ip/ifconfig
///     wrappers in /run/umlab-compat/bin (first on PATH), systemctl, service, /etc/init.d/quagga
///   run /run/umlab/startup.sh (one /bin/sh, one command at a time, output prefixed on the console)
///   start umlab-agent on /dev/ttyS1 and a login getty on the console (tty0); say "ready"
///   loop: reap every child (PID 1 adopts all orphans), respawn the agent and the getty,
///         power off on SIGTERM/SIGINT/SIGPWR/SIGUSR2, reboot on SIGUSR1: first run
///         /run/umlab/shutdown.sh like startup.sh (output prefixed "shutdown:", at most 10 s),
///         then SIGTERM everything, SIGKILL after 3 s, sync, remount / read-only
///
/// Interfaces are up before startup runs, as in Kathara (Docker) where labs rely on it (they add
/// addresses without `ip link set up`). A MAC change on an interface that is up fails with EBUSY
/// on UML; the `ip` and `ifconfig` wrappers retry it around a down/up (compat_tools.hpp).
///
/// Nothing in the boot line is fatal: a failed step is reported ("umlab-init: error: ...") and
/// boot goes on, because a guest that reaches its agent can be inspected and one that stops
/// cannot. Network configuration runs `ip` (iproute2) rather than speaking netlink: it is in
/// every image, its errors are readable, and boot does it a handful of times.
///
/// Signals are blocked and read from a signalfd; the kernel delivers a blocked signal to PID 1
/// even without a handler, so `kill -TERM 1` and Ctrl-Alt-Del (RB_DISABLE_CAD turns it into
/// SIGINT; mconsole `cad`) both reach the loop. Invoked under another PID as `halt`,
/// `poweroff` or `reboot` (init links those names to itself when the image has none), it
/// signals PID 1 and exits; as `ip`, `ifconfig`, `systemctl` or `service` it is that tool
/// (compat_tools.hpp), under any PID.
///
/// A host SIGTERM ends UML at once, without any of this: `umlab down` asks init to power off
/// through the agent (kill -TERM 1) when a node has shutdown commands (supervisor.cpp teardown).
///
/// Startup commands: the host writes the node's `startup` list one command per line. A small
/// sh driver reads the file, joins lines until `sh -n` accepts them as a complete command (so
/// `if`/`fi` blocks, quotes and here-documents spanning lines still work), echoes each command,
/// evals it in the same shell (variables and `cd` carry over) with stdin from /dev/null, and
/// reports a failure without stopping.

#include "compat_tools.hpp"
#include "guest_io.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/node_config.hpp"
#include "umlab/kernel/rtnetlink.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <optional>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using umlab::UniqueFd;
using umlab::guest::errnoText;
using umlab::guest::readTextFile;
using umlab::guest::writeAll;

namespace {

constexpr const char* kConfigDir = "/run/umlab";
constexpr const char* kSelf = "/run/umlab/bin/umlab-init";
constexpr const char* kAgent = "/run/umlab/bin/umlab-agent";
constexpr const char* kAgentTty = "/dev/ttyS1";
/// Holds the completed copy of /proc/cpuinfo that is bind-mounted over it (completeCpuinfo).
constexpr const char* kProcFixDir = "/run/umlab-proc";
/// The compat wrappers (ip, ifconfig: compat_tools.hpp) come first for everything init starts.
constexpr const char* kCompatDir = "/run/umlab-compat";
constexpr const char* kCompatBinDir = "/run/umlab-compat/bin";
constexpr const char* kPath = "/run/umlab-compat/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const std::vector<std::string> kGetty = {"/sbin/agetty", "--noclear", "-8", "-L", "tty0", "115200", "vt100"};

constexpr auto kShutdownGrace = std::chrono::seconds(3);
/// How long the node's shutdown commands (/run/umlab/shutdown.sh) may take before init goes on.
constexpr auto kShutdownScriptPatience = std::chrono::seconds(10);
/// After this long the agent and the getty start even though startup.sh is still running (a
/// command that never returns), so the guest can still be reached and inspected.
constexpr auto kStartupPatience = std::chrono::seconds(60);
constexpr auto kMinRespawnDelay = std::chrono::seconds(1);
constexpr auto kMaxRespawnDelay = std::chrono::seconds(30);

/// The startup driver, run as `sh -c kStartupDriver umlab-startup <startup.sh>` (design note above).
constexpr const char* kStartupDriver = R"sh(n=0 failed=0 cmd= why= finished=
trap '[ -n "$finished" ] || echo "command $n ended the ${0#umlab-} script (exit status $?)"' EXIT
run() {
  n=$((n + 1))
  printf '$ %s\n' "$cmd"
  if [ -z "$why" ]; then
    eval "$cmd" </dev/null
    status=$?
    [ $status -eq 0 ] || { failed=$((failed + 1)); echo "command $n failed with exit status $status"; }
  else
    failed=$((failed + 1))
    echo "command $n failed: ${why#sh: [0-9]*: }"
  fi
  cmd=
}
while IFS= read -r line <&9 || [ -n "$line" ]; do
  if [ -z "$cmd" ]; then
    case ${line#"${line%%[! 	]*}"} in '' | '#'*) continue ;; esac
  fi
  cmd=${cmd:+$cmd
}$line
  case $line in *\\) why='Syntax error: end of file after \'; continue ;; esac
  if why=$(sh -n -c "$cmd" 2>&1); then
    case $cmd in *'<<'*) sh -n -c "$cmd
)" 2>/dev/null && why='Syntax error: here-document not terminated' && continue ;; esac
    why=
  else
    case $why in *'end of file'* | *nterminated* | *'unexpected EOF'*) continue ;; esac
  fi
  run
done 9<"$1"
[ -z "$cmd" ] || run
finished=1
[ $n -eq 1 ] && commands=command || commands=commands
echo "finished: $n $commands, $failed failed"
)sh";

/// /etc/init.d/quagga on images with FRR and no Quagga (Debian 12 has no quagga package), so
/// that Quagga labs run unchanged: their /etc/quagga/daemons and per-daemon files become FRR's
/// configuration, then FRR's own init script does the work. FRR 8.4's frrcommon.sh gives each
/// daemon its /etc/frr/<daemon>.conf when /etc/frr/frr.conf is absent, and `vtysh -b` applies
/// frr.conf only when it exists; `no service integrated-vtysh-config` makes vtysh's `write`
/// keep per-daemon files too. Quagga's zebra.conf held static routes, which FRR's staticd now
/// owns: those lines are copied into staticd.conf. Quagga's BGP defaults differ from FRR 8's
/// (no policy needed on eBGP sessions, no RIB check for `network`): each `router bgp` of a
/// Quagga bgpd.conf gets them back explicitly.
constexpr const char* kQuaggaScript = R"sh(#!/bin/sh
### BEGIN INIT INFO
# Provides:          quagga
# Required-Start:    $network
# Required-Stop:     $network
# Short-Description: Quagga routing daemons, run by FRR (written by umlab-init)
### END INIT INFO
Q=/etc/quagga F=/etc/frr
FRR_DAEMONS="bgpd ospfd ospf6d ripd ripngd isisd pimd ldpd nhrpd eigrpd babeld sharpd pbrd bfdd fabricd vrrpd pathd"
prepare() {
  enabled=
  if [ -r $Q/daemons ]; then
    enabled=$(sed -n "s/^[[:space:]]*\([a-z0-9]*\)[[:space:]]*=[[:space:]]*[\"']\{0,1\}\(yes\|1\)[\"']\{0,1\}[[:space:]]*$/\1/p" $Q/daemons | grep -vx zebra | tr '\n' ' ')
  fi
  for d in zebra $enabled; do
    if [ -r $Q/$d.conf ]; then
      install -o frr -g frr -m 640 $Q/$d.conf $F/$d.conf || return 1
    fi
  done
  # Quagga's BGP announced without a policy and whatever its 'network' lines named; FRR 8
  # defaults to the opposite (ebgp-requires-policy, network import-check), which would
  # leave a Quagga lab's eBGP sessions up and empty.
  if [ -r $Q/bgpd.conf ] && [ -f $F/bgpd.conf ]; then
    sed -i -E 's/^([[:space:]]*router[[:space:]]+bgp[[:space:]].*)$/\1\n no bgp ebgp-requires-policy\n no bgp network import-check/' $F/bgpd.conf
  fi
  if [ -r $Q/zebra.conf ] && grep -Eq '^[[:space:]]*ipv?6?[[:space:]]+route[[:space:]]' $Q/zebra.conf; then
    grep -E '^[[:space:]]*ipv?6?[[:space:]]+route[[:space:]]' $Q/zebra.conf > $F/staticd.conf
    chown frr:frr $F/staticd.conf; chmod 640 $F/staticd.conf
  fi
  [ -f $F/daemons.umlab-orig ] || cp -p $F/daemons $F/daemons.umlab-orig || return 1
  cp -p $F/daemons.umlab-orig $F/daemons.new || return 1
  for d in $FRR_DAEMONS; do
    v=no
    for e in $enabled; do [ "$e" = "$d" ] && v=yes; done
    sed -i "s/^$d=.*/$d=$v/" $F/daemons.new
  done
  mv $F/daemons.new $F/daemons
  rm -f $F/frr.conf
  if [ -f $F/vtysh.conf ] && grep -q '^[[:space:]]*service integrated-vtysh-config' $F/vtysh.conf; then
    sed -i 's/^[[:space:]]*service integrated-vtysh-config/no service integrated-vtysh-config/' $F/vtysh.conf
  elif ! grep -q 'no service integrated-vtysh-config' $F/vtysh.conf 2>/dev/null; then
    echo 'no service integrated-vtysh-config' >> $F/vtysh.conf
  fi
  mkdir -p /var/log/quagga /var/run/quagga
  chown frr:frr /var/log/quagga /var/run/quagga
  chmod 775 /var/log/quagga
  echo "quagga: $Q -> $F, daemons: zebra $enabled(run by FRR)"
}
case "$1" in
  start|restart|force-reload|reload) prepare || { echo "quagga: cannot prepare FRR's configuration" >&2; exit 1; } ;;
esac
exec /etc/init.d/frr "$@"
)sh";

using Clock = std::chrono::steady_clock;

void say(std::string_view text) {
  std::string line = "umlab-init: ";
  line += text;
  line += '\n';
  writeAll(STDOUT_FILENO, line);
}

void sayError(std::string_view text) { say("error: " + std::string(text)); }

std::string describeStatus(int status) {
  if (WIFEXITED(status))
    return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv)
    text += (text.empty() ? "" : " ") + arg;
  return text;
}

/// Forks and execs `argv` (searched in PATH) in a new session with the given stdin, stdout and
/// stderr (-1: /dev/null for stdin, the console for the others). Returns the pid, or -1.
pid_t spawn(const std::vector<std::string>& argv, int in = -1, int out = -1, int err = -1) {
  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    sayError("fork: " + errnoText(errno));
    return -1;
  }
  if (pid > 0)
    return pid;
  umlab::guest::resetSignalsForExec();
  ::setsid();
  if (in < 0)
    in = ::open("/dev/null", O_RDONLY);
  if (in >= 0 && in != STDIN_FILENO)
    ::dup2(in, STDIN_FILENO);
  if (out >= 0 && out != STDOUT_FILENO)
    ::dup2(out, STDOUT_FILENO);
  if (err >= 0 && err != STDERR_FILENO)
    ::dup2(err, STDERR_FILENO);
  ::execvp(args[0], args.data());
  const std::string message = "umlab-init: error: cannot run '" + argv[0] + "': " + errnoText(errno) + "\n";
  writeAll(STDERR_FILENO, message);
  ::_exit(127);
}

/// Runs `argv` to completion with stdout and stderr captured into `output`. Only for the boot
/// line's short commands (ip, modprobe): it waits for this one child, and orphans reaped
/// meanwhile are left to the loop.
int runCaptured(const std::vector<std::string>& argv, std::string& output) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    sayError("pipe: " + errnoText(errno));
    return -1;
  }
  UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
  const pid_t pid = spawn(argv, -1, writeEnd.get(), writeEnd.get());
  writeEnd.reset();
  if (pid < 0)
    return -1;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(readEnd.get(), buffer, sizeof buffer);
    if (n > 0) {
      output.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    break;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

/// Runs a command for the boot line; on failure reports `what` and the command's own words.
bool runStep(const std::vector<std::string>& argv, std::string_view what) {
  std::string output;
  const int status = runCaptured(argv, output);
  if (status == 0)
    return true;
  while (!output.empty() && (output.back() == '\n' || output.back() == ' '))
    output.pop_back();
  std::replace(output.begin(), output.end(), '\n', ' ');
  sayError(std::string(what) + ": " + joined(argv) + ": " + (output.empty() ? describeStatus(status) : output));
  return false;
}

bool writeTextFile(const char* path, std::string_view text) {
  UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
  return fd && writeAll(fd.get(), text);
}

// --- mounts ---------------------------------------------------------------------------------

std::vector<std::string> mountPoints() {
  std::vector<std::string> points;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    fields >> id >> parent >> device >> root >> point;
    points.push_back(point);
  }
  return points;
}

void mountFilesystems() {
  struct Mount {
    const char* source;
    const char* target;
    const char* type;
    unsigned long flags;
    const char* options;
    mode_t mode;
  };
  const Mount mounts[] = {
      {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, 0555},
      {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, 0555},
      {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0755},
      {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666", 0755},
      {"tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
      {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755},
      {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
  };
  std::vector<std::string> mounted;
  for (const Mount& m : mounts) {
    if (mounted.empty() && std::string_view(m.target) != "/proc")
      mounted = mountPoints(); // /proc is up now
    if (std::find(mounted.begin(), mounted.end(), m.target) != mounted.end())
      continue;
    ::mkdir(m.target, m.mode);
    if (::mount(m.source, m.target, m.type, m.flags, m.options) != 0)
      sayError(std::string("mount ") + m.type + " on " + m.target + ": " + errnoText(errno));
  }
  // What udev would add: /dev/fd and friends (bash process substitution), /run/lock.
  const std::pair<const char*, const char*> links[] = {
      {"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
      {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"}};
  for (const auto& [target, link] : links)
    ::symlink(target, link);
  ::mkdir("/run/lock", 01777);
  ::chmod("/run/lock", 01777);
}

/// UML's /proc/cpuinfo (show_cpuinfo in arch/um/kernel/um_arch.c) ends its one processor entry
/// at end of file, without the empty line that ends every entry on x86. libproc2 4.0.2
/// (bookworm's procps) reads each entry up to that line in stat_cores_verify() and fails with
/// EIO at end of file, so procps_stat_new() fails everywhere: `ps` with a start time ("Unable to
/// get system boot time"), `vmstat`. procps 4.0.4 tolerates it (procps-ng commit 133a8339,
/// issue #272). UML's cpuinfo never changes after boot (one CPU, bogomips calibrated once), so a
/// copy that ends in the empty line, bind-mounted read-only over the file, is exact. Nothing
/// happens when the kernel already ends the file so.
void completeCpuinfo() {
  constexpr const char* kCpuinfo = "/proc/cpuinfo";
  std::optional<std::string> text = readTextFile(kCpuinfo);
  if (!text || text->empty() || text->ends_with("\n\n"))
    return;
  text->append(text->ends_with('\n') ? "\n" : "\n\n");
  const std::string copy = std::string(kProcFixDir) + "/cpuinfo";
  ::mkdir(kProcFixDir, 0755);
  UniqueFd fd(::open(copy.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444));
  if (!fd || !writeAll(fd.get(), *text)) {
    sayError("write " + copy + ": " + errnoText(errno));
    return;
  }
  fd.reset();
  if (::mount(copy.c_str(), kCpuinfo, nullptr, MS_BIND, nullptr) != 0) {
    sayError("bind " + copy + " on " + kCpuinfo + ": " + errnoText(errno));
    return;
  }
  if (::mount(nullptr, kCpuinfo, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
    sayError(std::string("remount ") + kCpuinfo + " read-only: " + errnoText(errno));
}

// --- network --------------------------------------------------------------------------------

/// Loads a module file with finit_module(2); true when it is loaded now or was already.
bool loadModuleFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  return fd && (::syscall(SYS_finit_module, fd.get(), "", 0) == 0 || errno == EEXIST);
}

/// IPv6 is a module in Debian's UML kernel; without it there are no IPv6 addresses, routes or
/// net.ipv6 sysctls. Loaded from its file (with crc-ccitt, its one dependency there) by init
/// itself: `modprobe` cost a guest 145 ms of CPU at every boot, loaded or not. Any other layout
/// (compressed modules, other dependencies) goes to modprobe; a kernel with IPv6 built in (ours)
/// needs neither.
void loadIpv6() {
  if (::access("/proc/sys/net/ipv6", F_OK) == 0)
    return;
  utsname u{};
  ::uname(&u);
  const std::string modules = std::string("/lib/modules/") + u.release + "/kernel/";
  const std::string crc = modules + "lib/crc-ccitt.ko";
  if ((::access(crc.c_str(), F_OK) != 0 || loadModuleFile(crc)) && loadModuleFile(modules + "net/ipv6/ipv6.ko"))
    return;
  runStep({"modprobe", "-q", "ipv6"}, "ipv6");
}

bool deviceExists(const std::string& name) {
  struct stat st;
  return ::stat(("/sys/class/net/" + name).c_str(), &st) == 0;
}

/// A network step done through rtnetlink (rtnetlink.hpp: an `ip` per step cost 74 ms of guest
/// CPU); on failure reports `what` and the kernel's words, as runStep does for a command.
bool netStep(const std::string& error, std::string_view what) {
  if (error.empty())
    return true;
  sayError(std::string(what) + ": " + error);
  return false;
}

void configureNetwork(const umlab::kernel::NodeConfig& config) {
  umlab::kernel::RtNetlink nl;
  if (!nl.ok()) {
    sayError(nl.openError());
    return;
  }
  netStep(nl.setUp("lo"), "lo: up");
  auto ifaces = config.ifaces;
  for (size_t i = 0; i < ifaces.size(); ++i) {
    const auto& iface = ifaces[i];
    if (!deviceExists(iface.device)) {
      sayError(iface.name + ": no network device '" + iface.device + "' (is it on the UML command line?)");
      continue;
    }
    if (iface.device != iface.name && deviceExists(iface.name)) {
      // The name is held by another device, one a later line renames (eth0 <-> eth1) or a
      // stray one: move it aside first.
      const std::string aside = "umlab-aside" + std::to_string(i);
      if (!netStep(nl.rename(iface.name, aside), iface.name + ": rename to " + aside))
        continue;
      bool isClaimed = false;
      for (size_t j = i + 1; j < ifaces.size(); ++j)
        if (ifaces[j].device == iface.name) {
          ifaces[j].device = aside;
          isClaimed = true;
        }
      if (!isClaimed)
        say("warning: device " + iface.name + " is not in node.conf; renamed it to " + aside);
    }
    if (iface.device != iface.name &&
        !netStep(nl.rename(iface.device, iface.name), iface.device + ": rename to " + iface.name))
      continue;
    bool ok = netStep(nl.setMac(iface.name, iface.mac), iface.name + ": set MAC " + iface.mac);
    if (!iface.address.empty())
      ok = netStep(nl.addAddress(iface.name, iface.address), iface.name + ": add address " + iface.address) && ok;
    if (std::find(config.listenOnly.begin(), config.listenOnly.end(), iface.name) != config.listenOnly.end()) {
      // A monitor: nothing of the guest's own (IPv6 autoconfiguration, ARP) goes out or shows in
      // its tcpdump; set before the interface is up, so not even duplicate address detection runs.
      const std::string noV6 = "/proc/sys/net/ipv6/conf/" + iface.name + "/disable_ipv6";
      if (::access(noV6.c_str(), F_OK) == 0 && !writeTextFile(noV6.c_str(), "1\n"))
        sayError(iface.name + ": disable_ipv6: " + errnoText(errno));
      ok = netStep(nl.setNoArp(iface.name), iface.name + ": arp off") && ok;
    }
    ok = netStep(nl.setUp(iface.name), iface.name + ": up") && ok;
    if (ok)
      say(iface.name + " " + (iface.address.empty() ? std::string("(no address)") : iface.address) + " up");
  }
  for (const auto& route : config.routes) {
    if (netStep(nl.addRoute(route.destination, route.gateway), "route " + route.destination + " via " + route.gateway))
      say("route " + route.destination + " via " + route.gateway);
  }
  const char* value = config.forwarding ? "1\n" : "0\n";
  if (!writeTextFile("/proc/sys/net/ipv4/ip_forward", value))
    sayError("net.ipv4.ip_forward: " + errnoText(errno));
  if (::access("/proc/sys/net/ipv6/conf/all/forwarding", F_OK) == 0 &&
      !writeTextFile("/proc/sys/net/ipv6/conf/all/forwarding", value))
    sayError("net.ipv6.conf.all.forwarding: " + errnoText(errno));
  if (config.forwarding)
    say("forwarding on");
}

/// node.conf `sysctl` lines, in order; each failure is reported and the rest still apply.
void applySysctls(const umlab::kernel::NodeConfig& config) {
  for (const auto& [name, value] : config.sysctls) {
    std::string path = "/proc/sys/" + name;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    if (writeTextFile(path.c_str(), value + "\n"))
      say("sysctl " + name + "=" + value);
    else
      sayError("sysctl " + name + ": " + errnoText(errno));
  }
}

/// node.conf `mount`: UML's hostfs at that directory, rooted at the host directory the kernel
/// was given as `hostfs=<host dir>`.
void mountHostfs(const std::string& dir) {
  if (dir.empty())
    return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    sayError("mount hostfs on " + dir + ": " + ec.message());
  else if (::mount("none", dir.c_str(), "hostfs", 0, nullptr) != 0)
    sayError("mount hostfs on " + dir + ": " + errnoText(errno));
  else
    say("hostfs on " + dir);
}

// --- files ----------------------------------------------------------------------------------

/// Copies one regular file or symlink by writing a temporary beside `to` and renaming it over,
/// so the destination is replaced whole (even a symlink such as /etc/resolv.conf).
bool copyEntry(const fs::path& from, const fs::path& to, const struct stat& st, std::string& why) {
  const std::string temporary = to.string() + ".umlab-new";
  ::unlink(temporary.c_str());
  if (S_ISLNK(st.st_mode)) {
    std::vector<char> target(static_cast<size_t>(st.st_size) + 1);
    const ssize_t n = ::readlink(from.c_str(), target.data(), target.size());
    if (n < 0 || static_cast<size_t>(n) >= target.size())
      return why = "readlink: " + errnoText(errno), false;
    if (::symlink(std::string(target.data(), static_cast<size_t>(n)).c_str(), temporary.c_str()) != 0)
      return why = errnoText(errno), false;
  } else {
    UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in)
      return why = errnoText(errno), false;
    UniqueFd out(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!out)
      return why = errnoText(errno), false;
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(in.get(), buffer, sizeof buffer);
      if (n == 0)
        break;
      if (n < 0 || !writeAll(out.get(), std::string_view(buffer, static_cast<size_t>(n)))) {
        why = errnoText(errno);
        ::unlink(temporary.c_str());
        return false;
      }
    }
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ::fchmod(out.get(), st.st_mode & 07777);
    ::futimens(out.get(), times);
  }
  if (::rename(temporary.c_str(), to.c_str()) != 0) {
    why = errnoText(errno);
    ::unlink(temporary.c_str());
    return false;
  }
  return true;
}

/// Copies the tree under `from` onto `to` like `cp -a`, except that directories which already
/// exist keep their own mode and owner (`cp -a` would give /etc the mode of files/etc), and
/// everything is owned by root whatever the config disk says (the host may build it unprivileged).
void copyFiles(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::is_directory(from, ec))
    return;
  size_t copied = 0, failed = 0;
  fs::recursive_directory_iterator it(from, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path source = it->path();
    const fs::path target = to / source.lexically_relative(from);
    struct stat st;
    if (::lstat(source.c_str(), &st) != 0)
      continue;
    std::string why;
    bool ok = true;
    if (S_ISDIR(st.st_mode)) {
      struct stat existing;
      if (::stat(target.c_str(), &existing) == 0) {
        ok = S_ISDIR(existing.st_mode);
        why = "exists and is not a directory";
      } else if (::mkdir(target.c_str(), st.st_mode & 07777) != 0 || ::chmod(target.c_str(), st.st_mode & 07777) != 0) {
        ok = false;
        why = errnoText(errno);
      }
    } else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
      ok = copyEntry(source, target, st, why);
      copied += ok;
    } else {
      ok = false;
      why = "not a regular file, directory or symlink";
    }
    if (!ok) {
      ++failed;
      sayError("files: " + target.string() + ": " + why);
    }
  }
  if (ec)
    sayError("files: " + from.string() + ": " + ec.message());
  say("files: " + std::to_string(copied) + " copied" + (failed ? ", " + std::to_string(failed) + " failed" : ""));
}

/// `halt`, `poweroff` and `reboot` for images without them (there is no systemd or sysvinit).
void linkPowerCommands() {
  for (const char* name : {"/sbin/halt", "/sbin/poweroff", "/sbin/reboot"}) {
    struct stat st;
    if (::lstat(name, &st) != 0)
      ::symlink(kSelf, name);
  }
}

/// What Kathara labs run and a umlab guest lacks (compat_tools.hpp): the ip and ifconfig
/// wrappers in kCompatBinDir (first on PATH), systemctl (and service) when the image has none,
/// and /etc/init.d/quagga (and zebra, as kathara/quagga has it) when FRR is there and Quagga is
/// not. Links made on the root file system
/// point at this build's init on the config disk and stay in the node's COW file.
void linkCompatCommands() {
  ::mkdir(kCompatDir, 0755);
  ::mkdir(kCompatBinDir, 0755);
  for (const char* tool : {"ip", "ifconfig"})
    ::symlink(kSelf, (std::string(kCompatBinDir) + "/" + tool).c_str());
  // Login shells (the console's getty, `su -`) set PATH from /etc/profile, which then reads
  // /etc/profile.d: the wrappers come first there too.
  struct stat profileDir;
  if (::stat("/etc/profile.d", &profileDir) == 0 && S_ISDIR(profileDir.st_mode)) {
    std::ofstream profile("/etc/profile.d/umlab-compat.sh", std::ios::trunc);
    profile << "# written by umlab-init at boot: umlab's ip and ifconfig wrappers first on PATH\n"
               "case \":$PATH:\" in *:" << kCompatBinDir << ":*) ;; *) PATH=" << kCompatBinDir
            << ":$PATH; export PATH ;; esac\n";
  }
  auto exists = [](const char* path) {
    struct stat st;
    return ::lstat(path, &st) == 0;
  };
  if (!exists("/usr/bin/systemctl") && !exists("/bin/systemctl"))
    ::symlink(kSelf, "/usr/bin/systemctl");
  if (!exists("/usr/sbin/service") && !exists("/sbin/service"))
    ::symlink(kSelf, "/usr/sbin/service");
  if (::access("/etc/init.d/frr", X_OK) == 0) {
    const std::string script = std::string(kCompatDir) + "/quagga";
    {
      std::ofstream out(script, std::ios::trunc);
      out << kQuaggaScript;
    }
    ::chmod(script.c_str(), 0755);
    // kathara/quagga links zebra to quagga too: Netkit-era startups run /etc/init.d/zebra.
    for (const char* name : {"/etc/init.d/quagga", "/etc/init.d/zebra"})
      if (!exists(name))
        ::symlink(script.c_str(), name);
  }
}

double uptimeSeconds() {
  double seconds = 0;
  if (auto text = readTextFile("/proc/uptime"))
    seconds = std::strtod(text->c_str(), nullptr);
  return seconds;
}

// --- PID 1 ----------------------------------------------------------------------------------

/// A service init keeps running: started when boot is done, respawned after it exits, with a
/// growing delay while it keeps dying young.
struct Service {
  const char* name;
  std::vector<std::string> argv;
  pid_t pid = -1;
  Clock::time_point startedAt{};
  std::optional<Clock::time_point> restartAt;
  Clock::duration delay = kMinRespawnDelay;
};

class Init {
public:
  int run();

private:
  void boot();
  void startStartup();
  void finishBoot();
  void start(Service& service);
  void reap();
  void readStartupOutput(bool drainOnly);
  void shutdown(int rebootCommand);
  void runShutdownScript();

  UniqueFd signals_;
  UniqueFd startupOut_;
  pid_t startupPid_ = -1;
  std::optional<Clock::time_point> startupDeadline_;
  bool isBooted_ = false;
  umlab::guest::LineSplitter startupLines_;
  Service agent_{"umlab-agent", {kAgent, kAgentTty}};
  Service getty_{"getty", kGetty};
};

int Init::run() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGPWR, SIGUSR1, SIGUSR2, SIGHUP})
    sigaddset(&set, sig);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  signals_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals_)
    sayError("signalfd: " + errnoText(errno));
  ::reboot(RB_DISABLE_CAD); // Ctrl-Alt-Del (mconsole `cad`) becomes SIGINT to us

  boot();

  for (;;) {
    std::vector<pollfd> fds = {{signals_.get(), POLLIN, 0}};
    if (startupOut_)
      fds.push_back({startupOut_.get(), POLLIN, 0});
    int timeoutMs = -1;
    const auto now = Clock::now();
    auto wakeAt = [&](Clock::time_point when) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(when - now).count();
      const int ms = static_cast<int>(std::clamp<long long>(wait, 0, 60000));
      timeoutMs = timeoutMs < 0 ? ms : std::min(timeoutMs, ms);
    };
    for (const Service* service : {&agent_, &getty_})
      if (service->restartAt)
        wakeAt(*service->restartAt);
    if (startupDeadline_)
      wakeAt(*startupDeadline_);
    if (::poll(fds.data(), fds.size(), timeoutMs) < 0 && errno != EINTR) {
      sayError("poll: " + errnoText(errno));
      ::sleep(1);
    }
    if (fds.size() > 1 && fds[1].revents)
      readStartupOutput(false);
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      while (::read(signals_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        switch (info.ssi_signo) {
        case SIGCHLD:
          break; // reaped below, whatever signal woke us
        case SIGTERM:
        case SIGINT:
        case SIGPWR:
        case SIGUSR2:
          shutdown(RB_POWER_OFF);
          break;
        case SIGUSR1:
          shutdown(RB_AUTOBOOT);
          break;
        default:
          break;
        }
      }
    }
    reap();
    if (startupDeadline_ && Clock::now() >= *startupDeadline_) {
      say("startup: still running after " + std::to_string(kStartupPatience.count()) + " s; going on without it");
      finishBoot();
    }
    for (Service* service : {&agent_, &getty_})
      if (service->restartAt && Clock::now() >= *service->restartAt)
        start(*service);
  }
}

void Init::boot() {
  ::umask(022);
  // The kernel hands init TERM=linux and any unknown key=value from its command line; children
  // (startup commands, the agent, the getty, which sets its own TERM) get a clean environment.
  ::clearenv();
  ::setenv("PATH", kPath, 1);
  ::setenv("HOME", "/root", 1);
  ::setenv("TERM", "dumb", 1);
  if (::chdir("/") != 0)
    sayError("chdir /: " + errnoText(errno));
  mountFilesystems();
  completeCpuinfo();
  say("starting");

  const std::string confPath = std::string(kConfigDir) + "/node.conf";
  umlab::kernel::NodeConfig config;
  if (auto text = readTextFile(confPath)) {
    std::string why;
    if (auto parsed = umlab::kernel::parseNodeConfig(*text, &why))
      config = std::move(*parsed);
    else
      sayError(confPath + ": " + why + "; the network is left unconfigured");
  } else {
    sayError("cannot read " + confPath + "; the network is left unconfigured");
  }

  if (!config.hostname.empty()) {
    if (::sethostname(config.hostname.c_str(), config.hostname.size()) == 0)
      say("hostname " + config.hostname);
    else
      sayError("sethostname " + config.hostname + ": " + errnoText(errno));
  }
  loadIpv6();
  configureNetwork(config);
  applySysctls(config);
  mountHostfs(config.mountPoint);
  copyFiles(std::string(kConfigDir) + "/files", "/");
  linkPowerCommands();
  linkCompatCommands();
  startStartup();
  if (startupPid_ < 0)
    finishBoot();
}

/// Whether a startup file has a command: a line that is neither blank nor a comment.
bool hasCommands(const std::string& script) {
  std::ifstream in(script);
  for (std::string line; std::getline(in, line);) {
    const size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] != '#')
      return true;
  }
  return false;
}

void Init::startStartup() {
  const std::string script = std::string(kConfigDir) + "/startup.sh";
  if (::access(script.c_str(), R_OK) != 0)
    return;
  if (!hasCommands(script)) {
    // No shell for nothing to run: a shell costs a UML guest about 40 ms of CPU at boot.
    say("startup: finished: 0 commands, 0 failed");
    return;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    sayError("startup: pipe: " + errnoText(errno));
    return;
  }
  UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
  ::fcntl(readEnd.get(), F_SETFL, O_NONBLOCK);
  startupPid_ = spawn({"/bin/sh", "-c", kStartupDriver, "umlab-startup", script}, -1, writeEnd.get(), writeEnd.get());
  if (startupPid_ > 0) {
    say("startup: running " + script);
    startupDeadline_ = Clock::now() + kStartupPatience;
    startupOut_ = std::move(readEnd);
  }
}

/// Reads what the startup commands wrote and prints it line by line. The pipe stays open after
/// the driver exits when a command left a daemon behind holding it; that output keeps coming.
void Init::readStartupOutput(bool drainOnly) {
  auto print = [](std::string_view line) { say("startup: " + std::string(line)); };
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(startupOut_.get(), buffer, sizeof buffer);
    if (n > 0) {
      startupLines_.feed(std::string_view(buffer, static_cast<size_t>(n)), print);
      if (!drainOnly)
        return;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    startupLines_.finish(print);
    startupOut_.reset();
    return;
  }
}

void Init::finishBoot() {
  startupDeadline_.reset();
  if (isBooted_)
    return;
  isBooted_ = true;
  start(agent_);
  if (::access(getty_.argv[0].c_str(), X_OK) == 0)
    start(getty_);
  else
    say("no " + getty_.argv[0] + " (util-linux): no login on the console");
  char uptime[32];
  std::snprintf(uptime, sizeof uptime, "%.2f", uptimeSeconds());
  say(std::string("ready (") + uptime + " s after boot)");
}

void Init::start(Service& service) {
  service.restartAt.reset();
  service.startedAt = Clock::now();
  service.pid = spawn(service.argv);
  if (service.pid < 0) {
    service.restartAt = Clock::now() + service.delay;
    service.delay = std::min<Clock::duration>(service.delay * 2, kMaxRespawnDelay);
  }
}

void Init::reap() {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid == startupPid_) {
      startupPid_ = -1;
      if (startupOut_)
        readStartupOutput(true);
      if (WIFSIGNALED(status)) // the driver reports everything else itself
        say("startup: " + describeStatus(status));
      finishBoot();
      continue;
    }
    for (Service* service : {&agent_, &getty_}) {
      if (pid != service->pid)
        continue;
      service->pid = -1;
      const auto lived = Clock::now() - service->startedAt;
      if (lived > std::chrono::seconds(10))
        service->delay = kMinRespawnDelay;
      // A getty that ends after a logout is routine; a dying agent is worth a line.
      if (service == &agent_ || lived < std::chrono::seconds(2))
        say(std::string(service->name) + " ended (" + describeStatus(status) + "); restarting");
      service->restartAt = Clock::now() + (lived < std::chrono::seconds(2) ? service->delay : Clock::duration{});
      if (lived < std::chrono::seconds(2))
        service->delay = std::min<Clock::duration>(service->delay * 2, kMaxRespawnDelay);
    }
  }
}

/// Runs /run/umlab/shutdown.sh through the startup driver, its output prefixed "shutdown: ",
/// for at most kShutdownScriptPatience; then shutdown goes on whatever it is doing.
void Init::runShutdownScript() {
  const std::string script = std::string(kConfigDir) + "/shutdown.sh";
  if (::access(script.c_str(), R_OK) != 0)
    return;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    sayError("shutdown: pipe: " + errnoText(errno));
    return;
  }
  UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
  const pid_t pid = spawn({"/bin/sh", "-c", kStartupDriver, "umlab-shutdown", script}, -1, writeEnd.get(), writeEnd.get());
  writeEnd.reset();
  if (pid < 0)
    return;
  say("shutdown: running " + script);
  umlab::guest::LineSplitter lines;
  auto print = [](std::string_view line) { say("shutdown: " + std::string(line)); };
  const auto deadline = Clock::now() + kShutdownScriptPatience;
  bool isDriverDone = false, isPipeOpen = true;
  while (!isDriverDone && Clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{readEnd.get(), POLLIN, 0};
    if (isPipeOpen && ::poll(&p, 1, static_cast<int>(std::clamp<long long>(left, 0, 100))) > 0) {
      char buffer[4096];
      const ssize_t n = ::read(readEnd.get(), buffer, sizeof buffer);
      if (n > 0)
        lines.feed(std::string_view(buffer, static_cast<size_t>(n)), print);
      else if (n == 0)
        isPipeOpen = false;
    } else if (!isPipeOpen) {
      ::usleep(20000);
    }
    int status = 0;
    pid_t done;
    while ((done = ::waitpid(-1, &status, WNOHANG)) > 0)
      if (done == pid)
        isDriverDone = true;
  }
  // What the driver printed last (a daemon it started may hold the pipe open: do not wait).
  ::fcntl(readEnd.get(), F_SETFL, O_NONBLOCK);
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(readEnd.get(), buffer, sizeof buffer)) > 0)
    lines.feed(std::string_view(buffer, static_cast<size_t>(n)), print);
  lines.finish(print);
  if (!isDriverDone) {
    say("shutdown: still running after " + std::to_string(kShutdownScriptPatience.count()) + " s; going on without it");
    ::kill(-pid, SIGKILL);
  }
}

void Init::shutdown(int rebootCommand) {
  say(rebootCommand == RB_AUTOBOOT ? "rebooting" : "powering off");
  runShutdownScript();
  ::kill(-1, SIGTERM);
  ::kill(-1, SIGCONT);
  const auto deadline = Clock::now() + kShutdownGrace;
  bool anyLeft = true;
  while (anyLeft && Clock::now() < deadline) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    anyLeft = !(::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD);
    if (anyLeft)
      ::usleep(20000);
  }
  if (anyLeft) {
    say("killing what is left");
    ::kill(-1, SIGKILL);
    while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
    }
  }
  ::sync();
  ::umount2(kConfigDir, MNT_DETACH);
  if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0)
    sayError("remount / read-only: " + errnoText(errno));
  ::sync();
  ::reboot(rebootCommand);
  sayError("reboot: " + errnoText(errno));
  for (;;)
    ::pause();
}

/// The console is fds 0-2 when the kernel could open /dev/console; make sure of it.
void ensureConsole() {
  if (::fcntl(STDOUT_FILENO, F_GETFD) >= 0)
    return;
  const int fd = ::open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0)
    return;
  for (int target = 0; target <= 2; ++target)
    if (fd != target)
      ::dup2(fd, target);
  if (fd > 2)
    ::close(fd);
}

/// `halt`, `poweroff`, `reboot`: ask PID 1.
int signalInit(const std::string& name) {
  const int sig = name == "reboot" ? SIGUSR1 : SIGTERM;
  if (::kill(1, sig) != 0) {
    std::fprintf(stderr, "%s: cannot signal init: %s\n", name.c_str(), std::strerror(errno));
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  const std::string name = argc > 0 ? fs::path(argv[0]).filename().string() : "umlab-init";
  const std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
  if (name == "ip" || name == "ifconfig")
    return umlab::guest::runNetWrapper(name, args);
  if (name == "systemctl")
    return umlab::guest::runSystemctl(args);
  if (name == "service")
    return umlab::guest::runService(args);
  if (::getpid() != 1) {
    if (name == "halt" || name == "poweroff" || name == "reboot")
      return signalInit(name);
    std::fprintf(stderr, "usage: umlab-init runs as PID 1 of a umlab guest (init=/sbin/umlab-boot);\n"
                         "       as halt, poweroff or reboot it asks PID 1 to do that\n");
    return 2;
  }
  ensureConsole();
  Init init;
  return init.run();
}
