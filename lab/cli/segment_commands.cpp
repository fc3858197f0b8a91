// The verbs that act on a running lab's segments and links: link (conditions live, hot-plug),
// capture (pcap of a segment, live or after the fact), replay (a capture played into a segment)
// and host (a command in the lab's network namespace). They parse and print; `LabClient`
// (lab/runtime/lab_client.hpp) does the work.

#include "segment_commands.hpp"
#include "cluster_commands.hpp"
#include "umlab/lab/runtime/cluster_lab.hpp"

#include "runtime_commands.hpp"

#include "umlab/base/ip_address.hpp"
#include "umlab/base/mac_address.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/lab/compile/resolve.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <sstream>
#include <map>
#include <ostream>
#include <thread>
#include <unistd.h>

namespace umlab::cli {
namespace {

namespace runtime = umlab::lab::runtime;
namespace replay = umlab::lab::replay;
using runtime::LabClient;
using runtime::RuntimeError;
using Clock = std::chrono::steady_clock;

/// The client, for a lab name that must be valid.
LabClient clientFor(const std::string& self, const CliArgs& a, const std::string& lab) {
  if (std::string problem = runtime::checkLabName(lab); !problem.empty())
    throw CliUsageError{problem};
  return LabClient(stateRootFor(self, a, lab));
}

std::chrono::milliseconds durationOption(const CliArgs& a, const std::string& name) {
  auto v = a.get(name);
  if (!v)
    return std::chrono::milliseconds(0);
  auto d = parseDuration(*v);
  if (!d || d->count() <= 0)
    throw CliUsageError{name + " needs a duration such as '10s' or '500ms', not '" + *v + "'"};
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

std::atomic<bool> gInterrupted{false};
extern "C" void onInterrupt(int) { gInterrupted.store(true); }

/// SIGINT/SIGTERM set a flag for the duration of a capture or replay, so that Ctrl-C stops the
/// switch's side cleanly; the previous handlers come back afterwards.
class InterruptGuard {
public:
  InterruptGuard() {
    gInterrupted.store(false);
    struct sigaction sa {};
    sa.sa_handler = onInterrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &oldInt_);
    ::sigaction(SIGTERM, &sa, &oldTerm_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &oldPipe_);
  }
  ~InterruptGuard() {
    ::sigaction(SIGINT, &oldInt_, nullptr);
    ::sigaction(SIGTERM, &oldTerm_, nullptr);
    ::sigaction(SIGPIPE, &oldPipe_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
  struct sigaction oldInt_ {}, oldTerm_ {}, oldPipe_ {};
};

/// The output of `-w`: a file, or standard output for "-".
UniqueFd openOutput(const std::string& path) {
  if (path == "-")
    return UniqueFd(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0));
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd)
    throw CliFailure{"cannot write " + path + ": " + std::strerror(errno)};
  return fd;
}

/// "NODE:ethN" split, or a usage error.
std::pair<std::string, std::string> nodeInterface(const std::string& iface) {
  const size_t colon = iface.find(':');
  const std::string dev = colon == std::string::npos ? "" : iface.substr(colon + 1);
  if (colon == std::string::npos || dev.size() < 4 || dev.rfind("eth", 0) != 0 ||
      !parseUnsigned(std::string_view(dev).substr(3), 63))
    throw CliUsageError{"'" + iface + "' is not NODE:ethN (N from 0 to 63), e.g. pc2:eth1"};
  return {iface.substr(0, colon), dev};
}

/// `umlab link LAB add NODE:IFACE SEGMENT [--ip CIDR]`: a new NIC in a running guest.
int linkAdd(const std::string& self, const CliArgs& a, std::ostream& out) {
  const auto& pos = a.positional();
  if (pos.size() != 4)
    throw CliUsageError{"link add needs an interface and a segment, as in 'umlab link dmz add pc2:eth1 inside'"};
  const LabClient client = clientFor(self, a, pos[0]);
  const auto [node, dev] = nodeInterface(pos[2]);
  std::optional<std::string> ip = a.get("--ip");
  if (ip && !IpPrefix::parse(*ip))
    throw CliUsageError{"--ip needs an address with its prefix length, such as 10.0.0.5/24, not '" + *ip + "'"};
  const std::string mac = client.plug(pos[0], node, dev, pos[3], ip.value_or(""));
  out << "lab " << pos[0] << ": " << pos[2] << " (" << mac << (ip ? ", " + *ip : std::string()) << ") plugged into "
      << pos[3] << "\n";
  return kExitOk;
}

/// `umlab link LAB remove NODE:IFACE`: unplugs an interface that `link add` plugged.
int linkRemove(const std::string& self, const CliArgs& a, std::ostream& out) {
  const auto& pos = a.positional();
  if (pos.size() != 3)
    throw CliUsageError{"link remove needs an interface, as in 'umlab link dmz remove pc2:eth1'"};
  const LabClient client = clientFor(self, a, pos[0]);
  const auto [node, dev] = nodeInterface(pos[2]);
  client.unplug(pos[0], node, dev);
  out << "lab " << pos[0] << ": " << pos[2] << " unplugged\n";
  return kExitOk;
}

// ---- link ------------------------------------------------------------------------------------

int cmdLink(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream&) {
  const auto& pos = a.positional();
  if (pos.size() >= 2 && pos[1] == "add")
    return linkAdd(self, a, out);
  if (pos.size() >= 2 && pos[1] == "remove")
    return linkRemove(self, a, out);
  if (pos.size() != 2)
    throw CliUsageError{"link needs a lab and an interface, as in 'umlab link dmz fw:eth1 --delay 20ms'"};
  const std::string port = pos[1];
  if (port.find(':') == std::string::npos)
    throw CliUsageError{"'" + port + "' is not an interface; write NODE:IFACE, e.g. pc1:eth0"};
  std::string words;
  auto add = [&](const char* option, const char* word) {
    if (auto v = a.get(option))
      words += std::string(" ") + word + " " + *v;
  };
  add("--delay", "delay");
  add("--jitter", "jitter");
  add("--loss", "loss");
  add("--rate", "rate");
  add("--duplicate", "duplicate");
  add("--corrupt", "corrupt");
  if (a.has("--clear"))
    words = " clear" + words;
  if (a.has("--down") && a.has("--up"))
    throw CliUsageError{"--down and --up contradict each other"};
  if (a.has("--down"))
    words += " down";
  if (a.has("--up"))
    words += " up";
  const std::string direction = a.get("--direction").value_or("both");
  if (direction != "in" && direction != "out" && direction != "both")
    throw CliUsageError{"--direction is in (from the node), out (to the node) or both, not '" + direction + "'"};
  const LabClient client = clientFor(self, a, pos[0]);
  if (lab::runtime::isClusterLab(client.stateRoot(), pos[0])) { // on the host of the port's node
    if (a.get("--seed"))
      throw CliUsageError{"--seed is for a lab on one host"};
    std::vector<std::string> verb{"link", port, direction};
    std::istringstream split(words);
    for (std::string w; split >> w;)
      verb.push_back(w);
    return execOnClusterNode(client.stateRoot(), pos[0], port.substr(0, port.find(':')), verb, std::cerr);
  }
  const auto [segment, reply] = client.linkConditions(pos[0], port, direction, words, a.get("--seed"));
  if (words.empty())
    out << port << " on " << segment << ": " << reply << "\n";
  else
    out << "lab " << pos[0] << ", switch " << segment << ":\n" << reply << "\n";
  return kExitOk;
}

// ---- host ----------------------------------------------------------------------------------

/// `umlab host LAB -- COMMAND`: runs COMMAND on the host, inside the lab's network namespace,
/// where the host ends of `host` links (taps umt0, umt1, ...) live. Only the network namespace
/// changes; COMMAND replaces this process, so its exit status is umlab's.
int cmdHost(const std::string& self, const CliArgs& a, std::ostream&, std::ostream&) {
  const auto& pos = a.positional();
  if (pos.size() < 2)
    throw CliUsageError{"host needs a lab and a command, as in 'umlab host lab -- ip addr add 10.0.9.1/24 dev umt0'"};
  const LabClient client = clientFor(self, a, pos[0]);
  // In a rootless lab, COMMAND runs as root of the lab's user namespace: the user, with the
  // capabilities to configure the lab's taps and nothing outside the lab.
  client.enterNetwork(pos[0]);
  std::vector<char*> argv;
  for (size_t i = 1; i < pos.size(); ++i)
    argv.push_back(const_cast<char*>(pos[i].c_str()));
  argv.push_back(nullptr);
  std::cout.flush();
  ::execvp(argv[0], argv.data());
  throw CliFailure{"cannot run '" + pos[1] + "': " + std::strerror(errno)};
}

// ---- capture ---------------------------------------------------------------------------------

int cmdCapture(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  const auto& pos = a.positional();
  if (pos.size() != 2)
    throw CliUsageError{"capture needs a lab and a segment, as in 'umlab capture dmz inside -w inside.pcap'"};
  const auto write = a.get("-w");
  if (!write)
    throw CliUsageError{"capture needs -w FILE (or -w - for standard output, e.g. | wireshark -k -i -)"};
  const std::chrono::milliseconds duration = durationOption(a, "--duration");
  const std::chrono::milliseconds last = durationOption(a, "--last");
  if (duration.count() > 0 && last.count() > 0)
    throw CliUsageError{"--duration captures from now on, --last what already happened: choose one"};
  const LabClient client = clientFor(self, a, pos[0]);
  std::ostream& info = *write == "-" ? err : out;
  if (lab::runtime::isClusterLab(client.stateRoot(), pos[0])) { // on several hosts: every host's part
    if (duration.count() == 0)
      throw CliUsageError{"a lab on several hosts is captured for a --duration (e.g. --duration 10s)"};
    UniqueFd to = openOutput(*write);
    info << "capturing segment " << pos[1] << " of lab " << pos[0] << " on every host that has it, for "
         << formatDuration(duration) << "\n" << std::flush;
    const long long frames = captureCluster(client.stateRoot(), pos[0], pos[1], to.get(), duration);
    info << "segment " << pos[1] << ": " << frames << " frames captured to " << *write << "\n";
    return kExitOk;
  }
  if (!client.isRunning(pos[0]))
    client.status(pos[0]); // throws with the reason
  const auto mcast = client.mcastGroup(pos[0], pos[1]);
  if (mcast && last.count() > 0)
    throw CliUsageError{"segment " + pos[1] + " is an mcast segment: it has no switch, so no ring of past frames; --last works on switch and hub segments"};
  if (!mcast)
    client.switchAdminPath(pos[0], pos[1]); // a clear error before the output file is made
  UniqueFd to = openOutput(*write);
  InterruptGuard guard;
  if (last.count() > 0) {
    const long long frames = client.capture(pos[0], pos[1], to.get(), {}, last, [] { return true; });
    info << "segment " << pos[1] << ": " << frames << " frames of the last "
         << std::max<long long>(1, last.count() / 1000) << "s to " << *write << "\n";
    return kExitOk;
  }
  info << "capturing " << (mcast ? "mcast segment " + pos[1] + " (" + mcast->first + ":" + std::to_string(mcast->second) + ")"
                                  : "segment " + pos[1])
       << " of lab " << pos[0] << " to " << *write
       << (duration.count() > 0 ? " for " + formatDuration(duration) : std::string(", Ctrl-C stops")) << "\n";
  info.flush();
  const long long frames = client.capture(pos[0], pos[1], to.get(), duration, {}, [] { return !gInterrupted.load(); });
  info << "segment " << pos[1] << ": " << frames << " frames captured to " << *write << "\n";
  return kExitOk;
}

// ---- replay ----------------------------------------------------------------------------------

/// `umlab replay LAB CAPTURE --through NODE`: the capture through a node, a verdict per flow.
int cmdReplayThrough(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  const auto& pos = a.positional();
  if (pos.size() != 2)
    throw CliUsageError{"replay --through needs a lab and a capture, as in "
                        "'umlab replay dmz captures/web.pcap --through fw --map 192.0.2.0/24=198.51.100.0/24'"};
  for (const char* option : {"--loop", "--rewrite-dst"})
    if (a.has(option))
      throw CliUsageError{std::string(option) + " plays into one segment; it does not go with --through"};
  if (a.has("--no-wait"))
    throw CliUsageError{"--no-wait does not go with --through: the verdicts come at the end"};
  runtime::ThroughReplayRequest request;
  request.capture = pos[1];
  request.node = *a.get("--through");
  for (const std::string& rule : a.getAll("--map")) {
    if (std::optional<std::string> error = request.options.map.add(rule))
      throw CliUsageError{"--map " + *error};
  }
  if (auto v = a.get("--speed")) {
    auto x = parseDecimal(*v);
    if (!x || *x < 0)
      throw CliUsageError{"--speed needs a factor such as 2 or 0.5 (0: as fast as the node answers), not '" + *v + "'"};
    request.options.speed = *x;
  }
  if (a.get("--wait"))
    request.options.wait = durationOption(a, "--wait");
  const std::string format = a.get("--format").value_or("text");
  if (format != "text" && format != "json" && format != "csv")
    throw CliUsageError{"--format is text, json or csv, not '" + format + "'"};
  if (auto dir = a.get("--side-captures"))
    request.sideCaptureDir = *dir;
  request.rules = a.has("--rules");

  const LabClient client = clientFor(self, a, pos[0]);
  InterruptGuard guard;
  request.options.keepGoing = [] { return !gInterrupted.load(); };
  const bool isTerminal = ::isatty(STDERR_FILENO) == 1;
  auto lastLine = std::chrono::steady_clock::now();
  request.options.onProgress = [&](const replay::ReplayProgress& p) {
    // A line that rewrites itself on a terminal; elsewhere one line every 10 s.
    const auto now = std::chrono::steady_clock::now();
    if (!isTerminal && now - lastLine < std::chrono::seconds(10))
      return;
    lastLine = now;
    err << (isTerminal ? "\r" : "") << "replay: " << p.packetsRead << " packets read, " << p.packetsInjected
        << " injected, " << p.packetsSkipped << " skipped, " << p.inFlight << " crossing, " << p.flows << " flows"
        << (isTerminal ? "\x1b[K" : "\n");
    err.flush();
  };
  Diagnostics diags;
  replay::ReplayReport report;
  try {
    report = client.replayThrough(pos[0], request, diags);
  } catch (...) {
    renderDiagnostics(diags, err); // why the capture could not be opened
    throw;
  }
  if (isTerminal)
    err << "\r\x1b[K";
  out << (format == "json" ? replay::renderJson(report) : format == "csv" ? replay::renderCsv(report) : replay::renderText(report));
  out.flush();
  renderDiagnostics(diags, err);
  if (diags.hasErrors())
    return kExitInputError;
  return report.isComplete ? kExitOk : 130;
}

int cmdReplay(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream& err) {
  if (a.has("--through"))
    return cmdReplayThrough(self, a, out, err);
  for (const char* option : {"--map", "--format", "--wait", "--side-captures", "--rules"})
    if (a.has(option))
      throw CliUsageError{std::string(option) + " goes with --through NODE (a replay through a node)"};
  const auto& pos = a.positional();
  if (pos.size() != 3)
    throw CliUsageError{"replay needs a lab, a segment and a capture, as in 'umlab replay dmz outside captures/port-scan.pcap'"};
  runtime::ReplayOptions o;
  if (auto v = a.get("--speed")) {
    auto x = parseDecimal(*v);
    if (!x)
      throw CliUsageError{"--speed needs a factor such as 2 or 0.5 (0: as fast as possible), not '" + *v + "'"};
    o.speed = *x;
  }
  if (auto v = a.get("--loop")) {
    auto n = parseUnsigned(*v);
    if (!n)
      throw CliUsageError{"--loop needs a number of passes (0: until stopped), not '" + *v + "'"};
    o.loop = static_cast<uint32_t>(*n);
  }
  if (auto v = a.get("--rewrite-dst")) {
    auto mac = MacAddress::parse(*v);
    if (!mac || mac->isMulticast())
      throw CliUsageError{"--rewrite-dst needs a unicast MAC address such as 02:00:00:00:00:01, not '" + *v + "'"};
    o.rewriteDst = mac->str();
  }
  const LabClient client = clientFor(self, a, pos[0]);
  InterruptGuard guard;
  client.startReplay(pos[0], pos[1], pos[2], o);
  out << "replaying " << pos[2] << " into segment " << pos[1] << " of lab " << pos[0]
      << (a.has("--no-wait") ? "" : " (Ctrl-C stops)") << "\n";
  out.flush();
  if (a.has("--no-wait"))
    return kExitOk;
  long long sent = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto [frames, isPlaying] = client.replayProgress(pos[0], pos[1]);
    sent = frames;
    if (!isPlaying)
      break;
    if (gInterrupted.load()) {
      client.stopReplay(pos[0], pos[1]);
      out << "stopped\n";
      break;
    }
  }
  out << "segment " << pos[1] << ": replayed " << sent << " frames\n";
  return kExitOk;
}

} // namespace

