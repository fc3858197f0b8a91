// bench_guest_tcp: guest-to-guest TCP throughput (iperf3) between real UML guests, through
// umlab-switchd (daemon and bess transports), UML's mcast transport (no switch), and the two
// classic switches uml_switch (uml-utilities) and vde_switch (vde2) as anchors, in the same run.
// Run by hand, as root, after 'umlab image build':
//
//   build/bin/bench_guest_tcp [--repeat N] [--seconds N] [--only LIST]
//
// What it shares with bench_traffic (the temporary lab, stopping, iperf3, the anchor switches and
// their hot-plugged NICs) is in labbench/ (umlab_labbench); this file holds the paths and the table.
//
// Method. The bench writes a temporary topology, compiles it (lab::compileFile, lab::plan) and
// starts it in-process with the runtime library's Launcher, in a private state root inside a
// temp dir; it reaches the running lab through LabClient (exec, status, down), and never runs
// `umlab`. Guests a,b are on a daemon-transport switch segment, c,d on a bess switch segment,
// m1,m2 on an mcast segment, 128M each, every segment on its own /24 (only the nodes of the
// selected paths are booted). A measurement is `iperf3 -s -1 -D -p PORT` in the server guest
// and `iperf3 -c IP -p PORT -t SECONDS -J` in the client guest, both through LabClient::exec;
// the figure is end.sum_received.bits_per_second of the client's JSON. Every run uses a fresh
// port, so a server left over by a failed run never answers a later one; "connection refused"
// (the daemonised server not listening yet) is retried.
//
// The anchors reuse guests a and b. The bench starts uml_switch (`-unix CTL`) and vde_switch
// (`-s DIR`, which answers the uml_switch v3 request on DIR/ctl) itself, inside the lab's network
// namespace (nsenter --net=/proc/<supervisor>/ns/net: the guests' daemon data sockets are abstract
// unix names, which exist per namespace) and as the lab's unprivileged uid (the owner of the
// lab's subdirectories, the uid its guests run as), with their sockets in <state>/<lab>/sw/anchor/ (the
// lab's switch directory is bind-mounted into every guest's jail at the same path). Then it hot-plugs a
// NIC into a and b through their mconsole sockets (`config eth1=daemon,MAC,unix,CTL` for
// uml_switch, eth2 for vde_switch; kernel::mconsoleCommand, its reply socket in the lab's uml
// directory, which the jailed guest sees at the same path, as the supervisor's hot-plug does), checks
// that the guest really has the device (mconsole answers OK even when the transport's init
// failed), and gives it an address with `ip addr add` / `ip link set up`. At the end each NIC is
// taken down in the guest and removed (`remove ethN`; UML refuses while it is up), and each
// switch is terminated.
//
// The runs are interleaved: each round measures every path once, so a slow drift of the machine
// (and the idle guests' background work) is spread over all paths; the reported figure is the
// median of --repeat rounds. Everything (all booted guests, idle or not, the switches and both
// iperf3 ends) shares the host's CPUs, 2 on the reference machine, so the absolute figures
// measure a CPU-bound system and the ratios are what compare.
//
// Besides iperf3's retransmits, each run reads the sending guest's tx_dropped before and after:
// UML's daemon and vector transports drop a frame when the send towards the switch fails (EAGAIN
// on a full socket queue), a loss that no switch counter sees; the retransmits of the switchd
// paths match it frame for frame.
//
// Stopping. SIGINT and SIGTERM are seen between steps, not in the middle of one: the launch
// checks at each progress line the supervisor reports (each switch up, each guest booting or
// ready), so at worst when the boot timeout ends; a guest command (LabClient::exec cannot be
// cancelled) when it ends, which for iperf3 is after its -t seconds and otherwise soon, and in
// any case at its timeout. Pauses end at once.
//
// Only unix sockets and the lab's own network namespace carry traffic (mcast stays on the
// namespace's lo). Whatever happens (an error, SIGINT, SIGTERM), the NICs are removed, the
// switches are terminated and reaped (ChildProcess kills only the process groups it started),
// and LabClient::down stops the lab (then cleanCrashed; if the supervisor does not answer at
// all, SIGTERM to it and cleanCrashed); the temporary directory is kept if that cannot be proven.
#include "labbench/anchor_switch.hpp"
#include "labbench/lab_bench.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

