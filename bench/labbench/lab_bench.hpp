#pragma once
/// What the benches that boot real guests share (bench_guest_tcp, bench_traffic): a temporary
/// lab started in-process through the runtime library, stopping on SIGINT/SIGTERM between steps,
/// guest commands and counters, and the host's figures around a run.
///
/// Design notes
/// ------------
/// The lab. `BenchLab` owns a temporary directory with a private state root in it (traversable
/// by the lab's uid, for the anchor switches of anchor_switch.hpp), compiles a generated topology
/// (lab::compileFile, lab::plan) and starts it with the runtime's Launcher; it reaches the lab
/// through LabClient (exec, status, down) and never runs `umlab`. Its destructor stops the lab:
/// LabClient::down, cleanCrashed when that fails, and when the supervisor does not answer at all,
/// SIGTERM to it, then cleanCrashed. The temporary directory is removed only when the lab is known
/// to be stopped; otherwise it is kept and named, for `umlab clean`.
///
/// Stopping. SIGINT and SIGTERM (installed by `runBenchMain`) set a flag and write to a pipe:
/// the launch checks the flag at each progress line the supervisor reports, guest commands when
/// they end (LabClient::exec cannot be cancelled), and `pause` returns at once. `Interrupted` is
/// thrown from those points; clean-up never checks the flag, so it runs to the end. (A signal
/// handler can only reach a global: the flag and the pipe are the one global state here.)
#include "umlab/base/temp_dir.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/lab_status.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

namespace umlab::bench {

// ---- stopping ------------------------------------------------------------------------------

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

/// Throws Interrupted when a stop signal came.
void checkStop();
/// Sleeps `d`, or throws Interrupted as soon as a stop signal comes.
void pause(std::chrono::milliseconds d);

/// The frame of a bench's main: needs root and the base image (else a message saying what to
/// do, exit 1), installs the stop signals, runs `body` and turns Interrupted into exit 130 and
/// any other exception into a message and exit 1. `tool` prefixes the messages.
int runBenchMain(const std::string& tool, const std::function<int()>& body);

// ---- guest commands ------------------------------------------------------------------------

/// What a guest command (LabClient::exec) did.
struct Output {
  int exitCode = -1;  ///< ExecResult::exitCode: 124 after the timeout, -1 when the lab broke off
  std::string text;   ///< stdout and stderr, merged as they came, whole
  std::string error;  ///< ExecResult::error: why there is no exit code of the command's own
  bool isSuccess() const { return exitCode == 0; }
  /// "exited with status 2", or the runtime's reason ("... timed out after 30s and was killed").
  std::string describe() const;
  /// The last `n` lines, for messages.
  std::string tail(size_t n = 8) const;
};

std::string joined(const std::vector<std::string>& argv);

// ---- the lab -------------------------------------------------------------------------------

/// The lab's network namespace and unprivileged uid, for what a bench adds to it.
struct LabContext {
  pid_t nsPid = -1; ///< a process in the lab's network namespace (the supervisor), for nsenter
  uid_t uid = 0;    ///< the uid the lab's guests run as (the owner of its subdirectories)
  gid_t gid = 0;
  std::string netnsPath() const { return "/proc/" + std::to_string(nsPid) + "/ns/net"; }
};

/// A lab started in-process in a private state root inside the temporary directory it owns
/// (see the design notes).
class BenchLab {
public:
  /// `tool` prefixes messages; `name` is the lab's name; `tempPrefix` names the temporary directory.
  BenchLab(std::string tool, std::string name, const std::string& tempPrefix);
  BenchLab(const BenchLab&) = delete;
  BenchLab& operator=(const BenchLab&) = delete;
  ~BenchLab();

  const std::string& name() const { return name_; }
  std::string stateDir() const { return stateRoot_ + "/" + name_; }
  /// A path in the temporary directory, outside the state root.
  std::string workFile(const std::string& fileName) const { return work_->file(fileName); }
  const lab::runtime::LabClient& client() const { return client_; }

  /// Writes `yaml` to the temporary directory, compiles it and starts it; returns once every
  /// guest is ready. Throws with the launcher's reason, or Interrupted.
  void up(const std::string& yaml, std::chrono::seconds bootTimeout);
  /// Stops the lab, once; true when it is known to be stopped (or never started).
  bool down() noexcept;

