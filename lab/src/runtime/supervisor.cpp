#include "umlab/lab/runtime/supervisor.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/base/hash.hpp"
#include "umlab/base/json_value.hpp"
#include "umlab/base/json_writer.hpp"
#include "umlab/base/mac_address.hpp"
#include "umlab/base/signal_fd.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/base/unix_socket.hpp"
#include "umlab/kernel/agent_protocol.hpp"
#include "umlab/kernel/mconsole.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/runtime/jail.hpp"
#include "umlab/lab/runtime/lab_event.hpp"
#include "umlab/lab/runtime/lab_processes.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/lab_status.hpp"
#include "umlab/lab/runtime/network_namespace.hpp"
#include "umlab/lab/runtime/plan_diff.hpp"
#include "umlab/lab/runtime/process_info.hpp"
#include "umlab/lab/runtime/sparse_copy.hpp"
#include "umlab/lab/runtime/switch_admin.hpp"
#include "umlab/lab/runtime/tap_device.hpp"
#include "umlab/lab/runtime/timeline_player.hpp"
#include "umlab/lab/runtime/user_namespace.hpp"
#include "umlab/lab/runtime/vxlan_socket.hpp"
#include "umlab/lab/compile/plan_render.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <poll.h>
#include <set>
#include <sstream>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace {

namespace fs = std::filesystem;
namespace agent = umlab::kernel::agent;
using Clock = std::chrono::steady_clock;

constexpr size_t kClientOutputLimit = 8u << 20; // pause a guest's agent output beyond this
constexpr auto kRefreshPeriod = std::chrono::seconds(1);
constexpr auto kSizeBudget = std::chrono::milliseconds(20); // /proc work per refresh
/// The cache is kept fresh (a refresh a second) only while someone looks: an `events`
/// subscriber, or a status asked within this window. An idle lab that nobody watches costs the
/// host no wake-up of umlab's: the supervisor sleeps in poll() until something happens.
constexpr auto kWatchWindow = std::chrono::seconds(30);
/// A status asked after the cache went stale waits for the switches' answers, at most this long.
constexpr auto kStatusWaitLimit = std::chrono::milliseconds(300);
/// While something moves on a clock (a guest booting or powering off, a guest waiting for a boot
/// slot, a status waiting for the switches) the loop looks at the clocks this often.
constexpr auto kTick = std::chrono::milliseconds(250);
/// How long a guest asked to power off (its init runs `shutdown` commands for up to 10 s, then
/// syncs) may take before its process group is killed: `down --keep` and a node's `stop`.
constexpr auto kPowerOffLimit = std::chrono::seconds(20);

void setNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

/// Writes as much of `buf` as the fd takes now; false when the peer is gone.
bool flush(int fd, std::string& buf) {
  while (!buf.empty()) {
    const ssize_t n = ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK) {
      const ssize_t w = ::write(fd, buf.data(), buf.size());
      if (w > 0) {
        buf.erase(0, static_cast<size_t>(w));
        continue;
      }
      return w < 0 && (errno == EAGAIN || errno == EINTR);
    }
    if (n > 0) {
      buf.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;
}

std::string lastLines(const std::string& path, size_t count) {
  std::ifstream in(path, std::ios::binary);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    lines.push_back(line);
    if (lines.size() > count)
      lines.pop_front();
  }
  std::string out;
  for (const std::string& l : lines)
    out += "    " + l + "\n";
  return out;
}

std::string okReply() { return "{\"ok\": true}\n"; }
std::string errorReply(const std::string& message) {
  JsonWriter w(JsonWriter::kOneLine);
  w.beginObject().field("ok", false).field("error", message).endObject();
  return w.str();
}

/// What an exec run by the supervisor itself (hot-plug) reports when it ends.
using InternalDone = std::function<void(int exitCode, const std::string& output)>;

struct Guest {
  GuestPlan plan;
  ProcessId process;
  UniqueFd agentFd;
  UniqueFd consoleFd;
  UniqueFd logFd;
  agent::FrameDecoder decoder;
  std::string agentOut;
  std::string consoleOut;
  /// Stopping: asked to power off (`node stop`); Stopped: it did, its COW file kept for `start`.
  enum class State { Booting, Ready, Stopping, Stopped, Dead } state = State::Booting;
  ExitStatus exit;
  Clock::time_point startedAt;
  uint64_t memoryKiB = 0;
  uint32_t nextId = 1;
  /// agent request id -> (client key, the client's own id)
  std::map<uint32_t, std::pair<int, uint32_t>> routes;
  /// agent request id -> an exec of the supervisor's own, and its output so far
  std::map<uint32_t, std::pair<InternalDone, std::string>> internal;
  std::vector<InterfaceStatus> hotPlugged;
  std::vector<std::function<void(bool ready, const std::string& why)>> onReady;
  std::vector<std::function<void()>> onExit; ///< when its process has ended and been reaped
  bool isTimedOut = false; ///< booting longer than the boot timeout (reported once)
  Clock::time_point stopDeadline{}; ///< Stopping: killed when still running then
  bool isKilled = false;            ///< Stopping: the deadline passed and its group was killed

  /// Its process runs (booting, ready or powering off).
  bool isRunning() const { return state == State::Booting || state == State::Ready || state == State::Stopping; }
};

struct Switch {
  SwitchPlan plan;
  ProcessId process;
  bool isAlive = false;
  // The cache of its counters, refreshed without blocking (see the header).
  UniqueFd adminFd;
  std::string adminIn;
  bool isAnswering = true;
  bool hasCounters = false;
  Clock::time_point countersAt{};
  std::vector<PortStatus> ports;
};

struct Client {
  UniqueFd fd;
  std::string in;
  std::string out;
  enum class Mode { Request, Exec, Console, Events, Waiting } mode = Mode::Request;
  std::string guest;
  agent::FrameDecoder decoder;
  std::map<uint32_t, uint32_t> toAgent; ///< the client's id -> the agent's id
  bool closeWhenFlushed = false;
};

/// A sequence of steps, each of which may finish later (a guest boots, an agent answers). The
/// first error ends it.
class StepQueue {
public:
  using Done = std::function<void(const std::string& error)>;
  using Step = std::function<void(Done)>;
  void add(Step s) { steps_.push_back(std::move(s)); }
  void run(std::function<void(const std::string&)> finished) {
    finished_ = std::move(finished);
    next("");
  }

private:
  void next(const std::string& error) {
    if (!error.empty() || steps_.empty()) {
      auto f = std::move(finished_);
      steps_.clear();
      if (f)
        f(error);
      return;
    }
    Step s = std::move(steps_.front());
    steps_.pop_front();
    s([this](const std::string& e) { next(e); });
  }
  std::deque<Step> steps_;
  std::function<void(const std::string&)> finished_;
};

class Supervisor final : public LaunchHooks {
public:
  Supervisor(const LaunchPlan& plan, const SupervisorOptions& options, ProcessRunner& runner, int progressFd)
      : plan_(plan), options_(options), progress_(progressFd), state_(options.stateRoot, plan.lab), processes_(runner),
        runner_(runner), timeline_(plan.timeline) {}

  int run() {
    try {
      prepare();
      savePlanJson(plan_, state_.planFile());
      processes_.startAll(plan_, *this);
    } catch (const std::exception& e) {
      fail(e.what());
      return 1;
    }
    loop();
    return failed_ ? 1 : 0;
  }

  // ---- LaunchHooks ------------------------------------------------------------------------

