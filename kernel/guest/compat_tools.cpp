#include "compat_tools.hpp"

#include "guest_io.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/mac_change.hpp"
#include "umlab/kernel/service_unit.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <net/if.h>
#include <optional>
#include <sstream>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace umlab::guest {

namespace fs = std::filesystem;
using kernel::ResolvedUnit;
using kernel::UnitVerb;

namespace {

constexpr const char* kServiceStateDir = "/run/umlab-services";
constexpr auto kStopPatience = std::chrono::seconds(10);

int exitCode(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 1;
}

std::vector<char*> cArgs(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  return args;
}

/// Runs `path` with `argv` and waits; stderr into `errText` when given. The exit code.
int runWait(const std::string& path, const std::vector<std::string>& argv, std::string* errText = nullptr,
            bool isQuiet = false) {
  int fds[2] = {-1, -1};
  if (errText && ::pipe2(fds, O_CLOEXEC) != 0)
    return 1;
  UniqueFd readEnd(fds[0]), writeEnd(fds[1]);
  std::vector<char*> args = cArgs(argv);
  const pid_t pid = ::fork();
  if (pid < 0)
    return 1;
  if (pid == 0) {
    if (errText)
      ::dup2(writeEnd.get(), STDERR_FILENO);
    if (isQuiet) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
    }
    ::execv(path.c_str(), args.data());
    std::fprintf(stderr, "%s: %s\n", path.c_str(), std::strerror(errno));
    ::_exit(errno == ENOENT ? 127 : 126);
  }
  writeEnd.reset();
  if (errText) {
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(readEnd.get(), buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
      if (n > 0)
        errText->append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exitCode(status);
}

// --- ip, ifconfig -----------------------------------------------------------------------------

std::optional<short> interfaceFlags(int sock, const std::string& device) {
  ifreq request{};
  std::strncpy(request.ifr_name, device.c_str(), IFNAMSIZ - 1);
  if (::ioctl(sock, SIOCGIFFLAGS, &request) != 0)
    return std::nullopt;
  return request.ifr_flags;
}

bool setInterfaceFlags(int sock, const std::string& device, short flags) {
  ifreq request{};
  std::strncpy(request.ifr_name, device.c_str(), IFNAMSIZ - 1);
  request.ifr_flags = flags;
  return ::ioctl(sock, SIOCSIFFLAGS, &request) == 0;
}

std::optional<std::string> readSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return std::nullopt;
  std::string text;
  std::getline(in, text);
  return text;
}

void writeSmallFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text << "\n";
}

} // namespace

int runNetWrapper(const std::string& tool, const std::vector<std::string>& args) {
  std::string real;
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"})
    if (::access((dir + tool).c_str(), X_OK) == 0) {
      real = dir + tool;
      break;
    }
  if (real.empty()) {
    std::fprintf(stderr, "%s: command not found\n", tool.c_str());
    return 127;
  }
  std::vector<std::string> argv = {tool};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto change = kernel::recognizeMacChange(tool, args);
  if (!change) { // the common case costs one exec
    std::vector<char*> cargs = cArgs(argv);
    ::execv(real.c_str(), cargs.data());
    std::fprintf(stderr, "%s: %s\n", real.c_str(), std::strerror(errno));
    return 126;
  }
  std::string firstError;
  const int first = runWait(real, argv, &firstError);
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const auto flags = sock ? interfaceFlags(sock.get(), change->device) : std::nullopt;
  if (first == 0 || !flags || !(*flags & IFF_UP)) {
    writeAll(STDERR_FILENO, firstError);
    return first;
  }
  // Down, the same command again, up (compat_tools.hpp). IPv6 addresses would go with the down.
  const std::string keepPath = "/proc/sys/net/ipv6/conf/" + change->device + "/keep_addr_on_down";
  const auto keep = readSmallFile(keepPath);
  if (keep && *keep != "1")
    writeSmallFile(keepPath, "1");
  int result = 1;
  if (!setInterfaceFlags(sock.get(), change->device, static_cast<short>(*flags & ~IFF_UP))) {
    std::fprintf(stderr, "%s (umlab compat): cannot take %s down for the MAC change: %s\n", tool.c_str(),
                 change->device.c_str(), std::strerror(errno));
    writeAll(STDERR_FILENO, firstError);
    result = first;
  } else {
    result = runWait(real, argv);
    const bool wantsDown = std::find(args.begin(), args.end(), "down") != args.end();
    const auto now = interfaceFlags(sock.get(), change->device);
    if (!wantsDown && now && !(*now & IFF_UP) && !setInterfaceFlags(sock.get(), change->device, static_cast<short>(*now | IFF_UP))) {
      std::fprintf(stderr, "%s (umlab compat): cannot bring %s up again: %s\n", tool.c_str(), change->device.c_str(),
                   std::strerror(errno));
      result = result ? result : 1;
    }
  }
  if (keep && *keep != "1")
    writeSmallFile(keepPath, *keep);
  return result;
}

