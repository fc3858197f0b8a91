// bench_traffic: traffic at scale between many real UML guests (issue 19). N guest pairs send at
// once, through one switch (every guest on one segment) and through many (one segment per pair),
// with umlab-switchd and, as the anchor, uml_switch (uml-utilities) in the same run: aggregate
// Mbit/s and frames/s, the fairness between the pairs, the switch's CPU per frame, and where
// frames were lost. Run by hand, as root, after 'umlab image build':
//
//   build/bin/bench_traffic [--pairs 1,10,50] [--seconds 10] [--topology one,many]
//                           [--switch switchd,uml_switch] [--repeat N] [--memory 64M]
//
// Method. For each N, one lab of 2N guests aK, bK (K = 1..N) is booted in-process through the
// runtime library (labbench/: Launcher, LabClient; never `umlab`), in a private state root in a
// temp dir, and every (topology, switch) case is measured on that one boot, each guest having a
// NIC per case:
//   - switchd, one:  ethX of every guest on the segment `one` (one umlab-switchd, daemon transport),
//                    10.81.0.K (aK) and 10.81.1.K (bK), /16
//   - switchd, many: ethX of aK and bK on segment pK (N umlab-switchd processes), 10.82.K.1/.2 /24
//   - uml_switch, one:  one uml_switch, a NIC hot-plugged into every guest, 10.83.0.K / 10.83.1.K /16
//   - uml_switch, many: N uml_switch, one per pair, 10.84.K.1/.2 /24
// The uml_switch processes run in the lab's network namespace as the lab's uid, their NICs
// hot-plugged through mconsole (labbench/anchor_switch.hpp, as bench_guest_tcp does).
//
// A run of one case: `iperf3 -s -1 -D` in every bK (fresh port per run), then every pair's
// counters and, for umlab-switchd, its port counters (`show ports` on its admin socket); then all N
// clients `iperf3 -c -t SECONDS -J` in aK, each command from its own thread. The commands reach the
// guests at different times (each exec is a round trip through the supervisor and the guest's
// agent, slower as the host fills up), so each waits in its guest until a common start time T
// (2 s + 150 ms per pair ahead; a UML guest's clock is the host's) and prints when it really
// started: the spread of those starts is reported. At T the host reads the switches' CPU time
// (utime+stime of /proc/PID/stat) and /proc/stat; when the last client ends, the same readings
// again, then the counters. Figures of a run:
//   - Mbit/s: the sum over the pairs of end.sum_received (what each server received); per pair
//     min, max, and Jain's fairness index (sum x)^2 / (N sum x^2), 1 = equal shares
//   - kframes/s: frames the guests received on the case's NIC (sum of rx_packets deltas, both
//     directions: data and ACKs) over the window from T to the last client's end
//   - switch CPU: the switches' CPU seconds over that window, as a share of one CPU, and per frame
//     delivered in microseconds
//   - switch drops: umlab-switchd's own drop counters (every drop_* of every port); for
//     uml_switch the lines it prints when a send to a guest fails (EAGAIN, frame dropped)
//   - lost: frames the guests sent (tx_packets) that no guest received (rx_packets), which
//     includes the switch's drops; tx drops: the guests' tx_dropped (UML's sender dropping a frame
//     on EAGAIN towards the switch, which no switch counter sees)
//   - host busy: the share of all CPUs not idle (/proc/stat) over the window
// Rounds are interleaved (each round runs every case once) and the reported row is the run with
// the median aggregate Mbit/s of --repeat rounds. Every guest, switch and iperf3 shares the
// host's CPUs (2 on the reference machine), so absolute figures describe a CPU-bound system;
// the ratios switchd/uml_switch are what compare.
//
// Time (measured on the reference machine, 2 cores shared with other work). Boot is the largest
// part: 2 guests ~1.5 s, 20 guests 10-20 s, 100 guests 65-80 s; the uml_switch NICs are
// hot-plugged 8 at a time (100 NICs in 11-14 s with the check pings); a run lasts --seconds plus
// the lead before the common start (2 s + 150 ms per pair), longer where uml_switch's pairs stall
// (up to the 70 s command timeout). `--pairs 1,10 --seconds 10` took 157-208 s, `--pairs 50` 275-302 s.
//
// Stopping and cleaning up as bench_guest_tcp (labbench/lab_bench.hpp): SIGINT/SIGTERM are seen
// between steps; whatever happens, the hot-plugged NICs are removed, the uml_switch processes
// terminated and reaped, and the lab stopped (LabClient::down, cleanCrashed), the temp dir removed
// once that is proven. Only unix sockets in the lab's namespace carry traffic.
#include "labbench/anchor_switch.hpp"
#include "labbench/lab_bench.hpp"

