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
//
// Besides: the guests' own CPU time until the lab is ready (per guest, each guest's process tree with
// what its UML kernel reaped), the supervisor's; what the idle lab costs the
// host's CPUs over --idle SECONDS (the host's busy share of all CPUs from /proc/stat, and the
// guests', the switch's and the supervisor's CPU time in that window, as a share of one CPU;
// nothing asks the lab anything meanwhile, as with a lab nobody looks at); and, with --bare, the
// anchor: the same number of bare UML guests (the same kernel, base image, memory and boot
// options, each on its own COW file, booted as many at a time as umlab boots, no umlab: no jail,
// no switch, no NIC, no config disk, no agent) until each one's /bin/sh, its init, answers on
// the console.
#include "genlab/genlab.hpp"
#include "labbench/lab_bench.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/launcher.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/process_info.hpp"
#include "umlab/lab/runtime/supervisor.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
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

/// Every process of the lab's guests, its switches and its supervisor, as of now.
struct LabProcesses {
  std::vector<pid_t> guests, switches, supervisor;
};

LabProcesses labProcesses(const umlab::lab::runtime::LabStatus& st) {
  LabProcesses p;
  for (const auto& node : st.nodes)
    for (pid_t pid : umlab::lab::runtime::processTreeOf(node.pid))
      p.guests.push_back(pid);
  for (const auto& sw : st.switches)
    if (sw.pid > 0)
      p.switches.push_back(sw.pid);
  p.supervisor.push_back(static_cast<pid_t>(st.supervisorPid));
  return p;
}

/// One bare UML guest: its process group, its console's output, whether its shell answered.
struct BareGuest {
  pid_t pid = -1;
  int in = -1; ///< its console's input, open until the end (at end of input its console hangs up)
  int out = -1;
  std::string seen;
  bool ready = false;
};

struct BareBoot {
  double seconds = -1;    ///< until every shell answered; -1 when one died first
  double cpuPerGuest = -1; ///< CPU time of a guest's processes (reaped ones included) by then
};