  ProcessSpec switchSpec(const SwitchPlan& sp) override {
    auto sw = std::make_unique<Switch>();
    sw->plan = sp;
    switches_.push_back(std::move(sw));
    UniqueFd log = openLog(plan_.stateDir + "/log/switch-" + sp.segment + ".log");
    pendingFds_.clear();
    pendingFds_.push_back(UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
    ProcessSpec o;
    o.name = "switch " + sp.segment;
    o.argv = sp.argv; // umlab-switchd --ctl ... [--hub] --admin ..., as planned
    o.fds = {{0, pendingFds_.back().get()}, {1, log.get()}, {2, log.get()}};
    pendingFds_.push_back(std::move(log));
    // The segment's mirror tap, for its pcap monitors: made here, and attached here for the switch,
    // which inherits the descriptor (tap_device.hpp).
    if (!sp.mirrorTap.empty()) {
      mirrorTaps_.emplace_back(sp.mirrorTap, uid_, uid_, TapDevice::Mode::Mirror);
      pendingFds_.push_back(mirrorTaps_.back().openForGuest());
      o.fds.push_back({kMirrorTapFd, pendingFds_.back().get()});
      say("tap " + sp.mirrorTap + " up (mirror of " + sp.segment + ")");
    }
    if (auto it = vxlanSockets_.find(sp.segment); it != vxlanSockets_.end()) {
      o.fds.push_back({kVxlanFd, it->second.get()});
      say("switch " + sp.segment + " joins " + std::to_string(sp.vxlan->peers.size()) + " host(s) over VXLAN (vni " +
          std::to_string(sp.vxlan->vni) + ", " + sp.vxlan->local + ")");
    }
    if (options_.confine) {
      pendingJail_ = std::make_unique<Jail>(jailFor("switch-" + sp.segment, {sp.argv.front()}));
      o.setup = pendingJail_.get();
    }
    return o;
  }

  void switchStarted(const SwitchPlan& sp, const ProcessId& id) override {
    pendingFds_.clear();
    vxlanSockets_.erase(sp.segment); // the switch has it
    Switch& sw = *findSwitch(sp.segment);
    sw.process = id;
    sw.isAlive = true;
    state_.appendProcess({"switch", sp.segment, id});
    // The guests connect at boot, so the sockets must exist first. umlab-switchd makes its
    // admin socket last, after the control, monitor and bess sockets and after joining its
    // uplinks. (A few milliseconds; the only wait of the start.)
    const std::string& lastSocket = sp.adminPath.empty() ? sp.ctlPath : sp.adminPath;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    struct stat st {};
    while (::stat(lastSocket.c_str(), &st) != 0) {
      int status;
      if (::waitpid(id.pid, &status, WNOHANG) == id.pid) {
        processes_.markEnded(id.pid, ExitStatus::fromWaitStatus(status));
        sw.isAlive = false;
        throw std::runtime_error("switch '" + sp.segment + "' exited at start:\n" +
                                 lastLines(plan_.stateDir + "/log/switch-" + sp.segment + ".log", 10));
      }
      if (Clock::now() > deadline)
        throw std::runtime_error("switch '" + sp.segment + "' did not create " + lastSocket + " within 5 s");
      ::usleep(5000);
    }
    say("switch " + sp.segment + " up");
  }

  /// The host ends of `host` links: persistent taps in the lab's namespace that the (unprivileged)
  /// guests may attach to (tap_device.hpp).
  void beforeGuests() override {
    for (const TapPlan& t : plan_.taps) {
      taps_.emplace_back(t.device, uid_, uid_);
      say("tap " + t.device + " up (for " + t.interface + ")");
    }
  }

  /// A guest waits until every guest it depends on is ready (`depends-on`, Kathará's lab.dep),
  /// and for a boot slot: at most bootSlots_ guests boot at once (see bootConcurrency).
  bool isGuestDeferred(const GuestPlan& gp) override {
    if (!areDependenciesReady(gp)) {
      deferred_.push_back(gp);
      std::string after;
      for (const std::string& d : gp.dependsOn)
        after += (after.empty() ? "" : ", ") + d;
      say("guest " + gp.name + " waits for " + after);
      return true;
    }
    if (bootingGuests() < bootSlots_)
      return false;
    if (!hasSaidSlots_)
      say(std::to_string(bootSlots_) + " guests boot at a time on this host; the others start as those are ready");
    hasSaidSlots_ = true;
    deferred_.push_back(gp);
    return true;
  }

  size_t bootingGuests() const {
    return static_cast<size_t>(std::count_if(guests_.begin(), guests_.end(),
                                             [](const auto& g) { return g->state == Guest::State::Booting; }));
  }

  bool areDependenciesReady(const GuestPlan& gp) {
    return std::all_of(gp.dependsOn.begin(), gp.dependsOn.end(), [&](const std::string& d) {
      const Guest* g = findGuest(d);
      return g && g->state == Guest::State::Ready;
    });
  }

  /// Starts the deferred guests whose dependencies are all ready now.
  void startDeferredGuests() {
    for (size_t i = 0; i < deferred_.size();) {
      const GuestPlan gp = deferred_[i];
      if (bootingGuests() >= bootSlots_)
        return;
      if (!areDependenciesReady(gp)) {
        ++i;
        continue;
      }
      deferred_.erase(deferred_.begin() + static_cast<std::ptrdiff_t>(i));
      try {
        const LabProcesses::Entry& e = processes_.start(ProcessRole::Guest, gp.name, guestSpec(gp));
        guestStarted(gp, e.id);
      } catch (const std::exception& ex) {
        pendingFds_.clear();
        pendingJail_.reset();
        if (!ready_)
          fail("cannot start guest '" + gp.name + "': " + ex.what());
        else
          log("cannot start guest '" + gp.name + "': " + ex.what());
        return;
      }
      i = 0; // a start can make no other guest ready, but the list changed
    }
  }

  ProcessSpec guestSpec(const GuestPlan& gp) override {
    auto g = std::make_unique<Guest>();
    g->plan = gp;
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
      throw std::system_error(errno, std::generic_category(), "socketpair");
    g->agentFd.reset(pair[0]);
    pendingFds_.clear();
    pendingFds_.push_back(UniqueFd(pair[1]));
    const int guestEnd = pendingFds_.back().get();
    g->consoleFd.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!g->consoleFd || ::grantpt(g->consoleFd.get()) != 0 || ::unlockpt(g->consoleFd.get()) != 0)
      throw std::system_error(errno, std::generic_category(), "allocate a pty for the console of '" + gp.name + "'");
    pendingFds_.push_back(UniqueFd(::open(::ptsname(g->consoleFd.get()), O_RDWR | O_NOCTTY | O_CLOEXEC)));
    const int slave = pendingFds_.back().get();
    if (slave < 0)
      throw std::system_error(errno, std::generic_category(), "open the console pty of '" + gp.name + "'");
    g->logFd = openLog(gp.logPath);
    ProcessSpec o;
    o.name = "guest " + gp.name;
    o.argv = gp.argv;
    o.fds = {{0, slave}, {1, slave}, {2, g->logFd.get()}, {3, guestEnd}};
    // Links to the host: the guest inherits a descriptor attached to its tap (tap_device.hpp).
    for (const InterfacePlan& i : gp.interfaces) {
      if (i.tapFd < 0)
        continue;
      auto tap = std::find_if(taps_.begin(), taps_.end(), [&](const TapDevice& t) { return t.name() == i.tapDevice; });
      if (tap == taps_.end())
        throw std::runtime_error("no tap device " + i.tapDevice + " for " + gp.name + ":" + i.name);
      pendingFds_.push_back(tap->openForGuest());
      o.fds.push_back({i.tapFd, pendingFds_.back().get()});
    }
    o.noAslr = true;
    o.newPidNamespace = true; // UML's helpers die with it
    o.env = {"TMPDIR=/tmp"};  // UML's memory file: the jail's private tmpfs
    if (options_.confine) {
      std::error_code ec;
      const fs::path base = fs::canonical(gp.basePath, ec);
      JailSpec jail = jailFor(gp.name, {ec ? gp.basePath : base.parent_path().string(), gp.argv.front()});
      // hostfs (`hostfs=<dir>` in argv, node.conf `mount`): the guest reads and writes that
      // directory as the lab's uid, so it must exist in the jail, writable.
      if (!gp.mountHostDir.empty())
        jail.binds.push_back({gp.mountHostDir, true});
      // UML's pcap transport opens a packet socket on the segment's mirror tap: the guest keeps
      // CAP_NET_RAW (only in the lab's own network namespace, which is all it can see).
      jail.keepNetRaw = std::any_of(gp.interfaces.begin(), gp.interfaces.end(),
                                    [](const InterfacePlan& i) { return i.transport == "pcap"; });
      pendingJail_ = std::make_unique<Jail>(std::move(jail));
      o.setup = pendingJail_.get();
      // Inside the jail only the image's real directory exists, not the symlink to it.
      if (!ec)
        for (std::string& arg : o.argv)
          if (arg.rfind("ubd0=", 0) == 0)
            arg = "ubd0=" + gp.cowPath + "," + base.string();
    }
    g->startedAt = Clock::now();
    guests_.push_back(std::move(g));
    return o;
  }

  void guestStarted(const GuestPlan& gp, const ProcessId& id) override {
    pendingFds_.clear();
    pendingJail_.reset();
    Guest& g = *findGuest(gp.name);
    g.process = id;
    setNonBlocking(g.agentFd.get());
    setNonBlocking(g.consoleFd.get());
    state_.appendProcess({"guest", gp.name, id});
    say("guest " + gp.name + " booting");
    nodeEvent(g);
  }

  void afterGuestsStopped() override { taps_.clear(); }

private:
  // ---- progress to the launcher -------------------------------------------------------------

  void say(const std::string& line) {
    log(line);
    if (progress_.isValid()) {
      std::string l = line + "\n";
      if (::write(progress_.get(), l.data(), l.size()) < 0)
        progress_.reset(); // the launcher went away: keep running, quietly
    }
  }

  void log(const std::string& line) {
    std::ofstream out(state_.supervisorLog(), std::ios::app);
    out << line << "\n";
  }

  void fail(const std::string& why) {
    failed_ = true;
    say("FAILED " + why);
    teardown(options_.isReusingCow); // COW files that `down --keep` kept are the user's: kept
    progress_.reset(); // the launcher's EOF: everything is stopped and removed by now
  }

  // ---- start ------------------------------------------------------------------------------

  void prepare() {
    ::setsid();
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    ::umask(077);
    // A rootless lab: a user namespace of the user's own first (user_namespace.hpp); it owns the
    // network namespace made next, and the lab's processes run as its guest id.
    rootless_ = isRootless();
    if (rootless_) {
      rootFromOutside_ = overflowUid(); // what root's uid, unmapped here, reads as inside
      const UserNamespacePlan users = planUserNamespaceForCaller(plan_.lab);
      enterUserNamespace(users);
      uid_ = users.guestId;
      if (!users.note.empty())
        say("note: " + users.note);
    }
    // A segment that spans hosts (shard_plan.hpp): its switch's VXLAN socket is bound here, in the
    // host's network namespace, and inherited by the switch, which runs in the lab's.
    for (const SwitchPlan& sp : plan_.switches)
      if (sp.vxlan)
        vxlanSockets_.emplace(sp.segment, bindVxlanSocket(sp.vxlan->local, sp.segment));
    enterLabNetworkNamespace();
    copyTimelineCaptures();
    if (options_.confine) {
      // The lab's directory stays root's, traversable only (0711): the files root trusts there
      // (processes, plan.json, supervisor.log, control.sock) cannot be replaced by the lab's uid,
      // which a guest reaches through hostfs. Its subdirectories are the lab's: UML creates COW
      // files, sockets and mconsole sockets in them.
      if (::chown(plan_.stateDir.c_str(), 0, 0) != 0 || ::chmod(plan_.stateDir.c_str(), 0711) != 0)
        throw std::system_error(errno, std::generic_category(), "chmod " + plan_.stateDir);
      giveSubdirectoriesToLab(true);
      grantMountedDirectories(true);
    }
    state_.appendProcess({"supervisor", plan_.lab, ProcessId{::getpid(), processStartTime(::getpid())}});
    signals_ = std::make_unique<SignalFd>(std::initializer_list<int>{SIGCHLD, SIGTERM, SIGINT, SIGHUP});
    ::signal(SIGPIPE, SIG_IGN);
    listener_ = listenUnixStream(state_.controlSocket());
  }

  /// A log in log/ (the lab's uid owns that directory: never follow a link planted there).
  UniqueFd openLog(const std::string& path) {
    return UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  }

  /// Guests run as the lab's uid; the host directories they mount (`mounts`, Kathará's
  /// /shared) must be theirs to write, as in Kathará. POSIX ACLs grant (and at teardown take
  /// back) exactly that uid, leaving the files' owners and modes alone. Without setfacl (package
  /// acl) the guests can read but not write there, which the supervisor log says.
  void grantMountedDirectories(bool grant) {
    if (uid_ == 0)
      return; // a rootless lab without subordinate ids: the guests are the user, who owns them
    std::vector<std::string> dirs;
    for (const GuestPlan& g : plan_.guests)
      if (!g.mountHostDir.empty() && std::find(dirs.begin(), dirs.end(), g.mountHostDir) == dirs.end())
        dirs.push_back(g.mountHostDir);
    for (const std::string& dir : dirs) {
      const std::string user = "u:" + std::to_string(uid_);
      Command c{grant ? std::vector<std::string>{"setfacl", "-R", "-m", user + ":rwX", "-m", "d:" + user + ":rwX", dir}
                      : std::vector<std::string>{"setfacl", "-R", "-x", user, "-x", "d:" + user, dir}};
      CommandResult r = runCommand(c);
      if (!r.isSuccess())
        log(std::string("warning: cannot ") + (grant ? "let the guests write " : "take back the guests' access to ") + dir +
            ": 'setfacl' " + r.status.describe() + (grant ? " (apt-get install acl)" : ""));
    }
  }

  /// The lab's uid owns the state's subdirectories and what is in them, but not the state
  /// directory itself, its files, or the jail mount points.
  void giveSubdirectoriesToLab(bool strict) {
    std::error_code ec;
    for (const auto& top : fs::directory_iterator(plan_.stateDir, ec)) {
      if (!top.is_directory(ec) || top.is_symlink(ec) || top.path().filename() == "jail")
        continue;
      if (::lchown(top.path().c_str(), uid_, uid_) != 0 && strict)
        throw std::system_error(errno, std::generic_category(), "chown " + top.path().string());
      for (const auto& e : fs::recursive_directory_iterator(top.path(), fs::directory_options::skip_permission_denied, ec))
        if (::lchown(e.path().c_str(), uid_, uid_) != 0 && strict)
          throw std::system_error(errno, std::generic_category(), "chown " + e.path().string());
    }
  }

