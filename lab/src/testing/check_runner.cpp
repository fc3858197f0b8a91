#include "umlab/lab/testing/check_runner.hpp"

#include "umlab/base/ip_address.hpp"
#include "umlab/transports/pcap_filter.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <thread>

namespace umlab::lab::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr Duration kRetryPause{500};

/// The last `n` non-empty lines of `text`, each indented, for evidence.
std::string tail(const std::string& text, size_t n = 4) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty())
      lines.push_back(l);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
    out += "\n  " + lines[i];
  return out;
}

std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string describeRun(const std::string& node, const std::string& script, const ExecResult& r) {
  std::string e = node + "$ " + script + "  (exit " + std::to_string(r.exitCode) + ")";
  e += tail(r.out);
  e += tail(r.err, 2);
  return e;
}

/// The node that owns `to` (a node name, NODE:IFACE, or one of the lab's addresses).
std::optional<std::string> targetNode(const Topology& topology, const std::string& to) {
  if (auto ip = IpAddress::parse(to)) {
    for (const Node& n : topology.nodes)
      for (const Interface& i : n.interfaces)
        if (i.ip && i.ip->address() == *ip)
          return n.name;
    return std::nullopt;
  }
  return to.substr(0, to.find(':'));
}

/// "12.5 s"
std::string seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f s", s);
  return b;
}

double toSeconds(Duration d) { return double(d.count()) / 1000; }

class Runner {
public:
  Runner(const Check& c, const Topology& t, LabAccess& lab, Duration runWindow)
      : check_(c), topology_(t), lab_(lab), runWindow_(runWindow), deadline_(Clock::now() + c.timeout) {}
  /// A timed check: its deadline instead of the timeout, and a traffic window in Unix seconds.
  Runner(const Check& c, const Topology& t, LabAccess& lab, Duration runWindow, Duration left,
         std::optional<std::pair<double, double>> span)
      : check_(c), topology_(t), lab_(lab), runWindow_(runWindow), deadline_(Clock::now() + left), span_(span),
        isTimed_(true) {}

  CheckOutcome run() {
    const auto started = Clock::now();
    CheckOutcome o = std::visit([this](const auto& k) { return (*this)(k); }, check_.kind);
    o.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return o;
  }

  CheckOutcome operator()(const ReachCheck& r) {
    const std::optional<std::string> address = targetAddress(topology_, r.to);
    if (!address)
      return {false, "'" + r.to + "' has no address in the lab", 0};
    const std::optional<std::string> owner = targetNode(topology_, r.to);
    const std::string port = r.port ? std::to_string(*r.port) : "";
    const long listenSeconds = long(std::chrono::duration_cast<std::chrono::seconds>(check_.timeout).count()) + 5;
    std::string listenerNote;
    if (owner && r.protocol != Protocol::Icmp) {
      // Test the path, not a service: listen on the target when nothing does.
      const std::string listen =
          r.protocol == Protocol::Tcp
              ? "if ss -ltnH | awk '{print $4}' | grep -q ':" + port + "$'; then echo service; else (timeout " +
                    std::to_string(listenSeconds) + " nc -l -k " + port + " >/dev/null 2>&1 &); " +
                    "for i in 1 2 3 4 5 6 7 8 9 10; do ss -ltnH | awk '{print $4}' | grep -q ':" + port +
                    "$' && break; sleep 0.1; done; echo started; fi"
              : "rm -f /tmp/umlab-udp-" + port + "; (timeout " + std::to_string(listenSeconds) + " nc -u -l " + port +
                    " > /tmp/umlab-udp-" + port + " 2>/dev/null &); sleep 0.3; echo started";
      ExecResult l = lab_.exec(*owner, listen, Duration(10000));
      if (l.exitCode != 0)
        return {false, "could not listen on " + *owner + ":\n" + describeRun(*owner, listen, l), 0};
      listenerNote = l.out.find("service") != std::string::npos ? " (a service listens there)" : " (umlab listened there)";
    }
    std::string probe;
    switch (r.protocol) {
    case Protocol::Icmp:
      probe = r.expectReach ? "ping -c 1 -W 2 " + *address : "ping -c 3 -i 0.5 -W 1 " + *address;
      break;
    case Protocol::Tcp:
      probe = "nc -z -w " + std::string(r.expectReach ? "2 " : "3 ") + *address + " " + port;
      break;
    case Protocol::Udp:
      probe = "echo umlab-probe | nc -u -w 1 " + *address + " " + port;
      break;
    }
    auto arrived = [&](const ExecResult& sent) {
      if (r.protocol != Protocol::Udp)
        return sent.exitCode == 0;
      if (!owner)
        return false;
      ExecResult got = lab_.exec(*owner, "grep -q umlab-probe /tmp/umlab-udp-" + port, Duration(5000));
      return got.exitCode == 0;
    };
    if (r.expectReach) {
      ExecResult last;
      int attempts = 0;
      do {
        ++attempts;
        last = lab_.exec(r.from, probe, Duration(10000));
        if (arrived(last))
          return {true, describeRun(r.from, probe, last) + listenerNote, 0};
        std::this_thread::sleep_for(kRetryPause);
      } while (Clock::now() < deadline_);
      return {false, "no answer in " + std::to_string(attempts) + " attempts within " +
                         std::to_string(check_.timeout.count() / 1000) + " s" + listenerNote + "; the last:\n" +
                         describeRun(r.from, probe, last),
              0};
    }
    ExecResult sent = lab_.exec(r.from, probe, Duration(10000));
    if (sent.exitCode < 0)
      return {false, "could not run the probe:\n" + describeRun(r.from, probe, sent), 0};
    if (arrived(sent))
      return {false, "expected no way through, but it got through" + listenerNote + ":\n" + describeRun(r.from, probe, sent), 0};
    return {true, describeRun(r.from, probe, sent) + listenerNote, 0};
  }

