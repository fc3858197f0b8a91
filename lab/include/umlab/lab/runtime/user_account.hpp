#pragma once
/// Who is asking, as the limits (limits.hpp) see it: a user name and the names of the user's
/// groups, read from the system's user and group databases (getpwuid_r, getgrouplist, so NSS
/// sources such as LDAP count). Kept apart from limits.hpp so that `limitsFor` stays pure.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

struct UserAccount {
  uint32_t uid = UINT32_MAX;       ///< (uid_t)-1 until known: a default account is not root
  std::string name;                ///< the login name; the uid as text when it has no entry
  std::vector<std::string> groups; ///< every group name the user is in, primary group first

  /// Root is never limited; callers skip the limits check for it.
  bool isRoot() const { return uid == 0; }
};

/// The account of this process's effective uid. Without a user database entry the name is the
/// uid as text and the groups are the process's own (getgroups). Never throws.
UserAccount currentUserAccount();

/// The account named `name`, or nullopt when the machine has no such user.
std::optional<UserAccount> findUserAccount(const std::string& name);

/// An account as the system's user database has it: enough to become it (classroom.hpp
/// becomeAccount) and to find its labs (state_roots.hpp).
struct LoginAccount {
  std::string account; ///< the login name
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;
};

/// The account named `nameOrUid` (a login name, or a uid in digits).
std::optional<LoginAccount> findAccount(const std::string& nameOrUid);

} // namespace umlab::lab::runtime