const char* const kLinkHelp =
    "usage: umlab link [options] LAB NODE:IFACE\n"
    "       umlab link LAB add NODE:ethN SEGMENT [--ip CIDR]\n"
    "       umlab link LAB remove NODE:ethN\n"
    "\n"
    "add plugs a new interface into a running guest (through its mconsole) on a switch, hub\n"
    "or mcast segment; remove unplugs one that add plugged.\n"
    "\n"
    "Change the conditions of a running lab's link live, on the switch port of NODE:IFACE: what\n"
    "the node sends (in) and what it receives (out); both by default, so --delay 20ms adds\n"
    "40 ms to a round trip. Without options, show the port's conditions.\n"
    "\n"
    "options:\n"
    "  --delay D          e.g. 20ms (0 removes it)\n"
    "  --jitter D         uniform +-D around the delay\n"
    "  --loss P           e.g. 1%\n"
    "  --rate R           e.g. 10mbit\n"
    "  --duplicate P      e.g. 0.5%\n"
    "  --corrupt P        e.g. 0.1%\n"
    "  --down, --up       take the link down (drops everything) or bring it back\n"
    "  --clear            remove every condition first\n"
    "  --direction in|out|both\n"
    "  --seed N           reseed the switch's random choices (reproducible runs)\n"
    "  --ip CIDR          with add: the new interface's address, e.g. 10.0.0.5/24\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  -h, --help         show this help\n";

