// The shared part of the guest benches: see lab_bench.hpp.
#include "lab_bench.hpp"

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/process.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/launcher.hpp"
#include "umlab/lab/runtime/process_info.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace umlab::bench {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace runtime = umlab::lab::runtime;

// ---- stopping ------------------------------------------------------------------------------

namespace {

int gStopPipe[2] = {-1, -1};
std::atomic<bool> gStop{false};

extern "C" void onSignal(int) {
  gStop.store(true);
  const char c = 's';
  [[maybe_unused]] const ssize_t n = ::write(gStopPipe[1], &c, 1);
}

std::string cacheDir() {
  if (const char* d = std::getenv("UMLAB_CACHE_DIR"); d && *d)
    return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d)
    return std::string(d) + "/umlab";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.cache/umlab";
}

} // namespace

void checkStop() {
  if (gStop.load())
    throw Interrupted();
}

void pause(std::chrono::milliseconds d) {
  pollfd p{gStopPipe[0], POLLIN, 0};
  if (::poll(&p, 1, int(d.count())) > 0 || gStop.load())
    throw Interrupted();
}

int runBenchMain(const std::string& tool, const std::function<int()>& body) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "%s: needs root (the lab runs in its own network namespace)\n", tool.c_str());
    return 1;
  }
  const std::string image = cacheDir() + "/images/debian/rootfs.img";
  if (::access(image.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "%s: the base image %s is missing; build it with 'umlab image build'\n", tool.c_str(),
                 image.c_str());
    return 1;
  }
  if (::pipe2(gStopPipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::fprintf(stderr, "%s: pipe: %s\n", tool.c_str(), std::strerror(errno));
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
  try {
    return body();
  } catch (const Interrupted&) {
    std::fprintf(stderr, "%s: interrupted\n", tool.c_str());
    return 130;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", tool.c_str(), e.what());
    return 1;
  }
}

// ---- guest commands ------------------------------------------------------------------------

std::string Output::describe() const { return error.empty() ? ExitStatus{exitCode, 0}.describe() : error; }

std::string Output::tail(size_t n) const {
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

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv)
    s += (s.empty() ? "" : " ") + a;
  return s;
}

// ---- the lab -------------------------------------------------------------------------------

namespace {

/// The launch's progress, unprinted (only a failure is shown); a stop signal ends the launch at
/// the next line. Thrown before the supervisor is forked, Interrupted leaves nothing (the launcher
/// removes the state directory); after, the supervisor runs on and BenchLab's destructor stops it
/// (its control socket listens before it reports anything).
class StopBetweenSteps final : public runtime::LaunchProgress {
public:
  explicit StopBetweenSteps(std::string tool) : tool_(std::move(tool)) {}
  void step(const std::string&) override { checkStop(); }
  void warning(const std::string& line) override {
    std::fprintf(stderr, "%s: warning: %s\n", tool_.c_str(), line.c_str());
  }

private:
  std::string tool_;
};

} // namespace

BenchLab::BenchLab(std::string tool, std::string name, const std::string& tempPrefix)
    : tool_(std::move(tool)), name_(std::move(name)), self_(fs::canonical("/proc/self/exe").string()),
      work_(std::make_unique<TempDir>(tempPrefix)), stateRoot_(work_->file("state")), client_(stateRoot_) {
  // Traversable by the lab's uid: the anchor switches run as that uid in the host's mount
  // namespace and create their sockets in the lab's state directory.
  if (::chmod(work_->path().c_str(), 0711) != 0 || ::mkdir(stateRoot_.c_str(), 0711) != 0)
    throw std::runtime_error("prepare " + stateRoot_ + ": " + std::strerror(errno));
}

BenchLab::~BenchLab() {
  if (!down()) {
    std::fprintf(stderr,
                 "%s: lab '%s' may still be running; its state is kept in %s: stop it with\n"
                 "  UMLAB_STATE_DIR=%s umlab clean %s\n",
                 tool_.c_str(), name_.c_str(), stateDir().c_str(), stateRoot_.c_str(), name_.c_str());
    (void)work_.release(); // keep the directory: the lab may still use it
  }
}

void BenchLab::up(const std::string& yaml, std::chrono::seconds bootTimeout) {
  const std::string file = workFile(name_ + ".yaml");
  std::ofstream(file) << yaml;
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
  options.bootTimeout = bootTimeout;
  options.guestBinDir = runtime::guestBinDir(self_);
  StopBetweenSteps progress(tool_);
  isUpAttempted_ = true;
  runtime::Launcher(progress).launch(*plan, options);
  // The launcher makes the state root private (0700); the anchor switches, which run as the
  // lab's uid outside the guests' jails, must traverse it to the lab's switch directory.
  if (::chmod(stateRoot_.c_str(), 0711) != 0)
    throw std::runtime_error("chmod " + stateRoot_ + ": " + std::strerror(errno));
}