#include "umlab/lab/runtime/switch_admin.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace umlab::bench;
using SteadyClock = std::chrono::steady_clock;
namespace runtime = umlab::lab::runtime;

namespace {

constexpr const char* kTool = "bench_traffic";
constexpr const char* kLab = "traffic";
constexpr int kFirstPort = 5401;
constexpr size_t kMaxPairs = 200;    // the addressing: hosts .1 to .254 of a /24 per pair
constexpr size_t kCommandWidth = 8; // guest commands at once when setting up and reading counters

/// Runs fn(0) .. fn(count - 1) on up to `width` threads; the first exception (Interrupted
/// first) is rethrown once all have ended.
template <typename Fn> void forEachParallel(size_t count, size_t width, Fn&& fn) {
  std::atomic<size_t> next{0};
  std::mutex mutex;
  std::exception_ptr failure;
  bool isInterrupted = false;
  std::vector<std::thread> threads;
  for (size_t t = 0; t < std::min(count, width); ++t)
    threads.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < count;) {
        try {
          fn(i);
        } catch (const Interrupted&) {
          std::lock_guard lock(mutex);
          isInterrupted = true;
          failure = std::current_exception();
        } catch (...) {
          std::lock_guard lock(mutex);
          if (!failure)
            failure = std::current_exception();
        }
      }
    });
  for (std::thread& t : threads)
    t.join();
  if (isInterrupted || failure)
    std::rethrow_exception(failure);
}

// ---- the cases -----------------------------------------------------------------------------

enum class Topology { One, Many };
enum class Switch { Switchd, UmlSwitch };

const char* name(Topology t) { return t == Topology::One ? "one" : "many"; }
const char* name(Switch s) { return s == Switch::Switchd ? "switchd" : "uml_switch"; }

/// One (topology, switch): the NIC of every guest for it and the addresses on it.
struct Case {
  Topology topology = Topology::One;
  Switch sw = Switch::Switchd;
  std::string iface; ///< the guests' NIC for this case, the same name in every guest
  int net = 0;       ///< the second octet of the addresses: 81 to 84
  std::string client(size_t k) const { return "a" + std::to_string(k); }
  std::string server(size_t k) const { return "b" + std::to_string(k); }
  /// The address of pair k's client (side 0) or server (side 1).
  std::string ip(size_t k, int side) const {
    return topology == Topology::One ? "10." + std::to_string(net) + "." + std::to_string(side) + "." + std::to_string(k)
                                     : "10." + std::to_string(net) + "." + std::to_string(k) + "." + std::to_string(side + 1);
  }
  std::string cidr(size_t k, int side) const { return ip(k, side) + (topology == Topology::One ? "/16" : "/24"); }
  std::string label() const { return std::string(name(topology)) + " " + name(sw); }
};

/// The cases of the selected topologies and switches; switchd's NICs come first (eth0, eth1),
/// as the lab's own, then the hot-plugged ones.
std::vector<Case> makeCases(const std::vector<Topology>& topologies, const std::vector<Switch>& switches) {
  std::vector<Case> cases;
  int nic = 0;
  for (Switch s : {Switch::Switchd, Switch::UmlSwitch})
    for (Topology t : {Topology::One, Topology::Many})
      if (std::count(topologies.begin(), topologies.end(), t) && std::count(switches.begin(), switches.end(), s))
        cases.push_back({t, s, "eth" + std::to_string(nic++),
                         (s == Switch::Switchd ? 81 : 83) + (t == Topology::One ? 0 : 1)});
  return cases;
}

