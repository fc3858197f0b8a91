// bench_boot: how long `umlab up` takes until every guest's agent answers, how much host memory
// an idle guest costs, and how long `umlab down` takes, for labs of 10, 50 and 100 guests
// in-process through the runtime library (Launcher, LabClient)
// (issue targets on a 2-core machine: 100 guests ready in under 60 s, under 40 MB per idle guest
// at mem=96M, down of 100 guests in under 5 s). Run by hand, as root, after 'umlab image build':
//
//   build/bin/bench_boot [--sizes 10,50,100] [--settle 5] [--kernels debian,umlab]
//
// With --kernels, every size is booted once per kernel (the topology's `kernel:`), in that order, so
// that umlab's own kernel is measured against Debian's in the same run.
//
// Memory per guest is reported twice: the proportional set size (PSS, /proc/<pid>/smaps_rollup)
// of each distinct address space in the guest's PID namespace (UML's memory file is shared
// memory, so PSS is what the guest costs the host), and the drop of the host's MemAvailable
// while the lab is up, divided by the number of guests (that includes the switch and the
// supervisor).
// The labs are generated "star" labs (one switch), in a private state directory.
#include "genlab/genlab.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/launcher.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/process_info.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

class Quiet final : public umlab::lab::runtime::LaunchProgress {
public:
  void step(const std::string&) override {}
  void warning(const std::string& line) override { std::cerr << "warning: " << line << "\n"; }
};

/// MemAvailable from /proc/meminfo, in KiB.
uint64_t memAvailableKiB() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("MemAvailable:", 0) == 0)
      return std::strtoull(line.c_str() + 13, nullptr, 10);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes{10, 50, 100};
  int settle = 5;
  std::vector<std::string> kernels{"debian"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << "usage: bench_boot [--sizes 10,50,100] [--settle SECONDS] [--kernels debian,umlab]\n"
                   "Boots generated star labs in-process (Launcher) and reports time to ready, PSS per idle guest\n"
                   "and time of 'umlab down'. Needs root and a base image ('umlab image build').\n";
      return 0;
    } else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::stringstream s(argv[++i]);
      for (std::string n; std::getline(s, n, ',');)
        sizes.push_back(std::stoul(n));
    } else if (a == "--kernels" && i + 1 < argc) {
      kernels.clear();
      std::stringstream s(argv[++i]);
      for (std::string k; std::getline(s, k, ',');)
        kernels.push_back(k);
    } else if (a == "--settle" && i + 1 < argc) {
      settle = std::atoi(argv[++i]);
    } else {
      std::cerr << "bench_boot: unknown argument '" << a << "'; see --help\n";
      return 2;
    }
  }
  const std::string self = fs::canonical("/proc/self/exe").string();
  char tmpl[] = "/tmp/umlab-bench-boot-XXXXXX";
  const std::string work = ::mkdtemp(tmpl);
  const std::string stateRoot = work + "/state";
  umlab::lab::HostLayout host = umlab::lab::hostLayoutFromEnvironment(self);
  host.stateRoot = stateRoot;
  const umlab::lab::runtime::LabClient client(stateRoot);
  Quiet quiet;

  std::printf("%7s %7s %10s %12s %14s %16s %10s\n", "kernel", "guests", "up s", "s per guest", "PSS/guest MiB",
              "host MiB/guest", "down s");
  for (size_t n : sizes)
  for (const std::string& kernel : kernels) {
    umlab::bench::GenOptions o;
    o.nodeCount = n;
    o.shape = umlab::bench::Shape::Star;
    o.name = "boot" + std::to_string(n);
    const std::string file = work + "/" + o.name + ".yaml";
    std::string text = umlab::bench::generateLab(o);
    if (const size_t at = text.find("\ndefaults:\n"); at != std::string::npos)
      text.insert(at + 11, "  kernel: " + kernel + "\n");
    std::ofstream(file) << text;

    umlab::SourceManager sources;
    umlab::Diagnostics diags;
    auto compiled = umlab::lab::compileFile(file, sources, diags);
    std::optional<umlab::lab::LaunchPlan> plan;
    if (compiled)
      plan = umlab::lab::plan(compiled->topology, host, diags);
    if (!plan) {
      std::cerr << "bench_boot: the generated lab of " << n << " guests does not compile\n";
      return 1;
    }
    const uint64_t availableBefore = memAvailableKiB();
    auto t0 = Clock::now();
    umlab::lab::runtime::LaunchOptions options;
    options.stateRoot = stateRoot;
    options.bootTimeout = std::chrono::seconds(600);
    options.guestBinDir = umlab::lab::runtime::guestBinDir(self);
    try {
      umlab::lab::runtime::Launcher(quiet).launch(*plan, options);
    } catch (const umlab::lab::runtime::RuntimeError& e) {
      std::cerr << "bench_boot: the lab of " << n << " guests failed to start: " << e.what() << "\n";
      return 1;
    }
    const double up = std::chrono::duration<double>(Clock::now() - t0).count();
    ::sleep(static_cast<unsigned>(settle));
    const uint64_t availableAfter = memAvailableKiB();
    uint64_t pss = 0;
    size_t guests = 0;
    for (const umlab::lab::runtime::NodeStatus& node : client.status(o.name).nodes)
      if (node.pid > 0) {
        pss += umlab::lab::runtime::proportionalSetSizeKiB(umlab::lab::runtime::processesInPidNamespaceOf(node.pid));
        ++guests;
      }
    t0 = Clock::now();
    client.down(o.name);
    const double down = std::chrono::duration<double>(Clock::now() - t0).count();
    const double perGuest = guests ? 1.0 / static_cast<double>(guests) : 0.0;
    const double hostUsed = availableBefore > availableAfter ? static_cast<double>(availableBefore - availableAfter) : 0.0;
    std::printf("%7s %7zu %10.1f %12.2f %14.1f %16.1f %10.2f\n", kernel.c_str(), n, up, up / static_cast<double>(n),
                static_cast<double>(pss) / 1024.0 * perGuest, hostUsed / 1024.0 * perGuest, down);
    std::fflush(stdout);
  }
  fs::remove_all(work);
  return 0;
}