bool BenchLab::down() noexcept {
  if (!isUpAttempted_ || isDown_)
    return true;
  isDown_ = true;
  std::error_code ec;
  if (!fs::exists(stateDir(), ec))
    return true; // the launch failed or was interrupted before the supervisor: nothing runs
  std::printf("stopping lab '%s'\n", name_.c_str());
  std::fflush(stdout);
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      // Stops everything the lab recorded (the supervisor included, should it linger) and
      // removes its state; a crashed lab's leftovers likewise.
      client_.down(name_);
      return true;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: stopping lab '%s': %s\n", tool_.c_str(), name_.c_str(), e.what());
    }
    if (!fs::exists(stateDir(), ec) || cleanIfCrashed())
      return true;
    std::this_thread::sleep_for(2s);
  }
  // The supervisor lives but does not answer: SIGTERM makes it stop the lab.
  std::optional<runtime::ProcessEntry> supervisor;
  try {
    supervisor = runtime::LabState(stateRoot_, name_).liveSupervisor();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: lab '%s': %s\n", tool_.c_str(), name_.c_str(), e.what());
  }
  if (supervisor) {
    std::fprintf(stderr, "%s: sending SIGTERM to the lab's supervisor, pid %d\n", tool_.c_str(),
                 int(supervisor->id.pid));
    signalIfSame(supervisor->id, SIGTERM);
    for (int i = 0; i < 300 && processStartTime(supervisor->id.pid) == supervisor->id.startTime; ++i)
      std::this_thread::sleep_for(100ms);
  }
  return !fs::exists(stateDir(), ec) || cleanIfCrashed();
}

bool BenchLab::cleanIfCrashed() noexcept {
  try {
    return client_.cleanCrashed(name_).has_value();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: cleaning lab '%s': %s\n", tool_.c_str(), name_.c_str(), e.what());
    return false;
  }
}

Output BenchLab::exec(const std::string& node, const std::vector<std::string>& argv, int timeoutSeconds,
                      bool cancellable) const {
  Output out;
  runtime::ExecOptions options;
  options.timeout = std::chrono::seconds(timeoutSeconds);
  // Collected here, whole: an iperf3 JSON report of a long run outgrows ExecOptions::maxCollected.
  options.onStdout = options.onStderr = [&](const std::string& data) { out.text += data; };
  const runtime::ExecResult r = client_.exec(name_, node, argv, options);
  if (cancellable)
    checkStop();
  out.exitCode = r.exitCode;
  out.error = r.error;
  return out;
}

void BenchLab::execChecked(const std::string& node, const std::vector<std::string>& argv) const {
  const Output o = exec(node, argv);
  if (!o.isSuccess())
    throw std::runtime_error(node + ": '" + joined(argv) + "' " + o.describe() + ": " + o.tail(3));
}

LabContext BenchLab::context() const {
  const runtime::LabStatus s = status();
  if (s.state != "running" || s.supervisorPid <= 0)
    throw std::runtime_error("lab '" + name_ + "' is " + s.state + " (supervisor pid " +
                             std::to_string(s.supervisorPid) + ") right after it started");
  LabContext context;
  context.nsPid = pid_t(s.supervisorPid);
  std::error_code ec;
  if (fs::read_symlink(context.netnsPath(), ec) == fs::read_symlink("/proc/self/ns/net", ec))
    throw std::runtime_error("the lab's supervisor (pid " + std::to_string(context.nsPid) +
                             ") runs in the host's network namespace");
  // The state directory itself is root's; its subdirectories belong to the lab's uid.
  struct stat st{};
  const std::string sw = stateDir() + "/sw";
  if (::stat(sw.c_str(), &st) != 0)
    throw std::runtime_error("stat " + sw + ": " + std::strerror(errno));
  context.uid = st.st_uid;
  context.gid = st.st_gid;
  return context;
}

std::string BenchLab::mconsolePath(const std::string& node) const {
  return stateDir() + "/uml/" + name_ + "." + node + "/mconsole";
}