const char* const kCaptureHelp =
    "usage: umlab capture [options] LAB SEGMENT -w FILE\n"
    "\n"
    "Write every frame SEGMENT carries to FILE in pcap format (tcpdump -r, tshark, Wireshark).\n"
    "-w - streams to standard output, e.g. 'umlab capture lab lan -w - | wireshark -k -i -'.\n"
    "\n"
    "options:\n"
    "  -w FILE            where to write (required)\n"
    "  --duration D       stop after D (default: at Ctrl-C)\n"
    "  --last D           no waiting: what the segment carried in the last D, from the\n"
    "                     switch's capture ring (about 4 MiB of recent frames)\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  -h, --help         show this help\n";

const char* const kReplayHelp =
    "usage: umlab replay [options] LAB SEGMENT CAPTURE\n"
    "       umlab replay [options] LAB CAPTURE --through NODE [--map FROM=TO]...\n"
    "\n"
    "Play the frames of CAPTURE (pcap or pcapng, Ethernet) into SEGMENT, as if a host on it sent\n"
    "them, with their original spacing, and report how many were sent.\n"
    "\n"
    "With --through, play CAPTURE through NODE (a router or firewall) instead: each packet, its\n"
    "addresses mapped onto the lab, enters on the side of NODE where its sender lies and is looked\n"
    "for on the side of its receiver; a server's answer enters only after the client's packet has\n"
    "crossed. Prints a verdict for every flow: passed, rejected (an ICMP unreachable or TCP reset\n"
    "came back), dropped (nothing came back) or partial. See docs/replay.md.\n"
    "\n"
    "options:\n"
    "  --speed X          X times faster (0: as fast as possible; default 1)\n"
    "  --loop N           play it N times (0: until Ctrl-C; default 1)\n"
    "  --rewrite-dst MAC  send the capture's unicast frames to MAC (a lab host) instead\n"
    "  --no-wait          return once the replay started\n"
    "  --through NODE     play the capture through NODE and give a verdict per flow\n"
    "  --map FROM=TO      with --through: move the capture's addresses in FROM (a prefix) to TO,\n"
    "                     host bits kept, e.g. --map 192.0.2.0/24=198.51.100.0/24 (repeatable;\n"
    "                     the longest FROM wins; addresses no rule covers stay as they are)\n"
    "  --wait D           with --through: how long a packet may take to cross (default 500ms)\n"
    "  --format F         with --through: text (default), json or csv\n"
    "  --side-captures DIR  with --through: write what each side saw to DIR/<segment>.pcap\n"
    "  --rules            with --through: name the rule that decided each flow, from NODE's\n"
    "                     iptables/nftables counters read before and after the flow's first\n"
    "                     packet, which crosses alone (slower: one reading per flow)\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status with --through: 0 when the whole capture was played, 1 when it could not be\n"
    "read to its end (the verdicts so far are printed), 130 after Ctrl-C.\n";

