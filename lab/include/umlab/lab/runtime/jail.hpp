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
/// A `Jail` is a `ChildSetup` (base/process.hpp): its mount steps are planned when it is made,
/// so the child between fork and exec only makes system calls.

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
};

class Jail final : public ChildSetup {
public:
  explicit Jail(JailSpec spec);
  int enterInChild() const noexcept override;

  struct Step {
    enum Kind { MkdirTarget, TouchTarget, Bind, ReadOnly, Symlink, Tmpfs } kind;
    std::string a; // source or symlink target
    std::string b; // path inside the jail root (absolute on the host)
  };

private:
  JailSpec spec_;
  std::vector<Step> steps_;
};

} // namespace umlab::lab::runtime
