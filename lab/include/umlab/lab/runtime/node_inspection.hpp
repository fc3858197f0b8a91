#pragma once
/// A node's live network state, read from inside the guest, for the GUI's inspectors and
/// `umlab inspect`: its interfaces and addresses, IPv4 and IPv6 routes, neighbours (ARP and
/// NDP), listening sockets, and the counters of its firewall (iptables and nftables).
///
/// Design notes
/// ------------
/// One round trip. `inspectNode` runs one small POSIX sh script through the node's agent
/// (`LabClient::exec`); the script runs each tool once and prints its output between marker
/// lines, and `parseNodeInspection`, a pure function, turns that text into the types below.
/// A process costs tens of milliseconds in a UML guest (its pages are faulted in through the
/// host), so the script runs as few as it can: one `ip -batch` for addresses, routes of both
/// families (`route show table all`, the main table kept) and neighbours, `ss`, and only where
/// the kernel has something for them `iptables-save -c` and `ip6tables-save -c` (a table family
/// loaded: /proc/net/ip{,6}_tables_names) and `nft -a list ruleset` (nf_tables loaded, or a
/// kernel without modules, which has it built in), so an inspection never loads a module.
///
/// The markers. The script's first line is `@@umlab-inspect-NONCE inspect 1`, NONCE being 16 hex
/// digits chosen anew for each inspection, and every marker line starts with that same word, so
/// no output of a tool (which the guest controls) can pass for one. Then per source:
///
///   M source NAME TOOL     the tool's standard output follows
///   M status NAME CODE     its exit status; its standard error (if any) follows
///   M absent NAME TOOL     the tool is not installed
///   M skipped NAME WHY...  not run (the kernel has nothing for it)
///
/// and `M end` last, so that output cut short is seen as such. Sources: `ip` (three lines of
/// JSON), `sockets` (`ss -Hltunp`), `iptables` and `ip6tables` (`iptables-save -c`), `nftables`
/// (`nft -a list ruleset`).
///
/// What is missing is reported, not an error: a tool that is not installed, a table family the
/// kernel has not loaded, a tool that failed, or output that cannot be read each become an
/// `InspectionSource` with its state and a note; the other sources are still read.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

class LabClient;

/// One tool run for an inspection, and how it went.
struct InspectionSource {
  enum class State { Ok, Absent, Skipped, Failed };
  std::string name; ///< "ip", "sockets", "iptables", "ip6tables", "nftables"
  std::string tool; ///< "ip", "ss", "iptables-save", "ip6tables-save", "nft"
  State state = State::Ok;
  /// Absent: empty. Skipped: why ("no ip6tables table is loaded"). Failed: the exit status
  /// and the tool's error output, or why its output could not be read.
  std::string note;
  friend bool operator==(const InspectionSource&, const InspectionSource&) = default;
};

struct InspectedAddress {
  int family = 4;      ///< 4 or 6
  std::string address; ///< "10.0.0.1", "fe80::1"
  int prefixLength = 0;
  std::string scope; ///< "global", "link", "host"
  friend bool operator==(const InspectedAddress&, const InspectedAddress&) = default;
};

struct InspectedInterface {
  std::string name;      ///< "eth0"
  bool isUp = false;     ///< administratively up (the UP flag)
  std::string operState; ///< the kernel's operational state: "UP", "DOWN", "UNKNOWN"
  std::string mac;       ///< "02:00:00:00:00:01"; empty when the device has none
  uint32_t mtu = 0;
  std::vector<InspectedAddress> addresses;
  friend bool operator==(const InspectedInterface&, const InspectedInterface&) = default;
};

struct InspectedRoute {
  int family = 4;
  std::string destination; ///< "default", "10.0.0.0/24", "10.0.0.5" (a host route)
  std::string gateway;     ///< empty for a directly connected network
  std::string device;
  std::string protocol; ///< "kernel", "static", "boot", "dhcp", ...
  std::string scope;    ///< "link", "global", ...; empty when ip does not say
  std::string source;   ///< the preferred source address, when set
  std::string type;     ///< "unicast" unless ip says otherwise ("unreachable", "blackhole")
  int64_t metric = -1;  ///< -1 when ip does not say
  friend bool operator==(const InspectedRoute&, const InspectedRoute&) = default;
};

struct InspectedNeighbour {
  int family = 4;
  std::string address;
  std::string device;
  std::string mac;   ///< empty while it is being resolved (INCOMPLETE, FAILED)
  std::string state; ///< "REACHABLE", "STALE", "DELAY", "PERMANENT", ... (several joined by ',')
  bool isRouter = false;
  friend bool operator==(const InspectedNeighbour&, const InspectedNeighbour&) = default;
};