using namespace umlab;
using namespace umlab::bench;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;
namespace runtime = umlab::lab::runtime;

namespace {

constexpr const char* kTool = "bench_guest_tcp";
constexpr const char* kLab = "gtcp";
constexpr int kFirstPort = 5301;

struct Anchor {
  std::unique_ptr<AnchorSwitch> sw;
  std::vector<std::unique_ptr<HotPlugNic>> nics;
  ~Anchor() { nics.clear(); }
};

// ---- paths and measurements ----------------------------------------------------------------

struct Path {
  std::string key;   ///< for --only
  std::string label; ///< as printed
  std::string client, server, serverIp;
  // Anchors only: which switch, the hot-plugged interface and the two guests' addresses.
  std::string anchorSwitch;
  std::string iface;
  std::string clientCidr, serverCidr;
  bool isAnchor() const { return !anchorSwitch.empty(); }
};

const std::vector<Path>& allPaths() {
  static const std::vector<Path> paths = {
      {"switchd-daemon", "umlab-switchd, daemon", "a", "b", "10.71.1.2", "", "", "", ""},
      {"switchd-bess", "umlab-switchd, bess", "c", "d", "10.71.2.2", "", "", "", ""},
      {"mcast", "mcast, no switch", "m1", "m2", "10.71.3.2", "", "", "", ""},
      {"uml_switch", "uml_switch, daemon", "a", "b", "10.71.4.2", "uml_switch", "eth1", "10.71.4.1/24", "10.71.4.2/24"},
      {"vde_switch", "vde_switch, daemon", "a", "b", "10.71.5.2", "vde_switch", "eth2", "10.71.5.1/24", "10.71.5.2/24"},
  };
  return paths;
}

/// The topology of the selected paths: only the segments and nodes they need.
std::string topology(const std::vector<const Path*>& paths) {
  auto wants = [&](const std::string& node) {
    return std::any_of(paths.begin(), paths.end(), [&](const Path* p) { return p->client == node; });
  };
  std::string nodes, segments, links;
  if (wants("a")) {
    nodes += "  a: {}\n  b: {}\n";
    segments += "  sd: {type: switch}\n";
    links += "  - {endpoints: [a:eth0, sd], ip: 10.71.1.1/24}\n  - {endpoints: [b:eth0, sd], ip: 10.71.1.2/24}\n";
  }
  if (wants("c")) {
    nodes += "  c: {}\n  d: {}\n";
    segments += "  sb: {type: switch, transport: bess}\n";
    links += "  - {endpoints: [c:eth0, sb], ip: 10.71.2.1/24}\n  - {endpoints: [d:eth0, sb], ip: 10.71.2.2/24}\n";
  }
  if (wants("m1")) {
    nodes += "  m1: {}\n  m2: {}\n";
    segments += "  mc: {type: mcast}\n";
    links += "  - {endpoints: [m1:eth0, mc], ip: 10.71.3.1/24}\n  - {endpoints: [m2:eth0, mc], ip: 10.71.3.2/24}\n";
  }
  return std::string("# written by bench_guest_tcp\nname: ") + kLab +
         "\ndescription: guest-to-guest TCP throughput per transport\ndefaults: {memory: 128M}\nnodes:\n" + nodes +
         "segments:\n" + segments + "links:\n" + links;
}

struct Sample {
  double mbps = 0;
  double retransmits = 0;
  std::optional<uint64_t> txDropped; ///< frames the sending guest's NIC dropped during the run
};

/// The sending guest's tx_dropped on IFACE, or nullopt.
std::optional<uint64_t> txDropped(const BenchLab& lab, const std::string& node, const std::string& iface) {
  const std::optional<std::vector<uint64_t>> v = nicCounters(lab, node, iface, {"tx_dropped"});
  return v ? std::optional<uint64_t>(v->front()) : std::nullopt;
}

/// One iperf3 run from `p.client` to `p.server`; throws on failure.
Sample measure(const BenchLab& lab, const Path& p, int port, int seconds) {
  // The sender's tx_dropped: UML drops a frame when the send towards the switch (or the group)
  // fails, e.g. with EAGAIN on a full queue; no switch counter sees those.
  const std::string iface = p.isAnchor() ? p.iface : "eth0";
  const std::optional<uint64_t> dropsBefore = txDropped(lab, p.client, iface);
  startIperfServer(lab, p.server, port);
  const IperfResult r = runIperfClient(lab, p.client, p.serverIp, port, seconds);
  Sample s;
  s.mbps = r.mbps;
  s.retransmits = r.retransmits;
  if (const std::optional<uint64_t> after = txDropped(lab, p.client, iface); after && dropsBefore)
    s.txDropped = *after - std::min(*after, *dropsBefore);
  return s;
}

struct Row {
  const Path* path = nullptr;
  std::string note; ///< not empty: no (more) figures
  std::vector<Sample> samples;
  std::optional<Sample> median() const {
    if (samples.empty())
      return std::nullopt;
    std::vector<Sample> s = samples;
    std::sort(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.mbps < b.mbps; });
    return s[s.size() / 2];
  }
};