  /// What a lab process may see (see the header's confinement note): the system's programs
  /// and libraries read-only, a few device nodes, the lab's state directory, private tmpfs, and
  /// `extra` paths read-only (the base image's directory, the kernel when outside /usr).
  JailSpec jailFor(const std::string& name, const std::vector<std::string>& extra) {
    JailSpec j;
    j.root = plan_.stateDir + "/jail/" + name;
    fs::create_directories(j.root);
    j.uid = uid_;
    j.gid = uid_;
    j.staysRoot = uid_ == 0; // only in a rootless lab without subordinate ids
    for (const char* p : {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc/ld.so.cache"})
      j.binds.push_back({p, false});
    for (const char* dev : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"})
      j.binds.push_back({dev, true});
    for (const std::string& p : extra) {
      std::error_code ec;
      const fs::path real = fs::canonical(p, ec);
      const std::string path = ec ? p : real.string();
      if (path.rfind("/usr/", 0) != 0)
        j.binds.push_back({path, false});
    }
    // The lab's subdirectories, not the state directory itself: what the supervisor trusts
    // there (control.sock, processes, plan.json) stays out of every jail, even where the lab's
    // uid is the user's own (a rootless lab without subordinate ids).
    for (const char* sub : kLabSubdirectories)
      j.binds.push_back({plan_.stateDir + "/" + sub, true});
    j.tmpfs = {"/tmp", "/dev/shm"};
    return j;
  }

  // ---- the loop ---------------------------------------------------------------------------

  void loop() {
    nextRefresh_ = Clock::now();
    while (!done_) {
      std::vector<pollfd> fds;
      std::vector<std::function<void(short)>> handlers;
      auto add = [&](int fd, short events, std::function<void(short)> h) {
        fds.push_back(pollfd{fd, events, 0});
        handlers.push_back(std::move(h));
      };
      add(signals_->fd(), POLLIN, [&](short) { onSignal(); });
      add(listener_.get(), POLLIN, [&](short) { onAccept(); });
      // Handlers look their guest or switch up again: an earlier handler of the same round may
      // have removed it (apply continues inside an agent's answer).
      for (const auto& gp : guests_) {
        Guest& g = *gp;
        if (g.agentFd) {
          const short ev = (agentBackpressure(g) ? 0 : POLLIN) | (g.agentOut.empty() ? 0 : POLLOUT);
          add(g.agentFd.get(), ev, [this, p = &g, fd = g.agentFd.get()](short r) {
            if (isLive(p) && p->agentFd.get() == fd)
              onAgent(*p, r);
          });
        }
        if (g.consoleFd)
          add(g.consoleFd.get(), static_cast<short>(POLLIN | (g.consoleOut.empty() ? 0 : POLLOUT)),
              [this, p = &g, fd = g.consoleFd.get()](short r) {
                if (isLive(p) && p->consoleFd.get() == fd)
                  onConsole(*p, r);
              });
      }
      for (const auto& sp : switches_)
        if (sp->adminFd)
          add(sp->adminFd.get(), POLLIN, [this, p = sp.get(), fd = sp->adminFd.get()](short) {
            if (isLive(p) && p->adminFd.get() == fd)
              onAdminReply(*p);
          });
      for (auto& [key, c] : clients_)
        add(c.fd.get(), static_cast<short>((c.closeWhenFlushed ? 0 : POLLIN) | (c.out.empty() ? 0 : POLLOUT)),
            [this, k = key](short r) { onClient(k, r); });
      // Sleep until the next thing due; with nothing due and nobody watching, until an fd or a
      // signal (SIGCHLD included) wakes the loop.
      Clock::time_point wake = Clock::time_point::max();
      if (isWatched())
        wake = nextRefresh_;
      if (const auto step = timeline_.nextDue())
        wake = std::min(wake, *step);
      if (needsTicks())
        wake = std::min(wake, Clock::now() + kTick);
      int timeout = -1;
      if (wake != Clock::time_point::max())
        timeout = static_cast<int>(std::clamp<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now()).count(), 0, 60'000));
      const int n = ::poll(fds.data(), fds.size(), timeout);
      if (n < 0 && errno != EINTR)
        break;
      for (size_t i = 0; i < fds.size() && !done_; ++i) {
        if (!fds[i].revents)
          continue;
        // Nothing that goes wrong with one guest, switch or client may end the lab unseen.
        try {
          handlers[i](fds[i].revents);
        } catch (const std::exception& e) {
          log(std::string("error: ") + e.what());
        }
      }
      reapClosedClients();
      retiredGuests_.clear(); // no handler of this round refers to them any more
      if (!done_)
        checkReadiness();
      if (!done_)
        checkPowerOffs();
      if (!done_)
        playTimeline();
      if (!done_ && isWatched() && Clock::now() >= nextRefresh_)
        refresh();
      if (!done_)
        answerStatusWaiters();
    }
  }

  /// Someone looks at the lab's counters: an `events` subscriber, or a status asked lately.
  bool isWatched() const { return hasSubscribers() || Clock::now() < watchedUntil_; }

  /// Whether a clock, not an fd, decides what happens next (see kTick).
  bool needsTicks() const {
    return !ready_ || !deferred_.empty() || !statusWaiters_.empty() ||
           std::any_of(guests_.begin(), guests_.end(), [](const auto& g) {
             return g->state == Guest::State::Booting || g->state == Guest::State::Stopping;
           });
  }

  /// A status asked while the cache was stale: answered once every switch asked has answered
  /// (or was found gone or silent), at most kStatusWaitLimit after the question.
  void answerStatusWaiters() {
    if (statusWaiters_.empty())
      return;
    const bool pending = std::any_of(switches_.begin(), switches_.end(), [](const auto& sw) { return bool(sw->adminFd); });
    const auto now = Clock::now();
    std::string reply;
    std::erase_if(statusWaiters_, [&](const auto& waiter) {
      if (pending && now < waiter.second)
        return false;
      if (reply.empty())
        reply = labStatusJson(status());
      answer(waiter.first, reply);
      return true;
    });
  }

  bool agentBackpressure(const Guest& g) const {
    for (const auto& [id, route] : g.routes)
      if (auto it = clients_.find(route.first); it != clients_.end() && it->second.out.size() > kClientOutputLimit)
        return true;
    return false;
  }

  void onSignal() {
    while (auto sig = signals_->next()) {
      if (*sig == SIGCHLD) {
        reapChildren();
      } else {
        log("signal " + std::to_string(*sig) + ": stopping the lab");
        teardown(false);
        return;
      }
    }
  }

  void reapChildren() {
    for (const auto& [pid, status] : runner_.reapEnded()) {
      const LabProcesses::Entry* e = processes_.markEnded(pid, status);
      if (!e)
        continue; // an orphan of a UML helper (we are a subreaper)
      if (e->role == ProcessRole::Switch) {
        if (Switch* sw = findSwitch(e->name)) {
          sw->isAlive = false;
          log("switch " + e->name + " exited");
          switchEvent(*sw);
        }
        continue;
      }
      Guest* gp = findGuest(e->name);
      if (!gp)
        continue;
      Guest& g = *gp;
      ::kill(-pid, SIGKILL); // UML's helpers, if the leader left them behind
      // Its pid is the kernel's to hand out again: teardown must not signal it, and `start`
      // runs the name anew.
      processes_.forgetEnded(ProcessRole::Guest, g.plan.name);
      const bool wasReady = g.state == Guest::State::Ready;
      g.state = g.state == Guest::State::Stopping ? Guest::State::Stopped : Guest::State::Dead;
      g.exit = status;
      log("guest " + g.plan.name + " " + status.describe() + (g.state == Guest::State::Stopped ? " (stopped)" : ""));
      drainConsole(g); // what it printed last may still sit in the pty
      failRequests(g, "node '" + g.plan.name + "' stopped");
      nodeEvent(g);
      const std::string why = "guest '" + g.plan.name + "' " + status.describe() + " before it was ready; the end of its console log (" +
                              g.plan.logPath + "):\n" + lastLines(g.plan.logPath, 15);
      for (auto& f : std::exchange(g.onReady, {}))
        f(false, why);
      if (!wasReady && !ready_) {
        fail(why);
        return;
      }
      // Last: a node action waiting for this end may start the node again (restart), which
      // retires this Guest (kept alive until the end of the loop's round).
      for (auto& f : std::exchange(g.onExit, {}))
        f();
    }
  }

  void checkReadiness() {
    bool all = true;
    for (const auto& gp : guests_) {
      Guest& g = *gp;
      if (g.state == Guest::State::Booting && !g.isTimedOut &&
          Clock::now() - g.startedAt > std::chrono::duration_cast<Clock::duration>(options_.bootTimeout)) {
        g.isTimedOut = true;
        const std::string why = "guest '" + g.plan.name + "' did not answer within " +
                                std::to_string(options_.bootTimeout.count()) + " s; the end of its console log (" +
                                g.plan.logPath + "):\n" + lastLines(g.plan.logPath, 15);
        if (!ready_) {
          fail(why);
          return;
        }
        for (auto& f : std::exchange(g.onReady, {}))
          f(false, why);
      }
      all = all && g.state == Guest::State::Ready;
    }
    all = all && deferred_.empty();
    if (all && !ready_ && !failed_) {
      ready_ = true;
      say("READY");
      progress_.reset();
      labEvent("ready");
      // Time 0 of the lab's timeline, and of `umlab test`'s timed checks, with or without steps.
      const auto played = std::chrono::milliseconds(options_.timelineFromMs);
      // A resumed lab: its links are put back as the steps played before the save left them
      // (the switches are new); the other steps' effects are in the guests' disks.
      for (size_t index : timeline_.start(Clock::now() - played, played))
        if (const TimelineStepPlan& s = timeline_.steps()[index]; s.action == "link") {
          const AdminReply r = tellSwitch(s.adminPath, linkCommand(s));
          log("timeline: " + s.what + " again (played before the lab was saved): " + (r.ok ? "done" : r.text));
        }
      timelineStartTime_ = eventTimeNow() - double(played.count()) / 1000;
      if (!timeline_.steps().empty())
        log("timeline: " + std::to_string(timeline_.steps().size() - timeline_.handedOut()) + " steps from now" +
            (played.count() ? " (resumed " + std::to_string(played.count() / 1000) + " s in)" : ""));
    }
  }

  // ---- the cache: switch counters and guest sizes ----------------------------------------------

  /// Once a second: ask every switch for its ports (answers arrive in the loop), give up on
  /// those that did not answer the last time, measure a few guests, send counters to `events`.
  void refresh() {
    nextRefresh_ = Clock::now() + kRefreshPeriod;
    for (const auto& sp : switches_) {
      Switch& sw = *sp;
      if (sw.adminFd) {
        // Asked a while ago and still silent: a stopped (SIGSTOP) or hung switch.
        sw.adminFd.reset();
        if (sw.isAnswering) {
          sw.isAnswering = false;
          switchEvent(sw);
        }
      }
      if (!sw.isAlive || sw.plan.adminPath.empty())
        continue;
      askSwitch(sw);
    }
    measureGuests();
  }

  void askSwitch(Switch& sw) {
    UniqueFd fd = tryConnectUnixStream(sw.plan.adminPath, ConnectMode::Now);
    if (!fd) {
      if (sw.isAnswering) {
        sw.isAnswering = false;
        switchEvent(sw);
      }
      return;
    }
    const std::string ask = "show ports\n";
    if (::send(fd.get(), ask.data(), ask.size(), MSG_NOSIGNAL | MSG_DONTWAIT) != ssize_t(ask.size()))
      return;
    sw.adminFd = std::move(fd);
    sw.adminIn.clear();
  }

  void onAdminReply(Switch& sw) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::read(sw.adminFd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      if (n <= 0) {
        sw.adminFd.reset();
        return;
      }
      sw.adminIn.append(buf, static_cast<size_t>(n));
      if (sw.adminIn.find("\n\n") != std::string::npos)
        break;
    }
    sw.adminFd.reset();
    absorbPorts(sw, sw.adminIn);
  }

  /// A `show ports` answer into the cache; link conditions that changed since the last one (from
  /// `umlab link`, apply, anything) become events.
  void absorbPorts(Switch& sw, const std::string& reply) {
    std::vector<PortStatus> ports = parseShowPorts(reply);
    // Link conditions that changed (from `umlab link`, apply, anything) become events.
    for (const PortStatus& p : ports) {
      auto old = std::find_if(sw.ports.begin(), sw.ports.end(), [&](const PortStatus& o) { return o.name == p.name; });
      const bool changed = old == sw.ports.end() ? (p.conditionsIn != "none" || p.conditionsOut != "none")
                                                 : (old->conditionsIn != p.conditionsIn || old->conditionsOut != p.conditionsOut);
      if (changed && sw.hasCounters && p.name != "-") {
        LabEvent e = event(LabEvent::Type::Link);
        e.segment = sw.plan.segment;
        e.port = p.name;
        e.in = p.conditionsIn;
        e.out = p.conditionsOut;
        broadcast(e);
      }
    }
    sw.ports = std::move(ports);
    sw.hasCounters = true;
    sw.countersAt = Clock::now();
    if (!sw.isAnswering) {
      sw.isAnswering = true;
      switchEvent(sw);
    }
    countersEvent(sw);
  }

  void measureGuests() {
    if (guests_.empty())
      return;
    const auto until = Clock::now() + kSizeBudget;
    for (size_t done = 0; done < guests_.size() && Clock::now() < until; ++done) {
      sizeCursor_ = (sizeCursor_ + 1) % guests_.size();
      Guest& g = *guests_[sizeCursor_];
      if (g.isRunning() && g.process.isValid())
        g.memoryKiB = proportionalSetSizeKiB(processTreeOf(g.process.pid));
    }
  }

  // ---- events -----------------------------------------------------------------------------

  void broadcast(const LabEvent& e) {
    const std::string line = labEventJson(e);
    for (auto& [key, c] : clients_)
      if (c.mode == Client::Mode::Events && c.out.size() < kClientOutputLimit)
        c.out += line;
  }

  static LabEvent event(LabEvent::Type type) {
    LabEvent e;
    e.type = type;
    e.time = eventTimeNow();
    return e;
  }

  bool hasSubscribers() const {
    return std::any_of(clients_.begin(), clients_.end(), [](const auto& c) { return c.second.mode == Client::Mode::Events; });
  }

  static LabEvent nodeEventOf(const Guest& g) {
    LabEvent e = event(LabEvent::Type::Node);
    e.node = g.plan.name;
    e.state = stateName(g);
    e.pid = g.isRunning() ? g.process.pid : 0;
    return e;
  }

  void nodeEvent(const Guest& g) { broadcast(nodeEventOf(g)); }

  void switchEvent(const Switch& sw) {
    LabEvent e = event(LabEvent::Type::Switch);
    e.segment = sw.plan.segment;
    e.state = switchState(sw);
    broadcast(e);
  }

  void labEvent(const std::string& state) {
    LabEvent e = event(LabEvent::Type::Lab);
    e.lab = plan_.lab;
    e.state = state;
    broadcast(e);
  }

  void interfaceEvent(const std::string& node, const std::string& iface, const std::string& segment, const char* action) {
    LabEvent e = event(LabEvent::Type::Interface);
    e.node = node;
    e.interface = iface;
    e.segment = segment;
    e.action = action;
    broadcast(e);
  }

  /// A switch's fresh counters, to every subscriber (once a second per switch, as they arrive).
  void countersEvent(const Switch& sw) {
    if (!hasSubscribers())
      return;
    LabEvent e = event(LabEvent::Type::Counters);
    e.segment = sw.plan.segment;
    e.isAnswering = sw.isAnswering;
    e.ageSeconds = std::chrono::duration<double>(Clock::now() - sw.countersAt).count();
    e.ports = sw.ports;
    broadcast(e);
  }

  // ---- guests -----------------------------------------------------------------------------

  void drainConsole(Guest& g) {
    for (int rounds = 0; g.consoleFd && rounds < 64; ++rounds) {
      pollfd p{g.consoleFd.get(), POLLIN, 0};
      if (::poll(&p, 1, rounds == 0 ? 50 : 0) <= 0 || !(p.revents & POLLIN))
        break;
      onConsole(g, POLLIN);
    }
  }

  void onConsole(Guest& g, short revents) {
    if (revents & POLLOUT)
      flush(g.consoleFd.get(), g.consoleOut);
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
      return;
    char buf[16384];
    const ssize_t n = ::read(g.consoleFd.get(), buf, sizeof buf);
    if (n <= 0) {
      // EIO once the guest has gone: nothing more will come.
      if ((n == 0 || (errno != EAGAIN && errno != EINTR)) && !g.isRunning())
        g.consoleFd.reset();
      return;
    }
    if (::write(g.logFd.get(), buf, static_cast<size_t>(n)) < 0) {
      // A full disk must not stop the lab; the console still reaches attached clients.
    }
    for (auto& [key, c] : clients_)
      if (c.mode == Client::Mode::Console && c.guest == g.plan.name && c.out.size() < kClientOutputLimit)
        c.out.append(buf, static_cast<size_t>(n));
  }

  void onAgent(Guest& g, short revents) {
    if (revents & POLLOUT)
      flush(g.agentFd.get(), g.agentOut);
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
      return;
    char buf[65536];
    const ssize_t n = ::read(g.agentFd.get(), buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      g.agentFd.reset();
      failRequests(g, "node '" + g.plan.name + "' lost its agent channel");
      return;
    }
    if (n < 0)
      return;
    g.decoder.feed(std::span<const char>(buf, static_cast<size_t>(n)));
    while (auto f = g.decoder.next()) {
      if (f->type == agent::FrameType::Hello) {
        if (g.state == Guest::State::Booting) {
          g.state = Guest::State::Ready;
          char secs[32];
          std::snprintf(secs, sizeof secs, "%.1f", std::chrono::duration<double>(Clock::now() - g.startedAt).count());
          say("guest " + g.plan.name + " ready (" + secs + " s)");
          nodeEvent(g);
          if (!deferred_.empty())
            startDeferredGuests();
          for (auto& cb : std::exchange(g.onReady, {}))
            cb(true, "");
        }
        continue;
      }
      if (auto in = g.internal.find(f->id); in != g.internal.end()) {
        if (f->type == agent::FrameType::Stdout || f->type == agent::FrameType::Stderr) {
          if (in->second.second.size() < 4096) // the supervisor's own commands: a line or two of it
            in->second.second += f->payload.substr(0, 4096 - in->second.second.size());
        } else if (f->type == agent::FrameType::Exit) {
          auto st = agent::decodeExitStatus(f->payload);
          auto [done, output] = std::move(in->second);
          g.internal.erase(in);
          done(st && st->startError == 0 ? st->code : 127, output);
        }
        continue;
      }
      auto route = g.routes.find(f->id);
      if (route == g.routes.end())
        continue;
      auto client = clients_.find(route->second.first);
      const uint32_t clientId = route->second.second;
      if (f->type == agent::FrameType::Exit)
        g.routes.erase(route);
      if (client == clients_.end())
        continue;
      f->id = clientId;
      agent::encodeFrame(*f, client->second.out);
      if (f->type == agent::FrameType::Exit)
        client->second.toAgent.erase(clientId);
    }
  }

  /// Runs `argv` in a ready guest through its agent, for the supervisor itself.
  void execInternal(Guest& g, const std::vector<std::string>& argv, InternalDone done) {
    if (!g.agentFd || g.state != Guest::State::Ready) {
      done(-1, "node '" + g.plan.name + "' is not ready");
      return;
    }
    const uint32_t id = g.nextId++;
    agent::ExecRequest req;
    req.argv = argv;
    agent::encodeFrame({agent::FrameType::Exec, id, agent::encodeExecRequest(req)}, g.agentOut);
    g.internal.emplace(id, std::make_pair(std::move(done), std::string()));
  }

  /// Ends every exec request on `g` with an error, e.g. when the guest died.
  void failRequests(Guest& g, const std::string& why) {
    for (const auto& [agentId, route] : g.routes) {
      auto c = clients_.find(route.first);
      if (c == clients_.end())
        continue;
      agent::encodeFrame({agent::FrameType::Stderr, route.second, "umlab: " + why + "\n"}, c->second.out);
      agent::ExitStatus st;
      st.code = 255;
      agent::encodeFrame({agent::FrameType::Exit, route.second, agent::encodeExitStatus(st)}, c->second.out);
    }
    g.routes.clear();
    for (auto& [id, in] : std::exchange(g.internal, {}))
      in.first(-1, why);
  }

  // ---- clients ----------------------------------------------------------------------------

  void onAccept() {
    for (;;) {
      const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        return;
      // Only the lab's owner (uid 0 here: root, or the user in a rootless lab's namespace) and,
      // for a rootless lab, root from outside (unmapped, so seen as the overflow uid) get past
      // the 0700 state directories; anything else (a guest's uid) is refused here too.
      ucred peer{};
      socklen_t len = sizeof peer;
      if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 ||
          !(peer.uid == 0 || (rootless_ && peer.uid == rootFromOutside_))) {
        ::close(fd);
        continue;
      }
      Client c;
      c.fd.reset(fd);
      clients_.emplace(nextClient_++, std::move(c));
    }
  }

  void onClient(int key, short revents) {
    auto it = clients_.find(key);
    if (it == clients_.end())
      return;
    Client& c = it->second;
    if (revents & POLLOUT) {
      if (!flush(c.fd.get(), c.out)) {
        dropClient(key);
        return;
      }
    }
    if (c.closeWhenFlushed && c.out.empty()) {
      dropClient(key);
      return;
    }
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
      return;
    char buf[65536];
    const ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      dropClient(key);
      return;
    }
    if (n < 0)
      return;
    switch (c.mode) {
    case Client::Mode::Request:
      c.in.append(buf, static_cast<size_t>(n));
      if (const size_t nl = c.in.find('\n'); nl != std::string::npos) {
        const std::string line = c.in.substr(0, nl);
        const std::string rest = c.in.substr(nl + 1);
        c.in.clear();
        handleRequest(key, line, rest);
      } else if (c.in.size() > (64u << 20)) {
        dropClient(key);
      }
      break;
    case Client::Mode::Exec:
      relayToAgent(key, std::span<const char>(buf, static_cast<size_t>(n)));
      break;
    case Client::Mode::Console:
      if (Guest* g = findGuest(c.guest); g && g->consoleFd && g->consoleOut.size() < (1u << 20))
        g->consoleOut.append(buf, static_cast<size_t>(n));
      break;
    case Client::Mode::Events:
    case Client::Mode::Waiting:
      break;
    }
  }