struct SocketProcess {
  std::string name; ///< the command, "nc"
  int64_t pid = 0;
  friend bool operator==(const SocketProcess&, const SocketProcess&) = default;
};

struct InspectedSocket {
  std::string protocol; ///< "tcp", "udp"
  std::string state;    ///< "LISTEN" (tcp), "UNCONN" (udp)
  std::string address;  ///< "0.0.0.0", "::", "*", "10.0.0.1", "0.0.0.0%eth0" (bound to a device)
  std::string port;     ///< "80"; "*" when none
  std::vector<SocketProcess> processes;
  friend bool operator==(const InspectedSocket&, const InspectedSocket&) = default;
};

struct FirewallRule {
  /// For people, as the tool prints it: "-A FORWARD -i eth0 -j ACCEPT" (iptables), "tcp dport
  /// 22 counter packets 3 bytes 180 accept" (nftables).
  std::string text;
  bool hasCounter = false; ///< nftables counts only rules with a `counter`; iptables every rule
  uint64_t packets = 0, bytes = 0;
  int64_t handle = -1;     ///< nftables' rule handle; -1 for iptables
  std::string counterName; ///< nftables: the named counter the rule adds to (`counter name "x"`)
  friend bool operator==(const FirewallRule&, const FirewallRule&) = default;
};

struct FirewallChain {
  std::string name;
  std::string policy;            ///< "ACCEPT"/"DROP" (iptables), "accept"/"drop" (nftables); empty for a user chain
  std::string type;              ///< nftables: "filter", "nat", "route"
  std::string hook;              ///< nftables: "input", "forward", ...
  bool hasPolicyCounter = false; ///< iptables' built-in chains count what their policy decided
  uint64_t packets = 0, bytes = 0;
  std::vector<FirewallRule> rules;
  friend bool operator==(const FirewallChain&, const FirewallChain&) = default;
};

/// A named nftables counter (`counter NAME { packets N bytes M }`).
struct FirewallCounter {
  std::string name;
  uint64_t packets = 0, bytes = 0;
  friend bool operator==(const FirewallCounter&, const FirewallCounter&) = default;
};

struct FirewallTable {
  std::string source; ///< the InspectionSource: "iptables", "ip6tables" or "nftables"
  std::string family; ///< "ip", "ip6" (iptables' two), or nftables' ("inet", "ip", "ip6", "bridge", ...)
  std::string name;   ///< "filter", "nat", ...
  std::vector<FirewallChain> chains;
  std::vector<FirewallCounter> counters; ///< nftables' named counters
  friend bool operator==(const FirewallTable&, const FirewallTable&) = default;
};

struct NodeInspection {
  std::vector<InspectionSource> sources; ///< in the order the script ran them
  std::vector<InspectedInterface> interfaces;
  std::vector<InspectedRoute> routes; ///< IPv4, then IPv6
  std::vector<InspectedNeighbour> neighbours;
  std::vector<InspectedSocket> sockets;
  std::vector<FirewallTable> firewall; ///< iptables', ip6tables', then nftables' tables, as each lists them
  /// False when the output stopped before the script's end (cut short, or not the script's).
  bool isComplete = false;
  friend bool operator==(const NodeInspection&, const NodeInspection&) = default;
};

/// What an inspection reads: everything, or only the firewall's sources (iptables, ip6tables,
/// nftables), as `umlab replay --rules` does before and after each new flow.
enum class InspectionScope { All, Firewall };

/// The script `inspectNode` runs, with its markers made of `nonce` (see the design notes).
std::string nodeInspectionScript(const std::string& nonce, InspectionScope scope = InspectionScope::All);

/// The inspection in the output of `nodeInspectionScript`; never throws. Output that does not
/// start with the script's first line gives an inspection with no sources and `isComplete`
/// false.
NodeInspection parseNodeInspection(const std::string& output);

/// Runs the script in NODE of LAB (one exec) and parses its output. Throws RuntimeError when
/// the node cannot run it (no such lab or node, not running, the exec timed out or failed).
NodeInspection inspectNode(const LabClient& client, const std::string& lab, const std::string& node,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10),
                           InspectionScope scope = InspectionScope::All);

/// For people: sections for interfaces, routes, neighbours, sockets and each firewall table,
/// then what was not available and why.
std::string renderNodeInspectionText(const NodeInspection& inspection);

/// For scripts: one JSON object (pretty-printed), with the fields of the types above.
std::string nodeInspectionJson(const NodeInspection& inspection);

} // namespace umlab::lab::runtime
