// bench_guest_tcp: guest-to-guest TCP throughput (iperf3) between real UML guests, through
// umlab-switchd (daemon and bess transports), UML's mcast transport (no switch), and the two
// classic switches uml_switch (uml-utilities) and vde_switch (vde2) as anchors, in the same run.
// Run by hand, as root, after 'umlab image build':
//
//   build/bin/bench_guest_tcp [--repeat N] [--seconds N] [--only LIST]
//
// Method. The bench writes a temporary topology, compiles it (lab::compileFile, lab::plan) and
// starts it in-process with the runtime library's Launcher, in a private state root inside a
// temp dir; it reaches the running lab through LabClient (exec, status, down), and never runs
// `umlab`. Guests a,b are on a daemon-transport switch segment, c,d on a bess switch segment,
// m1,m2 on an mcast segment, 128M each, every segment on its own /24 (only the nodes of the
// selected paths are booted). A measurement is `iperf3 -s -1 -D -p PORT` in the server guest
// and `iperf3 -c IP -p PORT -t SECONDS -J` in the client guest, both through LabClient::exec;
// the figure is end.sum_received.bits_per_second of the client's JSON. Every run uses a fresh
// port, so a server left over by a failed run never answers a later one; "connection refused"
// (the daemonised server not listening yet) is retried.
//
// The anchors reuse guests a and b. The bench starts uml_switch (`-unix CTL`) and vde_switch
// (`-s DIR`, which answers the uml_switch v3 request on DIR/ctl) itself, inside the lab's network
// namespace (nsenter --net=/proc/<supervisor>/ns/net: the guests' daemon data sockets are abstract
// unix names, which exist per namespace) and as the guests' uid (the owner of the lab's sw/
// directory), with their sockets in <state>/<lab>/sw/anchor/ (the lab's subdirectories are
// bind-mounted into every guest's jail at the same path). Then it hot-plugs a
// NIC into a and b through their mconsole sockets (`config eth1=daemon,MAC,unix,CTL` for
// uml_switch, eth2 for vde_switch; the mconsole client runs in a thread that entered the lab's
// namespace (LabClient::networkNamespace) with setns(), for the same abstract-name reason), checks
// that the guest really has the device (mconsole answers OK even when the transport's init
// failed), and gives it an address with `ip addr add` / `ip link set up`. At the end each NIC is
// taken down in the guest and removed (`remove ethN`; UML refuses while it is up), and each
// switch is terminated.
//
// The runs are interleaved: each round measures every path once, so a slow drift of the machine
// (and the idle guests' background work) is spread over all paths; the reported figure is the
// median of --repeat rounds. Everything (all booted guests, idle or not, the switches and both
// iperf3 ends) shares the host's CPUs, 2 on the reference machine, so the absolute figures
// measure a CPU-bound system and the ratios are what compare.
//
// Besides iperf3's retransmits, each run reads the sending guest's tx_dropped before and after:
// UML's daemon and vector transports drop a frame when the send towards the switch fails (EAGAIN
// on a full socket queue), a loss that no switch counter sees; the retransmits of the switchd
// paths match it frame for frame.
//
// Stopping. SIGINT and SIGTERM are seen between steps, not in the middle of one: the launch
// checks at each progress line the supervisor reports (each switch up, each guest booting or
// ready), so at worst when the boot timeout ends; a guest command (LabClient::exec cannot be
// cancelled) when it ends, which for iperf3 is after its -t seconds and otherwise soon, and in
// any case at its timeout. Pauses end at once.
//
// Only unix sockets and the lab's own network namespace carry traffic (mcast stays on the
// namespace's lo). Whatever happens (an error, SIGINT, SIGTERM), the NICs are removed, the
// switches are terminated and reaped (ChildProcess kills only the process groups it started),
// and LabClient::down stops the lab (then cleanCrashed; if the supervisor does not answer at
// all, SIGTERM to it and cleanCrashed); the temporary directory is kept if that cannot be proven.
#include "umlab/base/child_process.hpp"
#include "umlab/base/diagnostics.hpp"
#include "umlab/base/process.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/lab_status.hpp"
#include "umlab/lab/runtime/launcher.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <stdexcept>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;
namespace runtime = umlab::lab::runtime;

namespace {

constexpr const char* kLab = "gtcp";
constexpr int kFirstPort = 5301;

// ---- stopping ------------------------------------------------------------------------------

// SIGINT/SIGTERM set the flag and write to this pipe, which pauses wait on; the launch and the
// guest commands check the flag between steps (see "Stopping" above). Clean-up never checks it,
// so it runs to the end.
int gStopPipe[2] = {-1, -1};
std::atomic<bool> gStop{false};

extern "C" void onSignal(int) {
  gStop.store(true);
  const char c = 's';
  [[maybe_unused]] const ssize_t n = ::write(gStopPipe[1], &c, 1);
}

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

void checkStop() {
  if (gStop.load())
    throw Interrupted();
}

/// Sleeps `d`, or throws Interrupted as soon as a stop signal comes.
void pause(std::chrono::milliseconds d) {
  pollfd p{gStopPipe[0], POLLIN, 0};
  if (::poll(&p, 1, int(d.count())) > 0 || gStop.load())
    throw Interrupted();
}

// ---- commands ----------------------------------------------------------------------------

/// What a guest command (LabClient::exec) did.
struct Output {
  int exitCode = -1;  ///< ExecResult::exitCode: 124 after the timeout, -1 when the lab broke off
  std::string text;   ///< stdout and stderr, merged as they came, whole
  std::string error;  ///< ExecResult::error: why there is no exit code of the command's own
  bool isSuccess() const { return exitCode == 0; }
  /// "exited with status 2", or the runtime's reason ("... timed out after 30s and was killed").
  std::string describe() const { return error.empty() ? ExitStatus{exitCode, 0}.describe() : error; }
  /// The last `n` lines, for messages.
  std::string tail(size_t n = 8) const {
    std::string t = text;
    while (!t.empty() && t.back() == '\n')
      t.pop_back();
    size_t pos = t.size();
    for (size_t k = 0; k < n; ++k) {
      const size_t nl = pos == 0 ? std::string::npos : t.rfind('\n', pos - 1);
      if (nl == std::string::npos)
        return t;
      pos = nl;
    }
    return t.substr(pos + 1);
  }
};

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv)
    s += (s.empty() ? "" : " ") + a;
  return s;
}