  void dropClient(int key) {
    auto it = clients_.find(key);
    if (it == clients_.end())
      return;
    // Stop what the client started: its commands would otherwise run on unseen.
    if (it->second.mode == Client::Mode::Exec)
      if (Guest* g = findGuest(it->second.guest))
        for (const auto& [clientId, agentId] : it->second.toAgent)
          if (g->agentFd)
            agent::encodeFrame({agent::FrameType::Signal, agentId, std::string(1, static_cast<char>(SIGKILL))}, g->agentOut);
    closing_.push_back(key);
  }

  void reapClosedClients() {
    for (int key : closing_)
      clients_.erase(key);
    closing_.clear();
  }

  Guest* findGuest(const std::string& name) const {
    for (const auto& g : guests_)
      if (g->plan.name == name)
        return g.get();
    return nullptr;
  }

  bool isLive(const Guest* g) const {
    return std::any_of(guests_.begin(), guests_.end(), [&](const auto& p) { return p.get() == g; });
  }
  bool isLive(const Switch* sw) const {
    return std::any_of(switches_.begin(), switches_.end(), [&](const auto& p) { return p.get() == sw; });
  }

  Switch* findSwitch(const std::string& segment) const {
    for (const auto& s : switches_)
      if (s->plan.segment == segment)
        return s.get();
    return nullptr;
  }

