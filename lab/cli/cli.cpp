#include "cli.hpp"

#include "cli_args.hpp"
#include "image_command.hpp"
#include "kernel_command.hpp"
#include "kernel_command.hpp"
#include "node_commands.hpp"
#include "runtime_commands.hpp"
#include "save_commands.hpp"
#include "segment_commands.hpp"
#include "umlab/lab/testing/test_spec.hpp"
#include "test_command.hpp"
#include "import_command.hpp"
#include "limits_command.hpp"
#include "doctor_command.hpp"
#include "class_command.hpp"
#include "diff_command.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/base/diagnostics.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/base/spelling.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/graph_export.hpp"
#include "umlab/lab/compile/layout.hpp"
#include "umlab/lab/compile/placement.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/compile/topology_images.hpp"
#include "umlab/lab/compile/plan_render.hpp"

#include <cerrno>
#include <fcntl.h>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <sys/wait.h>
#include <unistd.h>


namespace umlab::cli {

namespace {

constexpr const char* kVersion = kUmlabVersion;

constexpr const char* kUsage =
    "usage: umlab <command> [options] [arguments]\n"
    "\n"
    "Compile a network written in YAML and run it as User-Mode Linux guests.\n"
    "\n"
    "commands:\n"
    "  validate FILE...   check topology files and report every error and warning\n"
    "  plan FILE          show the launch plan: processes, arguments, sockets, start order\n"
    "  graph FILE         draw the lab: Graphviz DOT, SVG, JSON, Mermaid or draw.io\n"
    "  up FILE|DIR        boot the lab (a Netkit/Kathara DIR is imported); returns when ready\n"
    "  up FILE.umlab      unpack a lab archive and boot it (--name NEW)\n"
    "  ps [LAB...]        show running and saved labs, their nodes and switches\n"
    "  exec LAB NODE -- COMMAND...   run a command in a guest\n"
    "  console LAB NODE   attach to a guest's console (login root/root)\n"
    "  node LAB NODE stop|start|restart|crash   power a node off and on, or cut its power\n"
    "  inspect LAB NODE   a node's addresses, routes, neighbours, sockets, firewall counters\n"
    "  diff LAB NODE      files a node added, changed and removed on its disk (--content PATH)\n"
    "  events LAB         follow a running lab live (nodes, links, counters; --format json)\n"
    "  apply FILE         change a running lab to match its edited file (--dry-run)\n"
    "  link LAB NODE:IFACE [--delay D --loss P ...|--down|--up]   change a link live\n"
    "  capture LAB SEGMENT -w FILE   pcap of a segment (-w - for Wireshark; --last 60s)\n"
    "  replay LAB SEGMENT CAPTURE    play a pcap into a segment\n"
    "  host LAB -- COMMAND...        run a command on the host in the lab's network namespace\n"
    "  test TESTS-FILE    boot a lab and run its checks (reach, blocked, traffic, ...)\n"
    "  import DIR         turn a Netkit/Kathara lab directory into a topology\n"
    "  save LAB           keep a lab's disks, state and captures on disk and stop it\n"
    "  resume LAB         boot a saved lab again, with every change its guests made\n"
    "  archive LAB -o FILE.umlab   pack a saved lab into one file ('umlab up FILE.umlab')\n"
    "  down LAB...        stop a lab and remove its state (--saved LAB: delete a saved lab)\n"
    "  clean [LAB...]     remove what crashed labs left behind\n"
    "  image build|ls     build or list base images\n"
    "  kernel build|ls    build or list umlab's own UML kernel (nodes choose it with 'kernel: umlab')\n"
    "  limits             check /etc/umlab/limits.yaml and show your limits (guests, memory)\n"
    "  doctor [LAB.yaml]  check that this machine can run labs, and what to fix if not\n"
    "  class up|ps|test|down   a copy of a lab for each student account (root)\n"
    "  help [COMMAND]     show help for a command\n"
    "\n"
    "options:\n"
    "  -h, --help         show this help\n"
    "  --version          show the version\n"
    "\n"
    "Run 'umlab COMMAND --help' for a command's options. Example labs are in topologies/.\n";

constexpr const char* kValidateHelp =
    "usage: umlab validate [options] FILE...\n"
    "\n"
    "Load, resolve and check each topology file (and each tests file, NAME.tests.yaml, against\n"
    "its lab). Errors and warnings are printed as\n"
    "'file:line:col: error: message' with the source line and a caret.\n"
    "\n"
    "options:\n"
    "  -q, --quiet         print nothing for files without errors or warnings\n"
    "  --werror            treat warnings as errors\n"
    "  --max-errors N      stop listing errors after N (default 20; 0 means no limit)\n"
    "  -h, --help          show this help\n"
    "\n"
    "exit status: 0 valid, 1 errors found, 2 usage error\n";

constexpr const char* kPlanHelp =
    "usage: umlab plan [options] FILE\n"
    "\n"
    "Compile FILE and print the launch plan: one umlab-switchd per switch or hub segment, the\n"
    "mcast groups, and the UML command line of every guest, in start order. Nothing is started.\n"
    "\n"
    "options:\n"
    "  --format text|json  output format (default text)\n"
    "  -o, --output FILE   write to FILE instead of standard output\n"
    "  --state-dir DIR     lay the lab out under DIR (default $UMLAB_STATE_DIR, else\n"
    "                      $XDG_RUNTIME_DIR/umlab, else /run/umlab for root)\n"
    "  --kernel PATH       the UML kernel (default $UMLAB_KERNEL or /usr/bin/linux.uml)\n"
    "  --image-dir DIR     where base images live (default ~/.cache/umlab/images)\n"
    "  --max-errors N      stop listing errors after N (default 20)\n"
    "  --hosts N           place the guests on N hosts, keeping segments whole (few VXLAN\n"
    "                      tunnels); each guest's host is in the plan (JSON: \"host\")\n"
    "  --host-guests N     with --hosts: at most N guests on one host\n"
    "  --host-memory SIZE  with --hosts: at most SIZE of guest memory on one host (e.g. 16G)\n"
    "  -h, --help          show this help\n";

constexpr const char* kGraphHelp =
    "usage: umlab graph [options] FILE\n"
    "\n"
    "Draw the lab: nodes, segments and links, placed by umlab's automatic layout (positions\n"
    "given in the file under 'layout:' are kept).\n"
    "\n"
    "options:\n"
    "  --format FORMAT    dot (the default): Graphviz, with umlab's positions\n"
    "                     svg: drawn by graphviz's 'neato' at umlab's positions\n"
    "                     json: items, interfaces and positions, for programs\n"
    "                     mermaid: a Mermaid flowchart to paste into Markdown\n"
    "                     drawio: a draw.io (diagrams.net) file, at umlab's positions\n"
    "  -o, --output FILE  write to FILE instead of standard output\n"
    "  --max-errors N     stop listing errors after N (default 20)\n"
    "  -h, --help         show this help\n"
    "\n"
    "examples: umlab graph topologies/dmz.yaml --format svg -o dmz.svg\n"
    "          umlab graph topologies/dmz.yaml | dot -Tsvg > dmz.svg   # graphviz's own layout\n"
    "          umlab graph topologies/dmz.yaml --format drawio -o dmz.drawio\n";

size_t maxErrors(const CliArgs& a) {
  auto v = a.get("--max-errors");
  if (!v)
    return Diagnostics::kDefaultErrorLimit;
  auto n = parseUnsigned(*v, 1000000);
  if (!n)
    throw CliUsageError{"--max-errors needs a number, not '" + *v + "'"};
  return *n == 0 ? SIZE_MAX : static_cast<size_t>(*n);
}

std::string format(const CliArgs& a, std::vector<std::string> allowed) {
  std::string f = a.get("--format").value_or(allowed.front());
  for (const std::string& x : allowed)
    if (x == f)
      return f;
  std::string list;
  for (size_t i = 0; i < allowed.size(); ++i)
    list += (i ? (i + 1 == allowed.size() ? " or " : ", ") : "") + ("'" + allowed[i] + "'");
  throw CliUsageError{"--format must be " + list + ", not '" + f + "'" + didYouMean(f, allowed)};
}

std::string oneFile(const CliArgs& a, const char* command) {
  if (a.positional().size() != 1)
    throw CliUsageError{std::string(command) + " takes one topology file" +
                     (a.positional().empty() ? std::string(", as in 'umlab ") + command + " topologies/lan.yaml'" : "")};
  return a.positional()[0];
}

/// Writes `text` to `-o FILE` or to `out`. Returns false (after an error message) on failure.
bool emit(const CliArgs& a, const std::string& text, std::ostream& out, std::ostream& err) {
  auto path = a.get("-o", "--output");
  if (!path || *path == "-") {
    out << text;
    return true;
  }
  std::ofstream f(*path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    err << "umlab: error: cannot write '" << *path << "': " << std::strerror(errno) << "\n";
    return false;
  }
  return true;
}

std::string plural(size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

int cmdValidate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"-q", "--quiet", "--werror", "-h", "--help"}, {"--max-errors"});
  if (a.has("-h") || a.has("--help")) {
    out << kValidateHelp;
    return kExitOk;
  }
  if (a.positional().empty())
    throw CliUsageError{"validate needs at least one topology file, as in 'umlab validate topologies/*.yaml'"};
  const bool quiet = a.has("-q") || a.has("--quiet");
  const size_t limit = maxErrors(a);
  int status = kExitOk;
  for (const std::string& path : a.positional()) {
    SourceManager sources;
    Diagnostics diags(limit);
    if (path.ends_with(".tests.yaml")) {
      // A tests file (umlab test): its own format, checked against its lab.
      auto spec = lab::testing::loadTestSpec(path, sources, diags);
      std::optional<lab::Compiled> labCompiled;
      if (spec)
        labCompiled = lab::compileFile(spec->labPath, sources, diags);
      if (spec && labCompiled)
        lab::testing::checkAgainstLab(*spec, labCompiled->topology, diags);
      renderDiagnostics(diags, err);
      if (!spec || !labCompiled || diags.hasErrors() || (a.has("--werror") && diags.warningCount() > 0)) {
        status = kExitInputError;
        err << path << ": " << plural(diags.errorCount(), "error", "errors") << "\n";
      } else if (!quiet || diags.warningCount()) {
        out << path << ": ok: tests for lab '" << labCompiled->topology.name << "', "
            << plural(spec->checks.size(), "check", "checks") << "\n";
      }
      continue;
    }
    auto compiled = lab::compileFile(path, sources, diags);
    renderDiagnostics(diags, err);
    const bool failed = !compiled || (a.has("--werror") && diags.warningCount() > 0);
    if (failed) {
      status = kExitInputError;
      err << path << ": " << plural(diags.errorCount(), "error", "errors");
      if (diags.warningCount())
        err << ", " << plural(diags.warningCount(), "warning", "warnings");
      err << "\n";
      continue;
    }
    if (quiet && diags.warningCount() == 0)
      continue;
    const lab::Topology& t = compiled->topology;
    size_t links = 0, segments = 0;
    for (const lab::Segment& s : t.segments) {
      links += s.members.size();
      segments += s.type != lab::SegmentType::PointToPoint;
      if (s.type == lab::SegmentType::PointToPoint)
        --links; // two members, one link
    }
    links += t.trunks.size() + t.taps.size();
    out << path << ": ok: lab '" << t.name << "', " << plural(t.nodes.size(), "node", "nodes") << ", "
        << plural(segments, "segment", "segments") << ", " << plural(links, "link", "links");
    if (diags.warningCount())
      out << ", " << plural(diags.warningCount(), "warning", "warnings");
    out << "\n";
  }
  return status;
}

