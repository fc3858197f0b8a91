#pragma once
/// A running lab's state directory, as every later `umlab` finds it (DESIGN.md §5):
///
///   <stateRoot>/<lab>/           mode 0700
///     control.sock               the supervisor's control socket (see the protocol below)
///     processes                  one line per started process: "<kind> <name> <pid> <start time>"
///                                (kind: supervisor, switch, guest); what `umlab clean` stops
///     supervisor.log             the supervisor's own messages
///     plan.json                  the launch plan it runs, typed (lab/compile/plan_json.hpp: one
///                                writer, one reader); rewritten by `apply`
///     sw/ cow/ nodes/ uml/ log/  see plan.hpp
///
/// The control protocol. A client sends one request, a JSON object on one line, and reads one
/// JSON line back: `{"ok": true, ...}` or `{"ok": false, "error": "..."}`. Then, depending on
/// the request:
///
///   {"op":"ps"}                          the reply is the status (lab_status.hpp), then EOF
///   {"op":"exec","node":N}               agent frames both ways (kernel/agent_protocol.hpp),
///                                        with ids chosen by the client
///   {"op":"console","node":N}            raw bytes both ways with the node's main console
///   {"op":"events"}                      one event per line (lab_event.hpp) until the lab ends
///   {"op":"down","keep":B}               the reply comes when everything has stopped
///   {"op":"plug","node":N,"iface":I,"segment":S,"ip":CIDR}    hot-plug (ip may be "")
///   {"op":"unplug","node":N,"iface":I}
///   {"op":"apply","plan":{...},"restart":[N...]}   reconcile with a new plan (plan_diff.hpp);
///                                        the reply comes when it is done and lists the changes
///   {"op":"node","node":N,"action":A}  A: "stop" (a clean power-off through the guest's init,
///                                        killed after 20 s; its COW file kept), "start" (boots a
///                                        stopped or dead node from its kept COW file), "restart"
///                                        (both), "crash" (SIGKILL now: a power cut); the reply
///                                        comes when the node is stopped, ready or dead, or says
///                                        why not (unknown node, not running, running, busy)
///   {"op":"refresh","segment":S}         a client changed switch S (link conditions): ask it for
///                                        its ports now, so the change is an event at once

#include "umlab/base/process.hpp"

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace umlab::lab::runtime {

/// The subdirectories of a lab's state directory that belong to the lab's uid and are all its
/// jailed processes see of it (switches' sockets, COW files, UML's own, logs, config disks,
/// capture and replay files).
inline constexpr const char* kLabSubdirectories[] = {"sw", "cow", "uml", "log", "nodes", "captures"};

struct ProcessEntry {
  std::string kind; ///< "supervisor", "switch" or "guest"
  std::string name;
  ProcessId id;
};

class LabState {
public:
  LabState(std::string stateRoot, std::string lab);

  const std::string& lab() const { return lab_; }
  const std::string& dir() const { return dir_; }
  const std::string& root() const { return root_; }
  std::string controlSocket() const { return dir_ + "/control.sock"; }
  std::string processesFile() const { return dir_ + "/processes"; }
  std::string supervisorLog() const { return dir_ + "/supervisor.log"; }
  std::string planFile() const { return dir_ + "/plan.json"; }
  bool exists() const;

  void appendProcess(const ProcessEntry& e) const;
  std::vector<ProcessEntry> processes() const;
  /// The supervisor's entry, when it is still the same live process.
  std::optional<ProcessEntry> liveSupervisor() const;

private:
  std::string root_, lab_, dir_;
};

/// The labs that have a state directory under `stateRoot`, sorted.
std::vector<std::string> listLabs(const std::string& stateRoot);

} // namespace umlab::lab::runtime