/// The lab of N pairs with the switchd cases' segments and links.
std::string topologyYaml(size_t pairs, const std::vector<Case>& cases, const std::string& memory) {
  std::ostringstream y;
  y << "# written by bench_traffic\nname: " << kLab << "\ndescription: " << pairs
    << " guest pairs sending at once\ndefaults: {memory: " << memory << "}\nnodes:\n";
  for (size_t k = 1; k <= pairs; ++k)
    y << "  a" << k << ": {}\n  b" << k << ": {}\n";
  std::ostringstream segments, links;
  for (const Case& c : cases) {
    if (c.sw != Switch::Switchd)
      continue;
    if (c.topology == Topology::One)
      segments << "  one: {type: switch}\n";
    for (size_t k = 1; k <= pairs; ++k) {
      const std::string segment = c.topology == Topology::One ? "one" : "p" + std::to_string(k);
      if (c.topology == Topology::Many)
        segments << "  " << segment << ": {type: switch}\n";
      for (int side = 0; side < 2; ++side)
        links << "  - {endpoints: [" << (side == 0 ? c.client(k) : c.server(k)) << ":" << c.iface << ", " << segment
              << "], ip: " << c.cidr(k, side) << "}\n";
    }
  }
  if (!segments.str().empty())
    y << "segments:\n" << segments.str() << "links:\n" << links.str();
  return y.str();
}

/// A case's switches: umlab-switchd segments (pids and admin sockets) or uml_switch processes
/// with their NICs. NICs are removed (in parallel) before the switches stop.
struct CaseSwitches {
  std::vector<pid_t> pids;
  std::vector<std::string> adminPaths; ///< umlab-switchd only
  std::vector<std::unique_ptr<AnchorSwitch>> anchors;
  std::vector<std::unique_ptr<HotPlugNic>> nics;
  CaseSwitches() = default;
  CaseSwitches(const CaseSwitches&) = delete;
  CaseSwitches& operator=(const CaseSwitches&) = delete;
  ~CaseSwitches() {
    try {
      forEachParallel(nics.size(), kCommandWidth, [&](size_t i) { nics[i].reset(); });
    } catch (...) { // ~HotPlugNic reports its own failures
    }
    nics.clear();
    anchors.clear();
  }
};

/// umlab-switchd's counters, every port summed: frames sent to the guests, and every drop.
struct SwitchdCounters {
  uint64_t txFrames = 0, drops = 0;
};

SwitchdCounters readSwitchd(const std::vector<std::string>& adminPaths) {
  SwitchdCounters c;
  for (const std::string& path : adminPaths) {
    const runtime::AdminReply r = runtime::switchAdmin(path, "show ports");
    if (!r.ok)
      throw std::runtime_error("umlab-switchd " + path + ": 'show ports': " + r.text);
    std::istringstream words(r.text);
    for (std::string w; words >> w;) {
      const size_t eq = w.find('=');
      if (eq == std::string::npos)
        continue;
      const uint64_t v = std::strtoull(w.c_str() + eq + 1, nullptr, 10);
      if (w.compare(0, eq, "tx_frames") == 0)
        c.txFrames += v;
      else if (w.rfind("drop_", 0) == 0)
        c.drops += v;
    }
  }
  return c;
}

/// Sets up a case's switches on the running lab: finds umlab-switchd's, or starts uml_switch
/// and hot-plugs the NICs.
void prepare(const BenchLab& lab, const LabContext& context, const std::string& nsenter, const Case& c, size_t pairs,
             CaseSwitches& out) {
  if (c.sw == Switch::Switchd) {
    const runtime::LabStatus status = lab.status();
    for (size_t k = 1; k <= (c.topology == Topology::One ? 1 : pairs); ++k) {
      const std::string segment = c.topology == Topology::One ? "one" : "p" + std::to_string(k);
      const auto it = std::find_if(status.switches.begin(), status.switches.end(),
                                   [&](const runtime::SwitchStatus& s) { return s.segment == segment; });
      if (it == status.switches.end() || it->pid <= 0)
        throw std::runtime_error("the lab has no running switch for segment '" + segment + "'");
      out.pids.push_back(pid_t(it->pid));
      out.adminPaths.push_back(lab.client().switchAdminPath(kLab, segment));
    }
    return;
  }
  const std::string program = "/usr/bin/uml_switch";
  const std::string base = lab.anchorDir();
  makeAnchorDir(context, base);
  const size_t switches = c.topology == Topology::One ? 1 : pairs;
  for (size_t k = 1; k <= switches; ++k) {
    const std::string dir = base + "/" + (c.topology == Topology::One ? "one" : "p" + std::to_string(k));
    makeAnchorDir(context, dir);
    out.anchors.push_back(std::make_unique<AnchorSwitch>("uml_switch", program, nsenter, context, dir));
    out.pids.push_back(out.anchors.back()->pid());
  }
  // Locally administered MACs: 02:00:5e:<net>:<pair>:<side>.
  out.nics.resize(2 * pairs);
  forEachParallel(2 * pairs, kCommandWidth, [&](size_t i) {
    const size_t k = i / 2 + 1;
    const int side = int(i % 2);
    char mac[32];
    std::snprintf(mac, sizeof mac, "02:00:5e:%02x:%02x:%02x", unsigned(c.net), unsigned(k), unsigned(side + 1));
    const AnchorSwitch& sw = *out.anchors[c.topology == Topology::One ? 0 : k - 1];
    out.nics[i] = std::make_unique<HotPlugNic>(lab, side == 0 ? c.client(k) : c.server(k), c.iface, mac, sw.ctl(),
                                               c.cidr(k, side));
  });
}

