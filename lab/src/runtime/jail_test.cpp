#include "umlab/lab/runtime/jail.hpp"

#include "umlab/base/unique_fd.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

using namespace umlab;
using namespace umlab::lab::runtime;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under /var/tmp (not /tmp: the jails have a private /tmp), removed with
/// everything in it.
class TempDir {
public:
  TempDir() {
    std::string t = "/var/tmp/umlab-jail-test.XXXXXX";
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

/// Why the jail cannot be built here, or empty when it can (it needs root for its mounts).
std::string jailUnavailable() {
  if (::geteuid() != 0)
    return "not root: a jail needs CAP_SYS_ADMIN for its mount namespace";
  return {};
}

struct Ran {
  int status = -1;
  std::string out;
};

/// Runs `sh -c script` inside `jail` and returns its exit status and output (stdout and stderr).
Ran runInJail(const Jail& jail, const std::string& script) {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  UniqueFd readEnd(p[0]), writeEnd(p[1]);
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.name = "jailed sh";
  spec.fds = {{1, writeEnd.get()}, {2, writeEnd.get()}};
  spec.setup = &jail;
  const ProcessId id = spawnProcess(spec);
  writeEnd.reset();
  Ran r;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(readEnd.get(), buf, sizeof buf)) > 0)
    r.out.append(buf, static_cast<size_t>(n));
  int raw = 0;
  REQUIRE(::waitpid(id.pid, &raw, 0) == id.pid);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

/// The system's programs read-only, as the supervisor's jails have them.
JailSpec systemJail(const fs::path& root) {
  JailSpec j;
  j.root = root.string();
  for (const char* p : {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc/ld.so.cache"})
    j.binds.push_back({p, false});
  j.binds.push_back({"/dev/null", true});
  j.tmpfs = {"/tmp"};
  return j;
}

bool isMountedOnHost(const fs::path& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + path.string() + " ") != std::string::npos || line.find(" " + path.string() + "/") != std::string::npos)
      return true;
  return false;
}

} // namespace

TEST_CASE("a jail whose root does not exist names the mount and the path", "[lab][jail]") {
  if (const std::string why = jailUnavailable(); !why.empty()) {
    WARN(why);
    return;
  }
  TempDir tmp;
  const fs::path root = tmp.path() / "no-such-root";
  const Jail jail(systemJail(root));
  CHECK_THROWS_WITH(runInJail(jail, "true"),
                    "jailed sh: mount the jail's tmpfs on " + root.string() + ": No such file or directory");
}

TEST_CASE("a jail bind of a path that vanished names the bind, its source and its target", "[lab][jail]") {
  if (const std::string why = jailUnavailable(); !why.empty()) {
    WARN(why);
    return;
  }
  TempDir tmp;
  fs::create_directories(tmp.path() / "root");
  fs::create_directories(tmp.path() / "shared");
  JailSpec spec = systemJail(tmp.path() / "root");
  const std::string shared = (tmp.path() / "shared").string();
  spec.binds.push_back({shared, true});
  const Jail jail(spec); // planned while the directory exists
  fs::remove(shared);
  try {
    runInJail(jail, "true");
    FAIL("the jail should not be built");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ENOENT);
    CHECK(std::string(e.what()) == "jailed sh: bind-mount " + shared + " onto " + (tmp.path() / "root").string() +
                                       shared + ": No such file or directory");
  }
  CHECK_FALSE(isMountedOnHost(tmp.path() / "root"));
}

TEST_CASE("the jail confines the same with pivot_root and with chroot", "[lab][jail][confinement]") {
  if (const std::string why = jailUnavailable(); !why.empty()) {
    WARN(why);
    return;
  }
  const bool chrootOnly = GENERATE(false, true);
  const bool staysRoot = GENERATE(false, true);
  INFO((chrootOnly ? "chroot" : "pivot_root") << (staysRoot ? ", uid 0 without capabilities" : ", uid 65534"));
  TempDir tmp;
  fs::create_directories(tmp.path() / "root");
  // A world-readable canary outside the jail.
  const fs::path canary = tmp.path() / "canary.txt";
  std::ofstream(canary) << "umlab-jail-canary\n";
  fs::permissions(tmp.path(), fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  JailSpec spec = systemJail(tmp.path() / "root");
  spec.chrootOnly = chrootOnly;
  spec.staysRoot = staysRoot;
  spec.uid = spec.gid = staysRoot ? 0 : 65534;
  const Jail jail(spec);
  if (chrootOnly)
    CHECK(jail.usesChroot());

  const std::string c = canary.string();
  const Ran r = runInJail(jail, "echo uid=$(id -u); ls -a / | tr '\\n' ' '; echo; "
                                "cat " + c + " 2>/dev/null && echo SEEN; cat /..//../" + c + " 2>/dev/null && echo SEEN; "
                                "cd /; cd ../../..; test -e ." + c + " && echo SEEN; "
                                "/usr/sbin/chroot / /bin/true 2>/dev/null && echo CHROOTED; "
                                "unshare -U /bin/true 2>/dev/null && echo USERNS; "
                                "unshare -m /bin/true 2>/dev/null && echo MOUNTNS; "
                                "mount -t tmpfs none /tmp 2>/dev/null && echo MOUNTED; exit 0");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find(staysRoot ? "uid=0" : "uid=65534") != std::string::npos);
  // Only what the jail holds (/usr/sbin/chroot's "/" is the jail's, and ".." above it is itself).
  CHECK(r.out.find(". .. bin dev etc lib lib64 sbin tmp usr") != std::string::npos);
  CHECK(r.out.find("SEEN") == std::string::npos);
  CHECK(r.out.find("CHROOTED") == std::string::npos); // no CAP_SYS_CHROOT: no way out by chroot
  CHECK(r.out.find("MOUNTNS") == std::string::npos);  // no CAP_SYS_ADMIN
  CHECK(r.out.find("MOUNTED") == std::string::npos);
  if (jail.usesChroot()) // the kernel refuses a user namespace (and its capabilities) to a chroot
    CHECK(r.out.find("USERNS") == std::string::npos);
  CHECK_FALSE(isMountedOnHost(tmp.path() / "root"));
}