// ---- iperf3's JSON -------------------------------------------------------------------------

/// The number after the last of `keys`, each searched after the previous one: enough for
/// iperf3's report, whose "end" object holds "sum_sent" then "sum_received".
std::optional<double> jsonNumber(const std::string& json, const std::vector<std::string>& keys) {
  size_t pos = 0;
  for (const std::string& k : keys) {
    pos = json.find("\"" + k + "\"", pos);
    if (pos == std::string::npos)
      return std::nullopt;
    pos += k.size() + 2;
  }
  pos = json.find(':', pos);
  if (pos == std::string::npos)
    return std::nullopt;
  const char* begin = json.c_str() + pos + 1;
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin)
    return std::nullopt;
  return v;
}

/// The top-level "error" string of an iperf3 report, if any.
std::optional<std::string> jsonError(const std::string& json) {
  size_t pos = json.find("\"error\"");
  if (pos == std::string::npos)
    return std::nullopt;
  pos = json.find('"', json.find(':', pos));
  if (pos == std::string::npos)
    return std::nullopt;
  const size_t end = json.find('"', pos + 1);
  return json.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
}

// ---- the lab -------------------------------------------------------------------------------

/// The launch's progress, unprinted (as before, only a failure is shown); a stop signal ends the
/// launch at the next line. Thrown before the supervisor is forked, Interrupted leaves nothing
/// (the launcher removes the state directory); after, the supervisor runs on and Lab's
/// destructor stops it (its control socket listens before it reports anything).
class StopBetweenSteps final : public runtime::LaunchProgress {
public:
  void step(const std::string&) override { checkStop(); }
  void warning(const std::string& line) override {
    std::fprintf(stderr, "bench_guest_tcp: warning: %s\n", line.c_str());
  }
};

/// The lab, started in-process in a private state root inside the temporary directory it owns.
/// On destruction: LabClient::down, cleanCrashed if that fails, and if the supervisor does not
/// answer at all, SIGTERM to it, then cleanCrashed. The temporary directory is removed only when
/// the lab is known to be stopped; otherwise it is kept and named, for `umlab clean`.
class Lab {
public:
  Lab(std::string self, std::unique_ptr<TempDir> work)
      : self_(std::move(self)), work_(std::move(work)), stateRoot_(work_->file("state")), client_(stateRoot_) {
    // Traversable by the lab's uid: the anchor switches run as that uid in the host's mount
    // namespace and create their sockets in the lab's state directory.
    if (::chmod(work_->path().c_str(), 0711) != 0 || ::mkdir(stateRoot_.c_str(), 0711) != 0)
      throw std::runtime_error("prepare " + stateRoot_ + ": " + std::strerror(errno));
  }
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;
  ~Lab() {
    if (!down()) {
      std::fprintf(stderr,
                   "bench_guest_tcp: lab '%s' may still be running; its state is kept in %s: stop it with\n"
                   "  UMLAB_STATE_DIR=%s umlab clean %s\n",
                   kLab, stateDir().c_str(), stateRoot_.c_str(), kLab);
      (void)work_.release(); // keep the directory: the lab may still use it
    }
  }

  std::string stateDir() const { return stateRoot_ + "/" + kLab; }
  /// A path in the temporary directory, outside the state root.
  std::string workFile(const std::string& name) const { return work_->file(name); }
  const runtime::LabClient& client() const { return client_; }

  /// Compiles `file` and starts it; returns once every guest is ready. Throws RuntimeError
  /// (with the launcher's reason), or Interrupted.
  void up(const std::string& file) {
    SourceManager sources;
    Diagnostics diags;
    lab::HostLayout host = lab::hostLayoutFromEnvironment(self_);
    host.stateRoot = stateRoot_;
    std::optional<lab::LaunchPlan> plan;
    if (const std::optional<lab::Compiled> compiled = lab::compileFile(file, sources, diags))
      plan = lab::plan(compiled->topology, host, diags);
    if (!plan) {
      std::ostringstream text;
      renderDiagnostics(diags, text);
      throw std::runtime_error("the generated topology " + file + " does not compile:\n" + text.str());
    }
    runtime::LaunchOptions options;
    options.stateRoot = stateRoot_;
    options.bootTimeout = std::chrono::seconds(180);
    options.guestBinDir = runtime::guestBinDir(self_);
    StopBetweenSteps progress;
    isUpAttempted_ = true;
    runtime::Launcher(progress).launch(*plan, options);
  }