// ---- a run ---------------------------------------------------------------------------------

/// The readings of one run (see "Method").
struct Run {
  std::vector<double> pairMbps;
  double seconds = 0; ///< the window: from the common start time to the last client's end
  uint64_t framesSent = 0, framesReceived = 0, txDropped = 0;
  uint64_t switchDrops = 0;
  double switchCpuSeconds = 0;
  double hostBusyPercent = 0;
  double startSpreadMs = 0; ///< from the first client's start to the last's, by the guests' clocks; -1: unknown
  size_t failedPairs = 0;  ///< pairs whose iperf3 failed (counted as 0 Mbit/s: they got nothing through)
  std::string firstError; ///< the first of those failures
  std::string note;       ///< not empty: the run failed

  double mbps() const {
    double sum = 0;
    for (double x : pairMbps)
      sum += x;
    return sum;
  }
  double fairness() const {
    double sum = 0, squares = 0;
    for (double x : pairMbps) {
      sum += x;
      squares += x * x;
    }
    return squares > 0 ? sum * sum / (double(pairMbps.size()) * squares) : 0;
  }
  double framesPerSecond() const { return seconds > 0 ? double(framesReceived) / seconds : 0; }
  double cpuPerFrameMicroseconds() const {
    return framesReceived > 0 ? switchCpuSeconds * 1e6 / double(framesReceived) : 0;
  }
};

int64_t realtimeNs() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

/// rx_packets, tx_packets, tx_dropped of every guest on the case's NIC, summed.
struct GuestFrames {
  uint64_t rx = 0, tx = 0, txDropped = 0;
};

GuestFrames readGuests(const BenchLab& lab, const Case& c, size_t pairs) {
  std::vector<std::vector<uint64_t>> values(2 * pairs);
  forEachParallel(2 * pairs, kCommandWidth, [&](size_t i) {
    const std::string node = i % 2 == 0 ? c.client(i / 2 + 1) : c.server(i / 2 + 1);
    const auto v = nicCounters(lab, node, c.iface, {"rx_packets", "tx_packets", "tx_dropped"});
    if (!v)
      throw std::runtime_error(node + ": cannot read the counters of " + c.iface);
    values[i] = *v;
  });
  GuestFrames f;
  for (const std::vector<uint64_t>& v : values) {
    f.rx += v[0];
    f.tx += v[1];
    f.txDropped += v[2];
  }
  return f;
}

double switchCpu(const std::vector<pid_t>& pids) {
  double sum = 0;
  for (pid_t pid : pids) {
    const std::optional<double> s = processCpuSeconds(pid);
    if (!s)
      throw std::runtime_error("switch process " + std::to_string(pid) + " is gone");
    sum += *s;
  }
  return sum;
}

uint64_t switchDrops(const Case& c, CaseSwitches& switches) {
  if (c.sw == Switch::Switchd)
    return readSwitchd(switches.adminPaths).drops;
  uint64_t sum = 0;
  for (const auto& a : switches.anchors)
    sum += a->sendFailures();
  return sum;
}

