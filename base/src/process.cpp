#include "umlab/base/process.hpp"

#include "umlab/base/child_process.hpp" // findExecutable

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sstream>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace umlab {

namespace {

using SteadyClock = std::chrono::steady_clock;

/// The child's environment: ours, with `overrides` ("NAME=value") set or replaced.
std::vector<std::string> childEnvironment(const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    bool isOverridden = false;
    for (const std::string& o : overrides) {
      const size_t eq = o.find('=');
      if (eq != std::string::npos && entry.size() > eq && entry.substr(0, eq + 1) == std::string_view(o).substr(0, eq + 1))
        isOverridden = true;
    }
    if (!isOverridden)
      env.emplace_back(entry);
  }
  env.insert(env.end(), overrides.begin(), overrides.end());
  return env;
}

/// waitpid(pid, WNOHANG) without EINTR: the status when it was reaped now.
std::optional<int> reapNow(pid_t pid) {
  int raw = 0;
  pid_t rc;
  while ((rc = ::waitpid(pid, &raw, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (rc == pid)
    return raw;
  if (rc < 0) // ECHILD: not ours, or reaped elsewhere
    return -1;
  return std::nullopt;
}

/// What the child sends back: a whole failure in one write, so the parent never reads half.
static_assert(sizeof(ChildFailure) <= PIPE_BUF, "a child's failure report must fit one atomic pipe write");

/// Copies `text` into `out` (size `size`), cut to fit and terminated. Async-signal-safe.
void copyText(char* out, size_t size, std::string_view text) noexcept {
  const size_t n = text.size() < size - 1 ? text.size() : size - 1;
  for (size_t i = 0; i < n; ++i)
    out[i] = text[i];
  out[n] = '\0';
}

/// A failed start: code() is the child's errno, what() the whole message (a std::system_error
/// would put the errno's text last, after the note).
class SpawnError : public std::system_error {
public:
  SpawnError(int error, std::string message)
      : std::system_error(error, std::generic_category()), message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

private:
  std::string message_;
};

/// "guest pc1: pivot_root into /x: Invalid argument (note)", "cannot run '/bin/true': chdir /x:
/// No such file or directory", "guest pc1: cannot run '/usr/bin/linux': Permission denied".
std::string spawnFailureMessage(const ProcessSpec& spec, const ChildFailure& f) {
  const std::string program = "cannot run '" + spec.argv[0] + "'";
  if (f.operation().empty()) // the exec itself
    return (spec.name.empty() ? "" : spec.name + ": ") + program + ": " + f.describe();
  return (spec.name.empty() ? program : spec.name) + ": " + f.describe();
}

void signalGroup(pid_t pid, int signal) {
  ::kill(-pid, signal);
  ::kill(pid, signal); // in case it left its group
}

} // namespace

ChildFailure::ChildFailure(int error, std::string_view operation, std::string_view object,
                           std::string_view note) noexcept
    : error_(error) {
  copyText(operation_, sizeof operation_, operation);
  copyText(object_, sizeof object_, object);
  copyText(note_, sizeof note_, note);
}

std::string ChildFailure::describe() const {
  std::string out(operation_);
  if (!out.empty() && object_[0] != '\0')
    out += std::string(" ") + object_;
  if (!out.empty())
    out += ": ";
  out += std::strerror(error_);
  if (note_[0] != '\0')
    out += std::string(" (") + note_ + ")";
  return out;
}

ExitStatus ExitStatus::fromWaitStatus(int raw) {
  ExitStatus s;
  if (WIFEXITED(raw))
    s.code = WEXITSTATUS(raw);
  else if (WIFSIGNALED(raw))
    s.signal = WTERMSIG(raw);
  return s;
}

std::string ExitStatus::describe() const {
  if (signal != 0) {
    const char* name = ::strsignal(signal);
    return "was killed by signal " + std::to_string(signal) + (name ? std::string(" (") + name + ")" : "");
  }
  if (code < 0)
    return "did not finish";
  return "exited with status " + std::to_string(code);
}

ProcessId spawnProcess(const ProcessSpec& spec) {
  if (spec.argv.empty())
    throw std::system_error(EINVAL, std::generic_category(), "spawn: empty argv");
  const std::optional<std::string> path = findExecutable(spec.argv[0]);
  if (!path)
    throw std::system_error(ENOENT, std::generic_category(), "cannot run '" + spec.argv[0] + "'");
  // Everything the child needs is prepared before fork: the child only makes system calls.
  std::vector<char*> argv;
  for (const std::string& a : spec.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> envStore = childEnvironment(spec.env);
  std::vector<char*> envp;
  for (std::string& e : envStore)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  constexpr size_t kMaxFds = 64;
  if (spec.fds.size() > kMaxFds)
    throw std::system_error(EINVAL, std::generic_category(), "spawn '" + spec.argv[0] + "': too many descriptors");

  // The texts a failed step names, made now: the child only copies them.
  const std::string userText = spec.user ? std::to_string(spec.user->first) + " (gid " +
                                               std::to_string(spec.user->second) + ")"
                                         : std::string();

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe");
  // The child's report end must not be one of the fds it maps (a tap's fd 10, say): moved high.
  if (const int high = ::fcntl(report[1], F_DUPFD_CLOEXEC, 900); high >= 0) {
    ::close(report[1]);
    report[1] = high;
  }
  // A raw clone with only SIGCHLD is fork(); with CLONE_NEWPID the child is PID 1 of its own
  // namespace. glibc 2.36 caches no pid, so the raw system call is safe here.
  pid_t pid = spec.newPidNamespace
                  ? static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, nullptr))
                  : ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(report[0]);
    ::close(report[1]);
    throw std::system_error(e, std::generic_category(), "fork for '" + spec.argv[0] + "'");
  }
  if (pid == 0) {
    if (spec.newSession)
      ::setsid();
    else
      ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s)
      if (s != SIGKILL && s != SIGSTOP)
        ::signal(s, SIG_DFL);
    // Move the sources out of the way first, so that a mapping never overwrites another's source.
    int moved[kMaxFds];
    const size_t n = spec.fds.size();
    ChildFailure failure;
    for (size_t i = 0; i < n && !failure.isFailure(); ++i)
      if ((moved[i] = ::fcntl(spec.fds[i].second, F_DUPFD_CLOEXEC, 200)) < 0)
        failure = ChildFailure(errno, "duplicate a descriptor for the child");
    for (size_t i = 0; i < n && !failure.isFailure(); ++i)
      if (::dup2(moved[i], spec.fds[i].first) < 0) // dup2 clears close-on-exec on the target
        failure = ChildFailure(errno, "place a descriptor for the child");
    for (int fd = 0; fd < 1024 && !failure.isFailure(); ++fd) {
      bool isMapped = fd == report[1];
      for (size_t i = 0; i < n && !isMapped; ++i)
        isMapped = spec.fds[i].first == fd;
      if (!isMapped)
        ::close(fd);
    }
    if (!failure.isFailure())
      ::close_range(1024, ~0U, CLOSE_RANGE_CLOEXEC); // everything above: closed at exec
    if (!failure.isFailure() && !spec.workingDir.empty() && ::chdir(spec.workingDir.c_str()) != 0)
      failure = ChildFailure(errno, "chdir", spec.workingDir);
    if (!failure.isFailure() && spec.noAslr)
      ::personality(ADDR_NO_RANDOMIZE);
    if (!failure.isFailure() && spec.setup)
      failure = spec.setup->enterInChild();
    if (!failure.isFailure() && spec.user &&
        (::setgroups(0, nullptr) != 0 || ::setresgid(spec.user->second, spec.user->second, spec.user->second) != 0 ||
         ::setresuid(spec.user->first, spec.user->first, spec.user->first) != 0))
      failure = ChildFailure(errno, "change to uid", userText);
    if (!failure.isFailure()) {
      ::execve(path->c_str(), argv.data(), envp.data());
      failure = ChildFailure(errno, ""); // the exec itself: named by the parent
    }
    ssize_t ignored = ::write(report[1], &failure, sizeof failure);
    (void)ignored;
    ::_exit(127);
  }
  ::close(report[1]);
  // Nothing arrives when the exec succeeded (the pipe closed with it), else one whole failure.
  auto failure = std::make_unique<ChildFailure>();
  size_t got = 0;
  while (got < sizeof(ChildFailure)) {
    const ssize_t r = ::read(report[0], reinterpret_cast<char*>(failure.get()) + got, sizeof(ChildFailure) - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += static_cast<size_t>(r);
  }
  ::close(report[0]);
  if (got > 0) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got != sizeof(ChildFailure)) // cannot happen: one write below PIPE_BUF arrives whole
      throw std::system_error(EIO, std::generic_category(), "cannot run '" + spec.argv[0] + "': a cut-short report");
    throw SpawnError(failure->error(), spawnFailureMessage(spec, *failure));
  }
  // Also from the parent, so the group exists before anyone signals it (a new session's leader
  // made its group itself, before the exec reported above; setpgid would refuse it).
  if (!spec.newSession)
    ::setpgid(pid, pid);
  return ProcessId{pid, processStartTime(pid)};
}

