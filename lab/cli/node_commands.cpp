// The verbs that act on one node of a running lab: node (stop, start, restart, crash) and
// inspect. They parse and print; `LabClient` (lab/runtime/lab_client.hpp) does the work.

#include "node_commands.hpp"

#include "cli_args.hpp"
#include "runtime_commands.hpp"

#include "umlab/base/quantity.hpp"
#include "umlab/base/spelling.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/node_inspection.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <ostream>

namespace umlab::cli {
namespace {

namespace runtime = umlab::lab::runtime;
using runtime::LabClient;
using runtime::NodeAction;
using Clock = std::chrono::steady_clock;

const char* const kNodeHelp =
    "usage: umlab node [options] LAB NODE stop|start|restart|crash\n"
    "\n"
    "Stop, start, restart or crash one node of a running lab; returns when it is done.\n"
    "  stop      a clean power-off: the guest's init runs the node's shutdown commands and\n"
    "            syncs its disk (killed after 20 s); its COW file is kept and its switch ports\n"
    "            go quiet. 'umlab ps' shows it 'stopped'\n"
    "  start     boot a stopped (or dead) node again from its kept COW file, with the same\n"
    "            interfaces, MACs and link conditions; returns when it is ready\n"
    "  restart   stop, then start: the guest keeps what it wrote to its disk\n"
    "  crash     kill the guest at once, as a power cut would ('dead (signal 9)'); 'start'\n"
    "            boots it again from its COW file as the power cut left it\n"
    "'umlab events LAB' shows every change of state (stopping, stopped, booting, ready, dead).\n"
    "\n"
    "options:\n"
    "  --state-dir DIR    where labs keep their state\n"
    "  --user NAME        (root) act on the labs of account NAME\n"
    "  -h, --help         show this help\n"
    "\n"
    "example: umlab node dmz web restart\n";

int cmdNode(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream&) {
  const auto& pos = a.positional();
  if (pos.size() != 3)
    throw CliUsageError{"node needs a lab, a node and an action (stop, start, restart or crash), as in "
                        "'umlab node lan pc1 restart'"};
  if (std::string problem = runtime::checkLabName(pos[0]); !problem.empty())
    throw CliUsageError{problem};
  const std::optional<NodeAction> action = runtime::parseNodeAction(pos[2]);
  if (!action)
    throw CliUsageError{"'" + pos[2] + "' is not a node action (stop, start, restart or crash)" +
                        didYouMean(pos[2], {"stop", "start", "restart", "crash"})};
  const auto started = Clock::now();
  LabClient(stateRootFor(self, a, pos[0])).nodeAction(pos[0], pos[1], *action);
  char took[32];
  std::snprintf(took, sizeof took, "%.1f", std::chrono::duration<double>(Clock::now() - started).count());
  static const std::map<NodeAction, const char*> kOutcome{{NodeAction::Stop, "is stopped"},
                                                          {NodeAction::Start, "is ready"},
                                                          {NodeAction::Restart, "is ready again"},
                                                          {NodeAction::Crash, "crashed: dead (signal 9)"}};
  out << "node '" << pos[1] << "' of lab '" << pos[0] << "' " << kOutcome.at(*action) << " (" << took << " s)\n";
  return kExitOk;
}

const char* const kInspectHelp =
    "usage: umlab inspect [options] LAB NODE\n"
    "\n"
    "Show what NODE's network looks like from inside, now: its interfaces (up or down, MAC,\n"
    "IPv4 and IPv6 addresses), IPv4 and IPv6 routes, neighbours (ARP and NDP), listening\n"
    "sockets with their processes, and its firewall with counters: iptables and ip6tables\n"
    "(each table the kernel has loaded) and nftables. One command runs in the guest (ip, ss,\n"
    "iptables-save, nft); a tool the guest lacks is listed as not available.\n"
    "\n"
    "options:\n"
    "  --format text|json   output format (default text)\n"
    "  --timeout D          give up after D (default 10s)\n"
    "  --state-dir DIR      where labs keep their state\n"
    "  --user NAME          (root) act on the labs of account NAME\n"
    "  -h, --help           show this help\n"
    "\n"
    "example: umlab inspect dmz fw --format json\n";

int cmdInspect(const std::string& self, const CliArgs& a, std::ostream& out, std::ostream&) {
  const auto& pos = a.positional();
  if (pos.size() != 2)
    throw CliUsageError{"inspect needs a lab and a node, as in 'umlab inspect dmz fw'"};
  if (std::string problem = runtime::checkLabName(pos[0]); !problem.empty())
    throw CliUsageError{problem};
  const std::string fmt = a.get("--format").value_or("text");
  if (fmt != "text" && fmt != "json")
    throw CliUsageError{"--format must be 'text' or 'json', not '" + fmt + "'" + didYouMean(fmt, {"text", "json"})};
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  if (auto v = a.get("--timeout")) {
    auto d = parseDuration(*v);
    if (!d || *d < std::chrono::milliseconds(1))
      throw CliUsageError{"--timeout needs a duration such as '10s', not '" + *v + "'"};
    timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  const LabClient client(stateRootFor(self, a, pos[0]));
  const runtime::NodeInspection inspection = runtime::inspectNode(client, pos[0], pos[1], timeout);
  if (fmt == "json")
    out << runtime::nodeInspectionJson(inspection);
  else
    out << "node " << pos[1] << " of lab " << pos[0] << "\n" << runtime::renderNodeInspectionText(inspection);
  return kExitOk;
}

} // namespace

int runNodeCommand(const std::string& self, const std::string& command, const std::vector<std::string>& args,
                   std::ostream& out, std::ostream& err) {
  struct Spec {
    std::vector<std::string> flags;
    std::vector<std::string> options;
    int (*run)(const std::string&, const CliArgs&, std::ostream&, std::ostream&);
  };
  static const std::map<std::string, Spec> specs{
      {"node", {{"-h", "--help"}, {"--state-dir", "--user"}, cmdNode}},
      {"inspect", {{"-h", "--help"}, {"--format", "--timeout", "--state-dir", "--user"}, cmdInspect}},
  };
  const Spec& spec = specs.at(command);
  CliArgs a(args, spec.flags, spec.options);
  if (a.has("-h") || a.has("--help")) {
    out << nodeHelp(command);
    return kExitOk;
  }
  return reportFailures(err, [&] {
    actAsAccountFor(a);
    return spec.run(self, a, out, err);
  });
}

const char* nodeHelp(const std::string& command) {
  static const std::map<std::string, const char*> h{{"node", kNodeHelp}, {"inspect", kInspectHelp}};
  auto it = h.find(command);
  return it == h.end() ? nullptr : it->second;
}

} // namespace umlab::cli