const char* const kHostHelp =
    "usage: umlab host [options] LAB -- COMMAND [ARG...]\n"
    "\n"
    "Run COMMAND on the host inside LAB's network namespace, where the host ends of the lab's\n"
    "'host' links live (tap devices umt0, umt1, ... in file order). For example:\n"
    "  umlab host lab -- ip addr add 10.0.9.1/24 dev umt0\n"
    "  umlab host lab -- ping -c1 10.0.9.2\n"
    "Only the network namespace changes: files and users are the host's. Needs root.\n"
    "\n"
    "options:\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  -h, --help         show this help\n";

const char* segmentHelp(const std::string& command) {
  if (command == "host")
    return kHostHelp;
  if (command == "link")
    return kLinkHelp;
  if (command == "capture")
    return kCaptureHelp;
  if (command == "replay")
    return kReplayHelp;
  return nullptr;
}

int runSegmentCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                      std::ostream& out, std::ostream& err) {
  struct Spec {
    std::vector<std::string> flags;
    std::vector<std::string> options;
    int (*run)(const std::string&, const CliArgs&, std::ostream&, std::ostream&);
  };
  static const std::map<std::string, Spec> specs{
      {"link",
       {{"-h", "--help", "--down", "--up", "--clear"},
        {"--delay", "--jitter", "--loss", "--rate", "--duplicate", "--corrupt", "--direction", "--seed", "--ip", "--user",
         "--state-dir"},
        cmdLink}},
      {"capture", {{"-h", "--help"}, {"-w", "--duration", "--last", "--state-dir", "--user"}, cmdCapture}},
      {"host", {{"-h", "--help"}, {"--state-dir", "--user"}, cmdHost}},
      {"replay",
       {{"-h", "--help", "--no-wait", "--rules"},
        {"--speed", "--loop", "--rewrite-dst", "--state-dir", "--user", "--through", "--map", "--wait", "--format",
         "--side-captures"},
        cmdReplay}},
  };
  const Spec& spec = specs.at(command);
  // For host, everything after "--" (or after the lab) is the command, options included.
  std::vector<std::string> own = args, tail;
  if (command == "host") {
    auto dash = std::find(args.begin(), args.end(), "--");
    if (dash != args.end()) {
      own.assign(args.begin(), dash);
      tail.assign(dash + 1, args.end());
    }
  }
  CliArgs a(own, spec.flags, spec.options);
  if (!tail.empty())
    a.appendPositional(tail);
  if (a.has("-h") || a.has("--help")) {
    out << segmentHelp(command);
    return kExitOk;
  }
  return reportFailures(err, [&] {
    actAsAccountFor(a);
    return spec.run(self, a, out, err);
  });
}

} // namespace umlab::cli
