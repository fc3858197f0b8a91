// The verbs that act on a running lab's segments through their switches' admin sockets
// (docs/switchd.md): link (conditions live), capture (pcap of a segment, live or after the fact)
// and replay (a capture played into a segment).

#include "segment_commands.hpp"

#include "runtime_commands.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/base/ip_address.hpp"
#include "umlab/base/mac_address.hpp"
#include "umlab/kernel/mconsole.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/compile/resolve.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/switch_admin.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <arpa/inet.h>
#include <fstream>
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
#include <filesystem>
#include <map>
#include <iostream>
#include <ostream>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace umlab::cli {
namespace {

namespace fs = std::filesystem;
namespace runtime = umlab::lab::runtime;
using Clock = std::chrono::steady_clock;

/// The running lab's state directory; fails with what to do when the lab is not running.
runtime::LabState runningLab(const std::string& self, const CliArgs& a, const std::string& name) {
  if (!lab::hasValidNameCharacters(name))
    throw CliUsageError{"'" + name + "' is not a lab name; 'umlab ps' lists the running labs"};
  runtime::LabState state(stateRootFor(self, a), name);
  if (!state.exists())
    throw CliFailure{"no lab named '" + name + "' is running; 'umlab ps' lists the running labs"};
  if (!state.liveSupervisor())
    throw CliFailure{"lab '" + name + "' is not running: its supervisor is gone; 'umlab clean " + name +
                     "' removes what it left"};
  return state;
}

/// Segment name -> admin socket, for every switch of the lab.
std::map<std::string, std::string> switchesOf(const runtime::LabState& state) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(state.dir() + "/sw", ec))
    if (e.path().extension() == ".admin")
      out.emplace(e.path().stem().string(), e.path().string());
  return out;
}

std::string adminOfSegment(const runtime::LabState& state, const std::string& segment) {
  const std::map<std::string, std::string> switches = switchesOf(state);
  auto it = switches.find(segment);
  if (it != switches.end())
    return it->second;
  std::string known;
  for (const auto& [name, path] : switches)
    if (name.rfind("p2p.", 0) != 0)
      known += (known.empty() ? "" : ", ") + name;
  throw CliFailure{"lab '" + state.lab() + "' has no switch segment '" + segment + "'" +
                   (known.empty() ? std::string() : " (its switch segments: " + known + ")") +
                   "; mcast segments have no switch to ask"};
}

/// A directory in the lab's state that its (unprivileged, jailed) switches can write: they see
/// the state directory at the same path, as its owner.
std::string captureDir(const runtime::LabState& state) {
  const std::string dir = state.dir() + "/captures";
  struct stat st {};
  if (::stat(state.dir().c_str(), &st) != 0)
    throw CliFailure{"cannot read the state of lab '" + state.lab() + "': " + std::strerror(errno)};
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw CliFailure{"cannot create " + dir + ": " + std::strerror(errno)};
  if (::chown(dir.c_str(), st.st_uid, st.st_gid) != 0)
    throw CliFailure{"cannot hand " + dir + " to the lab's user: " + std::strerror(errno)};
  return dir;
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

/// Copies what was appended to `from` since `offset` to `to`; false when `to` refuses.
bool copyNew(int from, off_t& offset, int to) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::pread(from, buf, sizeof buf, offset);
    if (n <= 0)
      return true;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(to, buf + done, size_t(n - done));
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return false;
      done += w;
    }
    offset += n;
  }
}

/// The output of `-w`: a file, or standard output for "-".
UniqueFd openOutput(const std::string& path) {
  if (path == "-")
    return UniqueFd(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0));
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd)
    throw CliFailure{"cannot write " + path + ": " + std::strerror(errno)};
  return fd;
}

