#include "umlab/lab/runtime/classroom.hpp"

#include "umlab/base/json_value.hpp"
#include "umlab/base/json_writer.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <pwd.h>
#include <set>
#include <sstream>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
  const auto space = [](unsigned char c) { return std::isspace(c); };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  return s;
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool isClassName(const std::string& name) {
  return !name.empty() && name.size() <= 64 && name.front() != '.' &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
}

} // namespace

std::optional<std::vector<Student>> parseStudents(const std::string& path, std::string text, SourceManager& sources,
                                                  Diagnostics& diags,
                                                  const std::function<std::optional<Student>(const std::string&)>& lookup) {
  const SourceFile& file = sources.add(path, std::move(text));
  const size_t before = diags.errorCount();
  std::vector<Student> students;
  std::set<std::string> seen;
  bool first = true;
  for (uint32_t n = 1; n <= file.lineCount(); ++n) {
    std::string line(file.line(n));
    if (const size_t hash = line.find('#'); hash != std::string::npos)
      line.erase(hash);
    const size_t lead = line.find_first_not_of(" \t");
    if (lead == std::string::npos)
      continue;
    std::string account = trim(line.substr(0, line.find(',')));
    const bool wasFirst = first;
    first = false;
    if (account.size() >= 2 && account.front() == '"' && account.back() == '"')
      account = account.substr(1, account.size() - 2);
    const SourceLoc loc{&file, n, static_cast<uint32_t>(lead + 1)};
    if (wasFirst && (account == "account" || account == "login" || account == "user" || account == "username"))
      continue; // a CSV header
    if (account.empty() || account.find_first_of(" \t") != std::string::npos) {
      diags.error(loc, "'" + trim(line) + "' is not an account name; write one account per line (a CSV's first field)");
      continue;
    }
    std::optional<Student> s = lookup(account);
    if (!s) {
      diags.error(loc, "there is no account '" + account + "' on this machine; create it ('adduser " + account +
                           "') or remove the line");
      continue;
    }
    if (s->uid == 0) {
      diags.error(loc, "'" + account + "' is root: a class runs each copy of the lab as a student's own, "
                       "unprivileged account");
      continue;
    }
    if (!seen.insert(s->account).second) {
      diags.error(loc, "'" + account + "' is listed twice");
      continue;
    }
    students.push_back(*s);
  }
  if (diags.errorCount() == before && students.empty())
    diags.error(SourceLoc{&file, 0, 0}, "lists no accounts; write one account name per line");
  if (diags.errorCount() != before)
    return std::nullopt;
  return students;
}

std::optional<std::vector<Student>> loadStudents(const std::string& path, SourceManager& sources, Diagnostics& diags) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    diags.error(SourceLoc{&sources.add(path, ""), 0, 0}, "no such file; the students file lists one account per line");
    return std::nullopt;
  }
  return parseStudents(path, readText(path), sources, diags, findAccount);
}

std::string classDirectory() {
  const char* dir = std::getenv("UMLAB_CLASS_DIR");
  return dir && *dir ? dir : "/run/umlab-classes";
}

void saveClass(const ClassRecord& r) {
  const std::string dir = classDirectory();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw RuntimeError("cannot create " + dir + ": " + std::strerror(errno));
  JsonWriter w;
  w.beginObject().field("class", r.name).field("topology", r.topology).field("lab", r.lab).field("teacher", r.teacher);
  w.key("students").beginArray();
  for (const std::string& s : r.students)
    w.value(s);
  w.endArray().endObject();
  const std::string path = dir + "/" + r.name + ".json", temp = path + ".new";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << w.str();
    if (!out)
      throw RuntimeError("cannot write " + temp);
  }
  fs::rename(temp, path);
}

ClassRecord loadClass(const std::string& name) {
  if (!isClassName(name))
    throw RuntimeError("'" + name + "' is not a class name (letters, digits, '-', '_' and '.')");
  const std::string path = classDirectory() + "/" + name + ".json";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    std::string known;
    for (const std::string& c : listClasses())
      known += (known.empty() ? "" : ", ") + c;
    throw RuntimeError("there is no class '" + name + "'" +
                       (known.empty() ? "; 'umlab class up TOPOLOGY --students FILE' starts one" : " (classes: " + known + ")"));
  }
  JsonError e;
  std::optional<JsonValue> json = parseJson(readText(path), e);
  if (!json)
    throw RuntimeError(path + " is unreadable: " + e.str());
  ClassRecord r;
  r.name = jsonString(*json, "class");
  r.topology = jsonString(*json, "topology");
  r.lab = jsonString(*json, "lab");
  r.teacher = jsonString(*json, "teacher");
  if (const JsonValue* s = json->find("students"); s && s->asArray())
    for (const JsonValue& v : *s->asArray())
      if (auto t = v.asString())
        r.students.emplace_back(*t);
  return r;
}

std::vector<std::string> listClasses() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(classDirectory(), ec))
    if (e.path().extension() == ".json")
      names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

void removeClass(const std::string& name) {
  std::error_code ec;
  fs::remove(classDirectory() + "/" + name + ".json", ec);
  fs::remove(classDirectory(), ec); // only when empty
}

int becomeAccount(const Student& account) {
  std::vector<gid_t> groups(64);
  int count = static_cast<int>(groups.size());
  if (::getgrouplist(account.account.c_str(), account.gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    ::getgrouplist(account.account.c_str(), account.gid, groups.data(), &count);
  }
  groups.resize(static_cast<size_t>(std::max(count, 0)));
  if (::setgroups(groups.size(), groups.data()) != 0 || ::setresgid(account.gid, account.gid, account.gid) != 0 ||
      ::setresuid(account.uid, account.uid, account.uid) != 0)
    return errno;
  if (::geteuid() != account.uid)
    return EPERM;
  // A process that changed uid is not dumpable: its /proc files (ns/*, uid_map) would stay
  // root's, and the account could not reach the labs it starts (user_namespace.hpp). They are
  // the account's from here on.
  ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  ::setenv("HOME", account.home.c_str(), 1);
  ::setenv("USER", account.account.c_str(), 1);
  ::setenv("LOGNAME", account.account.c_str(), 1);
  for (const char* v : {"XDG_RUNTIME_DIR", "UMLAB_STATE_DIR", "UMLAB_CACHE_DIR", "XDG_CACHE_HOME", "SUDO_USER",
                        "SUDO_UID", "SUDO_GID", "SUDO_COMMAND"})
    ::unsetenv(v);
  return 0;
}

StudentRun startAsStudent(const Student& student, const std::function<int()>& work) {
  if (::geteuid() != 0)
    throw RuntimeError("only root can start a lab for another account");
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0)
    throw RuntimeError(std::string("pipe: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipeFds[0]);
    ::close(pipeFds[1]);
    throw RuntimeError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(pipeFds[0]);
    ::dup2(pipeFds[1], 1);
    ::dup2(pipeFds[1], 2);
    ::close(pipeFds[1]);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    if (const int e = becomeAccount(student); e != 0) {
      std::fprintf(stderr, "cannot become %s: %s\n", student.account.c_str(), std::strerror(e));
      ::_exit(70);
    }
    if (::chdir(student.home.c_str()) != 0 && ::chdir("/") != 0) {
    }
    int status = 70;
    try {
      status = work();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "the boot failed\n"); // nothing may unwind into the teacher's loop
    }
    std::fflush(nullptr);
    ::_exit(status);
  }
  ::close(pipeFds[1]);
  return StudentRun{pid, pipeFds[0]};
}

} // namespace umlab::lab::runtime
