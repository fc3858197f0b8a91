// The CLI's verbs on a lab that runs on several hosts: parsing and printing only; the work is
// the runtime library's (cluster_lab.hpp).
#include "cluster_commands.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/base/diagnostics.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/base/signal_fd.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/compile/topology_images.hpp"
#include "umlab/lab/runtime/cluster_lab.hpp"
#include "umlab/lab/runtime/lab_status.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace umlab::cli {

namespace {
namespace fs = std::filesystem;
namespace runtime = umlab::lab::runtime;

uint32_t countOption(const CliArgs& a, const std::string& name, uint64_t otherwise, uint64_t max) {
  const auto v = a.get(name);
  if (!v)
    return uint32_t(otherwise);
  const std::optional<uint64_t> n = parseUnsigned(*v, max);
  if (!n || *n == 0)
    throw CliUsageError{name + " needs a number from 1 to " + std::to_string(max) + ", not '" + *v + "'"};
  return uint32_t(*n);
}

} // namespace

int upOnCluster(const std::string& self, const CliArgs& a, const BootRequest& req, std::ostream& out, std::ostream& err) {
  const std::string engineName = *a.get("--engine");
  if (!req.startupDir.empty())
    throw CliUsageError{"--startup-dir is for a lab on one host"};
  runtime::ClusterLaunchOptions o;
  o.stateRoot = req.stateRoot;
  o.hosts = countOption(a, "--hosts", 2, 1024);
  o.partition = a.get("--partition").value_or("");
  o.vxlanPort = uint16_t(countOption(a, "--vxlan-port", 4789, 65535));
  if (a.get("--host-guests"))
    o.capacity.guests = countOption(a, "--host-guests", 0, 1u << 20);
  if (auto m = a.get("--host-memory")) {
    const std::optional<uint64_t> bytes = parseByteSize(*m);
    if (!bytes || *bytes < (uint64_t(1) << 20))
      throw CliUsageError{"--host-memory needs a size such as 16G, not '" + *m + "'"};
    o.capacity.memoryMiB = *bytes >> 20;
  }
  o.bootTimeout = req.bootTimeout;
  o.shardProgram = (fs::path(self).parent_path() / "umlab-shard").string();
  if (::access(o.shardProgram.c_str(), X_OK) != 0)
    throw CliFailure{"umlab-shard is not beside umlab (" + o.shardProgram + "): it runs each host's part of the lab"};
  if (const char* base = std::getenv("UMLAB_SHARD_ROOT"))
    o.shardRootBase = base;

  SourceManager sm;
  Diagnostics diags;
  auto compiled = lab::compileFile(req.file, sm, diags);
  renderDiagnostics(diags, err);
  if (!compiled)
    return kExitInputError;
  lab::HostLayout layout = lab::hostLayoutFromEnvironment(self);
  layout.stateRoot = req.stateRoot;
  if (std::string why = lab::locateTopologyImages(compiled->topology, layout); !why.empty())
    err << "umlab: warning: cannot find the builds of the topology's images: " << why << "\n";
  SystemCommandRunner runner;
  std::unique_ptr<runtime::Engine> engine = runtime::engineFor(engineName, runner);
  out << "lab '" << compiled->topology.name << "': starting from " << req.file << " on " << o.hosts << " hosts ("
      << engine->name() << ")\n"
      << std::flush;
  PrintProgress progress(out, err);
  const runtime::LaunchResult r = runtime::launchOnCluster(compiled->topology, layout, *engine, o, progress);
  char t[32];
  std::snprintf(t, sizeof t, "%.1f", r.seconds);
  out << "lab '" << compiled->topology.name << "' is up on " << o.hosts << " hosts: "
      << compiled->topology.nodes.size() << " guests ready in " << t << " s\n"
      << "try:  umlab ps " << compiled->topology.name << "      (each node's HOST)\n"
      << "      umlab down " << compiled->topology.name << "    (ends the " << engine->name() << " job)\n";
  return kExitOk;
}

std::string clusterStatus(const std::string& stateRoot, const std::string& lab, bool json) {
  SystemCommandRunner runner;
  const runtime::LabStatus s = runtime::ClusterLab(stateRoot, lab, runner).status();
  if (json)
    return runtime::labStatusJson(s);
  std::string text = runtime::renderLabStatusText(s);
  return text;
}

int execOnClusterNode(const std::string& stateRoot, const std::string& lab, const std::string& node,
                      const std::vector<std::string>& verbArgs, std::ostream& err) {
  SystemCommandRunner runner;
  std::vector<std::string> argv = runtime::ClusterLab(stateRoot, lab, runner).commandOnNodeHost(node, verbArgs);
  std::cout.flush();
  std::cerr.flush();
  std::vector<char*> args;
  for (std::string& s : argv)
    args.push_back(s.data());
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  err << "umlab: error: cannot run '" << argv.front() << "': " << std::strerror(errno) << "\n";
  return kExitHostFailure;
}

void eventsOnCluster(const std::string& stateRoot, const std::string& lab,
                     const std::function<bool(const runtime::LabEvent&)>& onEvent) {
  SystemCommandRunner runner;
  // Ctrl-C (or a `timeout`) ends the feeds on every host: their srun steps are this process's
  // children, stopped when `events` returns.
  const SignalFd stop({SIGINT, SIGTERM, SIGHUP});
  runtime::ClusterLab(stateRoot, lab, runner).events(onEvent, stop.fd());
}

int downCluster(const std::string& stateRoot, const std::string& lab, std::ostream& out) {
  SystemCommandRunner runner;
  runtime::ClusterLab(stateRoot, lab, runner).down([&](const std::string& line) { out << "  " << line << "\n" << std::flush; });
  out << "lab '" << lab << "' is down on every host\n";
  return kExitOk;
}

long long captureCluster(const std::string& stateRoot, const std::string& lab, const std::string& segment, int outFd,
                         std::chrono::milliseconds duration) {
  SystemCommandRunner runner;
  return runtime::ClusterLab(stateRoot, lab, runner).capture(segment, outFd, duration);
}

} // namespace umlab::cli
