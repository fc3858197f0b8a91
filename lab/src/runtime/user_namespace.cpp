#include "umlab/lab/runtime/user_namespace.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/base/hash.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/base/unix_socket.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <pwd.h>
#include <sched.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool writeProcFile(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  return fd && ::write(fd.get(), text.data(), text.size()) == ssize_t(text.size());
}

std::string mapText(const std::vector<IdMapLine>& lines) {
  std::string t;
  for (const IdMapLine& l : lines)
    t += std::to_string(l.inside) + " " + std::to_string(l.outside) + " " + std::to_string(l.count) + "\n";
  return t;
}

std::vector<std::string> mapArgs(const std::string& tool, pid_t pid, const std::vector<IdMapLine>& lines) {
  std::vector<std::string> argv{tool, std::to_string(pid)};
  for (const IdMapLine& l : lines)
    for (unsigned v : {l.inside, l.outside, l.count})
      argv.push_back(std::to_string(v));
  return argv;
}

/// Why the kernel refused a user namespace, and what to do.
std::string userNamespaceRefusal(int e) {
  std::string why = std::string("cannot create a user namespace for the lab: ") + std::strerror(e);
  std::string clone = readFile("/proc/sys/kernel/unprivileged_userns_clone");
  if (clone.rfind("0", 0) == 0)
    return why + " (unprivileged user namespaces are off: kernel.unprivileged_userns_clone = 0); ask the "
                 "administrator to run 'sysctl -w kernel.unprivileged_userns_clone=1', or run umlab as root";
  if (readFile("/proc/sys/user/max_user_namespaces").rfind("0", 0) == 0)
    return why + " (user.max_user_namespaces = 0); ask the administrator to raise it, or run umlab as root";
  if (e == EINVAL)
    return why + " (the process has threads, or runs in a chroot: 'umlab doctor' tells which)";
  return why + "; run umlab as root, or ask the administrator to allow unprivileged user namespaces";
}

} // namespace

