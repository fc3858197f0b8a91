#pragma once
/// The processes of one running lab and the order they start and stop in. The supervisor owns
/// one `LabProcesses`; tests drive it with `FakeProcessRunner` (base/process_runner.hpp).
///
/// Order (DESIGN.md §3): switches first, each up (its sockets exist) before the next, because
/// later switches join earlier ones and guests connect at boot; then the host's tap devices;
/// then guests, each when the guests it `depends-on` are ready (the hooks defer it). A failure at any step stops everything started so far, and nothing is left.
/// Teardown runs the other way: every guest (one grace period for all of them), then every
/// switch; the hooks release what sits between (taps) after the guests.

#include "umlab/base/process_runner.hpp"
#include "umlab/lab/compile/plan.hpp"

#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

enum class ProcessRole { Switch, Guest };

/// What the supervisor does around each start: build the process spec (fds, jail) and wait for
/// what makes a process usable. Throwing from any hook stops the launch.
class LaunchHooks {
public:
  virtual ~LaunchHooks() = default;
  virtual ProcessSpec switchSpec(const SwitchPlan& plan) = 0;
  /// Returns once the switch's sockets exist (or throws).
  virtual void switchStarted(const SwitchPlan& plan, const ProcessId& id) = 0;
  /// Between the switches and the guests: the host's tap devices.
  virtual void beforeGuests() = 0;
  /// True to leave a guest out of `startAll` (it waits for the guests it depends on); the
  /// hooks start it later with `LabProcesses::start`.
  virtual bool isGuestDeferred(const GuestPlan&) { return false; }
  virtual ProcessSpec guestSpec(const GuestPlan& plan) = 0;
  virtual void guestStarted(const GuestPlan& plan, const ProcessId& id) = 0;
  /// After every guest has stopped, before the switches stop.
  virtual void afterGuestsStopped() = 0;
};

class LabProcesses {
public:
  struct Entry {
    ProcessRole role;
    std::string name; ///< the segment or node name
    ProcessId id;
    bool isReaped = false;
    ExitStatus status;
  };

  explicit LabProcesses(ProcessRunner& runner) : runner_(runner) {}
  /// Stops whatever is still running.
  ~LabProcesses() { stopAll(nullptr); }
  LabProcesses(const LabProcesses&) = delete;
  LabProcesses& operator=(const LabProcesses&) = delete;

  /// Starts the plan's switches and guests in order (see the header). On failure everything
  /// started is stopped (guests, `hooks.afterGuestsStopped()`, switches) and the error rethrown.
  void startAll(const LaunchPlan& plan, LaunchHooks& hooks);
  /// Starts one more process (apply, restart).
  const Entry& start(ProcessRole role, const std::string& name, const ProcessSpec& spec);
  /// Records what `ProcessRunner::reapEnded` reported; the entry of `pid`, or null when the pid
  /// is not one of the lab's (an orphan of a UML helper).
  const Entry* markEnded(pid_t pid, ExitStatus status);
  /// Stops one process (its whole group) and forgets it.
  void stop(ProcessRole role, const std::string& name);
  /// SIGKILLs one process's group at once, without waiting (a node's power cut, or a power-off
  /// that ran out of time); its end comes through `markEnded` as any other.
  void kill(ProcessRole role, const std::string& name);
  /// Forgets a process that has ended (`markEnded`), so that teardown does not signal its pid,
  /// which the kernel may hand out again, and the name can start anew (a stopped node's start).
  void forgetEnded(ProcessRole role, const std::string& name);
  /// Guests, then `hooks->afterGuestsStopped()` (when given), then switches.
  void stopAll(LaunchHooks* hooks);

  const Entry* find(ProcessRole role, const std::string& name) const;
  const std::vector<Entry>& entries() const { return entries_; }

private:
  void stopRole(ProcessRole role);

  ProcessRunner& runner_;
  std::vector<Entry> entries_;
};

} // namespace umlab::lab::runtime
