#include "umlab/lab/runtime/user_account.hpp"

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cstdlib>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace umlab::lab::runtime {
namespace {

/// A buffer size for the *_r lookups: sysconf's hint, grown on ERANGE by the callers.
size_t lookupBufferSize(int which) {
  const long hint = ::sysconf(which);
  return hint > 0 ? static_cast<size_t>(hint) : 4096;
}

std::string groupName(gid_t gid) {
  std::vector<char> buf(lookupBufferSize(_SC_GETGR_R_SIZE_MAX));
  for (;;) {
    group g{};
    group* found = nullptr;
    const int rc = ::getgrgid_r(gid, &g, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    return found ? std::string(found->gr_name) : std::to_string(gid);
  }
}

/// Primary group first, then the others in the database's order, each once.
std::vector<std::string> groupNames(gid_t primary, const std::vector<gid_t>& gids) {
  std::vector<std::string> names{groupName(primary)};
  for (gid_t g : gids)
    if (g != primary) {
      std::string n = groupName(g);
      if (std::find(names.begin(), names.end(), n) == names.end())
        names.push_back(std::move(n));
    }
  return names;
}

UserAccount fromPasswd(const passwd& pw) {
  UserAccount a;
  a.uid = pw.pw_uid;
  a.name = pw.pw_name;
  std::vector<gid_t> gids(32);
  for (;;) {
    int n = static_cast<int>(gids.size());
    if (::getgrouplist(pw.pw_name, pw.pw_gid, gids.data(), &n) >= 0) {
      gids.resize(static_cast<size_t>(n));
      break;
    }
    if (gids.size() >= 65536) // NGROUPS_MAX is 65536 on Linux
      break;
    gids.resize(std::max(static_cast<size_t>(n), gids.size() * 2));
  }
  a.groups = groupNames(pw.pw_gid, gids);
  return a;
}

/// Looks a user up by uid or by name; nullopt when the database has no entry.
template <typename Key, typename Lookup>
std::optional<UserAccount> lookup(Key key, Lookup fn) {
  std::vector<char> buf(lookupBufferSize(_SC_GETPW_R_SIZE_MAX));
  for (;;) {
    passwd pw{};
    passwd* found = nullptr;
    const int rc = fn(key, &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (!found)
      return std::nullopt;
    return fromPasswd(*found);
  }
}

} // namespace

UserAccount currentUserAccount() {
  const uid_t uid = ::geteuid();
  if (auto a = lookup(uid, ::getpwuid_r))
    return *a;
  UserAccount a;
  a.uid = uid;
  a.name = std::to_string(uid);
  const int n = ::getgroups(0, nullptr);
  std::vector<gid_t> gids(n > 0 ? static_cast<size_t>(n) : 0);
  if (n > 0 && ::getgroups(n, gids.data()) < 0)
    gids.clear();
  a.groups = groupNames(::getegid(), gids);
  return a;
}

std::optional<UserAccount> findUserAccount(const std::string& name) {
  return lookup(name.c_str(), ::getpwnam_r);
}

std::optional<LoginAccount> findAccount(const std::string& nameOrUid) {
  const passwd* pw = ::getpwnam(nameOrUid.c_str());
  if (!pw && !nameOrUid.empty() &&
      std::all_of(nameOrUid.begin(), nameOrUid.end(), [](unsigned char c) { return std::isdigit(c); }))
    pw = ::getpwuid(static_cast<uid_t>(std::strtoul(nameOrUid.c_str(), nullptr, 10)));
  if (!pw)
    return std::nullopt;
  return LoginAccount{pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir ? pw->pw_dir : "/"};
}

} // namespace umlab::lab::runtime
