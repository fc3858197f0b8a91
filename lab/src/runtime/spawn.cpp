#include "umlab/lab/runtime/spawn.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <grp.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace umlab::lab::runtime {

namespace {

/// The jail, turned into plain steps before fork, so that the child only makes system calls.
struct JailSteps {
  struct Step {
    enum Kind { MkdirTarget, TouchTarget, Bind, ReadOnly, Symlink, Tmpfs } kind;
    std::string a; // source or symlink target
    std::string b; // path inside the jail root (absolute on the host)
  };
  std::vector<Step> steps;
};

JailSteps planJail(const Jail& j) {
  JailSteps out;
  auto mkdirs = [&](const std::string& inside) {
    std::string path = j.root;
    size_t pos = 1;
    while (pos <= inside.size()) {
      size_t next = inside.find('/', pos);
      if (next == std::string::npos)
        next = inside.size();
      path += inside.substr(pos - 1, next - pos + 1);
      out.steps.push_back({JailSteps::Step::MkdirTarget, "", path});
      pos = next + 1;
    }
  };
  // Private tmpfs first: binds below them (a state directory under /tmp) stay visible.
  for (const std::string& t : j.tmpfs) {
    mkdirs(t);
    out.steps.push_back({JailSteps::Step::Tmpfs, "", j.root + t});
  }
  for (const Jail::Bind& b : j.binds) {
    struct stat st {};
    if (::lstat(b.path.c_str(), &st) != 0)
      continue;
    const std::string parent = b.path.substr(0, b.path.rfind('/'));
    if (!parent.empty())
      mkdirs(parent);
    const std::string target = j.root + b.path;
    if (S_ISLNK(st.st_mode)) {
      char link[4096];
      ssize_t n = ::readlink(b.path.c_str(), link, sizeof link - 1);
      if (n > 0)
        out.steps.push_back({JailSteps::Step::Symlink, std::string(link, static_cast<size_t>(n)), target});
      continue;
    }
    out.steps.push_back({S_ISDIR(st.st_mode) ? JailSteps::Step::MkdirTarget : JailSteps::Step::TouchTarget, "", target});
    out.steps.push_back({JailSteps::Step::Bind, b.path, target});
    if (!b.writable)
      out.steps.push_back({JailSteps::Step::ReadOnly, "", target});
  }
  return out;
}

/// In the child: build the jail and enter it. Returns errno on failure, 0 on success.
int enterJail(const Jail& j, const JailSteps& plan) {
  const mode_t umask = ::umask(022); // the jail's directories must be traversable by its uid
  if (::unshare(CLONE_NEWNS) != 0)
    return errno;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return errno;
  if (::mount("umlab-jail", j.root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0)
    return errno;
  for (const JailSteps::Step& s : plan.steps) {
    int rc = 0;
    switch (s.kind) {
    case JailSteps::Step::MkdirTarget:
      rc = ::mkdir(s.b.c_str(), 0755);
      if (rc != 0 && errno == EEXIST)
        rc = 0;
      break;
    case JailSteps::Step::TouchTarget: {
      int fd = ::open(s.b.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      rc = fd < 0 ? -1 : ::close(fd);
      break;
    }
    case JailSteps::Step::Bind:
      rc = ::mount(s.a.c_str(), s.b.c_str(), nullptr, MS_BIND, nullptr); // not recursive: no mounts below
      break;
    case JailSteps::Step::ReadOnly:
      rc = ::mount(nullptr, s.b.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, nullptr);
      break;
    case JailSteps::Step::Symlink:
      rc = ::symlink(s.a.c_str(), s.b.c_str());
      break;
    case JailSteps::Step::Tmpfs:
      rc = ::mount("umlab-tmp", s.b.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
      break;
    }
    if (rc != 0)
      return errno;
  }
  if (::chdir(j.root.c_str()) != 0 || ::syscall(SYS_pivot_root, ".", ".") != 0 || ::umount2(".", MNT_DETACH) != 0 ||
      ::chdir("/") != 0)
    return errno;
  if (::setgroups(0, nullptr) != 0 || ::setresgid(j.gid, j.gid, j.gid) != 0 || ::setresuid(j.uid, j.uid, j.uid) != 0)
    return errno;
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  ::umask(umask);
  return 0;
}

} // namespace

pid_t spawnProcess(const SpawnOptions& o) {
  if (o.argv.empty())
    throw std::system_error(EINVAL, std::generic_category(), "spawn: empty argv");
  // Everything the child needs is prepared before fork: the child only calls async-signal-safe
  // functions.
  std::vector<char*> argv;
  for (const std::string& a : o.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> envStore;
  for (char** e = environ; *e; ++e)
    envStore.emplace_back(*e);
  envStore.insert(envStore.end(), o.env.begin(), o.env.end());
  std::vector<char*> envp;
  for (const std::string& e : envStore)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  const JailSteps jailSteps = o.jail ? planJail(*o.jail) : JailSteps{};

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe");
  // A raw clone with only SIGCHLD is fork(); with CLONE_NEWPID the child is PID 1 of its own
  // namespace. glibc 2.36 caches no pid, so the raw system call is safe here.
  pid_t pid = o.newPidNamespace ? static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, nullptr))
                                : ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(report[0]);
    ::close(report[1]);
    throw std::system_error(e, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s)
      if (s != SIGKILL && s != SIGSTOP)
        ::signal(s, SIG_DFL);
    // Move the sources out of the way first, so that a mapping never overwrites another's source.
    int moved[64];
    size_t n = o.fds.size() < 64 ? o.fds.size() : 64;
    for (size_t i = 0; i < n; ++i)
      moved[i] = ::fcntl(o.fds[i].second, F_DUPFD, 200);
    for (size_t i = 0; i < n; ++i)
      ::dup2(moved[i], o.fds[i].first);
    int highest = 2;
    for (size_t i = 0; i < n; ++i)
      highest = o.fds[i].first > highest ? o.fds[i].first : highest;
    for (int fd = highest + 1; fd < 1024; ++fd)
      if (fd != report[1])
        ::close(fd);
    if (o.noAslr)
      ::personality(ADDR_NO_RANDOMIZE);
    int e = 0;
    if (o.jail)
      e = enterJail(*o.jail, jailSteps);
    else if (o.user && (::setgroups(0, nullptr) != 0 || ::setresgid(o.user->second, o.user->second, o.user->second) != 0 ||
                        ::setresuid(o.user->first, o.user->first, o.user->first) != 0))
      e = errno;
    if (e == 0) {
      ::execve(argv[0], argv.data(), envp.data());
      e = errno;
    }
    ssize_t ignored = ::write(report[1], &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  ::close(report[1]);
  int childErrno = 0;
  ssize_t got;
  do {
    got = ::read(report[0], &childErrno, sizeof childErrno);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got == sizeof childErrno) {
    int status;
    ::waitpid(pid, &status, 0);
    throw std::system_error(childErrno, std::generic_category(), "cannot run '" + o.argv[0] + "'");
  }
  ::setpgid(pid, pid); // also from the parent, so the group exists before anyone signals it
  return pid;
}

unsigned long long processStartTime(pid_t pid) {
  if (pid <= 0)
    return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')'); // the command name may hold spaces and parentheses
  if (close == std::string::npos)
    return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  // A zombie has exited: it only waits for a parent that may never reap it.
  if (text.size() > close + 2 && (text[close + 2] == 'Z' || text[close + 2] == 'X'))
    return 0;
  // Fields after the name start at field 3 (state); the start time is field 22.
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22)
      return std::strtoull(field.c_str(), nullptr, 10);
  return 0;
}

bool signalIfSame(pid_t pid, unsigned long long startTime, int signal) {
  if (pid <= 0 || startTime == 0 || processStartTime(pid) != startTime)
    return false;
  return ::kill(-pid, signal) == 0 || ::kill(pid, signal) == 0;
}

ProcessGroup::ProcessGroup(ProcessGroup&& o) noexcept
    : pid_(o.pid_), startTime_(o.startTime_), reaped_(o.reaped_), status_(o.status_) {
  o.pid_ = -1;
}

ProcessGroup& ProcessGroup::operator=(ProcessGroup&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = o.pid_;
    startTime_ = o.startTime_;
    reaped_ = o.reaped_;
    status_ = o.status_;
    o.pid_ = -1;
  }
  return *this;
}

void ProcessGroup::markReaped(int status) {
  reaped_ = true;
  status_ = status;
}

void ProcessGroup::stop(int graceMs) {
  if (pid_ <= 0)
    return;
  // The group may outlive its leader (UML helpers): signal it even when the leader was reaped.
  if (graceMs > 0 && !reaped_) {
    ::kill(-pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(graceMs);
    while (std::chrono::steady_clock::now() < deadline) {
      int status;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) {
        markReaped(status);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ::kill(-pid_, SIGKILL);
  if (!reaped_) {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    markReaped(status);
  }
  pid_ = -1;
}

pid_t ProcessGroup::release() {
  pid_t p = pid_;
  pid_ = -1;
  return p;
}

} // namespace umlab::lab::runtime
