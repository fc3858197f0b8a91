#pragma once
/// Rootless labs (DESIGN.md §5.2): the user namespace that owns a lab's network namespace when
/// umlab runs as an ordinary user.
///
/// The supervisor of a rootless lab first moves into a new user namespace, then into the lab's
/// network namespace (network_namespace.hpp), which the new user namespace then owns: inside it
/// the supervisor is uid 0 with every capability *over the lab's own namespaces only*, so it can
/// bring up `lo`, make tap devices, build mount-namespace jails (jail.hpp) and start guests in
/// pid namespaces, exactly as a root-run supervisor does. On disk, inside uid 0 is the user.
///
/// Two ways to map ids, chosen by `planUserNamespace`:
///   - **Subordinate ids** (the user has ranges in /etc/subuid and /etc/subgid, and `newuidmap`
///     and `newgidmap` from package `uidmap` exist): inside 0 is the user, inside 1..count-1 are
///     the user's subordinate ids. Guests and switches run as one inside id per lab
///     (`guestId`, a hash of the lab name within the range), so a guest that escapes UML is
///     neither the user nor a process of another of the user's labs; as root-run labs run them
///     under `labUid`.
///   - **Only the user** (no ranges, or no `uidmap`): one id is mapped, inside 0 = the user.
///     Guests run as the user itself with every capability dropped (jail.hpp `staysRoot`);
///     `note` says so, and why, for umlab to say once.
///
/// `newuidmap` is setuid root and must write the map from outside the new namespace, so
/// `enterUserNamespace` forks a helper before `unshare(CLONE_NEWUSER)` and lets it map the
/// caller; the caller must be single-threaded (a fresh supervisor is).
///
/// Other processes reach a rootless lab's network namespace by joining the user namespace first
/// (`joinLabNamespaces`); the user owns it, so that needs no privilege. Root joins directly.

#include "umlab/base/unique_fd.hpp"

#include <functional>
#include <optional>
#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace umlab::lab::runtime {

struct IdRange {
  unsigned start = 0;
  unsigned count = 0;
  bool operator==(const IdRange&) const = default;
};

/// The first range of `user` (by name or by numeric id `id`) in the text of /etc/subuid or
/// /etc/subgid ("name:start:count" lines); nullopt when there is none.
std::optional<IdRange> findSubordinateRange(std::string_view fileText, std::string_view user, unsigned id);

struct IdMapLine {
  unsigned inside = 0, outside = 0, count = 0;
  bool operator==(const IdMapLine&) const = default;
};

struct UserNamespacePlan {
  std::vector<IdMapLine> uidMap, gidMap;
  bool usesNewidmap = false; ///< the maps are written by newuidmap/newgidmap (else by the caller)
  unsigned guestId = 0;      ///< the inside uid and gid guests and switches run as; 0: the user
  std::string note;          ///< when guests run as the user: why, and how to change that
};

/// The plan for `user` (uid, gid), given their subordinate ranges and whether `uidmap`'s
/// helpers exist. `lab` picks the guests' id within the ranges.
UserNamespacePlan planUserNamespace(unsigned uid, unsigned gid, const std::string& user,
                                    const std::optional<IdRange>& subuid, const std::optional<IdRange>& subgid,
                                    bool haveNewidmap, const std::string& lab);

/// The plan for the calling user, read from /etc/subuid, /etc/subgid and $PATH.
UserNamespacePlan planUserNamespaceForCaller(const std::string& lab);

/// Moves the calling, single-threaded process into a new user namespace mapped as `plan` says;
/// afterwards it is uid 0 there. Throws RuntimeError saying what to do when user namespaces
/// are disabled or the mapping fails.
void enterUserNamespace(const UserNamespacePlan& plan);

/// True when umlab runs labs rootless (the effective uid is not 0). Inside a rootless lab's
/// user namespace the uid is 0: ask before entering it.
bool isRootless();

/// The uid a process sees for ids its user namespace does not map (/proc/sys/kernel/overflowuid).
unsigned overflowUid();

/// Runs `work` in a child process that is root of a new user namespace of the caller's, mapped
/// as a rootless lab's is (its subordinate ids), where the files of the lab's id can be read and
/// removed. False when the caller is root, has no subordinate ids, or `work` throws or returns
/// false. `work` runs in a forked child: it may not touch the parent's threads or locks.
bool runAsLabOwner(const std::function<bool()>& work);

/// Removes a lab's state directory `dir`. In a rootless lab some of its files belong to the lab's
/// subordinate ids, which the user cannot remove as themself: what is left is removed by a child
/// in a user namespace mapped as the lab's was. Returns false when something stayed.
bool removeLabTree(const std::string& dir);

/// Moves the calling, single-threaded process into the network namespace of the process
/// `pid` (a lab's supervisor), joining its user namespace first when that differs from the
/// caller's (a rootless lab). Throws RuntimeError.
void joinLabNamespaces(pid_t pid, const std::string& lab);

/// System calls on a running lab's own files and sockets (its switches' sockets, capture files),
/// which in a rootless lab belong to the lab's subordinate ids: the user reaches them only as
/// root of the lab's user namespace. For root, and for a lab in the caller's own user namespace,
/// the calls run here; otherwise in a child that joins the lab's user namespace, and a
/// descriptor comes back over a socket. Works from threaded callers (a GUI): the child only
/// makes the call.
class LabSide {
public:
  /// For the lab whose supervisor is `supervisor`.
  explicit LabSide(pid_t supervisor);
  /// `call` returns a descriptor to hand back, or -errno; the result is invalid (errno set) then.
  UniqueFd descriptor(const std::function<int()>& call) const;
  /// `call` returns 0 or -errno; returns 0 or the errno.
  int run(const std::function<int()>& call) const;
  /// `call` returns "" or what went wrong, in words; returns the same.
  std::string attempt(const std::function<std::string()>& call) const;

private:
  std::string userNamespace_; ///< /proc/<supervisor>/ns/user
  bool isDirect_;
};

} // namespace umlab::lab::runtime