  /// Stops the lab, once; true when it is known to be stopped (or never started).
  bool down() noexcept {
    if (!isUpAttempted_ || isDown_)
      return true;
    isDown_ = true;
    std::error_code ec;
    if (!fs::exists(stateDir(), ec))
      return true; // the launch failed or was interrupted before the supervisor: nothing runs
    std::printf("stopping lab '%s'\n", kLab);
    std::fflush(stdout);
    for (int attempt = 0; attempt < 3; ++attempt) {
      try {
        // Stops everything the lab recorded (the supervisor included, should it linger) and
        // removes its state; a crashed lab's leftovers likewise.
        client_.down(kLab);
        return true;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_guest_tcp: stopping lab '%s': %s\n", kLab, e.what());
      }
      if (!fs::exists(stateDir(), ec) || cleanIfCrashed())
        return true;
      std::this_thread::sleep_for(2s);
    }
    // The supervisor lives but does not answer: SIGTERM makes it stop the lab.
    std::optional<runtime::ProcessEntry> supervisor;
    try {
      supervisor = runtime::LabState(stateRoot_, kLab).liveSupervisor();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_guest_tcp: lab '%s': %s\n", kLab, e.what());
    }
    if (supervisor) {
      std::fprintf(stderr, "bench_guest_tcp: sending SIGTERM to the lab's supervisor, pid %d\n",
                   int(supervisor->id.pid));
      signalIfSame(supervisor->id, SIGTERM);
      for (int i = 0; i < 300 && processStartTime(supervisor->id.pid) == supervisor->id.startTime; ++i)
        std::this_thread::sleep_for(100ms);
    }
    return !fs::exists(stateDir(), ec) || cleanIfCrashed();
  }

  /// Runs ARGV in NODE through LabClient::exec, SIGKILLed after `timeoutSeconds`. `cancellable`:
  /// a stop signal that came meanwhile throws Interrupted once it ends (it cannot end it sooner).
  Output exec(const std::string& node, const std::vector<std::string>& argv, int timeoutSeconds = 30,
              bool cancellable = true) const {
    Output out;
    runtime::ExecOptions options;
    options.timeout = std::chrono::seconds(timeoutSeconds);
    // Collected here, whole: an iperf3 JSON report of a long run outgrows ExecOptions::maxCollected.
    options.onStdout = options.onStderr = [&](const std::string& data) { out.text += data; };
    const runtime::ExecResult r = client_.exec(kLab, node, argv, options);
    if (cancellable)
      checkStop();
    out.exitCode = r.exitCode;
    out.error = r.error;
    return out;
  }

  /// As `exec`, and a failure is an exception that names the node and the command.
  void execChecked(const std::string& node, const std::vector<std::string>& argv) const {
    const Output o = exec(node, argv);
    if (!o.isSuccess())
      throw std::runtime_error(node + ": '" + joined(argv) + "' " + o.describe() + ": " + o.tail(3));
  }

  runtime::LabStatus status() const { return client_.status(kLab); }

private:
  /// cleanCrashed: true when the supervisor was gone and what it left is removed.
  bool cleanIfCrashed() noexcept {
    try {
      return client_.cleanCrashed(kLab).has_value();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_guest_tcp: cleaning lab '%s': %s\n", kLab, e.what());
      return false;
    }
  }

  std::string self_; ///< this executable: umlab-switchd, umlab-init and umlab-agent are beside it
  std::unique_ptr<TempDir> work_;
  std::string stateRoot_;
  runtime::LabClient client_;
  bool isUpAttempted_ = false;
  bool isDown_ = false;
};

/// The lab's network namespace and unprivileged uid, for what the bench adds to it.
struct LabContext {
  pid_t nsPid = -1; ///< a process in the lab's network namespace (the supervisor), for nsenter
  UniqueFd netns;   ///< the namespace itself (/proc/<supervisor>/ns/net; the bench runs as root), for setns
  uid_t uid = 0;    ///< the owner of the lab's state directory: the uid its guests run as
  gid_t gid = 0;
  std::string netnsPath() const { return "/proc/" + std::to_string(nsPid) + "/ns/net"; }
};

/// Runs `fn` in a thread that entered the lab's network namespace (setns affects only the
/// calling thread), for clients whose reply address is an abstract unix name.
template <typename Fn> void inLabNetns(const LabContext& lab, Fn&& fn) {
  std::string error;
  std::thread t([&] {
    if (::setns(lab.netns.get(), CLONE_NEWNET) != 0) {
      error = std::string("setns ") + lab.netnsPath() + ": " + std::strerror(errno);
      return;
    }
    fn();
  });
  t.join();
  if (!error.empty())
    throw std::runtime_error(error);
}

/// A reply from a guest's mconsole (UML.md §6).
struct MconsoleReply {
  bool ok = false;    ///< a reply came and its err was 0
  int32_t error = 0;  ///< err as the guest sent it (often a negative errno)
  std::string text;   ///< the reply's text, chunks joined; or what went wrong
};

/// One mconsole command: magic 0xcafebabe, version 2, length, text; the reply (err, more,
/// length, text; `more` set while chunks follow) comes back to our own address, an abstract name,
/// so this must run in the guest's network namespace. Every wait has a timeout.
MconsoleReply mconsoleCommand(const std::string& socket, const std::string& command) {
  MconsoleReply r;
  sockaddr_un to{};
  to.sun_family = AF_UNIX;
  if (socket.size() >= sizeof to.sun_path || command.size() > 511) {
    r.text = "mconsole path or command too long";
    return r;
  }
  std::memcpy(to.sun_path, socket.data(), socket.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un self{};
  self.sun_family = AF_UNIX;
  static std::atomic<unsigned> counter{0};
  const int n = std::snprintf(self.sun_path + 1, sizeof self.sun_path - 1, "bench-guest-tcp.%d.%u", int(::getpid()),
                              counter.fetch_add(1));
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&self), socklen_t(offsetof(sockaddr_un, sun_path) + 1 + n)) != 0) {
    r.text = std::string("mconsole client socket: ") + std::strerror(errno);
    return r;
  }
  std::string request(12 + command.size(), '\0');
  const uint32_t header[3] = {0xcafebabe, 2, uint32_t(command.size())};
  std::memcpy(request.data(), header, sizeof header);
  std::memcpy(request.data() + 12, command.data(), command.size());
  if (::sendto(fd.get(), request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) !=
      ssize_t(request.size())) {
    r.text = "sendto " + socket + ": " + std::strerror(errno);
    return r;
  }
  for (bool isFirst = true;; isFirst = false) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) {
      r.ok = false;
      r.text = "no (complete) answer from " + socket + " within 5 s";
      return r;
    }
    char buf[12 + 4096];
    const ssize_t got = ::recv(fd.get(), buf, sizeof buf, 0);
    if (got < 12)
      continue;
    uint32_t fields[3];
    std::memcpy(fields, buf, sizeof fields);
    if (isFirst)
      r.error = int32_t(fields[0]);
    std::string chunk(buf + 12, std::min<size_t>(fields[2], size_t(got) - 12));
    while (!chunk.empty() && chunk.back() == '\0')
      chunk.pop_back();
    r.text += chunk;
    if (fields[1] == 0)
      break;
  }
  r.ok = r.error == 0;
  return r;
}

