#include "umlab/lab/runtime/launcher.hpp"
#include "umlab/lab/runtime/host_checks.hpp"

#include "umlab/base/process_runner.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/cow_file.hpp"
#include "umlab/kernel/cow_rebase.hpp"
#include "umlab/kernel/kernel_recipe.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/limit_gate.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/sparse_copy.hpp"
#include "umlab/lab/runtime/supervisor.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// True when `dir` holds nothing but the cow/ directory that `down --keep` leaves.
bool keptCowOnly(const std::string& dir) {
  std::error_code ec;
  bool any = false;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename() != "cow")
      return false;
    any = true;
  }
  return any;
}

/// The directory of every lab of this user: theirs, and 0700, so that nobody else sees their
/// labs, sockets or consoles (another user's /tmp/umlab-<uid> planted in advance is refused).
void makePrivateStateRoot(const std::string& root) {
  std::error_code ec;
  fs::create_directories(fs::path(root).parent_path(), ec);
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST)
    throw RuntimeError("cannot create the state directory '" + root + "': " + std::strerror(errno) +
                       "; set UMLAB_STATE_DIR to a directory of yours");
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw RuntimeError("the state directory '" + root + "' is not a directory; remove it or set UMLAB_STATE_DIR");
  if (st.st_uid != ::geteuid())
    throw RuntimeError("the state directory '" + root + "' belongs to uid " + std::to_string(st.st_uid) +
                       ", not to you; set UMLAB_STATE_DIR to a directory of yours (or ask the administrator to "
                       "remove it)");
  if ((st.st_mode & (S_ISVTX | S_IWOTH)) != 0)
    throw RuntimeError("the state directory '" + root + "' is shared with other users; set UMLAB_STATE_DIR to a "
                       "directory of umlab's own (such as " + root + "/umlab)");
  if ((st.st_mode & 077) != 0 && ::chmod(root.c_str(), 0700) != 0)
    throw RuntimeError("cannot make the state directory '" + root + "' private: " + std::strerror(errno));
}

/// The lab's directory is made 0700 whatever the caller's umask (a front-end's umask is its own:
/// it is not changed here), so nothing in it is reachable by other users.
void makeStateDirs(const LaunchPlan& p, bool reuseCow) {
  std::error_code ec;
  makePrivateStateRoot(fs::path(p.stateDir).parent_path().string());
  if (!reuseCow && ::mkdir(p.stateDir.c_str(), 0700) != 0)
    throw RuntimeError("cannot create the state directory '" + p.stateDir + "': " + std::strerror(errno));
  for (const char* sub : kLabSubdirectories)
    if (!(reuseCow && std::string(sub) == "cow") && ::mkdir((p.stateDir + "/" + sub).c_str(), 0700) != 0)
      throw RuntimeError("cannot create '" + p.stateDir + "/" + sub + "': " + std::strerror(errno));
  for (const GuestPlan& g : p.guests)
    fs::create_directories(fs::path(g.configDisk).parent_path(), ec);
}

/// Removes the state directory unless the supervisor took it over; COW files kept by `down
/// --keep` are never removed here: nothing of the user's is lost.
struct StateDirGuard {
  std::string dir;
  bool keepCow = false;
  bool isHandedOver = false;
  ~StateDirGuard() {
    if (isHandedOver || dir.empty())
      return;
    std::error_code ec;
    if (!keepCow) {
      fs::remove_all(dir, ec);
      return;
    }
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().filename() != "cow")
        fs::remove_all(e.path(), ec);
  }
};

/// The supervisor's first words: one line per event, then READY or FAILED <reason, maybe on
/// several lines>. Returns the failure text, empty when READY came; throws when the supervisor
/// died without a word.
std::string followSupervisor(int fd, LaunchProgress& progress, const std::string& lab) {
  std::string buffer, failure;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    buffer.append(buf, static_cast<size_t>(n));
    size_t nl;
    while (failure.empty() && (nl = buffer.find('\n')) != std::string::npos) {
      const std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      if (line == "READY")
        return "";
      if (line.rfind("FAILED ", 0) == 0) {
        failure = line.substr(7) + "\n" + buffer; // the reason may span lines: take the rest
        buffer.clear();
      } else {
        progress.step(line);
      }
    }
    if (!failure.empty())
      buffer.clear();
  }
  if (failure.empty())
    throw RuntimeError("the supervisor of lab '" + lab + "' stopped unexpectedly; 'umlab clean " + lab +
                       "' removes what it left");
  failure += buffer;
  while (!failure.empty() && failure.back() == '\n')
    failure.pop_back();
  return failure;
}