Run measure(const BenchLab& lab, const Case& c, CaseSwitches& switches, size_t pairs, int port, int seconds) {
  forEachParallel(pairs, kCommandWidth, [&](size_t i) { startIperfServer(lab, c.server(i + 1), port); });
  const GuestFrames framesBefore = readGuests(lab, c, pairs);
  const uint64_t dropsBefore = switchDrops(c, switches);

  Run run;
  run.pairMbps.assign(pairs, 0);
  std::vector<int64_t> started(pairs, 0);
  std::vector<std::string> errors(pairs);
  // Every client waits in its guest until `startAt`, far enough ahead for all the commands to
  // arrive; the readings of the window are taken on the host at that time.
  const int64_t startAt = realtimeNs() + 2'000'000'000 + int64_t(pairs) * 150'000'000;
  HostCpu hostBefore;
  double cpuBefore = 0;
  {
    std::vector<std::jthread> clients; // joined when this block ends, however it ends
    for (size_t i = 0; i < pairs; ++i)
      clients.emplace_back([&, i] {
        try {
          const IperfResult r = runIperfClient(lab, c.client(i + 1), c.ip(i + 1, 1), port, seconds, startAt);
          run.pairMbps[i] = r.mbps;
          started[i] = r.startedNs;
        } catch (const std::exception& e) { // Interrupted included: seen below
          errors[i] = e.what();
        }
      });
    pause(std::chrono::milliseconds(std::max<int64_t>(0, (startAt - realtimeNs()) / 1'000'000)));
    hostBefore = HostCpu::now();
    cpuBefore = switchCpu(switches.pids);
  }
  run.seconds = double(realtimeNs() - startAt) / 1e9;
  run.switchCpuSeconds = switchCpu(switches.pids) - cpuBefore;
  run.hostBusyPercent = HostCpu::now().busyPercentSince(hostBefore);
  std::erase(started, 0); // the failed pairs'
  const auto [first, last] = std::minmax_element(started.begin(), started.end());
  run.startSpreadMs = started.empty() ? -1 : double(*last - *first) / 1e6;
  checkStop();

  const GuestFrames framesAfter = readGuests(lab, c, pairs);
  run.framesReceived = framesAfter.rx - framesBefore.rx;
  run.framesSent = framesAfter.tx - framesBefore.tx;
  run.txDropped = framesAfter.txDropped - framesBefore.txDropped;
  run.switchDrops = switchDrops(c, switches) - dropsBefore;
  for (const std::string& e : errors)
    if (!e.empty() && ++run.failedPairs == 1)
      run.firstError = e;
  if (run.failedPairs == pairs)
    run.note = "every pair failed, e.g. " + run.firstError;
  return run;
}

// ---- output --------------------------------------------------------------------------------

struct Row {
  size_t pairs = 0;
  Case c;
  std::vector<Run> runs;
  std::string note; ///< not empty: no (more) figures
  std::optional<Run> median() const {
    std::vector<Run> ok;
    for (const Run& r : runs)
      if (r.note.empty())
        ok.push_back(r);
    if (ok.empty())
      return std::nullopt;
    std::sort(ok.begin(), ok.end(), [](const Run& a, const Run& b) { return a.mbps() < b.mbps(); });
    return ok[ok.size() / 2];
  }
};

void printRun(int round, int rounds, size_t pairs, const Case& c, const Run& r) {
  if (!r.note.empty()) {
    std::printf("round %d/%d  N=%-3zu %-16s failed: %s\n", round, rounds, pairs, c.label().c_str(), r.note.c_str());
    return;
  }
  const auto [lo, hi] = std::minmax_element(r.pairMbps.begin(), r.pairMbps.end());
  std::printf("round %d/%d  N=%-3zu %-16s %8.1f Mbit/s  %7.1f kframes/s  fairness %.3f  pair %.1f-%.1f  switch "
              "%.1f us/frame  drops %llu  tx drops %llu  (%.1f s, starts within %.0f ms)\n",
              round, rounds, pairs, c.label().c_str(), r.mbps(), r.framesPerSecond() / 1e3, r.fairness(), *lo, *hi,
              r.cpuPerFrameMicroseconds(), (unsigned long long)r.switchDrops, (unsigned long long)r.txDropped,
              r.seconds, r.startSpreadMs);
  if (r.failedPairs)
    std::printf("            %zu of %zu pairs failed (0 Mbit/s), e.g. %s\n", r.failedPairs, pairs, r.firstError.c_str());
  std::fflush(stdout);
}

