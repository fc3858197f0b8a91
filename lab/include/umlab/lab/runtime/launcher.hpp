#pragma once
/// The launcher: a plan in, a running lab out (DESIGN.md §5.1). Every front-end that starts a
/// lab (the CLI's `up`, `umlab test`, the GUI, the benchmarks) calls it in-process.
///
/// `launch` checks the host (root, the UML kernel, the switch daemon, the base images, /dev/net/tun),
/// makes the state directory (reusing COW files that `down --keep` kept), writes each node's
/// config disk, then forks the supervisor (supervisor.hpp), which detaches and becomes the
/// parent of the lab's processes. Progress lines arrive through `LaunchProgress` as the
/// supervisor reports them, until READY or FAILED. On any failure nothing is left: the
/// supervisor stops what it started, and the state directory is removed (except kept COW files).
/// Then the plan's replays are started (lab_client.hpp).

#include "umlab/lab/compile/plan.hpp"

#include <chrono>
#include <string>

namespace umlab::lab::runtime {

/// Where the launcher reports what happens; `step` lines are for people ("guest pc1 ready (2.1 s)").
class LaunchProgress {
public:
  virtual ~LaunchProgress() = default;
  virtual void step(const std::string& line) = 0;
  /// A problem that does not stop the lab (a replay that could not start).
  virtual void warning(const std::string& line) = 0;
};

struct LaunchOptions {
  std::string stateRoot;
  std::chrono::seconds bootTimeout{180};
  std::string guestBinDir; ///< umlab-init and umlab-agent (config_disk.hpp)
  /// A saved lab's directory (saved_labs.hpp) to boot from: its cow/<node>.cow files are copied
  /// (sparse) to the plan's COW paths and their headers pointed at the plan's base images when
  /// they name another file (a copy of the same build; the same file with another mtime is
  /// refused as for any COW file), its
  /// nodes/<node>/config.img are used instead of new config disks, and its captures/ files go
  /// into the lab's captures/. The caller checked that each base is the build those COW files
  /// were made on (saved_labs.hpp `findLocalBase`). Nothing in it is changed. Empty: a new lab.
  std::string resumeFrom;
  /// A resumed lab's timeline goes on from this point (ms after its time 0): the steps before it
  /// were played before the lab was saved. 0: from the start.
  int64_t timelineFromMs = 0;
};

struct LaunchResult {
  double seconds = 0;     ///< from the call to every guest ready
  bool reusedCow = false; ///< COW files kept by `down --keep` were used
};

class Launcher {
public:
  explicit Launcher(LaunchProgress& progress) : progress_(progress) {}
  /// Starts `plan`; returns once every guest is ready. Throws RuntimeError with the reason
  /// (a host check, the lab already running, a guest that failed to boot and its console's
  /// last lines).
  LaunchResult launch(const LaunchPlan& plan, const LaunchOptions& options);

private:
  LaunchProgress& progress_;
};

/// The host checks of `launch`, on their own: the kernel and switch daemon the plan's argv name,
/// the base images, /dev/net/tun for host links. Throws RuntimeError naming what is missing and
/// how to get it.
void checkHost(const LaunchPlan& plan);

/// The cheap host checks the lab depends on (host_checks.hpp `runLaunchChecks`: transports
/// against each node's kernel, memory, the guests' tmpfs, /dev/net/tun when needed): warnings go
/// to `progress`; any failure throws RuntimeError naming each failed check and its fix.
void checkLabHost(const LaunchPlan& plan, LaunchProgress& progress);

} // namespace umlab::lab::runtime