/// What the switch of `segment` dropped, every port summed (its last counters), or nullopt
/// before it first answered.
std::optional<uint64_t> switchDrops(const runtime::LabStatus& status, const std::string& segment) {
  for (const runtime::SwitchStatus& sw : status.switches) {
    if (sw.segment != segment || !sw.hasCounters)
      continue;
    uint64_t drops = 0;
    for (const runtime::PortStatus& port : sw.ports)
      drops += port.drops;
    return drops;
  }
  return std::nullopt;
}


void usage(FILE* out) {
  std::fprintf(out,
               "usage: bench_guest_tcp [--repeat N] [--seconds N] [--only LIST]\n"
               "  Guest-to-guest TCP throughput (iperf3) between two UML guests booted in-process,\n"
               "  through umlab-switchd (daemon and bess transports), the mcast transport (no switch),\n"
               "  and, as anchors, uml_switch and vde_switch (daemon transport, NICs hot-plugged through\n"
               "  mconsole). Needs root and the base image ('umlab image build'); takes a few minutes.\n"
               "  --repeat N    rounds; each path's figure is the median (default 3)\n"
               "  --seconds N   length of each iperf3 run, iperf3 -t (default 5)\n"
               "  --only LIST   comma-separated paths: switchd-daemon,switchd-bess,mcast,uml_switch,vde_switch\n");
}

struct Options {
  int repeat = 3;
  int seconds = 5;
  std::vector<const Path*> paths;
};

