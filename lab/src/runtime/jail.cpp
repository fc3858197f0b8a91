#include "umlab/lab/runtime/jail.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
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

/// What a failure of the chroot way adds: what to do about it.
constexpr const char* kChrootNote =
    "umlab confines every lab process in a private mount namespace, and neither pivot_root (the "
    "current root is not a mount point: running in a chroot?) nor chroot into the jail works "
    "here; run umlab on the host, enter the chroot through 'unshare -m "
    "--propagation private chroot DIR', or use a container that grants CAP_SYS_ADMIN and "
    "CAP_SYS_CHROOT ('umlab doctor' checks the host)";

/// What a chroot whose mounts cannot be made private adds.
constexpr const char* kPrivateNote =
    "the current root is not a mount point (running in a chroot?), so its mounts cannot be made "
    "private from inside, and the mount holding it is shared, or the kernel cannot tell (Linux "
    "6.8's statmount): a jail's mounts would show on the host; enter the chroot through 'unshare "
    "-m --propagation private chroot DIR', or run umlab on the host ('umlab doctor' checks the host)";

/// True when "/" is the root of a mount for this process; false in a chroot whose directory is
/// not a mount point, where pivot_root is refused. True when the kernel cannot tell (the child
/// still falls back on EINVAL).
bool isRootMountPoint() {
  struct statx stx {};
  if (::statx(AT_FDCWD, "/", 0, STATX_BASIC_STATS, &stx) != 0 || !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
    return true;
  return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

/// True when the mount that holds "/" is known not to be shared: in a chroot, "/" may not be a
/// mount point, so the child cannot make it private, and a mount it made below would propagate
/// to the host's namespace if it were shared. Read with statmount(2) (Linux 6.8); false when the
/// kernel cannot tell.
bool isRootMountUnshared() {
  constexpr unsigned kStatxMntIdUnique = 0x4000; // STATX_MNT_ID_UNIQUE, Linux 6.8
  constexpr long kStatmount = 457;               // __NR_statmount on every architecture
  constexpr uint64_t kStatmountMntBasic = 0x2;   // STATMOUNT_MNT_BASIC
  struct statx stx {};
  if (::statx(AT_FDCWD, "/", 0, kStatxMntIdUnique, &stx) != 0 || !(stx.stx_mask & kStatxMntIdUnique))
    return false;
  struct {
    uint32_t size = 24; // MNT_ID_REQ_SIZE_VER0
    uint32_t spare = 0;
    uint64_t mntId;
    uint64_t param;
  } req{24, 0, stx.stx_mnt_id, kStatmountMntBasic};
  // struct statmount up to mnt_propagation (its layout is fixed by the kernel's ABI), then room.
  struct {
    uint32_t size, spare1;
    uint64_t mask;
    uint32_t sbDevMajor, sbDevMinor;
    uint64_t sbMagic;
    uint32_t sbFlags, fsType;
    uint64_t mntId, mntParentId;
    uint32_t mntIdOld, mntParentIdOld;
    uint64_t mntAttr, mntPropagation, mntPeerGroup, mntMaster, propagateFrom;
    uint32_t mntRoot, mntPoint;
    uint64_t spare2[50];
  } buf{};
  if (::syscall(kStatmount, &req, &buf, sizeof buf, 0) != 0 || !(buf.mask & kStatmountMntBasic))
    return false;
  return !(buf.mntPropagation & MS_SHARED);
}

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
      out.push_back({Jail::Step::MkdirTarget, "", path, path});
      pos = next + 1;
    }
  };
  // Private tmpfs first: binds below them (a state directory under /tmp) stay visible.
  for (const std::string& t : j.tmpfs) {
    mkdirs(t);
    out.push_back({Jail::Step::Tmpfs, "", j.root + t, j.root + t});
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
        out.push_back({Jail::Step::Symlink, std::string(link, static_cast<size_t>(n)), target,
                       target + " -> " + std::string(link, static_cast<size_t>(n))});
      continue;
    }
    out.push_back({S_ISDIR(st.st_mode) ? Jail::Step::MkdirTarget : Jail::Step::TouchTarget, "", target, target});
    out.push_back({Jail::Step::Bind, b.path, target, b.path + " onto " + target});
    if (!b.writable)
      out.push_back({Jail::Step::ReadOnly, "", target, target});
  }
  return out;
}