MconsoleReply mconsole(const LabContext& lab, const std::string& socket, const std::string& command) {
  MconsoleReply r;
  inLabNetns(lab, [&] { r = mconsoleCommand(socket, command); });
  return r;
}

// ---- anchors: a classic switch and a NIC hot-plugged into two guests ------------------------

/// uml_switch or vde_switch, started in the lab's namespace as the lab's uid; terminated and
/// reaped on destruction (only its own process group).
class AnchorSwitch {
public:
  AnchorSwitch(const std::string& name, const std::string& program, const std::string& nsenter,
               const LabContext& lab, const std::string& dir)
      : name_(name) {
    Command c;
    c.argv = {nsenter, "--net=" + lab.netnsPath(), "--setuid", std::to_string(lab.uid), "--setgid",
              std::to_string(lab.gid), program};
    if (name == "uml_switch") {
      // As root: the lab's uid cannot reach its sw/ on the host (the state root is root's, 0700),
      // only in the guests' jails; the control socket is handed to that uid once it exists.
      c.argv = {nsenter, "--net=" + lab.netnsPath(), program};
      ctl_ = dir + "/uml.ctl";
      c.argv.insert(c.argv.end(), {"-unix", ctl_});
    } else {
      // vde_switch runs its management console on stdin when not daemonised and exits on EOF:
      // keep a pipe open (nothing is written to it).
      ctl_ = dir + "/vde/ctl";
      c.argv.insert(c.argv.end(), {"-s", dir + "/vde"});
      c.input = "\n";
    }
    if (ctl_.size() >= 108)
      throw std::runtime_error(name + ": control path longer than 107 bytes: " + ctl_);
    child_.emplace(ChildProcess::start(c));
    // Drained all the time: uml_switch prints a line for every frame it fails to send, and a
    // full pipe would stall it.
    UniqueFd out(::fcntl(child_->outputFd().get(), F_DUPFD_CLOEXEC, 0));
    if (!out)
      throw std::runtime_error("dup output pipe: " + std::string(std::strerror(errno)));
    drainer_ = std::jthread([this, fd = std::move(out)] {
      char buf[4096];
      std::string partial;
      for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
          continue;
        if (n <= 0)
          return;
        std::lock_guard lock(mutex_);
        partial.append(buf, size_t(n));
        for (size_t nl; (nl = partial.find('\n')) != std::string::npos; partial.erase(0, nl + 1)) {
          const std::string line = partial.substr(0, nl);
          if (line.find("Resource temporarily unavailable") != std::string::npos)
            ++sendFailures_;
          tail_ += line + "\n";
        }
        if (tail_.size() > 4096)
          tail_.erase(0, tail_.size() - 2048);
      }
    });
    child_->outputFd().reset();
    const auto deadline = SteadyClock::now() + 10s;
    std::error_code ec;
    while (!fs::is_socket(ctl_, ec)) {
      if (auto status = child_->tryWait()) {
        pause(100ms);
        throw std::runtime_error(name + " " + status->describe() + ": " + outputTail());
      }
      if (SteadyClock::now() > deadline)
        throw std::runtime_error(name + " did not create " + ctl_ + " within 10 s");
      pause(10ms);
    }
    if (name == "uml_switch" && ::chown(ctl_.c_str(), lab.uid, lab.gid) != 0)
      throw std::runtime_error("chown " + ctl_ + ": " + std::strerror(errno));
  }
  ~AnchorSwitch() {
    if (child_)
      child_->terminate(); // kStopGrace, then SIGKILL
  }
  AnchorSwitch(const AnchorSwitch&) = delete;
  AnchorSwitch& operator=(const AnchorSwitch&) = delete;

  const std::string& ctl() const { return ctl_; }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  bool isAlive() { return child_ && !child_->tryWait(); }
  std::string outputTail() {
    std::lock_guard lock(mutex_);
    return tail_;
  }
  /// Lines "... Resource temporarily unavailable": frames uml_switch dropped because the
  /// receiving guest's socket queue was full.
  uint64_t sendFailures() {
    std::lock_guard lock(mutex_);
    return sendFailures_;
  }

private:
  std::string name_;
  std::string ctl_;
  std::mutex mutex_;
  std::string tail_;
  uint64_t sendFailures_ = 0;
  // Declared before child_, so destroyed after it: the child is reaped first, which closes the
  // pipe and ends the drainer.
  std::jthread drainer_;
  std::optional<ChildProcess> child_;
};

