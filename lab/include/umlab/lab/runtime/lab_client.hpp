#pragma once
/// The lab client: everything a front-end does to running labs, in-process (DESIGN.md §5.1).
/// The CLI, `umlab test`, the GUI and the benchmarks call it; none of them runs `umlab` again.
///
/// What goes where. Requests about guests and the lab's life (status, exec, console, events,
/// down, hot-plug, apply, node actions) go to the lab's supervisor as typed requests (lab_state.hpp). Requests
/// about a segment's traffic (link conditions, capture, replay) go straight to that segment's
/// umlab-switchd admin socket, found in the lab's plan (plan.json, read with the one reader), so
/// the supervisor never relays frames or waits on a switch; it sees the result in its next
/// counter refresh (and reports link changes as events).
///
/// Failures that the user must act on throw RuntimeError with a message that says what to do.

#include "umlab/base/json_value.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/replay/through_replay.hpp"
#include "umlab/lab/runtime/lab_event.hpp"
#include "umlab/lab/runtime/lab_status.hpp"
#include "umlab/lab/runtime/plan_diff.hpp"
#include "umlab/lab/runtime/user_namespace.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::lab::runtime {

struct ExecOptions {
  std::chrono::milliseconds timeout{0}; ///< 0: no limit; else SIGKILL after it (exit code 124)
  int stdinFd = -1;                     ///< forwarded to the command; -1: none
  std::function<void(const std::string&)> onStdout, onStderr; ///< empty: collected in the result
  size_t maxCollected = 1 << 20; ///< per stream, when collecting
  /// When this fd becomes readable (a pipe, an eventfd, a signalfd), the command is killed and
  /// `exec` returns at once (exit code -1, `error` says so). -1: never.
  int cancelFd = -1;
};

struct ExecResult {
  /// The command's exit code; 124 after the timeout, 126/127 when it could not be started,
  /// -1 when the connection to the lab broke before it ended (`error` says so).
  int exitCode = -1;
  std::string out, err; ///< collected output, when no callback was given
  std::string error;    ///< why there is no exit code of the command's own, for people
  bool isTimedOut = false;
  bool isRefused = false; ///< the lab or node could not take the command (no such node, not running)
};

struct DownResult {
  bool wasRunning = true;  ///< false: only leftovers of a crashed lab were removed
  size_t strayGroups = 0;  ///< process groups stopped after the supervisor was gone
};

/// What `LabClient::nodeAction` does to one node of a running lab.
enum class NodeAction {
  Stop,    ///< a clean power-off through the guest's init; its COW file kept; state "stopped"
  Start,   ///< boots a stopped (or dead) node from its kept COW file, with the same plan
  Restart, ///< Stop then Start: the guest keeps its changes
  Crash,   ///< SIGKILL to the guest's processes now (a power cut); state "dead (signal 9)"
};
/// "stop", "start", "restart", "crash": the protocol's and the CLI's word.
const char* nodeActionName(NodeAction action);
/// The action a word names; nullopt for any other word.
std::optional<NodeAction> parseNodeAction(std::string_view word);

struct ReplayOptions {
  double speed = 1; ///< 0: as fast as possible
  uint32_t loop = 1; ///< 0: until stopped
  std::string rewriteDst; ///< a MAC, or empty
};

/// `umlab replay LAB CAPTURE --through NODE` (replay/through_replay.hpp).
struct ThroughReplayRequest {
  std::string capture; ///< a pcap or pcapng file
  std::string node;
  replay::ThroughReplayOptions options; ///< its labAddresses are filled from the lab's plan
  /// When not empty: what the replay's port on each side saw and sent, as
  /// <dir>/<segment>.pcap (made if missing).
  std::string sideCaptureDir;
  /// Name the rule that decided each flow from the node's firewall counters, read through its
  /// agent before and after each flow's first packet (firewall_decision.hpp).
  bool rules = false;
};

class LabClient {
public:
  explicit LabClient(std::string stateRoot) : stateRoot_(std::move(stateRoot)) {}
  const std::string& stateRoot() const { return stateRoot_; }

  /// The labs with a state directory, sorted.
  std::vector<std::string> labs() const;
  /// True when the lab's supervisor is alive.
  bool isRunning(const std::string& lab) const;
  /// The lab's status; for a lab whose supervisor is gone, `state` is "crashed". Throws when
  /// there is no such lab.
  LabStatus status(const std::string& lab) const;
  /// The plan the lab runs (its plan.json).
  LaunchPlan plan(const std::string& lab) const;

  ExecResult exec(const std::string& lab, const std::string& node, const std::vector<std::string>& argv,
                  const ExecOptions& options = {}) const;
  /// A connection to the node's main console: raw bytes both ways.
  UniqueFd console(const std::string& lab, const std::string& node) const;
  /// Calls `onEvent` for each event (lab_event.hpp) until the lab goes down, `onEvent` returns
  /// false, or `cancelFd` (when not -1) becomes readable.
  void events(const std::string& lab, const std::function<bool(const LabEvent&)>& onEvent, int cancelFd = -1) const;

  /// Stops the lab and removes its state (COW files kept with `keep`); a crashed lab's
  /// leftovers are removed. Throws when there is no such lab.
  DownResult down(const std::string& lab, bool keep = false) const;
  /// Removes what a crashed lab left (its recorded processes and state). Returns the number of
  /// process groups stopped. A running lab is left alone (returns nullopt).
  std::optional<size_t> cleanCrashed(const std::string& lab) const;

