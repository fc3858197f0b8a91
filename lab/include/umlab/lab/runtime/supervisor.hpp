#pragma once
/// The per-lab supervisor (DESIGN.md §5): the parent of a lab's switches and guests. It runs in
/// the lab's network namespace, holds each guest's console (a pty, logged to log/<node>.log) and
/// agent channel (a socketpair on the guest's serial line 1), reaps everything it started, and
/// answers `ps`, `exec`, `console` and `down` on the lab's control socket (lab_state.hpp).
///
/// Shape: one thread, one poll() loop over the signalfd, the control listener, every guest's
/// agent and console fd, and every client; all fds non-blocking, all writes buffered. A slow
/// client never blocks a guest's console; output for exec clients is bounded per client.
///
/// Confinement: guest root is untrusted, and Debian's UML has hostfs built in, whose `hostfs=`
/// prefix does not stop `..` (UML.md §8). So every UML process runs as the lab's own
/// unprivileged uid (`labUid`, no other process has it) in a mount namespace whose root shows
/// only /usr (read-only, with the /lib, /bin... symlinks), a few device nodes, the base image
/// (read-only), the lab's state directory, and private tmpfs /tmp and /dev/shm for UML's memory
/// file. Switches (umlab-switchd, one per switch or hub segment and point-to-point link, as the
/// plan says) run as the same uid in the same kind of jail, so guests may use their sockets.
///
/// Readiness: a guest is ready when its agent says HELLO. `up` learns of progress through a
/// pipe: one line per event, then "READY" or "FAILED <reason>". On failure, or when `down`
/// arrives, every process group is killed and reaped and the state directory is removed
/// (COW files are kept on request).

#include "umlab/lab/compile/plan.hpp"

#include <chrono>
#include <string>

namespace umlab::lab::runtime {

struct SupervisorOptions {
  std::string stateRoot;
  std::chrono::seconds bootTimeout{180};
  bool confine = true; ///< run UML as the lab's uid in a private mount namespace
};

/// The unprivileged uid (and gid) a lab's processes run as: 100000 + a hash of the lab name
/// modulo 50000, a range no Debian account uses.
unsigned labUid(const std::string& lab);

/// Runs `plan` until `down`. Call in a fresh child process: it moves the process into a new
/// network namespace and session. Returns the exit status for that process.
int runSupervisor(const LaunchPlan& plan, const SupervisorOptions& options, int progressFd);

} // namespace umlab::lab::runtime
