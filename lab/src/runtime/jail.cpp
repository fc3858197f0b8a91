#include "umlab/lab/runtime/jail.hpp"

#include <cerrno>
#include <fcntl.h>
#include <grp.h>
#include <sys/mount.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <linux/securebits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace {


std::vector<Jail::Step> planJail(const JailSpec& j) {
  std::vector<Jail::Step> out;
  auto mkdirs = [&](const std::string& inside) {
    std::string path = j.root;
    size_t pos = 1;
    while (pos <= inside.size()) {
      size_t next = inside.find('/', pos);
      if (next == std::string::npos)
        next = inside.size();
      path += inside.substr(pos - 1, next - pos + 1);
      out.push_back({Jail::Step::MkdirTarget, "", path});
      pos = next + 1;
    }
  };
  // Private tmpfs first: binds below them (a state directory under /tmp) stay visible.
  for (const std::string& t : j.tmpfs) {
    mkdirs(t);
    out.push_back({Jail::Step::Tmpfs, "", j.root + t});
  }
  for (const JailSpec::Bind& b : j.binds) {
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
        out.push_back({Jail::Step::Symlink, std::string(link, static_cast<size_t>(n)), target});
      continue;
    }
    out.push_back({S_ISDIR(st.st_mode) ? Jail::Step::MkdirTarget : Jail::Step::TouchTarget, "", target});
    out.push_back({Jail::Step::Bind, b.path, target});
    if (!b.writable)
      out.push_back({Jail::Step::ReadOnly, "", target});
  }
  return out;
}

/// In the child: build the jail and enter it. Returns errno on failure, 0 on success.
int enterJail(const JailSpec& j, const std::vector<Jail::Step>& plan) {
  const mode_t umask = ::umask(022); // the jail's directories must be traversable by its uid
  if (::unshare(CLONE_NEWNS) != 0)
    return errno;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return errno;
  if (::mount("umlab-jail", j.root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0)
    return errno;
  for (const Jail::Step& s : plan) {
    int rc = 0;
    switch (s.kind) {
    case Jail::Step::MkdirTarget:
      rc = ::mkdir(s.b.c_str(), 0755);
      if (rc != 0 && errno == EEXIST)
        rc = 0;
      break;
    case Jail::Step::TouchTarget: {
      int fd = ::open(s.b.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      rc = fd < 0 ? -1 : ::close(fd);
      break;
    }
    case Jail::Step::Bind:
      rc = ::mount(s.a.c_str(), s.b.c_str(), nullptr, MS_BIND, nullptr); // not recursive: no mounts below
      break;
    case Jail::Step::ReadOnly: {
      // The bound mount's own flags stay: in a user namespace they are locked, and a remount
      // that would clear one (nodev of /dev, an atime mode) fails with EPERM.
      unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID;
      struct statvfs vfs {};
      if (::statvfs(s.b.c_str(), &vfs) == 0) {
        if (vfs.f_flag & ST_NODEV)
          flags |= MS_NODEV;
        if (vfs.f_flag & ST_NOEXEC)
          flags |= MS_NOEXEC;
        if (vfs.f_flag & ST_NOATIME)
          flags |= MS_NOATIME;
        if (vfs.f_flag & ST_NODIRATIME)
          flags |= MS_NODIRATIME;
        if (vfs.f_flag & ST_RELATIME)
          flags |= MS_RELATIME;
      }
      rc = ::mount(nullptr, s.b.c_str(), nullptr, flags, nullptr);
      break;
    }
    case Jail::Step::Symlink:
      rc = ::symlink(s.a.c_str(), s.b.c_str());
      break;
    case Jail::Step::Tmpfs:
      rc = ::mount("umlab-tmp", s.b.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
      break;
    }
    if (rc != 0)
      return errno;
  }
  if (::chdir(j.root.c_str()) != 0 || ::syscall(SYS_pivot_root, ".", ".") != 0 || ::umount2(".", MNT_DETACH) != 0 ||
      ::chdir("/") != 0)
    return errno;
  if (j.staysRoot) {
    // No exec may give capabilities back to uid 0, and none outside the bounding set at all.
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap)
      if (!(j.keepNetRaw && cap == CAP_NET_RAW) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
        return errno;
    if (::prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                       SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED,
                0, 0, 0) != 0)
      return errno;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (j.keepNetRaw)
      data[0].effective = data[0].permitted = data[0].inheritable = 1u << CAP_NET_RAW;
    if (::syscall(SYS_capset, &header, data) != 0)
      return errno;
    if (j.keepNetRaw && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) != 0)
      return errno;
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    ::umask(umask);
    return 0;
  }
  if (j.keepNetRaw && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    return errno;
  // In a rootless lab mapped without newgidmap, setgroups is denied (and there are no groups
  // to drop: only the user's own gid is mapped).
  if ((::setgroups(0, nullptr) != 0 && errno != EPERM) || ::setresgid(j.gid, j.gid, j.gid) != 0 ||
      ::setresuid(j.uid, j.uid, j.uid) != 0)
    return errno;
  if (j.keepNetRaw) {
    // Permitted, effective and inheritable hold CAP_NET_RAW alone; the ambient set carries it
    // across exec for a program without file capabilities.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    data[0].effective = data[0].permitted = data[0].inheritable = 1u << CAP_NET_RAW;
    if (::syscall(SYS_capset, &header, data) != 0 ||
        ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) != 0)
      return errno;
  }
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  ::umask(umask);
  return 0;
}

} // namespace

Jail::Jail(JailSpec spec) : spec_(std::move(spec)), steps_(planJail(spec_)) {}

int Jail::enterInChild() const noexcept { return enterJail(spec_, steps_); }

} // namespace umlab::lab::runtime