/// The saved lab in `from` (saved_labs.hpp) copied into the new state directory of `p`.
void copySavedLab(const LaunchPlan& p, const std::string& from, LaunchProgress& progress) {
  std::error_code ec;
  size_t disks = 0, captures = 0;
  try {
    for (const GuestPlan& g : p.guests) {
      const std::string cow = from + "/cow/" + g.name + ".cow";
      if (fs::exists(cow, ec)) {
        copySparseFile(cow, g.cowPath);
        // Over a copy of its base (another path: another machine, user or image directory) the
        // header is pointed at the local file. Over the very file it names, it is left alone, so
        // that a base changed since (another mtime) is refused below as for any COW file.
        const std::optional<kernel::CowHeader> header = kernel::readCowHeaderOf(g.cowPath);
        std::error_code same;
        const bool isSameFile = header && fs::equivalent(header->backingPath, g.basePath, same) && !same;
        if (!isSameFile)
          if (auto problem = kernel::rebaseCowFile(g.cowPath, g.basePath))
            throw RuntimeError("node '" + g.name + "': " + *problem);
        ++disks;
      }
      const std::string disk = from + "/nodes/" + g.name + "/config.img";
      if (fs::exists(disk, ec))
        copySparseFile(disk, g.configDisk);
    }
    for (const auto& e : fs::directory_iterator(from + "/captures", ec))
      if (e.is_regular_file(ec) && !e.is_symlink(ec)) {
        copySparseFile(e.path().string(), p.stateDir + "/captures/" + e.path().filename().string());
        ++captures;
      }
  } catch (const std::system_error& e) {
    throw RuntimeError(std::string("cannot copy the saved lab: ") + e.what() + " (the saved lab in " + from +
                       " is untouched)");
  }
  progress.step("resuming from " + from + ": " + std::to_string(disks) + " disk" + (disks == 1 ? "" : "s") + ", " +
                std::to_string(captures) + " capture" + (captures == 1 ? "" : "s"));
}

} // namespace

