#pragma once
/// A running lab's state directory, as every later `umlab` finds it (DESIGN.md §5):
///
///   <stateRoot>/<lab>/           mode 0700
///     control.sock               the supervisor's control socket (unix stream, text requests)
///     processes                  one line per started process: "<kind> <name> <pid> <start time>"
///                                (kind: supervisor, switch, guest); what `umlab clean` stops
///     supervisor.log             the supervisor's own messages
///     plan.txt                   the launch plan it runs (`umlab plan` output)
///     sw/ cow/ nodes/ uml/ log/  see plan.hpp
///
/// Control requests are one line of text; replies depend on the request:
///
///   ps text|json      the lab's status, then the connection closes
///   exec <node>       "ok\n" (or "error <message>\n"), then agent frames both ways
///                     (kernel/agent_protocol.hpp) with ids chosen by the client
///   console <node>    "ok\n", then raw bytes both ways with the node's main console
///   down [keep]       stops everything; "ok\n" when done, just before the supervisor exits

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace umlab::lab::runtime {

struct ProcessEntry {
  std::string kind; ///< "supervisor", "switch" or "guest"
  std::string name;
  pid_t pid = 0;
  unsigned long long startTime = 0;
};

class LabState {
public:
  LabState(std::string stateRoot, std::string lab);

  const std::string& lab() const { return lab_; }
  const std::string& dir() const { return dir_; }
  std::string controlSocket() const { return dir_ + "/control.sock"; }
  std::string processesFile() const { return dir_ + "/processes"; }
  std::string supervisorLog() const { return dir_ + "/supervisor.log"; }
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

/// Connects to a unix stream socket; returns the fd or -1 (errno set).
int connectUnix(const std::string& path);

} // namespace umlab::lab::runtime