void printTable(const std::vector<Row>& rows, int repeat, int seconds) {
  std::printf("\n%4s %-5s %-10s %9s %9s %8s %8s %8s %8s %8s %8s %9s %8s %6s %7s %7s %6s\n", "N", "topo", "switch", "Mbit/s",
              "kframe/s", "fairness", "min", "max", "sw CPU%", "us/frame", "sw drops", "lost", "tx drops", "host%",
              "window", "spread", "failed");
  for (const Row& row : rows) {
    const std::optional<Run> m = row.median();
    if (!m) {
      std::printf("%4zu %-5s %-10s %s\n", row.pairs, name(row.c.topology), name(row.c.sw),
                  row.note.empty() ? "no successful run" : row.note.c_str());
      continue;
    }
    const auto [lo, hi] = std::minmax_element(m->pairMbps.begin(), m->pairMbps.end());
    const uint64_t lost = m->framesSent > m->framesReceived ? m->framesSent - m->framesReceived : 0;
    std::printf("%4zu %-5s %-10s %9.1f %9.1f %8.3f %8.1f %8.1f %8.1f %8.2f %8llu %9llu %8llu %6.0f %6.1fs %5.0fms %6zu\n", row.pairs,
                name(row.c.topology), name(row.c.sw), m->mbps(), m->framesPerSecond() / 1e3, m->fairness(), *lo, *hi,
                100.0 * m->switchCpuSeconds / m->seconds, m->cpuPerFrameMicroseconds(),
                (unsigned long long)m->switchDrops, (unsigned long long)lost, (unsigned long long)m->txDropped,
                m->hostBusyPercent, m->seconds, m->startSpreadMs, m->failedPairs);
  }
  std::printf("(median run of %d by Mbit/s; each pair iperf3 TCP -t %d, all pairs at once. Mbit/s: sum of the pairs'\n"
              " received rates; min, max: per pair. kframe/s: frames the guests received on the case's NIC per second\n"
              " of the window (start time to last client end). sw CPU%%: the switch processes' CPU over the window, in %% of\n"
              " one CPU; us/frame: that CPU per frame received. sw drops: the switch's own drop counters (uml_switch:\n"
              " failed sends). lost: frames sent by guests that no guest received. tx drops: the guests' tx_dropped.\n"
              " host%%: all CPUs busy. window: the common start time to the last client's end; longer than -t when a\n"
              " pair's iperf3 stalled, and kframe/s, sw CPU%% and host%% are over it. spread: from the first client's\n"
              " start to the last's. failed: pairs whose iperf3 failed, counted as 0 Mbit/s.)\n",
              repeat, seconds);
  std::printf("\nratios switchd / uml_switch (same N, topology, boot):\n");
  for (const Row& a : rows) {
    if (a.c.sw != Switch::Switchd)
      continue;
    for (const Row& b : rows) {
      if (b.pairs != a.pairs || b.c.topology != a.c.topology || b.c.sw != Switch::UmlSwitch)
        continue;
      const std::optional<Run> x = a.median(), y = b.median();
      if (!x || !y || y->mbps() <= 0 || y->framesPerSecond() <= 0 || y->cpuPerFrameMicroseconds() <= 0)
        continue;
      std::printf("  N=%-3zu %-5s Mbit/s %.2fx  frames/s %.2fx  CPU per frame %.2fx  fairness %.3f vs %.3f\n", a.pairs,
                  name(a.c.topology), x->mbps() / y->mbps(), x->framesPerSecond() / y->framesPerSecond(),
                  x->cpuPerFrameMicroseconds() / y->cpuPerFrameMicroseconds(), x->fairness(), y->fairness());
    }
  }
  std::fflush(stdout);
}

// ---- the bench -----------------------------------------------------------------------------

struct Options {
  std::vector<size_t> pairs = {1, 10, 50};
  int seconds = 10;
  std::vector<Topology> topologies = {Topology::One, Topology::Many};
  std::vector<Switch> switches = {Switch::Switchd, Switch::UmlSwitch};
  int repeat = 1;
  std::string memory = "64M";
};

