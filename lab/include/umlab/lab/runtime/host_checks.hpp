#pragma once
/// Host checks (`umlab doctor`, and the cheap ones before `umlab up`): can this machine run UML
/// labs, and if not, exactly what is missing and what to change.
///
/// Two halves, as Ninja splits `DiskInterface` from the build logic:
///   - `HostProbe` is everything the checks read from the host: files (/proc, /etc/subuid),
///     statvfs of a directory, a UML binary's version, whether a program is on $PATH, and
///     "try it in a forked child" for namespaces and pivot_root. `SystemHostProbe` is the real
///     one (system_host_probe.cpp); tests use a fake.
///   - the check functions are pure: probe facts (+ the layout, + an optional plan) ->
///     `HostCheck{id, title, status, reason, fix}`. `reason` says what was measured, `fix` is a
///     command or setting (empty on pass).
///
/// Which host things a lab's guests meet (DESIGN.md §5, supervisor.cpp): guests are confined,
/// each in a mount-namespace jail with a private tmpfs /tmp (its size the tmpfs default, half of
/// MemTotal) where UML keeps the guest's RAM file; UML outside the jail (by hand, or a jail
/// without its tmpfs) uses $TMPDIR/$TMP/$TEMP, else /dev/shm if it is tmpfs, else /tmp, and exits
/// at once when that directory is `noexec` (UML.md, check_tmpexec). Each lab's network namespace
/// sets net.unix.max_dgram_qlen to 512 at start (network_namespace.hpp), so the host's value is
/// not what guests get; a /proc/sys that cannot be written there stops every lab.

#include "umlab/lab/compile/plan.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

enum class CheckStatus { Pass, Warn, Fail };

/// "pass", "warn", "fail".
const char* checkStatusName(CheckStatus s);

struct HostCheck {
  std::string id;     ///< "userns", "kernel.transports", ...
  std::string title;  ///< for people: "user namespaces"
  CheckStatus status = CheckStatus::Pass;
  std::string reason; ///< what was measured
  std::string fix;    ///< what to run or change; empty on pass

  bool operator==(const HostCheck&) const = default;
};

/// What a "try it in a child" attempt did: nothing failed, or which step failed with which errno.
struct ChildTrial {
  std::string failedStep; ///< "unshare(CLONE_NEWUSER)"; empty: every step worked
  int error = 0;          ///< errno of that step

  bool isOk() const { return failedStep.empty(); }
  /// "unshare(CLONE_NEWNET): Operation not permitted", or "ok".
  std::string describe() const;
};

/// statvfs of a directory.
struct DirectorySpace {
  bool isNoexec = false;
  bool isTmpfs = false;
  uint64_t freeBytes = 0;  ///< available to an unprivileged user
  uint64_t totalBytes = 0;
};

class HostProbe {
public:
  virtual ~HostProbe() = default;
  /// A file's contents, nullopt when it cannot be read.
  virtual std::optional<std::string> readFile(const std::string& path) const = 0;
  virtual std::string environment(const std::string& name) const = 0;
  virtual bool isExecutable(const std::string& path) const = 0;
  virtual bool isReadable(const std::string& path) const = 0;
  /// 0 when `path` opens read-write (then it is closed), else errno.
  virtual int openReadWrite(const std::string& path) const = 0;
  /// nullopt when `dir` does not exist or statvfs fails.
  virtual std::optional<DirectorySpace> directorySpace(const std::string& dir) const = 0;
  /// `binary --version`: "6.1.176"; empty when it does not run or says nothing.
  virtual std::string umlRelease(const std::string& binary) const = 0;
  virtual bool hasProgram(const std::string& name) const = 0;
  virtual unsigned effectiveUid() const = 0;
  virtual std::string userName() const = 0;
  /// In a child: unshare(CLONE_NEWUSER) and map the caller as 0.
  virtual ChildTrial tryUserNamespace() const = 0;
  /// In a child: unshare(CLONE_NEWNET) (inside a new user namespace when `inUserNamespace`),
  /// then write 512 to its net.unix.max_dgram_qlen, as every lab's namespace does.
  virtual ChildTrial tryNetworkNamespace(bool inUserNamespace) const = 0;
  /// In a child: a new mount namespace (inside a new user namespace when `inUserNamespace`),
  /// / made private, a tmpfs mounted over /tmp, pivot_root into it, the old root detached.
  virtual ChildTrial tryPivotRoot(bool inUserNamespace) const = 0;
};