  /// Answers the waiting client `key` (if it is still there) and closes it once flushed.
  void answer(int key, const std::string& line) {
    auto it = clients_.find(key);
    if (it == clients_.end())
      return;
    it->second.out += line;
    it->second.closeWhenFlushed = true;
  }

  void handleRequest(int key, const std::string& line, const std::string& rest) {
    Client& c = clients_.at(key);
    JsonError perr;
    const std::optional<JsonValue> request = parseJson(line, perr);
    const std::string op = request ? jsonString(*request, "op") : std::string();
    if (!request || op.empty()) {
      answer(key, errorReply("bad request: " + (request ? std::string("no 'op'") : perr.str())));
      return;
    }
    if (op == "ps") {
      const bool fresh = isWatched();
      watchedUntil_ = Clock::now() + kWatchWindow;
      if (fresh) {
        answer(key, labStatusJson(status()));
        return;
      }
      // Nobody looked for a while, so the counters are old: ask the switches first.
      refresh();
      c.mode = Client::Mode::Waiting;
      statusWaiters_.emplace_back(key, Clock::now() + kStatusWaitLimit);
      return;
    }
    if (op == "exec" || op == "console") {
      const std::string node = jsonString(*request, "node");
      Guest* g = findGuest(node);
      std::string problem;
      if (!g)
        problem = "lab '" + plan_.lab + "' has no node '" + node + "'";
      else if (g->state == Guest::State::Dead)
        problem = "node '" + node + "' is not running (it stopped; see " + g->plan.logPath + ")";
      else if (g->state == Guest::State::Stopped)
        problem = "node '" + node + "' is stopped; 'umlab node " + plan_.lab + " " + node + " start' boots it";
      else if (op == "exec" && g->state == Guest::State::Booting)
        problem = "node '" + node + "' is still booting";
      else if (op == "exec" && g->state == Guest::State::Stopping)
        problem = "node '" + node + "' is powering off";
      if (!problem.empty()) {
        answer(key, errorReply(problem));
        return;
      }
      c.guest = node;
      c.out = okReply();
      if (op == "exec") {
        c.mode = Client::Mode::Exec;
        if (!rest.empty())
          relayToAgent(key, std::span<const char>(rest.data(), rest.size()));
      } else {
        c.mode = Client::Mode::Console;
        if (!rest.empty())
          g->consoleOut += rest;
      }
      return;
    }
    if (op == "events") {
      c.mode = Client::Mode::Events;
      c.out = okReply();
      // Where things stand now, so that a subscriber needs no `ps` first.
      for (const auto& g : guests_)
        c.out += labEventJson(nodeEventOf(*g));
      return;
    }
    if (op == "down") {
      const JsonValue* keep = request->find("keep");
      const bool keepCow = keep && keep->asBool().value_or(false);
      c.mode = Client::Mode::Waiting;
      downClients_.push_back(key);
      log("down requested" + std::string(keepCow ? " (keeping COW files)" : ""));
      teardown(keepCow);
      return;
    }
    if (op == "plug") {
      c.mode = Client::Mode::Waiting;
      plug(jsonString(*request, "node"), jsonString(*request, "iface"), jsonString(*request, "segment"),
           jsonString(*request, "ip"), [this, key](const std::string& error, const std::string& mac) {
             if (!error.empty()) {
               answer(key, errorReply(error));
               return;
             }
             JsonWriter w(JsonWriter::kOneLine);
             w.beginObject().field("ok", true).field("mac", mac).endObject();
             answer(key, w.str());
           });
      return;
    }
    if (op == "unplug") {
      c.mode = Client::Mode::Waiting;
      unplug(jsonString(*request, "node"), jsonString(*request, "iface"), [this, key](const std::string& error) {
        answer(key, error.empty() ? okReply() : errorReply(error));
      });
      return;
    }
    if (op == "apply") {
      c.mode = Client::Mode::Waiting;
      apply(key, *request);
      return;
    }
    if (op == "node") {
      c.mode = Client::Mode::Waiting;
      nodeAction(key, jsonString(*request, "node"), jsonString(*request, "action"));
      return;
    }
    if (op == "refresh") {
      // A client changed a switch (link conditions): ask it now, without waiting, so that the
      // change is an event at once rather than at the next refresh.
      Switch* sw = findSwitch(jsonString(*request, "segment"));
      if (sw)
        askSwitchNow(*sw);
      answer(key, sw ? okReply() : errorReply("no switch '" + jsonString(*request, "segment") + "'"));
      return;
    }
    answer(key, errorReply("unknown request '" + op + "'"));
  }

  void relayToAgent(int key, std::span<const char> bytes) {
    Client& c = clients_.at(key);
    Guest* gp = findGuest(c.guest);
    if (!gp)
      return;
    Guest& g = *gp;
    c.decoder.feed(bytes);
    while (auto f = c.decoder.next()) {
      if (f->type == agent::FrameType::Exec) {
        const uint32_t agentId = g.nextId++;
        c.toAgent[f->id] = agentId;
        g.routes[agentId] = {key, f->id};
        f->id = agentId;
      } else if (f->type == agent::FrameType::Stdin || f->type == agent::FrameType::Signal) {
        auto it = c.toAgent.find(f->id);
        if (it == c.toAgent.end())
          continue;
        f->id = it->second;
      } else {
        continue; // clients only start, feed and signal commands
      }
      if (g.agentFd)
        agent::encodeFrame(*f, g.agentOut);
      else
        failRequests(g, "node '" + g.plan.name + "' lost its agent channel");
    }
  }

  // ---- hot-plug ---------------------------------------------------------------------------

  std::string mconsolePath(const Guest& g) const { return plan_.stateDir + "/uml/" + g.plan.umid + "/mconsole"; }

  bool hasInterface(const Guest& g, const std::string& iface) const {
    return std::any_of(g.plan.interfaces.begin(), g.plan.interfaces.end(), [&](const InterfacePlan& i) { return i.name == iface; }) ||
           std::any_of(g.hotPlugged.begin(), g.hotPlugged.end(), [&](const InterfaceStatus& i) { return i.name == iface; });
  }

  /// `umlab link LAB add NODE:ethN SEGMENT`: a new NIC on a switch or mcast segment.
  void plug(const std::string& node, const std::string& iface, const std::string& segment, const std::string& ip,
            std::function<void(const std::string& error, const std::string& mac)> done) {
    Guest* g = findGuest(node);
    if (!g || g->state != Guest::State::Ready) {
      done(g ? "node '" + node + "' is not ready" : "lab '" + plan_.lab + "' has no node '" + node + "'", "");
      return;
    }
    if (hasInterface(*g, iface)) {
      done(node + " already has an interface " + iface + "; 'umlab link " + plan_.lab + " remove " + node + ":" + iface +
               "' removes a hot-plugged one",
           "");
      return;
    }
    InterfacePlan i;
    i.name = iface;
    i.device = iface;
    i.ip = ip;
    i.mac = MacAddress::derive(plan_.lab + "/" + node + ":" + iface, 7).str();
    if (const Switch* sw = findSwitch(segment); sw && !sw->plan.implicit) {
      i.attachedTo = "switch " + segment;
      i.umlArg = iface + "=daemon," + i.mac + ",unix," + sw->plan.ctlPath;
    } else if (auto m = std::find_if(plan_.mcast.begin(), plan_.mcast.end(), [&](const McastPlan& p) { return p.segment == segment; });
               m != plan_.mcast.end()) {
      i.attachedTo = "mcast " + segment;
      i.umlArg = iface + "=mcast," + i.mac + "," + m->group + "," + std::to_string(m->port) + "," + std::to_string(m->ttl);
    } else {
      std::string known;
      for (const auto& s : switches_)
        if (!s->plan.implicit)
          known += (known.empty() ? "" : ", ") + s->plan.segment;
      for (const McastPlan& p : plan_.mcast)
        known += (known.empty() ? "" : ", ") + p.segment;
      done("lab '" + plan_.lab + "' has no switch, hub or mcast segment '" + segment + "'" +
               (known.empty() ? std::string() : " (its segments: " + known + ")"),
           "");
      return;
    }
    plugInterface(*g, i, LinkConditions{}, [this, done, node, iface, segment, i](const std::string& error) {
      if (!error.empty()) {
        done(error, "");
        return;
      }
      if (Guest* g = findGuest(node))
        g->hotPlugged.push_back({iface, i.mac, i.ip, i.attachedTo, true});
      done("", i.mac);
    });
  }

  /// Plugs `i` into the running guest: names the port on its switch (with its conditions), asks
  /// mconsole for the device, then brings it up (and its address) through the agent.
  void plugInterface(Guest& g, const InterfacePlan& i, const LinkConditions& conditions, StepQueue::Done done) {
    const std::string segment = i.attachedTo.substr(i.attachedTo.find(' ') + 1);
    if (i.attachedTo.rfind("switch ", 0) == 0 || i.attachedTo.rfind("hub ", 0) == 0 || i.attachedTo.rfind("p2p", 0) == 0) {
      if (const Switch* sw = findSwitch(segment); sw && !sw->plan.adminPath.empty()) {
        const std::string port = g.plan.name + ":" + i.name;
        // The switch answers these at once; a silent switch fails the plug (1 s), nothing else.
        AdminReply named = switchAdmin(sw->plan.adminPath, "name port " + port + " " + i.mac, std::chrono::seconds(1));
        if (!named.ok) {
          done("segment " + segment + ": " + named.text);
          return;
        }
        if (!conditions.empty())
          switchAdmin(sw->plan.adminPath, "set port " + port + " both clear " + describeConditions(conditions),
                      std::chrono::seconds(1));
      }
    }
    const std::string device = i.umlArg.substr(0, i.umlArg.find('='));
    kernel::MconsoleReply r =
        kernel::mconsoleCommand(mconsolePath(g), "config " + i.umlArg, plan_.stateDir + "/uml", std::chrono::seconds(2));
    if (!r.ok) {
      done("the guest " + g.plan.name + " refused the new interface " + i.name + ": " + r.text);
      return;
    }
    // UML answers success even when the transport could not start: wait for the device.
    std::string script = "i=0; while [ ! -e /sys/class/net/" + device + " ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; ";
    if (device != i.name)
      script += "ip link set " + device + " name " + i.name + " && ";
    script += "ip link set " + i.name + " up";
    if (!i.ip.empty())
      script += " && ip addr add " + i.ip + " dev " + i.name;
    if (!i.gateway.empty())
      script += " && ip route replace default via " + i.gateway;
    const std::string node = g.plan.name;
    execInternal(g, {"sh", "-c", script}, [this, done, node, i, segment](int code, const std::string& output) {
      if (code != 0) {
        done("the interface " + node + ":" + i.name + " did not come up in the guest: " + output);
        return;
      }
      interfaceEvent(node, i.name, segment, "added");
      done("");
    });
  }

