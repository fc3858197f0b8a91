// bench_compile: how long the compiler front end, the planner and the layout take on large
// generated labs.
//
// For each size, a forked child generates a campus lab (bench/genlab) in memory, then times
// `compileText` (load + resolve + analyze), `plan` and `computeLayout` (what `umlab graph` and the
// GUI add to open a file without positions; not part of the total) several times on its CPU clock (or, with
// --wall, the wall clock) and reports the medians and its peak RSS (VmHWM, read at its end)
// through a pipe. A child per size keeps one size's heap
// from inflating the next one's peak. Run it by hand on a Release build; it asserts nothing.

#include "genlab/genlab.hpp"

#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/layout.hpp"
#include "umlab/lab/compile/plan.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: bench_compile [options]\n"
    "\n"
    "Time load+resolve+analyze (compileText), plan and the layout (computeLayout, shown apart)\n"
    "on generated campus labs, each size in a child process, and print medians, peak memory and\n"
    "whether the cost per node of load to plan stays flat.\n"
    "\n"
    "options:\n"
    "  --sizes N,N,...   node counts to measure (default 100,1000,10000)\n"
    "  --runs N          timed runs per size (default 9 up to 1000 nodes, 5 up to 10000, else 3)\n"
    "  --wall            time on the wall clock instead of the process's CPU clock\n"
    "  -h, --help        show this help\n";