int runBench(const Options& opt) {
  // Anchors need nsenter, and their switch; a missing one gives a "not installed" row.
  const std::optional<std::string> nsenter = findExecutable("nsenter");
  std::vector<Row> rows;
  for (const Path* p : opt.paths) {
    Row r;
    r.path = p;
    if (p->isAnchor() && !findExecutable(p->anchorSwitch))
      r.note = "not installed (" + p->anchorSwitch + ")";
    else if (p->isAnchor() && !nsenter)
      r.note = "needs nsenter (util-linux)";
    rows.push_back(r);
  }

  BenchLab lab(kTool, kLab, "umlab-bench-gtcp");
  size_t guests = 0;
  for (const char* n : {"a", "c", "m1"})
    if (std::any_of(opt.paths.begin(), opt.paths.end(), [&](const Path* p) { return p->client == n; }))
      guests += 2;
  if (const size_t others = otherUmlProcesses(kLab))
    std::printf("warning: %zu UML processes of other labs or tests are running; they share the CPUs and make the "
                "figures noisy\n",
                others);
  std::printf("load average (1 min) before: %s\nbooting %zu guests (in-process Launcher, state in %s)\n",
              loadAverage().c_str(), guests, lab.stateDir().c_str());
  std::fflush(stdout);
  const auto t0 = SteadyClock::now();
  lab.up(topology(opt.paths), std::chrono::seconds(180));
  std::printf("lab '%s' up in %.1f s\n", kLab, std::chrono::duration<double>(SteadyClock::now() - t0).count());

  const LabContext context = lab.context();
  {
    std::error_code ec;
    std::printf("lab network namespace: %s (%s); lab uid %u\n", context.netnsPath().c_str(),
                fs::read_symlink(context.netnsPath(), ec).c_str(), unsigned(context.uid));
  }

  // The anchors' switches and NICs: destroyed (NICs removed, switches stopped) before the lab.
  std::vector<std::unique_ptr<Anchor>> anchors;
  int status = 0;
  const std::string anchorDir = lab.anchorDir();
  for (Row& r : rows) {
    if (!r.note.empty())
      continue;
    const Path& p = *r.path;
    try {
      if (p.isAnchor()) {
        makeAnchorDir(context, anchorDir);
        auto anchor = std::make_unique<Anchor>();
        anchor->sw = std::make_unique<AnchorSwitch>(p.anchorSwitch, *findExecutable(p.anchorSwitch), *nsenter, context,
                                                    anchorDir);
        std::printf("%s: pid %d, control socket %s\n", p.anchorSwitch.c_str(), int(anchor->sw->pid()),
                    anchor->sw->ctl().c_str());
        // Locally administered MACs, one pair per anchor.
        const std::string macBase = p.anchorSwitch == "uml_switch" ? "02:00:5e:67:01:" : "02:00:5e:67:02:";
        anchor->nics.push_back(std::make_unique<HotPlugNic>(lab, p.client, p.iface, macBase + "01",
                                                            anchor->sw->ctl(), p.clientCidr));
        anchor->nics.push_back(std::make_unique<HotPlugNic>(lab, p.server, p.iface, macBase + "02",
                                                            anchor->sw->ctl(), p.serverCidr));
        anchors.push_back(std::move(anchor));
      }
      checkReachable(lab, p.client, p.serverIp);
      std::printf("%-24s %s -> %s (%s) reachable\n", p.label.c_str(), p.client.c_str(), p.server.c_str(),
                  p.serverIp.c_str());
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      r.note = std::string("failed: ") + e.what();
      std::printf("%-24s %s\n", p.label.c_str(), r.note.c_str());
      status = 1;
    }
    std::fflush(stdout);
  }

  int port = kFirstPort;
  for (int round = 1; round <= opt.repeat; ++round) {
    for (Row& r : rows) {
      checkStop();
      if (!r.note.empty())
        continue;
      try {
        const Sample s = measure(lab, *r.path, port++, opt.seconds);
        r.samples.push_back(s);
        std::printf("round %d/%d  %-24s %9.1f Mbit/s  %6.0f retransmits  %6s frames dropped by the sender\n", round,
                    opt.repeat, r.path->label.c_str(), s.mbps, s.retransmits,
                    s.txDropped ? std::to_string(*s.txDropped).c_str() : "?");
      } catch (const Interrupted&) {
        throw;
      } catch (const std::exception& e) {
        r.note = std::string("failed: ") + e.what();
        std::printf("round %d/%d  %-24s %s\n", round, opt.repeat, r.path->label.c_str(), r.note.c_str());
        status = 1;
      }
      std::fflush(stdout);
    }
  }

  std::printf("load average (1 min) after the runs: %s\n", loadAverage().c_str());
  if (const size_t others = otherUmlProcesses(kLab))
    std::printf("warning: %zu UML processes of other labs or tests are running\n", others);

  // What the switches dropped, for reading the retransmits.
  std::string drops;
  try {
    const runtime::LabStatus status = lab.status();
    for (const char* segment : {"sd", "sb"})
      if (const std::optional<uint64_t> d = switchDrops(status, segment))
        drops += std::string(drops.empty() ? "" : ", ") + "umlab-switchd " +
                 (std::string(segment) == "sd" ? "daemon" : "bess") + " segment dropped " + std::to_string(*d) +
                 " frames";
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception&) {
  }
  for (const auto& a : anchors)
    if (a->sw && a->sw->outputTail().find("send_sock") != std::string::npos)
      drops += std::string(drops.empty() ? "" : ", ") + "uml_switch failed " + std::to_string(a->sw->sendFailures()) +
               " sends (EAGAIN: frame dropped)";
  for (const auto& a : anchors)
    if (a->sw && !a->sw->isAlive()) {
      std::printf("warning: an anchor switch (pid %d) exited during the run: %s\n", int(a->sw->pid()),
                  a->sw->outputTail().c_str());
      status = 1;
    }

  const Row* anchor = nullptr;
  for (const Row& r : rows)
    if (r.path->key == "uml_switch" && r.median())
      anchor = &r;
  const unsigned cpus = unsigned(::sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("\n%-24s %11s %9s %9s %12s %10s %13s\n", "path", "Mbit/s", "min", "max", "retransmits", "tx drops",
              "vs uml_switch");
  for (const Row& r : rows) {
    const std::optional<Sample> m = r.median();
    if (!m) {
      std::printf("%-24s %s\n", r.path->label.c_str(), r.note.c_str());
      continue;
    }
    double lo = r.samples.front().mbps, hi = lo;
    for (const Sample& s : r.samples) {
      lo = std::min(lo, s.mbps);
      hi = std::max(hi, s.mbps);
    }
    char ratio[32] = "-";
    if (anchor && anchor->median()->mbps > 0)
      std::snprintf(ratio, sizeof ratio, "%.2fx", m->mbps / anchor->median()->mbps);
    std::printf("%-24s %11.1f %9.1f %9.1f %12.0f %10s %13s%s%s\n", r.path->label.c_str(), m->mbps, lo, hi,
                m->retransmits, m->txDropped ? std::to_string(*m->txDropped).c_str() : "?",
                ratio, r.note.empty() ? "" : "  ", r.note.c_str());
  }
  std::printf("(Mbit/s: iperf3's end.sum_received, guest to guest over TCP, median of %d runs of %d s; min, max: of\n"
              " those runs; retransmits, and tx drops (frames the sending guest's NIC dropped, its tx_dropped), of the\n"
              " median run. The host has %u CPUs online: all %zu guests (idle ones included), the switches and both\n"
              " iperf3 ends share them.)\n",
              opt.repeat, opt.seconds, cpus, guests);
  if (!drops.empty())
    std::printf("(%s)\n", drops.c_str());
  std::fflush(stdout);

  anchors.clear(); // NICs out, switches stopped, then the lab goes down (Lab's destructor)
  return status;
}

} // namespace

