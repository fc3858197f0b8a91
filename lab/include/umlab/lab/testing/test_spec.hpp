#pragma once
/// A lab's tests file (`umlab test FILE`): which lab, and the checks that must hold in it.
///
/// Design notes
/// ------------
/// The file is YAML, read with the same loader as topologies, so every error carries
/// file:line:col and unknown keys get a "did you mean" (docs/testing.md has the format):
///
///   lab: dmz.yaml                  # the topology, relative to this file
///   timeout: 20s                   # per check (default 20s)
///   checks:
///     - reach:   {from: wan1, to: web, port: 80}          # tcp when a port is given, else icmp
///     - blocked: {from: wan1, to: pc1}
///     - command: {node: fw, run: "iptables -S FORWARD", expect: "-P FORWARD DROP"}
///     - address: {node: pc1, iface: eth0, ip: 10.0.0.2/24}
///     - route:   {node: web, to: default, via: 10.0.1.1}
///     - process: {node: web, name: nc}
///     - traffic: {segment: inside, none: "tcp port 23"}
///     - traffic: {segment: outside, seen: "arp", window: 30s}
///     - replay:  {capture: office.pcap, through: fw, map: ["192.0.2.0/24=198.51.100.0/24"],
///                 expect: [{dport: 22, verdict: dropped}, {dst: 10.0.1.10, dport: 80, verdict: passed}]}
///
/// A replay check plays a capture through a node (`umlab replay --through`, docs/replay.md) and
/// holds when, for each `expect` entry, at least one flow matches its selector (proto, src, dst
/// as an address or prefix on the lab's side of `map`, sport, dport; all optional) and every
/// flow that matches has its verdict. The capture is found relative to the tests file; `speed`
/// defaults to 0 (as fast as the node answers), `wait` to 500ms; the check's timeout bounds the
/// whole replay.
///
/// Each check may carry `name:` (shown in the report) and `timeout:`. Checks can be timed against
/// the lab's timeline (docs/scenarios.md), whose time 0 is the moment every guest was ready:
///
///     - {at: 12s, blocked: {from: pc1, to: pc2}}              starts 12 s after ready
///     - {at: 20s, within: 10s, reach: {from: pc1, to: pc2}}   must pass by 30 s
///     - {from: 11s, to: 19s, traffic: {segment: lan, none: icmp}}   frames in that window
///
/// `within` needs `at` and replaces `timeout`; `from`/`to` are for traffic checks only. `to:` is a node (its first
/// address), NODE:IFACE (that interface's address) or an address. The loader checks the shape
/// and the values it can check alone; names of nodes and segments are checked against the lab
/// by `checkAgainstLab`, once the topology is compiled.

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/ip_address.hpp"
#include "umlab/base/source.hpp"
#include "umlab/lab/model/topology.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace umlab::lab::testing {

using Duration = std::chrono::milliseconds;

enum class Protocol { Icmp, Tcp, Udp };
const char* protocolName(Protocol p);

/// `reach` (expectReach) and `blocked` (!expectReach).
struct ReachCheck {
  std::string from;
  std::string to;
  std::optional<uint16_t> port;
  Protocol protocol = Protocol::Icmp;
  bool expectReach = true;
};

struct CommandCheck {
  std::string node;
  std::string run;                   ///< a shell command line (sh -c)
  std::optional<std::string> expect; ///< a substring of its standard output
  int exitCode = 0;
};

struct AddressCheck {
  std::string node;
  std::string iface;
  std::string ip; ///< "10.0.0.2/24"
};

struct RouteCheck {
  std::string node;
  std::string to; ///< "default" or a prefix
  std::optional<std::string> via;
  std::optional<std::string> dev;
};

struct ProcessCheck {
  std::string node;
  std::string name; ///< as `pgrep -x` matches it
};

/// Frames of a segment matching a pcap filter, over the run (or the last `window`).
struct TrafficCheck {
  std::string segment;
  std::string filter;
  bool expectSeen = false; ///< `seen:` (at least one frame) or `none:` (not one)
  std::optional<Duration> window;
};

/// One `expect` entry of a replay check.
struct FlowExpectation {
  std::optional<std::string> proto; ///< tcp, udp, icmp, icmpv6
  std::optional<IpPrefix> src, dst; ///< an address is a /32 (/128)
  std::optional<uint16_t> sport, dport;
  std::string verdict; ///< passed, rejected, dropped, partial
  /// Text the rule that decided must contain ("--dport 113", "-P FORWARD DROP"); turns the
  /// replay's rule witness on (`--rules`).
  std::optional<std::string> rule;
};

/// Plays a capture through a node and checks the flows' verdicts.
struct ReplayCheck {
  std::string capture; ///< resolved against the tests file's directory
  std::string through;
  std::vector<std::string> map; ///< FROM=TO rules, as `--map`
  double speed = 0;
  std::optional<Duration> wait;
  /// Name each flow's deciding rule (`--rules`): set by `rules: true`, or by an expectation
  /// with a `rule`.
  bool rules = false;
  std::vector<FlowExpectation> expect;
};

/// "dport 22 dropped", "tcp dst 10.0.1.10 dport 80 passed": an expectation for people.
std::string describeExpectation(const FlowExpectation& e);

using CheckKind =
    std::variant<ReachCheck, CommandCheck, AddressCheck, RouteCheck, ProcessCheck, TrafficCheck, ReplayCheck>;

struct Check {
  std::string name; ///< from `name:`, else a description such as "reach wan1 -> web tcp/80"
  SourceLoc loc;
  Duration timeout{20000};
  CheckKind kind;
  std::optional<Duration> at;       ///< timed: starts this long after the lab was ready
  bool hasWithin = false;           ///< `within:` given (it is the timeout, counted from `at`)
  std::optional<Duration> from, to; ///< traffic: the frames of this window of the timeline

  bool isTimed() const { return at || from; }
};

struct TestSpec {
  std::string path;    ///< the tests file
  std::string labPath; ///< the topology, resolved against the tests file's directory
  Duration timeout{20000};
  std::vector<Check> checks;
};

/// Reads and checks a tests file; nullopt after reporting every error.
std::optional<TestSpec> loadTestSpec(const std::string& path, SourceManager& sources, Diagnostics& diags);
std::optional<TestSpec> loadTestSpecText(const std::string& path, std::string text, SourceManager& sources,
                                         Diagnostics& diags);

/// Reports checks that name nodes, interfaces or segments the lab does not have, and traffic
/// checks on segments without a switch. True when there was nothing to report.
bool checkAgainstLab(const TestSpec& spec, const Topology& topology, Diagnostics& diags);

/// "reach wan1 -> web tcp/80", "command fw: iptables -S", ...
std::string describeCheck(const CheckKind& kind);

} // namespace umlab::lab::testing