int cmdPlan(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"-h", "--help"},
            {"--format", "-o", "--output", "--state-dir", "--kernel", "--image-dir", "--max-errors", "--hosts",
             "--host-guests", "--host-memory"});
  if (a.has("-h") || a.has("--help")) {
    out << kPlanHelp;
    return kExitOk;
  }
  uint32_t hosts = 0;
  lab::HostCapacity capacity;
  if (auto v = a.get("--hosts")) {
    const auto n = parseUnsigned(*v, 100000);
    if (!n || *n == 0)
      throw CliUsageError{"--hosts needs a number of hosts from 1 to 100000, not '" + *v + "'"};
    hosts = static_cast<uint32_t>(*n);
  }
  if (auto v = a.get("--host-guests")) {
    const auto n = parseUnsigned(*v, 1000000);
    if (!n || *n == 0)
      throw CliUsageError{"--host-guests needs a number of guests, not '" + *v + "'"};
    capacity.guests = static_cast<size_t>(*n);
  }
  if (auto v = a.get("--host-memory")) {
    const auto bytes = parseByteSize(*v);
    if (!bytes || *bytes < (1u << 20))
      throw CliUsageError{"--host-memory needs a size such as 16G or 512M, not '" + *v + "'"};
    capacity.memoryMiB = *bytes >> 20;
  }
  if ((capacity.guests || capacity.memoryMiB) && hosts == 0)
    throw CliUsageError{"--host-guests and --host-memory go with --hosts N"};
  const std::string fmt = format(a, {"text", "json"});
  const std::string path = oneFile(a, "plan");
  lab::HostLayout host = lab::hostLayoutFromEnvironment(self);
  if (auto v = a.get("--state-dir")) host.stateRoot = *v;
  if (auto v = a.get("--kernel")) host.kernel = *v;
  if (auto v = a.get("--image-dir")) host.imageDir = *v;
  SourceManager sources;
  Diagnostics diags(maxErrors(a));
  auto compiled = lab::compileFile(path, sources, diags);
  std::optional<lab::LaunchPlan> p;
  if (compiled) {
    lab::locateTopologyImages(compiled->topology, host); // without a UML kernel: the <name> links
    p = lab::plan(compiled->topology, host, diags);
  }
  renderDiagnostics(diags, err);
  if (!p)
    return kExitInputError;
  if (hosts > 0) {
    std::string why;
    if (!lab::placeGuests(compiled->topology, hosts, capacity, *p, why)) {
      err << "umlab: error: " << path << ": " << why << "; give more hosts or raise --host-guests/--host-memory\n";
      return kExitInputError;
    }
  }
  return emit(a, fmt == "json" ? lab::renderPlanJson(*p) : lab::renderPlanText(*p), out, err) ? kExitOk : kExitHostFailure;
}

