#pragma once
/// `ProcessRunner`: the interface through which the lab runtime starts, reaps and stops its
/// processes (Ninja's `CommandRunner` shape). The real one is `SystemProcessRunner`, over
/// process.hpp; `FakeProcessRunner` records what it was asked, so that launch order, failure
/// midway and teardown order are unit-tested without root, UML or a single fork.

#include "umlab/base/process.hpp"

#include <csignal>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace umlab {

class ProcessRunner {
public:
  virtual ~ProcessRunner() = default;
  /// Starts `spec` in its own process group; throws std::system_error when it cannot.
  virtual ProcessId start(const ProcessSpec& spec) = 0;
  /// Reaps every child that has ended, without waiting: (pid, how it ended) for each. Orphans
  /// handed to a subreaper are reaped too.
  virtual std::vector<std::pair<pid_t, ExitStatus>> reapEnded() = 0;
  /// Stops `groups` (see `stopProcessGroups`: one grace period for all of them together).
  /// `reaped[i]` says the leader of `groups[i]` was already reaped by `reapEnded`.
  virtual void stop(std::span<const ProcessId> groups, std::span<const bool> reaped) = 0;
  /// Sends SIGKILL to `group` (its process group and its leader) and returns at once: a power
  /// cut, or a stop whose grace ran out in a caller that must not wait. The end is reported by
  /// `reapEnded` as usual. Does nothing when the leader has already exited.
  virtual void kill(const ProcessId& group) = 0;
};

/// The real processes.
class SystemProcessRunner final : public ProcessRunner {
public:
  ProcessId start(const ProcessSpec& spec) override { return spawnProcess(spec); }
  std::vector<std::pair<pid_t, ExitStatus>> reapEnded() override;
  void stop(std::span<const ProcessId> groups, std::span<const bool> reaped) override {
    stopProcessGroups(groups, reaped);
  }
  void kill(const ProcessId& group) override { signalIfSame(group, SIGKILL); }
};

/// Records every start and stop as a line ("start switch lan", "stop guest pc1") and hands out
/// pids from 1000 up. `failStart(name)` makes the start of that name throw, and `exit(name,
/// status)` has the next `reapEnded` report it ended.
class FakeProcessRunner final : public ProcessRunner {
public:
  ProcessId start(const ProcessSpec& spec) override {
    const std::string name = spec.name.empty() ? spec.argv.at(0) : spec.name;
    if (failing_.count(name)) {
      events_.push_back("fail " + name);
      throw std::system_error(ENOENT, std::generic_category(), "cannot run '" + name + "'");
    }
    events_.push_back("start " + name);
    const ProcessId id{nextPid_++, 1};
    names_[id.pid] = name;
    running_.insert(id.pid);
    specs_.push_back(spec);
    return id;
  }
  std::vector<std::pair<pid_t, ExitStatus>> reapEnded() override {
    auto out = std::move(ended_);
    ended_.clear();
    return out;
  }
  void stop(std::span<const ProcessId> groups, std::span<const bool>) override {
    for (const ProcessId& p : groups) {
      events_.push_back("stop " + names_[p.pid]);
      running_.erase(p.pid);
    }
  }

  /// Recorded as "kill NAME"; the process ends by SIGKILL (reported by the next `reapEnded`).
  void kill(const ProcessId& group) override {
    if (!running_.count(group.pid))
      return;
    events_.push_back("kill " + names_[group.pid]);
    running_.erase(group.pid);
    ExitStatus killed;
    killed.signal = SIGKILL;
    ended_.emplace_back(group.pid, killed);
  }

  void failStart(const std::string& name) { failing_.insert(name); }
  /// The process `name` ends with `status` (its pid is then reported by `reapEnded`).
  void exit(const std::string& name, ExitStatus status) {
    for (const auto& [pid, n] : names_)
      if (n == name && running_.count(pid)) {
        running_.erase(pid);
        ended_.emplace_back(pid, status);
        events_.push_back("exit " + name);
        return;
      }
  }
  const std::vector<std::string>& events() const { return events_; }
  /// The names of the processes started and not stopped or ended.
  std::vector<std::string> running() const {
    std::vector<std::string> out;
    for (pid_t p : running_)
      out.push_back(names_.at(p));
    return out;
  }
  const std::vector<ProcessSpec>& specs() const { return specs_; }

private:
  pid_t nextPid_ = 1000;
  std::vector<std::string> events_;
  std::map<pid_t, std::string> names_;
  std::set<pid_t> running_;
  std::set<std::string> failing_;
  std::vector<std::pair<pid_t, ExitStatus>> ended_;
  std::vector<ProcessSpec> specs_;
};

} // namespace umlab