  /// Runs ARGV in NODE through LabClient::exec, SIGKILLed after `timeoutSeconds`. `cancellable`:
  /// a stop signal that came meanwhile throws Interrupted once it ends (it cannot end it sooner).
  /// Safe to call from several threads at once.
  Output exec(const std::string& node, const std::vector<std::string>& argv, int timeoutSeconds = 30,
              bool cancellable = true) const;
  /// As `exec`, and a failure is an exception that names the node and the command.
  void execChecked(const std::string& node, const std::vector<std::string>& argv) const;

  lab::runtime::LabStatus status() const { return client_.status(name_); }
  /// The running lab's namespace and uid; throws when it is not running in a namespace of its own.
  LabContext context() const;
  /// The path of NODE's mconsole socket, and the directory its replies come to (kernel/mconsole.hpp).
  std::string mconsolePath(const std::string& node) const;
  std::string mconsoleReplyDir() const { return stateDir() + "/uml"; }
  /// Where the anchor switches' sockets go: under the lab's switch directory, which every guest's
  /// jail shows at the same path (the jail shows the lab's subdirectories, not the state
  /// directory itself: lab_state.hpp, kLabSubdirectories).
  std::string anchorDir() const { return stateDir() + "/sw/anchor"; }

private:
  bool cleanIfCrashed() noexcept;

  std::string tool_;
  std::string name_;
  std::string self_; ///< this executable: umlab-switchd, umlab-init and umlab-agent are beside it
  std::unique_ptr<TempDir> work_;
  std::string stateRoot_;
  lab::runtime::LabClient client_;
  bool isUpAttempted_ = false;
  bool isDown_ = false;
};

/// NODE's statistics counters of IFACE (/sys/class/net/IFACE/statistics/NAME), in the order of
/// `names`, read with one guest command; nullopt when any is missing.
std::optional<std::vector<uint64_t>> nicCounters(const BenchLab& lab, const std::string& node, const std::string& iface,
                                                 const std::vector<std::string>& names);

/// A few pings from `from` to `ip` (ARP, and a check that the path carries traffic); throws
/// when none is answered.
void checkReachable(const BenchLab& lab, const std::string& from, const std::string& ip);

// ---- iperf3 --------------------------------------------------------------------------------

struct IperfResult {
  double mbps = 0;        ///< end.sum_received.bits_per_second: what the server received
  double bytes = 0;       ///< end.sum_received.bytes
  double retransmits = 0; ///< end.sum_sent.retransmits
  int64_t startedNs = 0;  ///< with a start time: when iperf3 started, by the guest's CLOCK_REALTIME
};

/// Starts `iperf3 -s -1 -D -p PORT` in `server`: one test, then it exits. Every run should use
/// a fresh port, so a server left over by a failed run never answers a later one.
void startIperfServer(const BenchLab& lab, const std::string& server, int port);
/// Runs `iperf3 -c IP -p PORT -t SECONDS -J` in `client` and reads its report; "connection
/// refused" (the daemonised server not listening yet) is retried. Throws naming the pair.
/// `startAtNs` (not 0): the command waits in the guest until that CLOCK_REALTIME (a UML guest's
/// clock is the host's), so that clients whose commands arrive at different times start together.
IperfResult runIperfClient(const BenchLab& lab, const std::string& client, const std::string& serverIp, int port,
                           int seconds, int64_t startAtNs = 0);

// ---- iperf3's JSON -------------------------------------------------------------------------

/// The number after the last of `keys`, each searched after the previous one: enough for
/// iperf3's report, whose "end" object holds "sum_sent" then "sum_received".
std::optional<double> jsonNumber(const std::string& json, const std::vector<std::string>& keys);
/// The top-level "error" string of an iperf3 report, if any.
std::optional<std::string> jsonError(const std::string& json);

// ---- the host ------------------------------------------------------------------------------

/// UML processes of other labs or tests (umid not "<lab>."): they compete for the CPUs.
size_t otherUmlProcesses(const std::string& lab);
/// The 1-minute load average, as /proc/loadavg has it.
std::string loadAverage();
/// utime + stime of process `pid` in seconds (/proc/PID/stat), or nullopt when it is gone.
std::optional<double> processCpuSeconds(pid_t pid);

/// The host's CPU time, all CPUs (/proc/stat), for a busy share between two readings.
struct HostCpu {
  uint64_t busy = 0, total = 0; ///< clock ticks; idle and iowait are not busy
  static HostCpu now();
  /// The busy share of the CPUs from `before` to this reading, in percent.
  double busyPercentSince(const HostCpu& before) const;
};

/// A whole number from 1 to 3600 given to FLAG; else a message and exit 2.
int positiveInt(const std::string& tool, const char* flag, const char* text);

} // namespace umlab::bench
