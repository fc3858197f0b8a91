#pragma once
/// Where each user's labs keep their state (DESIGN.md §5, §5.2).
///
/// A user's labs live under one of their *state roots*, each theirs and mode 0700 (the launcher
/// refuses one that is not): labs start in the first, and every verb finds a lab in the first
/// root that holds it.
///   - root:            $XDG_RUNTIME_DIR/umlab when set, then /run/umlab
///   - any other user:  $XDG_RUNTIME_DIR/umlab when set, then /tmp/umlab-<uid>
/// The second root is the one with no session behind it: a lab started for a student by
/// `umlab class up` (no login, so no $XDG_RUNTIME_DIR) lives there, and the student, logged in
/// later with a runtime directory, still finds it. $UMLAB_STATE_DIR, or --state-dir, replaces
/// the list with one root.
///
/// Root sees every user's labs (`umlab ps --all`) by looking in every place a user's labs can
/// be by default: /run/umlab, /run/user/<uid>/umlab and /tmp/umlab-<uid>, each owned by that
/// uid; labs under a custom $UMLAB_STATE_DIR are the user's own business and are not listed.

#include <string>
#include <sys/types.h>
#include <vector>

namespace umlab::lab::runtime {

/// The state roots of `uid` given its runtime directory (empty: none), in lookup order.
std::vector<std::string> userStateRoots(uid_t uid, const std::string& xdgRuntimeDir);

/// The roots of the calling process: $UMLAB_STATE_DIR alone, else `userStateRoots` of its euid.
std::vector<std::string> callerStateRoots();

/// The roots of the account `user` (a name or a uid) as root sees them: its runtime directory
/// is /run/user/<uid> when that exists. Throws RuntimeError for an unknown account.
std::vector<std::string> accountStateRoots(const std::string& user);

/// The first root that holds `lab`, else the first root.
std::string rootOfLab(const std::vector<std::string>& roots, const std::string& lab);

struct LabLocation {
  std::string lab;
  std::string root;
  uid_t owner = 0;
  std::string ownerName; ///< the account's name, or its uid when it has none
};

/// Every lab under the default roots of every user (for root), sorted by owner, then lab.
std::vector<LabLocation> everyUsersLabs();

} // namespace umlab::lab::runtime