/// A daemon-transport NIC hot-plugged into a guest through its mconsole, with an address;
/// taken down and removed on destruction.
class HotPlugNic {
public:
  HotPlugNic(const Lab& lab, const LabContext& context, std::string node, std::string iface,
             const std::string& mac, const std::string& ctl, const std::string& ip)
      : lab_(lab), context_(context), node_(std::move(node)), iface_(std::move(iface)) {
    mconsole_ = lab.stateDir() + "/uml/" + kLab + "." + node_ + "/mconsole";
    const std::string spec = iface_ + "=daemon," + mac + ",unix," + ctl;
    const MconsoleReply r = mconsole(context_, mconsole_, "config " + spec);
    if (!r.ok)
      throw std::runtime_error(node_ + ": mconsole 'config " + spec + "': " + r.text);
    isPlugged_ = true;
    // mconsole answers OK even when the transport's init failed: the device must exist.
    const Output o = lab.exec(node_, {"ip", "link", "show", iface_});
    if (!o.isSuccess())
      throw std::runtime_error(node_ + ": no " + iface_ + " after 'config " + spec + "' (the transport's init failed; see " +
                               lab.stateDir() + "/log/" + node_ + ".log): " + o.tail(2));
    lab.execChecked(node_, {"ip", "addr", "add", ip, "dev", iface_});
    lab.execChecked(node_, {"ip", "link", "set", iface_, "up"});
  }
  ~HotPlugNic() {
    if (!isPlugged_)
      return;
    try {
      // UML refuses to remove an open device (-EBUSY): down first.
      lab_.exec(node_, {"ip", "link", "set", iface_, "down"}, 10, false);
      MconsoleReply r;
      for (int attempt = 0; attempt < 5; ++attempt) {
        r = mconsole(context_, mconsole_, "remove " + iface_);
        if (r.ok)
          return;
        std::this_thread::sleep_for(200ms);
      }
      std::fprintf(stderr, "bench_guest_tcp: %s: mconsole 'remove %s': %s (error %d)\n", node_.c_str(), iface_.c_str(),
                   r.text.c_str(), int(r.error));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_guest_tcp: %s: removing %s: %s\n", node_.c_str(), iface_.c_str(), e.what());
    }
  }
  HotPlugNic(const HotPlugNic&) = delete;
  HotPlugNic& operator=(const HotPlugNic&) = delete;

private:
  const Lab& lab_;
  const LabContext& context_;
  std::string node_;
  std::string iface_;
  std::string mconsole_;
  bool isPlugged_ = false;
};

/// One anchor: its switch, then the NICs (destroyed first, while the switch still runs).
struct Anchor {
  std::unique_ptr<AnchorSwitch> sw;
  std::vector<std::unique_ptr<HotPlugNic>> nics;
  ~Anchor() { nics.clear(); }
};

// ---- paths and measurements ----------------------------------------------------------------

struct Path {
  std::string key;   ///< for --only
  std::string label; ///< as printed
  std::string client, server, serverIp;
  // Anchors only: which switch, the hot-plugged interface and the two guests' addresses.
  std::string anchorSwitch;
  std::string iface;
  std::string clientCidr, serverCidr;
  bool isAnchor() const { return !anchorSwitch.empty(); }
};

const std::vector<Path>& allPaths() {
  static const std::vector<Path> paths = {
      {"switchd-daemon", "umlab-switchd, daemon", "a", "b", "10.71.1.2", "", "", "", ""},
      {"switchd-bess", "umlab-switchd, bess", "c", "d", "10.71.2.2", "", "", "", ""},
      {"mcast", "mcast, no switch", "m1", "m2", "10.71.3.2", "", "", "", ""},
      {"uml_switch", "uml_switch, daemon", "a", "b", "10.71.4.2", "uml_switch", "eth1", "10.71.4.1/24", "10.71.4.2/24"},
      {"vde_switch", "vde_switch, daemon", "a", "b", "10.71.5.2", "vde_switch", "eth2", "10.71.5.1/24", "10.71.5.2/24"},
  };
  return paths;
}

/// The topology of the selected paths: only the segments and nodes they need.
std::string topology(const std::vector<const Path*>& paths) {
  auto wants = [&](const std::string& node) {
    return std::any_of(paths.begin(), paths.end(), [&](const Path* p) { return p->client == node; });
  };
  std::string nodes, segments, links;
  if (wants("a")) {
    nodes += "  a: {}\n  b: {}\n";
    segments += "  sd: {type: switch}\n";
    links += "  - {endpoints: [a:eth0, sd], ip: 10.71.1.1/24}\n  - {endpoints: [b:eth0, sd], ip: 10.71.1.2/24}\n";
  }
  if (wants("c")) {
    nodes += "  c: {}\n  d: {}\n";
    segments += "  sb: {type: switch, transport: bess}\n";
    links += "  - {endpoints: [c:eth0, sb], ip: 10.71.2.1/24}\n  - {endpoints: [d:eth0, sb], ip: 10.71.2.2/24}\n";
  }
  if (wants("m1")) {
    nodes += "  m1: {}\n  m2: {}\n";
    segments += "  mc: {type: mcast}\n";
    links += "  - {endpoints: [m1:eth0, mc], ip: 10.71.3.1/24}\n  - {endpoints: [m2:eth0, mc], ip: 10.71.3.2/24}\n";
  }
  return std::string("# written by bench_guest_tcp\nname: ") + kLab +
         "\ndescription: guest-to-guest TCP throughput per transport\ndefaults: {memory: 128M}\nnodes:\n" + nodes +
         "segments:\n" + segments + "links:\n" + links;
}

struct Sample {
  double mbps = 0;
  double retransmits = 0;
  std::optional<uint64_t> txDropped; ///< frames the sending guest's NIC dropped during the run
};

/// A guest NIC's statistics counter (/sys/class/net/IFACE/statistics/NAME), or nullopt.
std::optional<uint64_t> nicCounter(const Lab& lab, const std::string& node, const std::string& iface,
                                   const std::string& name) {
  const Output o = lab.exec(node, {"cat", "/sys/class/net/" + iface + "/statistics/" + name});
  if (!o.isSuccess() || o.text.empty() || o.text.find_first_not_of("0123456789\n") != std::string::npos)
    return std::nullopt;
  return std::strtoull(o.text.c_str(), nullptr, 10);
}