/// Copies `capture` into the lab's state (the switch is confined to it) and starts playing it
/// into `segment`. The switch reads the whole capture at start, so the copy goes at once. The
/// switch's errors name the user's file.
void startReplay(const runtime::LabState& state, const std::string& admin, const std::string& segment,
                        const std::string& capture, const std::string& options) {
  const std::string copy = captureDir(state) + "/replay." + segment + "." + std::to_string(::getpid()) + ".pcap";
  std::error_code ec;
  fs::copy_file(capture, copy, fs::copy_options::overwrite_existing, ec);
  if (ec)
    throw CliFailure{"cannot read the capture " + capture + ": " + ec.message()};
  struct stat st {};
  if (::stat((state.dir() + "/captures").c_str(), &st) == 0 && ::chown(copy.c_str(), st.st_uid, st.st_gid) != 0)
    throw CliFailure{"cannot hand " + copy + " to the lab's user: " + std::strerror(errno)};
  runtime::AdminReply start = runtime::switchAdmin(admin, "replay start " + copy + options, std::chrono::seconds(30));
  ::unlink(copy.c_str());
  if (!start.ok) {
    std::string why = start.text;
    if (size_t at = why.find(copy); at != std::string::npos)
      why.replace(at, copy.size(), capture);
    throw CliFailure{"cannot replay " + capture + " into " + segment + ": " + why};
  }
}

std::optional<std::pair<std::string, uint16_t>> mcastGroupOf(const runtime::LabState& state, const std::string& segment);

/// Runs a shell script in `node` through `umlab exec` (this same program).
CommandResult execIn(const std::string& self, const runtime::LabState& state, const std::string& node,
                     const std::string& script) {
  Command c;
  c.argv = {self, "exec", "--timeout", "30s", "--state-dir", fs::path(state.dir()).parent_path().string(), state.lab(),
            node, "--", "sh", "-c", script};
  return runCommand(c);
}

std::string lastLine(const CommandResult& r) {
  for (auto it = r.lastLines.rbegin(); it != r.lastLines.rend(); ++it)
    if (!it->empty())
      return *it;
  return r.status.describe();
}

/// The file of a running lab that lists its hot-plugged interfaces, one per line:
/// "NODE IFACE SEGMENT MAC IP" (IP "-" when none). `umlab ps` shows them.
std::string hotplugFile(const runtime::LabState& state) { return state.dir() + "/hotplug"; }

/// `umlab link LAB add NODE:IFACE SEGMENT [--ip CIDR]`: a new NIC in a running guest, through
/// the guest's mconsole (`config ethN=daemon,...` or `=mcast,...`), on a switch or mcast segment.
int linkAdd(const std::string& self, const CliArgs& a, std::ostream& out) {
  const auto& pos = a.positional();
  if (pos.size() != 4)
    throw CliUsageError{"link add needs an interface and a segment, as in 'umlab link dmz add pc2:eth1 inside'"};
  runtime::LabState state = runningLab(self, a, pos[0]);
  const std::string iface = pos[2], segment = pos[3];
  const size_t colon = iface.find(':');
  const std::string node = iface.substr(0, colon);
  const std::string dev = colon == std::string::npos ? "" : iface.substr(colon + 1);
  if (colon == std::string::npos || dev.size() < 4 || dev.rfind("eth", 0) != 0 ||
      !parseUnsigned(std::string_view(dev).substr(3), 63))
    throw CliUsageError{"'" + iface + "' is not NODE:ethN (N from 0 to 63), e.g. pc2:eth1"};
  std::optional<std::string> ip = a.get("--ip");
  if (ip && !IpPrefix::parse(*ip))
    throw CliUsageError{"--ip needs an address with its prefix length, such as 10.0.0.5/24, not '" + *ip + "'"};
  const std::string mconsole = state.dir() + "/uml/" + state.lab() + "." + node + "/mconsole";
  if (!fs::exists(mconsole))
    throw CliFailure{"lab '" + state.lab() + "' has no running node '" + node + "'"};
  const MacAddress mac = MacAddress::derive(state.lab() + "/" + iface, 7);
  std::string spec;
  std::string admin;
  if (auto mcast = mcastGroupOf(state, segment)) {
    spec = "mcast," + mac.str() + "," + mcast->first + "," + std::to_string(mcast->second) + ",1";
  } else {
    admin = adminOfSegment(state, segment);
    spec = "daemon," + mac.str() + ",unix," + state.dir() + "/sw/" + segment + ".ctl";
    runtime::AdminReply named = runtime::switchAdmin(admin, "name port " + iface + " " + mac.str());
    if (!named.ok)
      throw CliFailure{"segment " + segment + ": " + named.text};
  }
  CommandResult exists = execIn(self, state, node, "test ! -e /sys/class/net/" + dev);
  if (exists.status.code != 0)
    throw CliFailure{node + " already has an interface " + dev + "; 'umlab link " + state.lab() + " remove " + iface +
                     "' removes a hot-plugged one"};
  kernel::MconsoleReply r = kernel::mconsoleCommand(mconsole, "config " + dev + "=" + spec, state.dir() + "/uml");
  if (!r.ok)
    throw CliFailure{"the guest " + node + " refused the new interface: " + r.text};
  // UML answers success even when the transport could not start: look for the device.
  std::string script = "i=0; while [ ! -e /sys/class/net/" + dev + " ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; " +
                       "ip link set " + dev + " up";
  if (ip)
    script += " && ip addr add " + *ip + " dev " + dev;
  CommandResult up = execIn(self, state, node, script);
  if (up.status.code != 0)
    throw CliFailure{"the interface " + iface + " did not come up in the guest: " + lastLine(up)};
  std::ofstream(hotplugFile(state), std::ios::app)
      << node << " " << dev << " " << segment << " " << mac.str() << " " << ip.value_or("-") << "\n";
  out << "lab " << state.lab() << ": " << iface << " (" << mac.str() << (ip ? ", " + *ip : std::string()) << ") plugged into "
      << segment << "\n";
  return kExitOk;
}