/// Boots the lab of N pairs, measures every case `repeat` times (iperf3 ports from `port` on),
/// appends the rows; false when a case failed.
bool benchPairs(const Options& opt, size_t pairs, const std::string& nsenter, int& port, std::vector<Row>& rows) {
  const std::vector<Case> cases = makeCases(opt.topologies, opt.switches);
  BenchLab lab(kTool, kLab, "umlab-bench-traffic");
  if (const size_t others = otherUmlProcesses(kLab))
    std::printf("warning: %zu UML processes of other labs or tests are running; they share the CPUs and make the "
                "figures noisy\n",
                others);
  std::printf("\nN=%zu: booting %zu guests of %s (load average %s; state in %s)\n", pairs, 2 * pairs,
              opt.memory.c_str(), loadAverage().c_str(), lab.stateDir().c_str());
  std::fflush(stdout);
  auto t0 = SteadyClock::now();
  lab.up(topologyYaml(pairs, cases, opt.memory), std::chrono::seconds(std::max<size_t>(180, 6 * 2 * pairs)));
  std::printf("lab '%s' up in %.1f s\n", kLab, std::chrono::duration<double>(SteadyClock::now() - t0).count());
  const LabContext context = lab.context();

  // Declared after the lab: destroyed first (NICs out, uml_switch stopped, then the lab down).
  std::vector<std::unique_ptr<CaseSwitches>> switches;
  const size_t firstRow = rows.size();
  bool isOk = true;
  for (const Case& c : cases) {
    Row row;
    row.pairs = pairs;
    row.c = c;
    switches.push_back(std::make_unique<CaseSwitches>());
    try {
      t0 = SteadyClock::now();
      prepare(lab, context, nsenter, c, pairs, *switches.back());
      forEachParallel(pairs, kCommandWidth, [&](size_t i) { checkReachable(lab, c.client(i + 1), c.ip(i + 1, 1)); });
      std::printf("%-16s %zu switch process(es), %zu pairs reachable (%.1f s)\n", c.label().c_str(),
                  switches.back()->pids.size(), pairs, std::chrono::duration<double>(SteadyClock::now() - t0).count());
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      row.note = std::string("failed: ") + e.what();
      std::printf("%-16s %s\n", c.label().c_str(), row.note.c_str());
      isOk = false;
    }
    std::fflush(stdout);
    rows.push_back(row);
  }

  for (int round = 1; round <= opt.repeat; ++round)
    for (size_t i = 0; i < cases.size(); ++i) {
      Row& row = rows[firstRow + i];
      if (!row.note.empty())
        continue;
      checkStop();
      try {
        Run r = measure(lab, cases[i], *switches[i], pairs, port++, opt.seconds);
        printRun(round, opt.repeat, pairs, cases[i], r);
        // A pair uml_switch fails is a figure of the anchor; one umlab-switchd fails is a failure.
        isOk = isOk && r.note.empty() && (r.failedPairs == 0 || cases[i].sw != Switch::Switchd);
        row.runs.push_back(std::move(r));
      } catch (const Interrupted&) {
        throw;
      } catch (const std::exception& e) {
        row.note = std::string("failed: ") + e.what();
        std::printf("round %d/%d  N=%-3zu %-16s %s\n", round, opt.repeat, pairs, cases[i].label().c_str(),
                    row.note.c_str());
        isOk = false;
      }
    }
  for (size_t i = 0; i < switches.size(); ++i)
    for (const auto& a : switches[i]->anchors)
      if (!a->isAlive()) {
        std::printf("warning: uml_switch (pid %d) exited during the run: %s\n", int(a->pid()), a->outputTail().c_str());
        isOk = false;
      }
  t0 = SteadyClock::now();
  switches.clear();
  std::printf("anchor NICs removed and switches stopped in %.1f s\n",
              std::chrono::duration<double>(SteadyClock::now() - t0).count());
  return isOk;
}

void usage(FILE* out) {
  std::fprintf(out,
               "usage: bench_traffic [--pairs LIST] [--seconds N] [--topology LIST] [--switch LIST] [--repeat N]\n"
               "                     [--memory SIZE]\n"
               "  N guest pairs (aK -> bK, iperf3 TCP) sending at once between real UML guests booted in-process,\n"
               "  through one switch (all guests on one segment) and through many (a segment per pair), with\n"
               "  umlab-switchd and uml_switch (NICs hot-plugged through mconsole) on the same boot: aggregate\n"
               "  Mbit/s and frames/s, fairness (Jain's index), the switch's CPU per frame, its drops, the guests'\n"
               "  tx drops, host CPU. Needs root, the base image ('umlab image build'), uml-utilities and nsenter;\n"
               "  N=1 and 10 take about 3 minutes, N=50 about 5 more.\n"
               "  --pairs LIST     comma-separated pair counts, 1 to %zu (default 1,10,50)\n"
               "  --seconds N      length of each iperf3 run, iperf3 -t (default 10)\n"
               "  --topology LIST  one,many (default both)\n"
               "  --switch LIST    switchd,uml_switch (default both)\n"
               "  --repeat N       rounds; each row is the median run (default 1)\n"
               "  --memory SIZE    memory of each guest (default 64M)\n",
               kMaxPairs);
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> items;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty())
      items.push_back(item);
  return items;
}