/// Boots `n` bare guests of `g`'s kernel and base image, `slots` at a time. `dir` holds the COW files.
BareBoot bootBare(const umlab::lab::GuestPlan& g, size_t n, size_t slots, const std::string& dir) {
  std::vector<BareGuest> guests(n);
  size_t started = 0, ready = 0, booting = 0;
  bool failed = false;
  auto start = [&](size_t i) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      return false;
    const std::string id = "bare" + std::to_string(i);
    std::vector<std::string> args{g.argv.at(0), "umid=" + id, "uml_dir=" + dir, "mem=64M",
                                  "ubd0=" + dir + "/" + id + ".cow," + g.basePath, "root=/dev/ubda", "rw",
                                  "con=null", "con0=fd:0,fd:1", "console=tty0", "init=/bin/sh",
                                  "initcall_blacklist=raid6_select_algo,init_zswap", "cryptomgr.notests"};
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setsid();
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      std::vector<char*> argv;
      for (std::string& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    // The shell reads this once it runs; the console echoes the input, so the marker is the
    // arithmetic's result, which only the shell prints.
    const std::string ask = "echo BARE-$((40+2))-READY\n";
    (void)!::write(in[1], ask.data(), ask.size());
    guests[i].pid = pid;
    guests[i].in = in[1];
    guests[i].out = out[0];
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    return pid > 0;
  };
  const auto t0 = Clock::now();
  while (ready < n && !failed) {
    while (booting < slots && started < n) {
      if (!start(started++)) {
        failed = true;
        break;
      }
      ++booting;
    }
    std::vector<pollfd> fds;
    std::vector<size_t> which;
    for (size_t i = 0; i < started; ++i)
      if (!guests[i].ready && guests[i].out >= 0) {
        fds.push_back({guests[i].out, POLLIN, 0});
        which.push_back(i);
      }
    if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR)
      break;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!fds[k].revents)
        continue;
      BareGuest& b = guests[which[k]];
      char buf[4096];
      const ssize_t r = ::read(b.out, buf, sizeof buf);
      if (r <= 0) {
        failed = true; // its console closed before the shell answered: it died
        std::cerr << "bench_boot: bare guest " << which[k] << " ended before its shell answered:\n"
                  << b.seen.substr(b.seen.size() > 2000 ? b.seen.size() - 2000 : 0) << "\n";
        continue;
      }
      b.seen.append(buf, static_cast<size_t>(r));
      if (b.seen.find("BARE-42-READY") != std::string::npos) {
        b.ready = true;
        ++ready;
        --booting;
      }
    }
  }
  BareBoot result;
  if (!failed) {
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    double cpu = 0;
    for (const BareGuest& b : guests)
      cpu += umlab::lab::runtime::cpuSeconds(umlab::lab::runtime::processTreeOf(b.pid),
                                             umlab::lab::runtime::Reaped::Included);
    result.cpuPerGuest = cpu / static_cast<double>(n);
  }
  for (BareGuest& b : guests) {
    if (b.pid > 0) {
      ::kill(-b.pid, SIGKILL);
      ::waitpid(b.pid, nullptr, 0);
    }
    if (b.out >= 0)
      ::close(b.out);
    if (b.in >= 0)
      ::close(b.in);
  }
  return result;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes{10, 50, 100};
  int settle = 5;
  int idle = 10;
  bool bare = false;
  std::vector<std::string> kernels{"debian"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << "usage: bench_boot [--sizes 10,50,100] [--settle SECONDS] [--idle SECONDS] [--kernels debian,umlab]\n"
                   "                  [--bare]\n"
                   "Boots generated star labs in-process (Launcher) and reports time to ready, the supervisor's CPU\n"
                   "time until then, what the idle lab costs the CPUs over --idle seconds (0: not measured), PSS per\n"
                   "idle guest and time of 'umlab down'. --bare also boots as many bare UML guests (no umlab, the same\n"
                   "kernel and base image, the same number at a time) as the anchor.\n"
                   "Needs root and a base image ('umlab image build').\n";
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
    } else if (a == "--idle" && i + 1 < argc) {
      idle = std::atoi(argv[++i]);
    } else if (a == "--bare") {
      bare = true;
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

  std::printf("boot slots: %zu guests at a time\n", umlab::lab::runtime::bootConcurrency());
  std::fflush(stdout);
  std::printf("%7s %7s %8s %8s %8s %8s %8s %9s %9s %9s %9s %9s %8s %8s\n", "kernel", "guests", "up s", "s/guest",
              "cpu s", "sup cpu", "bare s", "idle host", "guests", "switch", "superv.", "PSS MiB", "host MiB", "down s");
  std::printf("%7s %7s %8s %8s %8s %8s %8s %9s %9s %9s %9s %9s %8s %8s\n", "", "", "", "", "/guest", "s", "", "% of all",
              "% of 1", "% of 1", "% of 1", "/guest", "/guest", "");
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
    umlab::lab::runtime::LabStatus st = client.status(o.name);
    const double supervisorCpu = umlab::lab::runtime::cpuSeconds({static_cast<pid_t>(st.supervisorPid)});
    // What booting cost the guests themselves: each guest's whole tree, with the processes its
    // UML kernel already reaped.
    double guestCpu = 0;
    for (const auto& node : st.nodes)
      guestCpu += umlab::lab::runtime::cpuSeconds(umlab::lab::runtime::processTreeOf(static_cast<pid_t>(node.pid)),
                                                  umlab::lab::runtime::Reaped::Included);
    // A status keeps the supervisor refreshing its counters for 30 s (kWatchWindow): the idle
    // window starts after that, so that it measures a lab nobody looks at.
    ::sleep(static_cast<unsigned>(idle > 0 ? std::max(settle, 31) : settle));
    double idleHost = -1, idleGuests = -1, idleSwitch = -1, idleSupervisor = -1;
    if (idle > 0) {
      const LabProcesses p = labProcesses(st);
      const double g0 = umlab::lab::runtime::cpuSeconds(p.guests), s0 = umlab::lab::runtime::cpuSeconds(p.switches),
                   v0 = umlab::lab::runtime::cpuSeconds(p.supervisor);
      const umlab::bench::HostCpu h0 = umlab::bench::HostCpu::now();
      ::sleep(static_cast<unsigned>(idle));

      const double window = static_cast<double>(idle) / 100.0;
      idleGuests = (umlab::lab::runtime::cpuSeconds(p.guests) - g0) / window;
      idleSwitch = (umlab::lab::runtime::cpuSeconds(p.switches) - s0) / window;
      idleSupervisor = (umlab::lab::runtime::cpuSeconds(p.supervisor) - v0) / window;
      idleHost = umlab::bench::HostCpu::now().busyPercentSince(h0);
    }
    const uint64_t availableAfter = memAvailableKiB();
    uint64_t pss = 0;
    size_t guests = 0;
    for (const umlab::lab::runtime::NodeStatus& node : st.nodes)
      if (node.pid > 0) {
        pss += umlab::lab::runtime::proportionalSetSizeKiB(umlab::lab::runtime::processTreeOf(node.pid));
        ++guests;
      }
    t0 = Clock::now();
    client.down(o.name);
    const double down = std::chrono::duration<double>(Clock::now() - t0).count();
    const double perGuest = guests ? 1.0 / static_cast<double>(guests) : 0.0;
    const double hostUsed = availableBefore > availableAfter ? static_cast<double>(availableBefore - availableAfter) : 0.0;
    BareBoot bareBoot;
    if (bare) {
      const std::string bareDir = work + "/bare";
      fs::create_directories(bareDir);
      bareBoot = bootBare(plan->guests.at(0), n, umlab::lab::runtime::bootConcurrency(), bareDir);
      fs::remove_all(bareDir);
    }
    auto figure = [](double v, const char* format) {
      char buf[32];
      if (v < 0)
        return std::string("-");
      std::snprintf(buf, sizeof buf, format, v);
      return std::string(buf);
    };
    std::printf("%7s %7zu %8.1f %8.2f %8.2f %8.2f %8s %9s %9s %9s %9s %9.1f %8.1f %8.2f\n", kernel.c_str(), n, up,
                up / static_cast<double>(n), guestCpu / static_cast<double>(n), supervisorCpu, figure(bareBoot.seconds, "%.1f").c_str(),
                figure(idleHost, "%.1f").c_str(), figure(idleGuests, "%.2f").c_str(), figure(idleSwitch, "%.2f").c_str(),
                figure(idleSupervisor, "%.2f").c_str(), static_cast<double>(pss) / 1024.0 * perGuest,
                hostUsed / 1024.0 * perGuest, down);
    if (bare)
      std::printf("%7s %7s bare UML: %s s, %s s per guest, CPU %s s per guest; umlab/bare %s\n", "", "",
                  figure(bareBoot.seconds, "%.1f").c_str(), figure(bareBoot.seconds / static_cast<double>(n), "%.2f").c_str(),
                  figure(bareBoot.cpuPerGuest, "%.2f").c_str(), figure(up / bareBoot.seconds, "%.2fx").c_str());
    std::fflush(stdout);
  }
  fs::remove_all(work);
  return 0;
}