  /// Runs `script` in `node` until `ok` accepts the result or the timeout ends.
  template <typename Ok>
  CheckOutcome retry(const std::string& node, const std::string& script, Ok ok, const std::string& expected) {
    ExecResult last;
    do {
      last = lab_.exec(node, script, std::min<Duration>(check_.timeout, Duration(30000)));
      if (ok(last))
        return {true, describeRun(node, script, last), 0};
      if (last.exitCode < 0 && !isTimed_)
        break; // the lab cannot be asked: no point in waiting (unless the timeline restarts a node)
      std::this_thread::sleep_for(kRetryPause);
    } while (Clock::now() < deadline_);
    return {false, "expected " + expected + ", got:\n" + describeRun(node, script, last), 0};
  }

  CheckOutcome operator()(const CommandCheck& c) {
    return retry(
        c.node, c.run,
        [&](const ExecResult& r) { return r.exitCode == c.exitCode && (!c.expect || r.out.find(*c.expect) != std::string::npos); },
        "exit status " + std::to_string(c.exitCode) + (c.expect ? " and output holding '" + *c.expect + "'" : ""));
  }

  CheckOutcome operator()(const AddressCheck& a) {
    const std::string script = "ip -br addr show dev " + shellQuote(a.iface);
    return retry(
        a.node, script,
        [&](const ExecResult& r) {
          // The same address however it is spelt: ip prints 2001:0:0:1:200:ff:fe00:1 as
          // 2001::1:200:ff:fe00:1.
          const std::optional<IpPrefix> wanted = IpPrefix::parse(a.ip);
          std::istringstream words(r.out);
          for (std::string w; words >> w;)
            if (w == a.ip || (wanted && IpPrefix::parse(w) == wanted))
              return r.exitCode == 0;
          return false;
        },
        a.ip + " on " + a.iface);
  }

  CheckOutcome operator()(const RouteCheck& rc) {
    const std::string script = "ip route show " + shellQuote(rc.to);
    return retry(
        rc.node, script,
        [&](const ExecResult& r) {
          if (r.exitCode != 0 || r.out.empty())
            return false;
          std::string padded = " " + r.out + " ";
          std::replace(padded.begin(), padded.end(), '\n', ' ');
          return (!rc.via || padded.find(" via " + *rc.via + " ") != std::string::npos) &&
                 (!rc.dev || padded.find(" dev " + *rc.dev + " ") != std::string::npos);
        },
        "a route to " + rc.to + (rc.via ? " via " + *rc.via : "") + (rc.dev ? " dev " + *rc.dev : ""));
  }

  CheckOutcome operator()(const ProcessCheck& p) {
    const std::string script = "pgrep -a -x " + shellQuote(p.name);
    return retry(p.node, script, [](const ExecResult& r) { return r.exitCode == 0; }, "a running '" + p.name + "'");
  }

  CheckOutcome operator()(const ReplayCheck& r) {
    std::string error;
    const auto left = std::max(Duration(1000), std::chrono::duration_cast<Duration>(deadline_ - Clock::now()));
    std::optional<replay::ReplayReport> report = lab_.replayThrough(r, left, error);
    if (!report)
      return {false, "cannot replay " + r.capture + " through " + r.through + ": " + error, 0};
    return judgeReplay(r, *report);
  }

