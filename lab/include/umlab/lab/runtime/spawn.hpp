#pragma once
/// Starting the lab's processes (guests and switches) and keeping track of them.
///
/// Every process is started in its own process group, so that stopping it also stops the helper
/// processes UML forks; `ProcessGroup` owns one and kills and reaps it on destruction (Ninja's
/// `~Subprocess`). Processes are identified across `umlab` runs by (pid, start time) from
/// /proc/<pid>/stat, so that `umlab clean` never signals a recycled pid.

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace umlab::lab::runtime {

/// A private view of the file system for an untrusted process (UML guests: guest root can mount
/// hostfs on any path the UML process can see; UML.md §8). The child gets a new mount namespace
/// whose root is an empty tmpfs holding only the listed paths, bound at their own paths, and
/// then runs as `uid`/`gid` with no supplementary groups and no new privileges. Host symlinks
/// such as /lib -> usr/lib are recreated as symlinks.
struct Jail {
  std::string root; ///< an existing empty directory on the host: the tmpfs is mounted here
  struct Bind {
    std::string path;
    bool writable = false;
  };
  std::vector<Bind> binds;
  std::vector<std::string> tmpfs; ///< fresh writable tmpfs mounts (e.g. /tmp for UML's memory file)
  uid_t uid = 65534;
  gid_t gid = 65534;
};

struct SpawnOptions {
  std::vector<std::string> argv;
  /// (fd in the child, fd in this process). All other fds are closed in the child.
  std::vector<std::pair<int, int>> fds;
  /// Turn off address-space randomisation (setarch -R): UML's memory layout needs it.
  bool noAslr = false;
  /// Start the child as PID 1 of a new PID namespace, so that when it dies the kernel kills
  /// every process it left (UML's per-process host helpers call setsid(), so a process group
  /// does not hold them).
  bool newPidNamespace = false;
  /// Extra "NAME=value" entries for the child's environment.
  std::vector<std::string> env;
  /// When set, the child runs confined (see Jail).
  const Jail* jail = nullptr;
  /// When set (and no jail), the child drops to this uid/gid before exec.
  std::optional<std::pair<uid_t, gid_t>> user;
};

/// fork + exec in a new process group; throws std::system_error when the program cannot be
/// started (the child reports exec failure back through a close-on-exec pipe).
pid_t spawnProcess(const SpawnOptions& options);

/// The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), or 0 when
/// the process does not exist or has exited (a zombie).
unsigned long long processStartTime(pid_t pid);

/// Sends `signal` to process group `pgid` if its leader `pid` is still the process that started
/// at `startTime`. Returns false when it is gone or was replaced.
bool signalIfSame(pid_t pid, unsigned long long startTime, int signal);

/// Owns a started process group: on destruction sends SIGTERM, waits up to a grace period,
/// then SIGKILLs the group and reaps the leader.
class ProcessGroup {
public:
  ProcessGroup() = default;
  explicit ProcessGroup(pid_t pid) : pid_(pid), startTime_(processStartTime(pid)) {}
  ProcessGroup(ProcessGroup&& o) noexcept;
  ProcessGroup& operator=(ProcessGroup&& o) noexcept;
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;
  ~ProcessGroup() { stop(); }

  pid_t pid() const { return pid_; }
  unsigned long long startTime() const { return startTime_; }
  bool isRunning() const { return pid_ > 0 && !reaped_; }
  /// Records that the leader was reaped elsewhere (by a SIGCHLD handler) with `status`.
  void markReaped(int status);
  int waitStatus() const { return status_; }
  /// Kills the whole group (SIGKILL after `graceMs` of SIGTERM; 0 = at once) and reaps.
  void stop(int graceMs = 0);
  /// Gives up ownership without stopping.
  pid_t release();

private:
  pid_t pid_ = -1;
  unsigned long long startTime_ = 0;
  bool reaped_ = false;
  int status_ = 0;
};

} // namespace umlab::lab::runtime