void checkHost(const LaunchPlan& p) {
  std::set<std::string> kernels;
  for (const GuestPlan& g : p.guests) {
    if (g.argv.empty() || !kernels.insert(g.argv.front()).second || ::access(g.argv.front().c_str(), X_OK) == 0)
      continue;
    if (g.kernel == kernel::kUmlabKernelName)
      throw RuntimeError("node '" + g.name + "' runs on 'kernel: umlab', which is not built yet ('" + g.argv.front() +
                         "' is missing); build it with 'umlab kernel build' (" + kernel::kKernelBuildTime + ", once)");
    throw RuntimeError("the UML kernel '" + g.argv.front() +
                       "' is missing; install it with 'apt-get install user-mode-linux' or set UMLAB_KERNEL");
  }
  if (!p.switches.empty() && ::access(p.switches.front().argv.front().c_str(), X_OK) != 0)
    throw RuntimeError("the switch daemon '" + p.switches.front().argv.front() +
                       "' is missing; build umlab completely (scripts/test.sh builds it)");
  const bool needsTun = !p.taps.empty() || std::any_of(p.switches.begin(), p.switches.end(),
                                                       [](const SwitchPlan& s) { return !s.mirrorTap.empty(); });
  if (needsTun && ::access("/dev/net/tun", R_OK | W_OK) != 0) {
    const std::string what = p.taps.empty() ? "pcap monitors" : "links to the host";
    if (errno == EACCES)
      throw RuntimeError(what + " need /dev/net/tun, which this user may not open (Debian's default mode is 0666; "
                                "here it is not): ask the administrator to run 'chmod 0666 /dev/net/tun', or run as root");
    throw RuntimeError(what + " need /dev/net/tun, which is missing here; load the tun module ('modprobe tun')");
  }
  std::map<std::string, std::string> bases; // path -> image name
  for (const GuestPlan& g : p.guests)
    bases.emplace(g.basePath, g.image);
  // Building needs root; others ask root for a build in the system's directory, which every
  // user's labs find (kernel/system_images.hpp).
  const bool isRoot = ::geteuid() == 0;
  auto howToBuild = [isRoot](const std::string& commands, const std::string& it, const std::string& time) {
    if (isRoot)
      return "build " + it + " with '" + commands + "' (" + time + ")";
    std::string shared = commands;
    const std::string build = "umlab image build";
    for (size_t at = 0; (at = shared.find(build, at)) != std::string::npos; at += build.size())
      shared.insert(at + build.size(), " --system");
    return "ask root to run '" + shared + "' (" + time + "), which shares " + it + " with every user";
  };
  for (const auto& [b, image] : bases) {
    // A topology's own image lives in <images>/<name>-<hash> (topology_images.hpp); a built-in
    // one is reached through the <images>/<name> link.
    const bool isTopologyImage = std::filesystem::path(b).parent_path().filename() != image;
    if (isTopologyImage && ::access(b.c_str(), R_OK) != 0)
      throw RuntimeError("image '" + image + "' of this topology is not built (no '" + b +
                         "', the build of its recipe as the file says it now); " +
                         howToBuild("umlab image build " + p.sourcePath, "it", "a few minutes, once"));
  }
  // Every missing built-in image at once, each with the command that builds it.
  std::vector<std::string> missing, commands;
  for (const auto& [b, image] : bases)
    if (::access(b.c_str(), R_OK) != 0) {
      missing.push_back("'" + b + "'");
      commands.push_back("umlab image build" + (image == "debian" ? std::string() : " --name " + image));
    }
  if (missing.size() == 1)
    throw RuntimeError("the base image " + missing[0] + " is missing; " + howToBuild(commands[0], "it", "a few minutes, once"));
  if (!missing.empty()) {
    std::string list, run;
    for (size_t i = 0; i < missing.size(); ++i) {
      list += (i ? ", " : "") + missing[i];
      run += (i ? " && " : "") + commands[i];
    }
    throw RuntimeError("the base images " + list + " are missing; " + howToBuild(run, "them", "a few minutes each, once"));
  }
}

void checkLabHost(const LaunchPlan& plan, LaunchProgress& progress) {
  const SystemHostProbe probe;
  std::string failures;
  for (const HostCheck& c : runLaunchChecks(probe, plan)) {
    if (c.status == CheckStatus::Warn)
      progress.warning("host check '" + c.id + "': " + c.reason + "; " + c.fix);
    if (c.status == CheckStatus::Fail)
      failures += (failures.empty() ? "" : "; and ") + std::string("host check '") + c.id + "' failed: " + c.reason +
                  "; fix: " + c.fix;
  }
  if (!failures.empty())
    throw RuntimeError("lab '" + plan.lab + "' was not started: " + failures + " ('umlab doctor " + plan.sourcePath +
                       "' checks the whole host)");
}