[[noreturn]] void badArgument(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kTool, message.c_str());
  usage(stderr);
  std::exit(2);
}

/// The comma-separated names in `value`, each one of `known` (by its name()); else exit 2.
template <typename T> std::vector<T> choices(const std::string& flag, const std::string& value, std::vector<T> known) {
  std::vector<T> picked;
  std::string names;
  for (T k : known)
    names += std::string(names.empty() ? "" : ", ") + name(k);
  for (const std::string& item : splitList(value)) {
    const auto it = std::find_if(known.begin(), known.end(), [&](T k) { return item == name(k); });
    if (it == known.end())
      badArgument(flag + ": unknown value '" + item + "' (" + names + ")");
    picked.push_back(*it);
  }
  return picked;
}

Options parseOptions(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    }
    if (i + 1 >= argc)
      badArgument("unknown argument '" + a + "', or it needs a value");
    const std::string value = argv[++i];
    if (a == "--pairs") {
      opt.pairs.clear();
      for (const std::string& p : splitList(value)) {
        const long n = std::strtol(p.c_str(), nullptr, 10);
        if (p.find_first_not_of("0123456789") != std::string::npos || n < 1 || size_t(n) > kMaxPairs)
          badArgument("--pairs: '" + p + "' is not a pair count from 1 to " + std::to_string(kMaxPairs));
        opt.pairs.push_back(size_t(n));
      }
    } else if (a == "--seconds") {
      opt.seconds = positiveInt(kTool, "--seconds", value.c_str());
    } else if (a == "--repeat") {
      opt.repeat = positiveInt(kTool, "--repeat", value.c_str());
    } else if (a == "--topology") {
      opt.topologies = choices<Topology>(a, value, {Topology::One, Topology::Many});
    } else if (a == "--switch") {
      opt.switches = choices<Switch>(a, value, {Switch::Switchd, Switch::UmlSwitch});
    } else if (a == "--memory") {
      if (value.size() < 2 || value.find_first_not_of("0123456789") != value.size() - 1 ||
          (value.back() != 'M' && value.back() != 'G'))
        badArgument("--memory: '" + value + "' is not a size such as 64M or 1G");
      opt.memory = value;
    } else {
      badArgument("unknown argument '" + a + "'");
    }
  }
  if (opt.pairs.empty() || opt.topologies.empty() || opt.switches.empty())
    badArgument("--pairs, --topology and --switch each need at least one value");
  return opt;
}

} // namespace

int main(int argc, char** argv) {
  const Options opt = parseOptions(argc, argv);
  return runBenchMain(kTool, [&] {
    const std::optional<std::string> nsenter = findExecutable("nsenter");
    if (std::count(opt.switches.begin(), opt.switches.end(), Switch::UmlSwitch) &&
        (!nsenter || ::access("/usr/bin/uml_switch", X_OK) != 0))
      throw std::runtime_error("the uml_switch anchor needs /usr/bin/uml_switch (apt-get install uml-utilities) and "
                               "nsenter (util-linux); or leave it out with --switch switchd");
    std::printf("bench_traffic: iperf3 TCP -t %d, %d round(s); host has %ld CPUs online, shared by every guest, switch "
                "and iperf3\n",
                opt.seconds, opt.repeat, ::sysconf(_SC_NPROCESSORS_ONLN));
    std::fflush(stdout);
    const auto start = SteadyClock::now();
    std::vector<Row> rows;
    bool isOk = true;
    int port = kFirstPort;
    for (size_t pairs : opt.pairs)
      isOk = benchPairs(opt, pairs, nsenter.value_or(""), port, rows) && isOk;
    printTable(rows, opt.repeat, opt.seconds);
    std::printf("bench_traffic: %s in %.0f s (load average %s)\n", isOk ? "done" : "done with failures",
                std::chrono::duration<double>(SteadyClock::now() - start).count(), loadAverage().c_str());
    return isOk ? 0 : 1;
  });
}