/// Runs `neato -n2 -Tsvg` on `dotText`, which keeps the positions in it; returns the SVG or
/// nullopt after an error message.
std::optional<std::string> toSvg(const std::string& dotText, std::ostream& err) {
  auto dot = findExecutable("neato");
  if (!dot) {
    err << "umlab: error: graphviz's 'neato' is not installed; install it with 'apt-get install graphviz', or use "
           "'--format dot'\n";
    return std::nullopt;
  }
  // One process layer (base/process.hpp): neato reads the DOT on its stdin, the SVG comes back
  // line by line (stdout and stderr merged; neato writes nothing else on success).
  Command c;
  c.argv = {*dot, "-n2", "-Tsvg"};
  c.input = dotText;
  std::string svg;
  CommandResult r;
  try {
    r = runCommand(c, CommandObserver{[&](std::string_view line) {
                                        svg.append(line);
                                        svg += '\n';
                                      },
                                      {}, -1});
  } catch (const std::system_error& e) {
    err << "umlab: error: " << e.what() << "\n";
    return std::nullopt;
  }
  if (!r.isSuccess()) {
    err << "umlab: error: '" << *dot << " -n2 -Tsvg' " << r.status.describe() << "\n";
    return std::nullopt;
  }
  return svg;
}

int cmdGraph(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CliArgs a(args, {"-h", "--help"}, {"--format", "-o", "--output", "--max-errors"});
  if (a.has("-h") || a.has("--help")) {
    out << kGraphHelp;
    return kExitOk;
  }
  const std::string fmt = format(a, {"dot", "json", "svg", "mermaid", "drawio"});
  const std::string path = oneFile(a, "graph");
  SourceManager sources;
  Diagnostics diags(maxErrors(a));
  auto compiled = lab::compileFile(path, sources, diags);
  renderDiagnostics(diags, err);
  if (!compiled)
    return kExitInputError;
  lab::LabLayout layout = lab::computeLayout(compiled->topology);
  std::string text;
  if (fmt == "json") {
    text = lab::renderGraphJson(compiled->topology, layout, compiled->analysis);
  } else if (fmt == "mermaid") {
    text = lab::renderGraphMermaid(compiled->topology, layout);
  } else if (fmt == "drawio") {
    text = lab::renderGraphDrawio(compiled->topology, layout);
  } else {
    text = lab::renderGraphDot(compiled->topology, layout);
    if (fmt == "svg") {
      auto svg = toSvg(text, err);
      if (!svg)
        return kExitHostFailure;
      text = std::move(*svg);
    }
  }
  return emit(a, text, out, err) ? kExitOk : kExitHostFailure;
}

