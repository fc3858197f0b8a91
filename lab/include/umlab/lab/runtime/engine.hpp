#pragma once
/// Scale-out engines (DESIGN.md §6): an existing workload manager gives a lab its hosts and runs
/// umlab's shard on each; umlab only wires them (cluster_lab.hpp). Slurm first (slurm_engine.hpp);
/// a Kubernetes engine implements the same three calls: `allocate` becomes a StatefulSet of one
/// pod per host (its hosts: the pods' names and addresses through a headless Service),
/// `commandOn` becomes `kubectl exec -i POD -- ARGV`, `release` deletes it.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::lab::runtime {

/// A host of an allocation: the engine's name for it and the address the other hosts reach it
/// on (Slurm's NodeAddr), where the lab's VXLAN tunnels end.
struct EngineHost {
  std::string name;
  std::string address;
};

struct Allocation {
  std::string id; ///< Slurm's job id
  std::vector<EngineHost> hosts;
};

struct AllocationRequest {
  uint32_t hosts = 1;
  std::string partition; ///< empty: the engine's default
  std::string jobName;   ///< "umlab-<lab>"
};

class Engine {
public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;
  /// Obtains `request.hosts` hosts, one for each shard; `onLine` gets the engine's own messages
  /// (a queue wait). Throws RuntimeError saying what the engine answered.
  virtual Allocation allocate(const AllocationRequest& request, const std::function<void(std::string_view)>& onLine) = 0;
  /// The command that runs `argv` on `host` of `allocation`, with its stdin, stdout, stderr and
  /// exit status passed through (so a caller can run it as its own child).
  virtual std::vector<std::string> commandOn(const Allocation& allocation, const std::string& host,
                                             const std::vector<std::string>& argv) const = 0;
  /// Ends the allocation and whatever still runs in it. Never throws; returns false (and why) when
  /// the engine refused.
  virtual bool release(const Allocation& allocation, std::string& why) = 0;
};

} // namespace umlab::lab::runtime
