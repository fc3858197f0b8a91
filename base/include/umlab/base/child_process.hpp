#pragma once
/// Child processes that cannot outlive their owner, and a helper that runs a command to
/// completion while streaming its output line by line.
///
/// Every child starts in its own process group (as Ninja's `Subprocess` does with
/// POSIX_SPAWN_SETPGROUP), with an empty signal mask and default signal actions, so that a
/// parent that blocks SIGINT for a signalfd does not pass that on. Destroying a `ChildProcess`
/// that was not reaped stops its group with the project's one policy (process.hpp: SIGTERM,
/// `kStopGrace`, SIGKILL, reap): a forgotten child never becomes a zombie or an orphan that keeps
/// running. Children are started with `spawnProcess`, never through a shell.
///
/// Failures to start (fork, pipe, exec of a missing program) throw `std::system_error` whose
/// message names the program; what a program reports about itself is a `CommandResult`.

#include "umlab/base/process.hpp"
#include "umlab/base/unique_fd.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace umlab {

/// The program and how to start it.
struct Command {
  std::vector<std::string> argv; ///< argv[0] without '/' is looked up with `findExecutable`
  std::string input;             ///< written to the child's stdin, which is then closed
  std::string workingDir;        ///< empty: the parent's
  /// Variables set (or replaced) in the child's environment; the rest is inherited.
  std::vector<std::pair<std::string, std::string>> env;

  /// The command as a shell would show it, for messages: arguments with spaces are quoted.
  std::string display() const;
};

/// Finds `name` on $PATH, then in /usr/local/sbin, /usr/sbin and /sbin (root's tools are often
/// missing from a user's PATH, and sudo may reset it). A name containing '/' is returned as it
/// is when it is executable. nullopt when nothing is found.
std::optional<std::string> findExecutable(const std::string& name);

class ChildProcess {
public:
  /// Starts `command` with stdout and stderr on one pipe (read it from `outputFd()`) and stdin
  /// on a pipe (`inputFd()`) when `command.input` is not empty, else on /dev/null. The input is
  /// not written here; `runCommand` does that. Throws std::system_error.
  static ChildProcess start(const Command& command);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  /// Terminates the group and reaps the child unless it was already reaped.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool isRunning() const { return pid_ > 0 && !status_; }
  /// The read end of the child's merged stdout and stderr.
  UniqueFd& outputFd() { return output_; }
  /// The write end of the child's stdin, or an invalid fd.
  UniqueFd& inputFd() { return input_; }

  /// Blocks until the child exits and reaps it.
  ExitStatus wait();
  /// Reaps the child if it has exited; nullopt while it runs.
  std::optional<ExitStatus> tryWait();
  /// Stops the process group (`stopProcessGroups`) and reaps the child. Returns at once with the known status when it was already reaped.
  ExitStatus terminate(std::chrono::milliseconds grace = kStopGrace);

private:
  ChildProcess() = default;
  void reset();

  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
  UniqueFd output_;
  UniqueFd input_;
};

/// What a command did.
struct CommandResult {
  ExitStatus status;
  bool isCancelled = false;            ///< the cancel fd became readable; the group was terminated
  std::vector<std::string> lastLines;  ///< up to `kTailLines` last lines of output

  static constexpr size_t kTailLines = 15;
  bool isSuccess() const { return !isCancelled && status.isSuccess(); }
};

/// What `runCommand` reports while the command runs.
struct CommandObserver {
  /// Each line of output (stdout and stderr merged) without its terminator; '\r' ends a line too.
  std::function<void(std::string_view line)> onLine;
  /// Called about once a second while the command runs, output or not.
  std::function<void()> onTick;
  /// When this fd becomes readable (a signalfd, a pipe), the command is terminated and the
  /// result says so. -1: never.
  int cancelFd = -1;
};

/// Starts `command`, writes its input, streams its output and waits for it. If the program
/// exits while something it started keeps the output pipe open, the rest is not waited for.
/// Throws std::system_error when the command cannot be started.
CommandResult runCommand(const Command& command, const CommandObserver& observer = {});

/// Runs commands; the real one is `SystemCommandRunner`, tests use fakes (Ninja's
/// `CommandRunner`), so code that drives tools can be tested without them.
class CommandRunner {
public:
  virtual ~CommandRunner() = default;
  /// As `runCommand`; `onLine` and `onTick` may be empty.
  virtual CommandResult run(const Command& command, const std::function<void(std::string_view)>& onLine,
                            const std::function<void()>& onTick) = 0;
  /// True once the user asked to stop (for work done between commands).
  virtual bool isCancelled() { return false; }
  /// True when `name` can be run (the real runner asks `findExecutable`).
  virtual bool hasProgram(const std::string& name) { return findExecutable(name).has_value(); }
};

/// Runs commands with `runCommand`, cancelling them when `cancelFd` (if not -1) is readable.
class SystemCommandRunner : public CommandRunner {
public:
  explicit SystemCommandRunner(int cancelFd = -1) : cancelFd_(cancelFd) {}
  CommandResult run(const Command& command, const std::function<void(std::string_view)>& onLine,
                    const std::function<void()>& onTick) override;
  bool isCancelled() override;

private:
  int cancelFd_;
};

} // namespace umlab
