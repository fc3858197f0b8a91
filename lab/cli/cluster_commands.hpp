#pragma once
// The CLI's verbs on a lab that runs on several hosts (lab/runtime/cluster_lab.hpp): parsing and
// printing only. Each verb of runtime_commands.cpp / segment_commands.cpp asks
// `isClusterLab` first and hands such a lab to these.

#include "cli_args.hpp"
#include "runtime_commands.hpp"

#include <chrono>
#include <functional>
#include "umlab/lab/runtime/lab_event.hpp"
#include <iosfwd>
#include <string>
#include <vector>

namespace umlab::cli {

/// `umlab up FILE --engine slurm ...`.
int upOnCluster(const std::string& self, const CliArgs& a, const BootRequest& req, std::ostream& out, std::ostream& err);
/// The text or JSON `ps` shows for the lab.
std::string clusterStatus(const std::string& stateRoot, const std::string& lab, bool json);
/// Replaces this process with the engine's command that runs `verbArgs` of umlab-shard on the
/// node's host (exec, console: stdio and exit status passed through). Returns only on failure.
int execOnClusterNode(const std::string& stateRoot, const std::string& lab, const std::string& node,
                      const std::vector<std::string>& verbArgs, std::ostream& err);
/// Every host's events, each with its host, to `onEvent` until the lab ends or it returns false.
void eventsOnCluster(const std::string& stateRoot, const std::string& lab,
                     const std::function<bool(const lab::runtime::LabEvent&)>& onEvent);
int downCluster(const std::string& stateRoot, const std::string& lab, std::ostream& out);
/// Captures SEGMENT on every host that has it for `duration` into `outFd`.
long long captureCluster(const std::string& stateRoot, const std::string& lab, const std::string& segment, int outFd,
                         std::chrono::milliseconds duration);

} // namespace umlab::cli