  CheckOutcome operator()(const TrafficCheck& t) {
    std::string error;
    std::optional<transports::PcapFilter> filter = transports::PcapFilter::compile(t.filter, error);
    if (!filter)
      return {false, "bad filter '" + t.filter + "': " + error, 0};
    Duration window = t.window.value_or(runWindow_);
    if (span_) // from the window's start until now, and a second for the rounding
      window = Duration(static_cast<Duration::rep>((lab_.now() - span_->first) * 1000) + 1000);
    std::optional<std::vector<transports::PcapFrame>> frames = lab_.segmentFrames(t.segment, window, error);
    if (!frames)
      return {false, "cannot read the traffic of " + t.segment + ": " + error, 0};
    if (span_)
      std::erase_if(*frames, [&](const transports::PcapFrame& f) {
        const double at = double(f.timestamp.time_since_epoch().count()) / 1e6;
        return at < span_->first || at > span_->second;
      });
    std::vector<const transports::PcapFrame*> matched;
    for (const transports::PcapFrame& f : *frames)
      if (filter->matches(f.data, f.wireSize))
        matched.push_back(&f);
    std::string evidence = std::to_string(matched.size()) + " of " + std::to_string(frames->size()) + " frames on " +
                           t.segment +
                           (span_ ? " from " + seconds(toSeconds(*check_.from)) + " to " + seconds(toSeconds(*check_.to)) +
                                        " of the timeline"
                                  : " in the last " + std::to_string((window.count() + 999) / 1000) + " s") +
                           " match '" + t.filter + "'";
    for (size_t i = 0; i < matched.size() && i < 3; ++i)
      evidence += "\n  " + summarizeFrame(*matched[i]);
    if (matched.size() > 3)
      evidence += "\n  ...";
    const bool passed = t.expectSeen ? !matched.empty() : matched.empty();
    return {passed, evidence, 0};
  }

private:
  const Check& check_;
  const Topology& topology_;
  LabAccess& lab_;
  Duration runWindow_;
  Clock::time_point deadline_;
  std::optional<std::pair<double, double>> span_;
  bool isTimed_ = false; ///< a node may be down for a moment of the timeline: keep asking
};

/// A check timed against the lab's timeline: waits for its moment, then runs it by its deadline.
CheckOutcome runTimed(const Check& check, const Topology& topology, LabAccess& lab, Duration runWindow) {
  const std::optional<double> zero = lab.timelineZero();
  if (!zero)
    return {false, "the lab does not say when it was ready, so a timed check cannot be placed", 0};
  if (check.from) {
    const double from = *zero + toSeconds(*check.from), to = *zero + toSeconds(*check.to);
    if (lab.now() > to + 60)
      return {false, "the window " + seconds(toSeconds(*check.from)) + " to " + seconds(toSeconds(*check.to)) +
                         " ended " + seconds(lab.now() - to) + " ago; the lab was already running: test it from a fresh 'up'",
              0};
    lab.sleepUntil(to + 1); // frames of the window's last moment reach the switch's ring
    return Runner(check, topology, lab, runWindow, Duration(0), std::make_pair(from, to)).run();
  }
  const double start = *zero + toSeconds(*check.at);
  const double end = start + toSeconds(check.timeout);
  const std::string due = "due at " + seconds(toSeconds(*check.at)) +
                          (check.hasWithin ? " within " + seconds(toSeconds(check.timeout)) : "") + " of the timeline";
  if (lab.now() >= end)
    return {false, due + ", but reached at " + seconds(lab.now() - *zero) +
                       "; the lab was already running or earlier checks took long: test it from a fresh 'up'",
            0};
  lab.sleepUntil(start);
  const double began = lab.now();
  const Duration left(static_cast<Duration::rep>(std::max(0.0, end - began) * 1000));
  CheckOutcome o = Runner(check, topology, lab, runWindow, left, std::nullopt).run();
  const double ended = lab.now();
  o.evidence = (o.passed ? "passed at " + seconds(ended - *zero) + " (" + seconds(ended - start) + " after " +
                               seconds(toSeconds(*check.at)) + "), " + due
                         : "failed, " + due + "; began at " + seconds(began - *zero) + ", gave up at " +
                               seconds(ended - *zero)) +
               "\n" + o.evidence;
  return o;
}

} // namespace

std::optional<std::string> targetAddress(const Topology& topology, const std::string& to) {
  if (IpAddress::parse(to))
    return to;
  const size_t colon = to.find(':');
  auto n = topology.findNode(to.substr(0, colon));
  if (!n)
    return std::nullopt;
  for (const Interface& i : topology.nodes[*n].interfaces)
    if (i.ip && (colon == std::string::npos || i.name == to.substr(colon + 1)))
      return i.ip->address().str();
  return std::nullopt;
}

bool matchesExpectation(const FlowExpectation& e, const replay::FlowRecord& flow) {
  const transports::FlowTuple& t = flow.tuple;
  if (e.proto && replay::protocolName(t.protocol) != *e.proto)
    return false;
  // A selector reads the flow the way it was opened: `src` is the side that sent its first
  // packet. "icmp src 10.0.0.0/24" is the LAN's pings, not the outside's pings to the LAN.
  return (!e.src || e.src->contains(t.source)) && (!e.dst || e.dst->contains(t.destination)) &&
         (!e.sport || *e.sport == t.sourcePort) && (!e.dport || *e.dport == t.destinationPort);
}