std::optional<std::vector<uint64_t>> nicCounters(const BenchLab& lab, const std::string& node, const std::string& iface,
                                                 const std::vector<std::string>& names) {
  std::vector<std::string> argv = {"cat"};
  for (const std::string& n : names)
    argv.push_back("/sys/class/net/" + iface + "/statistics/" + n);
  const Output o = lab.exec(node, argv);
  if (!o.isSuccess() || o.text.find_first_not_of("0123456789\n") != std::string::npos)
    return std::nullopt;
  std::vector<uint64_t> values;
  std::istringstream in(o.text);
  for (uint64_t v; in >> v;)
    values.push_back(v);
  if (values.size() != names.size())
    return std::nullopt;
  return values;
}

void checkReachable(const BenchLab& lab, const std::string& from, const std::string& ip) {
  for (int attempt = 0;; ++attempt) {
    const Output o = lab.exec(from, {"ping", "-c", "1", "-W", "2", ip});
    if (o.isSuccess())
      return;
    if (attempt == 4)
      throw std::runtime_error(from + " cannot ping " + ip + ": " + o.tail(3));
    pause(500ms);
  }
}

// ---- iperf3 --------------------------------------------------------------------------------

void startIperfServer(const BenchLab& lab, const std::string& server, int port) {
  lab.execChecked(server, {"iperf3", "-s", "-1", "-D", "-p", std::to_string(port)});
}

IperfResult runIperfClient(const BenchLab& lab, const std::string& client, const std::string& serverIp, int port,
                           int seconds, int64_t startAtNs) {
  std::vector<std::string> argv = {"iperf3", "-c", serverIp, "-p", std::to_string(port), "-t", std::to_string(seconds),
                                   "-J"};
  if (startAtNs != 0) {
    // Sleeps until startAtNs, prints the time it starts on a line of its own, then iperf3.
    const std::string script = "d=$((" + std::to_string(startAtNs) +
                               " - $(date +%s%N))); if [ $d -gt 0 ]; then sleep $((d / 1000000000)).$(printf %09d "
                               "$((d % 1000000000))); fi; date +%s%N; exec " +
                               joined(argv);
    argv = {"sh", "-c", script};
  }
  std::string lastError;
  for (int attempt = 0; attempt < 25; ++attempt) {
    const Output o = lab.exec(client, argv, seconds + 60);
    if (auto bps = jsonNumber(o.text, {"end", "sum_received", "bits_per_second"}); bps && o.isSuccess()) {
      IperfResult r;
      r.mbps = *bps / 1e6;
      r.bytes = jsonNumber(o.text, {"end", "sum_received", "bytes"}).value_or(0);
      r.retransmits = jsonNumber(o.text, {"end", "sum_sent", "retransmits"}).value_or(0);
      if (startAtNs != 0)
        r.startedNs = std::strtoll(o.text.c_str(), nullptr, 10);
      return r;
    }
    const std::optional<std::string> error = jsonError(o.text);
    lastError = error ? *error : o.describe() + ": " + o.tail(3);
    // The daemonised server may not listen yet.
    if (!error || error->find("Connection refused") == std::string::npos)
      break;
    pause(200ms);
  }
  throw std::runtime_error("iperf3 " + client + " -> " + serverIp + ": " + lastError);
}

// ---- iperf3's JSON -------------------------------------------------------------------------

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

// ---- the host ------------------------------------------------------------------------------

size_t otherUmlProcesses(const std::string& lab) {
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
      if (arg.rfind("umid=" + lab + ".", 0) == 0)
        isOurs = true;
    n += isOurs ? 0 : 1;
  }
  return n;
}

std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string first;
  in >> first;
  return first;
}

std::optional<double> processCpuSeconds(pid_t pid) {
  if (::access(("/proc/" + std::to_string(pid) + "/stat").c_str(), F_OK) != 0)
    return std::nullopt;
  return umlab::lab::runtime::cpuSeconds({pid});
}

HostCpu HostCpu::now() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu; // "cpu": the sum over all CPUs
  HostCpu c;
  uint64_t v = 0;
  for (int k = 0; k < 8 && in >> v; ++k) { // user nice system idle iowait irq softirq steal
    c.total += v;
    if (k != 3 && k != 4)
      c.busy += v;
  }
  return c;
}

double HostCpu::busyPercentSince(const HostCpu& before) const {
  const uint64_t total = this->total - before.total;
  return total == 0 ? 0.0 : 100.0 * double(busy - before.busy) / double(total);
}

int positiveInt(const std::string& tool, const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (!end || *end || v < 1 || v > 3600) {
    std::fprintf(stderr, "%s: %s needs a whole number from 1 to 3600, not '%s'\n", tool.c_str(), flag, text);
    std::exit(2);
  }
  return int(v);
}

} // namespace umlab::bench
