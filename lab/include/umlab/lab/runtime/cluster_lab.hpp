#pragma once
/// A lab on several hosts (issue 20; DESIGN.md §6), run by an engine (engine.hpp: Slurm) and seen
/// from the machine where `umlab up --engine` ran (the head).
///
/// Design notes. Each host runs a shard: an ordinary lab of the same name (shard_plan.hpp) under
/// `umlab-shard serve`, which the engine starts there (`srun`) and which holds the shard's
/// supervisor as its child for as long as the lab runs, so the engine sees the shard's processes
/// as its job's (and `scancel` ends them). The segments that span hosts are joined by VXLAN
/// between the hosts' switches. The head keeps no supervisor: every verb runs `umlab-shard VERB`
/// on the hosts it concerns through the engine (`srun` steps in the lab's allocation, Slurm's
/// authentication and transport; nothing listens on the network but the tunnels), and merges
/// what they answer (`ps` with each node's host, a capture of a spanning segment from every host
/// that has it). So nothing but the engine's commands is needed between the head and the hosts,
/// no shared file system either.
///
///   <stateRoot>/<lab>/             the head's directory (mode 0700)
///     cluster.json                 engine, allocation, hosts (name, address, shard state root),
///                                  the serve step of each host on the head (pid, start time)
///     plan.json                    the lab's whole plan, placed (each guest's `host`)
///     shards/<host>.plan.json      the plan the host's shard runs (its stdin)
///     shards/<host>.log            what its `umlab-shard serve` printed (the serve protocol below)
///
/// The serve protocol: `umlab-shard serve` prints one line per event: `step TEXT`, `warning
/// TEXT`, then `ready SECONDS` or `failed TEXT`; after `ready`, `ended TEXT` when its supervisor
/// ended (`down`, or killed: "supervisor killed by signal 9; its guests stopped").

#include "umlab/base/child_process.hpp"
#include "umlab/base/process.hpp"
#include "umlab/lab/compile/placement.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/runtime/engine.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/lab_status.hpp"
#include "umlab/lab/runtime/launcher.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

struct ClusterHost {
  std::string name;
  std::string address;
  std::string stateRoot; ///< the shard's state root on that host
  ProcessId serve;       ///< the engine's command running its `umlab-shard serve`, on the head
};

struct ClusterRecord {
  std::string lab;
  std::string engine; ///< "slurm"
  std::string allocation;
  std::string shardProgram; ///< umlab-shard, at the same path on every host
  std::vector<ClusterHost> hosts;
};

/// True when <stateRoot>/<lab> is a lab on several hosts (has cluster.json).
bool isClusterLab(const std::string& stateRoot, const std::string& lab);
ClusterRecord readClusterRecord(const std::string& stateRoot, const std::string& lab);

/// The engine a record names; throws for an engine this build does not have.
std::unique_ptr<Engine> engineFor(const std::string& name, CommandRunner& runner);

struct ClusterLaunchOptions {
  std::string stateRoot;      ///< the head's
  uint32_t hosts = 2;
  std::string partition;
  uint16_t vxlanPort = 4789;
  HostCapacity capacity;
  std::chrono::seconds bootTimeout{300};
  std::string shardProgram;   ///< umlab-shard's path (the same on every host)
  /// Where shards keep their state on their hosts: <shardRootBase>/umlab-<job>-<host> (short, for
  /// the socket paths in it).
  std::string shardRootBase = "/tmp";
};

/// Places `topology` on an allocation of `engine`, starts a shard on each host and returns
/// when every guest of every host is ready; progress lines name the host ("h2: guest pc3 ready
/// (2.1 s)"). On failure everything is stopped, the allocation released and the head's directory
/// removed; throws RuntimeError with the failing host's reason.
LaunchResult launchOnCluster(const Topology& topology, const HostLayout& layout, Engine& engine,
                             const ClusterLaunchOptions& options, LaunchProgress& progress);

/// The verbs on a running lab of several hosts.
class ClusterLab {
public:
  /// Reads the lab's record and plan; the engine is the one the record names, its commands run
  /// through `runner`. Throws RuntimeError when the lab has no record or its engine is unknown.
  ClusterLab(std::string stateRoot, std::string lab, CommandRunner& runner);

  const ClusterRecord& record() const { return record_; }
  /// The lab's placed plan (the head's plan.json).
  const LaunchPlan& plan() const { return plan_; }
  /// The host a node runs on; throws naming the lab's nodes.
  const ClusterHost& hostOf(const std::string& node) const;

  /// Every host's status merged: each node and switch with its host, and a line per host
  /// (`hosts`): "running", or why not ("crashed: supervisor killed by signal 9; its guests
  /// stopped", "not answering: ...").
  LabStatus status() const;
  /// The command that runs `verb args...` of umlab-shard on the node's host with stdio passed
  /// through (`exec`, `console`): the CLI execs it.
  std::vector<std::string> commandOnNodeHost(const std::string& node, const std::vector<std::string>& verbArgs) const;
  /// Runs `argv` on `node` and collects its output (as LabClient::exec; stdout and stderr
  /// merged into `out`).
  ExecResult exec(const std::string& node, const std::vector<std::string>& argv) const;
  /// Captures `segment` on every host that has its switch for `duration`, and writes one pcap to
  /// `outFd`, by time; a frame that crossed a tunnel (seen on both hosts) is written once. Returns
  /// the number of frames.
  long long capture(const std::string& segment, int outFd, std::chrono::milliseconds duration) const;
  /// Every host's events (lab_event.hpp), each with its `host`, as they come, until every host's
  /// feed ends, `onEvent` returns false or `cancelFd` (when not -1) becomes readable.
  void events(const std::function<bool(const LabEvent&)>& onEvent, int cancelFd = -1) const;
  /// Stops every shard (each host's lab down and its state removed, also where the shard
  /// crashed), releases the allocation and removes the head's directory. Lines for people
  /// through `say`.
  void down(const std::function<void(const std::string&)>& say) const;

private:
  std::string dir() const { return stateRoot_ + "/" + lab_; }
  Allocation allocation() const;

  std::string stateRoot_, lab_;
  ClusterRecord record_;
  std::unique_ptr<Engine> engine_;
  LaunchPlan plan_;
};

} // namespace umlab::lab::runtime