CheckOutcome judgeReplay(const ReplayCheck& check, const replay::ReplayReport& report) {
  bool passed = report.isComplete;
  std::string evidence;
  if (!report.isComplete)
    evidence += "the replay did not finish (its timeout ended it, or the capture broke off): verdicts so far\n";
  for (const FlowExpectation& e : check.expect) {
    size_t matched = 0;
    std::vector<const replay::FlowRecord*> wrong;
    for (const replay::FlowRecord& f : report.flows.flows()) {
      if (!matchesExpectation(e, f))
        continue;
      ++matched;
      if (replay::verdictName(f.verdict()) != e.verdict || (e.rule && f.rule.find(*e.rule) == std::string::npos))
        wrong.push_back(&f);
    }
    const bool ok = matched > 0 && wrong.empty();
    passed = passed && ok;
    evidence += std::string(ok ? "ok   " : "FAIL ") + describeExpectation(e) + ": " +
                (matched == 0 ? std::string("no flow matched")
                              : std::to_string(matched - wrong.size()) + " of " + std::to_string(matched) + " flows " +
                                    e.verdict) +
                "\n";
    for (size_t i = 0; i < wrong.size() && i < 3; ++i) {
      const transports::FlowTuple& t = wrong[i]->tuple;
      evidence += "       " + replay::protocolName(t.protocol) + " " + t.source.str() + ":" + std::to_string(t.sourcePort) +
                  " > " + t.destination.str() + ":" + std::to_string(t.destinationPort) + " was " +
                  replay::verdictName(wrong[i]->verdict()) + (wrong[i]->reason.empty() ? "" : " (" + wrong[i]->reason + ")") +
                  (e.rule ? (wrong[i]->rule.empty() ? ", no rule named" : ", by " + wrong[i]->rule) : "") + "\n";
    }
  }
  // The flow table, cut to a readable length.
  const std::string table = replay::renderText(report);
  size_t cut = 0, lines = 0;
  while (cut < table.size() && lines < 40) {
    cut = table.find('\n', cut);
    cut = cut == std::string::npos ? table.size() : cut + 1;
    ++lines;
  }
  evidence += table.substr(0, cut);
  if (cut < table.size())
    evidence += "...\n";
  if (!evidence.empty() && evidence.back() == '\n')
    evidence.pop_back();
  return {passed, evidence, 0};
}

CheckOutcome runCheck(const Check& check, const Topology& topology, LabAccess& lab, Duration runWindow) {
  if (check.isTimed())
    return runTimed(check, topology, lab, runWindow);
  return Runner(check, topology, lab, runWindow).run();
}

double LabAccess::now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void LabAccess::sleepUntil(double unixSeconds) {
  const double left = unixSeconds - now();
  if (left > 0)
    std::this_thread::sleep_for(std::chrono::duration<double>(left));
}

std::string summarizeFrame(const transports::PcapFrame& frame) {
  const std::vector<uint8_t>& d = frame.data;
  char line[160];
  if (d.size() < 14)
    return "a runt of " + std::to_string(d.size()) + " bytes";
  size_t off = 12;
  uint16_t type = uint16_t(d[off] << 8 | d[off + 1]);
  if (type == 0x8100 && d.size() >= 18) {
    off += 4;
    type = uint16_t(d[off] << 8 | d[off + 1]);
  }
  off += 2;
  if (type == 0x0806)
    return "ARP, " + std::to_string(frame.wireSize) + " bytes";
  if (type != 0x0800 || d.size() < off + 20) {
    std::snprintf(line, sizeof line, "ethertype 0x%04x, %u bytes", unsigned(type), unsigned(frame.wireSize));
    return line;
  }
  const uint8_t* ip = d.data() + off;
  const size_t ihl = size_t(ip[0] & 15) * 4;
  const unsigned proto = ip[9];
  const char* name = proto == 6 ? "tcp" : proto == 17 ? "udp" : proto == 1 ? "icmp" : "ip";
  std::snprintf(line, sizeof line, "%u.%u.%u.%u > %u.%u.%u.%u %s", ip[12], ip[13], ip[14], ip[15], ip[16], ip[17], ip[18],
                ip[19], name);
  std::string s = line;
  if ((proto == 6 || proto == 17) && d.size() >= off + ihl + 4) {
    const uint8_t* l4 = ip + ihl;
    s += " " + std::to_string(l4[0] << 8 | l4[1]) + " > " + std::to_string(l4[2] << 8 | l4[3]);
  }
  return s + ", " + std::to_string(frame.wireSize) + " bytes";
}

} // namespace umlab::lab::testing
