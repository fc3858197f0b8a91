#pragma once
/// The one way umlab starts and stops a process (DESIGN.md §5.1).
///
/// Design notes
/// ------------
/// Every process starts in its own process group (Ninja's `Subprocess` does the same with
/// POSIX_SPAWN_SETPGROUP), with an empty signal mask and default signal actions, so that a
/// parent that blocks signals for a signalfd does not pass that on. Stopping is one policy for
/// the whole project: SIGTERM to every group at once, up to `kStopGrace` for all of them
/// together, then SIGKILL to the groups that are left, then reap. Groups are signalled even when
/// their leader has already been reaped: UML leaves helper processes behind.
///
/// A process is named by (pid, start time) from /proc/<pid>/stat, so that a pid the kernel
/// recycled is never signalled (`umlab clean` acts on pids recorded by an earlier run).
///
/// The child side runs only async-signal-safe code: everything it needs (argv, envp, fd moves,
/// the jail's mount steps) is prepared before fork. What a caller must do in the child, between
/// fork and exec (enter a mount namespace, change uid), is a `ChildSetup` prepared the same way.
///
/// `spawnProcess` and `stopProcessGroups` are the mechanism; `ProcessRunner`
/// (process_runner.hpp) is the interface the lab runtime uses, so that launch order and
/// teardown are tested with a fake; `ChildProcess` (child_process.hpp) runs tools to completion
/// over the same two functions.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace umlab {

/// How long a stopped process group may take to exit after SIGTERM before it is SIGKILLed.
/// One value, everywhere.
inline constexpr std::chrono::milliseconds kStopGrace{2000};

/// How a child ended.
struct ExitStatus {
  int code = -1;  ///< the exit code when the child exited, else -1
  int signal = 0; ///< the signal that killed it, else 0

  bool isSuccess() const { return code == 0; }
  /// "exited with status 2", "was killed by signal 9 (Killed)".
  std::string describe() const;
  /// From a waitpid() status.
  static ExitStatus fromWaitStatus(int raw);
  friend bool operator==(const ExitStatus&, const ExitStatus&) = default;
};

/// Why a start stopped in the child: the errno, the operation ("pivot_root into", "bind-mount")
/// and its object (a path, "/usr onto <root>/usr", a uid), and a note saying what to do. Made in
/// the child without allocating (the texts are copied into fixed buffers, cut if too long) and
/// sent whole to the parent through spawnProcess's close-on-exec report pipe.
class ChildFailure {
public:
  ChildFailure() = default; ///< no failure
  ChildFailure(int error, std::string_view operation, std::string_view object = {},
               std::string_view note = {}) noexcept;

  bool isFailure() const { return error_ != 0; }
  int error() const { return error_; }
  std::string_view operation() const { return operation_; }
  std::string_view object() const { return object_; }
  std::string_view note() const { return note_; }
  /// "pivot_root into /x: Invalid argument (note)"; "Invalid argument" alone without an operation.
  std::string describe() const;

private:
  int error_ = 0;
  char operation_[96]{};
  char object_[2560]{};
  char note_[1024]{};
};

/// Work done in the child between fork and exec. It must be async-signal-safe: prepare
/// everything in the constructor, including the texts a failure names. Returns a default
/// `ChildFailure` on success, else the step that stopped the start.
class ChildSetup {
public:
  virtual ~ChildSetup() = default;
  virtual ChildFailure enterInChild() const noexcept = 0;
};

/// What to start and how.
struct ProcessSpec {
  std::vector<std::string> argv; ///< argv[0] is an absolute path, or a name found on $PATH
  /// For messages and fakes: "switch lan", "guest pc1", "mkfs.ext4".
  std::string name;
  /// (fd in the child, fd in this process). Every other fd is closed in the child.
  std::vector<std::pair<int, int>> fds;
  /// "NAME=value" entries set in (or replacing those of) the child's environment.
  std::vector<std::string> env;
  std::string workingDir; ///< empty: this process's
  /// Turn off address-space randomisation (setarch -R): UML's memory layout needs it.
  bool noAslr = false;
  /// Start the child as PID 1 of a new PID namespace, so that when it dies the kernel kills
  /// every process it left (UML's helpers call setsid(), so a process group does not hold them).
  bool newPidNamespace = false;
  /// When set, the child drops to this uid and gid (no supplementary groups) before exec.
  std::optional<std::pair<uid_t, gid_t>> user;
  /// When set, runs in the child after the fds are in place and before `user` is applied.
  const ChildSetup* setup = nullptr;
  /// Start the child in a session of its own (setsid: also its own process group), detached from
  /// this process's terminal, for a process meant to outlive the command that started it.
  bool newSession = false;
};

/// A started process, as the kernel knows it.
struct ProcessId {
  pid_t pid = -1;
  unsigned long long startTime = 0; ///< clock ticks since boot; 0 when unknown

  bool isValid() const { return pid > 0; }
  friend bool operator==(const ProcessId&, const ProcessId&) = default;
};

/// Starts `spec` in a new process group. Throws std::system_error when it cannot be started:
/// the child reports a failed step or exec back through a close-on-exec pipe, and the message
/// names the process (`spec.name`, else the program) and the step: "guest pc1: pivot_root into
/// /run/umlab/lab/jail/pc1: Invalid argument (…)", "cannot run '/bin/true': chdir /x: No such
/// file or directory", "guest pc1: cannot run '/usr/bin/linux': Permission denied".
ProcessId spawnProcess(const ProcessSpec& spec);

/// The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), or 0 when
/// the process does not exist or has exited (a zombie).
unsigned long long processStartTime(pid_t pid);

/// Sends `signal` to the group of `p` (and `p` itself) when it is still the process that
/// started at `p.startTime`. False when it is gone or was replaced.
bool signalIfSame(const ProcessId& p, int signal);

/// Stops process groups this process started (and so may reap), with the one policy above.
/// `reaped[i]` (when given) says the leader of `groups[i]` was already reaped elsewhere; the
/// result holds each leader's exit status (from here, or default when reaped elsewhere).
std::vector<ExitStatus> stopProcessGroups(std::span<const ProcessId> groups, std::span<const bool> reaped = {},
                                          std::chrono::milliseconds grace = kStopGrace);

/// Stops process groups that some other process started (recorded by an earlier `umlab`),
/// matched by start time: SIGTERM, up to `grace`, SIGKILL. Returns how many were running.
size_t stopForeignProcessGroups(std::span<const ProcessId> groups, std::chrono::milliseconds grace = kStopGrace);

} // namespace umlab