/// `umlab link LAB remove NODE:IFACE`: takes a hot-plugged NIC down in the guest and unplugs it.
int linkRemove(const std::string& self, const CliArgs& a, std::ostream& out) {
  const auto& pos = a.positional();
  if (pos.size() != 3)
    throw CliUsageError{"link remove needs an interface, as in 'umlab link dmz remove pc2:eth1'"};
  runtime::LabState state = runningLab(self, a, pos[0]);
  const std::string iface = pos[2];
  const size_t colon = iface.find(':');
  if (colon == std::string::npos)
    throw CliUsageError{"'" + iface + "' is not NODE:ethN"};
  const std::string node = iface.substr(0, colon), dev = iface.substr(colon + 1);
  // Only what `link add` plugged: the planned interfaces belong to the topology.
  std::ifstream in(hotplugFile(state));
  std::vector<std::string> keep;
  bool found = false;
  for (std::string line; std::getline(in, line);) {
    std::istringstream w(line);
    std::string n, d;
    w >> n >> d;
    if (n == node && d == dev && !found)
      found = true;
    else
      keep.push_back(line);
  }
  if (!found)
    throw CliFailure{iface + " was not plugged in with 'umlab link " + state.lab() + " add'; interfaces from the topology stay"};
  CommandResult down = execIn(self, state, node, "ip link set " + dev + " down");
  if (down.status.code != 0)
    throw CliFailure{"cannot take " + iface + " down in the guest: " + lastLine(down)};
  kernel::MconsoleReply r =
      kernel::mconsoleCommand(state.dir() + "/uml/" + state.lab() + "." + node + "/mconsole", "remove " + dev,
                              state.dir() + "/uml");
  if (!r.ok)
    throw CliFailure{"the guest " + node + " did not unplug " + dev + ": " + r.text};
  std::ofstream rewrite(hotplugFile(state), std::ios::trunc);
  for (const std::string& line : keep)
    rewrite << line << "\n";
  out << "lab " << state.lab() << ": " << iface << " unplugged\n";
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

  runtime::LabState state = runningLab(self, a, pos[0]);
  for (const auto& [segment, admin] : switchesOf(state)) {
    runtime::AdminReply r = words.empty() ? runtime::switchAdmin(admin, "show ports")
                                          : runtime::switchAdmin(admin, "set port " + port + " " + direction + words);
    if (!r.reached)
      continue;
    if (words.empty()) {
      if (r.text.find(" name=" + port + " ") == std::string::npos)
        continue;
      const size_t line = r.text.find(" name=" + port + " ");
      const std::string l = r.text.substr(line, r.text.find('\n', line) - line);
      auto field = [&](const std::string& key) {
        const size_t k = l.find(" " + key + "=");
        return l.substr(k + key.size() + 2, l.find(' ', k + 1) - k - key.size() - 2);
      };
      out << port << " on " << segment << ": in " << field("in") << ", out " << field("out") << "\n";
      return kExitOk;
    }
    if (!r.ok && r.text.rfind("no port", 0) == 0)
      continue;
    if (!r.ok)
      throw CliUsageError{r.text};
    if (auto seed = a.get("--seed")) {
      runtime::AdminReply s = runtime::switchAdmin(admin, "set seed " + *seed);
      if (!s.ok)
        throw CliUsageError{"--seed: " + s.text};
    }
    out << "lab " << state.lab() << ", switch " << segment << ":\n" << r.text << "\n";
    return kExitOk;
  }
  throw CliFailure{"no switch of lab '" + state.lab() + "' has a port " + port +
                   " (is it on an mcast segment or a tap? those have no switch; 'umlab ps " + state.lab() +
                   "' shows where each interface is)"};
}