/// One iperf3 run from `p.client` to `p.server`; throws on failure.
Sample measure(const Lab& lab, const Path& p, int port, int seconds) {
  const std::string portText = std::to_string(port);
  // The sender's tx_dropped: UML drops a frame when the send towards the switch (or the group)
  // fails, e.g. with EAGAIN on a full queue; no switch counter sees those.
  const std::string iface = p.isAnchor() ? p.iface : "eth0";
  const std::optional<uint64_t> dropsBefore = nicCounter(lab, p.client, iface, "tx_dropped");
  lab.execChecked(p.server, {"iperf3", "-s", "-1", "-D", "-p", portText});
  std::string lastError;
  for (int attempt = 0; attempt < 25; ++attempt) {
    const Output o = lab.exec(p.client, {"iperf3", "-c", p.serverIp, "-p", portText, "-t", std::to_string(seconds), "-J"},
                              seconds + 60);
    if (auto bps = jsonNumber(o.text, {"end", "sum_received", "bits_per_second"}); bps && o.isSuccess()) {
      Sample s;
      s.mbps = *bps / 1e6;
      s.retransmits = jsonNumber(o.text, {"end", "sum_sent", "retransmits"}).value_or(0);
      if (const std::optional<uint64_t> after = nicCounter(lab, p.client, iface, "tx_dropped"); after && dropsBefore)
        s.txDropped = *after - std::min(*after, *dropsBefore);
      return s;
    }
    const std::optional<std::string> error = jsonError(o.text);
    lastError = error ? *error : o.describe() + ": " + o.tail(3);
    // The daemonised server may not listen yet.
    if (!error || error->find("Connection refused") == std::string::npos)
      break;
    pause(200ms);
  }
  throw std::runtime_error("iperf3 " + p.client + " -> " + p.server + " (" + p.serverIp + "): " + lastError);
}

/// A few pings from client to server (ARP, and a check that the path carries traffic).
void checkReachable(const Lab& lab, const Path& p) {
  for (int attempt = 0;; ++attempt) {
    const Output o = lab.exec(p.client, {"ping", "-c", "1", "-W", "2", p.serverIp});
    if (o.isSuccess())
      return;
    if (attempt == 4)
      throw std::runtime_error(p.client + " cannot ping " + p.server + " (" + p.serverIp + "): " + o.tail(3));
    pause(500ms);
  }
}

struct Row {
  const Path* path = nullptr;
  std::string note; ///< not empty: no (more) figures
  std::vector<Sample> samples;
  std::optional<Sample> median() const {
    if (samples.empty())
      return std::nullopt;
    std::vector<Sample> s = samples;
    std::sort(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.mbps < b.mbps; });
    return s[s.size() / 2];
  }
};

/// What the switch of `segment` dropped, every port summed (its last counters), or nullopt
/// before it first answered.
std::optional<uint64_t> switchDrops(const runtime::LabStatus& status, const std::string& segment) {
  for (const runtime::SwitchStatus& sw : status.switches) {
    if (sw.segment != segment || !sw.hasCounters)
      continue;
    uint64_t drops = 0;
    for (const runtime::PortStatus& port : sw.ports)
      drops += port.drops;
    return drops;
  }
  return std::nullopt;
}

/// UML processes of other labs or tests (umid not "<kLab>."): they compete for the CPUs.
size_t otherUmlProcesses() {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string argv0, arg;
    std::getline(in, argv0, '\0');
    if (argv0.size() < 9 || argv0.compare(argv0.size() - 9, 9, "linux.uml") != 0)
      continue;
    bool isOurs = false;
    while (std::getline(in, arg, '\0'))
      if (arg.rfind(std::string("umid=") + kLab + ".", 0) == 0)
        isOurs = true;
    n += isOurs ? 0 : 1;
  }
  return n;
}

/// The 1-minute load average.
std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string first;
  in >> first;
  return first;
}

std::string cacheDir() {
  if (const char* d = std::getenv("UMLAB_CACHE_DIR"); d && *d)
    return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d)
    return std::string(d) + "/umlab";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.cache/umlab";
}

void usage(FILE* out) {
  std::fprintf(out,
               "usage: bench_guest_tcp [--repeat N] [--seconds N] [--only LIST]\n"
               "  Guest-to-guest TCP throughput (iperf3) between two UML guests booted in-process,\n"
               "  through umlab-switchd (daemon and bess transports), the mcast transport (no switch),\n"
               "  and, as anchors, uml_switch and vde_switch (daemon transport, NICs hot-plugged through\n"
               "  mconsole). Needs root and the base image ('umlab image build'); takes a few minutes.\n"
               "  --repeat N    rounds; each path's figure is the median (default 3)\n"
               "  --seconds N   length of each iperf3 run, iperf3 -t (default 5)\n"
               "  --only LIST   comma-separated paths: switchd-daemon,switchd-bess,mcast,uml_switch,vde_switch\n");
}

int positiveInt(const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (!end || *end || v < 1 || v > 3600) {
    std::fprintf(stderr, "bench_guest_tcp: %s needs a whole number from 1 to 3600, not '%s'\n", flag, text);
    std::exit(2);
  }
  return int(v);
}

struct Options {
  int repeat = 3;
  int seconds = 5;
  std::vector<const Path*> paths;
};