  void unplug(const std::string& node, const std::string& iface, std::function<void(const std::string&)> done) {
    Guest* g = findGuest(node);
    if (!g) {
      done("lab '" + plan_.lab + "' has no node '" + node + "'");
      return;
    }
    auto hot = std::find_if(g->hotPlugged.begin(), g->hotPlugged.end(), [&](const InterfaceStatus& i) { return i.name == iface; });
    if (hot == g->hotPlugged.end()) {
      done(node + ":" + iface + " was not plugged in with 'umlab link " + plan_.lab +
           " add'; interfaces from the topology stay (edit the file and 'umlab apply' it to remove one)");
      return;
    }
    InterfacePlan i;
    i.name = iface;
    i.device = iface;
    i.attachedTo = hot->attachedTo;
    unplugInterface(*g, i, [this, done, node, iface](const std::string& error) {
      if (error.empty())
        if (Guest* g = findGuest(node))
          std::erase_if(g->hotPlugged, [&](const InterfaceStatus& i) { return i.name == iface; });
      done(error);
    });
  }

  void unplugInterface(Guest& g, const InterfacePlan& i, StepQueue::Done done) {
    const std::string node = g.plan.name;
    const std::string segment = i.attachedTo.substr(i.attachedTo.find(' ') + 1);
    execInternal(g, {"ip", "link", "set", i.name, "down"}, [this, done, node, i, segment](int code, const std::string& out) {
      Guest* g = findGuest(node);
      if (!g) {
        done("");
        return;
      }
      if (code != 0) {
        done("cannot take " + node + ":" + i.name + " down in the guest: " + out);
        return;
      }
      // The guest calls it by its name; UML by the device it made (vecN for vector links).
      const std::string device = i.umlArg.empty() ? i.name : i.umlArg.substr(0, i.umlArg.find('='));
      kernel::MconsoleReply r = kernel::mconsoleCommand(mconsolePath(*g), "remove " + device, plan_.stateDir + "/uml",
                                                        std::chrono::seconds(2));
      if (!r.ok) {
        done("the guest " + node + " did not unplug " + i.name + ": " + r.text);
        return;
      }
      interfaceEvent(node, i.name, segment, "removed");
      done("");
    });
  }

  // ---- node actions: stop, start, restart, crash ---------------------------------------------

  /// Why `action` cannot be done to `node` now, or "" when it can.
  std::string nodeActionRefusal(const std::string& node, const std::string& action) const {
    static const std::vector<std::string> kActions{"stop", "start", "restart", "crash"};
    if (std::find(kActions.begin(), kActions.end(), action) == kActions.end())
      return "unknown node action '" + action + "' (stop, start, restart or crash)";
    const Guest* g = findGuest(node);
    if (!g)
      return "lab '" + plan_.lab + "' has no node '" + node + "'";
    if (!ready_)
      return "lab '" + plan_.lab + "' is still starting; try again once 'umlab up' has returned";
    if (applying_)
      return "an apply is changing lab '" + plan_.lab + "'; try again when it is done";
    if (busyNodes_.count(node))
      return "node '" + node + "' is " + stateName(*g) + " for an earlier request; try again when it is done";
    const std::string how = "'umlab node " + plan_.lab + " " + node;
    if ((action == "stop" || action == "crash") && !g->isRunning())
      return "node '" + node + "' is not running (" + stateName(*g) + "); " + how + " start' boots it";
    if (action == "start" && g->isRunning())
      return "node '" + node + "' is running (" + stateName(*g) + "); " + how + " restart' reboots it";
    return "";
  }

  /// `{"op":"node",...}`: stops, starts, restarts or crashes one guest; answers `key` when done.
  /// Each step finishes later (the guest exits, the guest is ready), so the loop runs on.
  void nodeAction(int key, const std::string& node, const std::string& action) {
    runNodeAction(node, action, [this, key](const std::string& error) { answer(key, error.empty() ? okReply() : errorReply(error)); });
  }

  /// Stops, starts, restarts or crashes `node`; `finished` gets "" or why not (at once when the
  /// action is refused).
  void runNodeAction(const std::string& node, const std::string& action, std::function<void(const std::string&)> finished) {
    if (std::string refusal = nodeActionRefusal(node, action); !refusal.empty()) {
      finished(refusal);
      return;
    }
    busyNodes_.insert(node);
    log("node " + node + ": " + action);
    auto queue = std::make_shared<StepQueue>();
    if (action == "crash")
      queue->add([this, node](StepQueue::Done done) { crashGuest(node, done); });
    if (action == "stop" || action == "restart")
      queue->add([this, node](StepQueue::Done done) { stopGuest(node, done); });
    if (action == "start" || action == "restart")
      queue->add([this, node](StepQueue::Done done) { startGuest(node, done); });
    queue->run([this, node, action, queue, finished = std::move(finished)](const std::string& error) {
      busyNodes_.erase(node);
      if (!error.empty())
        log("node " + node + ": " + action + " failed: " + error);
      finished(error);
    });
  }

  /// Asks the guest's init to power off (it runs the node's `shutdown` commands and syncs its
  /// disks), as `down --keep` does; kills its process group when it has not ended within
  /// kPowerOffLimit (checkPowerOffs). A booting guest has no agent to ask yet: it is killed at
  /// once. Done when its process has ended: the node is then "stopped", its COW file kept.
  /// A node that is not running is left as it is (a restart of a dead node only starts it).
  void stopGuest(const std::string& node, StepQueue::Done done) {
    Guest* g = findGuest(node);
    if (!g || !g->isRunning()) {
      done("");
      return;
    }
    g->onExit.push_back([done] { done(""); });
    const bool canAsk = g->state == Guest::State::Ready && g->agentFd;
    if (canAsk)
      execInternal(*g, {"kill", "-TERM", "1"}, [](int, const std::string&) {});
    g->state = Guest::State::Stopping;
    g->stopDeadline = Clock::now() + kPowerOffLimit;
    g->isKilled = !canAsk;
    nodeEvent(*g);
    if (!canAsk)
      processes_.kill(ProcessRole::Guest, node);
  }

  /// A power cut: SIGKILL to the guest's process group now. Done when it has been reaped; the
  /// node is then "dead (signal 9)", its COW file kept (a later `start` boots it, fsck permitting).
  void crashGuest(const std::string& node, StepQueue::Done done) {
    Guest* g = findGuest(node);
    if (!g || !g->isRunning()) {
      done("node '" + node + "' is not running");
      return;
    }
    g->onExit.push_back([done] { done(""); });
    processes_.kill(ProcessRole::Guest, node);
  }

  /// Boots a node that is not running again, from its kept COW file, with the same plan: the
  /// same command line, MACs and config disk, so its switch ports (named by MAC, with their
  /// conditions: the switch keeps both by name) come back as they were. Its hot-plugged
  /// interfaces went with the old process. Done when it is ready, or with why it is not.
  void startGuest(const std::string& node, StepQueue::Done done) {
    auto at = std::find_if(guests_.begin(), guests_.end(), [&](const auto& g) { return g->plan.name == node; });
    if (at == guests_.end() || (*at)->isRunning()) {
      done(at == guests_.end() ? "node '" + node + "' is gone" : "node '" + node + "' is running");
      return;
    }
    const size_t position = static_cast<size_t>(at - guests_.begin());
    const GuestPlan gp = (*at)->plan;
    for (const InterfaceStatus& i : (*at)->hotPlugged)
      interfaceEvent(node, i.name, i.attachedTo.substr(i.attachedTo.find(' ') + 1), "removed");
    // The old Guest leaves the list first (the new one takes its name and place); it is kept
    // until the end of this round of the loop, or put back when the start fails.
    std::unique_ptr<Guest> old = std::move(*at);
    guests_.erase(at);
    // UML's directory of a killed guest (pid file, mconsole socket) would make the new one
    // refuse its umid.
    std::error_code ec;
    fs::remove_all(plan_.stateDir + "/uml/" + gp.umid, ec);
    try {
      fixOwnership();
      const ProcessSpec spec = guestSpec(gp); // appends the new Guest
      std::rotate(guests_.begin() + static_cast<std::ptrdiff_t>(position), guests_.end() - 1, guests_.end());
      const LabProcesses::Entry& e = processes_.start(ProcessRole::Guest, node, spec);
      guestStarted(gp, e.id);
    } catch (const std::exception& ex) {
      pendingFds_.clear();
      pendingJail_.reset();
      std::erase_if(guests_, [&](const auto& g) { return g->plan.name == node; });
      guests_.insert(guests_.begin() + static_cast<std::ptrdiff_t>(std::min(position, guests_.size())), std::move(old));
      done("cannot start node '" + node + "': " + ex.what());
      return;
    }
    retiredGuests_.push_back(std::move(old));
    sizeCursor_ = 0;
    findGuest(node)->onReady.push_back([done](bool ready, const std::string& why) { done(ready ? "" : why); });
  }

  /// Guests asked to power off that are still running after kPowerOffLimit: killed.
  void checkPowerOffs() {
    const auto now = Clock::now();
    for (const auto& gp : guests_) {
      Guest& g = *gp;
      if (g.state != Guest::State::Stopping || g.isKilled || now < g.stopDeadline)
        continue;
      g.isKilled = true;
      log("guest " + g.plan.name + " did not power off within " + std::to_string(kPowerOffLimit.count()) +
          " s: killed");
      processes_.kill(ProcessRole::Guest, g.plan.name);
    }
  }

  // ---- the timeline ---------------------------------------------------------------------

  /// Copies the captures of the timeline's replays into captures/, where the lab's switches
  /// (confined to the state directory) read them; before the lab starts, so a missing capture
  /// fails the start instead of a step an hour later.
  void copyTimelineCaptures() {
    for (const TimelineStepPlan& s : plan_.timeline) {
      if (s.pcapPath.empty() || fs::exists(s.pcapCopy))
        continue;
      try {
        copySparseFile(s.pcapPath, s.pcapCopy); // a new file: refused where one (or a link) is
      } catch (const std::system_error& e) {
        throw std::system_error(e.code(), "the capture of timeline entry " + std::to_string(s.entry) + ": " + e.what());
      }
    }
  }

  /// The switch's admin command of a timeline step on a link.
  static std::string linkCommand(const TimelineStepPlan& s) { return "set port " + s.port + " both " + s.words; }

