// The real HostProbe (host_checks.hpp): files, statvfs, `linux.uml --version`, and the
// namespace and pivot_root trials, each in a forked child that exits at once.
#include "umlab/lab/runtime/host_checks.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/base/file_io.hpp"
#include "umlab/base/unique_fd.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace {

constexpr uint64_t kTmpfsMagic = 0x01021994;

/// Runs `steps` in a forked child; the child reports the first failing step through a pipe.
/// `steps` returns {step, errno} of its first failure, or {"", 0}.
template <typename Steps> ChildTrial inChild(Steps steps) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return {"pipe", errno};
  UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0)
    return {"fork", errno};
  if (pid == 0) {
    const ChildTrial t = steps();
    const std::string msg = std::to_string(t.error) + " " + t.failedStep;
    [[maybe_unused]] ssize_t n = ::write(writeEnd.get(), msg.data(), msg.size());
    ::_exit(0);
  }
  writeEnd.reset();
  std::string msg;
  char buf[256];
  for (ssize_t n; (n = ::read(readEnd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    msg.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const size_t space = msg.find(' ');
  if (space == std::string::npos)
    return {"the child (it died)", ECHILD};
  ChildTrial t;
  t.error = std::atoi(msg.substr(0, space).c_str());
  t.failedStep = msg.substr(space + 1);
  return t;
}

/// Writes `text` to `path`; 0 or errno.
int writeText(const char* path, const std::string& text) {
  UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
  if (!fd)
    return errno;
  const ssize_t n = ::write(fd.get(), text.data(), text.size());
  return n == ssize_t(text.size()) ? 0 : (n < 0 ? errno : EIO);
}

/// In the child: a new user namespace (plus `extraFlags`, named `flagName`) with the caller
/// mapped as 0.
ChildTrial enterUserNamespace(int extraFlags, const char* flagName) {
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  if (::unshare(CLONE_NEWUSER | extraFlags) != 0)
    return {extraFlags ? "unshare(CLONE_NEWUSER | " + std::string(flagName) + ")" : "unshare(CLONE_NEWUSER)", errno};
  if (int e = writeText("/proc/self/setgroups", "deny"); e && e != ENOENT)
    return {"write /proc/self/setgroups", e};
  if (int e = writeText("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1"))
    return {"write /proc/self/uid_map", e};
  if (int e = writeText("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
    return {"write /proc/self/gid_map", e};
  return {};
}

/// In the child: a new namespace of kind `flag` (named `flagName`), inside a new user namespace
/// when `inUserNamespace` (the rootless way), else directly (root's way).
ChildTrial enterNamespace(int flag, const char* flagName, bool inUserNamespace) {
  if (inUserNamespace)
    return enterUserNamespace(flag, flagName);
  if (::unshare(flag) != 0)
    return {"unshare(" + std::string(flagName) + ")", errno};
  return {};
}

} // namespace

std::optional<std::string> SystemHostProbe::readFile(const std::string& path) const { return readWholeFile(path); }

std::string SystemHostProbe::environment(const std::string& name) const {
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

bool SystemHostProbe::isExecutable(const std::string& path) const {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool SystemHostProbe::isReadable(const std::string& path) const { return ::access(path.c_str(), R_OK) == 0; }

int SystemHostProbe::openReadWrite(const std::string& path) const {
  const UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  return fd ? 0 : errno;
}

std::optional<DirectorySpace> SystemHostProbe::directorySpace(const std::string& dir) const {
  struct statvfs v {};
  struct statfs f {};
  if (::statvfs(dir.c_str(), &v) != 0 || ::statfs(dir.c_str(), &f) != 0)
    return std::nullopt;
  DirectorySpace d;
  d.isNoexec = (v.f_flag & ST_NOEXEC) != 0;
  d.isTmpfs = static_cast<uint64_t>(f.f_type) == kTmpfsMagic;
  d.freeBytes = uint64_t(v.f_bavail) * v.f_frsize;
  d.totalBytes = uint64_t(v.f_blocks) * v.f_frsize;
  return d;
}

std::string SystemHostProbe::umlRelease(const std::string& binary) const {
  Command c;
  c.argv = {binary, "--version"};
  std::string first;
  try {
    const CommandResult r = runCommand(c, CommandObserver{[&](std::string_view line) {
      if (first.empty())
        first = std::string(line);
    }});
    if (!r.isSuccess())
      return "";
  } catch (const std::system_error&) {
    return "";
  }
  return parseKernelVersion(first) ? first : "";
}

bool SystemHostProbe::hasProgram(const std::string& name) const { return findExecutable(name).has_value(); }

unsigned SystemHostProbe::effectiveUid() const { return ::geteuid(); }

std::string SystemHostProbe::userName() const {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw ? pw->pw_name : std::to_string(::geteuid());
}

ChildTrial SystemHostProbe::tryUserNamespace() const {
  return inChild([] { return enterUserNamespace(0, ""); });
}

ChildTrial SystemHostProbe::tryNetworkNamespace(bool inUserNamespace) const {
  return inChild([inUserNamespace]() -> ChildTrial {
    if (ChildTrial t = enterNamespace(CLONE_NEWNET, "CLONE_NEWNET", inUserNamespace); !t.isOk())
      return t;
    // /proc/sys/net is the namespace of the process that opens it: the new one.
    if (int e = writeText("/proc/sys/net/unix/max_dgram_qlen", "512\n"))
      return {"write net.unix.max_dgram_qlen in the new namespace", e};
    return {};
  });
}

ChildTrial SystemHostProbe::tryPivotRoot(bool inUserNamespace) const {
  return inChild([inUserNamespace]() -> ChildTrial {
    if (ChildTrial t = enterNamespace(CLONE_NEWNS, "CLONE_NEWNS", inUserNamespace); !t.isOk())
      return t;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      return {"make / private (mount MS_REC|MS_PRIVATE)", errno};
    // /tmp of this private namespace only: the mount ends with the child.
    if (::mount("umlab-doctor", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0700") != 0)
      return {"mount a tmpfs on /tmp", errno};
    if (::mkdir("/tmp/old", 0700) != 0)
      return {"mkdir in the tmpfs", errno};
    if (::chdir("/tmp") != 0)
      return {"chdir /tmp", errno};
    if (::syscall(SYS_pivot_root, ".", "old") != 0)
      return {"pivot_root", errno};
    if (::umount2("/old", MNT_DETACH) != 0)
      return {"detach the old root", errno};
    return {};
  });
}

} // namespace umlab::lab::runtime
