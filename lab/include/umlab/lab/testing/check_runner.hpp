#pragma once
/// Running the checks of a tests file in a running lab, and what each found.
///
/// Design notes
/// ------------
/// A check does its work inside guests, through `LabAccess::exec` (the agent, no network), and
/// reads a segment's traffic through `LabAccess::segmentFrames` (the switch's capture ring).
/// Both are an interface so that the logic here (which commands, how their results read,
/// retries, evidence) is unit-tested with a scripted fake; `umlab test` gives the real one.
///
/// How each check decides:
///  - reach/blocked test the path, not a service: for tcp and udp, a listener is started on the
///    target for the check when nothing listens on that port. tcp: `nc -z` from the source;
///    udp: a datagram that the target's listener must receive; icmp: `ping`. `reach` retries
///    until it succeeds or its timeout ends; `blocked` passes when every attempt within a few
///    seconds fails.
///  - command: `sh -c RUN`; the exit status must be `exit` (0), and stdout hold `expect`.
///  - address / route / process: `ip -br addr show dev IFACE`, `ip route show TO`, `pgrep -x`.
///  - traffic: the segment's frames over the run (or the last `window`) through the pcap filter.
///  - replay: `LabAccess::replayThrough` plays the capture through the node (no retry: a replay
///    changes the firewall's connection state); each expectation must match at least one flow,
///    and every flow it matches must have its verdict. The evidence is the expectations' results
///    and the flow table.
/// Timing-dependent checks (everything but traffic) retry within their timeout.
///
/// Timed checks (test_spec.hpp) wait for their moment of the lab's timeline first: `at` starts
/// the check then, and its deadline is `at` + `within` (or its timeout); a check reached after its
/// deadline fails saying so (a lab that was already running). A traffic check with `from`/`to`
/// waits until `to` has passed, then keeps the frames whose capture time lies in the window.

#include "umlab/lab/model/topology.hpp"
#include "umlab/lab/replay/flow_report.hpp"
#include "umlab/lab/testing/test_spec.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::testing {

struct ExecResult {
  int exitCode = -1;  ///< -1: the command could not be run at all
  std::string out;
  std::string err;
};

class LabAccess {
public:
  virtual ~LabAccess() = default;
  /// Runs `script` with `sh -c` in `node`, killed after `timeout`.
  virtual ExecResult exec(const std::string& node, const std::string& script, Duration timeout) = 0;
  /// The frames `segment` carried in the last `window`; nullopt with `error` set when they
  /// cannot be read.
  virtual std::optional<std::vector<transports::PcapFrame>> segmentFrames(const std::string& segment, Duration window,
                                                                          std::string& error) = 0;
  /// Waits, up to `limit`, until no replay is playing into any segment, so that traffic checks
  /// see what the lab's replays sent. The default has no replays to wait for.
  virtual void waitForReplays(Duration limit) { (void)limit; }
  /// Plays `check`'s capture through its node, stopping after `timeout`; nullopt with `error`
  /// set when it cannot. The default cannot (a lab access without switches to join).
  virtual std::optional<replay::ReplayReport> replayThrough(const ReplayCheck& check, Duration timeout,
                                                            std::string& error) {
    (void)check;
    (void)timeout;
    error = "this lab cannot replay captures through a node";
    return std::nullopt;
  }
  /// Unix seconds of the lab's time 0 (the moment every guest was first ready), which timed
  /// checks and the lab's timeline count from; nullopt when the lab cannot say.
  virtual std::optional<double> timelineZero() { return std::nullopt; }
  /// Unix seconds now.
  virtual double now();
  /// Returns at `unixSeconds` (at once when it has passed).
  virtual void sleepUntil(double unixSeconds);
};

struct CheckOutcome {
  bool passed = false;
  std::string evidence; ///< what was run and what it showed, a few lines
  double seconds = 0;
};

/// The address `to` stands for: an address as is, NODE:IFACE's address, or NODE's first.
std::optional<std::string> targetAddress(const Topology& topology, const std::string& to);

/// Runs one check. `runWindow` is how long the test run has lasted (traffic checks without a
/// window look at all of it).
CheckOutcome runCheck(const Check& check, const Topology& topology, LabAccess& lab, Duration runWindow);

/// Whether `flow` matches the selector of `e` (its verdict aside).
bool matchesExpectation(const FlowExpectation& e, const replay::FlowRecord& flow);
/// Judges a replay's flows against a check's expectations: passed, and the evidence.
CheckOutcome judgeReplay(const ReplayCheck& check, const replay::ReplayReport& report);

/// One line per frame, e.g. "192.0.2.66 > 10.2.0.10 tcp 41922 > 23, 60 bytes", for evidence.
std::string summarizeFrame(const transports::PcapFrame& frame);

} // namespace umlab::lab::testing
