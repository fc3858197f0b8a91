#pragma once
/// The per-lab supervisor (DESIGN.md §5): the parent of a lab's switches and guests. It runs in
/// the lab's network namespace, holds each guest's console (a pty, logged to log/<node>.log) and
/// agent channel (a socketpair on the guest's serial line 1), reaps everything it started, and
/// answers the control protocol (lab_state.hpp) on the lab's control socket.
///
/// Shape: one thread, one poll() loop over the signalfd, the control listener, every guest's
/// agent and console fd, every client, and the switches' admin sockets; all fds non-blocking,
/// all writes buffered. The loop never waits on a switch: every second it asks each switch for
/// its ports (`show ports`) without blocking and keeps the last answer, so `ps` is answered from
/// that cache at once, and a stopped or dead switch shows as "not answering" instead of
/// stalling consoles and exec. Guest sizes (PSS, a /proc walk) are refreshed a few guests per
/// second, also into the cache. The same refresh feeds `events`: node state changes, link
/// condition changes and per-port counters, as one JSON line each.
///
/// Hot-plug (`plug`/`unplug`) and `apply` are requests too: the supervisor is the guests' parent
/// and holds their agents, so it starts new processes, talks to mconsole, and configures the
/// new interface through the agent, then answers. The supervisor keeps the plan it runs in
/// memory and on disk (plan.json), rewritten after each change.
///
/// Node actions (`node`: stop, start, restart, crash) are steps of the same kind: a stop asks
/// the guest's init to power off through its agent and the loop runs on; the step ends when the
/// guest's process is reaped, or when a deadline checked in each round of the loop has passed
/// and its process group has been killed. A start boots the node's kept COW file with the same
/// plan and ends when its agent says HELLO. A crash is a SIGKILL to the process group, ended
/// by the reaping.
///
/// Confinement: guest root is untrusted, and Debian's UML has hostfs built in, whose `hostfs=`
/// prefix does not stop `..` (UML.md §8). So every UML process runs as the lab's own
/// unprivileged uid (`labUid`, no other process has it) in a mount namespace whose root shows
/// only /usr (read-only, with the /lib, /bin... symlinks), a few device nodes, the base image
/// (read-only), the lab's state directory, and private tmpfs /tmp and /dev/shm for UML's memory
/// file (jail.hpp). Switches run as the same uid in the same kind of jail.
///
/// Rootless: run by an ordinary user, the supervisor first enters a user namespace of the user's
/// own (user_namespace.hpp) that owns the lab's network namespace; everything above then happens
/// inside it, the lab's uid being a subordinate id of the user's (or the user, capabilities
/// dropped, when the user has none).
///
/// Boot slots: at most `bootConcurrency()` guests boot at once ($UMLAB_BOOT_CONCURRENCY, else 5
/// per CPU); the others wait, like guests waiting for their `depends-on`, and start in file order
/// as booting guests become ready. A booting UML kernel is CPU-bound and six ptraced host
/// processes: 100 started at once on 2 cores took 90 s, mostly host system time, against 47 s
/// ten at a time.
///
/// Readiness: a guest is ready when its agent says HELLO. The launcher learns of progress through
/// a pipe: one line per event, then "READY" or "FAILED <reason>". On failure, or when `down`
/// arrives, every process group is stopped and reaped and the state directory is removed
/// (COW files are kept on request).

#include "umlab/base/process_runner.hpp"
#include "umlab/lab/compile/plan.hpp"

#include <chrono>
#include <string>

namespace umlab::lab::runtime {

/// How many guests boot at once: $UMLAB_BOOT_CONCURRENCY, else 5 per online CPU (at least 4).
size_t bootConcurrency();

struct SupervisorOptions {
  std::string stateRoot;
  std::chrono::seconds bootTimeout{180};
  bool confine = true; ///< run UML as the lab's uid in a private mount namespace
  bool isReusingCow = false; ///< the COW files were kept by `down --keep`: a failed start keeps them
  int64_t timelineFromMs = 0; ///< a resumed lab: its timeline goes on from here (launcher.hpp)
};

/// The unprivileged uid (and gid) a root-run lab's processes run as: 2 000 000 000 + a hash of
/// the lab name modulo 100 000 000, a range neither Debian accounts nor the subordinate ids
/// useradd hands out (100000..600100000, /etc/login.defs) use. A rootless lab's processes run
/// as an id of the user's own instead (user_namespace.hpp).
unsigned labUid(const std::string& lab);

/// Runs `plan` until `down`. Call in a fresh child process: it moves the process into a new
/// network namespace and session. Returns the exit status for that process.
int runSupervisor(const LaunchPlan& plan, const SupervisorOptions& options, ProcessRunner& runner, int progressFd);

} // namespace umlab::lab::runtime