std::optional<IdRange> findSubordinateRange(std::string_view fileText, std::string_view user, unsigned id) {
  std::istringstream in{std::string(fileText)};
  std::string line;
  const std::string idText = std::to_string(id);
  while (std::getline(in, line)) {
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos)
      continue;
    const std::string owner = line.substr(0, a);
    if (owner != user && owner != idText)
      continue;
    try {
      size_t used = 0;
      const unsigned long start = std::stoul(line.substr(a + 1, b - a - 1), &used);
      const unsigned long count = std::stoul(line.substr(b + 1));
      if (count >= 2 && start > 0 && start + count <= 0xffffffffUL)
        return IdRange{static_cast<unsigned>(start), static_cast<unsigned>(count)};
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

UserNamespacePlan planUserNamespace(unsigned uid, unsigned gid, const std::string& user,
                                    const std::optional<IdRange>& subuid, const std::optional<IdRange>& subgid,
                                    bool haveNewidmap, const std::string& lab) {
  UserNamespacePlan p;
  if (subuid && subgid && haveNewidmap) {
    p.usesNewidmap = true;
    const unsigned count = std::min(subuid->count, subgid->count); // inside ids 1..count
    p.uidMap = {{0, uid, 1}, {1, subuid->start, count}};
    p.gidMap = {{0, gid, 1}, {1, subgid->start, count}};
    // Never 1..999 (system ids inside) when the range allows; one id per lab.
    // Never 65534 or 65535 either: unmapped ids show as 65534 inside, and the supervisor tells
    // root (from outside) by it.
    const unsigned low = count > 2000 ? 1000 : 1;
    const unsigned high = std::min(count, 65533u);
    p.guestId = low + static_cast<unsigned>(fnv1a64(lab) % (high - low + 1));
    return p;
  }
  p.uidMap = {{0, uid, 1}};
  p.gidMap = {{0, gid, 1}};
  p.guestId = 0;
  if (!haveNewidmap)
    p.note = "guests run as " + user + " itself: 'newuidmap' is missing (apt-get install uidmap gives each lab "
             "its own subordinate uid)";
  else
    p.note = "guests run as " + user + " itself: " + user + " has no subordinate " +
             (subuid ? "gids in /etc/subgid" : "uids in /etc/subuid") + " (the administrator gives it a range no other user has, e.g. 'usermod --add-subuids 700000-765535 --add-subgids 700000-765535 " + user + "')";
  return p;
}

UserNamespacePlan planUserNamespaceForCaller(const std::string& lab) {
  const uid_t uid = ::getuid();
  const gid_t gid = ::getgid();
  std::string user = std::to_string(uid);
  if (const passwd* pw = ::getpwuid(uid))
    user = pw->pw_name;
  auto setuidRoot = [](const char* name) {
    std::optional<std::string> path = findExecutable(name);
    struct stat st {};
    return path && ::stat(path->c_str(), &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid == 0;
  };
  const bool haveNewidmap = setuidRoot("newuidmap") && setuidRoot("newgidmap");
  return planUserNamespace(uid, gid, user, findSubordinateRange(readFile("/etc/subuid"), user, uid),
                           findSubordinateRange(readFile("/etc/subgid"), user, uid), haveNewidmap, lab);
}

void enterUserNamespace(const UserNamespacePlan& plan) {
  if (!plan.usesNewidmap) {
    if (::unshare(CLONE_NEWUSER) != 0)
      throw RuntimeError(userNamespaceRefusal(errno));
    if (!writeProcFile("/proc/self/setgroups", "deny") || !writeProcFile("/proc/self/uid_map", mapText(plan.uidMap)) ||
        !writeProcFile("/proc/self/gid_map", mapText(plan.gidMap)))
      throw RuntimeError(std::string("cannot map the user into the lab's user namespace: ") + std::strerror(errno));
    return;
  }
  // newuidmap/newgidmap map a process from outside its new namespace: a helper, forked before
  // the unshare, waits for word that it happened, maps this process, and reports on `report`.
  int go[2], report[2];
  if (::pipe2(go, O_CLOEXEC) != 0)
    throw RuntimeError(std::string("pipe: ") + std::strerror(errno));
  UniqueFd goRead(go[0]), goWrite(go[1]);
  if (::pipe2(report, O_CLOEXEC) != 0)
    throw RuntimeError(std::string("pipe: ") + std::strerror(errno));
  UniqueFd reportRead(report[0]), reportWrite(report[1]);
  const pid_t self = ::getpid();
  const pid_t helper = ::fork();
  if (helper < 0)
    throw RuntimeError(std::string("fork: ") + std::strerror(errno));
  if (helper == 0) {
    goWrite.reset();
    reportRead.reset();
    char c;
    if (::read(goRead.get(), &c, 1) != 1)
      ::_exit(1); // the unshare failed: nothing to map
    std::string failure;
    for (const auto& [tool, lines] : {std::pair{std::string("newuidmap"), &plan.uidMap},
                                      std::pair{std::string("newgidmap"), &plan.gidMap}}) {
      try {
        CommandResult r = runCommand(Command{mapArgs(tool, self, *lines)});
        if (!r.isSuccess()) {
          failure = "'" + tool + "' " + r.status.describe();
          for (const std::string& l : r.lastLines)
            failure += "\n  " + l;
          break;
        }
      } catch (const std::exception& e) {
        failure = std::string("cannot run '") + tool + "': " + e.what();
        break;
      }
    }
    if (!failure.empty()) {
      ssize_t ignored = ::write(reportWrite.get(), failure.data(), failure.size());
      (void)ignored;
    }
    ::_exit(failure.empty() ? 0 : 1);
  }
  goRead.reset();
  reportWrite.reset();
  const int unshared = ::unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
  if (unshared == 0)
    (void)!::write(goWrite.get(), "g", 1);
  goWrite.reset();
  std::string failure;
  char buf[512];
  for (ssize_t n; (n = ::read(reportRead.get(), buf, sizeof buf)) > 0;)
    failure.append(buf, static_cast<size_t>(n));
  int status = 0;
  while (::waitpid(helper, &status, 0) < 0 && errno == EINTR) {
  }
  if (unshared != 0)
    throw RuntimeError(userNamespaceRefusal(unshared));
  if (!failure.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!failure.empty() && failure.back() == '\n')
      failure.pop_back();
    throw RuntimeError("cannot map the lab's subordinate ids: " + (failure.empty() ? "the helper failed" : failure) +
                       " (check this user's lines in /etc/subuid and /etc/subgid)");
  }
}

bool isRootless() { return ::geteuid() != 0; }

bool runAsLabOwner(const std::function<bool()>& work) {
  if (!isRootless())
    return false;
  const UserNamespacePlan plan = planUserNamespaceForCaller("");
  if (!plan.usesNewidmap)
    return false; // only the user's own id was ever mapped: nothing to gain
  const pid_t child = ::fork();
  if (child < 0)
    return false;
  if (child == 0) {
    try {
      enterUserNamespace(plan);
      ::_exit(work() ? 0 : 1);
    } catch (...) {
      ::_exit(1);
    }
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool removeLabTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!std::filesystem::exists(dir, ec) || !isRootless())
    return !std::filesystem::exists(dir, ec);
  runAsLabOwner([&] {
    std::error_code e;
    std::filesystem::remove_all(dir, e);
    return !e;
  });
  return !std::filesystem::exists(dir, ec);
}

unsigned overflowUid() {
  const std::string text = readFile("/proc/sys/kernel/overflowuid");
  return text.empty() ? 65534u : static_cast<unsigned>(std::strtoul(text.c_str(), nullptr, 10));
}

LabSide::LabSide(pid_t supervisor)
    : userNamespace_("/proc/" + std::to_string(supervisor) + "/ns/user"), isDirect_(true) {
  if (::geteuid() == 0)
    return;
  // Only a lab known to share the caller's user namespace is reached directly; when that cannot
  // be told, the child's setns says why.
  struct stat mine {}, theirs {};
  isDirect_ = ::stat("/proc/self/ns/user", &mine) == 0 &&
              ::stat(userNamespace_.c_str(), &theirs) == 0 &&
              mine.st_ino == theirs.st_ino;
}

namespace {

/// The one way LabSide leaves the caller's namespaces: a child joins the user namespace
/// `userNs`, runs `body` and exits with what it returns (an errno, 0 for success). Nothing may
/// unwind into the caller's code in that copy of its process. Returns the child's status, or the
/// errno of a failed fork or setns, or EIO when the child died.
int inUserNamespace(const std::string& userNs, const std::function<int()>& body) {
  const pid_t child = ::fork();
  if (child < 0)
    return errno;
  if (child == 0) {
    const int ns = ::open(userNs.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || ::setns(ns, CLONE_NEWUSER) != 0)
      ::_exit(errno & 0xff);
    int status = EIO;
    try {
      status = body();
    } catch (...) {
    }
    ::_exit(status & 0xff);
  }
  int status = 0;
  pid_t waited;
  while ((waited = ::waitpid(child, &status, 0)) < 0 && errno == EINTR) {
  }
  return waited == child && WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}

} // namespace

UniqueFd LabSide::descriptor(const std::function<int()>& call) const {
  if (isDirect_) {
    const int fd = call();
    if (fd < 0) {
      errno = -fd;
      return UniqueFd();
    }
    return UniqueFd(fd);
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return UniqueFd();
  UniqueFd mine(pair[0]), theirs(pair[1]);
  const int status = inUserNamespace(userNamespace_, [&] {
    const int fd = call();
    return fd < 0 ? -fd : sendDescriptor(theirs.get(), fd) ? 0 : EIO;
  });
  theirs.reset(); // the descriptor waits in the socket; with the child gone, EOF follows it
  UniqueFd fd = receiveDescriptor(mine.get());
  if (!fd)
    errno = status ? status : EIO;
  return fd;
}

int LabSide::run(const std::function<int()>& call) const {
  if (isDirect_)
    return -call();
  return inUserNamespace(userNamespace_, [&] { return -call(); });
}

std::string LabSide::attempt(const std::function<std::string()>& call) const {
  if (isDirect_)
    return call();
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0)
    return std::string("pipe: ") + std::strerror(errno);
  UniqueFd reportRead(report[0]), reportWrite(report[1]);
  // The child's words travel in the pipe (a few hundred bytes: they fit while it exits); its
  // status only says whether it got into the namespace at all.
  const int status = inUserNamespace(userNamespace_, [&] {
    const std::string failure = call();
    (void)!::write(reportWrite.get(), failure.data(), failure.size());
    return 0;
  });
  reportWrite.reset();
  std::string failure;
  char buf[1024];
  for (ssize_t n; (n = ::read(reportRead.get(), buf, sizeof buf)) > 0;)
    failure.append(buf, static_cast<size_t>(n));
  if (failure.empty() && status != 0)
    failure = std::string("cannot enter the lab's user namespace: ") + std::strerror(status);
  return failure;
}

void joinLabNamespaces(pid_t pid, const std::string& lab) {
  const std::string proc = "/proc/" + std::to_string(pid) + "/ns/";
  struct stat mine {}, theirs {};
  if (::stat("/proc/self/ns/user", &mine) != 0 || ::stat((proc + "user").c_str(), &theirs) != 0)
    throw RuntimeError("cannot see the namespaces of lab '" + lab + "': " + std::strerror(errno));
  // Root has every capability over every namespace: it joins the network namespace alone.
  if (mine.st_ino != theirs.st_ino && ::geteuid() != 0) {
    UniqueFd user(::open((proc + "user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!user || ::setns(user.get(), CLONE_NEWUSER) != 0)
      throw RuntimeError("cannot enter the user namespace of lab '" + lab + "': " + std::strerror(errno) +
                         (errno == EPERM ? " (it belongs to another user)" : ""));
  }
  UniqueFd net(::open((proc + "net").c_str(), O_RDONLY | O_CLOEXEC));
  if (!net || ::setns(net.get(), CLONE_NEWNET) != 0)
    throw RuntimeError("cannot enter the network namespace of lab '" + lab + "': " + std::strerror(errno));
}

} // namespace umlab::lab::runtime