  /// Hot-plugs NODE's interface IFACE (ethN) into SEGMENT (switch, hub or mcast); returns its MAC.
  std::string plug(const std::string& lab, const std::string& node, const std::string& iface, const std::string& segment,
                   const std::string& ip) const;
  void unplug(const std::string& lab, const std::string& node, const std::string& iface) const;

  /// Stops, starts, restarts or crashes NODE (NodeAction); returns when it is done: the node
  /// stopped (at most 20 s of power-off, then killed), ready again, or dead. Throws RuntimeError
  /// saying what to do when the lab refuses: no such node, a start of a running node, a stop of
  /// one that is not running, the lab starting or being changed by `apply`, a boot that failed.
  void nodeAction(const std::string& lab, const std::string& node, NodeAction action) const;

  /// The changes `apply` would make to take the running lab to `next`.
  PlanChanges planChanges(const std::string& lab, const LaunchPlan& next, const std::vector<std::string>& restart) const;
  /// Makes `changes` (from `planChanges`; the supervisor checks them again against what runs):
  /// writes the config disks of new and restarted nodes, then asks the supervisor.
  /// Throws (and changes nothing) when a change is refused. Returns the changes made, one line each.
  std::vector<std::string> apply(const std::string& lab, const LaunchPlan& next, const PlanChanges& changes,
                                 const std::vector<std::string>& restart, const std::string& guestBinDir) const;

  /// The admin socket of the lab's switch for SEGMENT; throws naming the lab's switch segments.
  std::string switchAdminPath(const std::string& lab, const std::string& segment) const;
  /// The mcast group and port of SEGMENT, when it is an mcast segment.
  std::optional<std::pair<std::string, uint16_t>> mcastGroup(const std::string& lab, const std::string& segment) const;
  /// Sends `set port PORT DIRECTION WORDS` (or `show ports` when `words` is empty) to the switch
  /// that has PORT; returns (segment, the switch's reply). Throws when no switch has it.
  std::pair<std::string, std::string> linkConditions(const std::string& lab, const std::string& port,
                                                     const std::string& direction, const std::string& words,
                                                     const std::optional<std::string>& seed) const;

  /// Starts playing CAPTURE into SEGMENT (the switch reads a copy in the lab's state).
  void startReplay(const std::string& lab, const std::string& segment, const std::string& capture,
                   const ReplayOptions& options) const;
  /// The frames sent so far, and whether the replay still runs.
  std::pair<long long, bool> replayProgress(const std::string& lab, const std::string& segment) const;
  void stopReplay(const std::string& lab, const std::string& segment) const;
  /// Plays a capture through NODE of the running lab and returns the verdict of every flow.
  /// Throws RuntimeError when the replay cannot start (no such lab or node, the node has fewer
  /// than two sides on switch segments, a lab placed on several hosts, a switch that refuses
  /// the replay's probe); a capture that cannot be read adds an error to `diags` (naming the
  /// file, and the frame when it breaks off midway) and returns the verdicts so far.
  replay::ReplayReport replayThrough(const std::string& lab, const ThroughReplayRequest& request,
                                     Diagnostics& diags) const;
  /// Starts the plan's replays (after `Launcher::launch`); throws naming the capture.
  void startPlannedReplays(const LaunchPlan& plan) const;

  /// Captures SEGMENT to `outFd` in pcap format while `keepGoing()` and until `duration` (0: no
  /// limit); returns the number of frames. A switch or hub segment is captured by its switch;
  /// an mcast segment by a member of its group inside the lab's network namespace.
  /// `last` > 0 instead writes what the switch's ring holds of the last `last` at once.
  long long capture(const std::string& lab, const std::string& segment, int outFd, std::chrono::milliseconds duration,
                    std::chrono::milliseconds last, const std::function<bool()>& keepGoing) const;
  /// Moves the calling process, which must be single-threaded, into the lab's network namespace
  /// (through its user namespace for a rootless lab: user_namespace.hpp), for `umlab host`; throws.
  void enterNetwork(const std::string& lab) const;
  /// The pid of the lab's live supervisor; throws when the lab is not running.
  pid_t supervisorPid(const std::string& lab) const;

private:
  /// Connects to the lab's supervisor and sends `request` (one JSON line); throws when the lab
  /// does not run.
  UniqueFd request(const std::string& lab, const std::string& requestJson) const;
  /// Reads the one-line reply; throws RuntimeError with the supervisor's error.
  JsonValue expectOk(int fd, const std::string& lab, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  /// The lab's captures/ directory, made and given to its switches' uid through `side`.
  std::string captureDir(const std::string& lab, const LabSide& side) const;
  /// `count` new sockets (`domain`, `type`) made in the lab's network namespace (through its user
  /// namespace for a rootless lab), usable from this process.
  std::vector<UniqueFd> socketsInLab(const std::string& lab, int domain, int type, size_t count) const;
  /// A UDP socket in the lab's network namespace, a member of `group` on lo.
  UniqueFd mcastListener(const std::string& lab, const std::string& group, uint16_t port) const;

  std::string stateRoot_;
};

/// "'NAME' is not a lab name" when `name` cannot be one; empty when it can.
std::string checkLabName(const std::string& name);

} // namespace umlab::lab::runtime
