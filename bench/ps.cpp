// bench_ps: how fast a running lab answers `ps` (LabClient::status, the supervisor's cached
// status) with 100 guests and 100 switches, including while some switches are stopped
// (SIGSTOP), which before the cache cost every `ps` a 300 ms timeout per silent switch. Run by
// hand, as root, after 'umlab image build':
//
//   build/bin/bench_ps [--guests 100] [--calls 200] [--stopped 10] [--compare OLD_UMLAB]
//
// The lab is generated: guest gK on its own switch segment sK (so there are as many switches
// as guests), mem=64M, in a private state directory. It is started and reached in-process
// through the runtime library (Launcher, LabClient). With --compare, the same lab is then
// started with an older `umlab` binary (the anchor: an earlier build of this project) and its
// `umlab ps` is timed as a command, both with every switch answering and with some stopped.
#include "umlab/base/process.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/launcher.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include "umlab/base/child_process.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <unistd.h>
#include <thread>
#include <vector>

using namespace umlab;
using namespace umlab::lab;
using Clock = std::chrono::steady_clock;

namespace {

std::string generate(const std::string& name, size_t guests) {
  std::string y = "name: " + name + "\ndefaults: {memory: 64M}\nnodes:\n";
  for (size_t i = 1; i <= guests; ++i)
    y += "  g" + std::to_string(i) + ": {}\n";
  y += "segments:\n";
  for (size_t i = 1; i <= guests; ++i)
    y += "  s" + std::to_string(i) + ": {type: switch}\n";
  y += "links:\n";
  for (size_t i = 1; i <= guests; ++i)
    y += "  - {endpoints: [g" + std::to_string(i) + ":eth0, s" + std::to_string(i) + "], ip: 10.0." +
         std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + "/16}\n";
  return y;
}

class Quiet final : public runtime::LaunchProgress {
public:
  void step(const std::string&) override {}
  void warning(const std::string& line) override { std::cerr << "warning: " << line << "\n"; }
};

struct Figures {
  double p50 = 0, p95 = 0, max = 0;
};

Figures summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  Figures f;
  if (ms.empty())
    return f;
  f.p50 = ms[ms.size() / 2];
  f.p95 = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  f.max = ms.back();
  return f;
}

void print(const char* what, const Figures& f) {
  std::printf("  %-52s p50 %8.2f ms   p95 %8.2f ms   max %8.2f ms\n", what, f.p50, f.p95, f.max);
}

/// Times `calls` calls of `f` in ms.
template <typename F> std::vector<double> timeCalls(size_t calls, F f) {
  std::vector<double> ms;
  for (size_t i = 0; i < calls; ++i) {
    const auto t = Clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
  }
  return ms;
}

std::vector<pid_t> switchPids(const runtime::LabStatus& s, size_t count) {
  std::vector<pid_t> pids;
  for (const runtime::SwitchStatus& sw : s.switches)
    if (pids.size() < count && sw.pid > 0)
      pids.push_back(static_cast<pid_t>(sw.pid));
  return pids;
}

} // namespace