/// The real host. Each try* forks one child that exits at once; nothing is left mounted.
class SystemHostProbe final : public HostProbe {
public:
  std::optional<std::string> readFile(const std::string& path) const override;
  std::string environment(const std::string& name) const override;
  bool isExecutable(const std::string& path) const override;
  bool isReadable(const std::string& path) const override;
  int openReadWrite(const std::string& path) const override;
  std::optional<DirectorySpace> directorySpace(const std::string& dir) const override;
  std::string umlRelease(const std::string& binary) const override;
  bool hasProgram(const std::string& name) const override;
  unsigned effectiveUid() const override;
  std::string userName() const override;
  ChildTrial tryUserNamespace() const override;
  ChildTrial tryNetworkNamespace(bool inUserNamespace) const override;
  ChildTrial tryPivotRoot(bool inUserNamespace) const override;
};

// ---- the checks (pure; `plan` may be null: no lab given) ------------------------------------

/// `kernel.debian`: the packaged linux.uml (or $UMLAB_KERNEL, `host.kernel`) and its version.
HostCheck checkDebianKernel(const HostProbe& probe, const HostLayout& host, const LaunchPlan* plan);
/// `kernel.umlab`: umlab's own build (`umlab kernel build`), needed by nodes on `kernel: umlab`.
HostCheck checkUmlabKernel(const HostProbe& probe, const HostLayout& host, const LaunchPlan* plan);
/// `images`: the base images (the default `debian` one, or each the lab's guests boot).
HostCheck checkImages(const HostProbe& probe, const HostLayout& host, const LaunchPlan* plan);
/// `userns`: a user namespace can be made; the sysctls that forbid it.
HostCheck checkUserNamespaces(const HostProbe& probe);
/// `netns`: a network namespace can be made (in a user namespace when rootless) and its
/// datagram queue raised.
HostCheck checkNetworkNamespaces(const HostProbe& probe);
/// `mountns`: a mount namespace, a tmpfs and pivot_root, as the guests' jail needs; a chroot.
HostCheck checkMountNamespaces(const HostProbe& probe);
/// `tun`: /dev/net/tun, for links to the host and pcap monitors.
HostCheck checkTun(const HostProbe& probe, const LaunchPlan* plan);
/// `tmpdir`: the directory UML outside a jail keeps guest RAM in: exec allowed, free space.
HostCheck checkTempDirectory(const HostProbe& probe, const LaunchPlan* plan);
/// `guest-tmpfs`: each confined guest's private tmpfs (half of MemTotal) holds its memory.
HostCheck checkGuestTmpfs(const HostProbe& probe, const LaunchPlan* plan);
/// `memory`: MemAvailable against the lab's guest memory.
HostCheck checkFreeMemory(const HostProbe& probe, const LaunchPlan* plan);
/// `kernel.transports`: every guest's transports against the kernel it runs (>= 6.16 has no
/// daemon, mcast or pcap; pcap needs CONFIG_UML_NET_PCAP).
HostCheck checkTransports(const HostProbe& probe, const LaunchPlan* plan);
/// `mode`: root or rootless, and in rootless mode which ids guests run as (subuid, uidmap).
HostCheck checkMode(const HostProbe& probe);
/// `dgram-queue`: the host's net.unix.max_dgram_qlen and whether a lab namespace can raise it.
HostCheck checkDatagramQueue(const HostProbe& probe);

/// `protocols`: /etc/protocols (package netbase), which pcap filters' protocol names need:
/// without it libpcap compiles 'proto ospf' as protocol 0, so umlab refuses such names.
HostCheck checkProtocols(const HostProbe& probe);

/// Every check, in the order `umlab doctor` prints them.
std::vector<HostCheck> runHostChecks(const HostProbe& probe, const HostLayout& host, const LaunchPlan* plan);

/// The cheap checks a lab depends on, for `umlab up` before anything starts: no fork, no
/// namespace; the kernel's version (one `linux.uml --version` per kernel the lab runs),
/// transports, memory, the guests' tmpfs, /dev/net/tun only when the lab has taps or monitors.
std::vector<HostCheck> runLaunchChecks(const HostProbe& probe, const LaunchPlan& plan);

/// "6.1.176" -> {6, 1}; nullopt when it does not start with two numbers.
std::optional<std::pair<unsigned, unsigned>> parseKernelVersion(const std::string& release);

} // namespace umlab::lab::runtime