  /// Sends `command` to the switch at `adminPath` (waiting at most a second), then asks that
  /// switch for its ports at once, so that what changed is an event now, not at the next refresh.
  AdminReply tellSwitch(const std::string& adminPath, const std::string& command) {
    const AdminReply r = switchAdmin(adminPath, command, std::chrono::seconds(1));
    for (const auto& sw : switches_)
      if (sw->plan.adminPath == adminPath)
        askSwitchNow(*sw);
    return r;
  }

  /// Asks `sw` for its ports now, unless it is gone or a question is already out.
  void askSwitchNow(Switch& sw) {
    if (sw.isAlive && !sw.adminFd)
      askSwitch(sw);
  }

  /// Begins every step that is due. A switch's part (link conditions, a replay) is one bounded
  /// request to its admin socket; node actions and commands end later, in the loop.
  void playTimeline() {
    for (size_t index : timeline_.due(Clock::now()))
      playStep(index);
  }

  void playStep(size_t index) {
    const TimelineStepPlan& s = timeline_.steps()[index];
    timelineEvent(index, "started", "");
    auto finish = [this, index](bool ok, const std::string& detail) {
      timeline_.finish(index, ok);
      timelineEvent(index, ok ? "done" : "failed", detail);
    };
    auto firstLine = [](const std::string& text) { return text.substr(0, text.find('\n')); };
    if (s.action == "link" || s.action == "replay") {
      std::ostringstream replay;
      replay << "replay start " << s.pcapCopy << " speed " << s.speed << " loop " << s.loop;
      const AdminReply r = tellSwitch(s.adminPath, s.action == "link" ? linkCommand(s) : replay.str());
      finish(r.ok, r.reached ? firstLine(r.text) : "the switch did not answer");
    } else if (s.action == "run") {
      Guest* g = findGuest(s.target);
      if (!g) {
        finish(false, "no node '" + s.target + "'");
        return;
      }
      execInternal(*g, {"sh", "-c", s.words}, [finish](int code, const std::string& output) {
        std::string last = output;
        while (!last.empty() && last.back() == '\n')
          last.pop_back();
        last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
        finish(code == 0, "exit " + std::to_string(code) + (last.empty() ? "" : ": " + last.substr(0, 200)));
      });
    } else if (s.action == "node") {
      runNodeAction(s.target, s.words, [finish](const std::string& error) { finish(error.empty(), error); });
    } else {
      finish(false, "unknown action '" + s.action + "'");
    }
  }

  void timelineEvent(size_t index, const std::string& state, const std::string& detail) {
    const TimelineStepPlan& s = timeline_.steps()[index];
    LabEvent e = event(LabEvent::Type::Timeline);
    e.step = static_cast<int64_t>(index + 1);
    e.steps = static_cast<int64_t>(timeline_.steps().size());
    e.entry = static_cast<int64_t>(s.entry);
    e.at = double(s.atMs) / 1000;
    e.action = s.action;
    e.target = s.target;
    e.what = s.what;
    e.state = state;
    e.detail = detail;
    log(describeLabEvent(e));
    broadcast(e);
  }

  // ---- apply ------------------------------------------------------------------------------

  /// Reconciles the lab with the plan in `request` (plan_diff.hpp). The client has already
  /// written the config disks of new and restarted nodes and checked for refusals; this
  /// computes the same changes against what runs and makes them, deletions first.
  void apply(int key, const JsonValue& request) {
    std::string error;
    const JsonValue* planJson = request.find("plan");
    std::optional<LaunchPlan> next;
    if (planJson) // the plan travels as JSON inside the request; read it with the one reader
      next = readPlanDocument(*planJson, error);
    if (!next) {
      answer(key, errorReply("apply: the request carries no valid plan: " + error));
      return;
    }
    std::vector<std::string> restart;
    if (const JsonValue* r = request.find("restart"); r && r->asArray())
      for (const JsonValue& v : *r->asArray())
        if (v.asString())
          restart.emplace_back(*v.asString());
    if (applying_) {
      answer(key, errorReply("another apply is still running"));
      return;
    }
    if (!busyNodes_.empty()) {
      answer(key, errorReply("nothing was changed: node '" + *busyNodes_.begin() +
                             "' is being stopped or started ('umlab node'); try again when it is done"));
      return;
    }
    PlanChanges changes = diffPlans(plan_, *next, restart);
    // Interfaces change live through the guest's mconsole and agent: only on a ready node. (A
    // stopped node would also boot later from a config disk that does not have them.)
    for (const auto* list : {&changes.removedInterfaces, &changes.addedInterfaces})
      for (const InterfaceChange& ic : *list)
        if (const Guest* g = findGuest(ic.node); g && g->state != Guest::State::Ready)
          changes.refused.push_back("node '" + ic.node + "' is " + stateName(*g) +
                                    ": its interfaces change only while it runs; start it first ('umlab node " +
                                    plan_.lab + " " + ic.node + " start'), or reboot it with the change "
                                    "('--restart-changed')");
    if (!changes.refused.empty()) {
      answer(key, errorReply("nothing was changed: " + changes.refused.front()));
      return;
    }
    applying_ = true;
    auto queue = std::make_shared<StepQueue>();
    auto nextPlan = std::make_shared<LaunchPlan>(std::move(*next));
    const std::vector<std::string> lines = describeChanges(changes);
    log("apply: " + std::to_string(lines.size()) + " change(s)");

    for (const InterfaceChange& ic : changes.removedInterfaces)
      queue->add([this, ic](StepQueue::Done done) {
        Guest* g = findGuest(ic.node);
        if (!g || g->state != Guest::State::Ready) {
          done(g ? "" : "");
          return;
        }
        unplugInterface(*g, ic.interface, done);
      });
    for (const std::string& name : changes.removedGuests)
      queue->add([this, name](StepQueue::Done done) {
        removeGuest(name);
        done("");
      });
    for (const std::string& name : changes.restartedGuests)
      queue->add([this, name](StepQueue::Done done) {
        removeGuest(name);
        std::error_code ec;
        for (const GuestPlan& gp : plan_.guests)
          if (gp.name == name)
            fs::remove(gp.cowPath, ec); // a reboot with the change starts from the base again
        done("");
      });
    for (const std::string& segment : changes.removedSwitches)
      queue->add([this, segment](StepQueue::Done done) {
        processes_.stop(ProcessRole::Switch, segment);
        std::erase_if(switches_, [&](const auto& s) { return s->plan.segment == segment; });
        done("");
      });
    for (const std::string& segment : changes.addedSwitches)
      queue->add([this, segment, nextPlan](StepQueue::Done done) {
        if (findSwitch(segment)) {
          done("switch '" + segment + "' runs already");
          return;
        }
        try {
          for (const SwitchPlan& sp : nextPlan->switches)
            if (sp.segment == segment) {
              const ProcessSpec spec = switchSpec(sp);
              const LabProcesses::Entry& e = processes_.start(ProcessRole::Switch, segment, spec);
              pendingJail_.reset();
              switchStarted(sp, e.id);
              fixOwnership();
            }
          done("");
        } catch (const std::exception& e) {
          pendingFds_.clear();
          pendingJail_.reset();
          processes_.stop(ProcessRole::Switch, segment);
          std::erase_if(switches_, [&](const auto& sw) { return sw->plan.segment == segment; });
          done("cannot start switch '" + segment + "': " + e.what());
        }
      });
    std::vector<std::string> boot = changes.addedGuests;
    boot.insert(boot.end(), changes.restartedGuests.begin(), changes.restartedGuests.end());
    for (const std::string& name : boot)
      queue->add([this, name, nextPlan](StepQueue::Done done) {
        const auto gp = std::find_if(nextPlan->guests.begin(), nextPlan->guests.end(), [&](const GuestPlan& g) { return g.name == name; });
        if (findGuest(name)) {
          done("node '" + name + "' runs already");
          return;
        }
        try {
          // Ports of the new guest on switches that run already: named, with their conditions.
          for (const SwitchPlan& sp : nextPlan->switches)
            for (const PortPlan& p : sp.ports)
              if (p.name.rfind(name + ":", 0) == 0 && findSwitch(sp.segment) && !sp.adminPath.empty()) {
                switchAdmin(sp.adminPath, "name port " + p.name + " " + p.mac, std::chrono::seconds(1));
                if (!p.conditions.empty())
                  switchAdmin(sp.adminPath, "set port " + p.name + " both clear " + describeConditions(p.conditions),
                              std::chrono::seconds(1));
              }
          fixOwnership();
          const ProcessSpec spec = guestSpec(*gp);
          const LabProcesses::Entry& e = processes_.start(ProcessRole::Guest, name, spec);
          guestStarted(*gp, e.id);
        } catch (const std::exception& e) {
          pendingFds_.clear();
          pendingJail_.reset();
          std::erase_if(guests_, [&](const auto& g) { return g->plan.name == name && !g->process.isValid(); });
          done("cannot start node '" + name + "': " + e.what());
          return;
        }
        findGuest(name)->onReady.push_back([done](bool ready, const std::string& why) { done(ready ? "" : why); });
      });
    for (const InterfaceChange& ic : changes.addedInterfaces)
      queue->add([this, ic, nextPlan](StepQueue::Done done) {
        Guest* g = findGuest(ic.node);
        if (!g) {
          done("node '" + ic.node + "' is gone");
          return;
        }
        plugInterface(*g, ic.interface, ic.interface.conditions, done);
      });
    for (const ConditionsChange& cc : changes.conditions)
      queue->add([this, cc](StepQueue::Done done) {
        const std::string text = describeConditions(cc.conditions);
        AdminReply r = switchAdmin(cc.adminPath, "set port " + cc.port + " both clear" + (text.empty() ? "" : " " + text),
                                   std::chrono::seconds(1));
        if (!r.ok) {
          done("segment " + cc.segment + ", port " + cc.port + ": " + r.text);
          return;
        }
        // The change as an event now, not at the next refresh (a later change could hide it).
        if (Switch* sw = findSwitch(cc.segment))
          if (AdminReply ports = switchAdmin(cc.adminPath, "show ports", std::chrono::seconds(1)); ports.ok)
            absorbPorts(*sw, ports.text + "\n");
        done("");
      });
    queue->run([this, key, queue, nextPlan, lines](const std::string& error) {
      applying_ = false;
      if (!error.empty()) {
        // What was started or stopped before the failure is part of the lab now: the plan it
        // runs (and the next apply's starting point) says so.
        recordRunningInPlan();
        log("apply failed: " + error);
        answer(key, errorReply(error + " (the changes before it were made; 'umlab ps' shows the lab)"));
        return;
      }
      // The guests keep their own copies; the lab's plan is the new one from now on.
      for (auto& g : guests_)
        for (const GuestPlan& gp : nextPlan->guests)
          if (gp.name == g->plan.name)
            g->plan = gp;
      for (auto& s : switches_)
        for (const SwitchPlan& sp : nextPlan->switches)
          if (sp.segment == s->plan.segment)
            s->plan = sp;
      plan_ = *nextPlan;
      try {
        savePlanJson(plan_, state_.planFile());
      } catch (const std::exception& e) {
        log(std::string("cannot save the plan: ") + e.what());
      }
      JsonWriter w(JsonWriter::kOneLine);
      w.beginObject().field("ok", true).key("changes").beginArray();
      for (const std::string& l : lines)
        w.value(l);
      w.endArray().endObject();
      answer(key, w.str());
      labEvent("applied");
    });
  }