// --- systemctl --------------------------------------------------------------------------------

namespace {

class GuestFiles : public kernel::UnitFileSystem {
public:
  bool isExecutable(const std::string& path) const override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
  }
  std::optional<std::string> read(const std::string& path) const override { return guest::readTextFile(path); }
  std::vector<std::string> list(const std::string& dir) const override {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
      while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.')
          names.emplace_back(e->d_name);
      ::closedir(d);
    }
    return names;
  }
  std::string targetName(const std::string& path) const override {
    std::error_code ec;
    const fs::path target = fs::canonical(path, ec);
    return ec ? fs::path(path).filename().string() : target.filename().string();
  }
};

std::string shellQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string verbName(UnitVerb verb) {
  switch (verb) {
  case UnitVerb::Start: return "start";
  case UnitVerb::Stop: return "stop";
  case UnitVerb::Restart: return "restart";
  case UnitVerb::Reload: return "reload";
  case UnitVerb::TryRestart: return "try-restart";
  case UnitVerb::ReloadOrRestart: return "reload-or-restart";
  case UnitVerb::Status: return "status";
  case UnitVerb::IsActive: return "is-active";
  case UnitVerb::Enable: return "enable";
  case UnitVerb::Disable: return "disable";
  case UnitVerb::IsEnabled: return "is-enabled";
  case UnitVerb::DaemonReload: return "daemon-reload";
  }
  return "?";
}

/// A unit without an init script: its commands, run by this program (service_unit.hpp).
class UnitRunner {
public:
  UnitRunner(const ResolvedUnit& resolved)
      : r_(resolved), pidPath_(std::string(kServiceStateDir) + "/" + r_.name + ".pid"),
        donePath_(std::string(kServiceStateDir) + "/" + r_.name + ".exited"),
        logPath_(std::string(kServiceStateDir) + "/" + r_.name + ".log") {
    ::mkdir(kServiceStateDir, 0755);
  }