const std::map<std::string, const char*>& helpTexts() {
  static const std::map<std::string, const char*> h{{"validate", kValidateHelp}, {"plan", kPlanHelp}, {"graph", kGraphHelp}};
  return h;
}

} // namespace

int run(const std::string& self, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return kExitUsage;
  }
  const std::string& command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "-h" || command == "--help") {
      out << kUsage;
      return kExitOk;
    }
    if (command == "--version") {
      out << kVersion << "\n";
      return kExitOk;
    }
    if (command == "help") {
      if (rest.empty()) {
        out << kUsage;
        return kExitOk;
      }
      if (const char* h = runtimeHelp(rest[0]) ? runtimeHelp(rest[0])
                          : segmentHelp(rest[0]) ? segmentHelp(rest[0])
                          : nodeHelp(rest[0])    ? nodeHelp(rest[0])
                          : saveHelp(rest[0])    ? saveHelp(rest[0])
                          : rest[0] == "test"    ? kTestHelp
                          : rest[0] == "import"  ? kImportHelp
                          : rest[0] == "limits"  ? kLimitsHelp
                          : rest[0] == "doctor"  ? kDoctorHelp
                          : rest[0] == "class"   ? kClassHelp
                                                 : nullptr) {
        out << h;
        return kExitOk;
      }
      if (rest[0] == "diff") {
        out << diffHelp();
        return kExitOk;
      }
      if (rest[0] == "image") {
        out << kImageHelp;
        return kExitOk;
      }
      if (rest[0] == "kernel") {
        out << kKernelHelp;
        return kExitOk;
      }
      auto it = helpTexts().find(rest[0]);
      if (it == helpTexts().end())
        throw CliUsageError{"no help for unknown command '" + rest[0] + "'"};
      out << it->second;
      return kExitOk;
    }
    if (command == "validate")
      return cmdValidate(rest, out, err);
    if (command == "plan")
      return cmdPlan(self, rest, out, err);
    if (command == "graph")
      return cmdGraph(rest, out, err);
    if (runtimeHelp(command))
      return runRuntimeCommand(self, command, rest, out, err);
    if (segmentHelp(command))
      return runSegmentCommand(self, command, rest, out, err);
    if (nodeHelp(command))
      return runNodeCommand(self, command, rest, out, err);
    if (saveHelp(command))
      return runSaveCommand(self, command, rest, out, err);
    if (command == "test")
      return runTestCommand(self, rest, out, err);
    if (command == "import")
      return runImportCommand(rest, out, err);
    if (command == "image")
      return runImageCommand(rest, out, err);
    if (command == "kernel")
      return runKernelCommand(rest, out, err);
    if (command == "limits")
      return runLimitsCommand(rest, out, err);
    if (command == "doctor")
      return runDoctorCommand(self, rest, out, err);
    if (command == "class")
      return runClassCommand(self, rest, out, err);
    if (command == "diff")
      return runDiffCommand(self, rest, out, err);
    std::vector<std::string> commands{"validate", "plan", "graph", "up", "ps", "exec", "console", "node", "inspect", "diff", "events", "apply", "link", "capture", "replay", "host", "test", "import", "save", "resume", "archive", "down", "clean", "image", "kernel", "limits", "doctor", "class", "help"};
    std::string hint = didYouMean(command, commands);
    throw CliUsageError{"unknown command '" + command + "'" + (hint.empty() ? "; run 'umlab --help' for the list" : hint)};
  } catch (const CliUsageError& e) {
    err << "umlab: error: " << e.message << "\n";
    return kExitUsage;
  }
}

} // namespace umlab::cli