/// What a child reports; plain data, written to the pipe as bytes.
struct Result {
  uint64_t nodes = 0;
  uint64_t links = 0;
  uint64_t yamlSize = 0;
  uint64_t peakRssKiB = 0;
  uint64_t warnings = 0;
  uint32_t runs = 0;
  bool ok = false;
  double compileMs = 0; // medians
  double planMs = 0;
  double totalMs = 0;
  double layoutMs = 0;
  char error[512] = {};
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

uint64_t peakRssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

size_t linkCount(const umlab::lab::Topology& t) {
  size_t links = t.trunks.size() + t.taps.size();
  for (const umlab::lab::Segment& s : t.segments)
    links += s.type == umlab::lab::SegmentType::PointToPoint ? 1 : s.members.size();
  return links;
}

void fail(Result& r, const std::string& what) { std::snprintf(r.error, sizeof r.error, "%s", what.c_str()); }

/// Milliseconds on the process's CPU clock (the default: the child is single-threaded, and on a
/// shared machine other processes stretch the wall clock but not this one), or on the wall clock.
double nowMs(bool wall) {
  timespec ts{};
  ::clock_gettime(wall ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

Result measure(size_t nodes, unsigned runs, bool wall) {
  Result r;
  r.nodes = nodes;
  r.runs = runs;
  umlab::bench::GenOptions gen;
  gen.nodeCount = nodes;
  gen.shape = umlab::bench::Shape::Campus;
  const std::string yaml = umlab::bench::generateLab(gen);
  r.yamlSize = yaml.size();
  const umlab::lab::HostLayout host{"/tmp/umlab-bench", "/usr/bin/linux.uml", "/tmp/umlab-bench/images",
                                    "/usr/bin/umlab-switchd"};
  umlab::lab::ResolveOptions options;
  options.pathExists = [](const std::string&) { return false; };

  std::vector<double> compileMs, planMs, totalMs, layoutMs;
  for (unsigned i = 0; i < runs; ++i) {
    // Everything built in one run is destroyed at the end of the iteration, outside the timing.
    std::string text = yaml;
    umlab::SourceManager sources;
    umlab::Diagnostics diags;
    const double t0 = nowMs(wall);
    auto compiled = umlab::lab::compileText("bench.yaml", std::move(text), sources, diags, options);
    const double t1 = nowMs(wall);
    std::optional<umlab::lab::LaunchPlan> launch;
    if (compiled)
      launch = umlab::lab::plan(compiled->topology, host, diags);
    const double t2 = nowMs(wall);
    if (compiled) {
      const umlab::lab::LabLayout layout = umlab::lab::computeLayout(compiled->topology);
      layoutMs.push_back(nowMs(wall) - t2);
    }
    if (!compiled || !launch) {
      std::string first = diags.all().empty() ? "no diagnostic" : umlab::renderDiagnostic(diags.all().front());
      fail(r, "the generated lab of " + std::to_string(nodes) + " nodes did not compile: " + first);
      return r;
    }
    r.links = linkCount(compiled->topology);
    r.warnings = diags.warningCount();
    compileMs.push_back(t1 - t0);
    planMs.push_back(t2 - t1);
    totalMs.push_back(t2 - t0);
  }
  r.compileMs = median(compileMs);
  r.planMs = median(planMs);
  r.totalMs = median(totalMs);
  r.layoutMs = median(layoutMs);
  r.peakRssKiB = peakRssKiB();
  r.ok = true;
  return r;
}

/// Runs `measure` in a child, so that each size's peak memory is its own.
Result measureInChild(size_t nodes, unsigned runs, bool wall) {
  Result r;
  r.nodes = nodes;
  int fds[2];
  if (::pipe(fds) != 0) {
    fail(r, std::string("pipe: ") + std::strerror(errno));
    return r;
  }
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) {
    fail(r, std::string("fork: ") + std::strerror(errno));
    ::close(fds[0]);
    ::close(fds[1]);
    return r;
  }
  if (pid == 0) {
    ::close(fds[0]);
    const Result mine = measure(nodes, runs, wall);
    const char* p = reinterpret_cast<const char*>(&mine);
    size_t left = sizeof mine;
    while (left > 0) {
      const ssize_t n = ::write(fds[1], p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        ::_exit(1);
      p += n;
      left -= static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  Result got;
  char* p = reinterpret_cast<char*>(&got);
  size_t have = 0;
  while (have < sizeof got) {
    const ssize_t n = ::read(fds[0], p + have, sizeof got - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    have += static_cast<size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (have != sizeof got) {
    fail(r, WIFSIGNALED(status) ? "the child died of signal " + std::to_string(WTERMSIG(status))
                                : std::string("the child exited without a result"));
    return r;
  }
  return got;
}

unsigned defaultRuns(size_t nodes) { return nodes <= 1000 ? 9 : nodes <= 10000 ? 5 : 3; }

struct UsageError {
  std::string message;
};

size_t number(const std::string& what, std::string_view text) {
  size_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v == 0)
    throw UsageError{what + " must be a positive whole number, not '" + std::string(text) + "'"};
  return v;
}

int run(const std::vector<std::string>& args) {
  std::vector<size_t> sizes{100, 1000, 10000};
  unsigned runs = 0;
  bool wall = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--wall") {
      wall = true;
      continue;
    }
    std::string value;
    bool hasValue = false;
    if (size_t eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      hasValue = true;
    }
    if (a != "--sizes" && a != "--runs")
      throw UsageError{"unknown argument '" + args[i] + "'"};
    if (!hasValue) {
      if (i + 1 >= args.size())
        throw UsageError{"option '" + a + "' needs a value"};
      value = args[++i];
    }
    if (a == "--runs") {
      runs = static_cast<unsigned>(std::min<size_t>(number("--runs", value), 1000));
      continue;
    }
    sizes.clear();
    std::string_view rest = value;
    while (true) {
      const size_t comma = rest.find(',');
      const size_t n = number("each of --sizes", rest.substr(0, comma));
      if (n < 2 || n > umlab::bench::kMaxGenNodes)
        throw UsageError{"size " + std::to_string(n) + " must be from 2 to " + std::to_string(umlab::bench::kMaxGenNodes)};
      sizes.push_back(n);
      if (comma == std::string_view::npos)
        break;
      rest.remove_prefix(comma + 1);
    }
  }

  std::printf("campus labs (%u hosts per LAN); %s time, median of the runs; each size in its own process\n\n",
              umlab::bench::kDefaultHostsPerLan, wall ? "wall-clock" : "CPU");
  // Column widths: 8 8 11 13 9 9 9 9 9 5.
  std::printf("   nodes    links  YAML bytes  load+resolve      plan     total   \u00b5s per  peak RSS    layout  runs\n");
  std::printf("                               +analyze ms        ms        ms      node       MiB        ms\n");
  std::vector<Result> results;
  int status = 0;
  for (size_t n : sizes) {
    const Result r = measureInChild(n, runs ? runs : defaultRuns(n), wall);
    if (!r.ok) {
      std::fprintf(stderr, "bench_compile: error: %zu nodes: %s\n", n, r.error);
      status = 1;
      continue;
    }
    std::printf("%8llu %8llu %11llu %13.2f %9.2f %9.2f %9.2f %9.1f %9.2f %5u\n", static_cast<unsigned long long>(r.nodes),
                static_cast<unsigned long long>(r.links), static_cast<unsigned long long>(r.yamlSize), r.compileMs,
                r.planMs, r.totalMs, r.totalMs * 1000 / static_cast<double>(r.nodes),
                static_cast<double>(r.peakRssKiB) / 1024, r.layoutMs, r.runs);
    if (r.warnings)
      std::printf("         (%llu warnings: the generator should give none)\n", static_cast<unsigned long long>(r.warnings));
    results.push_back(r);
  }

  // Linearity: cost per node at the largest size against the reference size (1000 when both
  // 1000 and a larger size were measured, else the second largest). Up to 1.5x counts as
  // linear: timings on a shared machine wobble by that much, and an n log n or n^2 step shows as
  // far more at 10x the size.
  std::sort(results.begin(), results.end(), [](const Result& a, const Result& b) { return a.nodes < b.nodes; });
  if (results.size() >= 2) {
    const Result& big = results.back();
    const Result* ref = &results[results.size() - 2];
    for (const Result& r : results)
      if (r.nodes == 1000 && big.nodes > 1000)
        ref = &r;
    auto perNode = [](const Result& r) { return r.totalMs / static_cast<double>(r.nodes); };
    const double ratio = perNode(big) / perNode(*ref);
    std::printf("\ncost per node at %llu nodes is %.2fx that at %llu nodes: %s\n",
                static_cast<unsigned long long>(big.nodes), ratio, static_cast<unsigned long long>(ref->nodes),
                ratio <= 1.5 ? "the cost grows linearly (or better)" : "the cost grows faster than linearly");
  }
  return status;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "bench_compile: error: %s\nrun 'bench_compile --help' for the options\n", e.message.c_str());
    return 2;
  }
}