  pid_t mainPid() const {
    auto text = readSmallFile(pidPath_);
    if (!text)
      return 0;
    const pid_t pid = static_cast<pid_t>(std::atoi(text->c_str()));
    if (pid <= 1 || ::kill(pid, 0) != 0)
      return 0;
    auto stat = readSmallFile("/proc/" + std::to_string(pid) + "/stat");
    const size_t close = stat ? stat->rfind(')') : std::string::npos;
    if (close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] == 'Z')
      return 0;
    return pid;
  }
  bool isActive() const { return mainPid() > 0 || ::access(donePath_.c_str(), F_OK) == 0; }

  int start() {
    if (isActive())
      return 0;
    ::unlink(donePath_.c_str());
    for (const std::string& dir : r_.unit.runtimeDirectories)
      fs::create_directories("/run/" + dir);
    for (const std::string& line : r_.unit.execStartPre)
      if (int rc = runLine(line); rc != 0)
        return failed("start", "ExecStartPre=" + line, rc);
    if (r_.unit.execStart.empty()) {
      std::fprintf(stderr, "Failed to start %s.service: the unit has no ExecStart=\n", r_.name.c_str());
      return 1;
    }
    const std::string& type = r_.unit.type;
    const bool isBackground = type == "simple" || type == "exec" || type == "notify" || type == "idle" || type == "dbus";
    if (isBackground) {
      const pid_t pid = spawnBackground(r_.unit.execStart.front());
      if (pid < 0)
        return failed("start", "ExecStart=" + r_.unit.execStart.front(), 1);
      writeSmallFile(pidPath_, std::to_string(pid));
      // A daemon that dies at once (bad config) fails the start, as systemd reports it.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid || mainPid() == 0) {
        ::unlink(pidPath_.c_str());
        return failed("start", "ExecStart=" + r_.unit.execStart.front() + " exited at once", 1);
      }
    } else {
      for (const std::string& line : r_.unit.execStart)
        if (int rc = runLine(line); rc != 0)
          return failed("start", "ExecStart=" + line, rc);
      std::string pid;
      if (!r_.unit.pidFile.empty())
        pid = readSmallFile(r_.unit.pidFile).value_or("");
      if (!pid.empty())
        writeSmallFile(pidPath_, pid);
      else if (type != "oneshot" || r_.unit.remainAfterExit)
        writeSmallFile(donePath_, "exited");
    }
    for (const std::string& line : r_.unit.execStartPost)
      if (int rc = runLine(line); rc != 0)
        return failed("start", "ExecStartPost=" + line, rc);
    return 0;
  }

  int stop() {
    const pid_t pid = mainPid();
    int rc = 0;
    for (const std::string& line : r_.unit.execStop)
      rc = runLine(line, pid) ? 1 : rc;
    if (pid > 0 && mainPid() == pid) {
      ::kill(-pid, SIGTERM);
      ::kill(pid, SIGTERM);
      const auto deadline = std::chrono::steady_clock::now() + kStopPatience;
      while (mainPid() == pid && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (mainPid() == pid) {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
      }
    }
    ::unlink(pidPath_.c_str());
    ::unlink(donePath_.c_str());
    return rc;
  }

  int reload() {
    if (r_.unit.execReload.empty()) {
      std::fprintf(stderr, "Failed to reload %s.service: Job type reload is not applicable for unit %s.service.\n",
                   r_.name.c_str(), r_.name.c_str());
      return 1;
    }
    for (const std::string& line : r_.unit.execReload)
      if (int rc = runLine(line, mainPid()); rc != 0)
        return failed("reload", "ExecReload=" + line, rc);
    return 0;
  }
  bool canReload() const { return !r_.unit.execReload.empty(); }

  int status() const {
    const pid_t pid = mainPid();
    std::printf("* %s.service%s%s\n", r_.name.c_str(), r_.unit.description.empty() ? "" : " - ",
                r_.unit.description.c_str());
    std::printf("     Loaded: loaded (%s; run by umlab-init's systemctl, not systemd)\n", r_.unitPath.c_str());
    if (pid > 0)
      std::printf("     Active: active (running)\n   Main PID: %d\n", pid);
    else if (isActive())
      std::printf("     Active: active (exited)\n");
    else
      std::printf("     Active: inactive (dead)\n");
    if (auto log = GuestFiles().read(logPath_); log && !log->empty()) {
      std::vector<std::string> lines;
      std::istringstream in(*log);
      for (std::string line; std::getline(in, line);)
        lines.push_back(line);
      std::printf("\n%s (last lines):\n", logPath_.c_str());
      for (size_t i = lines.size() > 10 ? lines.size() - 10 : 0; i < lines.size(); ++i)
        std::printf("%s\n", lines[i].c_str());
    }
    return pid > 0 || isActive() ? 0 : 3;
  }

private:
  int failed(const char* verb, const std::string& what, int rc) const {
    std::fprintf(stderr, "Failed to %s %s.service: %s failed (exit status %d); see %s\n", verb, r_.name.c_str(),
                 what.c_str(), rc, logPath_.c_str());
    return rc ? rc : 1;
  }

  /// The sh script that runs one Exec line with the unit's environment. systemd's own quoting
  /// and $VAR expansion are close enough to sh's for the lines units use.
  std::string script(std::string line, pid_t mainPid) const {
    while (!line.empty() && std::string_view("-@+!:").find(line.front()) != std::string_view::npos)
      line.erase(0, 1);
    std::string text = "set -a\n";
    for (std::string file : r_.unit.environmentFiles) {
      const bool isOptional = file.starts_with("-");
      if (isOptional)
        file.erase(0, 1);
      text += isOptional ? "[ ! -r " + shellQuoted(file) + " ] || . " + shellQuoted(file) + "\n"
                         : ". " + shellQuoted(file) + " || exit 1\n";
    }
    for (const std::string& assignment : r_.unit.environment)
      if (const size_t eq = assignment.find('='); eq != std::string::npos)
        text += assignment.substr(0, eq) + "=" + shellQuoted(assignment.substr(eq + 1)) + "\n";
    if (mainPid > 0)
      text += "MAINPID=" + std::to_string(mainPid) + "\n";
    text += "set +a\n";
    if (!r_.unit.workingDirectory.empty())
      text += "cd " + shellQuoted(r_.unit.workingDirectory.starts_with("-") ? r_.unit.workingDirectory.substr(1)
                                                                            : r_.unit.workingDirectory) + " || exit 1\n";
    return text + "exec " + line + "\n";
  }

  int runLine(const std::string& line, pid_t mainPid = 0) const {
    const int rc = runWait("/bin/sh", {"sh", "-c", script(line, mainPid)});
    return line.starts_with("-") ? 0 : rc;
  }

  pid_t spawnBackground(const std::string& line) const {
    const std::string text = script(line, 0);
    const pid_t pid = ::fork();
    if (pid != 0)
      return pid;
    resetSignalsForExec();
    ::setsid();
    const int null = ::open("/dev/null", O_RDONLY);
    const int log = ::open(logPath_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(null, STDIN_FILENO);
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
    }
    for (int fd = 3; fd < 256; ++fd)
      ::close(fd);
    ::execl("/bin/sh", "sh", "-c", text.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }

  const ResolvedUnit& r_;
  std::string pidPath_, donePath_, logPath_;
};

int initScript(const ResolvedUnit& r, const std::string& action, bool isQuiet = false) {
  return runWait(r.initScript, {r.initScript, action}, nullptr, isQuiet);
}

/// One verb on one resolved unit; the exit code.
int act(UnitVerb verb, const std::string& asked, const ResolvedUnit& r, bool isQuiet) {
  const std::string unit = asked + ".service";
  if (r.kind == ResolvedUnit::Kind::NotFound) {
    switch (verb) {
    case UnitVerb::Status:
      std::fprintf(stderr, "Unit %s could not be found.\n", unit.c_str());
      return 4;
    case UnitVerb::IsActive:
      if (!isQuiet)
        std::printf("inactive\n");
      return 3;
    case UnitVerb::Enable:
    case UnitVerb::Disable:
      std::fprintf(stderr, "Failed to %s unit: Unit file %s does not exist.\n", verbName(verb).c_str(), unit.c_str());
      return 1;
    case UnitVerb::IsEnabled:
      std::fprintf(stderr, "Failed to get unit file state for %s: No such file or directory\n", unit.c_str());
      return 1;
    default:
      std::fprintf(stderr, "Failed to %s %s: Unit %s not found.\n", verbName(verb).c_str(), unit.c_str(), unit.c_str());
      return 5;
    }
  }
  switch (verb) {
  case UnitVerb::Enable:
  case UnitVerb::Disable:
    std::printf("umlab: '%s %s' changes nothing: umlab-init starts no units at boot (the lab's startup commands do)\n",
                verbName(verb).c_str(), unit.c_str());
    return 0;
  case UnitVerb::IsEnabled:
    std::printf("disabled\n");
    return 1;
  case UnitVerb::DaemonReload:
    return 0;
  default:
    break;
  }
  if (r.kind == ResolvedUnit::Kind::InitScript) {
    switch (verb) {
    case UnitVerb::IsActive: {
      const bool isUp = initScript(r, "status", true) == 0;
      if (!isQuiet)
        std::printf(isUp ? "active\n" : "inactive\n");
      return isUp ? 0 : 3;
    }
    case UnitVerb::TryRestart:
      return initScript(r, "status", true) == 0 ? initScript(r, "restart") : 0;
    case UnitVerb::ReloadOrRestart:
      if (initScript(r, "status", true) != 0)
        return initScript(r, "start");
      return initScript(r, "reload") == 0 ? 0 : initScript(r, "restart");
    case UnitVerb::Status: // systemctl's contract: 3 for any unit that is not running
      return initScript(r, "status") == 0 ? 0 : 3;
    default:
      return initScript(r, kernel::initScriptAction(verb));
    }
  }
  UnitRunner runner(r);
  switch (verb) {
  case UnitVerb::Start: return runner.start();
  case UnitVerb::Stop: return runner.stop();
  case UnitVerb::Restart: runner.stop(); return runner.start();
  case UnitVerb::Reload: return runner.reload();
  case UnitVerb::TryRestart:
    if (!runner.isActive())
      return 0;
    runner.stop();
    return runner.start();
  case UnitVerb::ReloadOrRestart:
    if (runner.isActive() && runner.canReload())
      return runner.reload();
    runner.stop();
    return runner.start();
  case UnitVerb::Status: return runner.status();
  case UnitVerb::IsActive:
    if (!isQuiet)
      std::printf(runner.isActive() ? "active\n" : "inactive\n");
    return runner.isActive() ? 0 : 3;
  default: return 0;
  }
}

} // namespace