int main(int argc, char** argv) {
  size_t guests = 100, calls = 200, stopped = 10;
  std::string compare;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "bench_ps: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--guests")
      guests = std::stoul(next());
    else if (a == "--calls")
      calls = std::stoul(next());
    else if (a == "--stopped")
      stopped = std::stoul(next());
    else if (a == "--compare")
      compare = next();
    else {
      std::cout << "usage: bench_ps [--guests N] [--calls N] [--stopped N] [--compare OLD_UMLAB]\n";
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }
  TempDir dir("umlab-bench-ps");
  const std::string stateRoot = dir.path().string() + "/state";
  const std::string file = dir.path().string() + "/lab.yaml";
  const std::string name = "benchps";
  std::ofstream(file) << generate(name, guests);

  char self[4096] = {};
  if (::readlink("/proc/self/exe", self, sizeof self - 1) <= 0)
    return 1;
  HostLayout host = hostLayoutFromEnvironment(self);
  host.stateRoot = stateRoot;
  SourceManager sources;
  Diagnostics diags;
  auto compiled = compileFile(file, sources, diags);
  std::optional<LaunchPlan> plan;
  if (compiled)
    plan = lab::plan(compiled->topology, host, diags);
  if (!plan) {
    std::cerr << "bench_ps: the generated lab does not compile\n";
    return 1;
  }
  std::printf("bench_ps: %zu guests (mem=64M), %zu switches, %zu status calls per figure\n", guests, plan->switches.size(),
              calls);
  Quiet quiet;
  runtime::LaunchOptions options;
  options.stateRoot = stateRoot;
  options.guestBinDir = runtime::guestBinDir(self);
  options.bootTimeout = std::chrono::seconds(600);
  const runtime::LabClient client(stateRoot);
  try {
    const runtime::LaunchResult r = runtime::Launcher(quiet).launch(*plan, options);
    std::printf("  up (in-process Launcher): %zu guests ready in %.1f s\n", guests, r.seconds);
    std::this_thread::sleep_for(std::chrono::seconds(3)); // the first counters and sizes arrive
    runtime::LabStatus first = client.status(name);
    print("LabClient::status, every switch answering", summarize(timeCalls(calls, [&] { client.status(name); })));
    const std::vector<pid_t> stop = switchPids(first, stopped);
    for (pid_t p : stop)
      ::kill(p, SIGSTOP);
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const runtime::LabStatus during = client.status(name);
    size_t silent = 0;
    for (const runtime::SwitchStatus& sw : during.switches)
      silent += sw.state == "not answering";
    char what[128];
    std::snprintf(what, sizeof what, "LabClient::status, %zu switches stopped (%zu shown so)", stop.size(), silent);
    print(what, summarize(timeCalls(calls, [&] { client.status(name); })));
    print("LabClient::exec 'true' meanwhile", summarize(timeCalls(std::min<size_t>(calls, 50), [&] {
            client.exec(name, "g1", {"true"});
          })));
    for (pid_t p : stop)
      ::kill(p, SIGCONT);
    const auto t = Clock::now();
    client.down(name);
    std::printf("  down: %.1f s\n", std::chrono::duration<double>(Clock::now() - t).count());
  } catch (const runtime::RuntimeError& e) {
    std::cerr << "bench_ps: " << e.what() << "\n";
    try {
      client.down(name);
    } catch (...) {
    }
    return 1;
  }

  if (compare.empty())
    return 0;
  // The anchor: an older umlab, started and asked as a command (its runtime lived in its CLI).
  std::printf("anchor: %s\n", compare.c_str());
  auto run = [&](std::vector<std::string> args) {
    Command c;
    c.argv = {compare};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    c.env = {{"UMLAB_STATE_DIR", stateRoot}};
    return runCommand(c);
  };
  const auto t0 = Clock::now();
  if (!run({"up", "--timeout", "600s", file}).isSuccess()) {
    std::cerr << "bench_ps: the anchor's 'umlab up' failed\n";
    run({"down", name});
    return 1;
  }
  std::printf("  up (anchor): %.1f s\n", std::chrono::duration<double>(Clock::now() - t0).count());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const size_t anchorCalls = std::min<size_t>(calls, 20);
  print("'umlab ps' (anchor), every switch answering", summarize(timeCalls(anchorCalls, [&] { run({"ps", name}); })));
  // Stop the anchor's switches: their pids from its processes file.
  std::vector<pid_t> stop;
  std::ifstream processes(stateRoot + "/" + name + "/processes");
  for (std::string kind, n, pid, start; processes >> kind >> n >> pid >> start;)
    if (kind == "switch" && stop.size() < stopped)
      stop.push_back(std::stoi(pid));
  for (pid_t p : stop)
    ::kill(p, SIGSTOP);
  char what[128];
  std::snprintf(what, sizeof what, "'umlab ps' (anchor), %zu switches stopped", stop.size());
  print(what, summarize(timeCalls(std::min<size_t>(anchorCalls, 5), [&] { run({"ps", name}); })));
  for (pid_t p : stop)
    ::kill(p, SIGCONT);
  run({"down", name});
  return 0;
}