unsigned long long processStartTime(pid_t pid) {
  if (pid <= 0)
    return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')'); // the command name may hold spaces and parentheses
  if (close == std::string::npos || text.size() < close + 3)
    return 0;
  // A zombie has exited: it only waits for a parent that may never reap it.
  if (text[close + 2] == 'Z' || text[close + 2] == 'X')
    return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  // Fields after the name start at field 3 (state); the start time is field 22.
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22)
      return std::strtoull(field.c_str(), nullptr, 10);
  return 0;
}

bool signalIfSame(const ProcessId& p, int signal) {
  // pid 1 (and 0, -1) would make kill(-pid) reach every process: never, whatever a file says.
  if (p.pid <= 1 || p.startTime == 0 || processStartTime(p.pid) != p.startTime)
    return false;
  return ::kill(-p.pid, signal) == 0 || ::kill(p.pid, signal) == 0;
}

std::vector<ExitStatus> stopProcessGroups(std::span<const ProcessId> groups, std::span<const bool> reaped,
                                          std::chrono::milliseconds grace) {
  std::vector<ExitStatus> status(groups.size());
  std::vector<bool> done(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    done[i] = groups[i].pid <= 1 || (i < reaped.size() && reaped[i]);
    if (groups[i].pid <= 1)
      continue;
    if (done[i])
      ::kill(-groups[i].pid, SIGKILL); // a reaped leader may have left helpers; its pid is not ours any more
    else
      signalGroup(groups[i].pid, SIGTERM);
  }
  const auto deadline = SteadyClock::now() + grace;
  for (;;) {
    bool all = true;
    for (size_t i = 0; i < groups.size(); ++i) {
      if (done[i])
        continue;
      if (auto raw = reapNow(groups[i].pid)) {
        done[i] = true;
        if (*raw >= 0)
          status[i] = ExitStatus::fromWaitStatus(*raw);
        ::kill(-groups[i].pid, SIGKILL); // what the leader left in its group
      } else {
        all = false;
      }
    }
    if (all || SteadyClock::now() >= deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    if (done[i])
      continue;
    signalGroup(groups[i].pid, SIGKILL);
    int raw = 0;
    pid_t rc;
    while ((rc = ::waitpid(groups[i].pid, &raw, 0)) < 0 && errno == EINTR) {
    }
    if (rc == groups[i].pid)
      status[i] = ExitStatus::fromWaitStatus(raw);
  }
  return status;
}

size_t stopForeignProcessGroups(std::span<const ProcessId> groups, std::chrono::milliseconds grace) {
  size_t running = 0;
  std::vector<bool> alive(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    alive[i] = signalIfSame(groups[i], SIGTERM);
    running += alive[i];
  }
  const auto deadline = SteadyClock::now() + grace;
  for (bool any = running > 0; any && SteadyClock::now() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    any = false;
    for (size_t i = 0; i < groups.size(); ++i)
      if (alive[i])
        any = any || processStartTime(groups[i].pid) == groups[i].startTime;
  }
  for (size_t i = 0; i < groups.size(); ++i)
    if (alive[i] && groups[i].pid > 1)
      ::kill(-groups[i].pid, SIGKILL); // the group may outlive its leader
  return running;
}

} // namespace umlab

#include "umlab/base/process_runner.hpp"

namespace umlab {

std::vector<std::pair<pid_t, ExitStatus>> SystemProcessRunner::reapEnded() {
  std::vector<std::pair<pid_t, ExitStatus>> out;
  for (;;) {
    int raw = 0;
    const pid_t pid = ::waitpid(-1, &raw, WNOHANG);
    if (pid < 0 && errno == EINTR)
      continue;
    if (pid <= 0)
      return out;
    out.emplace_back(pid, ExitStatus::fromWaitStatus(raw));
  }
}

} // namespace umlab