LaunchResult Launcher::launch(const LaunchPlan& plan, const LaunchOptions& options) {
  const auto started = Clock::now();
  LaunchResult result;
  LabState state(options.stateRoot, plan.lab);
  if (state.exists()) {
    if (auto sup = state.liveSupervisor())
      throw RuntimeError("lab '" + plan.lab + "' is already running (supervisor pid " + std::to_string(sup->id.pid) +
                         "); stop it with 'umlab down " + plan.lab + "' first");
    result.reusedCow = options.resumeFrom.empty() && keptCowOnly(state.dir());
    if (!options.resumeFrom.empty())
      throw RuntimeError("lab '" + plan.lab + "' has state in " + state.dir() + " already; 'umlab clean " + plan.lab +
                         "' removes it (the saved lab is not touched)");
    if (!result.reusedCow)
      throw RuntimeError("a previous run of lab '" + plan.lab + "' left its state in " + state.dir() +
                         "; remove it with 'umlab clean " + plan.lab + "'");
  }
  checkHost(plan);
  checkLabHost(plan, progress_);
  if (std::optional<std::string> refusal = limitRefusal(plan, ""))
    throw RuntimeError("lab '" + plan.lab + "' was not started: " + *refusal);
  if (result.reusedCow)
    progress_.step("reusing the COW files that 'umlab down --keep' kept in " + state.dir() + "/cow");
  makeStateDirs(plan, result.reusedCow);
  StateDirGuard guard{plan.stateDir, result.reusedCow};
  if (!options.resumeFrom.empty())
    copySavedLab(plan, options.resumeFrom, progress_);
  for (const GuestPlan& g : plan.guests) {
    if (auto problem = kernel::checkCow(g.cowPath, g.basePath))
      throw RuntimeError(*problem);
    try {
      std::error_code ec;
      if (!options.resumeFrom.empty() && fs::exists(g.configDisk, ec))
        continue; // the saved lab's own
      writeConfigDisk(g, options.guestBinDir);
    } catch (const std::system_error& e) {
      throw RuntimeError(std::string("cannot write the config disk of node '") + g.name + "': " + e.what());
    }
  }
  progress_.step("starting " + std::to_string(plan.switches.size()) + " switch" + (plan.switches.size() == 1 ? "" : "es") +
                 " and " + std::to_string(plan.guests.size()) + " guest" + (plan.guests.size() == 1 ? "" : "s") +
                 " (state in " + plan.stateDir + ")");

  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0)
    throw RuntimeError(std::string("pipe: ") + std::strerror(errno));
  UniqueFd progressRead(pipeFds[0]), progressWrite(pipeFds[1]);
  // The supervisor is this process, forked twice: it outlives the caller (a shell command, a GUI,
  // a test run), is nobody's zombie (init reaps it), and detaches (setsid, its own network
  // namespace). It is the only process of umlab's that is not started by `spawnProcess`.
  const pid_t pid = ::fork();
  if (pid < 0)
    throw RuntimeError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (::fork() != 0)
      ::_exit(0); // the intermediate process: its parent reaps it at once
    // Nothing of the caller's stays open in the supervisor (a GUI's display connection, its
    // event fds): stdin /dev/null, stdout and stderr the supervisor's log, fd 3 the progress pipe.
    const int progressFd = ::fcntl(progressWrite.get(), F_DUPFD_CLOEXEC, 10); // out of the way of 0-3
    const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    const int logFd = ::open(state.supervisorLog().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ::dup2(devnull, 0);
    ::dup2(logFd >= 0 ? logFd : devnull, 1);
    ::dup2(logFd >= 0 ? logFd : devnull, 2);
    ::dup2(progressFd, 3);
    ::close_range(4, ~0U, 0);
    (void)progressRead.release();
    (void)progressWrite.release();
    ::umask(077);
    // The caller's signal handling (a GUI, a test runner) is not the supervisor's.
    sigset_t none;
    sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE})
      ::signal(s, SIG_DFL);
    SupervisorOptions opts;
    opts.stateRoot = options.stateRoot;
    opts.bootTimeout = options.bootTimeout;
    opts.isReusingCow = result.reusedCow;
    opts.timelineFromMs = options.timelineFromMs;
    int status = 1;
    try {
      SystemProcessRunner runner;
      status = runSupervisor(plan, opts, runner, 3);
    } catch (const std::exception& e) {
      const std::string msg = std::string("FAILED ") + e.what() + "\n";
      ssize_t ignored = ::write(3, msg.data(), msg.size());
      (void)ignored;
    }
    ::_exit(status);
  }
  progressWrite.reset();
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  guard.isHandedOver = true; // the supervisor owns the state directory now
  const std::string failure = followSupervisor(progressRead.get(), progress_, plan.lab);
  if (!failure.empty())
    throw RuntimeError("lab '" + plan.lab + "' failed to start: " + failure + "\neverything it started was stopped");
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

} // namespace umlab::lab::runtime
