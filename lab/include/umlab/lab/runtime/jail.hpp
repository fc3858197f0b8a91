#pragma once
/// A private view of the file system for an untrusted process (UML guests: guest root can mount
/// hostfs on any path the UML process can see; UML.md §8). The child gets a new mount namespace
/// whose root is an empty tmpfs holding only the listed paths, bound at their own paths, and
/// then runs as `uid`/`gid` with no supplementary groups and no new privileges. Host symlinks
/// such as /lib -> usr/lib are recreated as symlinks.
///
/// It works the same inside a rootless lab's user namespace (user_namespace.hpp), where the
/// mounts it binds from the host are locked: a read-only remount keeps the flags the host mount
/// has (nosuid, nodev, noexec, atime), as the kernel demands there.
///
/// A `Jail` is a `ChildSetup` (base/process.hpp): its mount steps, and the text each names when
/// it fails ("bind-mount /usr onto <root>/usr"), are planned when it is made, so the child
/// between fork and exec only makes system calls.
///
/// Entering the jail: pivot_root into it and detach the old root, where the current root is a
/// mount point. Where it is not (umlab runs in a chroot), pivot_root is refused (EINVAL), so the
/// jail is entered with chroot instead, in the private mount namespace. It confines as well: the
/// old root stays mounted below, but the jailed process has neither CAP_SYS_CHROOT nor
/// CAP_SYS_ADMIN (it changes to `uid`, or `staysRoot` empties its bounding set), and the kernel
/// refuses a new user namespace (whose CAP_SYS_CHROOT would walk ".." out) to a chrooted
/// process, so it has no way back out. The jail is not moved onto "/" first, as container
/// runtimes do without pivot_root: on top of the namespace's root it would not count as a chroot. In a chroot
/// "/" cannot be made private either: the jail is built there only when the mount holding it is
/// known not to be shared (statmount(2), Linux 6.8; entered through `unshare -m --propagation
/// private chroot DIR`), else the start is refused with what to do. Which way is
/// decided when the jail is made (is "/" a mount point of this process?), and the child falls
/// back to chroot when pivot_root answers EINVAL all the same. `JailSpec::chrootOnly` (tests) or
/// UMLAB_JAIL_CHROOT=1 in the environment (a test knob for the CLI-level tests) force the chroot
/// way.

#include "umlab/base/process.hpp"

#include <string>
#include <sys/types.h>
#include <vector>

namespace umlab::lab::runtime {

struct JailSpec {
  std::string root; ///< an existing empty directory on the host: the tmpfs is mounted here
  struct Bind {
    std::string path;
    bool writable = false;
  };
  std::vector<Bind> binds;
  std::vector<std::string> tmpfs; ///< fresh writable tmpfs mounts (e.g. /tmp for UML's memory file)
  /// Keep CAP_NET_RAW, as an ambient capability, after changing to `uid`: UML's pcap transport
  /// opens a packet socket (in the lab's own network namespace).
  bool keepNetRaw = false;
  uid_t uid = 65534;
  gid_t gid = 65534;
  /// Keep the uid (0 in a rootless lab's user namespace: the user itself, who has no other id to
  /// give the guest) and drop every capability instead, for good: the bounding set is emptied
  /// and the securebits stop exec from granting root's capabilities again.
  bool staysRoot = false;
  /// Enter the jail with chroot even where pivot_root works (tests of the chroot way).
  bool chrootOnly = false;
};

class Jail final : public ChildSetup {
public:
  explicit Jail(JailSpec spec);
  ChildFailure enterInChild() const noexcept override;

  /// True when the jail is entered with chroot (see above), false with pivot_root.
  bool usesChroot() const { return usesChroot_; }

  struct Step {
    enum Kind { MkdirTarget, TouchTarget, Bind, ReadOnly, Symlink, Tmpfs } kind;
    std::string a;      // source or symlink target
    std::string b;      // path inside the jail root (absolute on the host)
    std::string object; // what a failure names: "/usr onto <root>/usr", or `b`
  };

private:
  JailSpec spec_;
  std::vector<Step> steps_;
  bool usesChroot_ = false;
  /// In a chroot: the mount holding "/" is not shared, so mounts made below it stay in the
  /// jail's namespace although "/" itself cannot be made private.
  bool isRootMountUnshared_ = false;
  std::string uidText_; ///< "1234", for a failed setresuid
  std::string gidText_;
};

} // namespace umlab::lab::runtime