  /// After a failed apply: the plan lists exactly the guests and switches that run.
  void recordRunningInPlan() {
    std::erase_if(plan_.guests, [&](const GuestPlan& g) { return !findGuest(g.name); });
    for (const auto& g : guests_)
      if (std::none_of(plan_.guests.begin(), plan_.guests.end(), [&](const GuestPlan& p) { return p.name == g->plan.name; }))
        plan_.guests.push_back(g->plan);
    std::erase_if(plan_.switches, [&](const SwitchPlan& sp) { return !findSwitch(sp.segment); });
    for (const auto& sw : switches_)
      if (std::none_of(plan_.switches.begin(), plan_.switches.end(), [&](const SwitchPlan& p) { return p.segment == sw->plan.segment; }))
        plan_.switches.push_back(sw->plan);
    try {
      savePlanJson(plan_, state_.planFile());
    } catch (const std::exception& e) {
      log(std::string("cannot save the plan: ") + e.what());
    }
  }

  /// New files in the state directory (a guest's log, a switch's sockets) belong to the lab's uid.
  void fixOwnership() {
    if (options_.confine)
      giveSubdirectoriesToLab(false);
  }

  void removeGuest(const std::string& name) {
    Guest* g = findGuest(name);
    if (!g)
      return;
    failRequests(*g, "node '" + name + "' was removed");
    processes_.stop(ProcessRole::Guest, name);
    for (auto& [key, c] : clients_)
      if ((c.mode == Client::Mode::Console || c.mode == Client::Mode::Exec) && c.guest == name)
        dropClient(key);
    g->state = Guest::State::Dead;
    g->exit = ExitStatus{};
    LabEvent removed = event(LabEvent::Type::Node);
    removed.node = name;
    removed.state = "removed";
    broadcast(removed);
    std::erase_if(guests_, [&](const auto& p) { return p->plan.name == name; });
    sizeCursor_ = 0;
  }

  // ---- status -----------------------------------------------------------------------------

  static std::string stateName(const Guest& g) {
    switch (g.state) {
    case Guest::State::Booting: return "booting";
    case Guest::State::Ready: return "ready";
    case Guest::State::Stopping: return "stopping";
    case Guest::State::Stopped: return "stopped";
    case Guest::State::Dead:
      return g.exit.signal ? "dead (signal " + std::to_string(g.exit.signal) + ")"
                           : "dead (exit " + std::to_string(g.exit.code) + ")";
    }
    return "?";
  }

  static std::string switchState(const Switch& s) {
    if (!s.isAlive)
      return "down";
    return s.isAnswering ? "up" : "not answering";
  }

  /// The lab as it is now, from memory and the cache: no system call, no waiting.
  LabStatus status() const {
    LabStatus s;
    s.lab = plan_.lab;
    s.stateDir = plan_.stateDir;
    s.supervisorPid = ::getpid();
    const auto now = Clock::now();
    for (const auto& gp : guests_) {
      const Guest& g = *gp;
      NodeStatus n;
      n.name = g.plan.name;
      n.state = stateName(g);
      const bool alive = g.isRunning();
      n.pid = alive ? g.process.pid : 0;
      n.uptimeSeconds = alive ? std::chrono::duration_cast<std::chrono::seconds>(now - g.startedAt).count() : 0;
      n.memoryKiB = alive ? g.memoryKiB : 0;
      for (const InterfacePlan& i : g.plan.interfaces)
        n.interfaces.push_back({i.name, i.mac, i.ip, i.attachedTo, false});
      n.interfaces.insert(n.interfaces.end(), g.hotPlugged.begin(), g.hotPlugged.end());
      s.nodes.push_back(std::move(n));
    }
    for (const auto& sp : switches_) {
      const Switch& sw = *sp;
      SwitchStatus st;
      st.segment = sw.plan.segment;
      st.state = switchState(sw);
      st.pid = sw.isAlive ? sw.process.pid : 0;
      st.hasCounters = sw.hasCounters;
      st.countersAgeSeconds = sw.hasCounters ? std::chrono::duration<double>(now - sw.countersAt).count() : 0;
      st.ports = sw.ports;
      s.switches.push_back(std::move(st));
    }
    s.timeline.steps = static_cast<int64_t>(timeline_.steps().size());
    s.timeline.startTime = timelineStartTime_;
    s.timeline.started = static_cast<int64_t>(timeline_.handedOut());
    s.timeline.finished = static_cast<int64_t>(timeline_.finished());
    s.timeline.failed = static_cast<int64_t>(timeline_.failed());
    if (const TimelineStepPlan* next = timeline_.upcoming()) {
      s.timeline.nextAt = double(next->atMs) / 1000;
      s.timeline.next = next->what;
    }
    return s;
  }

  // ---- stop -------------------------------------------------------------------------------

  /// Asks every ready guest's init to power off (it syncs its disks first) and waits up to
  /// `limit` for the guests to exit, so that kept COW files hold a clean file system.
  void powerOffGuests(std::chrono::seconds limit) {
    for (const auto& gp : guests_) {
      Guest& g = *gp;
      if (g.state != Guest::State::Ready || !g.agentFd)
        continue;
      agent::ExecRequest req;
      req.argv = {"kill", "-TERM", "1"};
      agent::encodeFrame({agent::FrameType::Exec, 0xfffffff0u, agent::encodeExecRequest(req)}, g.agentOut);
      const auto until = Clock::now() + std::chrono::seconds(2);
      while (!g.agentOut.empty() && Clock::now() < until) {
        pollfd p{g.agentFd.get(), POLLOUT, 0};
        ::poll(&p, 1, 100);
        if (!flush(g.agentFd.get(), g.agentOut))
          break;
      }
    }
    const auto deadline = Clock::now() + limit;
    for (;;) {
      for (const auto& [pid, status] : runner_.reapEnded())
        processes_.markEnded(pid, status);
      const bool anyRunning = std::any_of(processes_.entries().begin(), processes_.entries().end(), [](const auto& e) {
        return e.role == ProcessRole::Guest && !e.isReaped;
      });
      if (!anyRunning || Clock::now() >= deadline)
        break;
      ::usleep(50000);
    }
  }

  void teardown(bool keepCow) {
    if (done_)
      return;
    done_ = true;
    labEvent("stopping");
    // A clean power-off when the COW files are kept, or when a node has `shutdown` commands:
    // its init runs them (at most 10 s, umlab_init.cpp) before it powers off. A host SIGTERM
    // would end UML at once, without them.
    const bool hasShutdownCommands =
        std::any_of(guests_.begin(), guests_.end(), [](const auto& g) { return !g->plan.shutdown.empty(); });
    if (keepCow || hasShutdownCommands)
      powerOffGuests(kPowerOffLimit);
    processes_.stopAll(this); // guests, then taps, then switches
    if (options_.confine)
      grantMountedDirectories(false);
    // Orphans of UML helpers were reparented to us (subreaper): reap whatever is left.
    runner_.reapEnded();
    std::error_code ec;
    if (keepCow) {
      for (const auto& e : fs::directory_iterator(plan_.stateDir, ec))
        if (e.path().filename() != "cow")
          fs::remove_all(e.path(), ec);
    } else {
      fs::remove_all(plan_.stateDir, ec);
    }
    // The last words, best effort: subscribers learn that the lab is gone, `down` that it is done.
    labEvent("down");
    for (auto& [key, c] : clients_) {
      if (std::find(downClients_.begin(), downClients_.end(), key) != downClients_.end())
        c.out += okReply();
      if (c.mode == Client::Mode::Events || !c.out.empty()) {
        ::fcntl(c.fd.get(), F_SETFL, ::fcntl(c.fd.get(), F_GETFL) & ~O_NONBLOCK);
        flush(c.fd.get(), c.out);
      }
    }
  }

  LaunchPlan plan_;
  SupervisorOptions options_;
  UniqueFd progress_;
  LabState state_;
  LabProcesses processes_;
  ProcessRunner& runner_;
  std::unique_ptr<SignalFd> signals_;
  UniqueFd listener_;
  std::vector<std::unique_ptr<Guest>> guests_;
  /// Guests replaced by a `start` of their node, kept until the end of the loop's round: a
  /// handler of that round may still point at one (and must not find a new guest there).
  std::vector<std::unique_ptr<Guest>> retiredGuests_;
  std::set<std::string> busyNodes_; ///< nodes with a node action under way
  std::vector<GuestPlan> deferred_; ///< guests waiting for the guests they depend on, or for a boot slot
  size_t bootSlots_ = bootConcurrency();
  bool hasSaidSlots_ = false;
  std::vector<std::unique_ptr<Switch>> switches_;
  std::vector<TapDevice> taps_;
  std::vector<TapDevice> mirrorTaps_; ///< removed when the supervisor ends, after the switches
  std::map<std::string, UniqueFd> vxlanSockets_; ///< by segment, until its switch inherited it
  std::map<int, Client> clients_;
  std::vector<int> closing_;
  std::vector<int> downClients_;
  std::vector<UniqueFd> pendingFds_;   ///< the child's ends, kept open until it has started
  std::unique_ptr<Jail> pendingJail_;  ///< the jail of the process being started
  unsigned uid_ = labUid(plan_.lab);
  bool rootless_ = false; ///< run by an ordinary user, in a user namespace of its own
  uid_t rootFromOutside_ = 0; ///< in a rootless lab: the overflow uid, as root's connections read
  Clock::time_point nextRefresh_{};
  Clock::time_point watchedUntil_{};                      ///< a status was asked until this - kWatchWindow
  std::vector<std::pair<int, Clock::time_point>> statusWaiters_; ///< clients waiting for fresh counters, until
  size_t sizeCursor_ = 0;
  int nextClient_ = 1;
  TimelinePlayer timeline_;
  double timelineStartTime_ = 0; ///< Unix seconds of the timeline's time 0
  bool ready_ = false;
  bool failed_ = false;
  bool done_ = false;
  bool applying_ = false;
};

} // namespace

// A booting UML kernel is CPU-bound and runs as six host processes under ptrace; with more of
// them runnable than the cores can take, the host spends its time switching between them: on 2
// cores, 100 guests started at once took 90 s (1.0 s of CPU each, 78 % of it host system time),
// in waves of 10 they took 48 s (0.5 s each). A guest is started as another becomes ready.
size_t bootConcurrency() {
  if (const char* v = std::getenv("UMLAB_BOOT_CONCURRENCY"); v && *v) {
    const long n = std::strtol(v, nullptr, 10);
    if (n > 0)
      return static_cast<size_t>(n);
  }
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  return std::max<size_t>(4, 5 * static_cast<size_t>(cpus > 0 ? cpus : 1));
}

unsigned labUid(const std::string& lab) { return 2000000000u + static_cast<unsigned>(fnv1a64(lab) % 100000000); }

int runSupervisor(const LaunchPlan& plan, const SupervisorOptions& options, ProcessRunner& runner, int progressFd) {
  Supervisor s(plan, options, runner, progressFd);
  return s.run();
}

} // namespace umlab::lab::runtime