int runBench(const Options& opt, const std::string& self) {
  // Anchors need nsenter, and their switch; a missing one gives a "not installed" row.
  const std::optional<std::string> nsenter = findExecutable("nsenter");
  std::vector<Row> rows;
  for (const Path* p : opt.paths) {
    Row r;
    r.path = p;
    if (p->isAnchor() && !findExecutable(p->anchorSwitch))
      r.note = "not installed (" + p->anchorSwitch + ")";
    else if (p->isAnchor() && !nsenter)
      r.note = "needs nsenter (util-linux)";
    rows.push_back(r);
  }

  Lab lab(self, std::make_unique<TempDir>("umlab-bench-gtcp"));
  const std::string file = lab.workFile(std::string(kLab) + ".yaml");
  std::ofstream(file) << topology(opt.paths);
  size_t guests = 0;
  for (const char* n : {"a", "c", "m1"})
    if (std::any_of(opt.paths.begin(), opt.paths.end(), [&](const Path* p) { return p->client == n; }))
      guests += 2;
  if (const size_t others = otherUmlProcesses())
    std::printf("warning: %zu UML processes of other labs or tests are running; they share the CPUs and make the "
                "figures noisy\n",
                others);
  std::printf("load average (1 min) before: %s\nbooting %zu guests (in-process Launcher, state in %s)\n",
              loadAverage().c_str(), guests, lab.stateDir().c_str());
  std::fflush(stdout);
  const auto t0 = SteadyClock::now();
  lab.up(file);
  std::printf("lab '%s' up in %.1f s\n", kLab, std::chrono::duration<double>(SteadyClock::now() - t0).count());

  LabContext context;
  {
    const runtime::LabStatus status = lab.status();
    if (status.state != "running" || status.supervisorPid <= 0)
      throw std::runtime_error("lab '" + std::string(kLab) + "' is " + status.state + " (supervisor pid " +
                               std::to_string(status.supervisorPid) + ") right after it started");
    context.nsPid = pid_t(status.supervisorPid);
    context.netns = UniqueFd(::open(context.netnsPath().c_str(), O_RDONLY | O_CLOEXEC));
    if (!context.netns)
      throw std::runtime_error("cannot open " + context.netnsPath() + ": " + std::strerror(errno));
    std::error_code ec;
    if (fs::read_symlink(context.netnsPath(), ec) == fs::read_symlink("/proc/self/ns/net"))
      throw std::runtime_error("the lab's supervisor (pid " + std::to_string(context.nsPid) +
                               ") runs in the host's network namespace");
    struct stat st{};
    // The guests' uid owns the lab's subdirectories (not the state directory: root's labs run
    // their guests above the subordinate-id range), and only those are seen in the guests' jails.
    if (::stat((lab.stateDir() + "/sw").c_str(), &st) != 0)
      throw std::runtime_error("stat " + lab.stateDir() + "/sw: " + std::strerror(errno));
    context.uid = st.st_uid;
    context.gid = st.st_gid;
    std::printf("lab network namespace: %s (%s); lab uid %u\n", context.netnsPath().c_str(),
                fs::read_symlink(context.netnsPath(), ec).c_str(), unsigned(context.uid));
  }

  // The anchors' switches and NICs: destroyed (NICs removed, switches stopped) before the lab.
  std::vector<std::unique_ptr<Anchor>> anchors;
  int status = 0;
  const std::string anchorDir = lab.stateDir() + "/sw/anchor";
  for (Row& r : rows) {
    if (!r.note.empty())
      continue;
    const Path& p = *r.path;
    try {
      if (p.isAnchor()) {
        if (!fs::exists(anchorDir)) {
          if (::mkdir(anchorDir.c_str(), 0700) != 0 || ::chown(anchorDir.c_str(), context.uid, context.gid) != 0)
            throw std::runtime_error("prepare " + anchorDir + ": " + std::strerror(errno));
        }
        auto anchor = std::make_unique<Anchor>();
        anchor->sw = std::make_unique<AnchorSwitch>(p.anchorSwitch, *findExecutable(p.anchorSwitch), *nsenter, context,
                                                    anchorDir);
        std::printf("%s: pid %d, control socket %s\n", p.anchorSwitch.c_str(), int(anchor->sw->pid()),
                    anchor->sw->ctl().c_str());
        // Locally administered MACs, one pair per anchor.
        const std::string macBase = p.anchorSwitch == "uml_switch" ? "02:00:5e:67:01:" : "02:00:5e:67:02:";
        anchor->nics.push_back(std::make_unique<HotPlugNic>(lab, context, p.client, p.iface, macBase + "01",
                                                            anchor->sw->ctl(), p.clientCidr));
        anchor->nics.push_back(std::make_unique<HotPlugNic>(lab, context, p.server, p.iface, macBase + "02",
                                                            anchor->sw->ctl(), p.serverCidr));
        anchors.push_back(std::move(anchor));
      }
      checkReachable(lab, p);
      std::printf("%-24s %s -> %s (%s) reachable\n", p.label.c_str(), p.client.c_str(), p.server.c_str(),
                  p.serverIp.c_str());
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      r.note = std::string("failed: ") + e.what();
      std::printf("%-24s %s\n", p.label.c_str(), r.note.c_str());
      status = 1;
    }
    std::fflush(stdout);
  }

  int port = kFirstPort;
  for (int round = 1; round <= opt.repeat; ++round) {
    for (Row& r : rows) {
      checkStop();
      if (!r.note.empty())
        continue;
      try {
        const Sample s = measure(lab, *r.path, port++, opt.seconds);
        r.samples.push_back(s);
        std::printf("round %d/%d  %-24s %9.1f Mbit/s  %6.0f retransmits  %6s frames dropped by the sender\n", round,
                    opt.repeat, r.path->label.c_str(), s.mbps, s.retransmits,
                    s.txDropped ? std::to_string(*s.txDropped).c_str() : "?");
      } catch (const Interrupted&) {
        throw;
      } catch (const std::exception& e) {
        r.note = std::string("failed: ") + e.what();
        std::printf("round %d/%d  %-24s %s\n", round, opt.repeat, r.path->label.c_str(), r.note.c_str());
        status = 1;
      }
      std::fflush(stdout);
    }
  }

  std::printf("load average (1 min) after the runs: %s\n", loadAverage().c_str());
  if (const size_t others = otherUmlProcesses())
    std::printf("warning: %zu UML processes of other labs or tests are running\n", others);

  // What the switches dropped, for reading the retransmits.
  std::string drops;
  try {
    const runtime::LabStatus status = lab.status();
    for (const char* segment : {"sd", "sb"})
      if (const std::optional<uint64_t> d = switchDrops(status, segment))
        drops += std::string(drops.empty() ? "" : ", ") + "umlab-switchd " +
                 (std::string(segment) == "sd" ? "daemon" : "bess") + " segment dropped " + std::to_string(*d) +
                 " frames";
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception&) {
  }
  for (const auto& a : anchors)
    if (a->sw && a->sw->outputTail().find("send_sock") != std::string::npos)
      drops += std::string(drops.empty() ? "" : ", ") + "uml_switch failed " + std::to_string(a->sw->sendFailures()) +
               " sends (EAGAIN: frame dropped)";
  for (const auto& a : anchors)
    if (a->sw && !a->sw->isAlive()) {
      std::printf("warning: an anchor switch (pid %d) exited during the run: %s\n", int(a->sw->pid()),
                  a->sw->outputTail().c_str());
      status = 1;
    }

  const Row* anchor = nullptr;
  for (const Row& r : rows)
    if (r.path->key == "uml_switch" && r.median())
      anchor = &r;
  const unsigned cpus = unsigned(::sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("\n%-24s %11s %9s %9s %12s %10s %13s\n", "path", "Mbit/s", "min", "max", "retransmits", "tx drops",
              "vs uml_switch");
  for (const Row& r : rows) {
    const std::optional<Sample> m = r.median();
    if (!m) {
      std::printf("%-24s %s\n", r.path->label.c_str(), r.note.c_str());
      continue;
    }
    double lo = r.samples.front().mbps, hi = lo;
    for (const Sample& s : r.samples) {
      lo = std::min(lo, s.mbps);
      hi = std::max(hi, s.mbps);
    }
    char ratio[32] = "-";
    if (anchor && anchor->median()->mbps > 0)
      std::snprintf(ratio, sizeof ratio, "%.2fx", m->mbps / anchor->median()->mbps);
    std::printf("%-24s %11.1f %9.1f %9.1f %12.0f %10s %13s%s%s\n", r.path->label.c_str(), m->mbps, lo, hi,
                m->retransmits, m->txDropped ? std::to_string(*m->txDropped).c_str() : "?",
                ratio, r.note.empty() ? "" : "  ", r.note.c_str());
  }
  std::printf("(Mbit/s: iperf3's end.sum_received, guest to guest over TCP, median of %d runs of %d s; min, max: of\n"
              " those runs; retransmits, and tx drops (frames the sending guest's NIC dropped, its tx_dropped), of the\n"
              " median run. The host has %u CPUs online: all %zu guests (idle ones included), the switches and both\n"
              " iperf3 ends share them.)\n",
              opt.repeat, opt.seconds, cpus, guests);
  if (!drops.empty())
    std::printf("(%s)\n", drops.c_str());
  std::fflush(stdout);

  anchors.clear(); // NICs out, switches stopped, then the lab goes down (Lab's destructor)
  return status;
}

} // namespace

