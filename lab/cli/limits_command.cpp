// umlab limits: the per-user limits of /etc/umlab/limits.yaml (lab/runtime/limits.hpp), checked
// and resolved for one user, each with the entry that sets it.

#include "limits_command.hpp"

#include "cli.hpp"
#include "cli_args.hpp"

#include "umlab/lab/runtime/limits.hpp"
#include "umlab/lab/runtime/user_account.hpp"

#include <iomanip>
#include <ostream>

namespace umlab::cli {
namespace {

using lab::runtime::EffectiveLimit;
using lab::runtime::Limits;
using lab::runtime::UserAccount;

std::string count(size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

/// "default, 3 groups, 2 users", "no entries".
std::string summary(const Limits& l) {
  std::string s = l.defaults ? "default" : "";
  if (!l.groups.empty())
    s += (s.empty() ? "" : ", ") + count(l.groups.size(), "group", "groups");
  if (!l.users.empty())
    s += (s.empty() ? "" : ", ") + count(l.users.size(), "user", "users");
  return s.empty() ? "no entries, nobody is limited" : s;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v)
    s += (s.empty() ? "" : ", ") + x;
  return s;
}

void printLimit(std::ostream& out, const char* key, const EffectiveLimit& l) {
  out << "  " << std::left << std::setw(12) << key << std::setw(11) << l.text;
  if (l.source.empty())
    out << "no entry sets it\n";
  else
    out << l.source << ", " << l.file << ":" << l.line << ":" << l.column << "\n";
}

/// The user whose limits are shown: --user (looked up here unless --group names the groups),
/// else the one running this.
UserAccount account(const CliArgs& a) {
  const std::vector<std::string> groups = a.getAll("--group");
  const std::optional<std::string> name = a.get("--user");
  if (!name) {
    UserAccount me = lab::runtime::currentUserAccount();
    if (!groups.empty())
      me.groups = groups;
    return me;
  }
  std::optional<UserAccount> found = lab::runtime::findUserAccount(*name);
  if (!found && groups.empty())
    throw CliFailure{"no user '" + *name + "' on this machine; name the user's groups with '--group GROUP' to see "
                     "the limits such a user would have"};
  UserAccount user = found.value_or(UserAccount{});
  user.name = *name;
  if (!groups.empty())
    user.groups = groups;
  return user;
}

int cmdLimits(const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (!a.positional().empty())
    throw CliUsageError{"limits takes no arguments; give the file with '--file PATH' and the user with '--user NAME'"};
  const std::optional<std::string> file = a.get("--file");
  const std::string path = file.value_or(lab::runtime::kLimitsFile);
  const UserAccount user = account(a);

  SourceManager sources;
  Diagnostics diags;
  std::optional<Limits> limits = lab::runtime::loadLimits(path, sources, diags);
  renderDiagnostics(diags, err);
  if (!limits) {
    err << path << ": " << count(diags.errorCount(), "error", "errors") << "\n";
    return kExitInputError;
  }
  if (!limits->exists) {
    if (file)
      throw CliFailure{"no limits file '" + path + "'; check the path (without --file, umlab reads " +
                       lab::runtime::kLimitsFile + ")"};
    out << path << ": no such file, nobody is limited\n";
    return kExitOk;
  }
  out << path << ": ok: " << summary(*limits);
  if (diags.warningCount())
    out << ", " << count(diags.warningCount(), "warning", "warnings");
  out << "\n";
  if (user.isRoot()) {
    out << "limits of " << user.name << ": none, root is never limited\n";
    return kExitOk;
  }
  const std::string groups = user.groups.empty() ? "no groups" : "groups: " + joined(user.groups);
  const lab::runtime::EffectiveLimits effective = lab::runtime::limitsFor(*limits, user.name, user.groups);
  out << "limits of " << user.name << " (" << groups << "):\n";
  printLimit(out, "max-guests", effective.maxGuests);
  printLimit(out, "max-memory", effective.maxMemory);
  return kExitOk;
}

} // namespace

const char* const kLimitsHelp =
    "usage: umlab limits [--file PATH] [--user NAME] [--group GROUP]...\n"
    "\n"
    "Check the machine's limits file and show the limits that 'umlab up' and 'umlab apply' hold a\n"
    "user to: how many guests, and how much guest memory, the user's running labs may have, each\n"
    "with the entry of the file that sets it. Mistakes in the file are errors at file:line:col.\n"
    "A user's own entry wins, else the most generous of the user's groups, else 'default'. Root\n"
    "is never limited. docs/limits.md has the format.\n"
    "\n"
    "options:\n"
    "  --file PATH        the limits file (default /etc/umlab/limits.yaml, where no file means\n"
    "                     nobody is limited)\n"
    "  --user NAME        show NAME's limits (default: yours), with NAME's groups on this machine\n"
    "  --group GROUP      count GROUP as one of the user's groups instead (repeatable): the limits\n"
    "                     a member of these groups would have, on this machine or not\n"
    "  -h, --help         show this help\n"
    "\n"
    "exit status: 0 the file is valid, 1 errors in the file or no such user, 2 usage error\n";

int runLimitsCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"-h", "--help"}, {"--file", "--user", "--group"});
  if (a.has("-h") || a.has("--help")) {
    out << kLimitsHelp;
    return kExitOk;
  }
  try {
    return cmdLimits(a, out, err);
  } catch (const CliFailure& f) {
    err << "umlab: error: " << f.message << "\n";
    return kExitInputError;
  }
}

} // namespace umlab::cli