int main(int argc, char** argv) {
  Options opt;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    }
    if (a == "--repeat" && i + 1 < argc) {
      opt.repeat = positiveInt(kTool, "--repeat", argv[++i]);
    } else if (a == "--seconds" && i + 1 < argc) {
      opt.seconds = positiveInt(kTool, "--seconds", argv[++i]);
    } else if (a == "--only" && i + 1 < argc) {
      only = std::string(",") + argv[++i] + ",";
    } else {
      std::fprintf(stderr, "bench_guest_tcp: unknown argument '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  for (const Path& p : allPaths())
    if (only.empty() || only.find("," + p.key + ",") != std::string::npos)
      opt.paths.push_back(&p);
  if (!only.empty()) {
    // Every name in --only must be a path.
    size_t start = 1;
    for (size_t comma; (comma = only.find(',', start)) != std::string::npos; start = comma + 1) {
      const std::string name = only.substr(start, comma - start);
      if (!name.empty() && std::none_of(allPaths().begin(), allPaths().end(), [&](const Path& p) { return p.key == name; })) {
        std::fprintf(stderr,
                     "bench_guest_tcp: --only: unknown path '%s' (switchd-daemon, switchd-bess, mcast, uml_switch, "
                     "vde_switch)\n",
                     name.c_str());
        return 2;
      }
    }
  }
  if (opt.paths.empty()) {
    std::fprintf(stderr, "bench_guest_tcp: --only selects no path\n");
    return 2;
  }

  return runBenchMain(kTool, [&] {
    std::printf("bench_guest_tcp: iperf3 -t %d, median of %d rounds; host has %ld CPUs online, shared by every guest, "
                "switch and iperf3\n",
                opt.seconds, opt.repeat, ::sysconf(_SC_NPROCESSORS_ONLN));
    std::fflush(stdout);
    return runBench(opt);
  });
}