// ---- host ----------------------------------------------------------------------------------

/// `umlab host LAB -- COMMAND`: runs COMMAND on the host, inside the lab's network namespace,
/// where the host ends of `host` links (taps umt0, umt1, ...) live. Only the network namespace
/// changes; COMMAND replaces this process, so its exit status is umlab's.
int cmdHost(const std::string& self, const CliArgs& a, std::ostream&, std::ostream&) {
  const auto& pos = a.positional();
  if (pos.size() < 2)
    throw CliUsageError{"host needs a lab and a command, as in 'umlab host lab -- ip addr add 10.0.9.1/24 dev umt0'"};
  runtime::LabState state = runningLab(self, a, pos[0]);
  const std::optional<runtime::ProcessEntry> supervisor = state.liveSupervisor();
  UniqueFd ns(::open(("/proc/" + std::to_string(supervisor->pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0)
    throw CliFailure{"cannot enter the network namespace of lab '" + state.lab() + "': " + std::strerror(errno) +
                     " (it needs root)"};
  std::vector<char*> argv;
  for (size_t i = 1; i < pos.size(); ++i)
    argv.push_back(const_cast<char*>(pos[i].c_str()));
  argv.push_back(nullptr);
  std::cout.flush();
  ::execvp(argv[0], argv.data());
  throw CliFailure{"cannot run '" + pos[1] + "': " + std::strerror(errno)};
}

// ---- capture ---------------------------------------------------------------------------------

/// Where a running lab's mcast segment meets: "group port" from the plan the lab keeps in its
/// state directory (plan.txt: "mcast SEG" then "  group G port P ttl T").
std::optional<std::pair<std::string, uint16_t>> mcastGroupOf(const runtime::LabState& state, const std::string& segment) {
  std::ifstream plan(state.dir() + "/plan.txt");
  std::string line;
  bool inSegment = false;
  while (std::getline(plan, line)) {
    if (line.rfind("mcast ", 0) == 0) {
      inSegment = line == "mcast " + segment;
      continue;
    }
    if (inSegment && line.rfind("  group", 0) == 0) {
      std::istringstream words(line);
      std::string key, group, portWord;
      unsigned port = 0;
      if (words >> key >> group >> portWord >> port && portWord == "port" && port > 0 && port < 65536)
        return std::make_pair(group, uint16_t(port));
      return std::nullopt;
    }
  }
  return std::nullopt;
}

/// Captures an mcast segment: there is no switch, so a member socket joins the group inside the
/// lab's network namespace (where the group's route stays on lo) and receives what the guests
/// send, one Ethernet frame per datagram. It only listens; nothing is sent.
int captureMcast(const runtime::LabState& state, const std::string& segment, const std::string& group, uint16_t port,
                 const std::string& write, std::chrono::milliseconds duration, std::ostream& info) {
  const std::optional<runtime::ProcessEntry> supervisor = state.liveSupervisor();
  if (!supervisor)
    throw CliFailure{"lab '" + state.lab() + "' is not running"};
  UniqueFd ns(::open(("/proc/" + std::to_string(supervisor->pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0)
    throw CliFailure{"cannot enter the network namespace of lab '" + state.lab() + "': " + std::strerror(errno) +
                     " (capturing an mcast segment needs root)"};
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const int one = 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ip_mreq mreq{};
  if (!sock || ::inet_pton(AF_INET, group.c_str(), &addr.sin_addr) != 1 ||
      ::setsockopt(sock.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw CliFailure{"cannot listen on mcast segment " + segment + " (" + group + ":" + std::to_string(port) +
                     "): " + std::strerror(errno)};
  mreq.imr_multiaddr = addr.sin_addr;
  mreq.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
  if (::setsockopt(sock.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
    throw CliFailure{"cannot join " + group + " on lo in lab '" + state.lab() + "': " + std::strerror(errno)};
  UniqueFd to = openOutput(write);
  transports::PcapWriter pcap = transports::PcapWriter::toFd(to.get(), write == "-" ? "<stdout>" : write);
  InterruptGuard guard;
  info << "capturing mcast segment " << segment << " (" << group << ":" << port << ") of lab " << state.lab() << " to "
       << write << (duration.count() > 0 ? " for " + formatDuration(duration) : std::string(", Ctrl-C stops")) << "\n";
  info.flush();
  uint64_t frames = 0;
  const auto end = Clock::now() + duration;
  std::vector<uint8_t> buf(65536);
  try {
    while (!gInterrupted.load() && (duration.count() == 0 || Clock::now() < end)) {
      pollfd p{sock.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) != 1) {
        pcap.flush();
        continue;
      }
      const ssize_t n = ::recv(sock.get(), buf.data(), buf.size(), MSG_DONTWAIT);
      if (n <= 0)
        continue;
      pcap.write(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()),
                 std::span<const uint8_t>(buf.data(), size_t(n)));
      ++frames;
    }
    pcap.close();
  } catch (const std::system_error& e) {
    if (write != "-")
      throw CliFailure{e.what()};
  }
  info << "segment " << segment << ": " << frames << " frames captured to " << write << "\n";
  return kExitOk;
}

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
  runtime::LabState state = runningLab(self, a, pos[0]);
  std::ostream& info = *write == "-" ? err : out;
  if (auto mcast = mcastGroupOf(state, pos[1])) {
    if (last.count() > 0)
      throw CliUsageError{"segment " + pos[1] + " is an mcast segment: it has no switch, so no ring of past frames; --last works on switch and hub segments"};
    return captureMcast(state, pos[1], mcast->first, mcast->second, *write, duration, info);
  }
  const std::string admin = adminOfSegment(state, pos[1]);
  const std::string file = captureDir(state) + "/" + pos[1] + "." + std::to_string(::getpid()) + ".pcap";
  struct Remove {
    std::string path;
    ~Remove() { ::unlink(path.c_str()); }
  } remove{file};

  if (last.count() > 0) {
    const std::string seconds = std::to_string(std::max<long long>(1, last.count() / 1000)) + "s";
    runtime::AdminReply r = runtime::switchAdmin(admin, "capture dump " + file + " " + seconds);
    if (!r.ok)
      throw CliFailure{"segment " + pos[1] + ": " + r.text};
    UniqueFd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    UniqueFd to = openOutput(*write);
    off_t offset = 0;
    if (!in || !copyNew(in.get(), offset, to.get()))
      throw CliFailure{"cannot copy the capture to " + *write + ": " + std::strerror(errno)};
    const long long frames = std::atoll(r.text.c_str() + std::string("dumped ").size());
    info << "segment " << pos[1] << ": " << frames << " frames of the last " << seconds << " to " << *write << "\n";
    return kExitOk;
  }

  UniqueFd to = openOutput(*write);
  InterruptGuard guard;
  runtime::AdminReply start = runtime::switchAdmin(admin, "capture start " + file);
  if (!start.ok)
    throw CliFailure{"segment " + pos[1] + ": " + start.text};
  info << "capturing segment " << pos[1] << " of lab " << state.lab() << " to " << *write
       << (duration.count() > 0 ? " for " + formatDuration(duration) : std::string(", Ctrl-C stops")) << "\n";
  info.flush();
  UniqueFd in;
  off_t offset = 0;
  bool outputOk = true;
  const auto end = Clock::now() + duration;
  while (!gInterrupted.load() && outputOk && (duration.count() == 0 || Clock::now() < end)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!in)
      in.reset(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (in)
      outputOk = copyNew(in.get(), offset, to.get());
  }
  runtime::AdminReply stop = runtime::switchAdmin(admin, "capture stop");
  if (!in)
    in.reset(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (in && outputOk)
    outputOk = copyNew(in.get(), offset, to.get());
  if (!stop.ok)
    throw CliFailure{"segment " + pos[1] + ": " + stop.text};
  if (!outputOk && *write != "-")
    throw CliFailure{"cannot write " + *write + ": " + std::strerror(errno)};
  const long long frames = std::atoll(stop.text.c_str() + std::string("captured ").size());
  info << "segment " << pos[1] << ": " << frames << " frames captured to " << *write << "\n";
  return kExitOk;
}

// ---- replay ----------------------------------------------------------------------------------

int cmdReplay(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream&) {
  const auto& pos = a.positional();
  if (pos.size() != 3)
    throw CliUsageError{"replay needs a lab, a segment and a capture, as in 'umlab replay dmz outside captures/port-scan.pcap'"};
  std::string options;
  if (auto v = a.get("--speed")) {
    if (!parseDecimal(*v))
      throw CliUsageError{"--speed needs a factor such as 2 or 0.5 (0: as fast as possible), not '" + *v + "'"};
    options += " speed " + *v;
  }
  if (auto v = a.get("--loop")) {
    if (!parseUnsigned(*v))
      throw CliUsageError{"--loop needs a number of passes (0: until stopped), not '" + *v + "'"};
    options += " loop " + *v;
  }
  if (auto v = a.get("--rewrite-dst")) {
    auto mac = MacAddress::parse(*v);
    if (!mac || mac->isMulticast())
      throw CliUsageError{"--rewrite-dst needs a unicast MAC address such as 02:00:00:00:00:01, not '" + *v + "'"};
    options += " dst " + mac->str();
  }
  runtime::LabState state = runningLab(self, a, pos[0]);
  const std::string admin = adminOfSegment(state, pos[1]);
  InterruptGuard guard;
  startReplay(state, admin, pos[1], pos[2], options);
  out << "replaying " << pos[2] << " into segment " << pos[1] << " of lab " << state.lab()
      << (a.has("--no-wait") ? "" : " (Ctrl-C stops)") << "\n";
  out.flush();
  if (a.has("--no-wait"))
    return kExitOk;
  long long sent = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    runtime::AdminReply s = runtime::switchAdmin(admin, "show replay");
    if (!s.ok)
      throw CliFailure{"segment " + pos[1] + ": " + s.text};
    sent = runtime::adminValue(s.text, "replay_frames_sent=", "replay_frames_sent");
    if (s.text.rfind("replay=-", 0) == 0)
      break;
    if (gInterrupted.load()) {
      runtime::switchAdmin(admin, "replay stop");
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
    "\n"
    "Play the frames of CAPTURE (pcap or pcapng, Ethernet) into SEGMENT, as if a host on it sent\n"
    "them, with their original spacing, and report how many were sent.\n"
    "\n"
    "options:\n"
    "  --speed X          X times faster (0: as fast as possible; default 1)\n"
    "  --loop N           play it N times (0: until Ctrl-C; default 1)\n"
    "  --rewrite-dst MAC  send the capture's unicast frames to MAC (a lab host) instead\n"
    "  --no-wait          return once the replay started\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  -h, --help         show this help\n";

void startPlannedReplays(const lab::LaunchPlan& plan, const std::string& stateRoot, std::ostream& out) {
  if (plan.replays.empty())
    return;
  runtime::LabState state(stateRoot, plan.lab);
  for (const lab::ReplayPlan& r : plan.replays) {
    std::ostringstream options;
    options << " speed " << r.speed << " loop " << r.loop;
    if (r.rewriteMac && !r.rewriteTo.empty())
      options << " dst " << r.rewriteTo;
    startReplay(state, r.adminPath, r.segment, r.pcapPath, options.str());
    out << "  replay " << r.pcapPath << " into " << r.segment << " started\n";
  }
}

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
        {"--delay", "--jitter", "--loss", "--rate", "--duplicate", "--corrupt", "--direction", "--seed", "--ip",
         "--state-dir"},
        cmdLink}},
      {"capture", {{"-h", "--help"}, {"-w", "--duration", "--last", "--state-dir"}, cmdCapture}},
      {"host", {{"-h", "--help"}, {"--state-dir"}, cmdHost}},
      {"replay", {{"-h", "--help", "--no-wait"}, {"--speed", "--loop", "--rewrite-dst", "--state-dir"}, cmdReplay}},
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
  try {
    return spec.run(self, a, out, err);
  } catch (const CliFailure& f) {
    err << "umlab: error: " << f.message << "\n";
    return kExitInputError;
  }
}

} // namespace umlab::cli