int runSystemctl(const std::vector<std::string>& args) {
  bool isQuiet = false, isNow = false;
  std::vector<std::string> words;
  for (const std::string& arg : args) {
    if (arg == "-q" || arg == "--quiet")
      isQuiet = true;
    else if (arg == "--now")
      isNow = true;
    else if (!arg.starts_with("-"))
      words.push_back(arg); // other options (--no-pager, --system, --no-block, ...) change nothing here
  }
  std::fflush(stdout);
  if (words.empty()) {
    std::fprintf(stderr, "systemctl (umlab-init): listing units is not supported; use systemctl "
                         "start|stop|restart|reload|try-restart|reload-or-restart|status|is-active|enable|disable|"
                         "is-enabled|daemon-reload <unit>...\n");
    return 1;
  }
  const auto verb = kernel::parseUnitVerb(words[0]);
  if (!verb) {
    std::fprintf(stderr, "Unknown command verb '%s' (umlab-init's systemctl knows start, stop, restart, reload, "
                         "try-restart, reload-or-restart, status, is-active, enable, disable, is-enabled, "
                         "daemon-reload).\n", words[0].c_str());
    return 1;
  }
  if (*verb == UnitVerb::DaemonReload) {
    std::printf("umlab: daemon-reload changes nothing: umlab-init's systemctl reads unit files when it runs\n");
    return 0;
  }
  if (words.size() < 2) {
    std::fprintf(stderr, "Too few arguments.\n");
    return 1;
  }
  GuestFiles files;
  int result = 0;
  for (size_t i = 1; i < words.size(); ++i) {
    const auto name = kernel::serviceName(words[i]);
    if (!name) {
      std::fprintf(stderr, "Failed to %s %s: umlab-init's systemctl handles .service units only\n",
                   words[0].c_str(), words[i].c_str());
      result = result ? result : 1;
      continue;
    }
    const ResolvedUnit resolved = kernel::resolveUnit(*name, files);
    std::fflush(stdout);
    int rc = act(*verb, *name, resolved, isQuiet);
    if (isNow && rc == 0 && resolved.kind != ResolvedUnit::Kind::NotFound &&
        (*verb == UnitVerb::Enable || *verb == UnitVerb::Disable))
      rc = act(*verb == UnitVerb::Enable ? UnitVerb::Start : UnitVerb::Stop, *name, resolved, isQuiet);
    std::fflush(stdout);
    if (rc != 0 && (result == 0 || *verb != UnitVerb::IsEnabled))
      result = rc;
  }
  return result;
}

int runService(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[0].starts_with("-")) {
    std::fprintf(stderr, "Usage: service <name> <action> (umlab-init's service: the same as systemctl <action> <name>)\n");
    return 1;
  }
  std::vector<std::string> rest = {args[1], args[0]};
  rest.insert(rest.end(), args.begin() + 2, args.end());
  return runSystemctl(rest);
}

} // namespace umlab::guest
