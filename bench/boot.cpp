// bench_boot: how long `umlab up` takes until every guest's agent answers, how much host memory
// an idle guest costs, and how long `umlab down` takes, for labs of 10, 50 and 100 guests
// (issue targets on a 2-core machine: 100 guests ready in under 60 s, under 40 MB per idle guest
// at mem=96M, down of 100 guests in under 5 s). Run by hand, as root, after 'umlab image build':
//
//   build/bin/bench_boot [--sizes 10,50,100] [--settle 5]
//
// Memory per guest is reported twice: the proportional set size (PSS, /proc/<pid>/smaps_rollup)
// of each distinct address space in the guest's PID namespace (UML's memory file is shared
// memory, so PSS is what the guest costs the host), and the drop of the host's MemAvailable
// while the lab is up, divided by the number of guests (that includes the switch and the
// supervisor).
// The labs are generated "star" labs (one switch), in a private state directory.
#include "genlab/genlab.hpp"
#include "umlab/base/child_process.hpp"
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

/// Runs a command (no shell) and returns its exit code; `tail` gets its last output lines.
int runQuiet(const std::vector<std::string>& argv, std::string* tail = nullptr) {
  const umlab::CommandResult r = umlab::runCommand(umlab::Command{argv});
  if (tail)
    for (const std::string& l : r.lastLines)
      *tail += l + "\n";
  return r.status.code;
}

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
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << "usage: bench_boot [--sizes 10,50,100] [--settle SECONDS]\n"
                   "Boots generated star labs with 'umlab up' and reports time to ready, PSS per idle guest\n"
                   "and time of 'umlab down'. Needs root and a base image ('umlab image build').\n";
      return 0;
    } else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::stringstream s(argv[++i]);
      for (std::string n; std::getline(s, n, ',');)
        sizes.push_back(std::stoul(n));
    } else if (a == "--settle" && i + 1 < argc) {
      settle = std::atoi(argv[++i]);
    } else {
      std::cerr << "bench_boot: unknown argument '" << a << "'; see --help\n";
      return 2;
    }
  }
  const fs::path bin = fs::canonical("/proc/self/exe").parent_path();
  const std::string umlab = (bin / "umlab").string();
  char tmpl[] = "/tmp/umlab-bench-boot-XXXXXX";
  const std::string work = ::mkdtemp(tmpl);
  ::setenv("UMLAB_STATE_DIR", (work + "/state").c_str(), 1);

  std::printf("%7s %10s %12s %14s %16s %10s\n", "guests", "up s", "s per guest", "PSS/guest MiB", "host MiB/guest", "down s");
  for (size_t n : sizes) {
    umlab::bench::GenOptions o;
    o.nodeCount = n;
    o.shape = umlab::bench::Shape::Star;
    o.name = "boot" + std::to_string(n);
    const std::string file = work + "/" + o.name + ".yaml";
    std::ofstream(file) << umlab::bench::generateLab(o);

    const uint64_t availableBefore = memAvailableKiB();
    auto t0 = Clock::now();
    std::string out;
    int rc = runQuiet({umlab, "up", "--timeout", "600s", file}, &out);
    const double up = std::chrono::duration<double>(Clock::now() - t0).count();
    if (rc != 0) {
      std::cerr << "bench_boot: umlab up failed for " << n << " guests:\n" << out;
      runQuiet({umlab, "clean", o.name});
      return 1;
    }
    ::sleep(static_cast<unsigned>(settle));
    const uint64_t availableAfter = memAvailableKiB();
    uint64_t pss = 0;
    size_t guests = 0;
    std::ifstream procs(work + "/state/" + o.name + "/processes");
    std::string kind, name;
    pid_t pid;
    unsigned long long start;
    while (procs >> kind >> name >> pid >> start)
      if (kind == "guest") {
        pss += umlab::lab::runtime::proportionalSetSizeKiB(umlab::lab::runtime::processesInPidNamespaceOf(pid));
        ++guests;
      }
    t0 = Clock::now();
    runQuiet({umlab, "down", o.name});
    const double down = std::chrono::duration<double>(Clock::now() - t0).count();
    const double perGuest = guests ? 1.0 / static_cast<double>(guests) : 0.0;
    const double hostUsed = availableBefore > availableAfter ? static_cast<double>(availableBefore - availableAfter) : 0.0;
    std::printf("%7zu %10.1f %12.2f %14.1f %16.1f %10.2f\n", n, up, up / static_cast<double>(n),
                static_cast<double>(pss) / 1024.0 * perGuest, hostUsed / 1024.0 * perGuest, down);
    std::fflush(stdout);
  }
  fs::remove_all(work);
  return 0;
}
