#include "umlab/lab/runtime/state_roots.hpp"

#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/user_account.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <pwd.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : "";
}

std::string accountName(uid_t uid) {
  const passwd* pw = ::getpwuid(uid);
  return pw ? pw->pw_name : std::to_string(uid);
}

/// `dir` is a directory owned by `uid` (not a link): a root a user's labs may really be in.
bool isOwnedDirectory(const std::string& dir, uid_t uid) {
  struct stat st {};
  return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid;
}

} // namespace

std::vector<std::string> userStateRoots(uid_t uid, const std::string& xdgRuntimeDir) {
  std::vector<std::string> roots;
  if (!xdgRuntimeDir.empty())
    roots.push_back(xdgRuntimeDir + "/umlab");
  const std::string fallback = uid == 0 ? "/run/umlab" : "/tmp/umlab-" + std::to_string(uid);
  if (std::find(roots.begin(), roots.end(), fallback) == roots.end())
    roots.push_back(fallback);
  return roots;
}

std::vector<std::string> callerStateRoots() {
  if (std::string s = env("UMLAB_STATE_DIR"); !s.empty())
    return {s};
  return userStateRoots(::geteuid(), env("XDG_RUNTIME_DIR"));
}

std::vector<std::string> accountStateRoots(const std::string& user) {
  const std::optional<LoginAccount> account = findAccount(user);
  if (!account)
    throw RuntimeError("there is no account named '" + user + "'");
  const std::string runtimeDir = "/run/user/" + std::to_string(account->uid);
  std::error_code ec;
  return userStateRoots(account->uid, fs::is_directory(runtimeDir, ec) ? runtimeDir : "");
}

std::string rootOfLab(const std::vector<std::string>& roots, const std::string& lab) {
  for (const std::string& r : roots) {
    std::error_code ec;
    if (fs::is_directory(r + "/" + lab, ec))
      return r;
  }
  return roots.empty() ? std::string() : roots.front();
}

std::vector<LabLocation> everyUsersLabs() {
  std::vector<std::pair<std::string, uid_t>> roots{{"/run/umlab", 0}};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/user", ec)) {
    const std::string name = e.path().filename();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit))
      roots.emplace_back(e.path().string() + "/umlab", static_cast<uid_t>(std::stoul(name)));
  }
  for (const auto& e : fs::directory_iterator("/tmp", ec)) {
    const std::string name = e.path().filename();
    const std::string prefix = "umlab-";
    if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() &&
        std::all_of(name.begin() + prefix.size(), name.end(), ::isdigit))
      roots.emplace_back(e.path().string(), static_cast<uid_t>(std::stoul(name.substr(prefix.size()))));
  }
  std::vector<LabLocation> labs;
  std::set<std::string> seen;
  for (const auto& [root, uid] : roots) {
    if (!isOwnedDirectory(root, uid) || !seen.insert(root).second)
      continue;
    for (const std::string& lab : listLabs(root))
      labs.push_back({lab, root, uid, accountName(uid)});
  }
  std::stable_sort(labs.begin(), labs.end(), [](const LabLocation& a, const LabLocation& b) {
    return std::tie(a.ownerName, a.lab) < std::tie(b.ownerName, b.lab);
  });
  return labs;
}

} // namespace umlab::lab::runtime
