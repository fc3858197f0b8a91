#pragma once
/// The Slurm engine (engine.hpp), through Slurm's own commands, so it works with any Slurm that
/// has them (verified with slurm-wlm 22.05 of Debian 12, ../shared/recipes/slurm-cluster.sh):
///   allocate  `salloc --no-shell -N N [-p P] -J NAME` (the job id from "Granted job allocation
///             N"), its nodes from `squeue -h -j ID -o %N` expanded by `scontrol show hostnames`,
///             each node's address from `scontrol show node NAME` (NodeAddr; a name is resolved
///             to IPv4)
///   commandOn `srun --jobid=ID --overlap -N1 -n1 -w HOST --quiet ARGV` (a step per command; the
///             steps share the allocation, so a lab's shards and its `exec`s run side by side)
///   release   `scancel ID`
/// Slurm finds its controller through its own configuration ($SLURM_CONF or the default), which
/// the caller's environment passes on. Commands go through a `CommandRunner`, so tests can fake
/// Slurm (slurm_engine_test.cpp) and the real cluster test runs the real one.

#include "umlab/base/child_process.hpp"
#include "umlab/lab/runtime/engine.hpp"

namespace umlab::lab::runtime {

class SlurmEngine final : public Engine {
public:
  explicit SlurmEngine(CommandRunner& runner) : runner_(runner) {}
  std::string name() const override { return "slurm"; }
  Allocation allocate(const AllocationRequest& request, const std::function<void(std::string_view)>& onLine) override;
  std::vector<std::string> commandOn(const Allocation& allocation, const std::string& host,
                                     const std::vector<std::string>& argv) const override;
  bool release(const Allocation& allocation, std::string& why) override;

private:
  /// Runs a Slurm command; its output lines. Throws RuntimeError with its last lines on failure.
  std::vector<std::string> run(const std::vector<std::string>& argv, const std::function<void(std::string_view)>& onLine = {});
  CommandRunner& runner_;
};

/// The job id in salloc's "salloc: Granted job allocation 42"; empty when the line has none.
std::string parseGrantedJob(std::string_view line);
/// The NodeAddr of `scontrol show node` output; empty when absent.
std::string parseNodeAddress(const std::vector<std::string>& lines);

} // namespace umlab::lab::runtime