/// The operation a failed step names ("bind-mount /usr onto <root>/usr").
const char* stepOperation(Jail::Step::Kind kind) {
  switch (kind) {
  case Jail::Step::MkdirTarget:
    return "mkdir";
  case Jail::Step::TouchTarget:
    return "create";
  case Jail::Step::Bind:
    return "bind-mount";
  case Jail::Step::ReadOnly:
    return "remount read-only";
  case Jail::Step::Symlink:
    return "symlink";
  case Jail::Step::Tmpfs:
    return "mount tmpfs on";
  }
  return "set up";
}

/// In the child: makes one planned step. Returns 0, or -1 with errno set.
int makeStep(const Jail::Step& s) {
  switch (s.kind) {
  case Jail::Step::MkdirTarget:
    return ::mkdir(s.b.c_str(), 0755) != 0 && errno != EEXIST ? -1 : 0;
  case Jail::Step::TouchTarget: {
    const int fd = ::open(s.b.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    return fd < 0 ? -1 : ::close(fd);
  }
  case Jail::Step::Bind:
    return ::mount(s.a.c_str(), s.b.c_str(), nullptr, MS_BIND, nullptr); // not recursive: no mounts below
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
    return ::mount(nullptr, s.b.c_str(), nullptr, flags, nullptr);
  }
  case Jail::Step::Symlink:
    return ::symlink(s.a.c_str(), s.b.c_str());
  case Jail::Step::Tmpfs:
    return ::mount("umlab-tmp", s.b.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  }
  errno = EINVAL;
  return -1;
}

/// In the child, in the jail's root: makes it the root the chroot way. Not moved onto "/" first
/// (as container runtimes do without pivot_root): where "/" is the namespace's root, the jail on
/// top of it would no longer count as a chroot, and the kernel would then grant a user namespace,
/// whose CAP_SYS_CHROOT walks ".." out of the jail into the old root below.
ChildFailure enterByChroot(const JailSpec& j) {
  if (::chroot(".") != 0)
    return ChildFailure(errno, "chroot into", j.root, kChrootNote);
  if (::chdir("/") != 0)
    return ChildFailure(errno, "chdir", "/ in the jail");
  return {};
}

/// In the child: builds the jail and enters it, then gives up the privileges to leave it.
ChildFailure enterJail(const JailSpec& j, const std::vector<Jail::Step>& plan, bool usesChroot,
                       bool isRootMountUnshared, const std::string& uidText, const std::string& gidText) {
  const mode_t umask = ::umask(022); // the jail's directories must be traversable by its uid
  if (::unshare(CLONE_NEWNS) != 0)
    return ChildFailure(errno, "unshare a mount namespace");
  // Without this, the mounts below would propagate to the host's namespace. In a chroot whose
  // root is not a mount point the kernel refuses it (EINVAL): the jail is built only when the
  // mount holding "/" is known not to be shared (entered through unshare --propagation private).
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 && !(errno == EINVAL && isRootMountUnshared))
    return ChildFailure(errno, "make the mounts private from", "/", errno == EINVAL ? kPrivateNote : "");
  if (::mount("umlab-jail", j.root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0)
    return ChildFailure(errno, "mount the jail's tmpfs on", j.root);
  for (const Jail::Step& s : plan)
    if (makeStep(s) != 0)
      return ChildFailure(errno, stepOperation(s.kind), s.object);
  // A bind of a shared mount joins its peer group: none of the jail's mounts may stay shared.
  if (::mount(nullptr, j.root.c_str(), nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return ChildFailure(errno, "make the jail's mounts private on", j.root);
  if (::chdir(j.root.c_str()) != 0)
    return ChildFailure(errno, "chdir", j.root);
  if (usesChroot) {
    if (ChildFailure f = enterByChroot(j); f.isFailure())
      return f;
  } else if (::syscall(SYS_pivot_root, ".", ".") != 0) {
    if (errno != EINVAL)
      return ChildFailure(errno, "pivot_root into", j.root);
    // EINVAL: the current root is not a mount point (a chroot) or cannot be moved.
    if (ChildFailure f = enterByChroot(j); f.isFailure())
      return f;
  } else if (::umount2(".", MNT_DETACH) != 0) {
    return ChildFailure(errno, "detach the old root below", j.root);
  } else if (::chdir("/") != 0) {
    return ChildFailure(errno, "chdir", "/ in the jail");
  }
  if (j.staysRoot) {
    // No exec may give capabilities back to uid 0, and none outside the bounding set at all.
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap)
      if (!(j.keepNetRaw && cap == CAP_NET_RAW) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
        return ChildFailure(errno, "drop the capability bounding set of uid", uidText);
    if (::prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                       SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED,
                0, 0, 0) != 0)
      return ChildFailure(errno, "lock the securebits of uid", uidText);
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (j.keepNetRaw)
      data[0].effective = data[0].permitted = data[0].inheritable = 1u << CAP_NET_RAW;
    if (::syscall(SYS_capset, &header, data) != 0)
      return ChildFailure(errno, "drop the capabilities of uid", uidText);
    if (j.keepNetRaw && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) != 0)
      return ChildFailure(errno, "keep CAP_NET_RAW (ambient) for uid", uidText);
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    ::umask(umask);
    return {};
  }
  if (j.keepNetRaw && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
    return ChildFailure(errno, "keep CAP_NET_RAW across the change to uid", uidText);
  // In a rootless lab mapped without newgidmap, setgroups is denied (and there are no groups
  // to drop: only the user's own gid is mapped).
  if (::setgroups(0, nullptr) != 0 && errno != EPERM)
    return ChildFailure(errno, "drop the supplementary groups", "");
  if (::setresgid(j.gid, j.gid, j.gid) != 0)
    return ChildFailure(errno, "setresgid", gidText);
  if (::setresuid(j.uid, j.uid, j.uid) != 0)
    return ChildFailure(errno, "setresuid", uidText);
  if (j.keepNetRaw) {
    // Permitted, effective and inheritable hold CAP_NET_RAW alone; the ambient set carries it
    // across exec for a program without file capabilities.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    data[0].effective = data[0].permitted = data[0].inheritable = 1u << CAP_NET_RAW;
    if (::syscall(SYS_capset, &header, data) != 0)
      return ChildFailure(errno, "keep CAP_NET_RAW for uid", uidText);
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) != 0)
      return ChildFailure(errno, "keep CAP_NET_RAW (ambient) for uid", uidText);
  }
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  ::umask(umask);
  return {};
}

/// UMLAB_JAIL_CHROOT=1: the test knob that forces the chroot way in every jail of this process.
bool isChrootForcedByEnvironment() {
  const char* v = std::getenv("UMLAB_JAIL_CHROOT");
  return v && std::strcmp(v, "1") == 0;
}

} // namespace

Jail::Jail(JailSpec spec)
    : spec_(std::move(spec)), steps_(planJail(spec_)),
      usesChroot_(spec_.chrootOnly || isChrootForcedByEnvironment() || !isRootMountPoint()),
      isRootMountUnshared_(!isRootMountPoint() && isRootMountUnshared()),
      uidText_(std::to_string(spec_.uid)), gidText_(std::to_string(spec_.gid)) {}

ChildFailure Jail::enterInChild() const noexcept {
  return enterJail(spec_, steps_, usesChroot_, isRootMountUnshared_, uidText_, gidText_);
}

} // namespace umlab::lab::runtime