int main(int argc, char** argv) {
  Options opt;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    }
    if (a == "--repeat" && i + 1 < argc) {
      opt.repeat = positiveInt("--repeat", argv[++i]);
    } else if (a == "--seconds" && i + 1 < argc) {
      opt.seconds = positiveInt("--seconds", argv[++i]);
    } else if (a == "--only" && i + 1 < argc) {
      only = std::string(",") + argv[++i] + ",";
    } else {
      std::fprintf(stderr, "bench_guest_tcp: unknown argument '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  for (const Path& p : allPaths())
    if (only.empty() || only.find("," + p.key + ",") != std::string::npos)
      opt.paths.push_back(&p);
  if (!only.empty()) {
    // Every name in --only must be a path.
    size_t start = 1;
    for (size_t comma; (comma = only.find(',', start)) != std::string::npos; start = comma + 1) {
      const std::string name = only.substr(start, comma - start);
      if (!name.empty() && std::none_of(allPaths().begin(), allPaths().end(), [&](const Path& p) { return p.key == name; })) {
        std::fprintf(stderr,
                     "bench_guest_tcp: --only: unknown path '%s' (switchd-daemon, switchd-bess, mcast, uml_switch, "
                     "vde_switch)\n",
                     name.c_str());
        return 2;
      }
    }
  }
  if (opt.paths.empty()) {
    std::fprintf(stderr, "bench_guest_tcp: --only selects no path\n");
    return 2;
  }

  if (::geteuid() != 0) {
    std::fprintf(stderr, "bench_guest_tcp: needs root (the lab runs in its own network namespace)\n");
    return 1;
  }
  const std::string image = cacheDir() + "/images/debian/rootfs.img";
  if (::access(image.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "bench_guest_tcp: the base image %s is missing; build it with 'umlab image build'\n",
                 image.c_str());
    return 1;
  }
  // umlab-switchd, umlab-init and umlab-agent are found beside this executable; the launcher
  // names whichever is missing.
  const std::string self = fs::canonical("/proc/self/exe").string();

  if (::pipe2(gStopPipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::perror("bench_guest_tcp: pipe");
    return 1;
  }
  struct sigaction sa{};
  sa.sa_handler = onSignal;
  // Restarted: the runtime library's calls need not expect EINTR; pauses poll the stop pipe.
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::printf("bench_guest_tcp: iperf3 -t %d, median of %d rounds; host has %ld CPUs online, shared by every guest, "
              "switch and iperf3\n",
              opt.seconds, opt.repeat, ::sysconf(_SC_NPROCESSORS_ONLN));
  std::fflush(stdout);
  try {
    return runBench(opt, self);
  } catch (const Interrupted&) {
    std::fprintf(stderr, "bench_guest_tcp: interrupted\n");
    return 130;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_guest_tcp: %s\n", e.what());
    return 1;
  }
}
